"""End to end: the seed tasks run offline with the baselines and replay, into valid reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, TASKS, write_jsonl

from harness import SCHEMA_VERSION, read_examples, read_report, validate_report
from harness.cli import main
from harness.jsonio import file_hash


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> int:
    code = main(args)
    capsys.readouterr()
    return code


def run_seed(tasks: list[str], results: str | Path, capsys, *extra: str) -> int:
    """`harness run TASKS --tasks-dir tasks --results-dir RESULTS EXTRA...`."""
    return run(
        ["run", *tasks, "--tasks-dir", str(TASKS), "--results-dir", str(results), *extra], capsys
    )


def reports_in(folder: Path) -> dict[tuple[str, str], dict]:
    found = {}
    for path in folder.rglob("*.json"):
        report = read_report(path)
        validate_report(report)
        found[report["task"]["name"], report["model"]["name"]] = report | {"_path": path}
    return found


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict]:
    results = tmp_path_factory.mktemp("results")
    assert (
        main(
            [
                "run",
                "seed_summarization",
                "seed_stance",
                "--tasks-dir",
                str(TASKS),
                "--results-dir",
                str(results),
            ]
        )
        == 0
    )
    return reports_in(results)


def test_seed_tasks_run_with_offline_baselines(default_run) -> None:
    assert set(default_run) == {("seed_summarization", "lead"), ("seed_stance", "majority")}
    lead = default_run["seed_summarization", "lead"]["metrics"]
    for name in ("rouge1", "rouge2", "rougeL", "rougeLsum"):
        assert 0.05 < lead[name]["value"] < 0.9, (name, lead[name])
    stance = default_run["seed_stance", "majority"]
    # 3 favor / 3 against: the tie goes to the first label in the set, "favor"
    assert stance["model"]["settings"]["answer"] == "favor"
    assert stance["metrics"]["accuracy"]["value"] == pytest.approx(0.5)
    assert stance["model"]["settings"]["label_prior_source"] == "reference"


def test_report_records_provenance(default_run) -> None:
    report = default_run["seed_summarization", "lead"]
    assert report["schema_version"] == SCHEMA_VERSION
    assert report["task"]["hash"].startswith("sha256:")
    assert report["harness"]["git"]["commit"]  # the checkout is a git repo
    assert report["environment"]["packages"]["rouge-score"]
    tokenizer = report["metric_settings"]["rouge"]["tokenizer"]
    assert tokenizer["id"] == "harness.arabic" and tokenizer["version"]
    assert report["metric_settings"]["bootstrap"] == {
        "method": "percentile",
        "resamples": 1000,
        "seed": 12345,
        "confidence": 0.95,
    }
    assert report["model"]["settings"] == {"k": 3}
    assert report["summary"] == {"n_examples": 1, "n_scored": 1, "n_errors": 0, "error_rate": 0.0,
                                 "n_truncated": 0, "finish_reasons": {"unknown": 1}}


def test_examples_file_beside_report_matches_hash(default_run) -> None:
    report = default_run["seed_stance", "majority"]
    path = report["_path"]
    examples = read_examples(path, report)
    assert [e["id"] for e in examples][:1] == ["seed-000-musk-trump"]
    assert all(e["prediction"] == "favor" and e["parsed_label"] == "favor" for e in examples)
    assert {e["gold_label"] for e in examples} == {"favor", "against"}
    assert (
        file_hash(path.parent / report["examples_file"]["path"])
        == report["examples_file"]["sha256"]
    )


def test_same_inputs_same_numbers(default_run, tmp_path: Path, capsys) -> None:
    assert run_seed(["seed_summarization", "seed_stance"], str(tmp_path), capsys) == 0
    again = reports_in(tmp_path)
    for key, report in default_run.items():
        assert again[key]["metrics"] == report["metrics"]
        assert again[key]["task"]["hash"] == report["task"]["hash"]
        assert again[key]["run_id"] != report["run_id"]


def _reference_predictions(tmp_path: Path) -> Path:
    rows = []
    for line in (
        (REPO / "references/seed/musk_trump_summaries.jsonl").read_text("utf-8").splitlines()
    ):
        row = json.loads(line)
        rows.append({"id": row["id"], "prediction": row["summaries"][0]})
    for line in (REPO / "references/seed/musk_stance.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        arabic = {"favor": "الموقف: **مؤيد**", "against": "معارض.", "none": "محايد"}
        rows.append({"id": row["id"], "prediction": arabic[row["label"]]})
    return write_jsonl(tmp_path / "preds.jsonl", rows)


def test_replay_of_references_scores_one(tmp_path: Path, capsys) -> None:
    preds = _reference_predictions(tmp_path)
    assert (
        run_seed(
            ["seed_summarization", "seed_stance"],
            str(tmp_path / "r"),
            capsys,
            "--model",
            f"replay:refs,path={preds}",
        )
        == 0
    )
    found = reports_in(tmp_path / "r")
    summ = found["seed_summarization", "refs"]["metrics"]
    for name in ("rouge1", "rouge2", "rougeL", "rougeLsum"):
        assert summ[name]["value"] == pytest.approx(1.0)
    stance = found["seed_stance", "refs"]["metrics"]
    assert stance["accuracy"]["value"] == 1.0 and stance["invalid_rate"]["value"] == 0.0


def test_replay_missing_ids_are_reported_not_skipped(tmp_path: Path, capsys) -> None:
    preds = write_jsonl(
        tmp_path / "p.jsonl",
        [
            {"id": "seed-000-musk-trump", "prediction": "مؤيد"},
            {"id": "seed-000-musk-gop", "prediction": "لا أعرف"},
            {"id": "not-in-task", "prediction": "x"},
        ],
    )
    # Errored examples fail the run (exit 1) unless --max-error-rate allows them; the report
    # is written either way.
    assert main(["run", "seed_stance", "--tasks-dir", str(TASKS), "--results-dir",
                 str(tmp_path / "r"), "--model", f"replay:partial,path={preds}"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "4 of 6 examples errored" in err and "retries just those" in err
    assert run_seed(["seed_stance"], str(tmp_path / "r2"), capsys, "--model",
                    f"replay:partial,path={preds}", "--max-error-rate", "0.7") == 0
    report = reports_in(tmp_path / "r")["seed_stance", "partial"]
    assert report["summary"] == {
        "n_examples": 6,
        "n_scored": 2,
        "n_errors": 4,
        "error_rate": pytest.approx(4 / 6),
        "n_truncated": 0,
        "finish_reasons": {"unknown": 6},  # offline answers have no finish_reason
    }
    assert len(report["model"]["settings"]["missing_ids"]) == 4
    assert report["model"]["settings"]["unused_ids"] == ["not-in-task"]
    # the unparseable answer is invalid (wrong), never guessed; the four missing ids count as
    # wrong in the headline values, which a replay lacking ids can no longer inflate
    answered = report["metrics_answered"]
    assert answered["invalid_rate"]["value"] == pytest.approx(0.5)
    assert answered["accuracy"]["value"] == pytest.approx(0.5)
    assert report["metrics"]["invalid_rate"]["value"] == pytest.approx(5 / 6)
    assert report["metrics"]["accuracy"]["value"] == pytest.approx(1 / 6)
    examples = read_examples(report["_path"], report)
    errors = [e for e in examples if e["error"]]
    assert len(errors) == 4 and all(e["scores"] is None for e in errors)


def test_incompatible_pairs_are_skipped(tmp_path: Path, capsys) -> None:
    code = main(
        [
            "run",
            "seed_stance",
            "--tasks-dir",
            str(TASKS),
            "--model",
            "lead",
            "--results-dir",
            str(tmp_path),
        ]
    )
    assert code == 2 and "no (task, model) pair" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_python_dash_m_and_console_script(tmp_path: Path) -> None:
    for command in (
        [sys.executable, "-m", "harness"],
        [str(Path(sys.executable).parent / "harness")],
    ):
        done = subprocess.run(
            [*command, "tasks", "--tasks-dir", str(TASKS)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "seed_summarization" in done.stdout


def test_cli_run_scores_in_this_process(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The progress display's refresh thread makes forking unsafe, so a run scores in this
    process, never in fresh interpreters (about a second each); at a run's batch sizes forking
    would not pay anyway (`benchmarks/parallel_scoring.py`)."""
    from harness.scoring import parallel

    def no_fork(*_args: object) -> None:
        raise AssertionError("a CLI run forked while rich's refresh thread was running")

    monkeypatch.setattr(parallel, "fork_map", no_fork)
    monkeypatch.setattr(parallel, "available_cores", lambda: 2)
    assert run_seed(["marsum_headlines"], tmp_path, capsys) == 0
