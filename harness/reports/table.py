"""The results table printed at the end of `harness run`: one row per headline metric.

It must fit an 80-column terminal without cutting a number: below `WIDE` columns the task and
model share one wrapping cell and the report path is left out (the folder is named once
below the table); numbers never wrap. Lower-is-better values carry "↓".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table

from harness.metrics.registry import detail_rows, headline_values, value_info

if TYPE_CHECKING:
    from harness.runner import RunResult

WIDE = 120  # columns from which the full layout (with report paths) is used
LOWER_MARK = " ↓"  # after a value's name: lower is better


def format_value(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def format_ci(metric: dict[str, Any]) -> str:
    low, high = metric.get("ci_low"), metric.get("ci_high")
    return "–" if low is None or high is None else f"[{low:.4f}, {high:.4f}]"


def metric_name(report: dict[str, Any], name: str) -> str:
    """The value's name, marked when lower is better."""
    info = value_info(report).get(name) or {}
    return name + ("" if info.get("higher_is_better", True) else LOWER_MARK)


def results_table(results: Sequence[RunResult], width: int | None = None) -> Table:
    """`width`: the terminal's columns (None: wide)."""
    wide = width is None or width >= WIDE
    title = "Results (headline values with seeded bootstrap CIs; ↓ lower is better)"
    table = Table(title=title, expand=False)
    columns = ["task", "model"] if wide else ["task × model"]
    columns += ["scored/n" if wide else "n", "metric", "value", "CI"]
    for column in columns:
        numeric = column in ("value", "CI", "scored/n", "n")
        table.add_column(column, no_wrap=numeric or column == "metric",
                         overflow="fold", justify="right" if numeric else "left")
    if wide:
        table.add_column("report", overflow="fold")
    folders = set()
    for result in results:
        report = result.report
        summary = report["summary"]
        run = [report["task"]["name"], report["model"]["name"]]
        names = headline_values(report)
        extra = detail_rows(report)  # descriptive figures: value, and the yardstick as CI
        rows = [(name, format_value(report["metrics"][name]["value"]),
                 format_ci(report["metrics"][name]), metric_name(report, name)) for name in names]
        rows += [(name, value, ref, name) for name, value, ref in extra]
        for index, (_, value, ci, shown) in enumerate(rows):
            first = index == 0
            head = run if wide else [" × ".join(run)]
            row = [*(head if first else [""] * len(head)),
                   f"{summary['n_scored']}/{summary['n_examples']}" if first else "",
                   shown, value, ci]
            if wide:
                row.append(str(result.report_path or "(not written)") if first else "")
            table.add_row(*row, end_section=index == len(rows) - 1,
                          style="dim" if index >= len(names) else None)
        if result.report_path is not None:
            folders.add(str(result.report_path.parent.parent.parent))
    if not wide and folders:
        table.caption = "reports under " + ", ".join(sorted(folders)) + "/TASK/MODEL/"
    return table
