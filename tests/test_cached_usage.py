"""A re-run answered from the cache reports what it spent itself (0 paid, lookup latency),
with the first calls' latency and cost beside it."""

from __future__ import annotations

import json
from pathlib import Path

from compare_fixtures import TASKS

from harness.cli import main


def _report(folder: Path) -> dict:
    paths = sorted(p for p in folder.rglob("*.json") if not p.name.endswith(".examples.jsonl"))
    return json.loads(paths[-1].read_text(encoding="utf-8"))


def _run(server_url: str, results: Path, cache: Path, *extra: str) -> dict:
    assert main(["run", str(TASKS / "seed_stance.yaml"), "--model", "openai:fake",
                 "--base-url", server_url, "--results-dir", str(results),
                 "--cache-dir", str(cache), *extra]) == 0
    return _report(results)


def test_cached_rerun_reports_its_own_cost_and_latency(fake_openai, tmp_path: Path) -> None:
    server = fake_openai(latency_s=0.05)
    prices = tmp_path / "prices.yaml"
    prices.write_text("fake: {input: 1000000, output: 2000000}\n", encoding="utf-8")
    cache = tmp_path / "cache"
    first = _run(server.base_url, tmp_path / "r1", cache, "--prices", str(prices))["usage"]
    assert first["cached_responses"] == 0 and "as_first_answered" not in first
    assert first["cost_usd_uncached"] == first["cost_usd"] > 0
    again = _run(server.base_url, tmp_path / "r2", cache, "--prices", str(prices))["usage"]
    assert again["cached_responses"] == 6
    assert again["cost_usd_uncached"] == 0  # nothing was paid this time
    assert again["as_first_answered"]["cost_usd"] == first["cost_usd"]
    assert again["as_first_answered"]["latency_s_total"] == first["latency_s_total"]
    assert again["latency_s_total"] < first["latency_s_total"]  # lookups, not 0.05 s calls


def test_unpriced_cached_rerun_paid_zero_not_unknown(fake_openai, tmp_path: Path) -> None:
    server = fake_openai()
    cache = tmp_path / "cache"
    first = _run(server.base_url, tmp_path / "r1", cache)["usage"]
    assert first["cost_usd_uncached"] is None  # unknown price, answers were paid for
    again = _run(server.base_url, tmp_path / "r2", cache)["usage"]
    assert again["cost_usd"] is None and again["cost_usd_uncached"] == 0
