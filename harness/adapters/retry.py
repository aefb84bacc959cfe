"""Which API failures to retry, how long to wait, and a requests-per-minute gate.

Tenacity is the only retry policy (the openai client's own retries are off), so the number of
calls a server sees is exactly what this module decides: transient failures (429, 5xx,
timeouts, dropped connections, malformed or empty answers) are retried with exponential backoff
and jitter, honouring `Retry-After`/`retry-after-ms`; failures that will not heal by waiting
(bad key, unknown model, bad request) are not.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

import openai
from tenacity import RetryCallState

MAX_RETRY_AFTER_S = 300.0


class MalformedResponse(Exception):
    """The server answered 200 with a body that is not a usable chat completion (retryable)."""


class Failure(Enum):
    RETRY = "retry"  # transient: wait and call again
    FATAL = "fatal"  # dooms every request: abort the run (AdapterError)
    EXAMPLE = "example"  # this request only: record the error on the example, no retry


def status_of(exc: BaseException) -> int | None:
    return exc.status_code if isinstance(exc, openai.APIStatusError) else None


def classify(exc: BaseException) -> Failure:
    """Sort an exception raised by one call into retry / fatal / example-only."""
    if isinstance(exc, MalformedResponse | openai.APIConnectionError):  # includes timeouts
        return Failure.RETRY
    status = status_of(exc)
    if status is None:
        return Failure.EXAMPLE
    if status == 429:
        return Failure.FATAL if error_code(exc) == "insufficient_quota" else Failure.RETRY
    if status in (401, 403, 404):
        return Failure.FATAL
    if status in (408, 409) or status >= 500:
        return Failure.RETRY
    return Failure.EXAMPLE


def error_code(exc: BaseException) -> str | None:
    return getattr(exc, "code", None)


def retry_after_s(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, `Retry-After` seconds or date)."""
    response = getattr(exc, "response", None)
    headers: Any = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            seconds = float(raw) * scale
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(raw) if name == "retry-after" else None
            if parsed is None:
                continue
            seconds = parsed.timestamp() - time.time()
        if math.isfinite(seconds):
            return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)
    return None


@dataclass
class BackoffWait:
    """Tenacity wait: the server's Retry-After when given, else exponential backoff + jitter."""

    initial: float = 1.0
    maximum: float = 60.0

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after_s(exc)
        if asked is not None:
            return asked
        exponential = self.initial * 2 ** max(0, state.attempt_number - 1)
        # jitter spreads callers that failed together, so they do not retry together
        return min(self.maximum, exponential + random.uniform(0, self.initial))


class RateGate:
    """Spaces calls to at most `rpm` per minute; a 429's Retry-After pauses every caller."""

    def __init__(self, rpm: float | None = None) -> None:
        if rpm is not None and rpm <= 0:
            raise ValueError(f"rpm must be positive, got {rpm}")
        self.interval = 60.0 / rpm if rpm else 0.0
        self._next_slot = 0.0
        self._paused_until = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        slot = max(now, self._next_slot, self._paused_until)
        if self.interval:
            self._next_slot = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
