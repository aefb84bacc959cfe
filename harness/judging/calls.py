"""Judge questions through the model layer: ask, parse, retry once with the parse error.

The call goes through the judge's adapter (a model-layer `BackendAdapter` caches, retries and
limits it), so a re-run is answered from the cache and a killed run resumes without repeating
a call. An answer that still fails to parse after the retry is *invalid*: recorded with its
reason, never scored and never guessed. A call that fails (no answer after the layer's
retries) is *errored*: not an answer, so nothing is cached and the next run asks again.

A judge whose adapter batches (`batch=true`, set by the run's `--batch`) is asked in rounds,
each one provider batch: every question first, then the retries of the answers that did not
parse; the questions a round finds in the cache are not submitted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.adapters.base import Adapter, GenerationSettings, Request, Response
from harness.errors import ModelError
from harness.judging.parse import JudgeAnswerError
from harness.judging.rubrics import Language, retry_message

if TYPE_CHECKING:
    from harness.batch.run import BatchRun
    from harness.models.adapter import BackendAdapter

ATTEMPTS = 2  # the first answer, and one retry that quotes the parse error


@dataclass
class Usage:
    """The judge's own calls, tokens and cost (kept apart from the evaluated model's)."""

    calls: int = 0
    cached: int = 0
    batch: int = 0  # answers from a provider batch (priced at the batch price)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0

    def add(self, response: Response) -> None:
        self.calls += 1
        self.cached += int(response.cached)
        self.batch += int(response.metadata.get("price_tier") == "batch")
        self.prompt_tokens += response.prompt_tokens or 0
        self.completion_tokens += response.completion_tokens or 0
        cost = response.metadata.get("cost_usd")
        if response.error is not None:
            cost = 0.0  # a failed call brought no answer to pay for
        self.cost_usd = None if cost is None or self.cost_usd is None else self.cost_usd + cost

    def merge(self, other: Usage) -> None:
        for key, value in other.as_dict().items():
            current = getattr(self, key)
            setattr(self, key, None if value is None or current is None else current + value)

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "cached": self.cached, "batch": self.batch,
                "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 10)}


@dataclass(frozen=True)
class Question:
    """One question to a judge, with how its answer is read."""

    example_id: str
    messages: Sequence[Mapping[str, str]]
    parse: Callable[[str], Any]
    generation: GenerationSettings
    language: Language
    response_format: Mapping[str, Any] | None = None


@dataclass
class Verdict:
    """A parsed answer, or why there is none: `invalid` (answered, but unparseable twice) or
    `error` (the call failed: asked again by the next run)."""

    value: Any = None
    invalid: str | None = None
    error: str | None = None
    raw: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


class _Asking:
    """One question's conversation so far and its verdict."""

    def __init__(self, question: Question) -> None:
        self.question = question
        self.history = [dict(m) for m in question.messages]
        self.verdict = Verdict()

    def request(self) -> Request:
        return Request(task="judge", kind="judge", example_id=self.question.example_id,
                       messages=tuple(self.history), fields={},
                       generation=self.question.generation)

    def read(self, response: Response) -> bool:
        """Take one answer; True when the question should be asked again (parse error)."""
        verdict = self.verdict
        verdict.usage.add(response)
        if response.error is not None:
            verdict.error, verdict.invalid = f"judge call failed: {response.error}", None
            return False
        verdict.raw.append(response.text)
        refusal = response.metadata.get("refusal")
        try:
            if refusal:
                raise JudgeAnswerError(f"the judge refused: {refusal}")
            verdict.value, verdict.invalid = self.question.parse(response.text), None
            return False
        except JudgeAnswerError as exc:
            verdict.invalid = str(exc)
            self.history += [{"role": "assistant", "content": response.text},
                             retry_message(self.question.language, str(exc))]
            return True


def _body(adapter: BackendAdapter, request: Request,
          response_format: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a model-layer adapter sends: its request body, with the schema as
    `response_format`."""
    body = adapter.request_body(request)
    return body if response_format is None else {**body, "response_format": dict(response_format)}


async def _generate(adapter: Adapter, request: Request,
                    response_format: Mapping[str, Any] | None) -> Response:
    from harness.models.adapter import BackendAdapter

    try:
        if isinstance(adapter, BackendAdapter):
            return await adapter.client.complete(_body(adapter, request, response_format))
        return await adapter.generate(request)
    except ModelError as exc:
        return Response(text="", error=str(exc))


def batch_of(adapter: Adapter) -> BatchRun | None:
    """The adapter's provider-batch step, when it batches (`batch=true`)."""
    from harness.batch.run import BatchRun

    batch = getattr(adapter, "batch", None)
    return batch if isinstance(batch, BatchRun) else None


async def ask(adapter: Adapter, question: Question) -> Verdict:
    """Ask live; if the answer does not parse, ask again with the error; else invalid."""
    asking = _Asking(question)
    for _ in range(ATTEMPTS):
        response = await _generate(adapter, asking.request(), question.response_format)
        if not asking.read(response):
            break
    return asking.verdict


async def ask_all(adapter: Adapter, questions: Sequence[Question],
                  gate: asyncio.Semaphore) -> list[Verdict]:
    """Every question's verdict: live (`gate` bounds the questions in flight), or in batch
    rounds when the adapter batches."""
    batch = batch_of(adapter)
    if batch is None:
        async def one(question: Question) -> Verdict:
            async with gate:
                return await ask(adapter, question)

        return list(await asyncio.gather(*(one(q) for q in questions)))
    asking = [_Asking(q) for q in questions]
    todo = asking
    for _ in range(ATTEMPTS):  # one batch per round: the retries form the second
        if not todo:
            break
        responses = await batch.answer_all(
            [_body(batch.adapter, a.request(), a.question.response_format) for a in todo],
            purpose="judge")
        todo = [a for a, r in zip(todo, responses, strict=True) if a.read(r)]
    return [a.verdict for a in asking]
