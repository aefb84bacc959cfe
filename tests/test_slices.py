"""Slices: `metrics.group_by` in reports, table, compare and check; `--stratify`."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
from helpers import TASKS, stance_spec, summarization_spec, write_jsonl, write_task

from harness import read_report, validate_report
from harness.cli import main
from harness.scoring.groups import split_qualified, word_bucket
from harness.selection import Selection
from harness.tasks import load_task


@pytest.fixture(scope="module")
def asx_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("asx")
    assert main(["run", "arabicstancex", "--results-dir", str(out)]) == 0
    (path,) = out.rglob("*.json")
    return path, read_report(path)


def test_grouped_report_is_schema_valid_and_each_group_is_its_subset(asx_report) -> None:
    _, report = asx_report
    validate_report(report)
    groups = report["groups"]["target"]
    assert len(groups) == 17
    assert sum(g["n"] for g in groups.values()) == report["summary"]["n_examples"] == 1522
    task = load_task(TASKS / "arabicstancex.yaml")
    aramco = [e for e in task.examples if e.fields["target"] == "Aramco"]
    majority = Counter(e.fields["label"] for e in task.examples).most_common(1)[0][0]
    expected = sum(e.fields["label"] == majority for e in aramco) / len(aramco)
    entry = groups["Aramco"]["metrics"]["accuracy"]
    assert entry["value"] == pytest.approx(expected)
    assert entry["ci_low"] <= entry["value"] <= entry["ci_high"]
    assert set(groups["Aramco"]["metrics"]) == set(report["metrics"])  # every value


def test_check_floor_may_name_a_group(asx_report, capsys) -> None:
    path, report = asx_report
    value = report["groups"]["target"]["Aramco"]["metrics"]["accuracy"]["value"]
    assert main(["check", str(path), "--min", f"accuracy@target=Aramco={value - 0.01}"]) == 0
    assert main(["check", str(path), "--min", f"accuracy@target=Aramco={value + 0.01}"]) == 1
    assert "accuracy@target=Aramco" in capsys.readouterr().err
    assert main(["check", str(path), "--min", "accuracy@target=Nowhere=0.1"]) == 2


def test_table_collapses_groups_in_narrow_terminals(asx_report) -> None:
    from rich.console import Console

    from harness.reports.table import results_table
    from harness.runner import RunResult

    path, report = asx_report
    result = RunResult(task=None, adapter=None, report=report, report_path=path)  # type: ignore[arg-type]

    def render(width: int) -> str:
        console = Console(width=400, record=True)
        console.print(results_table([result], width))
        return console.export_text()

    assert "accuracy@target=Aramco" in render(200)
    narrow = render(100)
    assert "accuracy@target=Aramco" not in narrow and "@target: 17 groups" in narrow


def test_stratified_limit_and_sample_are_proportional_and_seeded() -> None:
    task = load_task(TASKS / "arabicstancex.yaml")
    sizes = Counter(e.fields["target"] for e in task.examples)
    plain = Selection(limit=50).apply(task.examples)
    assert len({e.fields["target"] for e in plain}) == 1
    assert Selection(limit=50).uncovered(task.examples, plain, ["target"])
    for selection in (Selection(limit=50, stratify="target"),
                      Selection(sample=50, seed=3, stratify="target")):
        chosen = selection.apply(task.examples)
        counts = Counter(e.fields["target"] for e in chosen)
        assert len(chosen) == 50
        for target, size in sizes.items():
            share = 50 * size / len(task.examples)
            assert counts[target] in (math.floor(share), math.ceil(share))
        assert [e.id for e in selection.apply(task.examples)] == [e.id for e in chosen]
    first = Selection(limit=50, stratify="target").apply(task.examples)
    aramco = [e.id for e in task.examples if e.fields["target"] == "Aramco"]
    picked = [e.id for e in first if e.fields["target"] == "Aramco"]
    assert picked == aramco[: len(picked)]  # --limit takes each group's first examples
    other_seed = Selection(sample=50, seed=4, stratify="target").apply(task.examples)
    assert [e.id for e in other_seed] != [e.id for e in
                                          Selection(sample=50, seed=3,
                                                    stratify="target").apply(task.examples)]


def test_run_warns_when_limit_misses_groups(tmp_path: Path, capsys) -> None:
    assert main(["run", "arabicstancex", "--limit", "20", "--no-write"]) == 0
    assert "covers 1 of the 17 target groups" in capsys.readouterr().err.replace("\n", " ")


def test_word_buckets_and_qualified_names() -> None:
    assert [word_bucket("w " * n) for n in (0, 99, 100, 299, 300, 999, 1000)] == [
        "<100", "<100", "100-299", "100-299", "300-999", "300-999", "≥1000"]
    assert split_qualified("accuracy@target=A=B") == ("accuracy", "target", "A=B")
    assert split_qualified("rougeL") == ("rougeL", None, None)


def test_derived_group_and_compare_per_group_tests(tmp_path: Path) -> None:
    rows = [{"id": f"a{i}", "article": "كلمة " * (50 if i % 2 else 150) + "نهاية.",
             "summary": "كلمة نهاية", "source": "x" if i < 4 else "y"} for i in range(8)]
    write_jsonl(tmp_path / "data.jsonl", rows)
    spec = summarization_spec(metrics={"group_by": ["source", "words(article)"],
                                       "bootstrap": {"resamples": 200}})
    task = write_task(tmp_path, spec)
    out = tmp_path / "r"
    assert main(["run", str(task), "--results-dir", str(out)]) == 0
    assert main(["run", str(task), "--model", "lead:k=2", "--results-dir", str(out)]) == 0
    reports = sorted(out.rglob("*.json"))
    report = read_report(reports[0])
    validate_report(report)
    assert set(report["groups"]["words(article)"]) == {"<100", "100-299"}
    assert {g: b["n"] for g, b in report["groups"]["source"].items()} == {"x": 4, "y": 4}
    assert main(["compare", *map(str, reports), "--out", str(tmp_path / "cmp")]) == 0
    markdown = (tmp_path / "cmp" / "comparison.md").read_text("utf-8")
    assert "not corrected for multiple comparisons" in markdown
    assert "rougeL\\@source=x" in markdown  # md() escapes the @
    html = (tmp_path / "cmp" / "comparison.html").read_text("utf-8")
    assert "<strong>not corrected for multiple comparisons</strong>" in html
    # (4 ROUGE values + 3 checks) x 4 groups, one test each
    assert html.count("<td class=\"group\" dir=\"auto\">") == markdown.count("\\@") == 28


def test_missing_group_field_fails_at_load(tmp_path: Path, capsys) -> None:
    write_jsonl(tmp_path / "data.jsonl", [{"id": "a", "text": "نص", "target": "t",
                                           "label": "favor"}])
    task = write_task(tmp_path, stance_spec(metrics={
        "stance": {"labels": ["favor", "against", "none"]}, "group_by": ["region"]}))
    assert main(["validate", str(task)]) == 2
    assert "region" in capsys.readouterr().err
