"""Adapter registry, model specs, entry-point discovery and the offline baselines."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import STANCE_ROWS, TASKS, stance_spec, write_jsonl, write_task

from harness import (
    GenerationSettings,
    InputError,
    available_adapters,
    create_adapter,
    load_task,
    parse_model_spec,
)
from harness.runner import build_requests, run_task, task_context


def test_model_spec_parsing() -> None:
    spec = parse_model_spec("openai:gpt-4o-mini,temperature=0.2,rpm=60,stream=false")
    assert spec.adapter == "openai" and spec.name == "gpt-4o-mini"
    assert spec.options == {"rpm": 60, "stream": False}  # generation is the runner's:
    assert spec.generation == {"temperature": 0.2}  # split off, checked, never an option
    assert parse_model_spec("lead,temperature=0.5").label == "lead-temperature0.5"
    with pytest.raises(InputError, match="field 'temperature'"):
        parse_model_spec("openai:m,temperature=9")
    assert parse_model_spec("lead,k=1").label == "lead-k1"
    assert parse_model_spec("lead").label == "lead"
    assert parse_model_spec("replay:my/model,path=x").label == "my_model"
    with pytest.raises(InputError, match="key=value"):
        parse_model_spec("lead,k")


def test_lead_takes_first_k_sentences() -> None:
    task = load_task(TASKS / "seed_summarization.yaml")
    request = build_requests(task, task.examples, GenerationSettings())[0]
    one = asyncio.run(create_adapter("lead,k=1").generate(request)).text
    three = asyncio.run(create_adapter("lead,k=3").generate(request)).text
    assert one and "\n" not in one
    assert three.startswith(one) and three.count("\n") == 2
    assert one in task.examples[0].fields["article"]


def test_requests_never_carry_gold_answers() -> None:
    for name in ("seed_summarization", "seed_stance"):
        task = load_task(TASKS / f"{name}.yaml")
        for request in build_requests(task, task.examples, GenerationSettings()):
            assert "references" not in request.fields and "label" not in request.fields
            assert "summaries" not in request.fields
            assert all("favor" not in m["content"] for m in request.messages if m["role"] == "user")


def test_majority_prefers_training_labels(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "data.jsonl", STANCE_ROWS)
    write_jsonl(
        tmp_path / "train.jsonl", [{"label": "none"}, {"label": "none"}, {"label": "favor"}]
    )
    spec = stance_spec()
    spec["data"]["train"] = "train.jsonl"
    task = load_task(write_task(tmp_path, spec))
    context = task_context(task, task.examples)
    assert context.label_prior_source == "train"
    result = asyncio.run(run_task(task, create_adapter("majority"), results_dir=None))
    assert result.report["model"]["settings"]["answer"] == "none"
    assert result.report["metrics"]["accuracy"]["value"] == pytest.approx(1 / 3)


def test_third_party_adapter_via_entry_point(tmp_path: Path, monkeypatch) -> None:
    package = tmp_path / "echo_adapter.py"
    package.write_text(
        textwrap.dedent("""
        from harness import Adapter, Response

        class EchoAdapter(Adapter):
            kinds = frozenset({"stance"})

            async def generate(self, request):
                return Response(text="مؤيد", prompt_tokens=3, completion_tokens=1)
    """),
        "utf-8",
    )
    dist = tmp_path / "echo_adapter-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-adapter\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[harness.adapters]\necho = echo_adapter:EchoAdapter\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "echo" in available_adapters()
    task = load_task(TASKS / "seed_stance.yaml")
    result = asyncio.run(run_task(task, create_adapter("echo:mine"), results_dir=None))
    assert result.report["model"] == {"adapter": "echo", "name": "mine", "settings": {}}
    assert result.report["metrics"]["accuracy"]["value"] == pytest.approx(0.5)
    assert result.report["usage"]["prompt_tokens"] == 18
    sys.modules.pop("echo_adapter", None)


def test_a_failing_example_does_not_sink_the_run() -> None:
    from harness import Adapter, ModelError, Response

    class Flaky(Adapter):
        async def generate(self, request):
            if request.example_id.endswith("gop"):
                raise ModelError("server fell over")
            return Response(text="favor")

    task = load_task(TASKS / "seed_stance.yaml")
    result = asyncio.run(run_task(task, Flaky(name="flaky"), results_dir=None))
    summary, metrics = result.report["summary"], result.report["metrics"]
    assert summary["n_errors"] == 1 and summary["n_scored"] == 5
    # Gold: 3 favor / 3 against, the GOP one is favor. Answered: 2 of 5 right; the errored
    # example counts as wrong (and invalid) in the headline, not in the answered-only values.
    assert metrics["accuracy"]["value"] == pytest.approx(2 / 6)
    assert metrics["invalid_rate"]["value"] == pytest.approx(1 / 6)
    answered = result.report["metrics_answered"]
    assert answered["accuracy"]["value"] == pytest.approx(2 / 5)
    assert answered["invalid_rate"]["value"] == 0.0


def test_a_bug_in_an_adapter_stops_the_run_with_its_traceback() -> None:
    from harness import Adapter, Response

    class Buggy(Adapter):
        async def generate(self, request):
            if request.example_id.endswith("gop"):
                return Response(text=request.missing_attribute)
            return Response(text="favor")

    task = load_task(TASKS / "seed_stance.yaml")
    with pytest.raises(AttributeError, match="missing_attribute"):
        asyncio.run(run_task(task, Buggy(name="buggy"), results_dir=None))


def test_an_adapter_for_another_kind_is_refused_not_errored() -> None:
    from harness import InputError

    task = load_task(TASKS / "seed_stance.yaml")
    with pytest.raises(InputError, match="lead does not answer stance tasks"):
        asyncio.run(run_task(task, create_adapter("lead"), results_dir=None))
