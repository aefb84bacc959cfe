"""`harness check` (CI gate) and `harness baseline` (save reports as committed baselines).

`check` exit status: 0 pass, 1 regression (a metric dropped beyond its tolerance, fell below
a floor, or the error rate is too high), 2 usage or input error (unreadable or schema-invalid
reports, stored aggregates their examples file does not give, unknown metric names, or a
baseline measured on a different task or metric settings).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from rich.console import Console

from harness.errors import InputError, check_output_file
from harness.scoring.bootstrap import check_resamples

console = Console(stderr=True)


def _pair(text: str) -> tuple[str, float]:
    """METRIC=NUMBER; METRIC may name a group (``accuracy@target=Aramco=0.3``): the number is
    after the last "="."""
    name, eq, value = text.rpartition("=")
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not eq or not name.strip() or not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"expected METRIC=NUMBER (a finite number), got {text!r}")
    return name.strip(), number


def register(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser(
        "check", help="CI gate: fail when runs regress against a baseline or a floor",
        description="Exit status: 0 pass, 1 regression, 2 usage or input error.")
    check.add_argument("current", nargs="+", type=Path, metavar="CURRENT",
                       help="report files or results folders to check")
    check.add_argument("--baseline", action="append", type=Path, default=[], metavar="BASELINE",
                       help="baseline report files or folders (matched by task and model name)")
    check.add_argument("--tolerance", action="append", type=_pair, default=[],
                       metavar="METRIC=DROP",
                       help="absolute drop allowed for a metric (for a lower-is-better "
                            "value: the allowed rise)")
    check.add_argument("--default-tolerance", type=float, default=0.0,
                       help="drop allowed for metrics without --tolerance (default 0.0)")
    check.add_argument("--min", action="append", type=_pair, default=[], metavar="METRIC=FLOOR",
                       help="absolute floor, usable without a baseline; a per-group value is "
                            "METRIC@KEY=GROUP (e.g. accuracy@target=Aramco=0.3)")
    check.add_argument("--max", action="append", type=_pair, default=[],
                       metavar="METRIC=CEILING", help="absolute ceiling (e.g. invalid_rate)")
    check.add_argument("--significant", action="store_true",
                       help="fail only if the drop is statistically significant (paired test; "
                            "needs per-example files)")
    check.add_argument("--alpha", type=float, default=0.05)
    check.add_argument("--max-error-rate", type=float, default=0.0)
    check.add_argument("--require-baseline", action="store_true",
                       help="a run without a baseline (or vice versa) is an input error")
    check.add_argument("--require-examples", action="store_true",
                       help="a run (current or baseline) whose aggregates cannot be verified "
                            "(no per-example file) is an input error")
    check.add_argument("--seed", type=int, help="bootstrap seed for --significant")
    check.add_argument("--resamples", type=int, help="bootstrap resamples for --significant")
    check.add_argument("--summary", type=Path, metavar="FILE", help="write a Markdown summary")
    check.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")
    check.set_defaults(func=cmd_check)

    base = sub.add_parser(
        "baseline", help="copy run reports into results/baselines/<task>/<model>.json")
    base.add_argument("runs", nargs="+", type=Path, metavar="RUN")
    base.add_argument("--out", type=Path, default=Path("results/baselines"))
    base.add_argument("--with-examples", action="store_true",
                      help="copy the per-example files too (needed by check --significant)")
    base.add_argument("--allow-subset", action="store_true",
                      help="accept runs on a subset (--limit/--sample) or with errored examples")
    base.set_defaults(func=cmd_baseline)


def cmd_check(args: argparse.Namespace) -> int:
    from harness.gate.check import Thresholds, run_gate
    from harness.gate.junit import write_junit
    from harness.gate.summary import headline, render_summary, write_summary

    if not 0.0 < args.alpha < 1.0:
        raise InputError("must be between 0 and 1", field="--alpha")
    check_resamples(args.resamples)
    for name, drop in [*args.tolerance, ("--default-tolerance", args.default_tolerance)]:
        if not drop >= 0:  # NaN fails too
            raise InputError(f"a tolerance is a drop >= 0, got {drop}",
                             field=name if name.startswith("--") else f"--tolerance {name}")
    if not 0.0 <= args.max_error_rate <= 1.0:
        raise InputError(f"must be a rate between 0 and 1, got {args.max_error_rate}",
                         field="--max-error-rate")
    for flag, path in (("--summary", args.summary), ("--junit", args.junit)):
        check_output_file(path, flag)
    thresholds = Thresholds(
        tolerances=dict(args.tolerance), default_tolerance=args.default_tolerance,
        floors=dict(args.min), ceilings=dict(args.max),
        significant=args.significant, alpha=args.alpha, max_error_rate=args.max_error_rate,
        resamples=args.resamples, seed=args.seed,
    )
    result = run_gate(args.current, args.baseline, thresholds,
                      require_baseline=args.require_baseline,
                      require_examples=args.require_examples)
    for o in result.outcomes:
        if o.status in ("fail", "error"):
            colour = "red" if o.status == "fail" else "yellow"
            console.print(f"{o.status.upper()} {o.task} × {o.model} · {o.check}: {o.message}",
                          style=colour, highlight=False, markup=False)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    console.print(headline(result), highlight=False, markup=False)
    write_summary(render_summary(result), args.summary)
    if args.junit is not None:
        write_junit(result, args.junit)
    return result.exit_code


def cmd_baseline(args: argparse.Namespace) -> int:
    from harness.gate.baseline import save_baselines

    stored = save_baselines(args.runs, args.out, with_examples=args.with_examples,
                            allow_subset=args.allow_subset)
    for item in stored:
        console.print(f"stored {item.describe()}", highlight=False, markup=False, soft_wrap=True)
    console.print(f"{len(stored)} baseline(s) stored under {args.out}", highlight=False,
                  markup=False, soft_wrap=True)
    return 0
