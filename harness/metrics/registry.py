"""Metric families by name: built-ins, `register_metric`, and the `harness.metrics` entry points."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from harness.metrics.base import Metric
from harness.plugins import Registry

if TYPE_CHECKING:
    from harness.tasks.spec import TaskSpec

METRICS: Registry[type[Metric]] = Registry(
    "metric", Metric, "harness.metrics",
    builtins=("harness.metrics.rouge", "harness.metrics.stance", "harness.metrics.diagnostics",
              "harness.metrics.judge", "harness.metrics.checks"),
)
register_metric = METRICS.register


def metric_from_report(report: Mapping[str, Any], name: str) -> Metric:
    """A family as a report recorded it (its `metric_settings` entry), for compare and check."""
    cls = METRICS.get(name, field=f"metric_info.{name}")
    return cls.from_recorded((report.get("metric_settings") or {}).get(name))


def metrics_for(spec: TaskSpec) -> list[Metric]:
    """The task's metric families with its settings, in the order the task lists them."""
    from harness.errors import InputError

    metrics = []
    for name in spec.metric_names():
        cls = METRICS.get(name, field=f"metrics.{name}")
        if spec.answer_mode not in cls.answer_modes:
            raise InputError(f"metric {name} cannot score answer_mode {spec.answer_mode} "
                             f"(it scores: {', '.join(sorted(cls.answer_modes))})",
                             field="answer_mode")
        metrics.append(cls(spec.metric_settings(name), answer_mode=spec.answer_mode))
    return metrics


def metrics_from_report(report: Mapping[str, Any]) -> list[Metric]:
    """The families a report was scored with (from `metric_info`; older reports: the families
    named in `metric_settings`)."""
    info = report.get("metric_info")
    if isinstance(info, Mapping) and info:
        names = list(dict.fromkeys(str(v.get("metric")) for v in info.values()))
    else:
        names = [n for n in (report.get("metric_settings") or {})
                 if n != "bootstrap" and n in METRICS]
    return [metric_from_report(report, name) for name in names]


def value_info(report: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """What each reported value means: its family, direction and whether it is a headline."""
    info = report.get("metric_info")
    if isinstance(info, Mapping) and info:
        return {str(k): dict(v) for k, v in info.items()}
    out: dict[str, dict[str, Any]] = {}
    for metric in metrics_from_report(report):
        out.update({n: v.describe(metric.name) for n, v in metric.values().items()})
    return out


def headline_values(report: Mapping[str, Any]) -> list[str]:
    """The values a table shows and a comparison tests, in the families' order."""
    present = report.get("metrics") or {}
    return [n for n, v in value_info(report).items() if v.get("headline") and n in present]


def detail_rows(report: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Every family's descriptive figures from a report's `details` (e.g. summary
    diagnostics); families without values (absent from `metric_info`) find their own key."""
    details = report.get("details") or {}
    return [row for cls in METRICS.available().values() for row in cls.detail_rows(details)]


def detail_line(report: Mapping[str, Any]) -> str:
    """The same figures on one line ("" if none)."""
    return " · ".join(f"{name} {value} ({ref})" for name, value, ref in detail_rows(report))


def signatures(report: Mapping[str, Any]) -> list[str]:
    """The one-line signatures families record in `metric_settings` (e.g. ROUGE's), which say
    at a glance whether two figures were computed the same way."""
    settings = report.get("metric_settings") or {}
    return [str(v["signature"]) for v in settings.values()
            if isinstance(v, Mapping) and v.get("signature")]
