"""Answer modes: a task field that keeps existing hashes, the --answer-mode override, and the
structured mode (a JSON schema with an enum-constrained label, parsed strictly)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer, FaultPlan
from helpers import STANCE_ROWS, TASKS, stance_spec, summarization_spec, write_jsonl, write_task

from harness.adapters.answer_modes import parse_structured
from harness.adapters.openai_compat import OpenAIAdapter
from harness.errors import AdapterError, InputError
from harness.runner import RunResult, run_task
from harness.tasks.loader import load_task
from harness.tasks.spec import parse_task_file

CHOICES = {"favor": "مؤيد", "against": "معارض", "none": "محايد"}
ALIASES = {label: [text] for label, text in CHOICES.items()}


def test_default_mode_keeps_definition_hashes(tmp_path: Path) -> None:
    spec = parse_task_file(TASKS / "seed_stance.yaml")
    assert spec.with_answer_mode("free_text").definition_hash() == spec.definition_hash()
    assert spec.with_answer_mode("loglikelihood").definition_hash() != spec.definition_hash()
    assert spec.with_answer_mode("structured").answer_mode == "structured"


def test_modes_other_than_free_text_need_labels(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "data.jsonl", [{"id": "a", "article": "x", "summary": "y"}])
    with pytest.raises(InputError, match="needs a labelled task kind"):
        load_task(write_task(tmp_path, summarization_spec(answer_mode="structured")))
    task = load_task(write_task(tmp_path, summarization_spec()))
    with pytest.raises(InputError, match="--answer-mode"):
        task.with_answer_mode("loglikelihood")


@pytest.mark.parametrize(("text", "label"), [
    ('{"label": "مؤيد"}', "favor"), ('{"label":"معارض"}', "against"),
    (' {"label": "محايد"}\n', "none"), ('{"label": "favor"}', None), ("مؤيد", None),
    ('{"label": "مؤيد", "why": "x"}', None), ('["مؤيد"]', None), ("", None),
    ('{"label": "مؤيد"', None),
])
def test_structured_answers_are_parsed_strictly(text: str, label: str | None) -> None:
    assert parse_structured(text, CHOICES) == label


def structured_answer(messages: Sequence[Mapping[str, Any]]) -> str:
    text = str(messages[-1]["content"])
    return '{"label": "معارض"}' if "أبدا" in text else '{"label": "مؤيد"} '


def run(tmp_path: Path, server: FakeOpenAIServer) -> RunResult:
    write_jsonl(tmp_path / "data.jsonl", STANCE_ROWS)
    spec = stance_spec(answer_mode="structured",
                       metrics={"stance": {"labels": list(CHOICES), "aliases": ALIASES}})
    task = load_task(write_task(tmp_path, spec))
    adapter = OpenAIAdapter("fake", base_url=server.base_url, cache=False, max_attempts=1)

    async def go() -> RunResult:
        try:
            return await run_task(task, adapter, results_dir=None)
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def test_structured_mode_sends_the_schema_and_scores(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer]) -> None:
    server = fake_openai(answer=structured_answer)
    report = run(tmp_path, server).report
    schema = server.state.bodies[0]["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["label"]["enum"] == ["مؤيد", "معارض", "محايد"]
    assert schema["required"] == ["label"] and schema["additionalProperties"] is False
    assert report["metrics"]["accuracy"]["value"] == pytest.approx(2 / 3)
    assert report["metrics"]["invalid_rate"]["value"] == 0.0
    assert report["metric_settings"]["stance"]["answer_mode"] == "structured"


def test_llama_cpp_python_style_schema() -> None:
    from harness.adapters.answer_modes import response_format

    body = response_format(CHOICES, "json_object")
    assert body["type"] == "json_object"
    assert body["schema"]["properties"]["label"]["enum"] == list(CHOICES.values())


def test_a_server_rejecting_the_schema_is_named(
        tmp_path: Path, fake_openai: Callable[..., FakeOpenAIServer]) -> None:
    server = fake_openai(plan=FaultPlan(always="400"))
    with pytest.raises(AdapterError, match=r"rejected the request's response_format.*"
                                           r"response_format=json_object"):
        run(tmp_path, server)


def test_free_text_reports_record_no_mode(tmp_path: Path) -> None:
    report = json.loads(next((TASKS.parent / "results/baselines/seed_stance").glob("*.json"))
                        .read_text(encoding="utf-8"))
    assert "answer_mode" not in report["metric_settings"]["stance"]
