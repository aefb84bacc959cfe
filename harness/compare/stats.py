"""Per-task comparison numbers: metric tables with CIs, paired tests against a baseline, and
per-example score differences.

Runs are compared on the same examples, so every test here is paired (paired bootstrap for
ROUGE and macro-F1, exact McNemar for accuracy); an unpaired test on paired data would throw
away the pairing and miss real differences. The tests themselves live in
`harness.scoring.significance`; this module only chooses and feeds them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.compare.loading import Comparability, Run, check_comparable
from harness.scoring.bootstrap import BootstrapConfig, mean_ci
from harness.scoring.significance import (
    PairedResult,
    mcnemar,
    paired_bootstrap_mean,
    paired_bootstrap_statistic,
)
from harness.scoring.stance import INVALID, stance_ci, stance_metrics, stance_statistic

LOWER_IS_BETTER = frozenset({"invalid_rate"})
STANCE_METRICS = ("accuracy", "macro_f1", "f_avg", "invalid_rate")
_ROUGE_PARTS = {"precision": "precision", "recall": "recall"}


def higher_is_better(metric: str) -> bool:
    return metric not in LOWER_IS_BETTER


def bootstrap_config(report: dict[str, Any], resamples: int | None = None,
                     seed: int | None = None) -> BootstrapConfig:
    """The report's own bootstrap settings, overridden by --resamples / --seed."""
    recorded = (report.get("metric_settings") or {}).get("bootstrap") or {}
    return BootstrapConfig(
        resamples=resamples or int(recorded.get("resamples", 1000)),
        seed=seed if seed is not None else int(recorded.get("seed", 12345)),
        confidence=float(recorded.get("confidence", 0.95)),
    )


def main_metrics(run: Run) -> list[str]:
    """The headline metrics of a task kind: ROUGE F1 per type, or the stance scores."""
    if run.kind == "summarization":
        rouge = (run.report.get("metric_settings") or {}).get("rouge") or {}
        return [str(t) for t in rouge.get("types", [])] or [
            m for m in run.report["metrics"] if "_" not in m]
    return [m for m in STANCE_METRICS if m in run.report["metrics"]]


def stance_labels(run: Run) -> list[str]:
    return list(((run.report.get("metric_settings") or {}).get("stance") or {}).get("labels", []))


def is_scored(record: dict[str, Any]) -> bool:
    return record.get("error") is None and bool(record.get("scores"))


def _rouge_part(metric: str) -> tuple[str, str]:
    """`rougeL` → (rougeL, fmeasure); `rougeL_precision` → (rougeL, precision)."""
    name, _, part = metric.partition("_")
    return name, _ROUGE_PARTS.get(part, "fmeasure")


def rouge_values(records: Sequence[dict[str, Any]], metric: str) -> np.ndarray:
    name, part = _rouge_part(metric)
    return np.array([float(r["scores"][name][part]) for r in records], dtype=np.float64)


def _stance_columns(records: Sequence[dict[str, Any]]) -> tuple[list[str], list[str]]:
    gold = [str(r.get("gold_label")) for r in records]
    predicted = [str((r.get("scores") or {}).get("parsed_label") or INVALID) for r in records]
    return gold, predicted


def primary_score(kind: str, record: dict[str, Any] | None, metric: str) -> float | None:
    """One per-example number to sort by: ROUGE F1 of `metric`, or 1/0 for a right label."""
    if record is None or not is_scored(record):
        return None
    if kind == "summarization":
        return float(rouge_values([record], metric)[0])
    return 1.0 if record["scores"].get("correct") else 0.0


def paired_metric_test(kind: str, metric: str, base: Sequence[dict[str, Any]],
                       cand: Sequence[dict[str, Any]], labels: Sequence[str],
                       config: BootstrapConfig) -> PairedResult:
    """candidate − baseline on aligned, scored records, with the test that fits the metric."""
    if kind == "summarization":
        return paired_bootstrap_mean(rouge_values(base, metric), rouge_values(cand, metric),
                                     config, metric=metric)
    if metric == "accuracy":
        return mcnemar([bool(r["scores"].get("correct")) for r in base],
                       [bool(r["scores"].get("correct")) for r in cand],
                       metric=metric, confidence=config.confidence)
    gold, pred_a = _stance_columns(base)
    _, pred_b = _stance_columns(cand)
    return paired_bootstrap_statistic(
        len(gold), stance_statistic(gold, pred_a, labels, metric),
        stance_statistic(gold, pred_b, labels, metric), config, metric=metric)


