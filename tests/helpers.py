"""Shared test helpers: paths, a tiny task factory, and a CLI runner that captures exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TASKS = REPO / "tasks"


def shared_data(name: str) -> Path:
    """A file of ../shared/data; CI always has it, so its absence is a failure, not a skip."""
    path = SHARED_DATA / name
    assert path.is_file(), f"{path} is missing: tests need ../shared beside the checkout"
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def write_task(folder: Path, spec: dict[str, Any], name: str = "task.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def summarization_spec(data: str = "data.jsonl", **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "tiny_summ",
        "version": 1,
        "kind": "summarization",
        "data": {"path": data, "fields": {"references": "summary"}},
        "prompt": {"system": "لخص.", "user": "{{ article }}"},
    }
    spec.update(overrides)
    return spec


def stance_spec(data: str = "data.jsonl", **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "tiny_stance",
        "version": 1,
        "kind": "stance",
        "data": {"path": data},
        "prompt": {"user": "ما موقف الكاتب من {{ target_name }}؟\n{{ text }}"},
        "metrics": {"stance": {"labels": ["favor", "against", "none"]}},
    }
    spec.update(overrides)
    return spec


SUMM_ROWS = [
    {
        "id": "a1",
        "article": "ذهب الولد إلى المدرسة. ثم عاد إلى البيت مساءً.",
        "summary": "ذهب الولد إلى المدرسة.",
    },
    {
        "id": "a2",
        "article": "ارتفعت الأسعار بنسبة ٣٫٥٪ هذا الشهر. وقال الوزير إن التضخم سينخفض.",
        "summary": "ارتفعت الأسعار ٣٫٥٪.",
    },
]
STANCE_ROWS = [
    {
        "id": "s1",
        "text": "أنا أؤيد قيادة المرأة للسيارة",
        "target": "Women driving",
        "label": "favor",
    },
    {
        "id": "s2",
        "text": "لا أوافق على هذا القرار أبدا",
        "target": "Women driving",
        "label": "against",
    },
    {"id": "s3", "text": "الجو جميل اليوم", "target": "NEOM", "label": "none"},
]


def score_with(metric: Any, fields: list[dict[str, Any]], predictions: list[str | None],
               bootstrap: Any) -> tuple[list[dict[str, Any]], Any]:
    """Per-example scores and aggregates of one metric family, as a run computes them."""
    import asyncio

    from harness.metrics.base import Item
    from harness.scoring.task_scores import aggregate, score_items

    items = [Item(str(i), f, p) for i, (f, p) in enumerate(zip(fields, predictions, strict=True))]
    scores = asyncio.run(score_items([metric], items))
    records = [{"id": it.id, **it.fields, "gold_label": it.fields.get("label"),
                "error": None if it.prediction is not None else "failed", "scores": s or None}
               for it, s in zip(items, scores, strict=True)]
    return scores, aggregate([metric], records, bootstrap, items, scores)


def run_loglikelihood(tmp_path: Path, base_url: str, choices: dict[str, str], *,
                      route: str = "auto", top_k: int | None = None, concurrency: int = 1,
                      stance: dict[str, Any] | None = None, **options: Any) -> Any:
    """A log-likelihood run of `STANCE_ROWS` on an OpenAI-compatible (fake) server, the labels
    worded as `choices`; returns the `RunResult`."""
    import asyncio

    from harness.adapters.openai_compat import OpenAIAdapter
    from harness.runner import run_task
    from harness.tasks.loader import load_task

    write_jsonl(tmp_path / "data.jsonl", STANCE_ROWS)
    spec = stance_spec(answer_mode="loglikelihood", metrics={"stance": {
        "labels": list(choices), "aliases": {k: [v] for k, v in choices.items()},
        **(stance or {})}})
    task = load_task(write_task(tmp_path, spec))
    adapter = OpenAIAdapter("fake", base_url=base_url, logprobs_route=route,
                            cache_dir=str(tmp_path / "cache"), max_attempts=1, **options)
    if top_k is not None:
        adapter.scorer.top_k = top_k

    async def go() -> Any:
        try:
            return await run_task(task, adapter, results_dir=tmp_path / "runs",
                                  concurrency=concurrency)
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def label_scores(result: Any) -> dict[str, dict[str, Any]]:
    """Each example's `scores.label_scores` from a log-likelihood run's records."""
    from harness.reports.store import read_examples

    assert result.report_path is not None
    records = read_examples(result.report_path, result.report)
    return {r["id"]: r["scores"]["label_scores"] for r in records}
