"""The CI gate's decisions: did a run get worse than its baseline, or fall below a floor?

Every check becomes one `Outcome` (pass, fail, error or skip) so that the console, the
Markdown summary and JUnit XML all tell the same story. Exit status: 0 pass, 1 regression,
2 usage or input error (including baselines measured on a different task or metric settings,
whose numbers cannot be compared at all).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from harness.compare.loading import Run, discover_runs, id_differences, task_differences
from harness.compare.markdown import testable
from harness.compare.stats import (
    aligned_records,
    bootstrap_config,
    higher_is_better,
    paired_metric_test,
)
from harness.errors import InputError
from harness.scoring.significance import PairedResult

Status = Literal["pass", "fail", "error", "skip"]
EPSILON = 1e-9  # float noise allowed on top of a tolerance


@dataclass(frozen=True)
class Thresholds:
    """What counts as a regression (from the command line)."""

    tolerances: dict[str, float] = field(default_factory=dict)
    default_tolerance: float = 0.0
    floors: dict[str, float] = field(default_factory=dict)  # --min
    ceilings: dict[str, float] = field(default_factory=dict)  # --max
    significant: bool = False
    alpha: float = 0.05
    max_error_rate: float = 0.0
    resamples: int | None = None
    seed: int | None = None


@dataclass
class Outcome:
    task: str
    model: str
    check: str  # a metric name, "error_rate", "comparability" or "baseline"
    status: Status
    message: str
    current: float | None = None
    reference: float | None = None  # the baseline value or the floor/ceiling
    p_value: float | None = None


@dataclass
class GateResult:
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def exit_code(self) -> int:
        if self.count("error"):
            return 2
        return 1 if self.count("fail") else 0


def _fmt(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.4f}"


def _entries(run: Run) -> dict[str, dict[str, float | None]]:
    """Every value of a run by name: the run's, then each group's (``VALUE@KEY=GROUP``)."""
    from harness.scoring.groups import group_values

    return {**run.report.get("metrics", {}), **group_values(run.report)}


def _value(run: Run, metric: str) -> float | None:
    entry = _entries(run).get(metric) or {}
    value = entry.get("value")
    return float(value) if value is not None else None


def _known_metrics(runs: Sequence[Run]) -> set[str]:
    return {m for run in runs for m in _entries(run)}


def check_names(thresholds: Thresholds, runs: Sequence[Run]) -> None:
    """A misspelt metric name would make a check silently vacuous: refuse it."""
    known = _known_metrics(runs)
    for option, names in (("--tolerance", thresholds.tolerances), ("--min", thresholds.floors),
                          ("--max", thresholds.ceilings)):
        unknown = sorted(set(names) - known)
        if unknown:
            raise InputError(f"unknown metric(s) {', '.join(unknown)}; these runs report: "
                             f"{', '.join(sorted(known))}", field=option)


def _limits(run: Run, t: Thresholds) -> list[Outcome]:
    out = []
    rate = float(run.report["summary"].get("error_rate", 0.0))
    ok = rate <= t.max_error_rate + EPSILON
    out.append(Outcome(run.task, run.model, "error_rate", "pass" if ok else "fail",
                       f"error rate {rate:.4f} {'≤' if ok else '>'} allowed {t.max_error_rate}",
                       rate, t.max_error_rate))
    entries = _entries(run)
    for metric, floor in t.floors.items():
        value = _value(run, metric)
        if metric not in entries:
            continue
        if value is None:
            out.append(Outcome(run.task, run.model, f"{metric} ≥ {floor}", "skip",
                               f"{metric} is undefined for this run", None, floor))
            continue
        ok = value >= floor - EPSILON
        out.append(Outcome(run.task, run.model, f"{metric} ≥ {floor}", "pass" if ok else "fail",
                           f"{metric} {_fmt(value)} {'≥' if ok else '<'} floor {floor}",
                           value, floor))
    for metric, ceiling in t.ceilings.items():
        value = _value(run, metric)
        if metric not in entries or value is None:
            continue
        ok = value <= ceiling + EPSILON
        out.append(Outcome(run.task, run.model, f"{metric} ≤ {ceiling}", "pass" if ok else "fail",
                           f"{metric} {_fmt(value)} {'≤' if ok else '>'} ceiling {ceiling}",
                           value, ceiling))
    return out


class _PairedCache:
    """Paired tests of one current run against its baseline, computed only when needed."""

    def __init__(self, current: Run, baseline: Run, t: Thresholds) -> None:
        self.current, self.baseline, self.t = current, baseline, t
        self.results: dict[str, PairedResult] = {}

    @property
    def available(self) -> bool:
        return self.current.examples is not None and self.baseline.examples is not None

    def why_not(self) -> str:
        for name, run in (("baseline", self.baseline), ("current run", self.current)):
            if run.examples is None:
                return f"the {name} has no per-example records ({run.examples_note})"
        return ""

    def test(self, metric: str) -> PairedResult:
        if metric not in self.results:
            ids = [str(r["id"]) for r in self.baseline.examples or []]
            base, cur, _ = aligned_records(self.baseline, self.current, ids)
            config = bootstrap_config(self.baseline.report, self.t.resamples, self.t.seed)
            self.results[metric] = paired_metric_test(self.baseline, metric, base, cur, config)
        return self.results[metric]


def _against_baseline(cur: Run, base: Run, t: Thresholds, result: GateResult) -> None:
    diffs = task_differences(base.report, cur.report) + id_differences(base, cur)
    if diffs:
        result.outcomes.append(Outcome(cur.task, cur.model, "comparability", "error",
                                       "baseline is not comparable: " + "; ".join(diffs)))
        return
    paired = _PairedCache(cur, base, t)
    if t.significant and not paired.available:
        result.notes.append(f"{cur.task} × {cur.model}: --significant cannot be honoured, "
                            f"{paired.why_not()}; any drop beyond tolerance fails (aggregate "
                            "comparison)")
    before_entries = _entries(base)
    shared = [m for m in _entries(cur) if m in before_entries]
    for metric in shared:
        now, before = _value(cur, metric), _value(base, metric)
        if now is None or before is None:
            result.outcomes.append(Outcome(cur.task, cur.model, metric, "skip",
                                           f"{metric} undefined in one of the runs", now, before))
            continue
        higher = higher_is_better(cur.report, metric)
        drop = (before - now) if higher else (now - before)
        tolerance = t.tolerances.get(metric, t.default_tolerance)
        allowed = f"allowed drop {tolerance}" if higher else \
            f"lower is better, allowed rise {tolerance}"
        text = (f"{metric} {_fmt(now)} vs baseline {_fmt(before)} "
                f"(Δ {now - before:+.4f}, {allowed})")
        if drop <= tolerance + EPSILON:
            result.outcomes.append(Outcome(cur.task, cur.model, metric, "pass", text, now, before))
            continue
        if t.significant and paired.available:
            test = paired.test(metric)
            if not testable(test):
                result.outcomes.append(Outcome(
                    cur.task, cur.model, metric, "fail", text + f"; regression (--significant "
                    f"cannot be honoured: {test.n} pairs are too few for a bootstrap test)",
                    now, before))
                continue
            significant = math.isfinite(test.p_value) and test.p_value < t.alpha
            status: Status = "fail" if significant else "pass"
            verdict = "significant" if significant else "not significant"
            text += (f"; drop {verdict}: p={test.p_value:.4g} (α={t.alpha}, {test.method}, "
                     f"n={test.n}, CI of Δ [{test.ci_low:+.4f}, {test.ci_high:+.4f}])")
            result.outcomes.append(Outcome(cur.task, cur.model, metric, status, text, now, before,
                                           test.p_value))
        else:
            result.outcomes.append(Outcome(cur.task, cur.model, metric, "fail",
                                           text + "; regression", now, before))


def _index(runs: Sequence[Run], what: str) -> dict[tuple[str, str], Run]:
    index: dict[tuple[str, str], Run] = {}
    for run in runs:
        key = (run.task, run.model)
        if key in index:
            raise InputError(f"two {what} runs of {run.task} × {run.model}: "
                             f"{index[key].path} and {run.path}; name one of them", path=run.path)
        index[key] = run
    return index


def _verification(runs: Sequence[Run], role: str, require: bool, result: GateResult) -> None:
    """Say whose aggregates were recomputed from their examples (`discover_runs` refused any
    that disagree) and whose could not be: an error with --require-examples."""
    checked = sum(run.examples is not None for run in runs)
    if checked:
        result.notes.append(f"{checked} {role} run(s) verified: every stored value and interval "
                            "recomputed from the per-example records")
    for run in runs:
        if run.examples is not None:
            continue
        why = f"aggregates could not be verified: {run.examples_note}"
        if require:
            result.outcomes.append(Outcome(run.task, run.model, "examples", "error",
                                           f"{role} run {run.path}: {why} (--require-examples)"))
        else:
            result.notes.append(f"{role} {run.task} × {run.model}: {why}")


def run_gate(current_paths: Sequence[str | Path], baseline_paths: Sequence[str | Path],
             t: Thresholds, *, require_baseline: bool = False,
             require_examples: bool = False) -> GateResult:
    """Check every current run against limits and its baseline (matched by task and model).

    Every report is validated and, where its examples file is present, its aggregates are
    recomputed first: a report that fails either is an InputError (exit 2).
    """
    current = discover_runs(current_paths)
    baselines = discover_runs(baseline_paths) if baseline_paths else []
    check_names(t, current)
    current_index = _index(current, "current")
    base_index = _index(baselines, "baseline")
    result = GateResult()
    _verification(current, "current", require_examples, result)
    _verification(baselines, "baseline", require_examples, result)
    for key, cur in current_index.items():
        result.outcomes.extend(_limits(cur, t))
        if not baseline_paths:
            continue
        base = base_index.get(key)
        if base is None:
            status: Status = "error" if require_baseline else "skip"
            result.outcomes.append(Outcome(cur.task, cur.model, "baseline", status,
                                           "no baseline report for this task × model"))
            continue
        _against_baseline(cur, base, t, result)
    for key in sorted(set(base_index) - set(current_index)):
        message = f"baseline {key[0]} × {key[1]} has no current run"
        if require_baseline:
            result.outcomes.append(Outcome(key[0], key[1], "baseline", "error", message))
        else:
            result.notes.append(message + " (not checked)")
    if not current_index:
        raise InputError("no current runs to check", field="CURRENT")
    return result
