"""`--model openai:MODEL`: any OpenAI-compatible chat server (OpenAI, vLLM, llama.cpp, Ollama).

Evaluations are long and paid for, so every answer is cached (and committed) the moment it
arrives, transient failures are retried by one policy (`retry.py`; the client's own retries are
off), failures that doom the run abort it at once with an `AdapterError`, and the API key is
read from the environment and never stored, logged or reported.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from typing import Any

import openai
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from harness.adapters.base import Adapter, Request, Response
from harness.adapters.cache import CachedAnswer, ResponseCache, cache_key, public_base_url
from harness.adapters.models_config import generation_overrides
from harness.adapters.pricing import Price, PriceTable, load_prices, parse_price
from harness.adapters.registry import register_adapter
from harness.adapters.retry import (
    BackoffWait,
    Failure,
    MalformedResponse,
    RateGate,
    classify,
    error_code,
    retry_after_s,
    status_of,
)
from harness.errors import AdapterError, InputError

OPENAI_BASE_URL = "https://api.openai.com/v1"
NO_KEY_PLACEHOLDER = "no-key-required"  # local servers ignore the key but the client wants one
# This many rejected requests (400/422) before any success means the settings are wrong.
BAD_REQUESTS_BEFORE_ABORT = 3
# Spec options that override the task's generation settings for this model only.
GENERATION_OPTIONS = ("temperature", "max_tokens", "top_p", "seed", "stop")


def _parse_completion(content: str) -> tuple[str, int | None, int | None, dict[str, Any]]:
    """Text, prompt/completion tokens and metadata from a chat completion body (or raise)."""
    try:
        body = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedResponse(f"response is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise MalformedResponse("response is not a JSON object")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise MalformedResponse("response has no choices")
    choice = choices[0]
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        raise MalformedResponse("first choice has no message")
    text = message.get("content")
    if text is not None and not isinstance(text, str):
        raise MalformedResponse("message content is not text")
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    metadata = {"finish_reason": choice.get("finish_reason"), "response_model": body.get("model")}
    if message.get("refusal"):
        metadata["refusal"] = message["refusal"]
    return (text or "", prompt if isinstance(prompt, int) else None,
            completion if isinstance(completion, int) else None, metadata)


@register_adapter("openai")
class OpenAIAdapter(Adapter):
    """Chat completions through the official `openai` client (AsyncOpenAI)."""

    def __init__(
        self, name: str | None = None, *, model: str | None = None, base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY", timeout: float = 60.0, rpm: float | None = None,
        max_attempts: int = 6, backoff: float = 1.0, max_backoff: float = 60.0,
        cache: bool = True, cache_dir: str | None = None, refresh: bool = False,
        price: dict[str, float] | None = None, prices: str | None = None,
        max_tokens_param: str = "max_tokens", **settings: Any,
    ) -> None:
        if "api_key" in settings:
            raise InputError("never put a key in the model spec; set it in the environment "
                             "(api_key_env=VAR, default OPENAI_API_KEY)", field="api_key")
        gen_options = {k: settings.pop(k) for k in GENERATION_OPTIONS if k in settings}
        if settings:
            raise InputError(f"openai: unknown option(s) {', '.join(sorted(settings))}",
                             field="--model")
        stop = gen_options.get("stop")
        self.generation_overrides = generation_overrides(
            temperature=gen_options.get("temperature"), max_tokens=gen_options.get("max_tokens"),
            top_p=gen_options.get("top_p"), seed=gen_options.get("seed"),
            stop=[stop] if isinstance(stop, str) else stop)
        self.model = str(model or name or "")
        if not self.model:
            raise InputError("openai needs a model name: --model openai:MODEL", field="--model")
        if max_tokens_param not in ("max_tokens", "max_completion_tokens"):
            raise InputError("max_tokens_param is max_tokens or max_completion_tokens",
                             field="max_tokens_param")
        for option, value in (("timeout", timeout), ("max_attempts", max_attempts),
                              ("rpm", rpm), ("backoff", backoff), ("max_backoff", max_backoff)):
            if value is None and option == "rpm":
                continue
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise InputError(f"must be a positive number, got {value!r}", field=option)
        self.base_url = public_base_url(base_url or os.environ.get("OPENAI_BASE_URL")
                                        or OPENAI_BASE_URL)
        self._connect_url = base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL
        self._api_key = os.environ.get(api_key_env) or ""
        if not self._api_key and self.base_url == OPENAI_BASE_URL:
            raise AdapterError(f"no API key for {self.base_url}: set the environment variable "
                               f"{api_key_env}")
        self.timeout = float(timeout)
        self.max_attempts = int(max_attempts)
        self._wait = BackoffWait(initial=backoff, maximum=max_backoff)
        self._gate = RateGate(rpm)
        self._max_tokens_param = max_tokens_param
        table = PriceTable(load_prices(prices) if prices else None)
        self.price: Price | None = (parse_price(price, model=self.model) if price is not None
                                    else table.lookup(self.model))
        self.refresh = bool(refresh)
        self._cache_path = ResponseCache.path_in(cache_dir) if cache else None
        self._cache: ResponseCache | None = None
        self._client: openai.AsyncOpenAI | None = None
        self._successes = 0
        self._bad_requests = 0
        super().__init__(
            name, model=self.model, base_url=self.base_url, api_key_env=api_key_env,
            timeout=self.timeout, rpm=rpm, max_attempts=self.max_attempts, backoff=backoff,
            max_backoff=max_backoff, max_tokens_param=max_tokens_param,
            cache=str(self._cache_path) if self._cache_path else None, refresh=self.refresh,
            price_usd_per_1m=(None if self.price is None
                              else {"input": self.price.input, "output": self.price.output}),
            generation_overrides={k: list(v) if isinstance(v, tuple) else v
                                  for k, v in self.generation_overrides.items()},
        )

    # -- request -------------------------------------------------------------------------

    def request_body(self, request: Request) -> dict[str, Any]:
        """Exactly what is sent (and hashed for the cache): model, messages, sampling."""
        gen = replace(request.generation, **self.generation_overrides)
        body: dict[str, Any] = {
            "model": self.model, "messages": [dict(m) for m in request.messages],
            "temperature": gen.temperature, "top_p": gen.top_p,
            self._max_tokens_param: gen.max_tokens,
        }
        if gen.seed is not None:
            body["seed"] = gen.seed
        if gen.stop:
            body["stop"] = list(gen.stop)
        return body

    def _client_for_loop(self) -> openai.AsyncOpenAI:
        if self._client is None:
            self._client = openai.AsyncOpenAI(
                api_key=self._api_key or NO_KEY_PLACEHOLDER, base_url=self._connect_url,
                timeout=self.timeout, max_retries=0)
        return self._client

    def _response_cache(self) -> ResponseCache | None:
        if self._cache is None and self._cache_path is not None:
            self._cache = ResponseCache(self._cache_path)
        return self._cache

    def _redact(self, text: str) -> str:
        if self._api_key and len(self._api_key) >= 4:
            text = text.replace(self._api_key, "***")
        if self._connect_url != self.base_url:  # credentials in the URL
            text = text.replace(self._connect_url.rstrip("/"), self.base_url)
        return text

    def _describe_error(self, exc: BaseException) -> str:
        status = status_of(exc)
        body = getattr(exc, "body", None)
        message = (body.get("message") if isinstance(body, dict) else None) or getattr(
            exc, "message", None) or str(exc) or type(exc).__name__
        prefix = f"HTTP {status}" if status else type(exc).__name__
        return self._redact(f"{prefix}: {message}")

    # -- generate ------------------------------------------------------------------------

    async def generate(self, request: Request) -> Response:
        body = self.request_body(request)
        key = cache_key(self.base_url, body)
        cache = self._response_cache()
        if cache is not None and not self.refresh:
            hit = cache.get(key)
            if hit is not None:
                return self._response(hit, cached=True, attempts=0)
        started = time.perf_counter()
        attempts = 0

        def count(state: RetryCallState) -> None:
            nonlocal attempts
            attempts = state.attempt_number

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if status_of(exc) == 429 and (asked := retry_after_s(exc)):
                self._gate.pause(asked)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts), wait=self._wait, reraise=True,
            retry=retry_if_exception(lambda e: classify(e) is Failure.RETRY),
            before=count, before_sleep=before_sleep,
        )
        try:
            answer = await retrying(self._call_once, body)
        except Exception as exc:
            return self._failed(exc, attempts, time.perf_counter() - started)
        self._successes += 1
        if cache is not None:
            cache.put(key, self.model, answer)
        response = self._response(answer, cached=False, attempts=attempts)
        response.metadata["wall_s"] = round(time.perf_counter() - started, 6)
        return response

    async def _call_once(self, body: dict[str, Any]) -> CachedAnswer:
        await self._gate.wait()
        client = self._client_for_loop()
        started = time.perf_counter()
        # `post` (the client's documented route for raw requests) sends the body as is:
        # the typed `chat.completions.create` spends more CPU validating it than a loopback
        # call takes, and we parse the answer ourselves to survive odd servers anyway.
        content = await client.post("/chat/completions", cast_to=str, body=body)
        latency = time.perf_counter() - started
        text, prompt, completion, metadata = _parse_completion(content)
        return CachedAnswer(text, prompt, completion, latency, metadata)

    def _response(self, answer: CachedAnswer, *, cached: bool, attempts: int) -> Response:
        cost = (self.price.cost(answer.prompt_tokens, answer.completion_tokens)
                if self.price else None)
        return Response(
            text=answer.text, latency_s=answer.latency_s, prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens, cached=cached, attempts=attempts,
            metadata={**answer.metadata,
                      "cost_usd": None if cost is None else round(cost, 10)},
        )

    def _failed(self, exc: Exception, attempts: int, elapsed: float) -> Response:
        """An example-level error, or AdapterError when the failure dooms every request."""
        message = self._describe_error(exc)
        kind = classify(exc)
        status = status_of(exc)
        if kind is Failure.FATAL:
            raise AdapterError(self._fatal_hint(exc, message)) from None
        if kind is Failure.EXAMPLE and status is not None and not self._successes:
            self._bad_requests += 1
            if self._bad_requests >= BAD_REQUESTS_BEFORE_ABORT:
                raise AdapterError(f"{self.base_url} rejected the first "
                                   f"{self._bad_requests} requests for {self.model!r} and "
                                   f"accepted none: {message}") from None
        connection = (isinstance(exc, openai.APIConnectionError)
                      and not isinstance(exc, openai.APITimeoutError))
        if connection and not self._successes:
            raise AdapterError(f"cannot connect to {self.base_url} after {attempts} attempts "
                               f"({message}): is the server running and the base URL "
                               "(--base-url / OPENAI_BASE_URL) right?") from None
        if kind is Failure.RETRY:
            message = f"gave up after {attempts} attempts: {message}"
        return Response(text="", error=message, attempts=attempts, latency_s=elapsed)

    def _fatal_hint(self, exc: BaseException, message: str) -> str:
        status = status_of(exc)
        where = f"{self.base_url} (model {self.model!r})"
        if status == 401:
            env = self.settings["api_key_env"]
            return (f"authentication failed at {where}: the API key in ${env} is missing or "
                    f"wrong ({message})")
        if status == 403:
            return f"permission denied at {where}: the API key may not use this model ({message})"
        if status == 404:
            return (f"not found at {where}: unknown model {self.model!r} or a wrong base URL "
                    f"(check --base-url; it usually ends in /v1) ({message})")
        if error_code(exc) == "insufficient_quota":
            return f"quota exhausted at {where}: check the account's billing ({message})"
        return f"{where}: {message}"

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._cache is not None:
            self._cache.close()
            self._cache = None
