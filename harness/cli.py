"""Command line: `harness run | tasks | validate | compare | check | baseline`.

Exit status: 0 success, 1 a run or check failed, 2 bad input or usage (file, line and field
named on stderr, nothing written to results/).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from harness.adapters.answer_modes import ANSWER_MODES
from harness.adapters.base import Adapter
from harness.adapters.registry import ModelSpec, create_adapter, parse_model_spec
from harness.cli_models import add_api_arguments, generation_from_args, specs_from_args
from harness.errors import HarnessError, InputError

if TYPE_CHECKING:
    from harness.runner import RunResult
    from harness.tasks import Task

# Tasks, the runner, scorers, reports, the progress display and asyncio are imported by the
# commands that use them, so `harness --help` and `harness tasks` start fast.

console = Console(stderr=True)


def add_allow_outside_data(parser: argparse.ArgumentParser) -> None:
    """The flag of every command that loads task files."""
    parser.add_argument("--allow-outside-data", action="store_true",
                        help="let a task read data outside its tree (the folder above its own)")


def stdout_console() -> Console:
    """Tables go to stdout; when piped (CI logs) use a wide fixed width instead of 80 columns."""
    return Console(width=None if sys.stdout.isatty() else 160)


def _add_run(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="evaluate tasks with models and write reports")
    run.add_argument("tasks", nargs="*", help="task names or files (default: every local task)")
    run.add_argument(
        "--model",
        "-m",
        action="append",
        default=[],
        metavar="SPEC",
        help="ADAPTER[:NAME][,key=value...], repeatable "
        "(default: the offline baseline for each task kind)",
    )
    run.add_argument("--tasks-dir", type=Path, default=Path("tasks"))
    run.add_argument("--results-dir", type=Path, default=Path("results"))
    run.add_argument("--concurrency", type=int, default=8)
    run.add_argument("--limit", type=int, help="only the first N examples")
    run.add_argument("--sample", type=int, help="a seeded random sample of N examples")
    run.add_argument("--seed", type=int, default=0, help="seed for --sample (recorded)")
    run.add_argument("--stratify", metavar="FIELD",
                     help="--limit/--sample take each FIELD group's proportional share")
    run.add_argument("--shard", metavar="I/N", help="run only shard I of N (by a hash of the "
                     "example id); `harness merge` joins the shard reports")
    run.add_argument("--no-write", action="store_true", help="print results, write no report")
    add_allow_outside_data(run)
    run.add_argument("--dry-run", action="store_true",
                     help="print the first prompts and request bodies, the number of calls and "
                          "a cost estimate for priced models; send and write nothing")
    run.add_argument("--max-error-rate", type=float, default=0.0, metavar="RATE",
                     help="exit 1 when a run's share of errored examples exceeds this "
                          "(default 0: any errored example fails the run; reports are written)")
    run.add_argument("--answer-mode", choices=ANSWER_MODES, default=None,
                     help="labelled tasks: free_text, structured (JSON schema) or loglikelihood "
                          "(score each label; default: the task's answer_mode)")
    add_api_arguments(run)
    from harness.cli_judge import add_judge_argument

    add_judge_argument(run)
    run.set_defaults(func=cmd_run)


# Modules that add subcommands: each has `register(subparsers)` and sets `func` on its parser.
COMMAND_MODULES: tuple[str, ...] = ("harness.compare.command", "harness.gate.command",
                                    "harness.leaderboard.command", "harness.reports.show",
                                    "harness.shards.command", "harness.handoff.command",
                                    "harness.batch.command", "harness.metaeval.command",
                                    "harness.judging.command")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run(sub)
    tasks = sub.add_parser("tasks", help="list the tasks in the tasks folder")
    tasks.add_argument("--tasks-dir", type=Path, default=Path("tasks"))
    tasks.set_defaults(func=cmd_tasks)
    validate = sub.add_parser("validate", help="check task files and reference JSONL files")
    validate.add_argument("paths", nargs="+", type=Path)
    validate.add_argument("--tasks-dir", type=Path, default=Path("tasks"))
    validate.add_argument("--hub", action="store_true", help="also load Hub tasks' data")
    add_allow_outside_data(validate)
    validate.set_defaults(func=cmd_validate)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


def _default_tasks(tasks_dir: Path) -> list[Path]:
    """Every task whose data ships locally (Hub tasks need internet, so name them explicitly)."""
    from harness.tasks import parse_task_file, task_files

    return [p for p in task_files(tasks_dir) if parse_task_file(p).data.path is not None]


def _plan(tasks: list[Task], specs: list[ModelSpec]) -> list[tuple[Task, Adapter, ModelSpec]]:
    plan = []
    for task in tasks:
        defaults = task.spec.baselines or task.spec.task_kind.default_baselines
        for spec in specs or [parse_model_spec(text) for text in defaults]:
            adapter = create_adapter(spec)
            if not adapter.answers(task.spec.task_kind):
                console.print(
                    f"[dim]skip {task.name} × {adapter.label}: "
                    f"{spec.adapter} does not answer {task.kind} tasks[/]"
                )
                continue
            plan.append((task, adapter, spec))
    if not plan:
        raise InputError(
            "no (task, model) pair to run: no model answers these task kinds", field="--model"
        )
    return plan


async def _run_all(
    plan: list[tuple[Task, Adapter, ModelSpec]], args: argparse.Namespace
) -> list[RunResult]:
    from harness.progress import RunProgress
    from harness.runner import run_task
    from harness.selection import Selection
    from harness.shards.split import Shard

    selection = Selection(limit=args.limit, sample=args.sample, seed=args.seed,
                          stratify=args.stratify,
                          shard=Shard.parse(args.shard) if args.shard else None)
    for task in {id(task): task for task, _, _ in plan}.values():
        chosen = selection.apply(task.examples)
        keys = dict.fromkeys([*task.spec.group_by, *filter(None, [args.stratify])])
        for warning in selection.uncovered(task.examples, chosen, list(keys)):
            console.print(f"[yellow]warning:[/] {task.name}: {warning}", highlight=False)
    results = []
    with RunProgress(console) as progress:
        for task, adapter, spec in plan:
            bar = progress.bar(f"{task.name} × {adapter.label}")
            try:
                results.append(
                    await run_task(
                        task,
                        adapter,
                        selection=selection,
                        concurrency=args.concurrency,
                        generation=generation_from_args(task, args, spec),
                        results_dir=None if args.no_write else args.results_dir,
                        on_start=bar.start,
                        on_response=bar.advance,
                    )
                )
            finally:
                await adapter.aclose()
    return results


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio

    from harness.reports.table import results_table
    from harness.selection import Selection
    from harness.tasks import find_task, load_task

    for name in ("limit", "sample", "concurrency"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise InputError(f"must be a positive integer, got {value}", field=f"--{name}")
    if not 0.0 <= args.max_error_rate <= 1.0:  # NaN fails both comparisons
        raise InputError(f"must be a rate between 0 and 1, got {args.max_error_rate}",
                         field="--max-error-rate")
    paths = (
        [find_task(t, args.tasks_dir) for t in args.tasks]
        if args.tasks
        else _default_tasks(args.tasks_dir)
    )
    if not paths:
        raise InputError(f"no task files found in {args.tasks_dir}", field="tasks")
    if args.results_dir.exists() and not args.results_dir.is_dir():
        raise InputError("is a file: --results-dir names a folder", path=args.results_dir,
                         field="--results-dir")
    specs = specs_from_args(args)
    # Every input is validated before any model is called or anything is written: each task's
    # definition, data and templates (rendered for every row), and the selection on each.
    tasks = [load_task(p, allow_outside_data=args.allow_outside_data) for p in paths]
    if args.answer_mode is not None:
        tasks = [t.with_answer_mode(args.answer_mode) for t in tasks]
    from harness.cli_judge import apply_judges

    tasks = apply_judges(tasks, args)
    selection = Selection(limit=args.limit, sample=args.sample, seed=args.seed)
    for task in tasks:
        try:
            selection.apply(task.examples)
        except InputError as exc:
            raise InputError(exc.message, path=task.path, field=exc.field) from None
    if args.dry_run:
        from harness.dryrun import dry_run

        return dry_run(tasks, specs, args, stdout_console(), _plan)
    plan = _plan(tasks, specs)
    results = asyncio.run(_run_all(plan, args))
    out = stdout_console()
    out.print(results_table(results, out.width))
    return 1 if _failed_runs(results, args.max_error_rate) else 0


def _failed_runs(results: Sequence[RunResult], max_error_rate: float) -> list[RunResult]:
    """Runs that scored nothing or errored on more examples than allowed, each explained."""
    failed = []
    for result in results:
        summary = result.report["summary"]
        name = f"{result.task.name} × {result.adapter.label}"
        if summary["n_scored"] == 0 and summary["n_examples"]:  # a shard may hold none
            console.print(f"[red]{name}: no example scored[/]")
        elif summary["error_rate"] > max_error_rate:
            console.print(
                f"[red]{name}: {summary['n_errors']} of {summary['n_examples']} examples errored "
                f"(error rate {summary['error_rate']:.4f} > --max-error-rate {max_error_rate}); "
                "they count as wrong (or 0) in the headline metrics. Re-running the same command "
                "retries just those: answered examples come from the cache.[/]")
        else:
            continue
        failed.append(result)
    return failed


def cmd_tasks(args: argparse.Namespace) -> int:
    from rich.table import Table

    from harness.tasks import parse_task_file, task_files

    table = Table("task", "kind", "version", "data", "description")
    table.columns[0].no_wrap = True
    for path in task_files(args.tasks_dir):
        spec = parse_task_file(path)
        source = spec.data.path or f"hub:{spec.data.hub.dataset}"  # type: ignore[union-attr]
        table.add_row(spec.name, spec.kind, str(spec.version), source, spec.description)
    stdout_console().print(table)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from harness.tasks.validate import validate_path

    for path in args.paths:
        checked = validate_path(path, args.tasks_dir, load_hub=args.hub,
                                allow_outside_data=args.allow_outside_data)
        console.print(f"[green]ok[/] {path}: {checked}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except HarnessError as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        console.print("interrupted: the run in progress wrote no report; answered examples "
                      "are in the cache, so the same command resumes",
                      highlight=False, markup=False, soft_wrap=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
