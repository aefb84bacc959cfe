"""The OpenAI batch file formats, keyed by the response cache's keys.

Input lines are `{custom_id, method, url, body}`; `custom_id` is `harness-<cache key>`, so an
answer finds its request (and cache row) without a side table. Output lines are
`{custom_id, response: {status_code, body}, error}` as OpenAI, `vllm run-batch` and Ray Data
write them. Every output line must answer a request the cache remembers (export or batch
submission recorded it); a malformed or unknown line is an error naming its line number, and
no answer of that file is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from harness.adapters.base import Request
from harness.errors import InputError
from harness.models.cache import CachedAnswer, ResponseCache

CUSTOM_ID_PREFIX = "harness-"
CHAT_URL: Final = "/v1/chat/completions"
_CUSTOM_ID = re.compile(rf"^{re.escape(CUSTOM_ID_PREFIX)}([0-9a-f]{{64}})$")


def custom_id(key: str) -> str:
    return CUSTOM_ID_PREFIX + key


def key_of(value: Any) -> str | None:
    """The cache key a custom_id encodes, or None if it is not one of ours."""
    match = _CUSTOM_ID.match(value) if isinstance(value, str) else None
    return match[1] if match else None


def input_line(key: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"custom_id": custom_id(key), "method": "POST", "url": CHAT_URL, "body": body}


def api_client(adapter: Any) -> Any:
    """The model layer (`ModelClient`) of an API adapter; other adapters make no calls."""
    client = getattr(adapter, "client", None)
    if client is None or not hasattr(adapter, "request_body"):
        raise InputError(f"{adapter.adapter_name()} makes no API calls: only model-layer "
                         "adapters (e.g. openai:MODEL) can hand requests off", field="--model")
    return client


def planned_bodies(adapter: Any, requests: Sequence[Request]
                   ) -> list[tuple[str, dict[str, Any]]]:
    """(cache key, body) of each distinct request an API adapter would send."""
    client = api_client(adapter)
    planned: dict[str, dict[str, Any]] = {}
    for request in requests:
        body = adapter.request_body(request)
        planned.setdefault(client.cache_key(body), body)
    return list(planned.items())


@dataclass
class OutputFile:
    """A parsed output (or error) file: answers to store and the failures' reasons."""

    answers: list[tuple[str, str, CachedAnswer]] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def _bare_completion(response: Any) -> bool:
    """Some writers put the completion itself in `response` (no status_code/body wrapper)."""
    return isinstance(response, dict) and "status_code" not in response and "choices" in response


def _failure(line: dict[str, Any]) -> str | None:
    """The provider's reason when a line carries no answer, else None."""
    error = line.get("error")
    if error:
        if isinstance(error, dict):
            return f"{error.get('code') or 'error'}: {error.get('message') or ''}".strip()
        return str(error)
    response = line.get("response")
    status = response.get("status_code") if isinstance(response, dict) else None
    if status == 200 or _bare_completion(response):
        return None
    body = response.get("body") if isinstance(response, dict) else None
    inner = body.get("error") if isinstance(body, dict) else None
    message = inner.get("message") if isinstance(inner, dict) else None
    return f"HTTP {status}: {message or 'no answer'}"


def read_output(path: Path, cache: ResponseCache, *, source: str,
                lines: Iterable[tuple[int, dict[str, Any]]] | None = None) -> OutputFile:
    """Answers and failures of an output/error file, each checked against a known request."""
    from harness.adapters.openai_answers import MalformedResponse, parse_completion_body
    from harness.jsonio import iter_jsonl

    rows = list(lines if lines is not None else iter_jsonl(path))
    keys: list[str] = []
    for number, line in rows:
        key = key_of(line.get("custom_id"))
        if key is None:
            raise InputError(f"custom_id {line.get('custom_id')!r} is not one the harness wrote "
                             f"({CUSTOM_ID_PREFIX}<64 hex digits>)", path=path, line=number,
                             field="custom_id")
        keys.append(key)
    models = cache.request_models(keys)
    out = OutputFile()
    seen: dict[str, int] = {}
    for (number, line), key in zip(rows, keys, strict=True):
        if key in seen:
            raise InputError(f"custom_id answered twice (also line {seen[key]})", path=path,
                             line=number, field="custom_id")
        seen[key] = number
        if key not in models:
            raise InputError("unknown custom_id: no exported or submitted request has it (use "
                             "the --cache-dir the requests were exported with)", path=path,
                             line=number, field="custom_id")
        if not line.get("error") and not isinstance(line.get("response"), dict):
            raise InputError("a line needs a response object or an error", path=path,
                             line=number, field="response")
        reason = _failure(line)
        if reason is not None:
            out.failures[key] = reason
            continue
        try:
            response = line["response"]
            done = parse_completion_body(
                response if _bare_completion(response) else response.get("body"))
        except MalformedResponse as exc:
            raise InputError(f"not a chat completion: {exc}", path=path, line=number,
                             field="response.body") from None
        out.answers.append((key, models[key], CachedAnswer(
            done.text, done.prompt_tokens, done.completion_tokens, 0.0,
            {**done.metadata, "source": source})))
    return out
