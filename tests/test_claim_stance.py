"""The claim_stance kind and the bundled ANS task: official splits, prior, official scoring."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from helpers import TASKS, write_jsonl, write_task
from sklearn.metrics import accuracy_score, f1_score

from harness import read_report, validate_report
from harness.cli import main
from harness.metrics.stance import Stance, StanceSettings
from harness.runner import task_context
from harness.scoring.stance import stance_metrics
from harness.tasks import load_task
from harness.tasks.spec import TaskSpec

ARABIC = {"agree": "يتفق", "disagree": "يعارض", "other": "آخر"}


def test_ans_task_evaluates_the_test_split_with_the_train_prior() -> None:
    task = load_task(TASKS / "ans_claim_stance.yaml")
    assert len(task.examples) == 379
    assert {e.extra["split"] for e in task.examples} == {"test"}
    assert task.kind == "claim_stance"
    context = task_context(task, task.examples)
    assert context.label_prior_source == "train"
    assert len(context.label_prior) == 2652
    user = task.messages(task.examples[0])[-1]["content"]
    assert task.examples[0].fields["claim"] in user and "يتفق" in user
    assert "label" not in task.context(task.examples[0])


def test_ans_replay_matches_sklearn_and_has_no_f_avg(tmp_path: Path, capsys) -> None:
    task = load_task(TASKS / "ans_claim_stance.yaml")
    rng = random.Random(3)
    preds, gold, expected = [], [], []
    for example in task.examples:
        label = example.fields["label"]
        roll = rng.random()
        guess = label if roll < 0.7 else rng.choice(sorted(ARABIC)) if roll < 0.95 else None
        preds.append({"id": example.id,
                      "prediction": "لا أعرف" if guess is None else f"الجواب: {ARABIC[guess]}"})
        gold.append(label)
        expected.append(guess or "<invalid>")
    replay = write_jsonl(tmp_path / "preds.jsonl", preds)
    code = main(["run", str(TASKS / "ans_claim_stance.yaml"), "--model",
                 f"replay:ans,path={replay}", "--results-dir", str(tmp_path / "r")])
    assert code == 0, capsys.readouterr().err
    (path,) = (tmp_path / "r").rglob("*.json")
    report = read_report(path)
    validate_report(report)
    metrics = report["metrics"]
    assert "f_avg" not in metrics
    assert metrics["accuracy"]["value"] == pytest.approx(accuracy_score(gold, expected))
    assert metrics["macro_f1"]["value"] == pytest.approx(
        f1_score(gold, expected, labels=sorted(ARABIC), average="macro", zero_division=0))
    assert set(report["details"]["per_class"]) == set(ARABIC)


def test_f_avg_is_a_setting_of_the_stance_family() -> None:
    gold = ["agree", "disagree", "discuss", "unrelated", "agree"]
    pred = ["agree", "agree", "discuss", "unrelated", "disagree"]
    labels = ("agree", "disagree", "discuss", "unrelated")
    per = stance_metrics(gold, pred, labels)["per_class"]
    assert stance_metrics(gold, pred, labels)["f_avg"] is None
    chosen = stance_metrics(gold, pred, labels, f_avg=("agree", "disagree"))["f_avg"]
    assert chosen == pytest.approx((per["agree"]["f1"] + per["disagree"]["f1"]) / 2)
    assert "f_avg" in Stance(StanceSettings(labels=labels, f_avg=("agree", "disagree"))).values()
    assert "f_avg" not in Stance(StanceSettings(labels=labels)).values()
    assert "f_avg" not in Stance(StanceSettings(f_avg=())).values()  # favor/against, switched off
    assert "f_avg" in Stance(StanceSettings()).values()  # the SemEval default is kept
    with pytest.raises(ValueError, match="f_avg names labels"):
        StanceSettings(labels=labels, f_avg=("favor",))


def test_new_fields_left_unset_do_not_change_definition_hashes(tmp_path: Path) -> None:
    """`where`, `train_where` and `f_avg` are hashed only when set."""
    rows = [{"id": "a", "claim": "ادعاء", "text": "نص", "label": "agree", "split": "test"}]
    write_jsonl(tmp_path / "d.jsonl", rows)
    base = {"name": "t", "version": 1, "kind": "claim_stance", "data": {"path": "d.jsonl"},
            "prompt": {"user": "{{ claim }} {{ text }}"},
            "metrics": {"stance": {"labels": ["agree", "disagree", "other"]}}}
    plain = TaskSpec.model_validate(base)
    explicit = TaskSpec.model_validate(
        {**base, "data": {"path": "d.jsonl", "where": None},
         "metrics": {"stance": {"labels": ["agree", "disagree", "other"], "f_avg": None}}})
    assert plain.definition_hash() == explicit.definition_hash()
    filtered = TaskSpec.model_validate({**base, "data": {"path": "d.jsonl",
                                                         "where": {"split": "test"}}})
    assert filtered.definition_hash() != plain.definition_hash()
    task = write_task(tmp_path, {**base, "data": {"path": "d.jsonl", "where": {"split": "dev"}}})
    assert main(["validate", str(task)]) == 2


def test_claim_stance_rows_are_validated(tmp_path: Path, capsys) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "claim": "ادعاء", "text": "نص",
                                        "label": "unrelated"}])
    task = write_task(tmp_path, {"name": "t", "version": 1, "kind": "claim_stance",
                                 "data": {"path": "d.jsonl"}, "prompt": {"user": "{{ claim }}"},
                                 "metrics": {"stance": {"labels": ["agree", "disagree",
                                                                   "other"]}}})
    assert main(["validate", str(task)]) == 2
    err = capsys.readouterr().err
    assert "d.jsonl" in err and "unrelated" in err


def test_bundled_file_is_the_shared_one_byte_for_byte() -> None:
    ours = TASKS.parent / "references/ans/ans_claim_stance.jsonl"
    rows = [json.loads(line) for line in ours.read_text("utf-8").splitlines()]
    assert len(rows) == 3786
    assert {r["split"] for r in rows} == {"train", "dev", "test"}
