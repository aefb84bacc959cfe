"""Offline baselines: floors every real model must beat, needing no key and no network."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.kinds.base import TaskKind

from harness.adapters.base import Adapter, Request, Response, TaskContext
from harness.adapters.registry import register_adapter
from harness.errors import InputError
from harness.text import ArabicTokenizer


@register_adapter("lead")
class LeadAdapter(Adapter):
    """The first k sentences of the article (LEAD-k), a strong baseline for news."""

    def answers(self, kind: TaskKind) -> bool:
        return "article" in kind.fields and kind.label_field is None

    def __init__(self, name: str | None = None, k: int = 3) -> None:
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise InputError(f"lead: k must be a positive integer, got {k!r}", field="--model")
        super().__init__(name, k=k)
        self.k = k
        self._splitter = ArabicTokenizer()

    async def generate(self, request: Request) -> Response:
        sentences = self._splitter.sentences(str(request.fields["article"]))
        return Response(text="\n".join(sentences[: self.k]))


@register_adapter("majority")
class MajorityAdapter(Adapter):
    """Always answers the most frequent label of the training data (else of the references).

    Ties go to the label listed first in the task's label set, so the answer is deterministic.
    Without a training file the prior is the evaluated references' own labels: an optimistic
    floor, and the report says so (`label_prior_source`).
    """

    def answers(self, kind: TaskKind) -> bool:
        return kind.label_field is not None

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self.answer: str | None = None

    def prepare(self, requests: Sequence[Request], context: TaskContext) -> None:
        if not context.label_prior:
            raise InputError(f"majority: task {context.task!r} has no labels to fit a prior on")
        counts = Counter(context.label_prior)
        self.answer = max(
            context.labels, key=lambda label: (counts[label], -context.labels.index(label))
        )
        self.settings.update(
            label_prior_source=context.label_prior_source,
            label_counts={label: counts[label] for label in context.labels},
            answer=self.answer,
        )

    async def generate(self, request: Request) -> Response:
        assert self.answer is not None, "prepare() must run first"
        return Response(text=self.answer)
