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

from harness.adapters.answer_modes import ANSWER_MODES, FREE_TEXT, LOGLIKELIHOOD, STRUCTURED
from harness.metrics.base import Aggregate, Entry, Item, Metric, Record, Value, answered, entry
from harness.metrics.registry import register_metric
from harness.scoring.label_set import INVALID, f_avg_defined

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
    # Log-likelihood mode on text completions: the words after which each label is scored
    # (lm-evaluation-harness's "Answer:"); without it an instruct model continues the input
    # text and no label is among its likely next tokens.
    answer_cue: str = "الإجابة:"

    hashed_when_set: ClassVar[frozenset[str]] = frozenset({"f_avg", "answer_cue"})

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

    def verbalizations(self) -> dict[str, str]:
        """Each label as the prompt words it: its first alias, else its name."""
        return {label: (self.aliases.get(label) or (label,))[0] for label in self.labels}

    def canonical(self, value: str) -> str | None:
        """The label a gold value names (case-insensitive, or a declared alias), else None."""
        folded = value.strip().casefold()
        for label in self.labels:
            if folded == label.casefold() or folded in {
                    a.casefold() for a in self.aliases.get(label, ())}:
                return label
        return None


NORM = "_norm"  # log-likelihood mode: values of the choice normalized by continuation bytes


def _predicted(record: Record, suffix: str = "") -> str:
    return str((record.get("scores") or {}).get("parsed_label" + suffix) or INVALID) if answered(
        record) else INVALID


def _argmax(scores: Mapping[str, float], labels: Sequence[str]) -> str:
    """The best label; ties go to the earlier label in the label set (deterministic)."""
    return max(labels, key=lambda label: (scores[label], -labels.index(label)))


def _chosen(label_scores: Mapping[str, Mapping[str, Any]], labels: Sequence[str]
            ) -> tuple[str, str]:
    """(raw, normalized) choices: the highest log-probability, and the highest per byte of
    the continuation (lm-evaluation-harness's acc / acc_norm)."""
    raw = {label: float(label_scores[label]["logprob"]) for label in labels}
    norm = {label: raw[label] / max(1, int(label_scores[label]["bytes"])) for label in labels}
    return _argmax(raw, labels), _argmax(norm, labels)


