"""Stance: a text and a target in, a label (favor / against / none, or the task's own set) out.

The label set, its aliases and the targets' prompt wording are the `metrics.stance` settings
(`harness.metrics.stance.StanceSettings`); gold labels are checked against them on load.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from harness.errors import InputError
from harness.kinds.base import ExampleView, TaskKind, Where, text_field
from harness.kinds.registry import register_kind
from harness.metrics.stance import GOLD_KEY, Stance, StanceSettings

if TYPE_CHECKING:
    from harness.tasks.data import Example
    from harness.tasks.spec import TaskSpec


def stance_settings(spec: TaskSpec) -> StanceSettings:
    settings = spec.metric_settings(Stance.name)
    assert isinstance(settings, StanceSettings)
    return settings


def gold_label(spec: TaskSpec, value: Any, where: Where) -> str:
    """A gold label must be in the label set (case-insensitive, or a declared alias)."""
    column = spec.column("label")
    if not isinstance(value, str):
        raise InputError(f"expected a label string, got {type(value).__name__}",
                         path=where[0], line=where[1], field=column)
    settings = stance_settings(spec)
    label = settings.canonical(value)
    if label is None:
        raise InputError(f"label {value!r} is not in the label set {list(settings.labels)}",
                         path=where[0], line=where[1], field=column)
    return label


def answer_word(spec: TaskSpec, label: str) -> str:
    """How a prompt asks for a label: its first alias (e.g. the Arabic word), else the label."""
    return stance_settings(spec).verbalizations()[label]


class LabelledKind(TaskKind):
    """A kind whose answer is one label of the `metrics.stance` label set: text fields in,
    `label` (gold) out. Subclasses name their text fields and how the page shows them."""

    gold: ClassVar[frozenset[str]] = frozenset({"label"})
    default_metrics: ClassVar[tuple[str, ...]] = (Stance.name,)
    default_baselines: ClassVar[tuple[str, ...]] = ("majority",)
    label_field: ClassVar[str | None] = "label"

    def map_row(self, spec: TaskSpec, mapped: dict[str, Any], where: Where) -> dict[str, Any]:
        fields = {name: text_field(mapped[name], where, spec.column(name))
                  for name in self.fields if name != "label"}
        return {**fields, "label": self.canonical_label(spec, mapped["label"], where)}

    def canonical_label(self, spec: TaskSpec, value: Any, where: Where) -> str:
        return gold_label(spec, value, where)

    def labels(self, spec: TaskSpec) -> tuple[str, ...]:
        return stance_settings(spec).labels

    def shot_answer(self, spec: TaskSpec, example: Example) -> str:
        return answer_word(spec, example.fields["label"])

    def record(self, example: Example) -> dict[str, Any]:
        return {**{name: example.fields[name] for name in self.fields if name != "label"},
                GOLD_KEY: example.fields["label"]}

    def choices(self, spec: TaskSpec) -> dict[str, str]:
        return stance_settings(spec).verbalizations()

    def answer_cue(self, spec: TaskSpec) -> str:
        return stance_settings(spec).answer_cue


@register_kind("stance")
class StanceKind(LabelledKind):
    fields: ClassVar[tuple[str, ...]] = ("text", "target", "label")

    def prompt_context(self, spec: TaskSpec, fields: dict[str, Any]) -> dict[str, Any]:
        settings = stance_settings(spec)
        return {**super().prompt_context(spec, fields),
                "target_name": settings.target_names.get(fields["target"], fields["target"])}

    def task_record(self, spec: TaskSpec, example: Example) -> dict[str, Any]:
        record = self.record(example)
        wording = stance_settings(spec).target_names.get(example.fields["target"])
        if wording:
            record["target_name"] = wording  # the Arabic wording the prompt used
        return record

    def view(self, record: Mapping[str, Any]) -> ExampleView:
        target = str(record.get("target", ""))
        if record.get("target_name"):
            target += f" ({record['target_name']})"
        return ExampleView(texts=[("Text", str(record.get("text", "")))],
                           facts=[("target", target),
                                  ("gold", str(record.get(GOLD_KEY, "")))])
