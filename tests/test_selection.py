"""--limit and --sample/--seed run a reproducible subset and record its ids in the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import TASKS

from harness import read_report, validate_report
from harness.cli import main
from harness.selection import Selection
from harness.tasks import load_task


def run_selection(tmp_path: Path, *extra: str) -> dict:
    """Run the bundled ArabicStanceX task with the majority baseline; return its report."""
    results = tmp_path / f"results{len(list(tmp_path.iterdir()))}"
    args = ["run", "arabicstancex", "--tasks-dir", str(TASKS), "--results-dir", str(results)]
    assert main([*args, *extra]) == 0
    (path,) = [p for p in results.rglob("*.json")]
    report = read_report(path)
    validate_report(report)
    return report


@pytest.fixture(scope="module")
def all_ids() -> list[str]:
    return [e.id for e in load_task(TASKS / "arabicstancex.yaml").examples]


def test_limit_takes_the_first_n(tmp_path: Path, all_ids: list[str]) -> None:
    report = run_selection(tmp_path, "--limit", "25")
    selection = report["selection"]
    assert selection["ids"] == all_ids[:25]
    assert selection["limit"] == 25 and selection["sample"] is None
    assert selection["n_total"] == len(all_ids)
    assert report["summary"]["n_examples"] == 25 and report["summary"]["n_scored"] == 25


def test_sample_is_reproducible_per_seed(tmp_path: Path, all_ids: list[str]) -> None:
    first = run_selection(tmp_path, "--sample", "40", "--seed", "7")["selection"]
    again = run_selection(tmp_path, "--sample", "40", "--seed", "7")["selection"]
    other = run_selection(tmp_path, "--sample", "40", "--seed", "8")["selection"]
    assert first["ids"] == again["ids"]
    assert first["ids"] != other["ids"]
    assert first["seed"] == 7 and first["sample"] == 40 and first["limit"] is None
    for ids in (first["ids"], other["ids"]):
        assert len(ids) == len(set(ids)) == 40
        positions = [all_ids.index(i) for i in ids]
        assert positions == sorted(positions)  # the subset keeps the task's order


def test_same_seed_same_metrics(tmp_path: Path) -> None:
    a = run_selection(tmp_path, "--sample", "60", "--seed", "3")
    b = run_selection(tmp_path, "--sample", "60", "--seed", "3")
    assert a["metrics"] == b["metrics"]
    assert a["task"]["hash"] == b["task"]["hash"]


def test_full_run_records_no_ids(tmp_path: Path) -> None:
    selection = run_selection(tmp_path)["selection"]
    assert selection["ids"] is None and selection["sample"] is None


def test_sample_of_every_row_is_refused(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", "arabicstancex", "--tasks-dir", str(TASKS), "--results-dir", str(tmp_path)]
    assert main([*args, "--sample", "100000"]) == 2
    assert "not a sample" in capsys.readouterr().err and not any(tmp_path.iterdir())


def test_limit_and_sample_together_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", "arabicstancex", "--tasks-dir", str(TASKS), "--results-dir", str(tmp_path)]
    assert main([*args, "--limit", "5", "--sample", "5"]) == 2
    assert "--limit" in capsys.readouterr().err
    assert not list(tmp_path.rglob("*.json"))


def test_selection_unit(all_ids: list[str]) -> None:
    examples = load_task(TASKS / "arabicstancex.yaml").examples
    picked = Selection(sample=10, seed=1).apply(examples)
    assert [e.id for e in picked] == [e.id for e in Selection(sample=10, seed=1).apply(examples)]
    assert (
        Selection(limit=3).describe(Selection(limit=3).apply(examples), len(examples))["ids"]
        == all_ids[:3]
    )
