"""`--model openai:MODEL`: any OpenAI-compatible chat server (OpenAI, vLLM, llama.cpp, Ollama).

A thin backend on the model layer (`harness.models.layer`), which caches, retries, limits and
prices every call. This module only makes the call through the official `openai` client (its
own retries off) and sorts the client's exceptions into the layer's failure classes. The API
key is read from the environment and never stored, logged or reported.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Any

import openai

from harness.adapters.answer_modes import SCHEMA_STYLES
from harness.adapters.base import Request, Response, TaskContext
from harness.adapters.openai_answers import (
    parse_chat_logprobs,
    parse_completion,
    parse_text_completion,
)
from harness.adapters.registry import register_adapter
from harness.errors import AdapterError, InputError
from harness.models.adapter import BackendAdapter
from harness.models.backend import (
    Backend,
    Completion,
    FatalError,
    ModelError,
    RateLimited,
    TransientError,
    Unreachable,
    check_positive,
)
from harness.models.cache import public_base_url
from harness.models.retry import retry_after_s

OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
NO_KEY_PLACEHOLDER = "no-key-required"  # local servers ignore the key but the client wants one


def _check_url(url: object) -> None:
    """A base URL is http(s)://host[:port][/path]; anything else fails before any call."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(str(url))
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise InputError(f"not a URL: {exc}", field="base_url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("not an http(s) URL such as http://127.0.0.1:8000/v1 (the value is not "
                         "repeated here: it may hold credentials)", field="base_url")


def status_of(exc: BaseException) -> int | None:
    return exc.status_code if isinstance(exc, openai.APIStatusError) else None


def error_code(exc: BaseException) -> str | None:
    return getattr(exc, "code", None)


def failure_class(exc: openai.APIError) -> type[ModelError]:
    """Which layer failure an `openai` exception is: retry, fatal, or this example only."""
    if isinstance(exc, openai.APITimeoutError):
        return TransientError
    if isinstance(exc, openai.APIConnectionError):
        # Only a connection never made means "unreachable"; one lost mid-answer (a reset
        # mid-body, a dropped keep-alive) is a transport error, retried as such. By name: the
        # client's HTTP library (httpx or its successor) names both the same way.
        refused = type(exc.__cause__).__name__ in ("ConnectError", "ConnectTimeout")
        return Unreachable if refused else TransientError
    status = status_of(exc)
    if status is None:
        return ModelError
    if status == 429:
        return FatalError if error_code(exc) == "insufficient_quota" else RateLimited
    if status in (401, 403, 404):
        return FatalError
    if status in (408, 409) or status >= 500:
        return TransientError
    return ModelError


