"""`harness meta-eval TASK [--judge SPEC] [--limit N]`: which metric notices a controlled error.

Corrupts each example's reference summary in seeded, recorded ways, scores originals and
corruptions with every metric family that applies (the judge too with --judge), and writes the
sensitivity per value and corruption type as JSON, Markdown and HTML.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    from harness.cli import add_allow_outside_data
    from harness.cli_judge import add_judge_argument
    from harness.cli_models import add_api_arguments

    parser = sub.add_parser("meta-eval", help="which metric notices controlled errors in "
                            "reference summaries (sensitivity per corruption type)")
    parser.add_argument("task", help="task name or file (a summarization task)")
    parser.add_argument("--tasks-dir", type=Path, default=Path("tasks"))
    parser.add_argument("--limit", type=int, help="only the first N examples")
    parser.add_argument("--seed", type=int, default=0, help="corruption seed (recorded)")
    parser.add_argument("--out", type=Path, help="output folder "
                        "(default results/metaeval/TASK)")
    add_allow_outside_data(parser)
    add_judge_argument(parser)
    add_api_arguments(parser)
    parser.set_defaults(func=cmd_meta_eval)


def cmd_meta_eval(args: argparse.Namespace) -> int:
    import asyncio

    from harness.cli_judge import apply_judges
    from harness.jsonio import atomic_write_json
    from harness.metaeval.corrupt import CORRUPTIONS, CORRUPTIONS_VERSION
    from harness.metaeval.evaluate import details, families, measure, sensitivity
    from harness.metaeval.report import REPORT_VERSION, html_page, markdown
    from harness.tasks import find_task, load_task

    if args.limit is not None and args.limit < 1:
        raise InputError(f"must be a positive integer, got {args.limit}", field="--limit")
    task = load_task(find_task(args.task, args.tasks_dir),
                     allow_outside_data=args.allow_outside_data)
    if "references" not in task.spec.task_kind.fields:
        raise InputError(f"{task.name} is a {task.kind} task: meta-eval corrupts reference "
                         "summaries", field="task")
    [task] = apply_judges([task], args)
    examples = list(task.examples[: args.limit])
    metrics = families(task)
    corruptions, pairs, records = asyncio.run(measure(task, metrics, examples, args.seed))
    bootstrap = task.spec.bootstrap.config()
    report = {
        "metaeval_version": REPORT_VERSION, "corruptions_version": CORRUPTIONS_VERSION,
        "task": {"name": task.name, "hash": task.hash, "data_hash": task.data_hash},
        "seed": args.seed, "limit": args.limit, "n_examples": len(examples),
        "metric_settings": {m.name: m.record_settings() for m in metrics},
        "applicable": {k: sum(c["type"] == k and c["corrupted"] is not None
                              for c in corruptions) for k in CORRUPTIONS},
        "sensitivity": sensitivity(metrics, pairs, bootstrap),
        "details": details(metrics, records, bootstrap),
        "corruptions": corruptions,
    }
    out = args.out or Path("results") / "metaeval" / task.name
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "metaeval.json", report)
    text = markdown(report)
    (out / "metaeval.md").write_text(text, encoding="utf-8")
    (out / "metaeval.html").write_text(html_page(report), encoding="utf-8")
    print(text + f"\nwritten: {out}/metaeval.json, .md, .html")
    return 0