def aligned_records(base: Run, cand: Run, ids: Sequence[str]
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Records of both runs on `ids` where both were scored, and how many pairs were dropped."""
    a, b = base.by_id(), cand.by_id()
    pairs = [(a[i], b[i]) for i in ids if i in a and i in b and is_scored(a[i]) and is_scored(b[i])]
    return [p[0] for p in pairs], [p[1] for p in pairs], len(ids) - len(pairs)


def _metric_entry(value: float | None, ci: tuple[float, float] | None) -> dict[str, float | None]:
    def clean(x: float | None) -> float | None:
        return None if x is None or not math.isfinite(x) else float(x)

    low, high = ci if ci is not None else (None, None)
    return {"value": clean(value), "ci_low": clean(low), "ci_high": clean(high)}


def recompute_metrics(run: Run, ids: Sequence[str], metrics: Sequence[str],
                      config: BootstrapConfig) -> dict[str, dict[str, float | None]]:
    """Metrics with CIs on a subset of examples (used when runs share only some ids)."""
    by_id = run.by_id()
    records = [by_id[i] for i in ids if i in by_id and is_scored(by_id[i])]
    if not records:
        return {m: _metric_entry(None, None) for m in metrics}
    if run.kind == "summarization":
        out = {}
        for metric in metrics:
            values = rouge_values(records, metric)
            out[metric] = _metric_entry(float(values.mean()), mean_ci(values, config))
        return out
    labels = stance_labels(run)
    gold, predicted = _stance_columns(records)
    point = stance_metrics(gold, predicted, labels)
    intervals = stance_ci(gold, predicted, labels, config)
    return {m: _metric_entry(point.get(m), intervals.get(m)) for m in metrics}


@dataclass
class ExampleRow:
    """One example across runs: inputs, each run's output, and its score difference."""

    id: str
    record: dict[str, Any]  # the baseline's record (inputs and references)
    outputs: dict[str, dict[str, Any] | None]  # run label -> record
    scores: dict[str, float | None]
    diffs: dict[str, float | None]  # non-baseline run label -> score - baseline score
    position: int = 0  # index in the task's order

    @property
    def max_abs_diff(self) -> float:
        values = [abs(d) for d in self.diffs.values() if d is not None]
        return max(values) if values else -1.0


@dataclass
class TaskComparison:
    task: str
    kind: str
    baseline: Run
    runs: list[Run]
    comparability: Comparability
    config: BootstrapConfig
    metrics: list[str]
    primary: str  # the metric per-example rows are sorted by
    table: dict[str, dict[str, dict[str, float | None]]] = field(default_factory=dict)
    tests: dict[str, list[PairedResult]] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)  # pairs not scored in both runs
    examples: list[ExampleRow] = field(default_factory=list)
    recomputed: bool = False  # table computed on the shared ids, not taken from the reports

    @property
    def others(self) -> list[Run]:
        return [r for r in self.runs if r is not self.baseline]


def _example_rows(comparison: TaskComparison) -> list[ExampleRow]:
    base = comparison.baseline
    maps = {run.label: run.by_id() for run in comparison.runs}
    rows = []
    for position, example_id in enumerate(comparison.comparability.common_ids):
        outputs = {label: records.get(example_id) for label, records in maps.items()}
        scores = {label: primary_score(comparison.kind, rec, comparison.primary)
                  for label, rec in outputs.items()}
        base_score = scores[base.label]
        diffs = {
            run.label: (None if scores[run.label] is None or base_score is None
                        else scores[run.label] - base_score)
            for run in comparison.others
        }
        rows.append(ExampleRow(example_id, maps[base.label][example_id], outputs, scores, diffs,
                               position))
    rows.sort(key=lambda row: -row.max_abs_diff)  # stable: ties keep the task's order
    return rows


def compare_task(runs: Sequence[Run], baseline: Run, *, resamples: int | None = None,
                 seed: int | None = None) -> TaskComparison:
    """Everything the reports show for one task; runs must carry their examples."""
    comparability = check_comparable(baseline, runs)
    metrics = main_metrics(baseline)
    primary = ("rougeL" if "rougeL" in metrics else metrics[0]) if baseline.kind == \
        "summarization" else "accuracy"
    comparison = TaskComparison(
        task=baseline.task, kind=baseline.kind, baseline=baseline, runs=list(runs),
        comparability=comparability, config=bootstrap_config(baseline.report, resamples, seed),
        metrics=metrics, primary=primary,
    )
    ids = comparability.common_ids
    comparison.recomputed = any(len(run.by_id()) != len(ids) for run in runs)
    for run in runs:
        if comparison.recomputed:
            comparison.table[run.label] = recompute_metrics(run, ids, metrics, comparison.config)
        else:
            comparison.table[run.label] = {m: run.report["metrics"].get(m) or _metric_entry(
                None, None) for m in metrics}
    tested = [m for m in metrics if m != "invalid_rate"]
    if baseline.kind == "stance" and not {"favor", "against"} <= set(stance_labels(baseline)):
        tested = [m for m in tested if m != "f_avg"]
    for run in comparison.others:
        base_records, cand_records, dropped = aligned_records(baseline, run, ids)
        comparison.dropped[run.label] = dropped
        comparison.tests[run.label] = [
            paired_metric_test(run.kind, metric, base_records, cand_records,
                               stance_labels(baseline), comparison.config)
            for metric in tested
        ]
    comparison.examples = _example_rows(comparison)
    return comparison
