"""Stance metrics over the real ArabicStanceX test split, through the replay adapter and the CLI.

Predictions are derived from the gold labels with deterministic corruption (wrong labels,
Arabic free-text answers, unparseable answers) so the expected values are known from sklearn.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from helpers import shared_data, stance_spec, write_jsonl, write_task
from sklearn.metrics import accuracy_score, f1_score

from harness import read_examples, read_report, validate_report
from harness.cli import main

ARABIC = {"favor": "مؤيد", "against": "معارض", "none": "محايد"}
LABELS = ["favor", "against", "none"]


def test_arabicstancex_replay_matches_sklearn(tmp_path: Path, capsys) -> None:
    data = shared_data("arabicstancex_stance.jsonl")
    rows = [json.loads(line) for line in data.read_text("utf-8").splitlines()]
    rng = random.Random(7)
    preds, expected = [], []
    for row in rows:
        roll = rng.random()
        if roll < 0.6:
            label = row["label"]
        elif roll < 0.9:
            label = rng.choice([x for x in LABELS if x != row["label"]])
        else:
            label = None
        text = "لا أستطيع التحديد بدقة" if label is None else f"الإجابة: {ARABIC[label]}"
        preds.append({"id": row["id"], "prediction": text})
        expected.append(label or "<invalid>")
    predictions = write_jsonl(tmp_path / "preds.jsonl", preds)
    task = write_task(tmp_path, stance_spec(data=str(data), name="asx_replay"))
    code = main(
        [
            "run",
            str(task),
            "--model",
            f"replay:corrupted,path={predictions}",
            "--results-dir",
            str(tmp_path / "results"),
            "--allow-outside-data",  # the shared data lives outside the test's tree
        ]
    )
    assert code == 0, capsys.readouterr().err
    (report_path,) = (tmp_path / "results").rglob("*.json")
    report = read_report(report_path)
    validate_report(report)
    gold = [r["label"] for r in rows]
    metrics = report["metrics"]
    assert report["summary"]["n_scored"] == len(rows) == 1522
    assert metrics["accuracy"]["value"] == pytest.approx(accuracy_score(gold, expected), abs=1e-12)
    assert metrics["macro_f1"]["value"] == pytest.approx(
        f1_score(gold, expected, labels=LABELS, average="macro", zero_division=0), abs=1e-12
    )
    favor_against = f1_score(
        gold, expected, labels=["favor", "against"], average=None, zero_division=0
    )
    assert metrics["f_avg"]["value"] == pytest.approx(favor_against.mean(), abs=1e-12)
    assert metrics["invalid_rate"]["value"] == pytest.approx(expected.count("<invalid>") / 1522)
    for name in ("accuracy", "macro_f1", "f_avg"):
        assert metrics[name]["ci_low"] < metrics[name]["value"] < metrics[name]["ci_high"]
    parsed = [e["parsed_label"] for e in read_examples(report_path, report)]
    assert parsed == expected
