"""The results table printed at the end of `harness run`: one row per headline metric."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table

from harness.metrics.registry import headline_values, signatures

if TYPE_CHECKING:
    from harness.runner import RunResult


def format_value(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def format_ci(metric: dict[str, Any]) -> str:
    low, high = metric.get("ci_low"), metric.get("ci_high")
    return "–" if low is None or high is None else f"[{low:.4f}, {high:.4f}]"


def results_table(results: Sequence[RunResult]) -> Table:
    table = Table(title="Results (headline values with seeded bootstrap CIs)")
    for column in ("task", "model", "scored/n", "metric", "value", "CI", "report"):
        table.add_column(column, no_wrap=column != "report", overflow="fold")
    for result in results:
        report = result.report
        summary = report["summary"]
        names = headline_values(report)
        for index, name in enumerate(names):
            metric = report["metrics"][name]
            first = index == 0
            table.add_row(
                report["task"]["name"] if first else "",
                report["model"]["name"] if first else "",
                f"{summary['n_scored']}/{summary['n_examples']}" if first else "",
                name,
                format_value(metric["value"]),
                format_ci(metric),
                str(result.report_path or "(not written)") if first else "",
                end_section=index == len(names) - 1,
            )
    footer = dict.fromkeys(s for result in results for s in signatures(result.report))
    if footer:
        table.caption = "\n".join(footer)
    return table
