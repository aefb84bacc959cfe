"""Log-likelihood choice's ``chat`` route: teacher forcing on ``/chat/completions``.

Each step is one chat completion with ``max_tokens`` 1, ``logprobs`` and ``top_logprobs`` k:
first the task's messages as they are (the top-k first tokens of the answer, shared by every
label), then, for each distinct label prefix, the same messages plus the prefix as a final
assistant message that the server must continue (assistant prefill). How it is asked for
(model option ``logprobs_prefill``):

- ``continue_final_message`` (default): vLLM's extra body ``continue_final_message: true,
  add_generation_prompt: false`` (newer llama.cpp ``llama-server`` accepts it too);
- ``assistant``: the final assistant message alone (``llama-server`` continues it by default);
- ``never``: never prefill (OpenAI has no prefill): a label's first token is exact and the rest
  counts 0, an upper bound, marked ``bounded``.

Servers are not trusted to continue: a server that closes the final message and opens a new
turn (llama-cpp-python 0.3.36 does, whatever the flags) answers as if the label were a whole
message, silently wrong. So each request prefilling one token checks that the prompt grew by
exactly one token over the first step's (``usage.prompt_tokens``); otherwise the run stops
with an error naming the style. The first check is recorded in the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from harness.adapters.base import Response
from harness.errors import AdapterError
from harness.models.teacher_forcing import StepFailed

if TYPE_CHECKING:
    from harness.models.loglikelihood import LabelScorer

# "never", not "none": a model spec's "none" reads as no value (`registry._coerce`)
PREFILL_STYLES = ("continue_final_message", "assistant", "never")
DEFAULT_PREFILL = "continue_final_message"
CONTINUE_FLAGS = {"continue_final_message": True, "add_generation_prompt": False}


def chat_body(scorer: LabelScorer, messages: Sequence[Mapping[str, str]],
              prefix: str) -> dict[str, Any]:
    """One step's request: the messages, plus the prefix as a final assistant message."""
    backend = scorer.client.backend
    body: dict[str, Any] = {
        "model": backend.model, "messages": [dict(m) for m in messages],
        getattr(backend, "max_tokens_field", "max_tokens"): 1, "temperature": 0.0,
        "logprobs": True, "top_logprobs": scorer.top_k}
    if prefix:
        body["messages"].append({"role": "assistant", "content": prefix})
        if scorer.prefill == "continue_final_message":
            body.update(CONTINUE_FLAGS)
    return body


def top_of(logprobs: Any) -> dict[str, float] | None:
    """The first answer token's top-k (text -> log-probability), or None when absent.

    OpenAI's shape (``content[0].top_logprobs``, each entry's text from its ``bytes`` when
    given), or the legacy one some servers answer chats with (``top_logprobs[0]`` a dict). An
    entry whose bytes are not whole UTF-8 characters keeps its value under a key that matches
    no label (as the generation route treats a byte fragment's empty text)."""
    if not isinstance(logprobs, dict):
        return None
    content = logprobs.get("content")
    if isinstance(content, list) and content and isinstance(content[0], dict):
        entries = content[0].get("top_logprobs")
        if not isinstance(entries, list) or not entries:
            return None
        out: dict[str, float] = {}
        for index, entry in enumerate(entries):
            if isinstance(entry, dict) and isinstance(entry.get("logprob"), int | float):
                out.setdefault(_text(entry) or f"\x00{index}", float(entry["logprob"]))
        return out or None
    legacy = logprobs.get("top_logprobs")
    if isinstance(legacy, list) and legacy and isinstance(legacy[0], dict) and legacy[0]:
        return {str(token): float(value) for token, value in legacy[0].items()}
    return None


def _text(entry: Mapping[str, Any]) -> str:
    raw = entry.get("bytes")
    if isinstance(raw, list) and all(isinstance(b, int) and 0 <= b < 256 for b in raw):
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return ""
    return str(entry.get("token") or "")


class ChatSteps:
    """One example's teacher-forcing steps (`loglikelihood.Step`) on one scorer."""

    def __init__(self, scorer: LabelScorer, messages: Sequence[Mapping[str, str]],
                 responses: list[Response]) -> None:
        self.scorer, self.messages, self.responses = scorer, messages, responses
        self.first: tuple[dict[str, float], int | None] | None = None  # top-k, prompt tokens

    async def __call__(self, prefix: str) -> dict[str, float] | None:
        scorer = self.scorer
        if prefix and scorer.prefill == "never":
            return None
        body = chat_body(scorer, self.messages, prefix)
        response = await scorer.client.complete(body, route="logprobs")
        scorer.calls += not response.cached
        self.responses.append(response)
        if response.error:
            raise StepFailed(response.error, response.attempts)
        top = top_of(response.metadata.get("logprobs"))
        if top is None:
            raise AdapterError(f"{scorer.where} returned no top log-probabilities (the answer "
                               "has no `logprobs.content[0].top_logprobs`): logprobs_route chat "
                               "needs a server that returns them (llama.cpp: "
                               "LOCAL_LLM_LOGITS_ALL=true)")
        if not prefix:
            self.first = (top, response.prompt_tokens)
        elif self.first is not None and prefix in self.first[0]:  # a one-token prefill
            self._check(prefix, self.first[1], response.prompt_tokens)
        return top

    def _check(self, prefix: str, before: int | None, after: int | None) -> None:
        """Did the server continue the final assistant message (prompt = first step's + 1)?"""
        scorer = self.scorer
        continued = before is not None and after is not None and after - before == 1
        if scorer.prefill_check is None:
            scorer.prefill_check = {"prefill": prefix, "prompt_tokens": before,
                                    "prompt_tokens_prefilled": after, "continued": continued}
        if continued:
            return
        advice = ("use a server that continues a final assistant message (vLLM: "
                  "logprobs_prefill=continue_final_message; llama.cpp's llama-server: "
                  "assistant), or logprobs_prefill=never (each label's first token exact, the "
                  "rest bounded)")
        if before is None or after is None:
            raise AdapterError(f"{scorer.where} reports no usage.prompt_tokens, so the harness "
                               "cannot check that it continues a final assistant message "
                               f"(logprobs_prefill={scorer.prefill}): {advice}")
        raise AdapterError(
            f"{scorer.where} did not continue the final assistant message "
            f"(logprobs_prefill={scorer.prefill}): prefilling the one token {prefix!r} grew "
            f"the prompt from {before} to {after} tokens, not by 1 (it closed the message "
            f"and opened a new turn, or changed the prompt): refusing its values; {advice}")
