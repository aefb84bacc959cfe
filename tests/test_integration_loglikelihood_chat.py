"""Log-likelihood's chat route against a real server (HARNESS_TEST_BASE_URL, as `.ci/run`
starts llama-cpp-python with LOCAL_LLM_LOGITS_ALL=true).

llama-cpp-python 0.3.36 closes a final assistant message and opens a new turn whatever the
flags, so the default prefill must be refused (never silently wrong), and
`logprobs_prefill=never` scores each label's first token exactly, the rest bounded: one
request per example. One short tweet; a few seconds on the CI server.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import TASKS

from harness.cli import main

BASE_URL = os.environ.get("HARNESS_TEST_BASE_URL")
MODEL = os.environ.get("HARNESS_TEST_MODEL", "local")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not BASE_URL, reason="HARNESS_TEST_BASE_URL is not set (no real server)"),
]


def argv(tmp_path: Path, prefill: str | None, folder: str) -> list[str]:
    options = "logprobs_route=chat" + (f",logprobs_prefill={prefill}" if prefill else "")
    return ["run", str(TASKS / "arabicstancex.yaml"), "--answer-mode", "loglikelihood",
            "--model", f"openai:{MODEL},{options}", "--base-url", str(BASE_URL),
            "--timeout", "120", "--concurrency", "1", "--limit", "1",
            "--cache-dir", str(tmp_path / "cache"), "--results-dir", str(tmp_path / folder)]


def test_chat_route_refuses_a_prefill_that_is_not_continued(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert main(argv(tmp_path, None, "refused")) != 0
    err = " ".join(capsys.readouterr().err.split())
    assert "/chat/completions did not continue the final assistant message" in err
    assert not list((tmp_path / "refused").rglob("*.json"))  # nothing written
    for folder in ("never", "rerun"):
        assert main(argv(tmp_path, "never", folder)) == 0
        [path] = (tmp_path / folder / "arabicstancex").rglob("*Z-*[0-9a-f].json")
        report = json.loads(path.read_text("utf-8"))
        rows = [json.loads(r) for r in
                path.with_name(path.stem + ".examples.jsonl").read_text("utf-8").splitlines()]
        info = report["model"]["loglikelihood"]
        assert info["route"] == "chat" and info["prefill"] == "never"
        assert report["metrics"]["invalid_rate"]["value"] == 0.0
        for row in rows:
            scores = row["scores"]["label_scores"]
            assert set(scores) == {"favor", "against", "none"}
            for score in scores.values():  # one step each: exact if the label is one token
                assert score["tokens"] == 1 and score["logprob"] <= 0
    assert report["usage"]["cached_responses"] == 1  # the rerun made no call
