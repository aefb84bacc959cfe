"""`run --batch` against a loopback fake of the files and batches endpoints: submission,
polling through every status, kill -9 then resume without paying again, partial failures
resubmitted alone, cancel, and batch prices."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fake_batch_server import FakeBatchServer
from fake_openai_server import prompt_key
from helpers import REPO, STANCE_ROWS, stance_spec, write_jsonl, write_task

from harness import read_report
from harness.cli import main
from harness.reports.store import read_examples
from harness.runner import build_requests
from harness.tasks import load_task

N = 12


def write_batch_task(tmp_path: Path) -> Path:
    """A stance task of N distinct examples."""
    rows = [{**STANCE_ROWS[i % 3], "id": f"t{i:02d}", "text": f"{STANCE_ROWS[i % 3]['text']} {i}"}
            for i in range(N)]
    write_jsonl(tmp_path / "task" / "data.jsonl", rows)
    return write_task(tmp_path / "task", stance_spec(name="batch_stance"))


@pytest.fixture
def task(tmp_path: Path) -> Path:
    return write_batch_task(tmp_path)


def prompts(task: Path) -> list[str]:
    loaded = load_task(task)
    gen = loaded.spec.generation.settings()
    return [prompt_key(r.messages) for r in build_requests(loaded, loaded.examples, gen)]


def args(task: Path, server: FakeBatchServer, tmp: Path, model: str = "fake") -> list[str]:
    """A batch run writing its report into a fresh results folder (see `latest`)."""
    results = tmp / f"results{len(list(tmp.glob('results*')))}"
    return ["run", str(task), "--model", f"openai:{model}", "--base-url", server.base_url,
            "--batch", "--poll-interval", "0.02", "--cache-dir", str(tmp / "cache"),
            "--results-dir", str(results)]


def latest(tmp: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The report of the latest run (the results folder made last)."""
    folder = max(tmp.glob("results*"), key=lambda p: int(p.name.removeprefix("results") or 0))
    (path,) = folder.rglob("*Z-*[0-9a-f].json")
    report = read_report(path)
    return report, read_examples(path, report)


def submitted_ids(server: FakeBatchServer, batch: dict[str, Any]) -> list[str]:
    data = server.state.files[batch["input_file_id"]].decode().splitlines()
    return [json.loads(line)["custom_id"] for line in data]


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["PYTHONPATH"] = str(REPO)
    return env


def test_batch_moves_through_every_status_then_scores_from_the_cache(
        tmp_path: Path, task: Path) -> None:
    with FakeBatchServer() as server:
        assert main(args(task, server, tmp_path)) == 0
        (batch,) = server.state.created
        assert [s for _, s in server.state.history] == [
            "validating", "in_progress", "finalizing", "completed"]
        assert len(submitted_ids(server, batch)) == N
        assert server.state.total_calls == 0  # no live chat call
        report, records = latest(tmp_path)
        assert report["summary"]["n_errors"] == 0 and report["summary"]["n_scored"] == N
        assert all(r["prediction"] == "مؤيد" and not r["cached"] for r in records)
        assert report["model"]["settings"]["batch"] is True
        assert main(args(task, server, tmp_path)) == 0  # all cached: nothing submitted
        assert len(server.state.created) == 1 and server.state.total_calls == 0
        assert latest(tmp_path)[0]["usage"]["cached_responses"] == N


def test_partial_failure_then_only_the_failed_are_resubmitted(
        tmp_path: Path, task: Path) -> None:
    failing = set(prompts(task)[:2])
    with FakeBatchServer(fail_prompts=failing) as server:
        assert main(args(task, server, tmp_path)) == 1  # errored examples fail the run
        report, records = latest(tmp_path)
        assert report["summary"]["n_errors"] == 2
        errors = [r["error"] for r in records if r["error"]]
        assert all("injected: invalid prompt" in e for e in errors)
        server.state.fail_prompts.clear()
        assert main(args(task, server, tmp_path)) == 0
        first, second = server.state.created
        assert len(submitted_ids(server, second)) == 2
        assert set(submitted_ids(server, second)) < set(submitted_ids(server, first))
        assert latest(tmp_path)[0]["usage"]["cached_responses"] == N - 2


@pytest.mark.parametrize(("final", "reason"), [("expired", "batch_expired"),
                                               ("failed", "the input file is not valid")])
