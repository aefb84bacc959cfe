"""The model layer: any `Backend` behind the response cache, retries, limits and cost.

Evaluations are long and paid for, so every answer is cached (and committed) the moment it
arrives, transient failures are retried by one tenacity policy, calls are spaced (`rpm`) and
capped (`max_concurrency`), and each answer's cost comes from one price table. A failure that
dooms every request aborts the run with an `AdapterError`; one that dooms a single request
becomes that example's error; anything else is a bug and propagates.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from harness.adapters.base import Response
from harness.errors import AdapterError, InputError
from harness.models.backend import (
    TRANSPORT_ERRORS,
    Backend,
    FatalError,
    ModelError,
    RateLimited,
    TransientError,
    Unreachable,
    check_positive,
)
from harness.models.cache import CachedAnswer, ResponseCache, cache_key
from harness.models.pricing import Price, PriceTable, load_prices, parse_price
from harness.models.reasoning import join_reasoning, split_reasoning
from harness.models.retry import BackoffWait, RateGate

# Options every backend adapter takes; the rest of a spec's options go to the backend.
LAYER_OPTIONS = ("rpm", "max_attempts", "backoff", "max_backoff", "max_concurrency", "cache",
                 "cache_dir", "refresh", "price", "prices")
# This many rejected requests before any success means the settings are wrong.
REJECTIONS_BEFORE_ABORT = 3
MODEL_FAILURES: tuple[type[BaseException], ...] = (ModelError, *TRANSPORT_ERRORS)


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, (TransientError, *TRANSPORT_ERRORS))


def _message(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, ModelError) else f"{type(exc).__name__}: {exc}"


class ModelClient:
    """One backend with cache, retries, rate and concurrency limits, and per-call cost."""

    def __init__(
        self, backend: Backend, *, rpm: float | None = None, max_attempts: int = 6,
        backoff: float = 1.0, max_backoff: float = 60.0, max_concurrency: int | None = None,
        cache: bool = True, cache_dir: str | None = None, refresh: bool = False,
        price: Mapping[str, Any] | None = None, prices: str | None = None,
    ) -> None:
        for option, value in (("rpm", rpm), ("max_attempts", max_attempts),
                              ("backoff", backoff), ("max_backoff", max_backoff),
                              ("max_concurrency", max_concurrency)):
            check_positive(value, option, optional=option in ("rpm", "max_concurrency"))
        for option, value in (("max_attempts", max_attempts), ("max_concurrency", max_concurrency)):
            if value is not None and value != int(value):
                raise InputError(f"must be a whole number, got {value!r}", field=option)
        self.backend = backend
        self.rpm = rpm
        self.max_attempts = int(max_attempts)
        self.max_concurrency = None if max_concurrency is None else int(max_concurrency)
        self._wait = BackoffWait(initial=backoff, maximum=max_backoff)
        self._gate = RateGate(rpm)
        self.price: Price | None = (
            parse_price(price, model=backend.model) if price is not None
            else PriceTable(load_prices(prices) if prices else None).lookup(backend.model))
        self.refresh = bool(refresh)
        self.cache_path = ResponseCache.path_in(cache_dir) if cache else None
        self._cache: ResponseCache | None = None
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self._successes = 0
        self._rejections = 0

    def settings(self) -> dict[str, Any]:
        """The layer's part of the report's model settings."""
        return {
            "rpm": self.rpm, "max_attempts": self.max_attempts, "backoff": self._wait.initial,
            "max_backoff": self._wait.maximum, "max_concurrency": self.max_concurrency,
            "cache": str(self.cache_path) if self.cache_path else None, "refresh": self.refresh,
            "price_usd_per_1m": (None if self.price is None
                                 else {"input": self.price.input, "output": self.price.output}),
        }

    def cache_key(self, body: dict[str, Any], route: str = "chat") -> str:
        endpoint = self.backend.endpoint if route == "chat" else f"{self.backend.endpoint}#{route}"
        return cache_key(endpoint, body)

    async def complete(self, body: dict[str, Any], route: str = "chat") -> Response:
        """The cached answer, else a fresh one (retried); an errored Response if it failed.

        ``route`` "prompt" makes a text completion (`Backend.complete_prompt`) instead of a chat,
        "logprobs" a chat completion read for its log-probabilities (`Backend.complete_logprobs`).
        """
        key = self.cache_key(body, route)
        cache = self._response_cache()
        started = time.perf_counter()
        if cache is not None and not self.refresh:
            hit = await self._cached_or_claimed(cache, key)
            if hit is not None:
                response = self._response(hit, cached=True, attempts=0)
                # this run's latency is the lookup; the first call's is kept beside it
                response.metadata["original_latency_s"] = hit.latency_s
                response.latency_s = time.perf_counter() - started
                return response
        try:
            response = await self._fetch(body, key, cache, route)  # storing drops the claim
        except BaseException:
            if cache is not None:
                cache.release(key)  # Ctrl-C, or a failure that stops the run
            raise
        if response.error and cache is not None:
            cache.release(key)  # an errored example: another process may try it
        return response

    async def _cached_or_claimed(self, cache: ResponseCache, key: str) -> CachedAnswer | None:
        """The cached answer, else None once this process holds the key's claim; while
        another process holds it (it is fetching this answer), wait for its answer."""
        pause = 0.02
        while True:
            hit = cache.get(key)
            if hit is not None:
                return hit
            if cache.claim(key):
                hit = cache.get(key)  # answered between the two looks: use it
                if hit is not None:
                    cache.release(key)
                return hit
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)

    async def _fetch(self, body: dict[str, Any], key: str, cache: ResponseCache | None,
                     route: str = "chat") -> Response:
        started = time.perf_counter()
        attempts = 0

        def count(state: RetryCallState) -> None:
            nonlocal attempts
            attempts = state.attempt_number

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, RateLimited) and exc.retry_after:
                self._gate.pause(exc.retry_after)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts), wait=self._wait, reraise=True,
            retry=retry_if_exception(_transient), before=count, before_sleep=before_sleep,
        )
        try:
            answer: CachedAnswer = await retrying(self._call_once, body, route)
        except MODEL_FAILURES as exc:
            return self._failed(exc, attempts, time.perf_counter() - started)
        self._successes += 1
        if cache is not None:
            cache.put(key, self.backend.model, answer)
        response = self._response(answer, cached=False, attempts=attempts)
        response.metadata["wall_s"] = round(time.perf_counter() - started, 6)
        return response

    async def _call_once(self, body: dict[str, Any], route: str = "chat") -> CachedAnswer:
        async with self._slot():
            await self._gate.wait()
            started = time.perf_counter()
            call = {"prompt": self.backend.complete_prompt,
                    "logprobs": self.backend.complete_logprobs}.get(route, self.backend.complete)
            done = await call(body)
            latency = time.perf_counter() - started
        return CachedAnswer(done.text, done.prompt_tokens, done.completion_tokens, latency,
                            dict(done.metadata))

    def _slot(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """The concurrency cap for the running loop (a semaphore belongs to one loop)."""
        if self.max_concurrency is None:
            return contextlib.nullcontext()
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            self._slots = (loop, asyncio.Semaphore(self.max_concurrency))
        return self._slots[1]

    def _response_cache(self) -> ResponseCache | None:
        if self._cache is None and self.cache_path is not None:
            self._cache = ResponseCache(self.cache_path)
        return self._cache

    def response_cache(self) -> ResponseCache | None:
        """The open cache (None with cache=false), for steps that fill it in bulk (batches)."""
        return self._response_cache()

    def price_for(self, answer: CachedAnswer) -> Price | None:
        """The list price, or the batch price for an answer from a provider's batch API."""
        if answer.metadata.get("price_tier") == "batch":
            return self.price.batch() if self.price else None
        return self.price

    def response(self, answer: CachedAnswer, *, cached: bool, attempts: int) -> Response:
        return self._response(answer, cached=cached, attempts=attempts)

    def _response(self, answer: CachedAnswer, *, cached: bool, attempts: int) -> Response:
        price = self.price_for(answer)
        cost = price.cost(answer.prompt_tokens, answer.completion_tokens) if price else None
        text, thinking = split_reasoning(answer.text)  # thinking is kept, never scored
        metadata = {**answer.metadata, "cost_usd": None if cost is None else round(cost, 10)}
        reasoning = join_reasoning(answer.metadata.get("reasoning"), thinking)
        if reasoning is not None:
            metadata["reasoning"] = reasoning
        return Response(
            text=text, latency_s=answer.latency_s, prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens, cached=cached, attempts=attempts,
            metadata=metadata,
        )

    def _failed(self, exc: BaseException, attempts: int, elapsed: float) -> Response:
        """This example's error, or AdapterError when the failure dooms every request."""
        message = _message(exc)
        where = self.backend.endpoint or type(self.backend).__name__
        if isinstance(exc, FatalError):
            raise AdapterError(message) from None
        if not self._successes:
            if isinstance(exc, Unreachable | ConnectionError):
                raise AdapterError(f"cannot connect to {where} after {attempts} attempts "
                                   f"({message}): is the server running and its address "
                                   "(base_url) right?") from None
            if not _transient(exc):
                self._rejections += 1
                if self._rejections >= REJECTIONS_BEFORE_ABORT:
                    raise AdapterError(f"{where} rejected the first {self._rejections} "
                                       f"requests for {self.backend.model!r} and accepted "
                                       f"none: {message}") from None
        if _transient(exc):
            message = f"gave up after {attempts} attempts: {message}"
        return Response(text="", error=message, attempts=attempts, latency_s=elapsed)

    async def aclose(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None
