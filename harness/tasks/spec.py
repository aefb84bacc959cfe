"""The task file format: a validated, declarative description of one evaluation.

A task names its data (a JSONL file under references/, or a Hub dataset), how data columns map
onto the fields the harness needs, the prompt, generation settings and metric settings. The
models here are the single source of truth for that format; the README documents them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import to_jsonable_python

from harness.adapters.answer_modes import FREE_TEXT, AnswerMode
from harness.adapters.base import GenerationSettings
from harness.errors import InputError
from harness.jsonio import content_hash
from harness.scoring.bootstrap import (
    DEFAULT_BOOTSTRAP,
    MAX_RESAMPLES,
    MIN_RESAMPLES,
    BootstrapConfig,
)
from harness.tasks.yamlsafe import line_of, load_yaml, present_path

if TYPE_CHECKING:
    from harness.kinds.base import TaskKind

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # Fields added after definition-hash format 1: hashed only when set to a non-default
    # value, so that adding a field never changes the hash of a task that does not use it.
    hashed_when_set: ClassVar[frozenset[str]] = frozenset()


def hash_view(value: Any) -> Any:
    """``model_dump(mode="json")``, less each model's `hashed_when_set` fields left at their
    default (any settings model may declare that class variable)."""
    if isinstance(value, BaseModel):
        skip: frozenset[str] = getattr(type(value), "hashed_when_set", frozenset())
        out = {}
        for name, info in type(value).model_fields.items():
            item = getattr(value, name)
            if name in skip and item == info.get_default(call_default_factory=True):
                continue
            out[name] = hash_view(item)
        return out
    if isinstance(value, dict):
        return {str(k): hash_view(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [hash_view(v) for v in value]
    return to_jsonable_python(value)


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
    # Where example ids come from: the id column (default; a row without one is an error), or
    # `row_number` (`row-0`, `row-1`... in file order) for data that has no ids.
    ids: Literal["row_number"] | None = None
    # Row filters ({column: value}): `where` picks the evaluated rows of `path` (a file holding
    # every official split), `train_where` the training rows of `train` (default: `path`).
    where: dict[str, str] | None = None
    train_where: dict[str, str] | None = None

    hashed_when_set: ClassVar[frozenset[str]] = frozenset({"ids", "where", "train_where"})

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if (self.path is None) == (self.hub is None):
            raise ValueError("give exactly one of 'path' (a JSONL file) or 'hub' (a dataset)")
        if self.train_where is not None and self.train is None and self.path is None:
            raise ValueError("train_where needs 'train' or 'path' (a JSONL file)")
        if self.where is not None and self.train_where == self.where and (
                self.train or self.path) == self.path:
            raise ValueError("train_where selects the evaluated rows themselves")
        return self

    @property
    def train_path(self) -> str | None:
        """The training rows' file: `train`, else `path` when `train_where` picks rows of it."""
        return self.train or (self.path if self.train_where is not None else None)


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


class FewShotSpec(_Strict):
    """`fewshot:` k solved training examples shown before each evaluated one."""

    k: int = Field(gt=0)
    pool: Literal["train"] = "train"  # the task's training rows (data.train / train_where)
    seed: int = 0
    strategy: Literal["random", "balanced"] = "random"


class BootstrapSpec(_Strict):
    """`metrics.bootstrap`: how every confidence interval of the task is drawn."""

    resamples: int = Field(DEFAULT_BOOTSTRAP.resamples, ge=MIN_RESAMPLES, le=MAX_RESAMPLES)
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
    sections: dict[str, Any] = {"bootstrap": (BootstrapSpec, BootstrapSpec()),
                                "group_by": (tuple[str, ...] | None, None)}
    for name, cls in METRICS.available().items():
        sections[name] = (cls.Settings | None, None)
    model = create_model("MetricsSpec", __config__=ConfigDict(extra="forbid", frozen=True),
                         **sections)
    validated = model.model_validate(value)
    return {"bootstrap": validated.bootstrap,  # type: ignore[attr-defined]
            **{name: getattr(validated, name) for name in value if name != "bootstrap"}}


# `metrics:` sections that are not metric families.
SECTIONS: tuple[str, ...] = ("bootstrap", "group_by")


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
    fewshot: FewShotSpec | None = None
    metrics: dict[str, Any] = Field(default_factory=dict, validate_default=True)
    # How a labelled task's answer is asked for and read (harness.adapters.answer_modes).
    answer_mode: AnswerMode = FREE_TEXT

    hashed_when_set: ClassVar[frozenset[str]] = frozenset({"fewshot", "answer_mode"})

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
            if name in SECTIONS:
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

    @property
    def group_by(self) -> tuple[str, ...]:
        """The group keys every value is also reported for (`metrics.group_by`)."""
        return tuple(self.metrics.get("group_by") or ())

    def metric_names(self) -> list[str]:
        """The task's metric families: its kind's defaults, then any other section it sets."""
        named = [n for n in self.metrics if n not in SECTIONS]
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

        dump = hash_view(self)
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

            known = ", ".join([*SECTIONS, *METRICS.available()])
            message = f"unknown metric {loc[1]!r} (known: {known})"
        elif error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "missing required field"
        elif error["type"] == "string_type" and isinstance(error.get("input"), bool):
            message = (f"expected a string, got the YAML boolean {error['input']}: YAML reads "
                       "unquoted yes/no/on/off/true/false as booleans; quote it (\"yes\")")
        raise InputError(message, path=path, line=line_of(node, loc), field=field) from None
