"""Reading an OpenAI-compatible server's answers: a chat completion, a legacy text completion.

Servers differ and misbehave, so every body is checked here; anything unusable is a
`MalformedResponse`, which the model layer retries and never caches.
"""

from __future__ import annotations

import json
from typing import Any

from harness.models.backend import Completion, TransientError


class MalformedResponse(TransientError):
    """The server answered 200 with a body that is not a usable completion (retryable)."""


def _decode(content: str) -> dict[str, Any]:
    try:
        body = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedResponse(f"response is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise MalformedResponse("response is not a JSON object")
    return body


def _tokens(body: dict[str, Any]) -> tuple[dict[str, Any], int | None, int | None]:
    """The usage object, prompt tokens and completion tokens (None when not reported)."""
    usage = body.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    return (usage, prompt if isinstance(prompt, int) else None,
            completion if isinstance(completion, int) else None)


def parse_completion(content: str) -> Completion:
    """Text, prompt/completion tokens and metadata from a chat completion body (or raise)."""
    return parse_completion_body(_decode(content))


def parse_completion_body(body: Any) -> Completion:
    """A chat completion already decoded from JSON (also a batch output line's body)."""
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
    if not text and not message.get("refusal") and not message.get("tool_calls"):
        # Never cached: a null or empty answer is a server fault, and retried like one.
        raise MalformedResponse(f"message content is {'empty' if text == '' else 'null'} "
                                "(no refusal, no tool call)")
    usage, prompt, completion = _tokens(body)
    metadata = {"finish_reason": choice.get("finish_reason"), "response_model": body.get("model")}
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        metadata["reasoning"] = reasoning
    details = usage.get("completion_tokens_details")
    if isinstance(details, dict) and isinstance(details.get("reasoning_tokens"), int):
        metadata["reasoning_tokens"] = details["reasoning_tokens"]
    if message.get("refusal"):
        metadata["refusal"] = message["refusal"]
    return Completion(text or "", prompt, completion, metadata)


def _first_choice(body: dict[str, Any]) -> dict[str, Any]:
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise MalformedResponse("response has no choices")
    return choices[0]


def _with_logprobs(body: dict[str, Any], choice: dict[str, Any], text: Any) -> Completion:
    """An answer read for its choice's `logprobs` (its text may be empty)."""
    _, prompt, completion = _tokens(body)
    return Completion(str(text or ""), prompt, completion,
                      {"finish_reason": choice.get("finish_reason"),
                       "logprobs": choice.get("logprobs")})


def parse_text_completion(content: str) -> Completion:
    """Text, tokens and the choice's `logprobs` from a legacy completions body (or raise)."""
    body = _decode(content)
    choice = _first_choice(body)
    return _with_logprobs(body, choice, choice.get("text"))


def parse_chat_logprobs(content: str) -> Completion:
    """A chat completion read for its choice's `logprobs` only: its text may be empty (one
    token that is a byte fragment), which `parse_completion` would reject."""
    body = _decode(content)
    choice = _first_choice(body)
    message = choice.get("message")
    return _with_logprobs(body, choice, message.get("content") if isinstance(message, dict)
                          else None)
