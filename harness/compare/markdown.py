"""The Markdown comparison: short enough for a pull-request comment, no model text in it.

Model outputs stay in the HTML report; here only names, ids and numbers appear, and those are
escaped so that a hostile name cannot break a table, open a link or @-mention anyone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from harness.compare.stats import TaskComparison
from harness.metrics.registry import detail_line, signatures
from harness.scoring.significance import PairedResult

GITHUB_COMMENT_LIMIT = 60_000  # GitHub rejects comments over 65,536 characters
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|@&])")


def md(text: object) -> str:
    """Escape text for a Markdown table cell (one line, no markup, no mentions)."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def num(value: float | None, digits: int = 3, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def p_text(p: float) -> str:
    if not math.isfinite(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def with_ci(entry: dict[str, float | None] | None) -> str:
    if not entry or entry.get("value") is None:
        return "–"
    return f"{num(entry['value'])} [{num(entry.get('ci_low'))}, {num(entry.get('ci_high'))}]"


MIN_BOOTSTRAP_PAIRS = 10  # below this a bootstrap's resamples barely vary: no p-value


def testable(result: PairedResult) -> bool:
    """Exact McNemar holds for any n; a bootstrap on a handful of pairs is meaningless."""
    return result.method == "mcnemar_exact" or result.n >= MIN_BOOTSTRAP_PAIRS


def p_shown(result: PairedResult) -> str:
    """The p-value, or a dash where the result is too small to test (no number to misread)."""
    return p_text(result.p_value) if testable(result) else "–"


def verdict(result: PairedResult, higher_is_better: bool = True, alpha: float = 0.05) -> str:
    """Plain-words reading of a paired result for the candidate."""
    if not testable(result):
        return f"too few pairs to test (n < {MIN_BOOTSTRAP_PAIRS})"
    if not math.isfinite(result.p_value) or result.p_value >= alpha or result.difference == 0:
        return "no significant difference"
    better = (result.difference > 0) == higher_is_better
    return "better ▲" if better else "worse ▼"


METHOD_NAMES = {
    "paired_bootstrap_percentile": "paired bootstrap",
    "mcnemar_exact": "McNemar (exact)",
}


def metric_label(c: TaskComparison, name: str) -> str:
    """A value's name, marked when lower is better."""
    return name if c.higher_is_better(name) else f"{name} ↓ (lower is better)"


def task_markdown(c: TaskComparison, top: int = 5) -> list[str]:
    n = len(c.comparability.common_ids)
    lines = [f"### {md(c.task)} ({c.kind}, examples: {n})", ""]
    if not c.comparability.ok:
        lines.append("> ⚠️ **Runs differ** (compared anyway on the shared example ids):")
        lines += [f"> - {md(line)}" for line in c.comparability.lines(c.task, c.baseline.label)]
        lines.append("")
    if c.recomputed:
        lines += ["Metrics recomputed on the shared example ids only.", ""]
    lines.append("| model | " + " | ".join(md(metric_label(c, m)) for m in c.metrics) + " |")
    lines.append("|---|" + "---|" * len(c.metrics))
    for run in c.runs:
        mark = " (baseline)" if run is c.baseline else ""
        cells = " | ".join(with_ci(c.table[run.label].get(m)) for m in c.metrics)
        lines.append(f"| {md(run.label)}{mark} | {cells} |")
    lines.append("")
    notes = [(run.label, detail_line(run.report)) for run in c.runs]
    if any(line for _, line in notes):
        lines += ["Summary diagnostics (model, the first references in parentheses):", ""]
        lines += [f"- {md(label)}: {md(line)}" for label, line in notes if line]
        lines.append("")
    for signature in dict.fromkeys(s for run in c.runs for s in signatures(run.report)):
        lines.append(f"Signature: `{signature}`  ")
    if any(signatures(run.report) for run in c.runs):
        lines.append("")
    if c.others:
        lines += [f"Paired tests against **{md(c.baseline.label)}** on the same examples "
                  f"(Δ = model − baseline, {c.config.confidence:.0%} CI; "
                  f"{c.config.resamples} resamples, seed {c.config.seed}):", "",
                  "| model | metric | Δ | CI of Δ | p | test | n | reading |",
                  "|---|---|---|---|---|---|---|---|"]
        for run in c.others:
            for r in c.tests[run.label]:
                lines.append(
                    f"| {md(run.label)} | {md(r.metric)} | {num(r.difference, signed=True)} | "
                    f"[{num(r.ci_low, signed=True)}, {num(r.ci_high, signed=True)}] | "
                    f"{p_shown(r)} | {METHOD_NAMES.get(r.method, r.method)} | {r.n} | "
                    f"{verdict(r, c.higher_is_better(r.metric))} |")
            if c.dropped.get(run.label):
                lines.append(f"| {md(run.label)} | *{c.dropped[run.label]} example(s) missing "
                             "from one of the two runs, left out* ||||||| |")
        lines.append("")
        lines += _group_tests(c)
        lines += _largest(c, top)
    return lines


UNCORRECTED = "not corrected for multiple comparisons"


def group_caveat(count: int) -> str:
    """What ``count`` uncorrected per-group tests mean together (Markdown and HTML say it)."""
    return (f"at p < 0.05 about {count * 0.05:.1f} would look significant by chance alone; "
            f"Bonferroni would ask p < {0.05 / count:.2g}")


def _group_tests(c: TaskComparison) -> list[str]:
    """Per-group paired tests, with the caveat that they are many and uncorrected."""
    count = sum(len(tests) for tests in c.group_tests.values())
    if not count:
        return []
    out = [f"Per-group paired tests ({count} tests, **{UNCORRECTED}**: {group_caveat(count)}):",
           "",
           "| model | value@group | Δ | CI of Δ | p | n |", "|---|---|---|---|---|---|"]
    for label, tests in c.group_tests.items():
        out += [f"| {md(label)} | {md(r.metric)} | {num(r.difference, signed=True)} | "
                f"[{num(r.ci_low, signed=True)}, {num(r.ci_high, signed=True)}] | "
                f"{p_text(r.p_value)} | {r.n} |" for r in tests]
    return [*out, ""]


def _largest(c: TaskComparison, top: int) -> list[str]:
    moved = [row for row in c.examples if row.max_abs_diff > 0][:top]
    if not moved:
        return []
    metric = c.primary
    out = [f"Largest per-example differences in {md(metric)} (full texts in the HTML report):",
           "", "| example | " + " | ".join(f"Δ {md(r.label)}" for r in c.others) + " |",
           "|---|" + "---|" * len(c.others)]
    for row in moved:
        cells = " | ".join(num(row.diffs[r.label], signed=True) for r in c.others)
        out.append(f"| {md(row.id)} | {cells} |")
    return [*out, ""]


def render_markdown(comparisons: Sequence[TaskComparison], title: str = "Model comparison"
                    ) -> str:
    """The whole report; per-example lists shrink if it would not fit a PR comment."""
    for top in (5, 3, 0):
        lines = [f"## {md(title)}", ""]
        for c in comparisons:
            lines += task_markdown(c, top)
        text = "\n".join(lines).rstrip() + "\n"
        if len(text) <= GITHUB_COMMENT_LIMIT:
            return text
    return text[: GITHUB_COMMENT_LIMIT - 40] + "\n\n*(truncated to fit a comment)*\n"
