"""The results table printed at the end of `harness run`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table

if TYPE_CHECKING:
    from harness.runner import RunResult

HEADLINE = {
    "summarization": ("rouge1", "rouge2", "rougeL", "rougeLsum"),
    "stance": ("accuracy", "macro_f1", "f_avg", "invalid_rate"),
}


def format_metric(metric: dict[str, Any] | None) -> str:
    if not metric or metric.get("value") is None:
        return "–"
    low, high = metric.get("ci_low"), metric.get("ci_high")
    ci = f" [{low:.3f}, {high:.3f}]" if low is not None and high is not None else ""
    return f"{metric['value']:.3f}{ci}"


def results_table(results: Sequence[RunResult]) -> Table:
    table = Table(title="Results (value [95% CI])", show_lines=False)
    for column in ("task", "model", "scored/n", "metrics", "report"):
        table.add_column(column, overflow="fold")
    for result in results:
        report = result.report
        summary = report["summary"]
        names = HEADLINE[report["task"]["kind"]]
        metrics = "\n".join(
            f"{name}: {format_metric(report['metrics'].get(name))}"
            for name in names
            if name in report["metrics"]
        )
        table.add_row(
            report["task"]["name"],
            report["model"]["name"],
            f"{summary['n_scored']}/{summary['n_examples']}",
            metrics,
            str(result.report_path or "(not written)"),
        )
    return table
