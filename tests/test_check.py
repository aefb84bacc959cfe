"""`harness check` (CI gate) and `harness baseline`: exit codes 0 / 1 / 2 and their reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from compare_fixtures import (
    REPO,
    drop_examples,
    edit_report,
    fake_stance_run,
    fake_summary_run,
    harness,
    only_report,
    run_models,
)

from harness.compare.loading import discover_runs


@pytest.fixture(scope="module")
def seed_baselines(tmp_path_factory) -> Path:
    """The offline baselines of the seed tasks, saved in the committed layout."""
    tmp = tmp_path_factory.mktemp("baselines")
    run_models("seed_summarization", tmp / "runs", "lead")
    run_models("seed_stance", tmp / "runs", "majority")
    assert harness("baseline", tmp / "runs", "--out", tmp / "baselines") == 0
    return tmp / "baselines"


def test_baseline_layout(seed_baselines: Path) -> None:
    files = sorted(p.relative_to(seed_baselines).as_posix() for p in seed_baselines.rglob("*"))
    assert files == ["seed_stance", "seed_stance/majority.json", "seed_summarization",
                     "seed_summarization/lead.json"]
    report = json.loads((seed_baselines / "seed_summarization" / "lead.json").read_text())
    assert report["examples_file"]["path"] == "lead.examples.jsonl"


def test_fresh_run_passes_and_altered_run_fails(seed_baselines: Path, tmp_path: Path,
                                                 capsys) -> None:
    run_models("seed_summarization", tmp_path / "ok", "lead")
    run_models("seed_stance", tmp_path / "ok", "majority")
    assert harness("check", tmp_path / "ok", "--baseline", seed_baselines) == 0

    run_models("seed_summarization", tmp_path / "bad", "lead:lead,k=1")
    summary = tmp_path / "summary.md"
    assert harness("check", tmp_path / "bad", "--baseline", seed_baselines,
                   "--summary", summary) == 1
    text = summary.read_text()
    assert "regression" in text and "rougeL" in text
    assert "seed_stance × majority has no current run" in capsys.readouterr().err


def test_committed_baselines_gate_a_fresh_run(tmp_path: Path) -> None:
    """The project's own self-gate: results/baselines against a fresh offline run."""
    committed = REPO / "results" / "baselines"
    assert (committed / "seed_summarization" / "lead.json").is_file()
    run_models("seed_summarization", tmp_path, "lead")
    run_models("seed_stance", tmp_path, "majority")
    assert harness("check", tmp_path, "--baseline", committed) == 0


def _current_and_baseline(tmp_path: Path) -> tuple[Path, Path]:
    run_models("seed_summarization", tmp_path / "cur", "lead")
    run_models("seed_summarization", tmp_path / "base", "lead")
    return only_report(tmp_path / "cur"), only_report(tmp_path / "base")


def _lower(metric: str, by: float):
    def change(report):
        report["metrics"][metric]["value"] -= by
    return change


def test_tolerances(tmp_path: Path) -> None:
    current, baseline = _current_and_baseline(tmp_path)
    drop_examples(current)  # an edited aggregate with its examples present is refused
    edit_report(current, _lower("rougeL", 0.05))
    assert harness("check", current, "--baseline", baseline) == 1
    assert harness("check", current, "--baseline", baseline, "--tolerance", "rougeL=0.1") == 0
    assert harness("check", current, "--baseline", baseline, "--default-tolerance", "0.06") == 0
    assert harness("check", current, "--baseline", baseline,
                   "--tolerance", "rougeL=0.01", "--default-tolerance", "0.5") == 1


def test_invalid_rate_lower_is_better(tmp_path: Path) -> None:
    run_models("seed_stance", tmp_path / "cur", "majority")
    current = only_report(tmp_path / "cur")
    baseline = tmp_path / "baseline.json"
    baseline.write_text(current.read_text())
    drop_examples(current)
    edit_report(current, _lower("invalid_rate", -0.2))  # rises: worse
    assert harness("check", current, "--baseline", baseline) == 1
    edit_report(current, _lower("invalid_rate", 0.4))  # now below the baseline: better
    edit_report(baseline, lambda r: r["metrics"]["invalid_rate"].update(value=0.5))
    assert harness("check", current, "--baseline", baseline) == 0


def test_floors_ceilings_and_error_rate_without_baseline(tmp_path: Path) -> None:
    run_models("seed_summarization", tmp_path, "lead")
    report = only_report(tmp_path)
    assert harness("check", report, "--min", "rougeL=0.01") == 0
    assert harness("check", report, "--min", "rougeL=0.99") == 1
    assert harness("check", report, "--max", "rougeL=0.01") == 1
    drop_examples(report)
    edit_report(report, lambda r: r["summary"].update(error_rate=0.5))
    assert harness("check", report) == 1
    assert harness("check", report, "--max-error-rate", "0.6") == 0


