"""Runs one task with one model: prepare requests, call the model concurrently, score, report.

Model calls are async with a concurrency limit; scoring is pure and happens after all calls;
the report is written last and atomically.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.adapters.base import Adapter, GenerationSettings, Request, Response, TaskContext
from harness.errors import AdapterError, InputError
from harness.reports.build import build_report
from harness.reports.store import new_run_id, write_run
from harness.scoring.bootstrap import BootstrapConfig
from harness.scoring.task_scores import TaskScores, score_stance, score_summaries
from harness.tasks import Example, Task
from harness.text import ArabicTokenizer


@dataclass(frozen=True)
class Selection:
    """Which examples to run: all, the first `limit`, or a seeded random `sample`."""

    limit: int | None = None
    sample: int | None = None
    seed: int = 0

    def apply(self, examples: Sequence[Example]) -> list[Example]:
        if self.limit is not None and self.sample is not None:
            raise InputError("give --limit or --sample, not both", field="--limit/--sample")
        chosen = list(examples)
        if self.sample is not None and self.sample < len(chosen):
            picked = sorted(random.Random(self.seed).sample(range(len(chosen)), self.sample))
            chosen = [chosen[i] for i in picked]
        if self.limit is not None:
            chosen = chosen[: self.limit]
        return chosen

    def describe(self, chosen: Sequence[Example], total: int) -> dict[str, Any]:
        subset = len(chosen) < total
        return {
            "limit": self.limit,
            "sample": self.sample,
            "seed": self.seed,
            "n_total": total,
            "ids": [e.id for e in chosen] if subset else None,
        }


@dataclass
class RunResult:
    task: Task
    adapter: Adapter
    report: dict[str, Any]
    report_path: Path | None


def build_requests(
    task: Task, examples: Sequence[Example], generation: GenerationSettings
) -> list[Request]:
    labels = task.spec.stance.labels if task.kind == "stance" else ()
    return [
        Request(
            task=task.name,
            kind=task.kind,
            example_id=e.id,
            messages=task.messages(e),
            fields=e.prompt_fields(task.kind),
            generation=generation,
            labels=tuple(labels),
        )
        for e in examples
    ]


def task_context(task: Task, examples: Sequence[Example]) -> TaskContext:
    if task.kind != "stance":
        return TaskContext(task=task.name, kind=task.kind)
    train = task.train_labels()
    prior, source = (train, "train") if train else ([e.label for e in examples], "reference")
    return TaskContext(
        task=task.name,
        kind=task.kind,
        labels=tuple(task.spec.stance.labels),
        label_prior=tuple(prior),
        label_prior_source=source,
    )


async def _call(adapter: Adapter, request: Request, gate: asyncio.Semaphore) -> Response:
    async with gate:
        started = time.perf_counter()
        try:
            response = await adapter.generate(request)
        except AdapterError:
            raise
        except Exception as exc:  # one example's failure must not sink the run
            response = Response(text="", error=f"{type(exc).__name__}: {exc}")
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

    return list(await asyncio.gather(*(one(r) for r in requests)))


def score(task: Task, examples: Sequence[Example], responses: Sequence[Response]) -> TaskScores:
    outputs = [None if r.error else r.text for r in responses]
    bootstrap = BootstrapConfig(**task.spec.metrics.bootstrap.model_dump())
    if task.kind == "summarization":
        rouge = task.spec.rouge
        return score_summaries(
            outputs,
            [e.references for e in examples],
            ArabicTokenizer(rouge.normalization),
            rouge.types,
            bootstrap,
            articles=[e.fields["article"] for e in examples],
        )
    stance = task.spec.stance
    aliases = {k: list(v) for k, v in stance.aliases.items()}
    return score_stance(outputs, [e.label for e in examples], stance.labels, aliases, bootstrap)


def example_records(
    task: Task, examples: Sequence[Example], responses: Sequence[Response], scores: TaskScores
) -> list[dict[str, Any]]:
    records = []
    for example, response, scored in zip(examples, responses, scores.per_example, strict=True):
        record: dict[str, Any] = {"id": example.id}
        if task.kind == "summarization":
            record.update(article=example.fields["article"], references=example.references)
        else:
            record.update(
                text=example.fields["text"],
                target=example.fields["target"],
                gold_label=example.label,
            )
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
        )
        if task.kind == "stance":
            record["parsed_label"] = scored.get("parsed_label")
            record["correct"] = scored.get("correct")
        records.append(record)
    return records


async def run_task(
    task: Task,
    adapter: Adapter,
    *,
    results_dir: Path | None,
    selection: Selection = Selection(),
    concurrency: int = 8,
    generation: GenerationSettings | None = None,
    on_response: Callable[[Response], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> RunResult:
    """Evaluate `adapter` on `task`; write the report under results_dir (None: don't write)."""
    started_at = datetime.now(UTC)
    examples = selection.apply(task.examples)
    gen = generation or GenerationSettings(**task.spec.generation.model_dump())
    requests = build_requests(task, examples, gen)
    adapter.prepare(requests, task_context(task, examples))
    if on_start is not None:
        on_start(len(requests))
    responses = await generate_all(
        adapter, requests, concurrency=concurrency, on_response=on_response
    )
    scores = score(task, examples, responses)
    records = example_records(task, examples, responses, scores)
    report = build_report(
        run_id=new_run_id(started_at),
        task=task,
        adapter=adapter,
        generation=gen,
        selection=selection.describe(examples, len(task.examples)),
        scores=scores,
        responses=responses,
        started_at=started_at,
        finished_at=datetime.now(UTC),
    )
    path = write_run(results_dir, report, records) if results_dir is not None else None
    return RunResult(task, adapter, report, path)
