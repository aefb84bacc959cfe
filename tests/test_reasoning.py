"""Reasoning models: thinking text is recorded, never parsed or scored; finish_reason and
answers cut off at max_tokens are reported for every task."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import STANCE_ROWS, stance_spec, write_jsonl, write_task

from harness.adapters.openai_answers import parse_completion
from harness.models.adapter import BackendAdapter
from harness.models.backend import Backend, Completion
from harness.models.reasoning import split_reasoning
from harness.reports.store import read_examples
from harness.runner import run_task
from harness.tasks.loader import load_task


@pytest.mark.parametrize(("text", "answer", "thinking"), [
    ("مؤيد", "مؤيد", None),
    ("<think>ربما معارض؟ لا.</think>\nمؤيد", "مؤيد", "ربما معارض؟ لا."),
    ("<THINK>a</THINK>favor<think>b</think>", "favor", "a\n\nb"),
    ("the template opened it</think> against", "against", "the template opened it"),
    ("<think>cut off while thinking: favor", "", "cut off while thinking: favor"),
])
def test_split_reasoning(text: str, answer: str, thinking: str | None) -> None:
    assert split_reasoning(text) == (answer, thinking)


def test_reasoning_fields_and_tokens_are_read() -> None:
    body = {"model": "m", "choices": [{"finish_reason": "stop", "message": {
        "content": "against", "reasoning_content": "weighing favor"}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 9,
                  "completion_tokens_details": {"reasoning_tokens": 8}}}
    done = parse_completion(json.dumps(body))
    assert done.metadata["reasoning"] == "weighing favor"
    assert done.metadata["reasoning_tokens"] == 8
    body["choices"][0]["message"] = {"content": "x", "reasoning": "via the other field"}
    assert parse_completion(json.dumps(body)).metadata["reasoning"] == "via the other field"


ANSWERS: dict[str, Completion] = {
    # thinking names the wrong label: only the answer after it counts
    "s1": Completion("<think>قد يكون معارض</think>مؤيد", 10, 7,
                     {"finish_reason": "stop", "reasoning_tokens": 5}),
    "s2": Completion("معارض", 10, 3, {"finish_reason": "stop", "reasoning": "field thinking: مؤيد",
                                     "reasoning_tokens": 2}),
    "s3": Completion("<think>محايد؟ ربما", 10, 16, {"finish_reason": "length"}),  # cut off
}


class Thinking(Backend):
    async def complete(self, body: dict[str, Any]) -> Completion:
        text = body["messages"][-1]["content"]
        row = next(r for r in STANCE_ROWS if r["text"] in text)
        return ANSWERS[str(row["id"])]


class ThinkingAdapter(BackendAdapter):
    backend_class = Thinking


def test_thinking_is_recorded_not_scored_and_truncation_is_counted(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "data.jsonl", STANCE_ROWS)
    task = load_task(write_task(tmp_path, stance_spec()))
    adapter = ThinkingAdapter("thinker", cache=False)
    result = asyncio.run(run_task(task, adapter, results_dir=tmp_path / "runs"))
    report = result.report
    assert report["summary"]["n_truncated"] == 1
    assert report["summary"]["finish_reasons"] == {"length": 1, "stop": 2}
    assert report["usage"]["reasoning_tokens"] == 7
    assert report["metrics"]["accuracy"]["value"] == pytest.approx(2 / 3)
    assert report["metrics"]["invalid_rate"]["value"] == pytest.approx(1 / 3)
    assert result.report_path is not None
    records = {r["id"]: r for r in read_examples(result.report_path, report)}
    assert records["s1"]["prediction"] == "مؤيد"
    assert records["s1"]["reasoning"] == "قد يكون معارض"
    assert records["s2"]["reasoning"] == "field thinking: مؤيد"
    assert records["s3"]["prediction"] == "" and records["s3"]["parsed_label"] == "<invalid>"
    assert records["s3"]["finish_reason"] == "length"
    assert [records[k]["finish_reason"] for k in ("s1", "s2")] == ["stop", "stop"]
