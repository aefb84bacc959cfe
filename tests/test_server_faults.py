"""Server faults against the fault-injecting fake server: null content, a dripping server held
to the deadline, a reset mid-body, two processes sharing one cache, and Ctrl-C."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer, FaultPlan, prompt_key
from helpers import REPO, stance_spec, write_jsonl, write_task

from harness.adapters.base import GenerationSettings, Request, Response
from harness.adapters.openai_compat import OpenAIAdapter
from harness.batch.state import BatchState
from harness.models.cache import ResponseCache

Server = Callable[..., FakeOpenAIServer]
MESSAGES = ({"role": "user", "content": "ما موقف الكاتب؟ نص"},)
FAST = {"backoff": 0.01, "max_backoff": 0.05, "timeout": 0.5}


def generate(adapter: OpenAIAdapter) -> Response:
    request = Request(task="t", kind="stance", example_id="x", messages=MESSAGES, fields={},
                      generation=GenerationSettings())

    async def go() -> Response:
        try:
            return await adapter.generate(request)
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def cached_rows(cache_dir: Path) -> int:
    path = ResponseCache.path_in(cache_dir)
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])


@pytest.mark.parametrize("fault", ["null_content", "empty_content"])
def test_null_or_empty_content_is_retried_and_never_cached(
        fake_openai: Server, tmp_path: Path, fault: str) -> None:
    server = fake_openai(plan=FaultPlan(script={prompt_key(MESSAGES): [fault, fault]}))
    response = generate(OpenAIAdapter("fake", base_url=server.base_url, cache_dir=str(tmp_path),
                                      **FAST))
    assert response.text == "مؤيد" and response.attempts == 3 and server.state.total_calls == 3
    assert cached_rows(tmp_path) == 1  # the good answer only

    always = fake_openai(plan=FaultPlan(always=fault))
    failed = generate(OpenAIAdapter("fake", base_url=always.base_url,
                                    cache_dir=str(tmp_path / "c2"), max_attempts=2, **FAST))
    assert failed.error and "content is" in failed.error and "gave up after 2" in failed.error
    assert cached_rows(tmp_path / "c2") == 0


def test_timeout_is_a_deadline_for_a_dripping_server(fake_openai: Server) -> None:
    server = fake_openai(drip_s=0.2, plan=FaultPlan(always="drip"))  # ~300 bytes: ~60 s
    started = time.monotonic()
    response = generate(OpenAIAdapter("fake", base_url=server.base_url, cache=False,
                                      max_attempts=2, **{**FAST, "timeout": 1.0}))
    elapsed = time.monotonic() - started
    assert response.error and "deadline" in response.error
    assert server.state.total_calls == 2 and elapsed < 4.0, elapsed  # 2 × 1 s, plus slack


def test_reset_mid_body_is_a_transport_error_not_unreachable(fake_openai: Server) -> None:
    once = fake_openai(plan=FaultPlan(script={prompt_key(MESSAGES): ["reset_body"]}))
    healed = generate(OpenAIAdapter("fake", base_url=once.base_url, cache=False, **FAST))
    assert healed.text == "مؤيد" and once.state.total_calls == 2

    always = fake_openai(plan=FaultPlan(always="reset_body"))
    failed = generate(OpenAIAdapter("fake", base_url=always.base_url, cache=False,
                                    max_attempts=3, **FAST))  # an errored example, no abort
    assert failed.error and "gave up after 3 attempts: transport error" in failed.error
    assert "cannot connect" not in failed.error and always.state.total_calls == 3


def _run_command(task: Path, server: FakeOpenAIServer, tmp_path: Path, results: str,
                 *extra: str) -> list[str]:
    return [sys.executable, "-m", "harness.cli", "run", str(task), "--model", "openai:fake",
            "--base-url", server.base_url, "--cache-dir", str(tmp_path / "cache"),
            "--results-dir", str(tmp_path / results), "--concurrency", "2", *extra]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    return {**env, "PYTHONPATH": str(REPO)}


def _stance_task(tmp_path: Path, n: int) -> Path:
    rows = [{"id": f"s{i}", "text": f"نص رقم {i}", "target": "NEOM", "label": "favor"}
            for i in range(n)]
    write_jsonl(tmp_path / "data.jsonl", rows)
    return write_task(tmp_path, stance_spec())


def test_two_processes_on_one_cache_pay_each_call_once(
        fake_openai: Server, tmp_path: Path) -> None:
    n = 8
    server = fake_openai(latency_s=0.4)
    task = _stance_task(tmp_path, n)
    procs = [subprocess.Popen(_run_command(task, server, tmp_path, f"r{i}"), cwd=tmp_path,
                              env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1].decode()[-2000:] for o in outputs]
    print(f"{n} examples, two processes, one cache: the server saw "
          f"{server.state.total_calls} calls")
    assert server.state.total_calls == n  # without claims, both processes pay for most calls
    assert max(server.state.calls.values()) == 1


def test_claim_of_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    cache = ResponseCache(tmp_path / "c.sqlite")
    with sqlite3.connect(tmp_path / "c.sqlite") as db:
        db.execute("INSERT INTO claims VALUES ('k', ?, ?, 'other', ?)",
                   (socket.gethostname(), dead.pid, time.time() + 900))
        db.execute("INSERT INTO claims VALUES ('live', ?, ?, 'other', ?)",
                   (socket.gethostname(), os.getpid(), time.time() + 900))
    assert cache.claim("k")  # its process is gone: no wait
    assert not cache.claim("live")  # a live process is fetching it
    cache.close()


def test_ctrl_c_exits_130_keeps_answers_and_writes_nothing(
        fake_openai: Server, tmp_path: Path) -> None:
    n = 6
    server = fake_openai(latency_s=0.5)
    task = _stance_task(tmp_path, n)
    command = _run_command(task, server, tmp_path, "results", "--concurrency", "1")
    proc = subprocess.Popen(command, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while server.state.total_calls < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    text = err.decode()
    assert proc.returncode == 130, text
    assert "Traceback" not in text and text.strip().splitlines()[-1].startswith("interrupted")
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").rglob("*"))
    answered = cached_rows(tmp_path / "cache")
    assert 2 <= answered < n
    before = server.state.total_calls
    rerun = subprocess.run(command, cwd=tmp_path, env=_env(), capture_output=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    assert server.state.total_calls - before == n - answered  # the cached ones are not asked


def _open_at_once(path: str, barrier: Any, errors: Any) -> None:
    barrier.wait(timeout=30)
    try:
        ResponseCache(path)
        BatchState(path)
    except Exception as exc:  # reported to the parent, which fails the test
        errors.put(repr(exc))


def test_processes_opening_one_fresh_cache_at_once_all_succeed(tmp_path: Path) -> None:
    """Switching a new file to WAL does not wait on SQLite's busy timeout: without retrying,
    the processes that lose the race get "database is locked" (seen in CI)."""
    context = multiprocessing.get_context("fork")
    for attempt in range(5):
        path = str(tmp_path / f"c{attempt}.sqlite")
        barrier, errors = context.Barrier(6), context.Queue()
        procs = [context.Process(target=_open_at_once, args=(path, barrier, errors))
                 for _ in range(6)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=60)
        assert [p.exitcode for p in procs] == [0] * 6
        assert errors.empty(), errors.get()