def test_input_mismatch_is_exit_2(tmp_path: Path, capsys) -> None:
    current, baseline = _current_and_baseline(tmp_path)
    drop_examples(baseline)  # else its recomputed aggregates would be refused first
    edit_report(baseline, lambda r: r["task"].update(hash="sha256:" + "0" * 64,
                                                      prompt_hash="sha256:" + "0" * 64))
    junit = tmp_path / "junit.xml"
    assert harness("check", current, "--baseline", baseline, "--junit", junit) == 2
    assert "task hash" in capsys.readouterr().err and "prompt differ" in junit.read_text()
    edit_report(baseline, lambda r: r.update(task=json.loads(current.read_text())["task"]))
    edit_report(baseline, lambda r: r["metric_settings"]["rouge"].update(types=["rouge1"]))
    assert harness("check", current, "--baseline", baseline) == 2
    assert "metric_settings.rouge.types" in capsys.readouterr().err


def test_usage_errors(tmp_path: Path) -> None:
    current, _ = _current_and_baseline(tmp_path)
    assert harness("check", current, "--min", "macro_f1=0.5") == 2  # not a metric of this run
    assert harness("check", tmp_path / "missing") == 2
    with pytest.raises(SystemExit) as exc:
        harness("check", current, "--tolerance", "rougeL")
    assert exc.value.code == 2


def test_require_baseline(tmp_path: Path) -> None:
    run_models("seed_summarization", tmp_path / "cur", "lead")
    run_models("seed_summarization", tmp_path / "base", "lead:lead-other")
    assert harness("check", tmp_path / "cur", "--baseline", tmp_path / "base") == 0  # skipped
    assert harness("check", tmp_path / "cur", "--baseline", tmp_path / "base",
                   "--require-baseline") == 2


def test_significant_needs_per_example_records(tmp_path: Path) -> None:
    rng_drop = [0.50 + (0.02 if i % 2 else -0.02) for i in range(40)]
    fake_summary_run(tmp_path / "base", "m", [0.5] * 40)
    noisy = fake_summary_run(tmp_path / "cur", "m", [s - 0.001 for s in rng_drop])
    assert harness("check", tmp_path / "cur", "--baseline", tmp_path / "base") == 1
    # mean drop 0.001 inside noise of ±0.02: not significant
    assert harness("check", tmp_path / "cur", "--baseline", tmp_path / "base",
                   "--significant") == 0
    fake_summary_run(tmp_path / "cur2", "m", [0.4] * 40)  # every example worse
    assert harness("check", tmp_path / "cur2", "--baseline", tmp_path / "base",
                   "--significant") == 1

    # a baseline without its examples file: aggregate comparison, and the summary says so
    for examples in (tmp_path / "base").rglob("*.examples.jsonl"):
        examples.unlink()
    summary = tmp_path / "s.md"
    assert harness("check", noisy, "--baseline", tmp_path / "base", "--significant",
                   "--summary", summary) == 1
    assert "cannot be honoured" in summary.read_text()


def test_significant_stance_uses_mcnemar(tmp_path: Path) -> None:
    gold = ["favor", "against"] * 20
    fake_stance_run(tmp_path / "base", "m", gold, gold)
    worse = list(gold)
    worse[0] = "none"  # one example wrong: accuracy drops 0.025, p = 1.0
    fake_stance_run(tmp_path / "cur", "m", gold, worse)
    summary = tmp_path / "s.md"
    assert harness("check", tmp_path / "cur", "--baseline", tmp_path / "base",
                   "--significant", "--summary", summary) == 0
    assert "mcnemar_exact" in summary.read_text()


def test_github_step_summary(tmp_path: Path, monkeypatch) -> None:
    step = tmp_path / "step.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    fake_summary_run(tmp_path / "r", "m", [0.5] * 12)
    assert harness("check", tmp_path / "r", "--min", "rougeL=0.4") == 0
    text = step.read_text()
    assert text.startswith("earlier step\n") and "harness check: ✅ passed" in text


def test_baseline_with_examples_keeps_hash_valid(tmp_path: Path) -> None:
    fake_summary_run(tmp_path / "r", "m", [0.5] * 12)
    assert harness("baseline", tmp_path / "r", "--out", tmp_path / "b", "--with-examples") == 0
    [run] = discover_runs([tmp_path / "b"])
    assert run.path == tmp_path / "b" / "fake_sum" / "m.json"
    assert run.examples is not None and len(run.examples) == 12
    # re-saving without examples removes nothing valid and keeps the report readable
    assert harness("baseline", tmp_path / "r", "--out", tmp_path / "b") == 0
    assert (tmp_path / "b" / "fake_sum" / "m.examples.jsonl").is_file()
