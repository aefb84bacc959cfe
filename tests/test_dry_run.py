"""`harness run --dry-run`: prompts, request bodies, call count and cost; no key, no files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from compare_fixtures import TASKS, harness

from harness.dryrun import CHARS_PER_TOKEN


def test_dry_run_needs_no_key_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    results, cache = tmp_path / "results", tmp_path / "cache"
    assert harness("run", "seed_stance", "--tasks-dir", TASKS, "--results-dir", results,
                   "--cache-dir", cache, "--model", "openai:gpt-4o-mini", "--model", "majority",
                   "--limit", "2", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "request body" in out and '"model": "gpt-4o-mini"' in out
    assert '"max_tokens": 16' in out and "اقرأ المقال" in out  # the rendered prompt
    assert "calls: 2; cost: ≤ $" in out and f"characters / {CHARS_PER_TOKEN:g}" in out
    assert "majority answers offline" in out
    assert "4 call(s) in 2 run(s)" in out
    assert not results.exists() and not cache.exists()
    assert "OPENAI_API_KEY" not in os.environ  # the placeholder is gone again
    assert "placeholder" not in out


def test_dry_run_shows_the_first_log_likelihood_step(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    assert harness("run", "seed_stance", "--tasks-dir", TASKS, "--results-dir",
                   tmp_path / "results", "--cache-dir", tmp_path / "cache", "--model",
                   "openai:local,base_url=http://127.0.0.1:9/v1", "--answer-mode",
                   "loglikelihood", "--limit", "2", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "first request body (log-likelihood" in out
    assert '"logprobs": 20' in out and '"max_tokens": 1,' in out
    assert "ending '" in out and "الإجابة:'" in out  # the answer cue closes the prompt
    assert '"messages"' not in out.split("first request body")[1]
    assert "calls: at least 2" in out and "at least 2 call(s) in 1 run(s)" in out
    assert not (tmp_path / "results").exists()
