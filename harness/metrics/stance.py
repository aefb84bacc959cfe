"""Classification scores over a label set: accuracy, macro-F1, SemEval F_avg, invalid rate.

Free-text answers are parsed into a label (`harness.scoring.labels.parse_label`); an answer
that names no label is `<invalid>`: always wrong, never a guess. Errored examples count as
invalid in the headline values. The label set and its aliases are also what the stance task
kind validates gold labels against, so they live here, in `metrics.stance`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.metrics.base import Aggregate, Entry, Item, Metric, Record, Value, answered, entry
from harness.metrics.registry import register_metric
from harness.scoring.stance import INVALID, f_avg_defined

if TYPE_CHECKING:
    from harness.scoring.bootstrap import BootstrapConfig
    from harness.scoring.significance import PairedResult

INVALID_RULE = "unparseable output counts as wrong"
GOLD_KEY = "gold_label"  # where a record keeps the gold label


class StanceSettings(BaseModel):
    """`metrics.stance` in a task file: the label set, answer aliases, target wording."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: tuple[str, ...] = ("favor", "against", "none")
    aliases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    target_names: dict[str, str] = Field(default_factory=dict)  # prompt wording per target
    # The labels F_avg averages the F1 of, where the dataset defines such a score; unset:
    # SemEval-2016's favor and against when the label set has both; []: no F_avg.
    f_avg: tuple[str, ...] | None = None

    hashed_when_set: ClassVar[frozenset[str]] = frozenset({"f_avg"})

    @model_validator(mode="after")
    def _aliases_name_labels(self) -> StanceSettings:
        unknown = sorted(set(self.aliases) - set(self.labels))
        if unknown:
            raise ValueError(f"aliases for labels not in the label set: {unknown}")
        if len(set(self.labels)) != len(self.labels) or len(self.labels) < 2:
            raise ValueError("labels must be a list of at least two distinct names "
                             "(one label leaves nothing to classify)")
        if self.f_avg and not set(self.f_avg) <= set(self.labels):
            raise ValueError(f"f_avg names labels not in the label set: "
                             f"{sorted(set(self.f_avg) - set(self.labels))}")
        return self

    def canonical(self, value: str) -> str | None:
        """The label a gold value names (case-insensitive, or a declared alias), else None."""
        folded = value.strip().casefold()
        for label in self.labels:
            if folded == label.casefold() or folded in {
                    a.casefold() for a in self.aliases.get(label, ())}:
                return label
        return None


def _predicted(record: Record) -> str:
    return str((record.get("scores") or {}).get("parsed_label") or INVALID) if answered(
        record) else INVALID


@register_metric("stance")
class Stance(Metric):
    Settings: ClassVar[type[BaseModel]] = StanceSettings
    requires: ClassVar[frozenset[str]] = frozenset({"label"})
    hashed_when_absent: ClassVar[bool] = True
    record_keys: ClassVar[tuple[str, ...]] = ("parsed_label", "correct")
    settings: StanceSettings

    @classmethod
    def from_recorded(cls, recorded: Mapping[str, Any] | None) -> Stance:
        recorded = recorded or {}
        f_avg = recorded.get("f_avg")
        return cls(StanceSettings(labels=tuple(recorded.get("labels", ())) or ("favor", "against",
                                                                                   "none"),
                                  aliases=recorded.get("aliases", {}),
                                  f_avg=tuple(f_avg) if f_avg is not None else None))

    def record_settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {"labels": list(self.settings.labels),
                               "aliases": {k: list(v) for k, v in self.settings.aliases.items()},
                               "invalid": INVALID_RULE}
        if self.settings.f_avg is not None:
            out["f_avg"] = list(self.settings.f_avg)
        return out

    def values(self) -> dict[str, Value]:
        out = {"accuracy": Value(), "macro_f1": Value()}
        if f_avg_defined(self.settings.labels, self.settings.f_avg):
            out["f_avg"] = Value()
        out["invalid_rate"] = Value(higher_is_better=False, tested=False)
        return out

    @property
    def primary(self) -> str:
        return "accuracy"

    def invalid_reason(self, record: Record) -> str | None:
        if answered(record) and _predicted(record) == INVALID:
            return "the answer names none of the labels"
        return None

    async def score(self, items: Sequence[Item]) -> list[dict[str, Any]]:
        from harness.scoring.labels import parse_label

        aliases = {k: list(v) for k, v in self.settings.aliases.items()}
        out: list[dict[str, Any]] = []
        for item in items:
            if item.prediction is None:
                out.append({})
                continue
            label = parse_label(item.prediction, self.settings.labels, aliases)
            out.append({"parsed_label": label if label is not None else INVALID,
                        "correct": label == item.fields["label"]})
        return out

    def _columns(self, records: Sequence[Record]) -> tuple[list[str], list[str]]:
        return [str(r.get(GOLD_KEY)) for r in records], [_predicted(r) for r in records]

    def _entries(self, records: Sequence[Record], bootstrap: BootstrapConfig
                 ) -> tuple[dict[str, Entry], dict[str, Any]]:
        from harness.scoring.stance import stance_ci, stance_metrics

        names = list(self.values())
        if not records:
            return {n: entry(None) for n in names}, {}
        gold, predicted = self._columns(records)
        f_avg = self.settings.f_avg
        point = stance_metrics(gold, predicted, self.settings.labels, f_avg)
        intervals = stance_ci(gold, predicted, self.settings.labels, bootstrap, f_avg)
        details = {"per_class": point["per_class"], "confusion_matrix": point["confusion_matrix"]}
        return {n: entry(point[n], intervals.get(n)) for n in names}, details

    def aggregate(self, records: Sequence[Record], bootstrap: BootstrapConfig) -> Aggregate:
        values, details = self._entries(records, bootstrap)
        answered_only, answered_details = self._entries(
            [r for r in records if answered(r)], bootstrap)
        return Aggregate(values, answered_only, answered_details or details)

    def example_value(self, record: Record, name: str) -> float | None:
        return 1.0 if answered(record) and (record.get("scores") or {}).get("correct") else 0.0

    def paired_test(self, name: str, base: Sequence[Record], candidate: Sequence[Record],
                    config: BootstrapConfig) -> PairedResult:
        from harness.scoring.significance import mcnemar, paired_bootstrap_statistic
        from harness.scoring.stance import stance_statistic

        if name == "accuracy":
            return mcnemar([self.example_value(r, name) == 1.0 for r in base],
                           [self.example_value(r, name) == 1.0 for r in candidate],
                           metric=name, confidence=config.confidence)
        gold, pred_a = self._columns(base)
        _, pred_b = self._columns(candidate)
        labels = self.settings.labels
        return paired_bootstrap_statistic(
            len(gold), stance_statistic(gold, pred_a, labels, name, self.settings.f_avg),
            stance_statistic(gold, pred_b, labels, name, self.settings.f_avg), config,
            metric=name)

    def matrices(self, records: Sequence[Record]
                 ) -> tuple[list[str], list[str], list[list[int]]] | None:
        labels = list(self.settings.labels)
        columns = [*labels, INVALID]
        counts = [[0] * len(columns) for _ in labels]
        for record in records:
            gold = record.get(GOLD_KEY)
            if gold in labels and answered(record):
                predicted = _predicted(record)
                column = columns.index(predicted) if predicted in labels else len(labels)
                counts[labels.index(str(gold))][column] += 1
        return labels, columns, counts
