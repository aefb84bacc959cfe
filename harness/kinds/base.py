"""The task-kind component: what a row holds, what is gold, what a prompt and a record show.

A kind (summarization, stance, ...) is one module holding one `TaskKind` subclass registered
with `@register_kind("name")`. The data loader, the runner, reports and the comparison views
ask the kind instead of branching on its name, so a new kind is one file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from harness.errors import InputError

if TYPE_CHECKING:
    from harness.tasks.data import Example
    from harness.tasks.spec import TaskSpec

Where = tuple[str, int | None]  # (file or dataset, line) of a row, for error messages


def text_field(value: Any, where: Where, column: str) -> str:
    """A non-empty string, else an input error naming the row and column."""
    if not isinstance(value, str):
        raise InputError(f"expected a string, got {type(value).__name__}",
                         path=where[0], line=where[1], field=column)
    if not value.strip():
        raise InputError("empty text", path=where[0], line=where[1], field=column)
    return value


@dataclass(frozen=True)
class ExampleView:
    """How the comparison page shows one example's inputs: texts, short facts, references."""

    texts: list[tuple[str, str]] = field(default_factory=list)  # (title, long text)
    facts: list[tuple[str, str]] = field(default_factory=list)  # (name, short value)
    references: list[str] = field(default_factory=list)


class TaskKind:
    """One kind of task. `fields` are the row fields (besides `id`) the data must provide."""

    name: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]
    gold: ClassVar[frozenset[str]]  # fields never shown to prompts or adapters
    default_metrics: ClassVar[tuple[str, ...]]
    default_baselines: ClassVar[tuple[str, ...]] = ()  # model specs when a run names none
    label_field: ClassVar[str | None] = None  # labelled kinds: the gold label's field

    def map_row(self, spec: TaskSpec, mapped: dict[str, Any], where: Where) -> dict[str, Any]:
        """Validate and canonicalize a row's fields (raise `InputError` naming the column)."""
        return {name: text_field(mapped[name], where, spec.column(name)) for name in self.fields}

    def labels(self, spec: TaskSpec) -> tuple[str, ...]:
        """The label set of a labelled kind (shown to adapters), () for free-text output."""
        return ()

    def choices(self, spec: TaskSpec) -> dict[str, str]:
        """Each label's verbalization (what a structured answer or a scored continuation says)."""
        return {label: label for label in self.labels(spec)}

    def answer_cue(self, spec: TaskSpec) -> str:
        """The words after which a label is scored as a continuation (log-likelihood mode)."""
        return ""

    def canonical_label(self, spec: TaskSpec, value: Any, where: Where) -> str:
        """A gold label as the label set names it (labelled kinds only)."""
        raise InputError(f"a {self.name} task has no labels", path=where[0], line=where[1])

    def prompt_context(self, spec: TaskSpec, fields: dict[str, Any]) -> dict[str, Any]:
        """Template variables beyond the example's non-gold fields (labelled kinds: `labels`)."""
        labels = self.labels(spec)
        return {"labels": list(labels)} if labels else {}

    def shot_answer(self, spec: TaskSpec, example: Example) -> str:
        """A few-shot example's answer as the model should give it: its gold label (labelled
        kinds), else its first gold text."""
        gold = example.fields[self.label_field] if self.label_field else next(
            example.fields[name] for name in sorted(self.gold))
        return str(gold[0] if isinstance(gold, list) else gold)

    def record(self, example: Example) -> dict[str, Any]:
        """The inputs and gold answers written into each per-example record."""
        return dict(example.fields)

    def task_record(self, spec: TaskSpec, example: Example) -> dict[str, Any]:
        """`record` plus what the task file adds to an example (e.g. a target's wording)."""
        return self.record(example)

    def view(self, record: Mapping[str, Any]) -> ExampleView:
        """What the comparison page shows of a record's inputs."""
        return ExampleView(texts=[(name, str(record.get(name, ""))) for name in self.fields
                                  if name not in self.gold])
