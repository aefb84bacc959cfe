"""Claim stance (news): does a text (a second headline, an article sentence) agree with a claim?

Labels are the dataset's: agree / disagree / other (ANS), or agree / disagree / discuss /
unrelated (FNC-1 style sets). They, their Arabic answer aliases and whether an F_avg exists are
the task's `metrics.stance` settings, so scoring is the dataset's official one: accuracy,
macro-F1 over its classes, the per-class table, F_avg only where `metrics.stance.f_avg` says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from harness.kinds.base import ExampleView
from harness.kinds.registry import register_kind
from harness.kinds.stance import LabelledKind
from harness.metrics.stance import GOLD_KEY


@register_kind("claim_stance")
class ClaimStanceKind(LabelledKind):
    fields: ClassVar[tuple[str, ...]] = ("claim", "text", "label")

    def view(self, record: Mapping[str, Any]) -> ExampleView:
        return ExampleView(texts=[("Claim", str(record.get("claim", ""))),
                                  ("Text", str(record.get("text", "")))],
                           facts=[("gold", str(record.get(GOLD_KEY, "")))])
