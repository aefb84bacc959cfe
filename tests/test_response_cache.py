"""The SQLite response cache: keys, flags, errors never cached, and several writers at once."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer, FaultPlan, prompt_key
from helpers import TASKS

from harness.adapters.base import GenerationSettings, Request, Response
from harness.adapters.openai_compat import OpenAIAdapter
from harness.cli import main
from harness.models.cache import CachedAnswer, ResponseCache, cache_key, public_base_url

Server = Callable[..., FakeOpenAIServer]
MESSAGES = ({"role": "user", "content": "ما موقف الكاتب؟"},)


def request(**gen: object) -> Request:
    return Request(task="t", kind="stance", example_id="x", messages=MESSAGES, fields={},
                   generation=GenerationSettings(**gen))  # type: ignore[arg-type]


def generate_many(adapter: OpenAIAdapter, requests: list[Request]) -> list[Response]:
    async def go() -> list[Response]:
        try:
            return [await adapter.generate(r) for r in requests]
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def test_put_get_roundtrip_in_wal_mode(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    assert cache.get("k") is None
    cache.put("k", "m", CachedAnswer("نص", 3, None, 0.5, {"finish_reason": "stop"}))
    again = ResponseCache(tmp_path / "c.sqlite")  # another connection sees it: committed
    assert again.get("k") == CachedAnswer("نص", 3, None, 0.5, {"finish_reason": "stop"})
    mode = sqlite3.connect(tmp_path / "c.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal" and len(again) == 1


def test_key_covers_what_changes_the_answer_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def key(base_url: str = "http://h:1/v1", api_key: str = "k1", timeout: float = 5,
            **gen: object) -> str:
        monkeypatch.setenv("OPENAI_API_KEY", api_key)
        adapter = OpenAIAdapter("m", base_url=base_url, timeout=timeout, cache=False)
        return cache_key(adapter.base_url, adapter.request_body(request(**gen)))

    base = key()
    assert key(api_key="k2") == base and key(timeout=99) == base
    assert key(base_url="http://h:1/v1/") == base
    assert key(base_url="http://user:pw@h:1/v1") == base
    assert key(base_url="http://h:2/v1") != base
    assert key(temperature=0.5) != base and key(max_tokens=7) != base
    assert key(top_p=0.5) != base and key(seed=None) != base and key(stop=("x",)) != base
    other_model = OpenAIAdapter("m2", base_url="http://h:1/v1", cache=False)
    assert cache_key(other_model.base_url, other_model.request_body(request())) != base
    assert public_base_url("HTTP://User:Secret@Host:8000/v1/") == "http://host:8000/v1"


def test_second_run_is_served_from_cache(fake_openai: Server, tmp_path: Path) -> None:
    server = fake_openai()
    adapter = OpenAIAdapter("fake", base_url=server.base_url, cache_dir=str(tmp_path))
    first, second = generate_many(adapter, [request(), request()])
    assert not first.cached and first.attempts == 1
    assert second.cached and second.attempts == 0 and second.text == first.text
    assert second.prompt_tokens == first.prompt_tokens
    # a cache hit reports its own (lookup) latency and keeps the first call's beside it
    assert second.metadata["original_latency_s"] == first.latency_s
    assert server.state.total_calls == 1
    adapter = OpenAIAdapter("fake", base_url=server.base_url, cache_dir=str(tmp_path),
                            refresh=True)
    [third] = generate_many(adapter, [request()])
    assert not third.cached and server.state.total_calls == 2


def test_errors_are_not_cached(fake_openai: Server, tmp_path: Path) -> None:
    server = fake_openai(plan=FaultPlan(script={prompt_key(MESSAGES): ["500", "500"]}))
    adapter = OpenAIAdapter("fake", base_url=server.base_url, cache_dir=str(tmp_path),
                            max_attempts=2, backoff=0.01)
    other = Request(task="t", kind="stance", example_id="y", fields={},
                    messages=({"role": "user", "content": "موقف آخر"},))
    ok, failed = generate_many(adapter, [other, request()])  # a success first: per-example
    assert ok.error is None and failed.error is not None
    assert len(ResponseCache(ResponseCache.path_in(tmp_path))) == 1
    [answered] = generate_many(OpenAIAdapter("fake", base_url=server.base_url,
                                             cache_dir=str(tmp_path)), [request()])
    assert answered.error is None and not answered.cached
    assert server.state.calls[prompt_key(MESSAGES)] == 3


def test_cli_cache_flags(fake_openai: Server, tmp_path: Path) -> None:
    server = fake_openai()
    run = ["run", str(TASKS / "seed_stance.yaml"), "--model", "openai:fake",
           "--base-url", server.base_url, "--no-write"]
    assert main([*run, "--cache-dir", str(tmp_path / "c")]) == 0
    assert server.state.total_calls == 6 and (tmp_path / "c" / "responses.sqlite").is_file()
    assert main([*run, "--cache-dir", str(tmp_path / "c")]) == 0
    assert server.state.total_calls == 6
    assert main([*run, "--cache-dir", str(tmp_path / "c"), "--refresh"]) == 0
    assert server.state.total_calls == 12
    assert main([*run, "--cache-dir", str(tmp_path / "none"), "--no-cache"]) == 0
    assert server.state.total_calls == 18 and not (tmp_path / "none").exists()


def _writer(path: str, worker: int, n: int) -> None:
    cache = ResponseCache(path)
    for i in range(n):
        cache.put(f"w{worker}-{i}", "m", CachedAnswer(f"answer {worker} {i}", i, i, 0.0, {}))
        cache.put(f"shared-{i}", "m", CachedAnswer(f"shared {i}", i, i, 0.0, {}))
        assert cache.get(f"w{worker}-{i}") is not None
    cache.close()


def test_two_processes_write_concurrently(tmp_path: Path) -> None:
    path = str(tmp_path / "responses.sqlite")
    ResponseCache(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, w, 300)) for w in (1, 2)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
    assert [p.exitcode for p in workers] == [0, 0]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 900
    cache = ResponseCache(path)
    assert cache.get("w2-299") == CachedAnswer("answer 2 299", 299, 299, 0.0, {})
