"""`harness compare RUN...`: Markdown and HTML reports comparing runs task by task.

Exit status: 0 reports written, 2 bad input or runs that are not comparable (what differs is
printed; `--allow-mismatch` compares them on their shared example ids instead).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from harness.errors import InputError
from harness.jsonio import atomic_write_text
from harness.scoring.bootstrap import check_resamples

if TYPE_CHECKING:  # compare.stats (numpy) is imported when comparing, not for `harness --help`
    from harness.compare.loading import Run
    from harness.compare.stats import TaskComparison

console = Console(stderr=True)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "compare", help="compare runs of several models: tables, paired tests, plots",
        description="Compare runs (report files or folders) task by task against a baseline.")
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN",
                        help="report JSON files or results folders (newest run per task×model)")
    parser.add_argument("--baseline", metavar="MODEL",
                        help="model name to test the others against (default: the first run)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="write comparison.md and comparison.html here "
                             "(default: print the Markdown to stdout)")
    parser.add_argument("--allow-mismatch", action="store_true",
                        help="compare non-matching runs on their shared example ids")
    parser.add_argument("--seed", type=int, help="bootstrap seed (default: the baseline's)")
    parser.add_argument("--resamples", type=int,
                        help="bootstrap resamples (default: the baseline's)")
    parser.add_argument("--max-examples", type=int, default=500, metavar="N",
                        help="per-example view: the N largest differences per task "
                             "(default 500; 0 = all)")
    parser.add_argument("--title", default="Model comparison")
    parser.set_defaults(func=cmd_compare)


def pick_baseline(task: str, runs: Sequence[Run], model: str | None) -> Run:
    """The named model's run, else (a task it did not run) the task's first run."""
    for run in runs:
        if model in (run.model, run.label):
            return run
    if model is not None:
        console.print(f"note: {task} has no run of {model}; its baseline is {runs[0].label}",
                      highlight=False, markup=False)
    return runs[0]


def build_comparisons(runs: Sequence[Run], *, baseline: str | None = None,
                      allow_mismatch: bool = False, resamples: int | None = None,
                      seed: int | None = None) -> list[TaskComparison]:
    """One comparison per task; mismatched runs are an InputError unless allowed."""
    from harness.compare.loading import group_by_task
    from harness.compare.stats import compare_task

    for run in runs:
        if run.examples is None:
            raise InputError(f"comparing needs per-example records: {run.examples_note}",
                             path=run.path)
    if baseline is not None and not any(baseline in (r.model, r.label) for r in runs):
        raise InputError(f"no run of baseline model {baseline!r} (runs: "
                         f"{', '.join(sorted({r.label for r in runs}))})", field="--baseline")
    comparisons = []
    problems: list[str] = []
    for task, task_runs in group_by_task(runs).items():
        base = pick_baseline(task, task_runs, baseline)
        comparison = compare_task(task_runs, base, resamples=resamples, seed=seed)
        problems += comparison.comparability.lines(task, base.label)
        if not comparison.comparability.common_ids:
            raise InputError(f"task {task!r}: the runs share no example ids", field="RUN")
        comparisons.append(comparison)
    if problems and not allow_mismatch:
        raise InputError("runs are not comparable (use --allow-mismatch to compare them on "
                         "their shared example ids):\n  " + "\n  ".join(problems), field="RUN")
    return comparisons


def cmd_compare(args: argparse.Namespace) -> int:
    check_resamples(args.resamples)
    if args.max_examples < 0:
        raise InputError(f"must be 0 (all) or more, got {args.max_examples}",
                         field="--max-examples")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise InputError("is a file: --out names a folder for comparison.md and "
                         "comparison.html", path=args.out, field="--out")
    from harness.compare.loading import discover_runs
    from harness.compare.markdown import render_markdown

    runs = discover_runs(args.runs)
    comparisons = build_comparisons(runs, baseline=args.baseline,
                                    allow_mismatch=args.allow_mismatch,
                                    resamples=args.resamples, seed=args.seed)
    for c in comparisons:
        for line in c.comparability.lines(c.task, c.baseline.label):
            console.print(f"mismatch: {line}", style="yellow", highlight=False, markup=False)
    markdown = render_markdown(comparisons, args.title)
    if args.out is None:
        sys.stdout.write(markdown)
        return 0
    from harness.compare.html import render_html

    atomic_write_text(args.out / "comparison.md", markdown)
    page = render_html(comparisons, args.title, args.max_examples)
    atomic_write_text(args.out / "comparison.html", page)
    console.print(f"wrote {args.out / 'comparison.md'} and {args.out / 'comparison.html'}")
    return 0