@register_metric("stance")
class Stance(Metric):
    Settings: ClassVar[type[BaseModel]] = StanceSettings
    requires: ClassVar[frozenset[str]] = frozenset({"label"})
    hashed_when_absent: ClassVar[bool] = True
    record_keys: ClassVar[tuple[str, ...]] = ("parsed_label", "correct")
    answer_modes: ClassVar[frozenset[str]] = frozenset(ANSWER_MODES)
    settings: StanceSettings

    @classmethod
    def from_recorded(cls, recorded: Mapping[str, Any] | None) -> Stance:
        recorded = recorded or {}
        f_avg = recorded.get("f_avg")
        return cls(StanceSettings(labels=tuple(recorded.get("labels", ())) or ("favor", "against",
                                                                                   "none"),
                                  aliases=recorded.get("aliases", {}),
                                  f_avg=tuple(f_avg) if f_avg is not None else None),
                   answer_mode=recorded.get("answer_mode", FREE_TEXT))

    def record_settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {"labels": list(self.settings.labels),
                               "aliases": {k: list(v) for k, v in self.settings.aliases.items()},
                               "invalid": INVALID_RULE}
        if self.settings.f_avg is not None:
            out["f_avg"] = list(self.settings.f_avg)
        if self.answer_mode == FREE_TEXT:
            from harness.scoring.labels import PARSER_VERSION

            out["parser"] = f"harness.labels {PARSER_VERSION}"
        else:  # runs in different modes are not comparable
            out["answer_mode"] = self.answer_mode
        if self.answer_mode == LOGLIKELIHOOD:
            from harness.models.loglikelihood import PROMPT_FORMAT

            out["invalid"] = "none: every label is scored and the best is chosen"
            out["prompt_format"] = PROMPT_FORMAT
            out["answer_cue"] = self.settings.answer_cue
        return out

    def _suffixes(self) -> tuple[str, ...]:
        return ("", NORM) if self.answer_mode == LOGLIKELIHOOD else ("",)

    def values(self) -> dict[str, Value]:
        out = {}
        for name in ("accuracy", "macro_f1", "f_avg"):
            if name != "f_avg" or f_avg_defined(self.settings.labels, self.settings.f_avg):
                out.update({name + s: Value() for s in self._suffixes()})
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
        from harness.adapters.answer_modes import parse_structured
        from harness.scoring.labels import parse_label

        aliases = {k: list(v) for k, v in self.settings.aliases.items()}
        labels = self.settings.labels
        out: list[dict[str, Any]] = []
        for item in items:
            if item.prediction is None:
                out.append({})
            elif self.answer_mode == LOGLIKELIHOOD:
                if item.label_scores is None or set(item.label_scores) != set(labels):
                    raise ValueError(f"example {item.id}: log-likelihood mode needs a score for "
                                     f"every label {list(labels)}")
                raw, norm = _chosen(item.label_scores, labels)
                out.append({"parsed_label": raw, "correct": raw == item.fields["label"],
                            "parsed_label_norm": norm,
                            "correct_norm": norm == item.fields["label"],
                            "label_scores": {k: dict(v) for k, v in item.label_scores.items()}})
            else:
                label = (parse_structured(item.prediction, self.settings.verbalizations())
                         if self.answer_mode == STRUCTURED
                         else parse_label(item.prediction, labels, aliases))
                out.append({"parsed_label": label if label is not None else INVALID,
                            "correct": label == item.fields["label"]})
        return out

    def run_details(self, items: Sequence[Item], scores: Sequence[dict[str, Any]]
                    ) -> dict[str, Any]:
        """Log-likelihood mode: how many label scores are only bounds (outside the top k);
        no answer is invalid by construction (errored examples aside)."""
        if self.answer_mode != LOGLIKELIHOOD:
            return {}
        bounded = [sum(bool(v.get("bounded")) for v in s["label_scores"].values())
                   for s in scores if s]
        return {"loglikelihood": {"n_bounded_labels": sum(bounded),
                                  "n_examples_bounded": sum(b > 0 for b in bounded),
                                  "invalid": 0}}

    def _columns(self, records: Sequence[Record], suffix: str = "") -> tuple[list[str], list[str]]:
        return [str(r.get(GOLD_KEY)) for r in records], [_predicted(r, suffix) for r in records]

    def _entries(self, records: Sequence[Record], bootstrap: BootstrapConfig
                 ) -> tuple[dict[str, Entry], dict[str, Any]]:
        from harness.scoring.stance import stance_ci, stance_metrics

        names = list(self.values())
        if not records:
            return {n: entry(None) for n in names}, {}
        values: dict[str, Entry] = {}
        details: dict[str, Any] = {}
        f_avg = self.settings.f_avg
        for suffix in self._suffixes():
            gold, predicted = self._columns(records, suffix)
            point = stance_metrics(gold, predicted, self.settings.labels, f_avg)
            intervals = stance_ci(gold, predicted, self.settings.labels, bootstrap, f_avg)
            for n in names:
                if n.endswith(NORM) == bool(suffix):
                    values[n] = entry(point[n.removesuffix(suffix)],
                                      intervals.get(n.removesuffix(suffix)))
            details.update({"per_class" + suffix: point["per_class"],
                            "confusion_matrix" + suffix: point["confusion_matrix"]})
        return {n: values[n] for n in names}, details

    def aggregate(self, records: Sequence[Record], bootstrap: BootstrapConfig) -> Aggregate:
        values, details = self._entries(records, bootstrap)
        answered_only, answered_details = self._entries(
            [r for r in records if answered(r)], bootstrap)
        return Aggregate(values, answered_only, answered_details or details)

    def example_value(self, record: Record, name: str) -> float | None:
        key = "correct_norm" if name.endswith(NORM) else "correct"
        return 1.0 if answered(record) and (record.get("scores") or {}).get(key) else 0.0

    def paired_test(self, name: str, base: Sequence[Record], candidate: Sequence[Record],
                    config: BootstrapConfig) -> PairedResult:
        from harness.scoring.significance import mcnemar, paired_bootstrap_statistic
        from harness.scoring.stance import stance_statistic

        suffix = NORM if name.endswith(NORM) else ""
        base_name = name.removesuffix(suffix)
        if base_name == "accuracy":
            return mcnemar([self.example_value(r, name) == 1.0 for r in base],
                           [self.example_value(r, name) == 1.0 for r in candidate],
                           metric=name, confidence=config.confidence)
        gold, pred_a = self._columns(base, suffix)
        _, pred_b = self._columns(candidate, suffix)
        labels = self.settings.labels
        return paired_bootstrap_statistic(
            len(gold), stance_statistic(gold, pred_a, labels, base_name, self.settings.f_avg),
            stance_statistic(gold, pred_b, labels, base_name, self.settings.f_avg), config,
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
