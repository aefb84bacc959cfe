"""`harness compare`: comparability, paired tests against hand-computed values, reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from compare_fixtures import (
    fake_stance_run,
    fake_summary_run,
    harness,
    run_models,
    seed_runs,
    shared_rows,
    shared_tasks,
    write_predictions,
)
from scipy.stats import binomtest

from harness.compare.command import build_comparisons
from harness.compare.html import render_html
from harness.compare.loading import dict_differences, discover_runs
from harness.compare.markdown import md, render_markdown
from harness.compare.plots import figure_svg, metric_bars
from harness.errors import InputError


def _by_label(comparison, label):
    return {r.metric: r for r in comparison.tests[label]}


def test_seed_tasks_three_runs(tmp_path: Path) -> None:
    results = seed_runs(tmp_path)
    out = tmp_path / "out"
    assert harness("compare", results, "--baseline", "lead-k1", "--out", out) == 0
    text = (out / "comparison.md").read_text(encoding="utf-8")
    for name in ("lead-k1 (baseline)", "lead-k3", "refs", "majority (baseline)"):
        assert name in text
    page = (out / "comparison.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 3 and 'dir="rtl"' in page and 'lang="ar"' in page
    assert harness("compare", results, "--out", out / "short", "--max-examples", "2") == 0
    assert "Showing the 2 largest of 6" in (out / "short" / "comparison.html").read_text()

    comparisons = build_comparisons(discover_runs([results]), baseline="lead-k1")
    summary = next(c for c in comparisons if c.kind == "summarization")
    for label in ("lead-k3", "refs"):
        for metric, result in _by_label(summary, label).items():
            reported = summary.table[label][metric]["value"] - summary.table["lead-k1"][metric]["value"]
            assert result.difference == pytest.approx(reported)
            assert result.n == 1
    assert _by_label(summary, "refs")["rouge1"].candidate == pytest.approx(1.0)
    stance = next(c for c in comparisons if c.kind == "stance")
    accuracy = _by_label(stance, "refs")["accuracy"]
    # majority answers favor: right on the 3 favor rows, wrong on the 3 against rows; the
    # replayed gold labels are always right: 3 discordant pairs, all for the candidate.
    assert accuracy.method == "mcnemar_exact"
    assert accuracy.difference == pytest.approx(0.5)
    assert accuracy.p_value == pytest.approx(0.25)  # 2 * 0.5**3


def test_shared_data_three_runs(tmp_path: Path) -> None:
    summary_task, stance_task = shared_tasks(tmp_path)
    results = tmp_path / "results"
    refs = write_predictions(tmp_path / "refs.jsonl",
                             [(r["id"], r["summary"]) for r in shared_rows("ant_bbc_summaries.jsonl")])
    run_models(summary_task, results, "lead,k=1", "lead,k=3", f"replay:refs,path={refs}")
    rows = shared_rows("arabicstancex_stance.jsonl")
    flipped = [(r["id"], r["label"] if i % 3 else "none") for i, r in enumerate(rows)]
    noisy = write_predictions(tmp_path / "noisy.jsonl", flipped)
    run_models(stance_task, results, "majority", f"replay:noisy,path={noisy}")

    out = tmp_path / "out"
    assert harness("compare", results, "--baseline", "lead-k1", "--out", out) == 0
    comparisons = build_comparisons(discover_runs([results]), baseline="lead-k1")
    summ = next(c for c in comparisons if c.kind == "summarization")
    assert {r.label for r in summ.runs} == {"lead-k1", "lead-k3", "refs"}
    refs_test = _by_label(summ, "refs")["rougeL"]
    assert refs_test.candidate == pytest.approx(1.0) and refs_test.p_value < 0.01
    assert refs_test.ci_low > 0
    # the largest |difference| comes first
    diffs = [row.max_abs_diff for row in summ.examples]
    assert diffs == sorted(diffs, reverse=True)

    stance = next(c for c in comparisons if c.kind == "stance")
    base = stance.baseline.by_id()
    cand = next(r for r in stance.runs if r.label == "noisy").by_id()
    a = np.array([base[i]["scores"]["correct"] for i in base])
    b = np.array([cand[i]["scores"]["correct"] for i in base])
    only_b, only_a = int((b & ~a).sum()), int((a & ~b).sum())
    accuracy = _by_label(stance, "noisy")["accuracy"]
    assert accuracy.p_value == pytest.approx(binomtest(only_b, only_b + only_a, 0.5).pvalue)
    macro = _by_label(stance, "noisy")["macro_f1"]
    assert macro.method == "paired_bootstrap_percentile"
    assert macro.difference == pytest.approx(stance.table["noisy"]["macro_f1"]["value"]
                                             - stance.table["majority"]["macro_f1"]["value"])


def test_hand_computed_paired_bootstrap(tmp_path: Path) -> None:
    base = [0.2] * 20
    cand = [0.3] * 10 + [0.2] * 10  # mean difference exactly 0.05, never negative
    fake_summary_run(tmp_path, "a", base)
    fake_summary_run(tmp_path, "b", cand)
    [c] = build_comparisons(discover_runs([tmp_path]), baseline="a")
    result = _by_label(c, "b")["rougeL"]
    assert result.difference == pytest.approx(0.05)
    assert result.ci_low >= 0 and result.ci_high <= 0.1 + 1e-12
    # the shifted null needs a resampled mean difference >= 2 * 0.05 = every pair improved:
    # about 0.5**20 of resamples, so p sits at its floor 2 / (R + 1)
    assert result.p_value == pytest.approx(2 / 1001)
    assert c.examples[0].diffs["b"] == pytest.approx(0.1)


def test_hand_computed_mcnemar(tmp_path: Path) -> None:
    gold = ["favor"] * 8 + ["against"] * 8
    a = ["favor"] * 16  # right on the 8 favor rows
    b = ["favor"] * 8 + ["against"] * 6 + ["favor"] * 2  # also right on 6 against rows
    fake_stance_run(tmp_path, "a", gold, a)
    fake_stance_run(tmp_path, "b", gold, b)
    [c] = build_comparisons(discover_runs([tmp_path]))
    result = _by_label(c, "b")["accuracy"]
    assert result.difference == pytest.approx(6 / 16)
    assert result.p_value == pytest.approx(2 * 0.5**6)  # 6 discordant pairs, all for b
    assert "McNemar" in render_markdown([c])


def test_mismatch_is_reported_and_exit_2(tmp_path: Path, capsys) -> None:
    fake_summary_run(tmp_path / "r", "a", [0.2] * 12)
    other = fake_summary_run(tmp_path / "r", "b", [0.3] * 10)  # two ids fewer

    def change(report):
        report["metric_settings"]["bootstrap"]["seed"] = 7
        report["task"]["hash"] = "sha256:" + "b" * 64
        report["task"]["data_hash"] = "sha256:" + "b" * 64

    report = json.loads(other.read_text())
    change(report)
    other.write_text(json.dumps(report))
    assert harness("compare", tmp_path / "r") == 2
    err = capsys.readouterr().err
    assert "metric_settings.bootstrap.seed: 12345 vs 7" in err
    assert "task hash" in err and "data differ" in err
    assert "2 example id(s) only in a" in err

    out = tmp_path / "out"
    assert harness("compare", tmp_path / "r", "--allow-mismatch", "--out", out) == 0
    text = (out / "comparison.md").read_text()
    assert "Runs differ" in text and "examples: 10" in text
    assert "recomputed on the shared example ids" in text


def test_missing_examples_and_unknown_baseline(tmp_path: Path) -> None:
    path = fake_summary_run(tmp_path, "a", [0.2] * 12)
    fake_summary_run(tmp_path, "b", [0.3] * 12)
    with pytest.raises(InputError, match="baseline model"):
        build_comparisons(discover_runs([tmp_path]), baseline="nope")
    (path.parent / json.loads(path.read_text())["examples_file"]["path"]).unlink()
    assert harness("compare", tmp_path) == 2


def test_markdown_escapes_names() -> None:
    assert md("a|b") == r"a\|b"
    assert md("<script>@here") == r"\<script\>\@here"
    assert "\n" not in md("two\nlines")


def test_html_escapes_model_output(tmp_path: Path) -> None:
    payload = ['<script>document.title="PWNED"</script>', '<img src=x onerror="alert(1)">',
               '<a href="javascript:alert(1)">اضغط</a>'] + ["نص"] * 9
    fake_summary_run(tmp_path, "base", [0.1] * 12)
    fake_summary_run(tmp_path, "evil", [0.5] * 12, predictions=payload)
    page = render_html(build_comparisons(discover_runs([tmp_path])))
    assert "&lt;script&gt;document.title=&#34;PWNED&#34;&lt;/script&gt;" in page
    assert "<img src=x" not in page and 'href="javascript:' not in page
    assert len(re.findall(r"<script\b", page)) == 1  # our sorting script only
    assert 'http-equiv="Content-Security-Policy"' in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing remote


def test_plots_never_embed_active_text(tmp_path: Path) -> None:
    fake_summary_run(tmp_path, "base", [0.1] * 12)
    fake_summary_run(tmp_path, "<script>alert(1)</script>-->", [0.5] * 12)
    [c] = build_comparisons(discover_runs([tmp_path]))
    svg = str(metric_bars(c))
    assert svg.startswith("<svg") and "<script" not in svg and "alert" not in svg

    class Fig:
        def savefig(self, buffer, **_):
            buffer.write('<svg><a href="javascript:x">t</a></svg>')

    with pytest.raises(ValueError, match="active content"):
        figure_svg(Fig(), "x")


def test_bars_put_wider_scales_in_their_own_panel(tmp_path: Path) -> None:
    from harness.compare.plots import _panels

    gold = ["favor", "against", "none"] * 4
    fake_stance_run(tmp_path, "base", gold, gold)
    fake_stance_run(tmp_path, "other", gold, ["favor"] * 12)
    [c] = build_comparisons(discover_runs([tmp_path]))
    assert _panels(c) == [(c.metrics, 1.0)] and len(c.metrics) > 1
    assert str(metric_bars(c)).count('<g id="axes_') == 1
    wide = c.metrics[0]  # given values on a 1-5 scale, as a judge's scores are
    for run in c.runs:
        c.table[run.label][wide] = {"value": 4.0, "ci_low": 3.5, "ci_high": 4.6}
    assert _panels(c) == [(c.metrics[1:], 1.0), ([wide], 4.6)]
    assert str(metric_bars(c)).count('<g id="axes_') == 2


def test_dict_differences_paths() -> None:
    assert dict_differences({"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": 3, "d": 4}}) == [
        "a.c: 2 vs 3", "a.d: absent vs 4"]
