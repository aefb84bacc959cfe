"""`harness leaderboard RUN...`: rank many models over many tasks in significance groups.

Writes a static site (`--out DIR`: index.html and one drill-down page per task), or prints
Markdown (`--format md`, the default without `--out`) or JSON (`--format json`).
Exit status: 0 written, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "leaderboard", help="rank models across tasks in significance groups (site, md, json)",
        description="Rank the newest run of each model on each task; models that a paired "
                    "test cannot tell apart share a rank.")
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN",
                        help="report JSON files or results folders (every run is read; the "
                             "newest per task×model is ranked, older ones form its history)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="write the static site here (index.html, task pages, "
                             "leaderboard.md, leaderboard.json)")
    parser.add_argument("--format", choices=("md", "json"), default="md",
                        help="what to print when --out is not given (default md)")
    parser.add_argument("--title", default="Leaderboard")
    parser.add_argument("--max-examples", type=int, default=200, metavar="N",
                        help="examples per drill-down page (largest differences; 0 = all)")
    parser.set_defaults(func=cmd_leaderboard)


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from harness.jsonio import atomic_write_text
    from harness.leaderboard.build import build_leaderboard
    from harness.leaderboard.export import to_data
    from harness.leaderboard.loading import load_all_runs
    from harness.leaderboard.markdown import render_markdown

    if args.max_examples < 0:
        raise InputError("must be 0 or a positive integer", field="--max-examples")
    board = build_leaderboard(load_all_runs(args.runs))
    if not any(t.placed for t in board.tasks):
        raise InputError("no task has a run that can be ranked", field="RUN")
    text = (json.dumps(to_data(board), ensure_ascii=False, indent=2) + "\n"
            if args.format == "json" else render_markdown(board, args.title))
    if args.out is None:
        sys.stdout.write(text)
        return 0
    from harness.leaderboard.html import write_site

    atomic_write_text(args.out / "leaderboard.md", render_markdown(board, args.title))
    atomic_write_text(args.out / "leaderboard.json",
                      json.dumps(to_data(board), ensure_ascii=False, indent=2) + "\n")
    pages = write_site(board, args.out, args.title, args.max_examples)
    print(f"wrote {args.out / 'index.html'} and {pages} task page(s)", file=sys.stderr)
    return 0
