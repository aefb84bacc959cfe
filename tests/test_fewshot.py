"""Few-shot prompting: seeded, per-example, from the training pool only, recorded, cached."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_openai_server import FakeOpenAIServer
from helpers import TASKS, summarization_spec, write_jsonl, write_task

from harness.cli import main
from harness.tasks import load_task

ANS = TASKS / "ans_claim_stance.yaml"


def ans_fewshot(tmp_path: Path, **fewshot: Any) -> Path:
    spec = yaml.safe_load(ANS.read_text("utf-8"))
    spec["data"]["path"] = str(TASKS.parent / "references/ans/ans_claim_stance.jsonl")
    spec["fewshot"] = {"k": 4, "seed": 1, **fewshot}
    return write_task(tmp_path, spec)


def test_balanced_shots_come_from_train_and_are_seeded(tmp_path: Path) -> None:
    # the task file is written under tmp_path but reads the bundled ANS data
    task = load_task(ans_fewshot(tmp_path, strategy="balanced"), allow_outside_data=True)
    again = load_task(ans_fewshot(tmp_path / "again", strategy="balanced"),
                      allow_outside_data=True)
    first, second = task.examples[0], task.examples[1]
    shots = task.shots(first)
    assert [s.id for s in shots] == [s.id for s in again.shots(first)]  # deterministic
    assert [s.id for s in shots] != [s.id for s in task.shots(second)]  # per example
    assert all(s.extra["split"] == "train" for s in task.fewshot_pool)
    assert sorted(Counter(s.fields["label"] for s in shots).values()) == [1, 1, 2]
    messages = task.messages(first)
    assert [m["role"] for m in messages] == ["system", *["user", "assistant"] * 4, "user"]
    assert messages[2]["content"] in {"يتفق", "يعارض", "آخر"}  # answered as the prompt asks
    assert shots[0].fields["claim"] in messages[1]["content"]
    assert task.spec.definition_hash() != load_task(ANS).spec.definition_hash()


def test_shot_ids_recorded_and_cached_rerun_identical(fake_openai: Callable[..., FakeOpenAIServer],
                                                      tmp_path: Path) -> None:
    server = fake_openai()
    task_path = ans_fewshot(tmp_path, k=2)
    run = ["run", str(task_path), "--model", "openai:fake", "--base-url", server.base_url,
           "--limit", "5", "--cache-dir", str(tmp_path / "cache"), "--allow-outside-data"]
    assert main([*run, "--results-dir", str(tmp_path / "a")]) == 0
    assert main([*run, "--results-dir", str(tmp_path / "b")]) == 0
    assert server.state.total_calls == 5  # the re-run sent the same prompts: all cached

    def records(folder: str) -> list[dict[str, Any]]:
        (path,) = (tmp_path / folder).rglob("*.jsonl")
        return [json.loads(line) for line in path.read_text("utf-8").splitlines()]

    first, second = records("a"), records("b")
    task = load_task(task_path, allow_outside_data=True)
    by_id = {e.id: e for e in task.examples}
    for record in first:
        assert record["fewshot_ids"] == [s.id for s in task.shots(by_id[record["id"]])]
        assert all(i.startswith("ans-train-") for i in record["fewshot_ids"])
    assert [(r["fewshot_ids"], r["prediction"]) for r in first] == [
        (r["fewshot_ids"], r["prediction"]) for r in second]
    assert all(r["cached"] for r in second)


def test_random_shots_for_summarization_from_a_train_file(tmp_path: Path) -> None:
    rows = [{"id": f"t{i}", "article": f"مقال {i}.", "summary": f"ملخص {i}"} for i in range(6)]
    write_jsonl(tmp_path / "train.jsonl", rows)
    write_jsonl(tmp_path / "data.jsonl", [{"id": "e0", "article": "نص.", "summary": "ملخص"}])
    spec = summarization_spec(fewshot={"k": 3, "seed": 5})
    spec["data"]["train"] = "train.jsonl"
    task = load_task(write_task(tmp_path, spec))
    messages = task.messages(task.examples[0])
    answers = [m["content"] for m in messages if m["role"] == "assistant"]
    assert len(answers) == 3 and all(a.startswith("ملخص ") for a in answers)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"train": None}, "training pool"),
        ({"train": "data.jsonl"}, "shares"),
        ({"fewshot": {"k": 9}}, "pool has 6"),
        ({"fewshot": {"k": 1, "strategy": "balanced"}}, "labelled"),
    ],
)
def test_bad_pools_are_refused(tmp_path: Path, capsys, change: dict[str, Any],
                               message: str) -> None:
    rows = [{"id": f"t{i}", "article": f"مقال {i}.", "summary": f"ملخص {i}"} for i in range(6)]
    write_jsonl(tmp_path / "train.jsonl", rows)
    write_jsonl(tmp_path / "data.jsonl", [{**rows[0], "id": "e0"}])
    spec = summarization_spec(fewshot=change.get("fewshot", {"k": 2}))
    train = change.get("train", "train.jsonl")
    if train is not None:
        spec["data"]["train"] = train
    assert main(["validate", str(write_task(tmp_path, spec))]) == 2
    assert message in capsys.readouterr().err
