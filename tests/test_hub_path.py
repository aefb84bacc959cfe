"""The Hub task files run through `datasets` offline, with a local dataset folder standing in.

The folder mirrors the Hub layout (XL-Sum's parquet export `arabic/test/0000.parquet`, Mawqif's
CSV), so the shipped task files are used unchanged except for `hub.dataset` (and the export's
revision, which a local folder does not have).
Each run is a subprocess with HF_HUB_OFFLINE=1 (read when huggingface_hub is imported) and a
private datasets cache, so nothing can reach the network or touch the user's cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import datasets
import pytest
import yaml
from helpers import REPO, TASKS

from harness import read_examples, read_report, validate_report


def offline_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        HF_HOME=str(tmp_path / "hf-home"),
        HF_DATASETS_CACHE=str(tmp_path / "hf-datasets"),
    )
    return env


def harness(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=REPO,
        env=offline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )


def copy_task(name: str, folder: Path, dataset: str) -> Path:
    """The shipped task file, pointed at a local dataset folder."""
    spec = yaml.safe_load((TASKS / name).read_text("utf-8"))
    spec["data"]["hub"]["dataset"] = dataset
    spec["data"]["hub"].pop("revision", None)
    path = folder / name
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def xlsum_rows(n: int = 20) -> list[dict[str, str]]:
    """XL-Sum-shaped rows (id, url, title, summary, text) from the bundled MArSum articles."""
    source = REPO / "references" / "marsum" / "marsum_headlines.jsonl"
    lines = source.read_text("utf-8").splitlines()[:n]
    rows = []
    for i, line in enumerate(lines):
        row = json.loads(line)
        rows.append(
            {
                "id": f"xlsum-ar-{i:03d}",
                "url": f"https://example.org/{i}",
                "title": row["summary"],
                "summary": row["summary"],
                "text": row["article"],
            }
        )
    return rows


@pytest.fixture
def xlsum_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "xlsum_local"
    (folder / "arabic" / "test").mkdir(parents=True)
    (folder / "english" / "test").mkdir(parents=True)
    datasets.Dataset.from_list(xlsum_rows()).to_parquet(str(folder / "arabic/test/0000.parquet"))
    other = [dict(r, id=f"en-{i}") for i, r in enumerate(xlsum_rows(3))]
    datasets.Dataset.from_list(other).to_parquet(str(folder / "english/test/0000.parquet"))
    return folder


def only_report(results: Path) -> tuple[Path, dict]:
    (path,) = list(results.rglob("*.json"))
    report = read_report(path)
    validate_report(report)
    return path, report


def test_xlsum_task_runs_end_to_end_from_a_local_dataset(
    tmp_path: Path, xlsum_folder: Path
) -> None:
    task = copy_task("hub_xlsum_arabic.yaml", tmp_path, str(xlsum_folder))
    results = tmp_path / "results"
    done = harness(tmp_path, "run", str(task), "--model", "lead,k=1", "--results-dir", str(results))
    assert done.returncode == 0, done.stderr
    path, report = only_report(results)
    assert report["task"]["name"] == "hub_xlsum_arabic"
    assert report["task"]["n_examples"] == 20 and report["summary"]["n_scored"] == 20
    assert 0.0 < report["metrics"]["rouge1"]["value"] < 1.0
    assert report["metric_settings"]["rouge"]["signature"].startswith("rouge|preset:xlsum|")
    assert "diagnostics" in report["details"]
    records = read_examples(path, report)
    assert [r["id"] for r in records] == [f"xlsum-ar-{i:03d}" for i in range(20)]
    assert records[0]["references"] == [xlsum_rows(1)[0]["summary"]]


def test_relative_dataset_folder_and_limit(tmp_path: Path, xlsum_folder: Path) -> None:
    task = copy_task("hub_xlsum_arabic.yaml", tmp_path, "xlsum_local")  # relative to the task
    results = tmp_path / "results"
    done = harness(tmp_path, "run", str(task), "--limit", "5", "--results-dir", str(results))
    assert done.returncode == 0, done.stderr
    _, report = only_report(results)
    assert report["selection"]["ids"] == [f"xlsum-ar-{i:03d}" for i in range(5)]


def test_validate_accepts_the_hub_task(tmp_path: Path, xlsum_folder: Path) -> None:
    task = copy_task("hub_xlsum_arabic.yaml", tmp_path, str(xlsum_folder))
    done = harness(tmp_path, "validate", str(task))
    assert done.returncode == 0, done.stderr
    assert "Hub data not loaded" in " ".join(done.stderr.split())
    done = harness(tmp_path, "validate", "--hub", str(task))
    assert done.returncode == 0, done.stderr
    assert "20 examples" in done.stderr


def test_csv_dataset_keeps_the_label_none(tmp_path: Path) -> None:
    """Mawqif ships a CSV whose label "None" pandas would read as a missing value."""
    folder = tmp_path / "mawqif_local"
    folder.mkdir()
    rows = [
        ("1", "التطعيم واجب على الجميع", "Covid Vaccine", "Favor"),
        ("2", "لن آخذ اللقاح أبداً", "Covid Vaccine", "Against"),
        ("3", "الجو حار اليوم", "Women empowerment", "None"),
        ("4", "NA", "Digital Transformation", "None"),
    ]
    lines = ["ID,text,target,stance,sarcasm", *(",".join((*r, "No")) for r in rows)]
    (folder / "Mawqif_AllTargets_Train.csv").write_text("\n".join(lines) + "\n", "utf-8")
    task = copy_task("hub_mawqif_stance.yaml", tmp_path, str(folder))
    results = tmp_path / "results"
    done = harness(tmp_path, "run", str(task), "--results-dir", str(results))
    assert done.returncode == 0, done.stderr
    path, report = only_report(results)
    records = read_examples(path, report)
    assert [r["gold_label"] for r in records] == ["favor", "against", "none", "none"]
    assert records[3]["text"] == "NA"
    assert report["metrics"]["accuracy"]["value"] == pytest.approx(0.5)  # majority: none


def test_missing_hub_dataset_is_exit_2_naming_the_task_file(tmp_path: Path) -> None:
    task = copy_task("hub_xlsum_arabic.yaml", tmp_path, "no-such-org/no-such-dataset-xyz")
    results = tmp_path / "results"
    done = harness(tmp_path, "run", str(task), "--results-dir", str(results))
    assert done.returncode == 2, done.stderr
    err = " ".join(done.stderr.split())
    assert "hub_xlsum_arabic.yaml" in err and "cannot load dataset" in err
    assert "data.hub" in err
    assert not results.exists() or not list(results.rglob("*.json"))


def test_wrong_data_files_is_exit_2(tmp_path: Path, xlsum_folder: Path) -> None:
    spec = yaml.safe_load((TASKS / "hub_xlsum_arabic.yaml").read_text("utf-8"))
    spec["data"]["hub"].update(dataset=str(xlsum_folder), data_files={"test": "farsi/test/*"})
    task = tmp_path / "wrong_config.yaml"
    task.write_text(yaml.safe_dump(spec, allow_unicode=True), "utf-8")
    done = harness(tmp_path, "validate", "--hub", str(task))
    assert done.returncode == 2
    assert "wrong_config.yaml" in " ".join(done.stderr.split())


def test_bare_run_skips_hub_tasks() -> None:
    from harness.cli import _default_tasks

    names = {p.stem for p in _default_tasks(TASKS)}
    assert {"marsum_headlines", "arabicstancex"} <= names
    assert not any(n.startswith("hub_") for n in names)
