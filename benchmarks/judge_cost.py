"""What judging costs: 100 summaries judged against the loopback fake server.

Fixed server latency (default 200 ms), judge concurrency 16, dimensions and claims (two
questions per summary): prints the judge calls, tokens and wall time of the first pass, and of
the cached re-run (zero calls), both measured in this one run through the judge metric.

    .venv/bin/python benchmarks/judge_cost.py [--n 100] [--latency 0.2] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from typing import Any

from fake_server import fake_server

import harness.adapters.openai_compat  # noqa: F401 - imported before timing, as a run has
from harness.metrics.base import Item
from harness.metrics.judge import Judge, JudgeSettings


def items(n: int) -> list[Item]:
    return [Item(f"s{i:04d}", {"article": f"أعلن الوزير اليوم خطة رقم {i} للنقل العام. "
                                          "وقال إن الخطة تبدأ العام المقبل في المدن الكبرى.",
                               "references": [f"الوزير يعلن خطة النقل رقم {i}."]},
                 f"أعلن الوزير خطة رقم {i} للنقل تبدأ العام المقبل.") for i in range(n)]


def judge_pass(judge: Judge, summaries: list[Item]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    scores = asyncio.run(judge.score(summaries))
    elapsed = time.perf_counter() - started
    totals = {"calls": 0, "cached": 0, "prompt_tokens": 0, "completion_tokens": 0}
    invalid = 0
    for score in scores:
        for verdict in score["judge"].values():
            for key in totals:
                totals[key] += verdict["usage"][key]
            invalid += sum(verdict[k] is not None for k in ("dimensions_invalid",
                                                            "claims_invalid"))
    return elapsed, {**totals, "invalid": invalid}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    with (fake_server("--judge", "--latency", str(args.latency)) as base_url,
          tempfile.TemporaryDirectory() as tmp):
        warm = Judge(JudgeSettings(judges=(f"openai:fake,base_url={base_url},cache=false",),
                                   concurrency=1))
        judge_pass(warm, items(1))  # the openai client's lazy imports, paid once per process
        spec = f"openai:fake,base_url={base_url},cache_dir={tmp}"
        judge = Judge(JudgeSettings(judges=(spec,), concurrency=args.concurrency))
        summaries = items(args.n)
        first, usage = judge_pass(judge, summaries)
        again, cached = judge_pass(judge, summaries)

    questions = 2 * args.n
    ideal = questions * args.latency / args.concurrency
    print(f"summaries {args.n}, questions {questions} (dimensions + claims), latency "
          f"{args.latency * 1000:.0f} ms, judge concurrency {args.concurrency}")
    for name, elapsed, u in (("first pass", first, usage), ("cached re-run", again, cached)):
        print(f"{name:14s} {elapsed:7.3f} s   calls {u['calls'] - u['cached']:4d} "
              f"(cached {u['cached']})   prompt tokens {u['prompt_tokens']}   "
              f"completion tokens {u['completion_tokens']}   invalid {u['invalid']}")
    print(f"ideal first pass {ideal:.3f} s (questions x latency / concurrency); "
          f"re-run is {100 * again / first:.2f}% of the first")


if __name__ == "__main__":
    main()
