"""The versioned report: everything needed to trust, re-run and compare one (task, model) run.

`SCHEMA_VERSION` changes whenever a field changes meaning or moves; the JSON Schema shipped in
`report.schema.json` describes it and `validate_report` checks a report against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from harness.adapters.base import Adapter, GenerationSettings, Response
from harness.metrics.base import Metric
from harness.reports.provenance import environment, git_state, harness_version
from harness.reports.schema import SCHEMA_PATH as SCHEMA_PATH  # re-exported
from harness.reports.schema import report_schema
from harness.scoring.task_scores import RunScores

if TYPE_CHECKING:
    from harness.tasks import Task

SCHEMA_VERSION = "1.1"  # 1.1: metric_info, metrics_answered (errored examples count)


def metric_settings(task: Task, metrics: Sequence[Metric]) -> dict[str, Any]:
    """The settings that decide what a metric value means (compared across runs)."""
    settings: dict[str, Any] = {"bootstrap": task.spec.bootstrap.config().describe()}
    for metric in metrics:
        recorded = metric.record_settings()
        if recorded is not None:
            settings[metric.name] = recorded
    return settings


def run_usage(responses: Sequence[Response]) -> dict[str, Any]:
    """This run's tokens, cost and latency; a re-run answered from the cache also gets the
    original calls' latency and cost under `as_first_answered`."""
    def total(values: list[int | None]) -> int | None:
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    def cost(subset: list[Response]) -> float | None:
        """USD from adapters that price their answers; None (unknown) if any price is unknown."""
        costs = [r.metadata.get("cost_usd") for r in subset if r.error is None]
        return None if None in costs else round(sum(costs), 8)  # type: ignore[arg-type]

    priced = any("cost_usd" in r.metadata for r in responses)
    latencies = sorted(r.latency_s for r in responses)
    paid = [r for r in responses if not r.cached and r.error is None]
    usage: dict[str, Any] = {
        "cost_usd": cost(list(responses)) if priced else None,
        # what this run paid: 0 (not unknown) when every answer came from the cache
        "cost_usd_uncached": (cost(paid) if priced else None) if paid else 0.0,
        "prompt_tokens": total([r.prompt_tokens for r in responses]),
        "completion_tokens": total([r.completion_tokens for r in responses]),
        "reasoning_tokens": total([r.metadata.get("reasoning_tokens") for r in responses]),
        "cached_responses": sum(r.cached for r in responses),
        "attempts": sum(r.attempts for r in responses),
        "latency_s_total": round(sum(latencies), 6),
        "latency_s_median": round(latencies[len(latencies) // 2], 6) if latencies else None,
    }
    if usage["cached_responses"]:  # the figures of the calls that first produced the answers
        first = sorted(float(r.metadata.get("original_latency_s", r.latency_s))
                       for r in responses)
        usage["as_first_answered"] = {
            "cost_usd": usage["cost_usd"], "latency_s_total": round(sum(first), 6),
            "latency_s_median": round(first[len(first) // 2], 6)}
    return usage


def run_summary(responses: Sequence[Response], n_answered: int) -> dict[str, Any]:
    """Counts of examples, answered, errored, and answers cut off at max_tokens."""
    n = len(responses)
    errors = sum(r.error is not None for r in responses)
    return {
        "n_examples": n,
        "n_scored": n_answered,
        "n_errors": errors,
        "error_rate": errors / n if n else 0.0,
        # answers cut off at max_tokens (finish_reason "length"), and every reason's count
        "n_truncated": sum(r.metadata.get("finish_reason") == "length" for r in responses),
        "finish_reasons": _finish_reasons(responses),
    }


def _finish_reasons(responses: Sequence[Response]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in responses:
        reason = str(r.metadata.get("finish_reason") or "unknown")
        counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items()))


def build_report(
    *,
    run_id: str,
    task: Task,
    adapter: Adapter,
    generation: GenerationSettings,
    selection: dict[str, Any],
    metrics: Sequence[Metric],
    scores: RunScores,
    responses: Sequence[Response],
    started_at: datetime,
    finished_at: datetime,
) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "harness": {"version": harness_version(), "git": git_state()},
        "environment": environment(),
        "task": {
            "name": task.name,
            "version": str(task.spec.version),
            "kind": task.kind,
            "path": str(task.path),
            "hash": task.hash,
            "definition_hash": task.spec.definition_hash(),
            "data_hash": task.data_hash,
            "prompt_hash": task.spec.prompt_hash(),
            "n_examples": len(task.examples),
        },
        "model": adapter.describe(),
        "generation": {**asdict(generation), "stop": list(generation.stop)},
        "metric_settings": metric_settings(task, metrics),
        "seed": task.spec.bootstrap.seed,
        "selection": selection,
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "summary": run_summary(responses, scores.n_answered),
        "usage": run_usage(responses),
        "metrics": scores.values,
        "metrics_answered": scores.answered,
        "metric_info": scores.info,
        "details": scores.details,
        **({"groups": scores.groups} if scores.groups else {}),
    }


def validate_report(report: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError if `report` does not match the shipped schema."""
    import jsonschema

    jsonschema.validate(report, report_schema())
