"""Evaluation harness for Arabic news summarization and stance detection.

The pipeline is tasks → adapters → scorers → reports; each stage is importable from here:

    from harness import load_task, create_adapter, run_task
    task = load_task("tasks/seed_summarization.yaml")
    result = asyncio.run(run_task(task, create_adapter("lead,k=3"), results_dir=Path("results")))

Names are imported on first use (PEP 562), so `import harness` and `harness --help` stay fast:
the scorers' dependencies (numpy, scipy, nltk, datasets, jinja2, rich) load only when needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lazy import lazy_names

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time `__getattr__` imports
    from harness.adapters.base import Adapter, GenerationSettings, Request, Response, TaskContext
    from harness.adapters.registry import (
        available_adapters,
        create_adapter,
        parse_model_spec,
        register_adapter,
    )
    from harness.errors import AdapterError, HarnessError, InputError, ModelError
    from harness.kinds.base import ExampleView, TaskKind, text_field
    from harness.kinds.registry import register_kind
    from harness.metrics.base import Aggregate, Item, Metric, Value, answered, entry
    from harness.metrics.registry import register_metric
    from harness.reports.build import SCHEMA_VERSION, report_schema, validate_report
    from harness.reports.store import read_examples, read_report
    from harness.runner import RunResult, run_task
    from harness.scoring.bootstrap import BootstrapConfig
    from harness.scoring.label_set import INVALID
    from harness.scoring.labels import parse_label
    from harness.scoring.rouge import ROUGE_TYPES, RougeScore, score_batch, score_pair
    from harness.scoring.stance import stance_metrics
    from harness.selection import Selection
    from harness.tasks import Example, Task, TaskSpec, load_task
    from harness.text import ArabicTokenizer, NormalizationOptions

__all__ = [
    "INVALID",
    "ROUGE_TYPES",
    "SCHEMA_VERSION",
    "Adapter",
    "AdapterError",
    "Aggregate",
    "ArabicTokenizer",
    "BootstrapConfig",
    "Example",
    "ExampleView",
    "GenerationSettings",
    "HarnessError",
    "InputError",
    "Item",
    "Metric",
    "ModelError",
    "NormalizationOptions",
    "Request",
    "Response",
    "RougeScore",
    "RunResult",
    "Selection",
    "Task",
    "TaskContext",
    "TaskKind",
    "TaskSpec",
    "Value",
    "answered",
    "available_adapters",
    "create_adapter",
    "entry",
    "load_task",
    "parse_label",
    "parse_model_spec",
    "read_examples",
    "read_report",
    "register_adapter",
    "register_kind",
    "register_metric",
    "report_schema",
    "run_task",
    "score_batch",
    "score_pair",
    "stance_metrics",
    "text_field",
    "validate_report",
]

# The module that defines each public name (the imports above, for run time).
_SOURCES: dict[str, tuple[str, ...]] = {
    "harness.adapters.base": (
        "Adapter",
        "GenerationSettings",
        "Request",
        "Response",
        "TaskContext",
    ),
    "harness.adapters.registry": (
        "available_adapters",
        "create_adapter",
        "parse_model_spec",
        "register_adapter",
    ),
    "harness.errors": ("AdapterError", "HarnessError", "InputError", "ModelError"),
    "harness.kinds.base": ("ExampleView", "TaskKind", "text_field"),
    "harness.kinds.registry": ("register_kind",),
    "harness.metrics.base": ("Aggregate", "Item", "Metric", "Value", "answered", "entry"),
    "harness.metrics.registry": ("register_metric",),
    "harness.reports.build": ("SCHEMA_VERSION", "report_schema", "validate_report"),
    "harness.reports.store": ("read_examples", "read_report"),
    "harness.runner": ("RunResult", "run_task"),
    "harness.selection": ("Selection",),
    "harness.scoring.bootstrap": ("BootstrapConfig",),
    "harness.scoring.labels": ("parse_label",),
    "harness.scoring.rouge": ("ROUGE_TYPES", "RougeScore", "score_batch", "score_pair"),
    "harness.scoring.label_set": ("INVALID",),
    "harness.scoring.stance": ("stance_metrics",),
    "harness.tasks": ("Example", "Task", "TaskSpec", "load_task"),
    "harness.text": ("ArabicTokenizer", "NormalizationOptions"),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}


__getattr__, __dir__ = lazy_names(__name__, _MODULE_OF)
