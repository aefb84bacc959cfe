"""Checks without a judge: wrong language, copies of the article, truncated answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer
from helpers import summarization_spec, write_jsonl, write_task

from harness.cli import main
from harness.metrics.checks import arabic_share

ARTICLE = "أعلن الوزير اليوم خطة جديدة للنقل العام في المدينة. وقال إن الخطة تبدأ العام المقبل."


def test_arabic_share() -> None:
    assert arabic_share("خطة جديدة") == 1.0
    assert arabic_share("A new plan خطة") == pytest.approx(3 / 11)
    assert arabic_share("123 ...") is None


def test_checks_in_a_run_with_truncated_english_and_copied_answers(
        fake_openai: Callable[..., FakeOpenAIServer], tmp_path: Path) -> None:
    answers = {"a1": "The minister announced a new transport plan today.",
               "a2": "أعلن الوزير اليوم خطة جديدة للنقل العام في المدينة",
               "a3": "خطة نقل تبدأ قريباً وفق الوزير"}

    def answer(messages: list[dict[str, str]]) -> str:
        return next(text for key, text in answers.items() if key in messages[-1]["content"])

    server = fake_openai(answer=answer, finish_reason="length")
    write_jsonl(tmp_path / "data.jsonl", [
        {"id": key, "article": f"{ARTICLE} ({key})", "summary": "خطة نقل جديدة."}
        for key in answers])
    task = write_task(tmp_path, summarization_spec(metrics={"checks": {}}))
    assert main(["run", str(task), "--model", f"openai:fake,base_url={server.base_url}",
                 "--no-cache", "--results-dir", str(tmp_path / "r")]) == 0
    [path] = (tmp_path / "r").rglob("*Z-*[0-9a-f].json")
    report = json.loads(path.read_text("utf-8"))
    values = {k: v["value"] for k, v in report["metrics"].items()}
    assert values["wrong_language_rate"] == pytest.approx(1 / 3)
    assert values["copy_rate"] == pytest.approx(1 / 3)
    assert values["truncation_rate"] == 1.0
    assert report["metric_info"]["copy_rate"]["higher_is_better"] is False
    rows = [json.loads(line) for line in
            path.with_name(path.stem + ".examples.jsonl").read_text("utf-8").splitlines()]
    assert {r["finish_reason"] for r in rows} == {"length"}
