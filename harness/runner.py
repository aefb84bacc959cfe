"""Runs one task with one model: prepare requests, call the model concurrently, score, report.

Model calls are async with a concurrency limit; scoring is pure and happens after all calls;
the report is written last and atomically.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.adapters.answer_modes import LOGLIKELIHOOD
from harness.adapters.base import Adapter, GenerationSettings, Request, Response, TaskContext
from harness.errors import InputError, ModelError
from harness.metrics.base import Item, Metric
from harness.metrics.registry import metrics_for
from harness.reports.build import build_report
from harness.reports.store import new_run_id, write_run
from harness.scoring.task_scores import aggregate, score_items
from harness.selection import Selection
from harness.tasks import Example, Task

# Response metadata copied onto an example's record when present: thinking text (never
# scored), its token count, and a log-likelihood run's per-label scores.
EXTRA_RECORD_KEYS = ("reasoning", "reasoning_tokens", "loglikelihood_route")


@dataclass
class RunResult:
    task: Task
    adapter: Adapter
    report: dict[str, Any]
    report_path: Path | None


def build_requests(
    task: Task, examples: Sequence[Example], generation: GenerationSettings
) -> list[Request]:
    kind = task.spec.task_kind
    labels = kind.labels(task.spec)
    choices = kind.choices(task.spec)
    return [
        Request(
            task=task.name,
            kind=task.kind,
            example_id=e.id,
            messages=task.messages(e),
            fields=e.prompt_fields(kind.gold),
            generation=generation,
            labels=labels,
            answer_mode=task.spec.answer_mode,
            choices=choices,
            answer_cue=kind.answer_cue(task.spec),
        )
        for e in examples
    ]


def task_context(task: Task, examples: Sequence[Example]) -> TaskContext:
    """What adapters may know of the task as a whole: for labelled kinds, a label prior."""
    kind = task.spec.task_kind
    labels = kind.labels(task.spec)
    if not labels or kind.label_field is None:
        return TaskContext(task=task.name, kind=task.kind)
    train = task.train_labels()
    gold = [str(e.fields[kind.label_field]) for e in examples]
    prior, source = (train, "train") if train else (gold, "reference")
    return TaskContext(task=task.name, kind=task.kind, labels=labels,
                       label_prior=tuple(prior), label_prior_source=source)


async def _call(adapter: Adapter, request: Request, gate: asyncio.Semaphore) -> Response:
    """One answer. A model failure is an errored example; any other exception is a bug and
    stops the run with its traceback (it would otherwise turn every example into an error)."""
    async with gate:
        started = time.perf_counter()
        try:
            response = await (adapter.score_labels(request)
                              if request.answer_mode == LOGLIKELIHOOD
                              else adapter.generate(request))
        except ModelError as exc:
            response = Response(text="", error=str(exc))
        if not response.latency_s:
            response.latency_s = time.perf_counter() - started
        return response


async def generate_all(
    adapter: Adapter,
    requests: Sequence[Request],
    *,
    concurrency: int = 8,
    on_response: Callable[[Response], None] | None = None,
) -> list[Response]:
    """Responses in request order; at most `concurrency` calls in flight."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(request: Request) -> Response:
        response = await _call(adapter, request, gate)
        if on_response is not None:
            on_response(response)
        return response

    from harness.gathering import gather_or_cancel

    return await gather_or_cancel(one(r) for r in requests)


def example_records(task: Task, metrics: Sequence[Metric], examples: Sequence[Example],
                    responses: Sequence[Response], scores: Sequence[dict[str, Any]]
                    ) -> list[dict[str, Any]]:
    """One record per example: its inputs and gold (as the kind shows them), the answer, its
    scores and what it cost."""
    kind = task.spec.task_kind
    copied = [key for metric in metrics for key in metric.record_keys]
    records = []
    for example, response, scored in zip(examples, responses, scores, strict=True):
        record: dict[str, Any] = {"id": example.id, **kind.task_record(task.spec, example)}
        if task.spec.group_by:
            record["groups"] = example.groups(task.spec.group_by)
        if task.spec.fewshot is not None:
            record["fewshot_ids"] = [shot.id for shot in task.shots(example)]
        record.update(
            prediction=response.text,
            error=response.error,
            scores=scored or None,
            latency_s=round(response.latency_s, 6),
            prompt_tokens=response.prompt_tokens,
            completion_tokens=response.completion_tokens,
            cached=response.cached,
            attempts=response.attempts,
            cost_usd=response.metadata.get("cost_usd"),
            finish_reason=response.metadata.get("finish_reason"),
        )
        record.update({key: response.metadata[key] for key in EXTRA_RECORD_KEYS
                       if response.metadata.get(key) is not None})
        record.update({key: scored.get(key) for key in copied})
        records.append(record)
    return records


async def run_task(
    task: Task,
    adapter: Adapter,
    *,
    results_dir: Path | None,
    selection: Selection | None = None,
    concurrency: int = 8,
    generation: GenerationSettings | None = None,
    on_response: Callable[[Response], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> RunResult:
    """Evaluate `adapter` on `task`; write the report under results_dir (None: don't write)."""
    if not adapter.answers(task.spec.task_kind):
        raise InputError(f"{adapter.adapter_name()} does not answer {task.kind} tasks",
                         field="model")
    selection = selection or Selection()
    started_at = datetime.now(UTC)
    chosen = selection.apply(task.examples)
    examples = selection.sharded(chosen)
    gen = generation or task.spec.generation.settings()
    metrics = metrics_for(task.spec)
    requests = build_requests(task, examples, gen)
    # a shard's adapter sees the whole run's context, so every shard answers as one run would
    adapter.prepare(requests, task_context(task, chosen))
    if on_start is not None:
        on_start(len(requests))
    responses = await generate_all(
        adapter, requests, concurrency=concurrency, on_response=on_response
    )
    items = [Item(e.id, e.fields, None if r.error else r.text, r.metadata.get("label_scores"))
             for e, r in zip(examples, responses, strict=True)]
    scores = await score_items(metrics, items)
    records = example_records(task, metrics, examples, responses, scores)
    run_scores = aggregate(metrics, records, task.spec.bootstrap.config(), items, scores,
                           task.spec.group_by)
    report = build_report(
        run_id=new_run_id(started_at),
        task=task,
        adapter=adapter,
        generation=gen,
        selection=selection.describe(examples, len(task.examples)),
        metrics=metrics,
        scores=run_scores,
        responses=responses,
        started_at=started_at,
        finished_at=datetime.now(UTC),
    )
    path = write_run(results_dir, report, records) if results_dir is not None else None
    return RunResult(task, adapter, report, path)
