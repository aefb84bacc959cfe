"""The leaderboard's numbers: per task a ranking in significance groups, per model a mean rank,
cost and latency, and per (model, task) the history of its runs with significant drops."""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.compare.loading import Run, group_by_task, id_differences, task_differences
from harness.compare.markdown import testable
from harness.compare.stats import aligned_records, bootstrap_config, paired_metric_test
from harness.leaderboard.groups import ALPHA, CORRECTION, Placed, holm, significance_groups
from harness.leaderboard.loading import comparable_set, newest_per_model, run_time
from harness.metrics.base import Entry, entry
from harness.metrics.registry import metrics_from_report, value_info
from harness.scoring.significance import PairedResult


def headline_metric(run: Run) -> str:
    """The value a task is ranked by: the first headline family's primary value."""
    families = metrics_from_report(run.report)
    info = value_info(run.report)
    family = next(m for m in families
                  if any(v.get("headline") and v.get("metric") == m.name for v in info.values()))
    return family.primary


def answer_mode(report: dict[str, Any]) -> str | None:
    """How answers were produced or judged, as the metric families recorded it: a non-default
    `answer_mode`, and the `judges` of a family that asks models to grade."""
    notes = []
    for settings in (report.get("metric_settings") or {}).values():
        if not isinstance(settings, dict):
            continue
        if settings.get("answer_mode"):
            notes.append(f"answer mode: {settings['answer_mode']}")
        judges = [j for j in settings.get("judges") or [] if isinstance(j, dict)]
        if judges:
            names = ", ".join(str(j.get("label") or j.get("model")) for j in judges)
            notes.append(f"judged by {names}")
    return "; ".join(notes) or None


def paired(metric: str, base: Run, cand: Run) -> tuple[PairedResult, bool]:
    """cand − base on their shared examples with the metric family's test."""
    ids = [i for i in base.by_id() if i in cand.by_id()]
    a, b, _ = aligned_records(base, cand, ids)
    result = paired_metric_test(base, metric, a, b, bootstrap_config(base.report))
    return result, testable(result)


@dataclass
class TaskBoard:
    task: str
    kind: str
    metric: str
    higher_is_better: bool
    mode: str | None
    n_examples: int
    placed: list[Placed[Run]]
    left_out: list[tuple[Run, list[str]]]  # newest runs not comparable with the ranked ones
    older: list[Run] = field(default_factory=list)  # superseded runs: the models' history
    slug: str = ""

    def entry(self, run: Run) -> Entry:
        return run.report["metrics"].get(self.metric) or entry(None)


@dataclass
class HistoryPoint:
    run: Run
    value: Entry
    vs_previous: PairedResult | None = None
    p_adjusted: float | None = None
    drop: bool = False
    note: str = ""


@dataclass
class ModelRow:
    model: str
    ranks: dict[str, Placed[Run]] = field(default_factory=dict)  # task -> place
    cost_usd: float | None = None
    latency_s: float | None = None

    @property
    def mean_rank(self) -> float | None:
        mids = [p.mid_rank for p in self.ranks.values()]
        return sum(mids) / len(mids) if mids else None


@dataclass
class Leaderboard:
    tasks: list[TaskBoard]
    models: list[ModelRow]
    history: dict[tuple[str, str], list[HistoryPoint]]  # (model, task) -> runs, oldest first
    alpha: float = ALPHA
    correction: str = CORRECTION


def _sort_key(metric: str, higher: bool) -> Any:
    def key(run: Run) -> tuple[float, str]:
        value = (run.report["metrics"].get(metric) or {}).get("value")
        number = -math.inf if value is None else float(value)
        return (-number if higher else number, run.model)
    return key


def task_board(task: str, runs: Sequence[Run], alpha: float = ALPHA) -> TaskBoard:
    newest = newest_per_model(runs)
    chosen = {id(r) for r in newest}
    older = [r for r in runs if id(r) not in chosen]
    rankable = comparable_set(newest)
    left = rankable.left_out
    ranked = rankable.ranked
    if not ranked:
        first = newest[0]
        return TaskBoard(task, first.kind, "", True, answer_mode(first.report), 0, [], left,
                         older)
    reference = ranked[0]
    metric = headline_metric(reference)
    higher = bool(value_info(reference.report)[metric]["higher_is_better"])
    ordered = sorted(ranked, key=_sort_key(metric, higher))
    placed = significance_groups(ordered, lambda a, b: paired(metric, a, b), alpha)
    return TaskBoard(task, reference.kind, metric, higher, answer_mode(reference.report),
                     len(reference.by_id()), placed, left, older)


def history(runs: Sequence[Run], metric: str, higher: bool, alpha: float = ALPHA
            ) -> list[HistoryPoint]:
    """One model's runs of one task, oldest first; each compared with the run before it."""
    ordered = sorted(runs, key=run_time)
    points = [HistoryPoint(r, r.report["metrics"].get(metric) or entry(None))
              for r in ordered]
    tested: list[HistoryPoint] = []
    for prev, point in itertools.pairwise(points):
        why = task_differences(prev.run.report, point.run.report)
        if not why and prev.run.examples and point.run.examples:
            why = id_differences(prev.run, point.run)
        if why or not (prev.run.examples and point.run.examples):
            point.note = "not comparable with the previous run: " + "; ".join(
                why or ["no per-example records"])
            continue
        result, ok = paired(metric, prev.run, point.run)
        point.vs_previous = result
        if ok:
            tested.append(point)
        else:
            point.note = "too few pairs to test"
    for point, p in zip(tested, holm([t.vs_previous.p_value for t in tested  # type: ignore[union-attr]
                                      ]), strict=True):
        point.p_adjusted = p
        diff = point.vs_previous.difference  # type: ignore[union-attr]
        point.drop = math.isfinite(p) and p < alpha and diff != 0 and (diff < 0) == higher
    return points


def _usage_totals(row: ModelRow, runs: Sequence[Run]) -> None:
    """Summed cost (unknown if any ranked run's cost is unknown); median per-call latency."""
    costs = [(r.report.get("usage") or {}).get("cost_usd") for r in runs]
    known_costs = [float(c) for c in costs if c is not None]
    row.cost_usd = round(sum(known_costs), 8) if costs and len(known_costs) == len(costs) \
        else None
    latencies = [(r.report.get("usage") or {}).get("latency_s_median") for r in runs]
    known = [x for x in latencies if x is not None]
    row.latency_s = statistics.median(known) if known else None


def build_leaderboard(runs: Sequence[Run], alpha: float = ALPHA) -> Leaderboard:
    boards = [task_board(t, rs, alpha) for t, rs in group_by_task(runs).items()]
    for i, board in enumerate(boards, start=1):
        board.slug = f"task-{i}"
    rows: dict[str, ModelRow] = {}
    ranked_runs: dict[str, list[Run]] = {}
    for board in boards:
        for place in board.placed:
            rows.setdefault(place.item.model, ModelRow(place.item.model)).ranks[board.task] = place
            ranked_runs.setdefault(place.item.model, []).append(place.item)
    for model, row in rows.items():
        _usage_totals(row, ranked_runs[model])
    models = sorted(rows.values(), key=lambda r: (r.mean_rank or math.inf, -len(r.ranks),
                                                  r.model))
    by_model_task: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        by_model_task.setdefault((run.model, run.task), []).append(run)
    metric_of = {b.task: (b.metric, b.higher_is_better) for b in boards if b.metric}
    hist = {key: history(rs, *metric_of[key[1]], alpha)
            for key, rs in by_model_task.items() if len(rs) > 1 and key[1] in metric_of}
    return Leaderboard(boards, models, hist, alpha)
