"""Both seed tasks against a real OpenAI-compatible server (e.g. llama.cpp with a small model).

Set HARNESS_TEST_BASE_URL (e.g. http://127.0.0.1:8011/v1, model id "local"); `.ci/run` starts
such a server. Scores may be low: the point is the protocol, the reports and the accounting.

Sized for CI: every seed prompt carries the whole article (~2,000 tokens, about 12 s of prompt
processing each on a two-thread CPU server, which answers one request at a time), so the run
takes the first LIMIT examples of each task, short answers, and a concurrency of 2 (one request
in flight, one queued: concurrent calls are still exercised without piling up timeouts).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import TASKS

from harness.cli import main
from harness.tasks import load_task

BASE_URL = os.environ.get("HARNESS_TEST_BASE_URL")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not BASE_URL, reason="HARNESS_TEST_BASE_URL is not set (no real server)"),
]
MODEL = os.environ.get("HARNESS_TEST_MODEL", "local")
LIMIT = 2  # summarization has 1 example, stance 6: 3 requests in all


def test_seed_tasks_against_a_real_server(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    results, cache = tmp_path / "results", tmp_path / "cache"
    argv = ["run", str(TASKS / "seed_summarization.yaml"), str(TASKS / "seed_stance.yaml"),
            "--model", f"openai:{MODEL}", "--base-url", str(BASE_URL), "--max-tokens", "16",
            "--timeout", "120", "--concurrency", "2", "--limit", str(LIMIT), "--results-dir", str(results),
            "--cache-dir", str(cache)]
    assert main(argv) in (0, 1)  # 1 only if nothing scored: checked below per task
    for name in ("seed_summarization", "seed_stance"):
        [path] = (results / name).rglob("*Z-*[0-9a-f].json")
        report = json.loads(path.read_text("utf-8"))
        rows = path.with_name(path.stem + ".examples.jsonl").read_text("utf-8").splitlines()
        n = min(LIMIT, len(load_task(TASKS / f"{name}.yaml").examples))
        summary = report["summary"]
        assert summary["n_examples"] == n == len(rows)
        assert summary["n_errors"] == 0, [json.loads(r)["error"] for r in rows]
        assert summary["n_scored"] == n
        assert report["usage"]["attempts"] >= n
        for row in map(json.loads, rows):
            assert isinstance(row["prediction"], str)
            if name == "seed_stance":
                assert "parsed_label" in row  # the label may be None: poor Arabic is allowed
    # the same command again is answered from the cache, with no call to the server
    rerun = tmp_path / "rerun"
    assert main([*argv, "--results-dir", str(rerun)]) in (0, 1)
    for name in ("seed_summarization", "seed_stance"):
        [path] = (rerun / name).rglob("*Z-*[0-9a-f].json")
        report = json.loads(path.read_text("utf-8"))
        assert report["usage"]["cached_responses"] == report["summary"]["n_examples"]


def test_ans_claim_stance_with_few_shot_against_a_real_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled ANS task (short headline pairs), 2 examples with 2 training shots each."""
    import yaml
    from helpers import write_task

    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    spec = yaml.safe_load((TASKS / "ans_claim_stance.yaml").read_text("utf-8"))
    spec["data"]["path"] = str(TASKS.parent / "references/ans/ans_claim_stance.jsonl")
    spec["fewshot"] = {"k": 2, "seed": 0, "strategy": "balanced"}
    task = write_task(tmp_path, spec, "ans_fewshot.yaml")
    results = tmp_path / "results"
    argv = ["run", str(task), "--model", f"openai:{MODEL}", "--base-url", str(BASE_URL),
            "--max-tokens", "8", "--timeout", "120", "--concurrency", "2", "--limit", "2",
            "--results-dir", str(results), "--cache-dir", str(tmp_path / "cache"),
            "--allow-outside-data"]  # the task file is written here, its data is the repo's
    assert main(argv) in (0, 1)
    [path] = results.rglob("*Z-*[0-9a-f].json")
    report = json.loads(path.read_text("utf-8"))
    rows = [json.loads(r) for r in
            path.with_name(path.stem + ".examples.jsonl").read_text("utf-8").splitlines()]
    assert report["summary"]["n_scored"] == 2 and report["summary"]["n_errors"] == 0
    assert set(report["metrics"]) >= {"accuracy", "macro_f1"} and "f_avg" not in report["metrics"]
    assert all(len(r["fewshot_ids"]) == 2 and isinstance(r["prediction"], str) for r in rows)


def test_loglikelihood_mode_against_a_real_server(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Needs log-probabilities (llama.cpp: LOCAL_LLM_LOGITS_ALL=true, as `.ci/run` starts it).
    Short tweets, 2 examples: every label scored, none invalid, the route recorded, and the
    echo check run (llama-cpp-python's echo is wrong: `auto` must fall back to generation)."""
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    argv = ["run", str(TASKS / "arabicstancex.yaml"), "--answer-mode", "loglikelihood",
            "--model", f"openai:{MODEL}", "--base-url", str(BASE_URL), "--timeout", "120",
            "--concurrency", "1", "--limit", "2", "--cache-dir", str(tmp_path / "cache")]
    for folder in ("results", "rerun"):
        assert main([*argv, "--results-dir", str(tmp_path / folder)]) == 0
        [path] = (tmp_path / folder / "arabicstancex").rglob("*Z-*[0-9a-f].json")
        report = json.loads(path.read_text("utf-8"))
        rows = [json.loads(r) for r in
                path.with_name(path.stem + ".examples.jsonl").read_text("utf-8").splitlines()]
        assert report["metrics"]["invalid_rate"]["value"] == 0.0
        assert report["metric_settings"]["stance"]["answer_mode"] == "loglikelihood"
        assert report["model"]["loglikelihood"]["route"] in ("echo", "generation")
        for row in rows:
            scores = row["scores"]["label_scores"]
            assert set(scores) == {"favor", "against", "none"}
            assert all(isinstance(s["logprob"], float) and s["logprob"] <= 0
                       for s in scores.values())
    assert report["usage"]["cached_responses"] == 2  # the rerun made no call
