"""Rough edges a new user meets: p-values only where a test means something, McNemar on
identical predictions, lower-is-better values marked, summary diagnostics in compare."""

from __future__ import annotations

from pathlib import Path

import pytest
from compare_fixtures import fake_stance_run, fake_summary_run, harness

from harness.scoring.significance import mcnemar

GOLD = ["favor", "against", "none"] * 4


def test_mcnemar_identical_predictions_is_exactly_zero_with_degenerate_ci() -> None:
    correct = [True, False, True, True, False]
    result = mcnemar(correct, correct)
    assert result.difference == 0.0 and (result.ci_low, result.ci_high) == (0.0, 0.0)
    assert result.p_value == 1.0


def test_compare_prints_no_p_value_for_too_few_pairs(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    fake_summary_run(tmp_path / "runs", "a", [0.2, 0.4, 0.3])
    fake_summary_run(tmp_path / "runs", "b", [0.9, 0.8, 0.7])
    assert harness("compare", tmp_path / "runs") == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if "too few pairs" in line]
    assert rows
    for row in rows:
        cells = [c.strip() for c in row.split("|")]
        assert cells[5] == "–", row  # the p column


def test_lower_is_better_is_marked_in_compare(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    fake_stance_run(tmp_path / "runs", "a", GOLD, GOLD)
    fake_stance_run(tmp_path / "runs", "b", GOLD, ["favor"] * len(GOLD))
    assert harness("compare", tmp_path / "runs", "--out", tmp_path / "out") == 0
    markdown = (tmp_path / "out" / "comparison.md").read_text(encoding="utf-8")
    html = (tmp_path / "out" / "comparison.html").read_text(encoding="utf-8")
    assert "invalid_rate ↓ (lower is better)" in markdown
    assert "invalid_rate ↓ (lower is better)" in html


def test_check_words_a_lower_is_better_tolerance_as_an_allowed_rise(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = fake_stance_run(tmp_path / "base", "a", GOLD, GOLD)
    cur = fake_stance_run(tmp_path / "cur", "a", GOLD, GOLD)
    summary = tmp_path / "summary.md"
    assert harness("check", cur, "--baseline", base, "--summary", summary) == 0
    text = summary.read_text(encoding="utf-8")
    assert "lower is better, allowed rise" in text
    assert "allowed drop" in text  # accuracy and the others keep their wording


def test_summary_diagnostics_in_compare(tmp_path: Path) -> None:
    from compare_fixtures import seed_runs

    results = seed_runs(tmp_path)
    assert harness("compare", results, "--out", tmp_path / "out") == 0
    markdown = (tmp_path / "out" / "comparison.md").read_text(encoding="utf-8")
    html = (tmp_path / "out" / "comparison.html").read_text(encoding="utf-8")
    assert "Summary diagnostics" in markdown and "compression" in markdown
    assert "extractive coverage" in markdown and "(refs " in markdown
    assert "Summary diagnostics" in html and "unsupported numbers" in html


def test_targets_show_their_arabic_wording(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from compare_fixtures import only_report, run_models

    run_models("arabicstancex", tmp_path / "results", "majority", extra=("--limit", "1"))
    report = only_report(tmp_path / "results")
    capsys.readouterr()
    assert harness("show", report, "--examples", "1") == 0
    assert "target: Aramco (شركة أرامكو)" in capsys.readouterr().out
    assert harness("compare", tmp_path / "results", "--out", tmp_path / "out") == 0
    html = (tmp_path / "out" / "comparison.html").read_text(encoding="utf-8")
    assert "Aramco (شركة أرامكو)" in html
