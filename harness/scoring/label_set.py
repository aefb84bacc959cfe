"""Facts about a label set that scoring and task validation share, without numpy: the invalid
column's name and which labels SemEval's F_avg averages."""

from __future__ import annotations

from collections.abc import Sequence

INVALID = "<invalid>"  # the column of answers that name no label
FAVOR = "favor"
AGAINST = "against"

# What F_avg averages when a task does not say: SemEval-2016 Task 6's favor and against.
SEMEVAL_F_AVG: tuple[str, ...] = (FAVOR, AGAINST)


def f_avg_labels(labels: Sequence[str], f_avg: Sequence[str] | None = None
                 ) -> tuple[str, ...] | None:
    """The labels F_avg averages the F1 of: ``f_avg`` when given (empty: no F_avg), else
    favor and against when the label set has both; None when F_avg is not defined."""
    chosen = tuple(f_avg) if f_avg is not None else SEMEVAL_F_AVG
    if not chosen or not set(chosen) <= set(labels):
        return None
    return chosen


def f_avg_defined(labels: Sequence[str], f_avg: Sequence[str] | None = None) -> bool:
    """F_avg needs every label it averages in the set (by default favor and against)."""
    return f_avg_labels(labels, f_avg) is not None
