"""The judge against a real OpenAI-compatible server (llama.cpp with a small model), end to end.

Set HARNESS_TEST_BASE_URL as for test_integration_local_llm.py. Sized for CI: the seed task's
one article, the offline lead summary (no model call), and one judge question (faithfulness
only; llama.cpp's grammar-constrained JSON via structured=json_object), so one or two requests.
A small model's scores mean little: the point is the protocol, the parse, the accounting and
that a re-run asks the judge nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from helpers import REPO, TASKS

from harness.cli import main

BASE_URL = os.environ.get("HARNESS_TEST_BASE_URL")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not BASE_URL, reason="HARNESS_TEST_BASE_URL is not set (no real server)"),
]
MODEL = os.environ.get("HARNESS_TEST_MODEL", "local")


def test_judge_on_the_seed_task_with_a_real_server(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    spec = yaml.safe_load((TASKS / "seed_summarization.yaml").read_text("utf-8"))
    spec["data"]["path"] = str(REPO / "references" / "seed" / "musk_trump_summaries.jsonl")
    spec["metrics"]["judge"] = {"claims": False, "dimensions": ["faithfulness"],
                                "max_tokens": 96}
    task = tmp_path / "seed_judged.yaml"
    task.write_text(yaml.safe_dump(spec, allow_unicode=True), "utf-8")
    argv = ["run", str(task), "--model", "lead", "--judge",
            f"openai:{MODEL},base_url={BASE_URL},timeout=300,structured=json_object",
            "--cache-dir", str(tmp_path / "cache"),
            "--allow-outside-data"]  # the task file is written here, its data is the repo's
    reports = []
    for results in ("first", "rerun"):
        assert main([*argv, "--results-dir", str(tmp_path / results)]) == 0
        [path] = (tmp_path / results).rglob("*Z-*[0-9a-f].json")
        reports.append(json.loads(path.read_text("utf-8")))
        rows = path.with_name(path.stem + ".examples.jsonl").read_text("utf-8").splitlines()
        verdict = json.loads(rows[0])["scores"]["judge"][MODEL]
        if verdict["dimensions_invalid"] is None:  # a valid answer has every score in range
            assert 1 <= verdict["dimensions"]["faithfulness"]["score"] <= 5
        else:  # never scored, and the reason is kept
            assert verdict["dimensions"] is None
            assert reports[-1]["metrics"]["judge_faithfulness"]["value"] is None
    first, rerun = (r["details"]["judge"]["usage"][MODEL] for r in reports)
    assert 1 <= first["calls"] <= 2 and first["cached"] == 0
    assert rerun["cached"] == rerun["calls"] == first["calls"]  # zero judge calls on re-run
    assert reports[0]["metric_settings"]["judge"] == reports[1]["metric_settings"]["judge"]
