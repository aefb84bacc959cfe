"""Log-likelihood choice: each label's verbalization scored as a continuation of the prompt.

Three routes, through the model layer, so every request is cached and retried like a chat
call; the first two on legacy text completions (``/completions``):

- ``echo``: one request per label, prompt + continuation with ``echo`` and ``logprobs``; the
  continuation's prompt log-probabilities are summed (what vLLM computes correctly).
- ``generation``: teacher forcing with generation-time log-probabilities: ``max_tokens`` 1 and
  ``logprobs`` k (the top-k next tokens), first after the prompt (one request shared by every
  label), then after each distinct prefix of the labels read so far, so labels sharing a
  prefix share requests. When a label's next piece is not among the top k, its step counts
  the least top-k value or the probability mass left outside the top k, whichever is lower:
  an upper bound on the true value, marked ``bounded`` on that label and counted in the report.
- ``chat``: the same teacher forcing on ``/chat/completions`` (the chat template applied, so
  chat models and chat-only servers can be scored), a label's partial text sent as a final
  assistant message to continue (`harness.models.loglikelihood_chat`).

For echo and generation the prompt is the chat messages' contents joined by blank lines (no
chat template: the raw text a base model continues), then the task's answer cue
(`metrics.stance.answer_cue`, "الإجابة:"), after which each label follows a space. Servers
are not trusted: at the first request ``auto`` and ``echo`` compare the echoed
log-probability of the prompt's last token with the generation-time one; if they disagree
(llama-cpp-python 0.3.36 echoes values near log(1/vocab)) ``echo`` is refused with an error
and ``auto`` uses ``generation``. The check echoes only the prompt's first `CHECK_CHARS`
characters. ``auto`` never picks ``chat``: its values (after the chat template) are not
comparable with the other two routes'.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from harness.adapters.base import Request, Response
from harness.errors import AdapterError
from harness.gathering import gather_or_cancel
from harness.models.teacher_forcing import StepFailed, label_score, teacher_force

if TYPE_CHECKING:
    from harness.models.layer import ModelClient

ROUTES = ("auto", "echo", "generation", "chat")
TOP_K = 20  # OpenAI's maximum for top log-probabilities
CHECK_CHARS = 160  # the echo check runs on the prompt's start
CHECK_TOKENS = 4  # prompt tokens tried, latest first, for one in the generation-time top k
ECHO_TOLERANCE = 0.05  # nats between an echoed and a generation-time value of one token


# How echo and generation frame a choice (recorded in reports: a change here bumps it).
PROMPT_FORMAT = ("2: the messages' contents joined by blank lines, a newline, the answer cue; "
                 "each label after one space (no space without a cue)")


def prompt_text(messages: Sequence[Mapping[str, str]], cue: str = "") -> str:
    """The raw text a continuation is scored after: the prompt, then the answer cue."""
    return "\n\n".join(str(m.get("content", "")) for m in messages) + "\n" + cue


def continuations(choices: Mapping[str, str], cue: str) -> dict[str, str]:
    """Each label's text as scored after `prompt_text`: a space after a cue ("Answer: yes")."""
    return {label: (" " if cue else "") + text for label, text in choices.items()}


