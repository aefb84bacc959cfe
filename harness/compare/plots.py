"""Plots as inline SVG text: metric bars with CI whiskers, confusion matrices, score spreads.

The HTML report must open offline and must not let report contents inject markup, so figures
are rendered with the Agg-family SVG backend, glyphs are drawn as paths (no font needed, no
text nodes), comments (where matplotlib echoes label text) are stripped, and the result is
checked for anything active before it is marked safe. Only model names and metric names ever
reach a plot; model output text never does.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from markupsafe import Markup
from matplotlib.figure import Figure

from harness.compare.stats import TaskComparison
from harness.metrics.registry import metrics_from_report

_RC: Any = {  # matplotlib types its keys as literals; these are checked by matplotlib
    "svg.fonttype": "path",
    "svg.hashsalt": "harness-compare",
    "text.parse_math": False,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_ACTIVE = re.compile(r"<\s*(script|foreignObject|iframe|a\b)|\son\w+\s*=|javascript:", re.I)
_COLORS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3"]


def figure_svg(fig: Any, salt: str) -> Markup:
    """Serialize a figure to SVG markup that is safe to inline into the HTML report."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    if isinstance(fig, Figure):
        plt.close(fig)
    text = buffer.getvalue()
    text = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    if _ACTIVE.search(text):
        raise ValueError("refusing to inline an SVG with active content")
    return Markup(text.strip())


def _label(text: str) -> str:
    """Plot labels are plain text: no mathtext, bounded length."""
    return text if len(text) <= 40 else text[:39] + "…"


def _rows(comparison: TaskComparison, run_label: str, metrics: list[str]) -> Any:
    """Values, CI lows and CI highs of one run's metrics (NaN where undefined)."""
    rows = [comparison.table[run_label].get(m) or {} for m in metrics]
    return [np.array([r.get(k) if r.get(k) is not None else np.nan for r in rows], dtype=float)
            for k in ("value", "ci_low", "ci_high")]


def _top(comparison: TaskComparison, metric: str) -> float:
    """The highest value or CI bound any run has for a metric (0 when none is defined)."""
    found = np.concatenate([np.concatenate(_rows(comparison, run.label, [metric])[::2])
                            for run in comparison.runs])
    found = found[np.isfinite(found)]
    return float(found.max()) if found.size else 0.0


def _panels(comparison: TaskComparison) -> list[tuple[list[str], float]]:
    """Metrics on the unit scale (rates, F1, ROUGE) apart from any on a wider one (a judge's
    1–5 scores), so neither squashes nor overflows the other's bars; each with its y top."""
    tops = {m: _top(comparison, m) for m in comparison.metrics}
    unit = [m for m in comparison.metrics if tops[m] <= 1.0]
    wide = [m for m in comparison.metrics if tops[m] > 1.0]
    panels = [(unit, 1.0)] if unit or not wide else []
    if wide:
        panels.append((wide, max(tops[m] for m in wide)))
    return panels


def metric_bars(comparison: TaskComparison) -> Markup:
    """Grouped bars per metric, one bar per run, whiskers at the CI; metrics on the unit scale
    and wider ones (e.g. 1–5 judge scores) in separate panels."""
    runs, panels = comparison.runs, _panels(comparison)
    width = 0.8 / max(1, len(runs))
    with plt.rc_context(_RC):
        sizes = [max(5.0, 1.3 * len(p) * max(1, len(runs)) / 2) for p, _ in panels]
        fig, axes = plt.subplots(1, len(sizes), figsize=(sum(sizes), 3.4), squeeze=False,
                                 gridspec_kw={"width_ratios": sizes})
        for ax, (metrics, highest) in zip(axes[0], panels, strict=True):
            x = np.arange(len(metrics))
            for i, run in enumerate(runs):
                values, low, high = _rows(comparison, run.label, metrics)
                err = np.vstack([np.clip(values - low, 0, None), np.clip(high - values, 0, None)])
                ax.bar(x + (i - (len(runs) - 1) / 2) * width, np.nan_to_num(values), width,
                       yerr=np.nan_to_num(err), capsize=3, color=_COLORS[i % len(_COLORS)],
                       label=_label(run.label), error_kw={"elinewidth": 1, "ecolor": "#222"})
            ax.set_xticks(x, [_label(m) + ("" if comparison.higher_is_better(m) else
                                           "\n(lower is better)") for m in metrics])
            ax.set_ylim(0, 1.05 * highest)
            ax.set_ylabel(f"score ({comparison.config.confidence:.0%} CI)")
        fig.legend(*axes[0][0].get_legend_handles_labels(), loc="lower center",
                   bbox_to_anchor=(0.5, -0.12), ncol=min(4, len(runs)), frameon=False)
        return figure_svg(fig, f"bars-{comparison.task}")


def confusion_matrices(comparison: TaskComparison) -> Markup | None:
    """One heat map per run from a family that has a confusion matrix (rows gold, columns
    predicted, the last column invalid); None when no family of the task has one."""
    families = metrics_from_report(comparison.baseline.report)
    family = next((m for m in families if m.matrices([]) is not None), None)
    if family is None or not comparison.examples:
        return None
    mats = []
    for run in comparison.runs:
        records = [r for r in (row.outputs[run.label] for row in comparison.examples) if r]
        found = family.matrices(records)
        assert found is not None
        mats.append((run.label, found[1], np.array(found[2], dtype=int)))
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(1, len(mats), figsize=(3.2 * len(mats), 3.0), squeeze=False)
        for ax, (label, columns, counts) in zip(axes[0], mats, strict=True):
            ax.imshow(counts, cmap="Blues", vmin=0, vmax=max(1, int(counts.max())))
            ax.set_xticks(range(len(columns)), [c.strip("<>") for c in columns], rotation=30)
            ax.set_yticks(range(counts.shape[0]), columns[: counts.shape[0]])
            ax.set_xlabel("predicted")
            ax.set_ylabel("gold")
            ax.set_title(_label(label))
            for (r, c), value in np.ndenumerate(counts):
                ax.text(c, r, str(int(value)), ha="center", va="center",
                        color="white" if value > counts.max() / 2 else "black")
        fig.tight_layout()
        return figure_svg(fig, f"confusion-{comparison.task}")


def score_distribution(comparison: TaskComparison) -> Markup | None:
    """Per-example values of the primary metric: box plot plus the individual points (None
    for right/wrong values, where a box says nothing the accuracy does not)."""
    if not comparison.examples:
        return None
    series: list[np.ndarray] = []
    names: list[str] = []
    for run in comparison.runs:
        values = [row.scores[run.label] for row in comparison.examples]
        series.append(np.array([v for v in values if v is not None], dtype=float))
        names.append(_label(run.label))
    if all(set(np.unique(s)) <= {0.0, 1.0} for s in series):
        return None
    return _boxes(series, names, f"per-example {comparison.primary}", f"dist-{comparison.task}")


def _boxes(series: Sequence[np.ndarray], names: Sequence[str], ylabel: str, salt: str) -> Markup:
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(series)), 3.2))
        ax.boxplot([s if s.size else np.array([np.nan]) for s in series], showfliers=False)
        jitter = np.random.default_rng(0)
        for i, values in enumerate(series, start=1):
            ax.scatter(i + jitter.uniform(-0.15, 0.15, values.size), values, s=8, alpha=0.5,
                       color=_COLORS[(i - 1) % len(_COLORS)])
        ax.set_xticks(range(1, len(names) + 1), names, rotation=15)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel(ylabel)
        return figure_svg(fig, salt)
