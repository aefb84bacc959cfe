"""Markdown summary of a gate run, for `--summary` and the GitHub Actions job summary."""

from __future__ import annotations

import os
from pathlib import Path

from harness.compare.markdown import md
from harness.gate.check import GateResult, Outcome

ICONS = {"pass": "✅", "fail": "❌", "error": "⚠️", "skip": "➖"}


def headline(result: GateResult) -> str:
    fails, errors = result.count("fail"), result.count("error")
    if errors:
        return f"⚠️ input error ({errors}): the gate could not compare some runs"
    if fails:
        return f"❌ {fails} regression(s) in {len(result.outcomes)} checks"
    return f"✅ passed: {result.count('pass')} checks" + (
        f", {result.count('skip')} skipped" if result.count("skip") else "")


def _table(outcomes: list[Outcome]) -> list[str]:
    lines = ["| | task | model | check | current | reference | details |",
             "|---|---|---|---|---|---|---|"]
    for o in outcomes:
        current = "–" if o.current is None else f"{o.current:.4f}"
        reference = "–" if o.reference is None else f"{o.reference:.4f}"
        lines.append(f"| {ICONS[o.status]} | {md(o.task)} | {md(o.model)} | {md(o.check)} | "
                     f"{current} | {reference} | {md(o.message)} |")
    return lines


def render_summary(result: GateResult, title: str = "harness check") -> str:
    lines = [f"## {md(title)}: {headline(result)}", ""]
    bad = [o for o in result.outcomes if o.status in ("fail", "error")]
    if bad:
        lines += [*_table(bad), ""]
    if result.notes:
        lines += [f"- {md(note)}" for note in result.notes] + [""]
    lines += ["<details><summary>All checks</summary>", "", *_table(result.outcomes), "",
              "</details>", ""]
    return "\n".join(lines)


def write_summary(text: str, path: Path | None) -> list[Path]:
    """Write to `path` and append to $GITHUB_STEP_SUMMARY when it is set."""
    written = []
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    if step:
        with open(step, "a", encoding="utf-8") as handle:
            handle.write(text + "\n")
        written.append(Path(step))
    return written
