"""The leaderboard as plain data: `--format json`, and what the Markdown and HTML views read."""

from __future__ import annotations

import math
from typing import Any

from harness.compare.loading import Run
from harness.leaderboard.build import HistoryPoint, Leaderboard, TaskBoard
from harness.leaderboard.groups import Placed
from harness.scoring.significance import PairedResult


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _test(r: PairedResult | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"difference": _num(r.difference), "ci_low": _num(r.ci_low), "ci_high": _num(r.ci_high),
            "p_value": _num(r.p_value), "method": r.method, "n": r.n}


def run_ref(run: Run) -> dict[str, Any]:
    """Where a run came from and what produced it."""
    report = run.report
    return {"path": str(run.path), "run_id": run.run_id, "model": run.model,
            "started_at": report.get("started_at"),
            "harness_version": (report.get("harness") or {}).get("version"),
            "task_version": report["task"].get("version"), "task_hash": report["task"].get("hash")}


def _place(board: TaskBoard, p: Placed[Run]) -> dict[str, Any]:
    return {"model": p.item.model, "rank": p.rank_text, "rank_low": p.rank_low,
            "rank_high": p.rank_high, "group": p.group, **board.entry(p.item),
            "vs_leader": _test(p.vs_leader), "p_adjusted": _num(p.p_adjusted),
            "testable": p.testable, "leads_group": p.leads, "run": run_ref(p.item)}


def _point(h: HistoryPoint) -> dict[str, Any]:
    return {**run_ref(h.run), **h.value, "vs_previous": _test(h.vs_previous),
            "p_adjusted": _num(h.p_adjusted), "significant_drop": h.drop, "note": h.note or None}


def to_data(board: Leaderboard) -> dict[str, Any]:
    return {
        "significance": {"alpha": board.alpha, "correction": board.correction,
                         "grouping": "models not significantly different from their group's "
                                     "leader (paired test on shared examples) share a rank"},
        "models": [{"model": m.model, "mean_rank": _num(m.mean_rank), "tasks_ranked": len(m.ranks),
                    "ranks": {t: p.rank_text for t, p in m.ranks.items()},
                    "cost_usd": m.cost_usd, "latency_s_median": m.latency_s}
                   for m in board.models],
        "tasks": [{"task": t.task, "kind": t.kind, "metric": t.metric,
                   "higher_is_better": t.higher_is_better, "mode": t.mode,
                   "n_examples": t.n_examples, "ranking": [_place(t, p) for p in t.placed],
                   "left_out": [{**run_ref(r), "reasons": why} for r, why in t.left_out],
                   "older_runs": [run_ref(r) for r in t.older]}
                  for t in board.tasks],
        "history": [{"model": model, "task": task, "runs": [_point(h) for h in points]}
                    for (model, task), points in board.history.items()],
    }
