"""Recompute a report's aggregates from its per-example records, and refuse a mismatch.

A report is a summary of its examples file (whose sha256 it records). A stored value that its
own records do not give (hand-edited, or a tool gone wrong) would let a gate pass or a
comparison print a number outside its own interval; `check`, `compare` and `baseline` call
`verify_run` on every run whose examples file is present. Without that file nothing can be
recomputed: callers say so (and `check --require-examples` refuses).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from harness.errors import InputError

if TYPE_CHECKING:
    from harness.compare.loading import Run

# Recomputed on another machine, a mean may differ in the last bits (summation order); a
# tampered value differs far more.
REL_TOL = 1e-9
ABS_TOL = 1e-12
_ENTRY_KEYS = ("value", "ci_low", "ci_high")


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _fmt(value: Any) -> str:
    return "null" if value is None else repr(value)


def _compare_entries(run: Run, section: str, stored: Mapping[str, Any],
                     computed: Mapping[str, Mapping[str, Any]]) -> None:
    if set(stored) != set(computed):
        extra = sorted(set(stored) - set(computed))
        missing = sorted(set(computed) - set(stored))
        raise InputError(
            f"the report's values do not match its metric families: stored but not computed "
            f"{extra or 'none'}, computed but not stored {missing or 'none'}",
            path=run.path, field=section)
    for name, entry in computed.items():
        for key in _ENTRY_KEYS:
            before, now = stored[name].get(key), entry.get(key)
            if not _same(before, now):
                raise InputError(
                    f"the report says {_fmt(before)}, its examples file gives {_fmt(now)}: the "
                    "stored aggregate does not follow from the per-example records (edited?)",
                    path=run.path, field=f"{section}.{name}.{key}")


def _check_summary(run: Run, records: Sequence[Mapping[str, Any]], n_answered: int) -> None:
    n = len(records)
    errors = sum(r.get("error") is not None for r in records)
    expected = {"n_examples": n, "n_errors": errors, "n_scored": n_answered,
                "error_rate": errors / n if n else 0.0}
    summary = run.report["summary"]
    for key, now in expected.items():
        if not _same(summary.get(key), now):
            raise InputError(f"the report says {_fmt(summary.get(key))}, its examples file "
                             f"gives {_fmt(now)} (edited?)", path=run.path,
                             field=f"summary.{key}")


def verify_run(run: Run) -> None:
    """Raise InputError naming the value and both numbers unless every aggregate (values, CIs,
    answered-only values, summary counts) follows from the run's examples."""
    from pydantic import ValidationError

    from harness.compare.stats import bootstrap_config
    from harness.metrics.registry import metrics_from_report
    from harness.scoring.task_scores import aggregate

    if run.examples is None:
        raise ValueError("verify_run needs the run's examples")
    try:
        families = metrics_from_report(run.report)
        scores = aggregate(families, run.examples, bootstrap_config(run.report),
                           group_by=list(run.report.get("groups") or {}))
    except ValidationError as exc:
        raise InputError(f"metric settings cannot be read: {exc.errors()[0]['msg']}",
                         path=run.path, field="metric_settings") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"aggregates cannot be recomputed from the examples file: "
                         f"{type(exc).__name__}: {exc}", path=run.path,
                         field="examples_file") from None
    _compare_entries(run, "metrics", run.report["metrics"], scores.values)
    if "metrics_answered" in run.report:
        _compare_entries(run, "metrics_answered", run.report["metrics_answered"],
                         scores.answered)
    for key, groups in scores.groups.items():
        stored = (run.report.get("groups") or {}).get(key) or {}
        if set(stored) != set(groups):
            raise InputError("the report's groups do not match its examples file",
                             path=run.path, field=f"groups.{key}")
        for group, body in groups.items():
            _compare_entries(run, f"groups.{key}.{group}.metrics",
                             stored[group].get("metrics") or {}, body["metrics"])
    _check_summary(run, run.examples, scores.n_answered)
