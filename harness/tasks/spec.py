"""The task file format: a validated, declarative description of one evaluation.

A task names its data (a JSONL file under references/, or a Hub dataset), how data columns map
onto the fields the harness needs, the prompt, generation settings and metric settings. The
models here are the single source of truth for that format; the README documents them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from harness.errors import InputError
from harness.jsonio import content_hash
from harness.tasks.yamlsafe import line_of, load_yaml, present_path
from harness.text import NormalizationOptions

ROUGE_TYPE_NAMES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
METRIC_SECTIONS = ("rouge", "stance", "bootstrap")
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "summarization": ("id", "article", "references"),
    "stance": ("id", "text", "target", "label"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HubSource(_Strict):
    """A dataset loaded with `datasets.load_dataset(dataset, config, split=split)`.

    `dataset` may also be a local dataset folder, which is how the Hub path is tested offline.
    """

    dataset: str
    config: str | None = None
    split: str = "test"
    revision: str | None = None
    # Explicit files per split, e.g. a script dataset's parquet export (revision
    # refs/convert/parquet, files `<config>/<split>/*.parquet`): datasets>=4 runs no scripts.
    data_files: dict[str, str | list[str]] | None = None


class DataSpec(_Strict):
    """Where examples come from and how their columns map onto the harness's fields."""

    path: str | None = None
    hub: HubSource | None = None
    fields: dict[str, str] = Field(default_factory=dict)
    train: str | None = None  # optional JSONL of training rows (majority prior for stance)

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if (self.path is None) == (self.hub is None):
            raise ValueError("give exactly one of 'path' (a JSONL file) or 'hub' (a dataset)")
        return self


class PromptSpec(_Strict):
    """Chat prompt: Jinja2 templates (sandboxed, strict) over the example's fields."""

    system: str = ""
    user: str


class GenerationSpec(_Strict):
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(512, gt=0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    seed: int | None = 1234
    stop: tuple[str, ...] = ()


class RougeSpec(_Strict):
    types: tuple[Literal["rouge1", "rouge2", "rougeL", "rougeLsum"], ...] = ROUGE_TYPE_NAMES
    normalization: NormalizationOptions = NormalizationOptions()

    @field_validator("types", mode="before")
    @classmethod
    def _known_types(cls, value: Any) -> Any:
        for name in value if isinstance(value, list | tuple) else [value]:
            if name not in ROUGE_TYPE_NAMES:
                raise ValueError(
                    f"unknown ROUGE type {name!r} (known: {', '.join(ROUGE_TYPE_NAMES)})"
                )
        return value


class StanceSpec(_Strict):
    labels: tuple[str, ...] = ("favor", "against", "none")
    aliases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    target_names: dict[str, str] = Field(default_factory=dict)  # prompt wording per target

    @model_validator(mode="after")
    def _aliases_name_labels(self) -> StanceSpec:
        unknown = sorted(set(self.aliases) - set(self.labels))
        if unknown:
            raise ValueError(f"aliases for labels not in the label set: {unknown}")
        if len(set(self.labels)) != len(self.labels) or not self.labels:
            raise ValueError("labels must be a non-empty list of distinct names")
        return self


class BootstrapSpec(_Strict):
    resamples: int = Field(1000, ge=100)
    seed: int = 12345
    confidence: float = Field(0.95, gt=0.5, lt=1.0)


class MetricsSpec(_Strict):
    rouge: RougeSpec | None = None
    stance: StanceSpec | None = None
    bootstrap: BootstrapSpec = BootstrapSpec()


class TaskSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    version: int | str
    description: str = ""
    kind: Literal["summarization", "stance"]
    tags: tuple[str, ...] = ()
    baselines: tuple[str, ...] = ()  # model specs `harness run` uses when no --model is given
    data: DataSpec
    prompt: PromptSpec
    generation: GenerationSpec = GenerationSpec()
    metrics: MetricsSpec = MetricsSpec()

    @model_validator(mode="after")
    def _metrics_fit_kind(self) -> TaskSpec:
        wrong = "stance" if self.kind == "summarization" else "rouge"
        if getattr(self.metrics, wrong) is not None:
            raise ValueError(f"metrics.{wrong} does not apply to a {self.kind} task")
        unknown = sorted(set(self.data.fields) - set(KIND_FIELDS[self.kind]))
        if unknown:
            raise ValueError(
                f"data.fields maps unknown fields {unknown} "
                f"(a {self.kind} task has: {', '.join(KIND_FIELDS[self.kind])})"
            )
        return self

    @property
    def rouge(self) -> RougeSpec:
        return self.metrics.rouge or RougeSpec()

    @property
    def stance(self) -> StanceSpec:
        return self.metrics.stance or StanceSpec()

    def column(self, field: str) -> str:
        """The data column that holds a harness field."""
        return self.data.fields.get(field, field)

    def definition_hash(self) -> str:
        return content_hash(self.model_dump(mode="json"))

    def prompt_hash(self) -> str:
        return content_hash(self.prompt.model_dump(mode="json"))


def parse_task_file(path: Path) -> TaskSpec:
    """Load and validate one task YAML; errors name the file, line and field."""
    data, node = load_yaml(path)
    if not isinstance(data, dict):
        raise InputError("a task file must be a YAML mapping", path=path, line=1)
    try:
        return TaskSpec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = present_path(data, [p for p in error["loc"] if isinstance(p, str | int)])
        field = ".".join(str(p) for p in loc) or None
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden" and len(loc) == 2 and loc[0] == "metrics":
            message = f"unknown metric {loc[1]!r} (known: {', '.join(METRIC_SECTIONS)})"
        elif error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "missing required field"
        raise InputError(message, path=path, line=line_of(node, loc), field=field) from None
