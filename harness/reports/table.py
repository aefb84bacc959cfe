"""The results table printed at the end of `harness run`: one row per headline metric.

It must fit an 80-column terminal without cutting a number: below `WIDE` columns the task and
model share one wrapping cell and the report path is left out (the folder is named once
below the table); numbers never wrap. Lower-is-better values carry "↓".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table

from harness.metrics.registry import detail_rows, headline_values, signatures, value_info

if TYPE_CHECKING:
    from harness.runner import RunResult

WIDE = 120  # columns from which the full layout (with report paths) is used
LOWER_MARK = " ↓"  # after a value's name: lower is better
METRIC_MIN_WIDTH = 14  # "invalid_rate ↓" on one line
METRIC_MAX_WIDTH = 40  # longer per-group names fold, leaving room for the report path


def format_value(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def format_ci(metric: dict[str, Any]) -> str:
    low, high = metric.get("ci_low"), metric.get("ci_high")
    return "–" if low is None or high is None else f"[{low:.4f}, {high:.4f}]"


# Per-group rows are shown from this terminal width on; narrower tables show a count.
GROUP_ROWS_MIN_WIDTH = 140


def metric_name(report: dict[str, Any], name: str) -> str:
    """The value's name, marked when lower is better."""
    info = value_info(report).get(name) or {}
    return name + ("" if info.get("higher_is_better", True) else LOWER_MARK)


Row = tuple[str, str, str, bool]  # shown name, value, CI (or yardstick), dimmed


def _rows(report: dict[str, Any], width: int | None) -> list[Row]:
    """Headline values; per-group values (or a group count when narrow); descriptive figures."""
    names = headline_values(report)
    metrics = report["metrics"]
    rows: list[Row] = [(metric_name(report, n), format_value(metrics[n]["value"]),
                        format_ci(metrics[n]), False) for n in names]
    show_groups = width is None or width >= GROUP_ROWS_MIN_WIDTH
    for key, groups in (report.get("groups") or {}).items():
        if not show_groups:
            rows.append((f"@{key}: {len(groups)} groups (in the report)", "", "", True))
            continue
        for group, body in groups.items():
            rows += [(f"{metric_name(report, n)}@{key}={group} (n={body['n']})",
                      format_value(body["metrics"][n]["value"]), format_ci(body["metrics"][n]),
                      False) for n in names if n in body["metrics"]]
    rows += [(name, value, ref, True) for name, value, ref in detail_rows(report)]
    return rows


def results_table(results: Sequence[RunResult], width: int | None = None) -> Table:
    """`width`: the terminal's columns (None: wide). Per-group rows from
    `GROUP_ROWS_MIN_WIDTH` columns, else one row counting the groups."""
    wide = width is None or width >= WIDE
    title = "Results (headline values with seeded bootstrap CIs; ↓ lower is better)"
    table = Table(title=title, expand=False)
    columns = ["task", "model"] if wide else ["task × model"]
    columns += ["scored/n" if wide else "n", "metric", "value", "CI"]
    for column in columns:
        numeric = column in ("value", "CI", "scored/n", "n")
        # numbers never wrap; a long per-group name may, but never below a value's name
        table.add_column(column, no_wrap=numeric, overflow="fold",
                         min_width=METRIC_MIN_WIDTH if column == "metric" else None,
                         max_width=METRIC_MAX_WIDTH if column == "metric" else None,
                         justify="right" if numeric else "left")
    if wide:  # a path stays whole: the metric column folds long per-group names instead
        paths = [len(str(r.report_path or "(not written)")) for r in results]
        table.add_column("report", overflow="fold", min_width=max(paths, default=None))
    folders = set()
    for result in results:
        report = result.report
        summary = report["summary"]
        run = [report["task"]["name"], report["model"]["name"]]
        rows = _rows(report, width)
        for index, (shown, value, ci, dim) in enumerate(rows):
            first = index == 0
            head = run if wide else [" × ".join(run)]
            row = [*(head if first else [""] * len(head)),
                   f"{summary['n_scored']}/{summary['n_examples']}" if first else "",
                   shown, value, ci]
            if wide:
                row.append(str(result.report_path or "(not written)") if first else "")
            table.add_row(*row, end_section=index == len(rows) - 1,
                          style="dim" if dim else None)
        if result.report_path is not None:
            folders.add(str(result.report_path.parent.parent.parent))
    caption = list(dict.fromkeys(s for result in results for s in signatures(result.report)))
    if not wide and folders:
        caption.append("reports under " + ", ".join(sorted(folders)) + "/TASK/MODEL/")
    if caption:
        table.caption = "\n".join(caption)
    return table