def test_expired_and_failed_batches_become_errors_with_the_reason(
        tmp_path: Path, task: Path, final: str, reason: str) -> None:
    with FakeBatchServer(final=final, partial=5) as server:
        assert main(args(task, server, tmp_path)) == 1
        report, records = latest(tmp_path)
        answered = 5 if final == "expired" else 0
        assert report["summary"]["n_errors"] == N - answered
        assert all(reason in r["error"] for r in records if r["error"])
        server.state.final = "completed"
        assert main(args(task, server, tmp_path)) == 0
        assert len(submitted_ids(server, server.state.created[-1])) == N - answered


def _wait(condition: Any, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def kill_9_when(argv: list[str], ready: Any, what: str) -> None:
    """Run `harness ARGV` in a child process and kill -9 it as soon as `ready()` holds."""
    child = subprocess.Popen([sys.executable, "-m", "harness", *argv], env=environment(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(ready, what)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()


def test_kill_9_while_polling_then_resume_without_resubmitting(
        tmp_path: Path, task: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeBatchServer(hold=True) as server:
        kill_9_when(args(task, server, tmp_path), lambda: server.state.retrievals >= 3, "polling")
        (batch,) = server.state.created
        assert main(["batches", "--cache-dir", str(tmp_path / "cache")]) == 0
        listed = capsys.readouterr().out
        assert batch["id"] in listed and "in_progress" in listed
        server.state.hold = False
        assert main(args(task, server, tmp_path)) == 0
        assert len(server.state.created) == 1  # resumed the same batch: paid once
        assert server.state.total_calls == 0
        assert latest(tmp_path)[0]["summary"]["n_scored"] == N
        capsys.readouterr()
        assert main(["batches", "--cache-dir", str(tmp_path / "cache")]) == 0
        assert batch["id"] not in capsys.readouterr().out  # settled


def test_cancel_a_pending_batch(tmp_path: Path, task: Path) -> None:
    with FakeBatchServer(hold=True, partial=4) as server:
        child = subprocess.Popen([sys.executable, "-m", "harness", *args(task, server, tmp_path)],
                                 env=environment(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            _wait(lambda: server.state.retrievals >= 2, "polling")
            (batch,) = server.state.created
            assert main(["batches", "--cache-dir", str(tmp_path / "cache"),
                         "--cancel", batch["id"]]) == 0
            assert child.wait(timeout=60) == 1  # the run collects 4 answers, 8 cancelled
        finally:
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
        report, records = latest(tmp_path)
        assert report["summary"]["n_errors"] == N - 4
        assert all("batch_cancelled" in r["error"] for r in records if r["error"])
        assert main(["batches", "--cache-dir", str(tmp_path / "cache"), "--cancel",
                     batch["id"]]) == 2  # settled: nothing to cancel


def test_batch_answers_cost_the_batch_price(tmp_path: Path, task: Path) -> None:
    with FakeBatchServer(models=("gpt-4o-mini",)) as server:
        assert main(args(task, server, tmp_path, "gpt-4o-mini")) == 0
        report, records = latest(tmp_path)
        settings = report["model"]["settings"]
        assert settings["price_usd_per_1m"] == {"input": 0.15, "output": 0.60}
        assert settings["batch_price_usd_per_1m"] == {"input": 0.075, "output": 0.30}
        for r in records:
            expected = (r["prompt_tokens"] * 0.075 + r["completion_tokens"] * 0.30) / 1e6
            assert r["cost_usd"] == pytest.approx(expected, rel=1e-9)
        # a rerun from the cache still prices these answers at the batch price
        assert main(args(task, server, tmp_path, "gpt-4o-mini")) == 0
        assert latest(tmp_path)[0]["usage"]["cost_usd"] == report["usage"]["cost_usd"]


def test_a_price_file_may_give_batch_prices() -> None:
    from harness.models.pricing import Price, PriceTable, parse_price

    given = parse_price({"input": 1, "output": 2, "batch_input": 0.4, "batch_output": 0.8})
    assert given.batch() == Price(0.4, 0.8)
    assert parse_price({"input": 1, "output": 2}).batch() is None  # unknown, never 0
    assert PriceTable().lookup("gpt-4o-2024-08-06").batch() == Price(1.25, 5.0)  # type: ignore[union-attr]
