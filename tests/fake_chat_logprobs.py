"""Chat completions with scripted log-probabilities for the fake server (log-likelihood's chat
route): one token per character of the rendered prompt, the next token's top k from the
server's `lm`, and a final assistant message continued or not as a real server would.

`prefill` says what the server does with a final assistant message: "continue_final_message"
(vLLM: continues it only with `continue_final_message: true, add_generation_prompt: false`),
"assistant" (llama.cpp's llama-server: always continues it), "new_turn" (llama-cpp-python
0.3.36: closes it and opens a new assistant turn) or "reject" (OpenAI: HTTP 400 for the
unknown parameters).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

PREFILL_BEHAVIOURS = ("continue_final_message", "assistant", "new_turn", "reject")


def prompt_tokens(messages: Sequence[Mapping[str, Any]], continued: bool,
                  lm: Callable[[str], dict[str, float]], context: str) -> int:
    """Tokens of the prompt as a chat template would write it: one per character, except a
    continued last message, tokenized as the `lm`'s longest pieces (as the harness reads it)."""
    closed = messages[:-1] if continued else messages
    text = "".join(f"<{m['role']}>{m.get('content', '')}</{m['role']}>" for m in closed)
    count = len(text) + len("<assistant>")
    if continued:
        content, read = str(messages[-1].get("content", "")), 0
        base = context[: len(context) - len(content)]
        while read < len(content):
            pieces = [t for t in lm(base + content[:read]) if t and
                      content[read:].startswith(t)]
            read += max(map(len, pieces)) if pieces else 1
            count += 1
    return count


def continues(body: Mapping[str, Any], prefill: str) -> bool:
    messages = body["messages"]
    if not messages or messages[-1].get("role") != "assistant":
        return False
    if prefill == "assistant":
        return True
    return prefill == "continue_final_message" and body.get("continue_final_message") is True \
        and body.get("add_generation_prompt") is False


def chat_logprob_answer(body: Mapping[str, Any], lm: Callable[[str], dict[str, float]],
                        prefill: str, no_logprobs: bool = False) -> tuple[int, dict[str, Any]]:
    """(status, body) for a chat request asking for `logprobs`. The `lm` sees the messages'
    contents joined by blank lines, a newline, then the prefill when the server continues it
    (a new turn starts after a newline, as the first answer token does)."""
    if prefill == "reject" and "continue_final_message" in body:
        return 400, {"error": {"message": "Unrecognized request argument supplied: "
                               "continue_final_message, add_generation_prompt",
                               "type": "invalid_request_error"}}
    messages = body["messages"]
    continued = continues(body, prefill)
    shown = messages[:-1] if continued else messages
    context = "\n\n".join(str(m.get("content", "")) for m in shown) + "\n"
    if continued:
        context += str(messages[-1].get("content", ""))
    k = int(body.get("top_logprobs") or 0)
    top = sorted(lm(context).items(), key=lambda kv: -kv[1])[:k]
    token, value = top[0] if top else ("", 0.0)

    def entry(text: str, logprob: float) -> dict[str, Any]:
        return {"token": text, "logprob": logprob, "bytes": list(text.encode())}

    logprobs = {"content": [{**entry(token, value),
                             "top_logprobs": [entry(t, v) for t, v in top]}]}
    tokens = prompt_tokens(messages, continued, lm, context)
    return 200, {"id": "chatcmpl-lp", "object": "chat.completion", "created": 0,
                 "model": body.get("model"),
                 "choices": [{"index": 0, "finish_reason": "length",
                              "message": {"role": "assistant", "content": token},
                              "logprobs": None if no_logprobs else logprobs}],
                 "usage": {"prompt_tokens": tokens, "completion_tokens": 1,
                           "total_tokens": tokens + 1}}
