"""export-requests → an engine (a stand-in for `vllm run-batch`) → import-responses → run
scores from the cache with zero calls, and reports what a live run reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer
from helpers import (
    REPO,
    STANCE_ROWS,
    SUMM_ROWS,
    stance_spec,
    summarization_spec,
    write_jsonl,
    write_task,
)

from harness import read_report
from harness.cli import main
from harness.models.cache import ResponseCache
from harness.reports.store import read_examples

RUN_LOCAL = ("run_id", "started_at", "finished_at", "examples_file", "usage")
PER_CALL = ("latency_s", "cached", "attempts")


@pytest.fixture
def tasks(tmp_path: Path) -> Path:
    folder = tmp_path / "tasks"
    stance = [{**r, "id": f"{r['id']}-{n}", "text": f"{r['text']} ({n})"}
              for n in range(6) for r in STANCE_ROWS]
    write_jsonl(folder / "stance.jsonl", stance)
    write_jsonl(folder / "summ.jsonl", SUMM_ROWS)
    write_task(folder, stance_spec("stance.jsonl"), "stance.yaml")
    write_task(folder, summarization_spec("summ.jsonl"), "summ.yaml")
    return folder


def cli(*args: str) -> int:
    return main(list(args))


def run(tasks: Path, server: FakeOpenAIServer, cache: Path, results: Path) -> list[Path]:
    assert cli("run", "tiny_stance", "tiny_summ", "--tasks-dir", str(tasks), "--model",
               "openai:fake", "--base-url", server.base_url, "--cache-dir", str(cache),
               "--results-dir", str(results)) == 0
    return sorted(results.rglob("*Z-*[0-9a-f].json"))


def comparable(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    report = read_report(path)
    records = [{k: v for k, v in r.items() if k not in PER_CALL}
               for r in read_examples(path, report)]
    report = {k: v for k, v in report.items() if k not in RUN_LOCAL}
    report["model"]["settings"].pop("cache")
    return report, records


def export(tasks: Path, server: FakeOpenAIServer, cache: Path, out: Path) -> int:
    return cli("export-requests", "tiny_stance", "tiny_summ", "--tasks-dir", str(tasks),
               "--model", "openai:fake", "--base-url", server.base_url,
               "--cache-dir", str(cache), "--out", str(out))


def test_export_engine_import_then_run_makes_no_call(tmp_path: Path, tasks: Path) -> None:
    requests, responses = tmp_path / "requests.jsonl", tmp_path / "responses.jsonl"
    with FakeOpenAIServer() as server:
        assert export(tasks, server, tmp_path / "cache", requests) == 0
        lines = [json.loads(x) for x in requests.read_text("utf-8").splitlines()]
        assert len(lines) == len(STANCE_ROWS) * 6 + len(SUMM_ROWS)
        assert {x["url"] for x in lines} == {"/v1/chat/completions"}
        assert all(x["custom_id"].startswith("harness-") for x in lines)
        assert server.state.total_calls == 0
        subprocess.run([sys.executable, str(REPO / "tests" / "fake_run_batch.py"),
                        "-i", str(requests), "-o", str(responses), "--model", "fake"],
                       check=True)
        assert cli("import-responses", str(responses), "--cache-dir",
                   str(tmp_path / "cache")) == 0
        imported = run(tasks, server, tmp_path / "cache", tmp_path / "imported")
        assert server.state.total_calls == 0  # scored from the cache alone
        live = run(tasks, server, tmp_path / "live-cache", tmp_path / "live")
        assert server.state.total_calls == len(lines)
        # a second export finds everything answered and writes nothing
        assert export(tasks, server, tmp_path / "cache", requests) == 0
        assert requests.read_text("utf-8") == ""
    assert len(imported) == len(live) == 2
    for got, expected in zip(imported, live, strict=True):
        assert comparable(got) == comparable(expected)
        assert read_report(got)["usage"]["cached_responses"] == read_report(got)["summary"][
            "n_examples"]


def test_import_is_all_or_nothing_and_names_the_line(
        tmp_path: Path, tasks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    requests, responses = tmp_path / "requests.jsonl", tmp_path / "responses.jsonl"
    cache = tmp_path / "cache"
    with FakeOpenAIServer() as server:
        assert export(tasks, server, cache, requests) == 0
    subprocess.run([sys.executable, str(REPO / "tests" / "fake_run_batch.py"), "-i",
                    str(requests), "-o", str(responses)], check=True)
    good = responses.read_text("utf-8").splitlines()

    def attempt(lines: list[str]) -> str:
        responses.write_text("\n".join(lines) + "\n", "utf-8")
        capsys.readouterr()
        assert cli("import-responses", str(responses), "--cache-dir", str(cache)) == 2
        return " ".join(capsys.readouterr().err.split())  # unwrapped

    unknown = json.loads(good[2])
    unknown["custom_id"] = "harness-" + "0" * 64
    assert "responses.jsonl:3:" in attempt([*good[:2], json.dumps(unknown)])
    assert "unknown custom_id" in attempt([*good[:2], json.dumps(unknown)])
    foreign = {**json.loads(good[1]), "custom_id": "request-1"}
    assert "responses.jsonl:2:" in attempt([good[0], json.dumps(foreign)])
    assert "responses.jsonl:4:" in attempt([*good[:3], "{not json"])
    assert "answered twice" in attempt([good[0], good[1], good[0]])
    no_body = {**json.loads(good[0]), "response": {"status_code": 200, "body": {}}}
    assert "response.body" in attempt([json.dumps(no_body)])
    stored = ResponseCache(ResponseCache.path_in(cache))
    assert len(stored) == 0  # nothing half-imported
    stored.close()
    # a failed line (error object) is not stored; the others are, also when a writer puts
    # the completion itself in `response` (no status_code/body wrapper)
    bare = json.loads(good[1])
    bare["response"] = bare["response"]["body"]
    good[1] = json.dumps(bare, ensure_ascii=False)
    failed = {**json.loads(good[0]), "response": None,
              "error": {"code": "server_error", "message": "engine crashed"}}
    responses.write_text("\n".join([json.dumps(failed), *good[1:]]) + "\n", "utf-8")
    assert cli("import-responses", str(responses), "--cache-dir", str(cache)) == 0
    assert "engine crashed" in capsys.readouterr().err
    stored = ResponseCache(ResponseCache.path_in(cache))
    assert len(stored) == len(good) - 1
    stored.close()


def test_export_refuses_an_offline_adapter(tmp_path: Path, tasks: Path) -> None:
    assert cli("export-requests", "tiny_stance", "--tasks-dir", str(tasks), "--model",
               "majority", "--out", str(tmp_path / "r.jsonl")) == 2
    assert not (tmp_path / "r.jsonl").exists()
