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


# Per-group rows are shown from this terminal width on; narrower tables show a count.
GROUP_ROWS_MIN_WIDTH = 140


def _rows(report: dict[str, Any], wide: bool) -> list[tuple[str, dict[str, Any] | None]]:
    """(label, entry) per row: headline values, then per-group values or a group count."""
    names = headline_values(report)
    rows: list[tuple[str, dict[str, Any] | None]] = [(n, report["metrics"][n]) for n in names]
    for key, groups in (report.get("groups") or {}).items():
        if not wide:
            rows.append((f"@{key}: {len(groups)} groups (values in the report)", None))
            continue
        for group, body in groups.items():
            rows += [(f"{name}@{key}={group} (n={body['n']})", body["metrics"][name])
                     for name in names if name in body["metrics"]]
    return rows


def results_table(results: Sequence[RunResult], width: int | None = None) -> Table:
    """One row per headline value; with `metrics.group_by`, per-group rows when ``width`` is
    at least `GROUP_ROWS_MIN_WIDTH` (or unknown), else one row counting the groups."""
    wide = width is None or width >= GROUP_ROWS_MIN_WIDTH
    table = Table(title="Results (headline values with seeded bootstrap CIs)")
    for column in ("task", "model", "scored/n", "metric", "value", "CI", "report"):
        table.add_column(column, no_wrap=column != "report", overflow="fold")
    for result in results:
        report = result.report
        summary = report["summary"]
        rows = _rows(report, wide)
        for index, (name, metric) in enumerate(rows):
            first = index == 0
            table.add_row(
                report["task"]["name"] if first else "",
                report["model"]["name"] if first else "",
                f"{summary['n_scored']}/{summary['n_examples']}" if first else "",
                name,
                format_value(metric["value"]) if metric else "",
                format_ci(metric) if metric else "",
                str(result.report_path or "(not written)") if first else "",
                end_section=index == len(rows) - 1,
            )
    footer = dict.fromkeys(s for result in results for s in signatures(result.report))
    if footer:
        table.caption = "\n".join(footer)
    return table
