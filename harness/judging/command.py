"""`harness pairwise RUN_A RUN_B --judge SPEC`: a judge picks the better summary, both orders.

Reads two runs of the same summarization task (report files or folders, as `compare` does),
asks one judge about every example both answered, and prints and writes win rates with CIs,
the tie and order-dependence counts and the mean length difference (A − B, words).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import InputError

if TYPE_CHECKING:
    from harness.compare.loading import Run

PAIRWISE_VERSION = "2"  # 2: a failed call is an "error" pair (n_errored), no longer "invalid"


def register(sub: argparse._SubParsersAction) -> None:
    from harness.cli_judge import add_judge_argument
    from harness.cli_models import add_api_arguments

    parser = sub.add_parser("pairwise", help="a judge compares two runs' summaries pair by "
                            "pair, in both orders (win rates with CIs)")
    parser.add_argument("run_a", type=Path, help="report file or folder of run A")
    parser.add_argument("run_b", type=Path, help="report file or folder of run B")
    parser.add_argument("--language", choices=("ar", "en"), default="ar", help="rubric")
    parser.add_argument("--concurrency", type=int, default=8, help="judge calls in flight")
    parser.add_argument("--out", type=Path, help="write the JSON result here")
    add_judge_argument(parser)
    add_api_arguments(parser)
    parser.set_defaults(func=cmd_pairwise)


def _one_run(path: Path) -> Run:
    from harness.compare.loading import discover_runs

    runs = discover_runs([path])
    if len(runs) != 1 or runs[0].examples is None:
        raise InputError("expected exactly one run with its examples file", path=path)
    return runs[0]


def cmd_pairwise(args: argparse.Namespace) -> int:
    import asyncio

    from harness.adapters.registry import create_adapter
    from harness.cli_judge import spec_text
    from harness.cli_models import specs_from_args
    from harness.judging.pairwise import judge_pairs, summarize
    from harness.judging.rubrics import pairwise_hash
    from harness.metrics.judge import Judge, JudgeSettings, split_spec
    from harness.scoring.bootstrap import DEFAULT_BOOTSTRAP

    if len(args.judge) != 1:
        raise InputError("give exactly one --judge", field="--judge")
    run_a, run_b = _one_run(args.run_a), _one_run(args.run_b)
    if (run_a.task, run_a.report["task"]["data_hash"]) != (
            run_b.task, run_b.report["task"]["data_hash"]):
        raise InputError("the two runs are not of the same task and data", field="run_b")
    [text] = [spec_text(s) for s in specs_from_args(
        argparse.Namespace(**{**vars(args), "model": args.judge}))]
    judge = Judge(JudgeSettings(judges=(text,), language=args.language))
    a, b = run_a.by_id(), run_b.by_id()
    pairs = [(i, str(a[i].get("article", "")), str(a[i]["prediction"]), str(b[i]["prediction"]))
             for i in a if i in b and a[i].get("error") is None and b[i].get("error") is None]
    if not pairs:
        raise InputError("the runs share no answered example", field="run_b")

    async def go() -> tuple[list[dict[str, Any]], Any]:
        adapter = create_adapter(split_spec(text)[0])
        try:
            return await judge_pairs(adapter, judge.judges[0], args.language, pairs,
                                     args.concurrency)
        finally:
            await adapter.aclose()

    rows, usage = asyncio.run(go())
    result = {"pairwise_version": PAIRWISE_VERSION, "task": run_a.task,
              "a": str(args.run_a), "b": str(args.run_b), "judge": judge.judges[0],
              "rubric_hash": pairwise_hash(args.language),
              "summary": summarize(rows, DEFAULT_BOOTSTRAP),
              "usage": usage.as_dict(), "pairs": rows}
    text_out = json.dumps(result, ensure_ascii=False, indent=2)
    if args.out:
        from harness.jsonio import atomic_write_text

        atomic_write_text(args.out, text_out + "\n")
    s = result["summary"]
    print(f"A {args.run_a} vs B {args.run_b}: {s['n_valid']} pairs judged, {s['n_invalid']} "
          f"invalid, {s['n_errored']} errored (judge call failed: run again), "
          f"{s['order_dependent']} order-dependent (counted as ties)")
    for name in ("win_rate_a", "win_rate_b", "tie_rate", "length_difference_words"):
        e = s[name]
        print(f"  {name}: {e['value']} [{e['ci_low']}, {e['ci_high']}]")
    return 0
