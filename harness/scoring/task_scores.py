"""A run's scores from its metric families: per-example scores, then aggregates from records.

Pure functions over predictions and per-example records. An errored example (no answer)
counts as wrong (or 0) in the headline values; the answered-only values are kept beside them,
and the counts say how many examples were answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.metrics.base import Entry, Item, Metric, Record, answered

if TYPE_CHECKING:
    from harness.scoring.bootstrap import BootstrapConfig


@dataclass
class RunScores:
    """Aggregates of every family, keyed by value name, with what each value means."""

    values: dict[str, Entry] = field(default_factory=dict)
    answered: dict[str, Entry] = field(default_factory=dict)
    info: dict[str, dict[str, Any]] = field(default_factory=dict)  # value -> family, direction
    details: dict[str, Any] = field(default_factory=dict)
    n_answered: int = 0
    groups: dict[str, Any] = field(default_factory=dict)  # key -> group -> {n, metrics}


async def score_items(metrics: Sequence[Metric], items: Sequence[Item]) -> list[dict[str, Any]]:
    """Every family's per-example scores merged into one dict per item ({} when errored)."""
    merged: list[dict[str, Any]] = [{} for _ in items]
    for metric in metrics:
        for target, scores in zip(merged, await metric.score(items), strict=True):
            target.update(scores)
    return merged


def aggregate(metrics: Sequence[Metric], records: Sequence[Record], bootstrap: BootstrapConfig,
              items: Sequence[Item] | None = None,
              scores: Sequence[dict[str, Any]] | None = None,
              group_by: Sequence[str] = ()) -> RunScores:
    """Values with CIs from records; with the items, also details that need the examples;
    with `group_by`, every value per group of each key (records carry their `groups`)."""
    from harness.scoring.groups import aggregate_groups

    out = RunScores(n_answered=sum(answered(r) for r in records))
    if group_by:
        out.groups = aggregate_groups(metrics, records, bootstrap, group_by)
    for metric in metrics:
        result = metric.aggregate(records, bootstrap)
        out.values.update(result.values)
        out.answered.update(result.answered)
        out.details.update(result.details)
        out.info.update({name: value.describe(metric.name)
                         for name, value in metric.values().items()})
        if items is not None and scores is not None:
            out.details.update(metric.run_details(items, scores))
    return out
