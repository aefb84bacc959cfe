"""One judge question through the model layer: ask, parse, retry once with the parse error.

The call goes through the judge's adapter (a model-layer `BackendAdapter` caches, retries and
limits it), so a re-run is answered from the cache and a killed run resumes without repeating
a call. An answer that still fails to parse after the retry is *invalid*: recorded with its
reason, never scored and never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.adapters.base import Adapter, GenerationSettings, Request, Response
from harness.errors import ModelError
from harness.judging.parse import JudgeAnswerError
from harness.judging.rubrics import Language, retry_message

ATTEMPTS = 2  # the first answer, and one retry that quotes the parse error


@dataclass
class Usage:
    """The judge's own calls, tokens and cost (kept apart from the evaluated model's)."""

    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0

    def add(self, response: Response) -> None:
        self.calls += 1
        self.cached += int(response.cached)
        self.prompt_tokens += response.prompt_tokens or 0
        self.completion_tokens += response.completion_tokens or 0
        cost = response.metadata.get("cost_usd")
        self.cost_usd = None if cost is None or self.cost_usd is None else self.cost_usd + cost

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "cached": self.cached, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 10)}


@dataclass
class Verdict:
    """A parsed answer, or why there is none (`invalid`: unparseable twice or call failed)."""

    value: Any = None
    invalid: str | None = None
    raw: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


async def _generate(adapter: Adapter, request: Request,
                    response_format: Mapping[str, Any] | None) -> Response:
    """The adapter's answer; with a schema, sent as `response_format` on model-layer backends."""
    from harness.models.adapter import BackendAdapter

    try:
        if response_format is not None and isinstance(adapter, BackendAdapter):
            body = {**adapter.request_body(request), "response_format": dict(response_format)}
            return await adapter.client.complete(body)
        return await adapter.generate(request)
    except ModelError as exc:
        return Response(text="", error=str(exc))


async def ask(adapter: Adapter, *, example_id: str, messages: Sequence[Mapping[str, str]],
              parse: Callable[[str], Any], generation: GenerationSettings, language: Language,
              response_format: Mapping[str, Any] | None = None) -> Verdict:
    """Ask once; if the answer does not parse, ask again with the error; else invalid."""
    verdict = Verdict()
    history = [dict(m) for m in messages]
    for _ in range(ATTEMPTS):
        request = Request(task="judge", kind="judge", example_id=example_id,
                          messages=tuple(history), fields={}, generation=generation)
        response = await _generate(adapter, request, response_format)
        verdict.usage.add(response)
        if response.error is not None:
            verdict.invalid = f"judge call failed: {response.error}"
            return verdict
        verdict.raw.append(response.text)
        refusal = response.metadata.get("refusal")
        try:
            if refusal:
                raise JudgeAnswerError(f"the judge refused: {refusal}")
            verdict.value = parse(response.text)
            verdict.invalid = None
            return verdict
        except JudgeAnswerError as exc:
            verdict.invalid = str(exc)
            history += [{"role": "assistant", "content": response.text},
                        retry_message(language, str(exc))]
    return verdict
