"""The task file format: a validated, declarative description of one evaluation.

A task names its data (a JSONL file under references/, or a Hub dataset), how data columns map
onto the fields the harness needs, the prompt, generation settings and metric settings. The
models here are the single source of truth for that format; the README documents them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from harness.adapters.answer_modes import FREE_TEXT, AnswerMode
from harness.adapters.base import GenerationSettings
from harness.errors import InputError
from harness.jsonio import content_hash
from harness.scoring.bootstrap import DEFAULT_BOOTSTRAP, MIN_RESAMPLES, BootstrapConfig
from harness.tasks.yamlsafe import line_of, load_yaml, present_path

if TYPE_CHECKING:
    from harness.kinds.base import TaskKind

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


_GEN = GenerationSettings()  # the defaults' one home; the bounds' one home is here


class GenerationSpec(_Strict):
    """`generation:` sampling settings (overridable per run, recorded in every report)."""

    temperature: float = Field(_GEN.temperature, ge=0.0, le=2.0)
    max_tokens: int = Field(_GEN.max_tokens, gt=0)
    top_p: float = Field(_GEN.top_p, gt=0.0, le=1.0)
    seed: int | None = _GEN.seed
    stop: tuple[str, ...] = _GEN.stop

    def settings(self) -> GenerationSettings:
        return GenerationSettings(**self.model_dump())


class BootstrapSpec(_Strict):
    """`metrics.bootstrap`: how every confidence interval of the task is drawn."""

    resamples: int = Field(DEFAULT_BOOTSTRAP.resamples, ge=MIN_RESAMPLES)
    seed: int = DEFAULT_BOOTSTRAP.seed
    confidence: float = Field(DEFAULT_BOOTSTRAP.confidence, gt=0.5, lt=1.0)

    def config(self) -> BootstrapConfig:
        return BootstrapConfig(self.resamples, self.seed, self.confidence)


def _metric_sections(value: Any) -> dict[str, Any]:
    """`metrics:` validated section by section: `bootstrap` plus each named metric family.

    The sections model is built from the registry at validation time, so a family registered
    in code or through an entry point is accepted, and errors keep their exact location.
    """
    from harness.metrics.registry import METRICS

    if not isinstance(value, dict):
        raise ValueError("expected a mapping of metric sections")
    sections: dict[str, Any] = {"bootstrap": (BootstrapSpec, BootstrapSpec())}
    for name, cls in METRICS.available().items():
        sections[name] = (cls.Settings | None, None)
    model = create_model("MetricsSpec", __config__=ConfigDict(extra="forbid", frozen=True),
                         **sections)
    validated = model.model_validate(value)
    return {"bootstrap": validated.bootstrap,  # type: ignore[attr-defined]
            **{name: getattr(validated, name) for name in value if name != "bootstrap"}}


class TaskSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    version: int | str
    description: str = ""
    kind: str
    tags: tuple[str, ...] = ()
    baselines: tuple[str, ...] = ()  # model specs `harness run` uses when no --model is given
    data: DataSpec
    prompt: PromptSpec
    generation: GenerationSpec = GenerationSpec()
    metrics: dict[str, Any] = Field(default_factory=dict, validate_default=True)
    # How a labelled task's answer is asked for and read (harness.adapters.answer_modes).
    answer_mode: AnswerMode = FREE_TEXT

    _check_metrics = field_validator("metrics", mode="before")(_metric_sections)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        from harness.kinds.registry import KINDS

        if value not in KINDS:
            raise ValueError(f"unknown task kind {value!r} (known: {', '.join(KINDS.available())})")
        return value

    @model_validator(mode="after")
    def _metrics_fit_kind(self) -> TaskSpec:
        from harness.metrics.registry import METRICS

        fields = ("id", *self.task_kind.fields)
        for name in self.metrics:
            if name == "bootstrap":
                continue
            missing = sorted(METRICS.get(name).requires - set(fields))
            if missing:
                raise ValueError(f"metrics.{name} does not apply to a {self.kind} task "
                                 f"(it needs the fields {', '.join(missing)})")
        if self.answer_mode != FREE_TEXT and self.task_kind.label_field is None:
            raise ValueError(f"answer_mode {self.answer_mode} needs a labelled task kind; "
                             f"a {self.kind} task answers in free text")
        unknown = sorted(set(self.data.fields) - set(fields))
        if unknown:
            raise ValueError(
                f"data.fields maps unknown fields {unknown} "
                f"(a {self.kind} task has: {', '.join(fields)})"
            )
        return self

    @property
    def task_kind(self) -> TaskKind:
        from harness.kinds.registry import get_kind

        return get_kind(self.kind)

    @property
    def bootstrap(self) -> BootstrapSpec:
        value = self.metrics["bootstrap"]
        assert isinstance(value, BootstrapSpec)
        return value

    def metric_names(self) -> list[str]:
        """The task's metric families: its kind's defaults, then any other section it sets."""
        named = [n for n in self.metrics if n != "bootstrap"]
        return [*self.task_kind.default_metrics,
                *(n for n in named if n not in self.task_kind.default_metrics)]

    def metric_settings(self, name: str) -> BaseModel:
        """A family's validated settings: the task's section, else the family's defaults."""
        from harness.metrics.registry import METRICS

        value = self.metrics.get(name)
        return value if value is not None else METRICS.get(name).Settings()

    def column(self, field: str) -> str:
        """The data column that holds a harness field."""
        return self.data.fields.get(field, field)

    def definition_hash(self) -> str:
        """Hash of the definition with every default filled in (format 1, still valid)."""
        from harness.metrics.registry import METRICS

        dump = self.model_dump(mode="json")
        if dump["answer_mode"] == FREE_TEXT:  # added later: hashed only when it is not default
            del dump["answer_mode"]
        absent = {n: None for n, cls in METRICS.available().items() if cls.hashed_when_absent}
        dump["metrics"] = {**absent, **dump["metrics"]}
        return content_hash(dump)

    def with_answer_mode(self, mode: str) -> TaskSpec:
        """This task in another answer mode (`--answer-mode`), validated like the file."""
        try:
            return TaskSpec.model_validate({**self.model_dump(), "answer_mode": mode})
        except ValidationError as exc:
            message = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise InputError(f"{self.name}: {message}", field="--answer-mode") from None

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
            from harness.metrics.registry import METRICS

            known = ", ".join(["bootstrap", *METRICS.available()])
            message = f"unknown metric {loc[1]!r} (known: {known})"
        elif error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "missing required field"
        raise InputError(message, path=path, line=line_of(node, loc), field=field) from None
