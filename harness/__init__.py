"""Evaluation harness for Arabic news summarization and stance detection.

The pipeline is tasks → adapters → scorers → reports; each stage is importable from here:

    from harness import load_task, create_adapter, run_task
    task = load_task("tasks/seed_summarization.yaml")
    result = asyncio.run(run_task(task, create_adapter("lead,k=3"), results_dir=Path("results")))
"""

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
from harness.runner import RunResult, Selection, run_task
from harness.scoring.bootstrap import BootstrapConfig
from harness.scoring.labels import parse_label
from harness.scoring.rouge import ROUGE_TYPES, RougeScore, score_batch, score_pair
from harness.scoring.stance import INVALID, stance_metrics
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
