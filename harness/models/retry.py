"""How long to wait before a retry, and a requests-per-minute gate shared by all callers.

Tenacity is the only retry policy (backend clients' own retries should be off), so the number
of calls an endpoint sees is exactly what the model layer decides. Waits follow the server's
`Retry-After`/`retry-after-ms` when a `TransientError` carries one, else exponential backoff
with jitter.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.models.backend import TransientError

if TYPE_CHECKING:
    from tenacity import RetryCallState

MAX_RETRY_AFTER_S = 300.0


def retry_after_s(headers: Mapping[str, str] | None) -> float | None:
    """Seconds an HTTP answer asked us to wait (`retry-after-ms`, `Retry-After` seconds or date).

    For HTTP backends: pass the result to `TransientError(..., retry_after=...)`.
    """
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            seconds = float(raw) * scale
        except ValueError:
            try:
                parsed = email.utils.parsedate_to_datetime(raw) if name == "retry-after" else None
            except (TypeError, ValueError):
                parsed = None
            if parsed is None:
                continue
            seconds = parsed.timestamp() - time.time()
        if math.isfinite(seconds):
            return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)
    return None


def asked_wait(exc: BaseException | None) -> float | None:
    """The wait a transient failure asked for, if any."""
    return exc.retry_after if isinstance(exc, TransientError) else None


@dataclass
class BackoffWait:
    """Tenacity wait: the server's Retry-After when given, else exponential backoff + jitter."""

    initial: float = 1.0
    maximum: float = 60.0

    def __call__(self, state: RetryCallState) -> float:
        asked = asked_wait(state.outcome.exception() if state.outcome else None)
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
