"""The metric component: what one family of metrics reports, and how it scores and compares.

A metric family (ROUGE, stance classification scores, a judge...) is one module holding one
`Metric` subclass. Everything downstream (the report, the results table, `compare`, `check`)
iterates over the task's metrics and the `Value`s they declare, so adding a family never means
editing those modules. Scoring is per example and may be async (a judge calls a model);
aggregation is a pure function of the stored per-example records, so `compare` and `check`
can recompute any value from an examples file without the task or the model.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from harness.scoring.bootstrap import BootstrapConfig
    from harness.scoring.significance import PairedResult

Entry = dict[str, float | None]  # {"value", "ci_low", "ci_high"}
Record = Mapping[str, Any]  # one line of a run's examples file


class NoSettings(BaseModel):
    """Settings of a metric that has none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Value:
    """One number a metric reports, and how readers must treat it."""

    higher_is_better: bool = True
    headline: bool = True  # shown in the results table and compare, gated by default
    tested: bool = True  # has a paired test (compare, check --significant)

    def describe(self, family: str) -> dict[str, Any]:
        return {"metric": family, "higher_is_better": self.higher_is_better,
                "headline": self.headline}


@dataclass(frozen=True)
class Item:
    """What a metric sees of one example: all its fields (gold included) and the answer."""

    id: str
    fields: Mapping[str, Any]
    prediction: str | None  # None: the model call failed (an errored example)
    # log-likelihood mode: label -> {"logprob", "bytes", ...} instead of a text to read
    label_scores: Mapping[str, Mapping[str, Any]] | None = None


@dataclass
class Aggregate:
    """A family's aggregates: headline values count errored examples as wrong (or 0)."""

    values: dict[str, Entry]
    answered: dict[str, Entry]  # the same values over answered examples only
    details: dict[str, Any] = field(default_factory=dict)


def entry(value: float | None, ci: tuple[float, float] | None = None) -> Entry:
    """A report entry; non-finite numbers (an undefined CI) become null."""

    def clean(x: float | None) -> float | None:
        return None if x is None or not math.isfinite(x) else float(x)

    low, high = ci if ci is not None else (None, None)
    return {"value": clean(value), "ci_low": clean(low), "ci_high": clean(high)}


def answered(record: Record) -> bool:
    """Whether the model answered this example (its record carries scores, no error)."""
    return record.get("error") is None and bool(record.get("scores"))


class Metric(abc.ABC):
    """One metric family. Subclasses register with `@register_metric("name")`.

    `name` is also the task file's section (`metrics.<name>`) validated by `Settings`, and the
    key under the report's `metric_settings`. `requires` names the example fields (inputs or
    gold) the family needs; it applies to every task kind that has them.
    """

    name: ClassVar[str]
    Settings: ClassVar[type[BaseModel]] = NoSettings
    requires: ClassVar[frozenset[str]] = frozenset()
    # Task definition hashes of format 1 recorded this family's section as null when a task
    # left it out; families added later are hashed only when a task sets them.
    hashed_when_absent: ClassVar[bool] = False
    record_keys: ClassVar[tuple[str, ...]] = ()  # per-example scores also copied onto the record
    # The task answer modes this family can score (harness.adapters.answer_modes).
    answer_modes: ClassVar[frozenset[str]] = frozenset({"free_text"})

    def __init__(self, settings: BaseModel | None = None, answer_mode: str = "free_text") -> None:
        self.settings = settings if settings is not None else self.Settings()
        self.answer_mode = answer_mode

    @classmethod
    def from_recorded(cls, recorded: Mapping[str, Any] | None) -> Metric:
        """Rebuild from a report's `metric_settings` entry (for compare and check)."""
        return cls(cls.Settings.model_validate(dict(recorded or {})))

    def record_settings(self) -> dict[str, Any] | None:
        """What decides the meaning of the values (compared across runs); None: nothing."""
        dumped = self.settings.model_dump(mode="json")
        return dumped or None

    @abc.abstractmethod
    def values(self) -> dict[str, Value]:
        """The values this family reports, in display order."""

    @property
    def primary(self) -> str:
        """The value examples are sorted by in comparisons."""
        return next(name for name, v in self.values().items() if v.headline)

    @abc.abstractmethod
    async def score(self, items: Sequence[Item]) -> list[dict[str, Any]]:
        """Per-example scores (merged into each record's `scores`); {} for errored items."""

    @abc.abstractmethod
    def aggregate(self, records: Sequence[Record], bootstrap: BootstrapConfig) -> Aggregate:
        """Values with seeded bootstrap CIs, from per-example records alone."""

    def run_details(self, items: Sequence[Item], scores: Sequence[dict[str, Any]]
                    ) -> dict[str, Any]:
        """Report details that need the examples themselves, not only the records."""
        return {}

    @abc.abstractmethod
    def example_value(self, record: Record, name: str) -> float | None:
        """One example's contribution to `name` (for sorting and plots); errored: 0."""

    @abc.abstractmethod
    def paired_test(self, name: str, base: Sequence[Record], candidate: Sequence[Record],
                    config: BootstrapConfig) -> PairedResult:
        """candidate − base on aligned records, with the test that fits `name`."""

    def invalid_reason(self, record: Record) -> str | None:
        """Why an answered example's output is invalid for this family (None: valid)."""
        return None

    def example_detail(self, record: Record) -> list[tuple[str, str]]:
        """(title, plain text) the comparison page shows under an example's output; the page
        escapes the text (it may hold model output)."""
        return []

    @classmethod
    def detail_rows(cls, details: Mapping[str, Any]) -> list[tuple[str, str, str]]:
        """Descriptive figures from a report's `details` for tables and compare:
        (name, value, yardstick) texts; [] if none."""
        return []

    def matrices(self, records: Sequence[Record]
                 ) -> tuple[list[str], list[str], list[list[int]]] | None:
        """A confusion-style matrix (rows, columns, counts) for plots, if the family has one."""
        return None