class OpenAIBackend(Backend):
    """Chat completions through the official `openai` client (AsyncOpenAI)."""

    def __init__(self, model: str, *, base_url: str | None = None,
                 api_key_env: str | None = None, timeout: float = 60.0,
                 max_tokens_param: str = "max_tokens",
                 response_format: str = "json_schema") -> None:
        super().__init__(model)
        if response_format not in SCHEMA_STYLES:
            raise InputError(f"response_format is one of {', '.join(SCHEMA_STYLES)}",
                             field="response_format")
        self.schema_style = response_format
        if max_tokens_param not in ("max_tokens", "max_completion_tokens"):
            raise InputError("max_tokens_param is max_tokens or max_completion_tokens",
                             field="max_tokens_param")
        check_positive(timeout, "timeout")
        self.max_tokens_field = max_tokens_param
        self._connect_url = base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL
        _check_url(self._connect_url)
        self.base_url = public_base_url(self._connect_url)
        self.api_key_env = api_key_env or DEFAULT_KEY_ENV
        self._api_key = os.environ.get(self.api_key_env) or ""
        if api_key_env and not self._api_key:  # named on purpose: a missing key is a mistake
            raise InputError(f"the environment variable {api_key_env} is not set (or empty)",
                             field="api_key_env")
        if not self._api_key and self.base_url == OPENAI_BASE_URL:
            raise AdapterError(f"no API key for {self.base_url}: set the environment variable "
                               f"{self.api_key_env}")
        self.timeout = float(timeout)
        self._client: openai.AsyncOpenAI | None = None

    @property
    def endpoint(self) -> str:
        return self.base_url

    def settings(self) -> dict[str, Any]:
        return {"model": self.model, "base_url": self.base_url, "api_key_env": self.api_key_env,
                "timeout": self.timeout, "max_tokens_param": self.max_tokens_field,
                "response_format": self.schema_style}

    def client(self) -> openai.AsyncOpenAI:
        """The `openai` client (own retries off: the model layer retries)."""
        if self._client is None:
            self._client = openai.AsyncOpenAI(
                api_key=self._api_key or NO_KEY_PLACEHOLDER, base_url=self._connect_url,
                timeout=self.timeout, max_retries=0)
        return self._client

    async def complete(self, body: dict[str, Any]) -> Completion:
        client = self.client()
        try:
            # `post` (the client's documented route for raw requests) sends the body as is:
            # the typed `chat.completions.create` spends more CPU validating it than a
            # loopback call takes, and we parse the answer ourselves to survive odd servers.
            # `timeout` is a deadline for the whole request: the client's own timeout is per
            # read, so a server dripping bytes could otherwise hold a call indefinitely.
            async with asyncio.timeout(self.timeout):
                content = await client.post("/chat/completions", cast_to=str, body=body)
        except TimeoutError:
            raise TransientError(f"no complete answer within the {self.timeout:g} s deadline "
                                 "(timeout)") from None
        except openai.APIError as exc:
            failure = self.failure(exc)  # no chained traceback: it may hold the key
            if "response_format" in body and (status_of(exc) in (400, 422, 501) or (
                    status_of(exc) == 500 and "response_format" in str(failure))):
                other = next(s for s in SCHEMA_STYLES if s != self.schema_style)
                raise FatalError(f"{self.base_url} rejected the request's response_format "
                                 f"({self.schema_style}, sent because answer_mode is "
                                 f"structured): try the model option response_format={other} "
                                 f"or another answer mode ({failure})") from None
            raise failure from None
        return parse_completion(content)

    async def complete_prompt(self, body: dict[str, Any]) -> Completion:
        """A legacy text completion (`/completions`): log-likelihood mode's route."""
        try:
            content = await self.client().post("/completions", cast_to=str, body=body)
        except openai.APIError as exc:
            failure = self.failure(exc)
            if status_of(exc) in (404, 405, 501):
                raise FatalError(f"{self.base_url} has no /completions endpoint (legacy text "
                                 "completions with logprobs), which answer_mode loglikelihood "
                                 "needs on routes echo and generation; a chat-only server: "
                                 f"logprobs_route=chat ({failure})") from None
            raise failure from None
        return parse_text_completion(content)

    async def complete_logprobs(self, body: dict[str, Any]) -> Completion:
        """A chat completion read for its log-probabilities: log-likelihood's chat route."""
        try:
            content = await self.client().post("/chat/completions", cast_to=str, body=body)
        except openai.APIError as exc:
            failure = self.failure(exc)
            if status_of(exc) in (400, 422) and any(
                    key in body and key in str(failure)
                    for key in ("continue_final_message", "add_generation_prompt")):
                raise FatalError(f"{self.base_url} rejected the request's "
                                 "continue_final_message (logprobs_prefill="
                                 "continue_final_message, vLLM's assistant prefill): a server "
                                 "without prefill (OpenAI) needs logprobs_prefill=never "
                                 f"({failure})") from None
            raise failure from None
        return parse_chat_logprobs(content)

    def failure(self, exc: openai.APIError) -> ModelError:
        """The layer's failure class for a client exception, its message redacted."""
        cls = failure_class(exc)
        message = self._describe(exc)
        if cls is FatalError:
            return FatalError(self._fatal_hint(exc, message))
        if issubclass(cls, TransientError):
            response = getattr(exc, "response", None)
            return cls(message, retry_after=retry_after_s(getattr(response, "headers", None)))
        return cls(message)

    def _redact(self, text: str) -> str:
        if self._api_key and len(self._api_key) >= 4:
            text = text.replace(self._api_key, "***")
        if self._connect_url != self.base_url:  # credentials in the URL
            text = text.replace(self._connect_url.rstrip("/"), self.base_url)
        return text

    def _describe(self, exc: openai.APIError) -> str:
        status = status_of(exc)
        body = exc.body
        message = (body.get("message") if isinstance(body, dict) else None) or getattr(
            exc, "message", None) or str(exc) or type(exc).__name__
        cause = exc.__cause__
        if isinstance(exc, openai.APIConnectionError) and cause is not None:
            detail = f"{type(cause).__name__}{': ' if str(cause) else ''}{cause}"
            if failure_class(exc) is Unreachable:
                message = f"{message} ({detail})"
            else:
                return self._redact(f"transport error: the connection broke before a complete "
                                    f"answer ({detail})")
        prefix = f"HTTP {status}" if status else type(exc).__name__
        return self._redact(f"{prefix}: {message}")

    def _fatal_hint(self, exc: openai.APIError, message: str) -> str:
        status = status_of(exc)
        where = f"{self.base_url} (model {self.model!r})"
        if status == 401:
            return (f"authentication failed at {where}: the API key in ${self.api_key_env} is "
                    f"missing or wrong ({message})")
        if status == 403:
            return f"permission denied at {where}: the API key may not use this model ({message})"
        if status == 404:
            return (f"not found at {where}: unknown model {self.model!r} or a wrong base URL "
                    f"(base_url; it usually ends in /v1) ({message})")
        if error_code(exc) == "insufficient_quota":
            return f"quota exhausted at {where}: check the account's billing ({message})"
        return f"{where}: {message}"

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


@register_adapter("openai")
class OpenAIAdapter(BackendAdapter):
    """`OpenAIBackend` on the model layer; `batch=true` (`--batch`) sends a task's uncached
    requests through the provider's batch API instead (`harness.batch`)."""

    backend_class = OpenAIBackend
    backend: OpenAIBackend

    def __init__(self, name: str | None = None, *, batch: bool = False,
                 poll_interval: float = 30.0, **options: Any) -> None:
        super().__init__(name, **options)
        self.batch = None
        if batch:
            from harness.batch.run import BatchRun

            check_positive(poll_interval, "poll_interval")
            self.batch = BatchRun(self, float(poll_interval))
            batch_price = self.client.price.batch() if self.client.price else None
            self.settings.update(batch=True, poll_interval=float(poll_interval),
                                 batch_price_usd_per_1m=batch_price and batch_price.describe())

    @classmethod
    def accepted_options(cls) -> frozenset[str]:
        return super().accepted_options() | {"batch", "poll_interval"}

    @property
    def base_url(self) -> str:
        """The server's URL without credentials (what the cache key hashes)."""
        return self.backend.base_url

    def prepare(self, requests: Sequence[Request], context: TaskContext) -> None:
        if self.batch is not None:
            self.batch.plan(requests)

    async def generate(self, request: Request) -> Response:
        if self.batch is not None:
            return await self.batch.answer(request)
        return await super().generate(request)
