"""`harness show RUN`: settings, metrics with CIs, errored and invalid examples, examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from compare_fixtures import REPO, harness, only_report, run_models, write_predictions


def test_show_lists_metrics_problems_and_examples(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    rows = [json.loads(line) for line in
            (REPO / "references" / "seed" / "musk_stance.jsonl").open(encoding="utf-8")]
    answers = [(r["id"], r["label"]) for r in rows[1:]]  # the first id is missing: errored
    answers[0] = (answers[0][0], "لا أدري")  # names no label: invalid
    replay = write_predictions(tmp_path / "answers.jsonl", answers)
    results = tmp_path / "results"
    run_models("seed_stance", results, f"replay:mixed,path={replay}",
               extra=("--max-error-rate", "1"))
    report = only_report(results)
    capsys.readouterr()
    assert harness("show", report, "--examples", "2") == 0
    out = capsys.readouterr().out
    data = json.loads(report.read_text(encoding="utf-8"))
    accuracy = data["metrics"]["accuracy"]
    assert f"{accuracy['value']:.4f}" in out
    assert f"[{accuracy['ci_low']:.4f}, {accuracy['ci_high']:.4f}]" in out
    assert "invalid_rate ↓" in out
    assert "Errored examples (1)" in out and rows[0]["id"] in out
    assert "Invalid outputs (1)" in out and "لا أدري" in out
    assert "Slowest examples" in out and "First 2 examples" in out
    assert rows[1]["id"] in out  # an example printed side by side


def test_show_rejects_a_folder_with_several_runs(tmp_path: Path) -> None:
    results = tmp_path / "results"
    run_models("seed_stance", results, "majority")
    run_models("seed_summarization", results, "lead")
    assert harness("show", results) == 2
    assert harness("show", tmp_path / "nothing.json") == 2
