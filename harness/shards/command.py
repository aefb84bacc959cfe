"""`harness merge SHARD_REPORT...`: one report from the shard reports of one run."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    merge = sub.add_parser("merge", help="join the shard reports of one run (run --shard I/N) "
                           "into the report an unsharded run writes")
    merge.add_argument("reports", nargs="+", type=Path, metavar="SHARD_REPORT")
    merge.add_argument("--results-dir", type=Path, default=Path("results"))
    merge.add_argument("--task", type=Path, metavar="FILE",
                       help="the task file, if not at the path the shards recorded")
    merge.set_defaults(func=cmd_merge)


def cmd_merge(args: argparse.Namespace) -> int:
    from harness.cli import console
    from harness.reports.store import write_run
    from harness.shards.merge import merge_reports

    report, records = merge_reports(args.reports, args.task)
    path = write_run(args.results_dir, report, records)
    summary = report["summary"]
    console.print(f"merged {len(args.reports)} shards: {summary['n_examples']} examples "
                  f"({summary['n_errors']} errored) -> {path}")
    print(path)
    return 0
