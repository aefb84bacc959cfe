"""Summarization: an article in, a summary out, scored against one or more references."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from harness.errors import InputError
from harness.kinds.base import ExampleView, TaskKind, Where, text_field
from harness.kinds.registry import register_kind

if TYPE_CHECKING:
    from harness.tasks.spec import TaskSpec


@register_kind("summarization")
class Summarization(TaskKind):
    fields: ClassVar[tuple[str, ...]] = ("article", "references")
    gold: ClassVar[frozenset[str]] = frozenset({"references"})
    default_metrics: ClassVar[tuple[str, ...]] = ("rouge", "diagnostics", "checks")
    default_baselines: ClassVar[tuple[str, ...]] = ("lead",)

    def map_row(self, spec: TaskSpec, mapped: dict[str, Any], where: Where) -> dict[str, Any]:
        column = spec.column("references")
        refs = mapped["references"]
        refs = [refs] if isinstance(refs, str) else refs
        if not isinstance(refs, list) or not refs:
            raise InputError("expected a summary string or a non-empty list of summaries",
                             path=where[0], line=where[1], field=column)
        return {
            "article": text_field(mapped["article"], where, spec.column("article")),
            "references": [text_field(r, where, f"{column}[{i}]") for i, r in enumerate(refs)],
        }

    def view(self, record: Mapping[str, Any]) -> ExampleView:
        return ExampleView(texts=[("Article", str(record.get("article", "")))],
                           references=[str(r) for r in record.get("references") or []])
