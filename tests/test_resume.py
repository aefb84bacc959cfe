"""A run killed with SIGKILL mid-way, re-run with the same command, repeats no answered call."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fake_openai_server import FakeOpenAIServer, prompt_key
from helpers import REPO, stance_spec, write_jsonl, write_task

from harness.adapters.base import GenerationSettings
from harness.adapters.openai_compat import OpenAIAdapter
from harness.models.cache import cache_key
from harness.runner import build_requests
from harness.tasks import load_task

N_ROWS = 40
LABELS = ("favor", "against", "none")
ARABIC = {"favor": "مؤيد", "against": "معارض", "none": "محايد"}


def varied_answer(messages: Sequence[Mapping[str, Any]]) -> str:
    """A deterministic label per prompt, so scores are neither 0 nor 1."""
    digest = hashlib.sha256(str(messages[-1]["content"]).encode()).digest()
    return ARABIC[LABELS[digest[0] % 3]]


def make_task(folder: Path) -> Path:
    rows = [{"id": f"r{i:02d}", "text": f"هذا نص الخبر رقم {i}.", "target": "X",
             "label": LABELS[i % 3]} for i in range(N_ROWS)]
    write_jsonl(folder / "data.jsonl", rows)
    return write_task(folder, stance_spec(name="resume_stance"))


def command(task: Path, server: FakeOpenAIServer, cache: Path, results: Path) -> list[str]:
    return [sys.executable, "-m", "harness", "run", str(task), "--model", "openai:fake",
            "--base-url", server.base_url, "--cache-dir", str(cache),
            "--results-dir", str(results), "--concurrency", "2"]


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["PYTHONPATH"] = str(REPO)
    return env


def cached_rows(cache: Path) -> int:
    path = cache / "responses.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])
    except sqlite3.OperationalError:  # table not created yet
        return 0


def cached_prompts(task_path: Path, base_url: str, cache: Path) -> set[str]:
    """Prompt keys (as the server counts them) of the examples answered in the cache."""
    task = load_task(task_path)
    gen = GenerationSettings(**task.spec.generation.model_dump())
    adapter = OpenAIAdapter("fake", base_url=base_url, cache=False)
    with sqlite3.connect(cache / "responses.sqlite") as db:
        keys = {row[0] for row in db.execute("SELECT key FROM responses")}
    return {prompt_key(r.messages) for r in build_requests(task, task.examples, gen)
            if cache_key(adapter.base_url, adapter.request_body(r)) in keys}


def report(results: Path) -> dict[str, Any]:
    [path] = results.rglob("*Z-*[0-9a-f].json")
    return json.loads(path.read_text("utf-8"))


def test_kill_9_then_resume_repeats_no_answered_call(
    fake_openai: Callable[..., FakeOpenAIServer], tmp_path: Path
) -> None:
    task = make_task(tmp_path / "task")
    server = fake_openai(latency_s=0.15, answer=varied_answer)
    cache, results = tmp_path / "cache", tmp_path / "results"
    cmd = command(task, server, cache, results)

    child = subprocess.Popen(cmd, cwd=tmp_path, env=environment(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while cached_rows(cache) < 12:
        assert child.poll() is None, "the run finished before it could be killed"
        assert time.monotonic() < deadline, "no answers were cached"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert not results.exists()  # killed before any report was written

    answered = cached_prompts(task, server.base_url, cache)
    assert 12 <= len(answered) < N_ROWS
    calls_at_kill = dict(server.state.calls)
    assert all(calls_at_kill[k] == 1 for k in answered)

    resumed = subprocess.run(cmd, cwd=tmp_path, env=environment(), capture_output=True,
                             text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    for key in answered:  # zero repeated calls for examples already answered
        assert server.state.calls[key] == 1
    repeated = sum(server.state.calls.values()) - N_ROWS
    assert 0 <= repeated <= 2  # at most the calls in flight at the kill (concurrency 2)
    assert len(server.state.calls) == N_ROWS

    resumed_report = report(results)
    assert resumed_report["summary"]["n_examples"] == N_ROWS
    assert resumed_report["summary"]["n_errors"] == 0
    assert resumed_report["usage"]["cached_responses"] == len(answered)

    fresh_results = tmp_path / "fresh-results"
    fresh = subprocess.run(command(task, server, tmp_path / "fresh-cache", fresh_results),
                           cwd=tmp_path, env=environment(), capture_output=True, text=True,
                           timeout=120)
    assert fresh.returncode == 0, fresh.stderr
    uninterrupted = report(fresh_results)
    assert uninterrupted["usage"]["cached_responses"] == 0
    assert resumed_report["metrics"] == uninterrupted["metrics"]
    assert 0 < uninterrupted["metrics"]["accuracy"]["value"] < 1
