"""Join shard reports into the report an unsharded run writes: same records, metrics and CIs.

Shards must be of one run: the same task (hash), model, generation, metric settings, harness
and selection, with shard indices 1..N each once and example ids that are disjoint and together
exactly the run's. Aggregates (CIs included) are recomputed by the task's metric families from
the merged records, put back in task order, so they are the unsharded run's numbers, bit for
bit; the task file is read again (and checked against the shards' task hash) for the details
that need the examples themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.adapters.base import Response
from harness.errors import InputError
from harness.metrics.base import Item
from harness.metrics.registry import metrics_for
from harness.reports.build import run_summary, run_usage
from harness.reports.store import new_run_id, read_examples, read_report
from harness.scoring.task_scores import aggregate

# What every shard of one run records identically (model settings: all but the cache path).
SAME_RUN_KEYS = ("schema_version", "task", "generation", "metric_settings", "seed")
SAME_SELECTION_KEYS = ("limit", "sample", "seed", "n_total")
MACHINE_LOCAL_SETTINGS = ("cache",)


def _model_identity(report: Mapping[str, Any]) -> dict[str, Any]:
    model = dict(report["model"])
    model["settings"] = {k: v for k, v in (model.get("settings") or {}).items()
                         if k not in MACHINE_LOCAL_SETTINGS}
    return model


def _identity(report: Mapping[str, Any]) -> dict[str, Any]:
    """Everything that must match across the shards of one run."""
    selection = report.get("selection") or {}
    return {
        **{key: report.get(key) for key in SAME_RUN_KEYS},
        "model": _model_identity(report),
        "harness": (report.get("harness") or {}).get("version"),
        "git_commit": ((report.get("harness") or {}).get("git") or {}).get("commit"),
        "selection": {key: selection.get(key) for key in SAME_SELECTION_KEYS},
        "shard_count": (selection.get("shard") or {}).get("count"),
    }


def check_shards(paths: Sequence[Path], reports: Sequence[Mapping[str, Any]]) -> int:
    """The shard count, after checking the reports are all the shards of one run."""
    first = _identity(reports[0])
    for path, report in zip(paths, reports, strict=True):
        if not (report.get("selection") or {}).get("shard"):
            raise InputError("not a shard report (its selection has no shard)", path=path)
        mine = _identity(report)
        for key, value in first.items():
            if mine[key] != value:
                raise InputError(f"not a shard of the same run as {paths[0]}: {key} differs",
                                 path=path, field=key)
    count = int(first["shard_count"])
    seen: dict[int, Path] = {}
    for path, report in zip(paths, reports, strict=True):
        index = int(report["selection"]["shard"]["index"])
        if index in seen:
            raise InputError(f"shard {index}/{count} given twice (also {seen[index]})", path=path)
        seen[index] = path
    missing = sorted(set(range(1, count + 1)) - set(seen))
    if missing:
        raise InputError(f"incomplete: shard(s) {', '.join(f'{i}/{count}' for i in missing)} "
                         "missing", field="SHARD_REPORT")
    return count


def _merged_records(paths: Sequence[Path], reports: Sequence[Mapping[str, Any]],
                    order: Sequence[str]) -> list[dict[str, Any]]:
    """Every shard's records, checked disjoint and complete, in the run's example order."""
    by_id: dict[str, dict[str, Any]] = {}
    owner: dict[str, Path] = {}
    for path, report in zip(paths, reports, strict=True):
        for record in read_examples(path, dict(report)):
            example_id = str(record["id"])
            if example_id in by_id:
                raise InputError(f"example {example_id!r} is in two shards "
                                 f"(also {owner[example_id]})", path=path, field="id")
            by_id[example_id] = record
            owner[example_id] = path
    extra = sorted(set(by_id) - set(order))
    if extra:
        raise InputError(f"example {extra[0]!r} is not in the run's selection",
                         path=owner[extra[0]], field="id")
    missing = [i for i in order if i not in by_id]
    if missing:
        raise InputError(f"{len(missing)} example(s) of the run are in no shard "
                         f"(first {missing[0]!r})", field="SHARD_REPORT")
    return [by_id[i] for i in order]


def _response(record: Mapping[str, Any]) -> Response:
    """What usage accounting needs of one answer, read back from its record."""
    cost = record.get("cost_usd")
    return Response(text=record.get("prediction") or "", latency_s=record.get("latency_s") or 0.0,
                    prompt_tokens=record.get("prompt_tokens"),
                    completion_tokens=record.get("completion_tokens"),
                    cached=bool(record.get("cached")), error=record.get("error"),
                    attempts=int(record.get("attempts") or 0),
                    metadata={"finish_reason": record.get("finish_reason"),
                              **({} if cost is None else {"cost_usd": cost})})


def merge_reports(paths: Sequence[Path], task_path: Path | None = None
                  ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The merged report (without `examples_file`) and its records, in task order."""
    from harness.selection import Selection
    from harness.tasks import load_task

    if not paths:
        raise InputError("give the shard reports to merge", field="SHARD_REPORT")
    reports = [read_report(p) for p in paths]
    check_shards(paths, reports)
    first = reports[0]
    task = load_task(task_path or Path(first["task"]["path"]))
    if task.hash != first["task"]["hash"]:
        raise InputError("the task file or its data changed since the shards ran "
                         f"(hash {task.hash} != {first['task']['hash']})", path=task.path)
    recorded = first["selection"]
    selection = Selection(limit=recorded["limit"], sample=recorded["sample"],
                          seed=recorded["seed"], stratify=recorded.get("stratify"))
    chosen = selection.apply(task.examples)
    records = _merged_records(paths, reports, [e.id for e in chosen])
    items = [Item(e.id, e.fields, None if r.get("error") is not None else r.get("prediction"))
             for e, r in zip(chosen, records, strict=True)]
    scores = [dict(r.get("scores") or {}) for r in records]
    # the task's families (hash-checked above), not `metrics_from_report`: a family that
    # reports no value (diagnostics) is absent from metric_info but still writes details
    metrics = metrics_for(task.spec)
    run = aggregate(metrics, records, task.spec.bootstrap.config(), items, scores,
                    task.spec.group_by)
    responses = [_response(r) for r in records]
    report = {key: value for key, value in first.items() if key != "examples_file"}
    report.update(
        run_id=new_run_id(datetime.now(UTC)),
        selection=selection.describe(chosen, len(task.examples)),
        started_at=min(r["started_at"] for r in reports),
        finished_at=max(r["finished_at"] for r in reports),
        summary=run_summary(responses, run.n_answered),
        usage=run_usage(responses), metrics=run.values, metrics_answered=run.answered,
        metric_info=run.info, details=run.details,
        **({"groups": run.groups} if run.groups else {}),
        merged_from=[{"run_id": r["run_id"], "shard": r["selection"]["shard"]["index"]}
                     for r in sorted(reports, key=lambda r: r["selection"]["shard"]["index"])],
    )
    return report, records
