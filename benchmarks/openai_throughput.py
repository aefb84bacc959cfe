"""Throughput of the OpenAI adapter + runner against the loopback fake server.

1,000 requests, 100 ms server latency, concurrency 32: prints the wall time against the ideal
N·latency/concurrency (target ≤ 1.3×), then a fully cached re-run's time as a fraction of the
first (target < 5%). Both measured in this one run, through `generate_all` on a synthetic task.

    .venv/bin/python benchmarks/openai_throughput.py [--n 1000] [--latency 0.1] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import yaml
from fake_server import fake_server

from harness.adapters.base import GenerationSettings
from harness.adapters.openai_compat import OpenAIAdapter
from harness.runner import build_requests, generate_all
from harness.tasks import load_task


def synthetic_task(folder: Path, n: int) -> Path:
    labels = ("favor", "against", "none")
    rows = [{"id": f"b{i:05d}", "text": f"نص الخبر رقم {i} عن القرار.", "target": "X",
             "label": labels[i % 3]} for i in range(n)]
    (folder / "data.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    spec = {"name": "bench_stance", "version": 1, "kind": "stance",
            "data": {"path": "data.jsonl"},
            "prompt": {"user": "ما موقف الكاتب من {{ target_name }}؟\n{{ text }}"},
            "metrics": {"stance": {"labels": list(labels)}}}
    path = folder / "task.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), "utf-8")
    return path


async def timed_pass(base_url: str, cache_dir: Path, requests: list, concurrency: int
                     ) -> tuple[float, int, int]:
    adapter = OpenAIAdapter("fake", base_url=base_url, cache_dir=str(cache_dir))
    started = time.perf_counter()
    try:
        responses = await generate_all(adapter, requests, concurrency=concurrency)
    finally:
        await adapter.aclose()
    elapsed = time.perf_counter() - started
    errors = sum(r.error is not None for r in responses)
    return elapsed, sum(r.cached for r in responses), errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    with (fake_server("--latency", str(args.latency)) as base_url,
          tempfile.TemporaryDirectory() as tmp):
        task = load_task(synthetic_task(Path(tmp), args.n))
        gen = GenerationSettings(**task.spec.generation.model_dump())
        requests = build_requests(task, task.examples, gen)
        cache = Path(tmp) / "cache"
        first, _, errors = asyncio.run(timed_pass(base_url, cache, requests,
                                                  args.concurrency))
        cached_time, cached, _ = asyncio.run(timed_pass(base_url, cache, requests,
                                                        args.concurrency))

    ideal = args.n * args.latency / args.concurrency
    print(f"requests {args.n}, latency {args.latency * 1000:.0f} ms, "
          f"concurrency {args.concurrency}, errors {errors}")
    print(f"first run      {first:7.3f} s   ideal {ideal:.3f} s   ratio {first / ideal:.3f}x"
          f"   (target <= 1.3x)")
    print(f"cached re-run  {cached_time:7.3f} s   {cached}/{args.n} cached   "
          f"{100 * cached_time / first:.2f}% of first   (target < 5%)")


if __name__ == "__main__":
    main()
