"""The bare model call a backend implements, and the failures it may raise.

A backend turns one request body (a JSON-able dict, also hashed for the cache key) into one
`Completion`, or raises. Everything else (cache, retries, rate and concurrency limits, cost)
is the model layer's (`harness.models.layer`), so every backend gets it without writing it.

Failures are sorted by class, because only the backend knows what its errors mean:
`TransientError` is retried, `FatalError` stops the run, any other `ModelError` fails this
example only. Python's own `TimeoutError`/`ConnectionError` count as transient. Any other
exception is a bug and propagates with its traceback.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar

from harness.adapters.answer_modes import STRUCTURED, response_format
from harness.adapters.base import Request
from harness.errors import InputError, ModelError

__all__ = ["Backend", "Completion", "FatalError", "ModelError", "RateLimited", "TransientError",
           "Unreachable"]


@dataclass
class Completion:
    """One answer; tokens are None when the model did not report them (cost is then unknown)."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)  # finish_reason, response model...


class TransientError(ModelError):
    """Will likely heal by waiting: retried with backoff (or after `retry_after` seconds)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(TransientError):
    """The endpoint asked every caller to slow down: `retry_after` pauses all calls."""


class Unreachable(TransientError):
    """The endpoint cannot be reached; if it never answered, the run stops after the retries."""


class FatalError(ModelError):
    """Dooms every request (wrong key, unknown model): the run stops with this message."""


# Exceptions outside ModelError that still mean "the network failed", not "our code failed".
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (TimeoutError, ConnectionError)


def check_positive(value: Any, option: str, *, optional: bool = False) -> None:
    """Options are numbers > 0; the error names the option as the user wrote it."""
    if value is None and optional:
        return
    if (not isinstance(value, int | float) or isinstance(value, bool)
            or not 0 < value < float("inf")):  # NaN fails too
        raise InputError(f"must be a positive finite number, got {value!r}", field=option)


class Backend(abc.ABC):
    """A model endpoint: the bare call, plus what identifies it in the cache and the report.

    Subclasses take their own keyword options (the `--model` spec's `key=value` pairs) after
    `model`, and must never accept or store a secret in them.
    """

    kinds: ClassVar[frozenset[str]] = frozenset({"summarization", "stance"})
    # The request body's name for the completion budget (some APIs want max_completion_tokens).
    max_tokens_field: str = "max_tokens"
    # How structured mode asks for JSON (harness.adapters.answer_modes.SCHEMA_STYLES).
    schema_style: str = "json_schema"

    def __init__(self, model: str) -> None:
        self.model = model

    @property
    def endpoint(self) -> str:
        """Where calls go, without credentials: hashed into every cache key."""
        return ""

    def settings(self) -> dict[str, Any]:
        """What the report records about this backend; extend it, never with a secret."""
        return {"model": self.model, "endpoint": self.endpoint}

    def request_body(self, request: Request) -> dict[str, Any]:
        """Exactly what is sent and hashed: a chat-completions body from the request."""
        gen = request.generation
        body: dict[str, Any] = {
            "model": self.model, "messages": [dict(m) for m in request.messages],
            "temperature": gen.temperature, "top_p": gen.top_p,
            self.max_tokens_field: gen.max_tokens,
        }
        if gen.seed is not None:
            body["seed"] = gen.seed
        if gen.stop:
            body["stop"] = list(gen.stop)
        if request.answer_mode == STRUCTURED:
            body["response_format"] = response_format(request.choices, self.schema_style)
        return body

    @abc.abstractmethod
    async def complete(self, body: dict[str, Any]) -> Completion:
        """Make one call; raise a `ModelError` subclass to say how a failure should be handled."""

    async def complete_prompt(self, body: dict[str, Any]) -> Completion:
        """Optional: a legacy text completion (``prompt``, ``echo``, ``logprobs``) with the
        choice's ``logprobs`` in ``metadata["logprobs"]``; log-likelihood mode needs it."""
        raise FatalError(f"{self.endpoint or type(self).__name__} has no text-completion route "
                         "with log-probabilities (answer_mode loglikelihood needs one)")

    async def complete_logprobs(self, body: dict[str, Any]) -> Completion:
        """Optional: a chat completion (``logprobs``, ``top_logprobs``) whose choice's
        ``logprobs`` is in ``metadata["logprobs"]``, even when its text is empty (a one-token
        answer may be a byte fragment); log-likelihood mode's chat route needs it."""
        raise FatalError(f"{self.endpoint or type(self).__name__} has no chat route with "
                         "log-probabilities (logprobs_route chat needs one)")

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections; called once after the last request."""
