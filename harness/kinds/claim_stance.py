"""Claim stance (news): does a text (a second headline, an article sentence) agree with a claim?

Labels are the dataset's: agree / disagree / other (ANS), or agree / disagree / discuss /
unrelated (FNC-1 style sets). They, their Arabic answer aliases and whether an F_avg exists are
the task's `metrics.stance` settings, so scoring is the dataset's official one: accuracy,
macro-F1 over its classes, the per-class table, F_avg only where `metrics.stance.f_avg` says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from harness.kinds.base import ExampleView, TaskKind, Where, text_field
from harness.kinds.registry import register_kind
from harness.kinds.stance import answer_word, gold_label, stance_settings
from harness.metrics.stance import GOLD_KEY, Stance

if TYPE_CHECKING:
    from harness.tasks.data import Example
    from harness.tasks.spec import TaskSpec


@register_kind("claim_stance")
class ClaimStanceKind(TaskKind):
    fields: ClassVar[tuple[str, ...]] = ("claim", "text", "label")
    gold: ClassVar[frozenset[str]] = frozenset({"label"})
    default_metrics: ClassVar[tuple[str, ...]] = (Stance.name,)
    default_baselines: ClassVar[tuple[str, ...]] = ("majority",)
    label_field: ClassVar[str | None] = "label"

    def map_row(self, spec: TaskSpec, mapped: dict[str, Any], where: Where) -> dict[str, Any]:
        return {
            "claim": text_field(mapped["claim"], where, spec.column("claim")),
            "text": text_field(mapped["text"], where, spec.column("text")),
            "label": self.canonical_label(spec, mapped["label"], where),
        }

    def canonical_label(self, spec: TaskSpec, value: Any, where: Where) -> str:
        return gold_label(spec, value, where)

    def labels(self, spec: TaskSpec) -> tuple[str, ...]:
        return stance_settings(spec).labels

    def shot_answer(self, spec: TaskSpec, example: Example) -> str:
        return answer_word(spec, example.fields["label"])

    def record(self, example: Example) -> dict[str, Any]:
        return {"claim": example.fields["claim"], "text": example.fields["text"],
                GOLD_KEY: example.fields["label"]}

    def view(self, record: Mapping[str, Any]) -> ExampleView:
        return ExampleView(texts=[("Claim", str(record.get("claim", ""))),
                                  ("Text", str(record.get("text", "")))],
                           facts=[("gold", str(record.get(GOLD_KEY, "")))])
