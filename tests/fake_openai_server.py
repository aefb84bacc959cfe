"""A loopback OpenAI-compatible chat server with injectable faults, for tests and benchmarks.

It answers deterministically (stance prompts get "مؤيد", other prompts the first sentence of the
article in the prompt), counts every call per prompt, and injects faults from a seeded schedule
so a test can predict exactly how many calls a correct retry policy makes.

Run standalone (prints its base URL on stdout): `python tests/fake_openai_server.py --latency 0.1`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RETRYABLE_FAULTS = ("429", "500", "503", "reset", "hang", "malformed", "empty", "null_content",
                    "empty_content", "drip", "reset_body")
TERMINAL_FAULTS = ("401", "404", "400", "no_usage")  # answered at once, never retried by a client
ARTICLE_MARKER = "المقال:"


def prompt_key(messages: Sequence[Mapping[str, Any]]) -> str:
    """Stable id of a request's prompt: how the server tells examples apart."""
    text = json.dumps([dict(m) for m in messages], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def default_answer(messages: Sequence[Mapping[str, Any]]) -> str:
    """"مؤيد" for stance prompts, else the first sentence of the article given in the prompt."""
    user = str(messages[-1].get("content", ""))
    if "موقف" in user:
        return "مؤيد"
    article = user.rsplit(ARTICLE_MARKER, 1)[-1].strip()
    for end in (".", "؟", "!", "\n"):
        article = article.split(end, 1)[0]
    return article.strip() or "لا شيء"


def chat_completion(body: Mapping[str, Any],
                    answer: Callable[[Sequence[Mapping[str, Any]]], str] = default_answer,
                    *, usage: bool = True, finish_reason: str = "stop") -> dict[str, Any]:
    """The chat completion this server answers `body` with (tokens: words, deterministic)."""
    messages = body["messages"]
    text = answer(messages)
    reply: dict[str, Any] = {
        "id": f"chatcmpl-{prompt_key(messages)}", "object": "chat.completion",
        "created": 0, "model": body["model"],
        "choices": [{"index": 0, "finish_reason": finish_reason,
                     "message": {"role": "assistant", "content": text}}],
    }
    if usage:
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages)
        completion_tokens = len(text.split())
        reply["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                          "total_tokens": prompt_tokens + completion_tokens}
    return reply


def judge_answer(messages: Sequence[Mapping[str, Any]], score: int = 4) -> str:
    """A valid judge answer: claims JSON for a claims question, else every dimension asked."""
    user = str(messages[1].get("content", "")) if len(messages) > 1 else ""
    if '"claims"' in user:
        return json.dumps({"claims": [
            {"claim": "ادعاء مدعوم", "label": "supported", "evidence": "جملة من المقال"},
            {"claim": "ادعاء مختلق", "label": "not_in_article", "evidence": ""}]},
            ensure_ascii=False)
    keys = user.rsplit(": ", 1)[-1].split(", ")
    return json.dumps({k.strip(): {"score": score, "justification": "مبرر من جملة واحدة."}
                       for k in keys}, ensure_ascii=False)


@dataclass
class FaultPlan:
    """Which calls fail: `rate` of them, chosen by a seeded draw per (prompt, attempt).

    A prompt fails at most `max_consecutive` times in a row, so a client allowing more attempts
    always gets through. `script` forces a fault list for a prompt key; `always` fails every call.
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "500", "503", "reset", "malformed", "empty")
    seed: int = 0
    max_consecutive: int = 3
    always: str | None = None
    script: dict[str, list[str]] = field(default_factory=dict)

    def fault(self, key: str, attempt: int) -> str | None:
        if self.always:
            return self.always
        if key in self.script:
            faults = self.script[key]
            return faults[attempt] if attempt < len(faults) else None
        if attempt >= self.max_consecutive or self.rate <= 0:
            return None
        rng = random.Random(f"{self.seed}:{key}:{attempt}")
        return rng.choice(self.kinds) if rng.random() < self.rate else None


@dataclass
class ServerState:
    """Configuration and counters shared by the handler threads."""

    models: tuple[str, ...] = ("fake",)
    api_key: str | None = None  # when set, other keys get a 401 that echoes the key sent
    latency_s: float = 0.0
    hang_s: float = 3.0
    drip_s: float = 0.5  # "drip": one byte of the answer per this many seconds
    retry_after: str = "0"  # Retry-After header on injected 429s
    retry_after_ms: str | None = None
    plan: FaultPlan = field(default_factory=FaultPlan)
    answer: Callable[[Sequence[Mapping[str, Any]]], str] = default_answer
    finish_reason: str = "stop"  # "length": every answer says it was cut at max_tokens
    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: Counter[str] = field(default_factory=Counter)  # prompt key -> calls seen
    in_flight: int = 0
    max_in_flight: int = 0
    faults: Counter[str] = field(default_factory=Counter)  # fault kind -> times injected
    call_times: dict[str, list[float]] = field(default_factory=dict)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    # /v1/completions: a character-level "model" (text -> next character's log-probabilities;
    # None: no such endpoint), echoed values replaced by `wrong_echo` when set (as
    # llama-cpp-python 0.3.36 does), and `no_logprobs` to answer without any.
    lm: Callable[[str], dict[str, float]] | None = None
    wrong_echo: float | None = None
    no_logprobs: bool = False
    # chat requests asking for `logprobs` (with `lm` set): fake_chat_logprobs.PREFILL_BEHAVIOURS
    prefill: str = "continue_final_message"
    completions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def retryable_faults(self) -> int:
        return sum(n for kind, n in self.faults.items() if kind in RETRYABLE_FAULTS)

    def reset_counters(self) -> None:
        with self.lock:
            self.calls.clear()
            self.faults.clear()
            self.call_times.clear()
            self.bodies.clear()
            self.headers_seen.clear()
            self.completions.clear()
            self.max_in_flight = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else Nagle + delayed ACK stall each keep-alive answer
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes | dict[str, Any],
              headers: Mapping[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _error(self, status: int, message: str, code: str | None = None,
               headers: Mapping[str, str] | None = None) -> None:
        kind = {400: "invalid_request_error", 401: "invalid_request_error",
                404: "invalid_request_error", 429: "rate_limit_error"}.get(status, "server_error")
        self._send(status, {"error": {"message": message, "type": kind, "code": code}}, headers)

    def _reset(self) -> None:
        """Abort the TCP connection (RST) without any HTTP answer."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _authorized(self, state: ServerState) -> bool:
        sent = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if state.api_key is None or sent == state.api_key:
            return True
        self._error(401, f"Incorrect API key provided: {sent}.", "invalid_api_key")
        return False

    def do_GET(self) -> None:
        state = self.server.state
        if not self._authorized(state):
            return
        if self.path.rstrip("/") == "/v1/models":
            data = [{"id": m, "object": "model", "owned_by": "fake"} for m in state.models]
            self._send(200, {"object": "list", "data": data})
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        state = self.server.state
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.rstrip("/") == "/v1/completions" and state.lm is not None:
            self._text_completion(state, json.loads(raw))
            return
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._error(404, f"no route {self.path}")
            return
        try:
            body = json.loads(raw)
            messages = body["messages"]
        except (ValueError, KeyError, TypeError):
            self._error(400, "request body is not a chat completion request")
            return
        key = prompt_key(messages)
        with state.lock:
            attempt = state.calls[key]
            state.calls[key] += 1
            state.call_times.setdefault(key, []).append(time.monotonic())
            state.bodies.append(body)
            state.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            self._serve(state, body, messages, key, attempt)
        finally:
            with state.lock:
                state.in_flight -= 1

    def _text_completion(self, state: ServerState, body: dict[str, Any]) -> None:
        """Scripted log-probabilities: one token per character, exact values from `state.lm`."""
        assert state.lm is not None
        with state.lock:
            state.completions.append(body)
        if state.latency_s:
            time.sleep(state.latency_s)
        prompt, k = str(body["prompt"]), int(body.get("logprobs") or 0)
        top = sorted(state.lm(prompt).items(), key=lambda kv: -kv[1])[:k]
        token, value = top[0] if top else ("", 0.0)
        logprobs: dict[str, Any] = {"tokens": [token], "token_logprobs": [value],
                                    "text_offset": [len(prompt)], "top_logprobs": [dict(top)]}
        if body.get("echo"):
            values = [None] + [state.lm(prompt[:i]).get(c, -8.0) if state.wrong_echo is None
                               else state.wrong_echo for i, c in enumerate(prompt) if i]
            logprobs = {"tokens": list(prompt), "token_logprobs": values,
                        "text_offset": list(range(len(prompt))),
                        "top_logprobs": [None] * len(prompt)}
        choice = {"index": 0, "text": token, "finish_reason": "length",
                  "logprobs": None if state.no_logprobs else logprobs}
        self._send(200, {"id": "cmpl-x", "object": "text_completion", "created": 0,
                         "model": body.get("model"), "choices": [choice],
                         "usage": {"prompt_tokens": len(prompt), "completion_tokens": 1,
                                   "total_tokens": len(prompt) + 1}})

    def _serve(self, state: ServerState, body: dict[str, Any], messages: list[dict[str, Any]],
               key: str, attempt: int) -> None:
        if not self._authorized(state):
            return
        if body.get("model") not in state.models:
            self._error(404, f"The model `{body.get('model')}` does not exist.", "model_not_found")
            return
        fault = state.plan.fault(key, attempt)
        if fault:
            with state.lock:
                state.faults[fault] += 1
        if state.latency_s:
            time.sleep(state.latency_s)
        self._answer(state, body, messages, fault)

    def _answer(self, state: ServerState, body: dict[str, Any],
                messages: list[dict[str, Any]], fault: str | None) -> None:
        if fault == "429":
            headers = {"Retry-After": state.retry_after}
            if state.retry_after_ms is not None:
                headers["retry-after-ms"] = state.retry_after_ms
            self._error(429, "Rate limit reached, slow down.", "rate_limit_exceeded", headers)
        elif fault in ("500", "503", "400", "401", "404"):
            self._error(int(fault), f"injected {fault}")
        elif fault == "reset":
            self._reset()
        elif fault == "hang":
            time.sleep(state.hang_s)
            self.close_connection = True
        elif fault == "malformed":
            self._send(200, b'{"id": "chatcmpl-x", "object": "chat.completion", "choices": [{')
        elif fault == "empty":
            self._send(200, {"id": "chatcmpl-x", "object": "chat.completion", "created": 0,
                             "model": body["model"], "choices": []})
        elif fault in ("null_content", "empty_content"):
            content = None if fault == "null_content" else ""
            self._send(200, {"id": "chatcmpl-x", "object": "chat.completion", "created": 0,
                             "model": body["model"], "choices": [{
                                 "index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}]})
        elif fault in ("drip", "reset_body"):
            self._partial(state, body, messages, drip=fault == "drip")
        elif body.get("logprobs") and state.lm is not None:
            from fake_chat_logprobs import chat_logprob_answer

            self._send(*chat_logprob_answer(body, state.lm, state.prefill, state.no_logprobs))
        else:
            reply = chat_completion(body, state.answer, usage=fault != "no_usage",
                                    finish_reason=state.finish_reason)
            self._send(200, reply)


    def _partial(self, state: ServerState, body: dict[str, Any], messages: list[dict[str, Any]],
                 *, drip: bool) -> None:
        """A good answer's headers, then its body a byte per `drip_s` (drip) or half of it
        followed by a TCP reset (reset_body)."""
        data = json.dumps({"id": "chatcmpl-x", "object": "chat.completion", "created": 0,
                           "model": body["model"], "choices": [{
                               "index": 0, "finish_reason": "stop", "message": {
                                   "role": "assistant", "content": state.answer(messages)}}]},
                          ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            if not drip:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self._reset()
                return
            for index in range(len(data)):
                self.wfile.write(data[index:index + 1])
                self.wfile.flush()
                time.sleep(state.drip_s)
        except OSError:
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    handler: type[BaseHTTPRequestHandler] = _Handler

    def __init__(self, state: ServerState) -> None:
        super().__init__(("127.0.0.1", 0), self.handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:  # clients hang up: fine
        pass


class FakeOpenAIServer:
    """`with FakeOpenAIServer(...) as server:` serves on a free loopback port in a thread."""

    state_class: type[ServerState] = ServerState
    server_class: type[_Server] = _Server

    def __init__(self, **state: Any) -> None:
        self.state = self.state_class(**state)
        self._httpd = self.server_class(self.state)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def unigram_lm(text: str) -> dict[str, float]:
    """A normalized next-character distribution over 20 Arabic letters (for benchmarks)."""
    import math

    letters = list("مؤيدعارضحلقنصخبهوتسك")  # 20: every one is in a top 20
    weights = [1.0 + (i % 5) for i in range(len(letters))]
    total = sum(weights)
    return {c: math.log(w / total) for c, w in zip(letters, weights, strict=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--logprobs", action="store_true",
                        help="serve /v1/completions with scripted log-probabilities")
    parser.add_argument("--judge", action="store_true", help="answer as a judge (JSON)")
    args = parser.parse_args()
    server = FakeOpenAIServer(latency_s=args.latency, lm=unigram_lm if args.logprobs else None,
                              plan=FaultPlan(rate=args.fail_rate, seed=args.seed),
                              answer=judge_answer if args.judge else default_answer).start()
    serve_until_interrupted(server)


def serve_until_interrupted(server: Any) -> None:
    """Print the base URL (benchmarks read it) and serve until Ctrl-C."""
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