class LabelScorer:
    """Scores a request's choices on one client; decides and remembers the route."""

    def __init__(self, client: ModelClient, route: str = "auto", top_k: int = TOP_K,
                 prefill: str | None = None) -> None:
        """``route``: auto (echo if the server's echo passes the check, else generation),
        echo (refused if the check fails), generation or chat (``prefill``: how a partial
        label is continued there, `loglikelihood_chat.PREFILL_STYLES`)."""
        from harness.errors import InputError
        from harness.models.loglikelihood_chat import DEFAULT_PREFILL, PREFILL_STYLES

        if route not in ROUTES:
            raise InputError(f"must be one of {', '.join(ROUTES)}, got {route!r}",
                             field="logprobs_route")
        if prefill is not None and route != "chat":
            raise InputError("applies to logprobs_route=chat only", field="logprobs_prefill")
        if (prefill or DEFAULT_PREFILL) not in PREFILL_STYLES:
            raise InputError(f"must be one of {', '.join(PREFILL_STYLES)}, got {prefill!r}",
                             field="logprobs_prefill")
        self.client = client
        self.requested = route
        self.top_k = top_k
        self.prefill = prefill or DEFAULT_PREFILL
        self.route: str | None = "chat" if route == "chat" else None  # else decided at first
        self.echo_check: dict[str, Any] | None = None
        self.prefill_check: dict[str, Any] | None = None  # the chat route's first check
        self._decided = asyncio.Lock()
        self.calls = 0

    @property
    def where(self) -> str:
        """The endpoint named in errors."""
        path = "/chat/completions" if self.route == "chat" else "/completions"
        return f"{self.client.backend.endpoint or type(self.client.backend).__name__}{path}"

    def info(self) -> dict[str, Any] | None:
        """What the report records under `model.loglikelihood`, once the route is decided."""
        if self.route is None:
            return None
        out: dict[str, Any] = {"route": self.route, "requested": self.requested,
                               "echo_check": self.echo_check}
        if self.route == "chat":
            out.update(prefill=self.prefill, prefill_check=self.prefill_check, top_k=self.top_k)
        return out

    def _prompt_body(self, prompt: str, *, echo: bool, top: int) -> dict[str, Any]:
        return {"model": self.client.backend.model, "prompt": prompt, "max_tokens": 1,
                "temperature": 0.0, "logprobs": top, "echo": echo}

    def first_body(self, request: Request) -> dict[str, Any]:
        """The first request scoring `request` sends (what a dry run shows): the step every
        label shares."""
        if self.requested == "chat":
            from harness.models.loglikelihood_chat import chat_body

            return chat_body(self, request.messages, "")
        return self._prompt_body(prompt_text(request.messages, request.answer_cue),
                                 echo=self.requested == "echo", top=self.top_k)

    async def _call(self, prompt: str, *, echo: bool, top: int) -> tuple[Response, dict[str, Any]]:
        body = self._prompt_body(prompt, echo=echo, top=top)
        response = await self.client.complete(body, route="prompt")
        self.calls += not response.cached
        if response.error:
            return response, {}
        logprobs = response.metadata.get("logprobs")
        if not isinstance(logprobs, dict) or not logprobs.get("token_logprobs"):
            raise AdapterError(f"{self.where} returned no log-probabilities (the answer has no "
                               "`logprobs.token_logprobs`): log-likelihood mode needs a server "
                               "that returns them (llama.cpp: LOCAL_LLM_LOGITS_ALL=true)")
        if not echo and not logprobs.get("top_logprobs"):
            raise AdapterError(f"{self.where} returned no top log-probabilities "
                               "(`logprobs.top_logprobs`): the generation route needs them")
        return response, logprobs

    async def _decide(self, prompt: str) -> None:
        """First request: does the echoed last prompt token match its generation-time value?"""
        async with self._decided:
            if self.route is not None:
                return
            if self.requested == "generation":
                self.route = "generation"
                return
            # a short probe: echoing a long prompt is slow on some servers (llama-cpp-python
            # ranks the whole vocabulary for every echoed token, in Python)
            prompt = prompt[:CHECK_CHARS]
            response, echoed = await self._call(prompt, echo=True, top=1)
            if response.error:
                raise AdapterError(f"{self.where}: {response.error}")
            offsets, values = echoed.get("text_offset") or [], echoed["token_logprobs"]
            tokens = echoed.get("tokens") or []
            # the prompt's last whole tokens (a byte fragment's text is "": not comparable),
            # latest first, until one is among the generation-time top k
            candidates = [i for i, o in enumerate(offsets) if o < len(prompt)
                          and 0 < i < len(values) and values[i] is not None
                          and str(tokens[i]).strip()][-CHECK_TOKENS:][::-1]
            if not candidates:
                raise AdapterError(f"{self.where} echoed no prompt log-probabilities")
            for i in candidates:
                token, value = str(tokens[i]), float(values[i])
                response, generated = await self._call(prompt[: offsets[i]], echo=False,
                                                       top=self.top_k)
                if response.error:
                    raise AdapterError(f"{self.where}: {response.error}")
                expected = dict(generated["top_logprobs"][0] or {}).get(token)
                if expected is not None:
                    break
            agree = expected is not None and abs(value - expected) <= ECHO_TOLERANCE
            self.echo_check = {"token": token, "echoed": value, "generated": expected,
                               "agree": agree}
            if agree:
                self.route = "echo"
                return
            seen = (f"absent from the top {self.top_k}" if expected is None
                    else f"{expected:.4f}")
            message = (f"{self.where}: echoed prompt log-probabilities disagree with "
                       f"generation-time ones (last prompt token {token!r}: echoed {value:.4f}, "
                       f"generated {seen})")
            if self.requested == "echo":
                raise AdapterError(message + ": refusing the echo route; use "
                                   "logprobs_route=generation")
            self.route = "generation"

    async def score(self, request: Request) -> Response:
        prompt = "" if self.route == "chat" else prompt_text(request.messages, request.answer_cue)
        if self.route is None:
            await self._decide(prompt)
        responses: list[Response] = []
        choices = continuations(request.choices, request.answer_cue)
        try:
            if self.route == "echo":
                scores = await self._by_echo(prompt, choices, responses)
            elif self.route == "chat":
                from harness.models.loglikelihood_chat import ChatSteps

                steps = ChatSteps(self, request.messages, responses)
                scores = await teacher_force(request.choices, steps)
            else:
                async def step(prefix: str) -> Mapping[str, float]:
                    got = await self._checked(prompt + prefix, echo=False, top=self.top_k,
                                              responses=responses)
                    return dict(got["top_logprobs"][0] or {})

                scores = await teacher_force(choices, step)
        except StepFailed as failed:
            return Response(text="", error=failed.message, attempts=failed.attempts)
        return Response(
            text="", latency_s=sum(r.latency_s for r in responses),
            prompt_tokens=_total([r.prompt_tokens for r in responses]),
            completion_tokens=_total([r.completion_tokens for r in responses]),
            cached=all(r.cached for r in responses), attempts=sum(r.attempts for r in responses),
            metadata={"label_scores": scores, "loglikelihood_route": self.route,
                      "requests": len(responses), "finish_reason": "scored",
                      "cost_usd": _cost(responses)})

    async def _checked(self, prompt: str, *, echo: bool, top: int,
                       responses: list[Response]) -> dict[str, Any]:
        response, logprobs = await self._call(prompt, echo=echo, top=top)
        responses.append(response)
        if response.error:
            raise StepFailed(response.error, response.attempts)
        return logprobs

    async def _by_echo(self, prompt: str, choices: Mapping[str, str],
                       responses: list[Response]) -> dict[str, dict[str, Any]]:
        async def one(continuation: str) -> dict[str, Any]:
            full = prompt + continuation
            got = await self._checked(full, echo=True, top=1, responses=responses)
            offsets, values = got.get("text_offset") or [], got["token_logprobs"]
            ends = [*offsets[1:], len(full)]
            picked = [v for o, e, v in zip(offsets, ends, values, strict=False)
                      if (o >= len(prompt) or e > len(prompt)) and o < len(full)]
            if not picked or any(v is None for v in picked):
                raise AdapterError(f"{self.where} echoed no log-probabilities for the "
                                   f"continuation {continuation!r}")
            return label_score(sum(float(v) for v in picked), continuation, len(picked), False)

        done = await gather_or_cancel(one(c) for c in choices.values())
        return dict(zip(choices, done, strict=True))


def _total(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _cost(responses: list[Response]) -> float | None:
    costs = [r.metadata.get("cost_usd") for r in responses]
    return None if not costs or None in costs else round(sum(costs), 10)  # type: ignore[arg-type]
