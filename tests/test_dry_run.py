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
