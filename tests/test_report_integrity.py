"""The gate fails closed: unreadable, schema-invalid or tampered reports are exit 2, never skipped.

`check`, `compare` and `baseline` validate every report they read against the shipped schema
and recompute its aggregates from its examples file; `baseline` refuses partial runs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from compare_fixtures import drop_examples, edit_report, harness, only_report, run_models

from harness.compare.loading import discover_runs
from harness.errors import InputError


@pytest.fixture(scope="module")
def stance_run(tmp_path_factory) -> Path:
    """One offline seed_stance run (majority: accuracy 0.5), copied by each test."""
    results = tmp_path_factory.mktemp("stance") / "runs"
    run_models("seed_stance", results, "majority")
    return results


@pytest.fixture
def runs(stance_run: Path, tmp_path: Path) -> Path:
    shutil.copytree(stance_run, tmp_path / "runs")
    return tmp_path / "runs"


def _err(capsys) -> str:
    return capsys.readouterr().err.replace("\n", " ")


def test_fresh_run_is_verified(runs: Path, capsys) -> None:
    assert harness("check", runs, "--require-examples") == 0
    assert "1 current run(s) verified" in _err(capsys)


def test_truncated_report_in_a_folder_is_exit_2(runs: Path, capsys) -> None:
    report = only_report(runs)
    broken = report.with_name("20990101T000000Z-00000000.json")
    broken.write_bytes(report.read_bytes()[:300])
    assert harness("check", runs) == 2
    assert str(broken) in _err(capsys)
    assert harness("compare", runs) == 2
    assert str(broken) in _err(capsys)
    assert harness("baseline", runs, "--out", runs.parent / "b") == 2
    assert not (runs.parent / "b").exists()


def test_corrupted_baseline_beside_valid_ones(runs: Path, tmp_path: Path, capsys) -> None:
    assert harness("baseline", runs, "--out", tmp_path / "base") == 0
    (tmp_path / "base" / "other_task").mkdir()
    (tmp_path / "base" / "other_task" / "m.json").write_text('{"schema_version": "1.1", "run',
                                                             encoding="utf-8")
    assert harness("check", runs, "--baseline", tmp_path / "base") == 2
    assert "other_task/m.json" in _err(capsys)


@pytest.mark.parametrize(("change", "pointer"), [
    (lambda r: r.pop("metrics"), "'/metrics'"),
    (lambda r: r["task"].pop("hash"), "'/task/hash'"),
    (lambda r: r["metrics"]["accuracy"].update(value="0.5"), "'/metrics/accuracy/value'"),
    (lambda r: r["summary"].update(error_rate=float("nan")), "not a JSON report"),
    (lambda r: r["examples_file"].update(path="../../../etc/passwd"), "'/examples_file/path'"),
], ids=["no-metrics", "no-task-hash", "string-value", "nan", "examples-path-outside"])
def test_schema_invalid_report_is_exit_2(runs: Path, change, pointer: str, capsys) -> None:
    report = edit_report(only_report(runs), change)
    assert harness("check", runs) == 2
    err = _err(capsys)
    assert str(report) in err and pointer in err and "Traceback" not in err


def test_non_report_json_in_a_results_folder(runs: Path, capsys) -> None:
    """Every *.json in a folder is a report; hidden files and other suffixes are ignored."""
    (runs / "README.md").write_text("notes", encoding="utf-8")
    (runs / ".editor.json").write_text("{}", encoding="utf-8")
    (runs / ".hidden").mkdir()
    (runs / ".hidden" / "x.json").write_text("{}", encoding="utf-8")
    assert harness("check", runs) == 0
    (runs / "notes.json").write_text('{"a": 1}', encoding="utf-8")
    assert harness("check", runs) == 2
    assert "notes.json" in _err(capsys)


def _tamper_accuracy(report: Path) -> None:
    def change(r: dict) -> None:
        assert r["metrics"]["accuracy"]["value"] == 0.5
        r["metrics"]["accuracy"]["value"] = 0.99
    edit_report(report, change)


def test_tampered_aggregate_is_refused(runs: Path, tmp_path: Path, capsys) -> None:
    assert harness("baseline", runs, "--out", tmp_path / "base", "--with-examples") == 0
    report = only_report(runs)
    _tamper_accuracy(report)
    for argv in (["check", runs, "--min", "accuracy=0.9"],
                 ["check", runs, "--baseline", tmp_path / "base"],
                 ["check", runs, "--baseline", tmp_path / "base", "--significant"],
                 ["compare", runs],
                 ["baseline", runs, "--out", tmp_path / "again"]):
        assert harness(*argv) == 2, argv
        err = _err(capsys)
        assert str(report) in err and "metrics.accuracy.value" in err, argv
        assert "says 0.99" in err and "gives 0.5" in err, argv
    assert not (tmp_path / "again").exists()


def test_tampered_interval_and_summary_are_refused(runs: Path, capsys) -> None:
    report = only_report(runs)
    original = report.read_text(encoding="utf-8")
    edit_report(report, lambda r: r["metrics"]["macro_f1"].update(ci_low=0.0))
    assert harness("check", runs) == 2
    assert "metrics.macro_f1.ci_low" in _err(capsys)
    report.write_text(original, encoding="utf-8")
    edit_report(report, lambda r: r["metrics_answered"]["accuracy"].update(value=0.9))
    assert harness("check", runs) == 2
    assert "metrics_answered.accuracy.value" in _err(capsys)
    report.write_text(original, encoding="utf-8")
    edit_report(report, lambda r: r["summary"].update(n_errors=0, error_rate=0.0, n_examples=5))
    assert harness("check", runs) == 2
    assert "summary.n_examples" in _err(capsys)


def test_without_examples_the_gate_says_so(runs: Path, capsys) -> None:
    drop_examples(only_report(runs))
    assert harness("check", runs) == 0
    assert "aggregates could not be verified" in _err(capsys)
    summary = runs.parent / "s.md"
    assert harness("check", runs, "--require-examples", "--summary", summary) == 2
    assert "--require-examples" in summary.read_text(encoding="utf-8")


def test_discover_runs_names_the_file_and_key(runs: Path) -> None:
    report = edit_report(only_report(runs), lambda r: r["summary"].pop("n_errors"))
    with pytest.raises(InputError) as info:
        discover_runs([runs])
    assert info.value.path == str(report) and info.value.field == "/summary/n_errors"


# --- harness baseline -------------------------------------------------------------------


@pytest.mark.parametrize("option", [("--limit", "3"), ("--sample", "3")])
def test_baseline_refuses_a_subset(tmp_path: Path, option: tuple[str, str], capsys) -> None:
    run_models("seed_stance", tmp_path / "runs", "majority", extra=option)
    out = tmp_path / "base"
    assert harness("baseline", tmp_path / "runs", "--out", out) == 2
    err = _err(capsys)
    assert f"{option[0]} 3" in err and "3 of the task's 6" in err and "--allow-subset" in err
    assert not out.exists()
    assert harness("baseline", tmp_path / "runs", "--out", out, "--allow-subset") == 0
    err = _err(capsys)
    assert f"stored seed_stance × majority: {out / 'seed_stance' / 'majority.json'}" in err
    assert "3 examples" in err


def test_baseline_refuses_errored_examples(tmp_path: Path, capsys) -> None:
    predictions = tmp_path / "p.jsonl"
    predictions.write_text(json.dumps({"id": "seed-000-musk-trump", "prediction": "favor"}) + "\n",
                           encoding="utf-8")
    assert harness("run", "seed_stance", "--results-dir", tmp_path / "runs", "--model",
                   f"replay:part,path={predictions}", "--max-error-rate", "1") == 0
    assert harness("check", tmp_path / "runs", "--max-error-rate", "1") == 0  # verified
    assert harness("baseline", tmp_path / "runs", "--out", tmp_path / "base") == 2
    assert "5 of its 6 examples errored" in _err(capsys)
    assert harness("baseline", tmp_path / "runs", "--out", tmp_path / "base",
                   "--allow-subset") == 0


def test_tampered_group_value_is_refused(tmp_path: Path, capsys) -> None:
    """Per-group values (metrics.group_by) are recomputed like the headline ones."""
    runs = tmp_path / "runs"
    run_models("arabicstancex", runs, "majority", extra=("--limit", "200", "--stratify",
                                                         "target"))
    report = only_report(runs)
    assert harness("check", runs) == 0
    edit_report(report, lambda r: r["groups"]["target"]["Aramco"]["metrics"]["accuracy"].update(
        value=0.99))
    assert harness("check", runs) == 2
    err = _err(capsys)
    assert "groups.target.Aramco.metrics" in err and "says 0.99" in err
