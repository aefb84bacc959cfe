"""Requests and wall time per answer mode, for 100 stance examples on a loopback server.

The fake server (tests/fake_openai_server.py, its own process) answers every call after a fixed
latency and serves scripted log-probabilities on /v1/completions and on chat requests asking
for `logprobs` (continuing a final assistant message sent with vLLM's flags). Each mode runs
once without the cache (the requests it really makes), then once more from the cache (zero
calls). The labels are "مؤيد" / "معارض" / "محايد": the generation route needs one request for
the shared first step, then one per distinct label prefix, one character per token on this
server (a real tokenizer needs fewer steps); the echo route one per label (plus the
first-request check). The chat route steps like the generation route on /chat/completions;
with `logprobs_prefill=never` (no prefill: OpenAI) it makes the first step only, one request
per example.

    .venv/bin/python benchmarks/label_modes.py [--n 100] [--latency 0.05] [--concurrency 8]
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

from harness.adapters.openai_compat import OpenAIAdapter
from harness.runner import run_task
from harness.tasks import load_task

LABELS = {"favor": "مؤيد", "against": "معارض", "none": "محايد"}


def synthetic_task(folder: Path, n: int) -> Path:
    rows = [{"id": f"b{i:05d}", "text": f"نص الخبر رقم {i} عن القرار.", "target": "X",
             "label": list(LABELS)[i % 3]} for i in range(n)]
    (folder / "data.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    spec = {"name": "bench_stance", "version": 1, "kind": "stance",
            "data": {"path": "data.jsonl"},
            "prompt": {"user": "ما موقف الكاتب من {{ target_name }}؟ أجب: مؤيد، معارض، محايد.\n"
                               "{{ text }}"},
            "metrics": {"stance": {"labels": list(LABELS),
                                   "aliases": {k: [v] for k, v in LABELS.items()}}}}
    path = folder / "task.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), "utf-8")
    return path


async def one_pass(task_path: Path, mode: str, route: str, base_url: str, cache: Path,
                   concurrency: int) -> tuple[int, float, int]:
    task = load_task(task_path).with_answer_mode(mode)
    route, _, prefill = route.partition(":")
    options = {"logprobs_prefill": prefill} if prefill else {}
    adapter = OpenAIAdapter("fake", base_url=base_url, cache_dir=str(cache),
                            logprobs_route=route, **options)
    started = time.perf_counter()
    try:
        result = await run_task(task, adapter, results_dir=None, concurrency=concurrency)
    finally:
        await adapter.aclose()
    elapsed = time.perf_counter() - started
    usage = result.report["usage"]
    n = result.report["summary"]["n_examples"]
    calls = adapter.scorer.calls if mode == "loglikelihood" else n - usage["cached_responses"]
    return calls, elapsed, result.report["summary"]["n_errors"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    modes = [("free_text", "auto"), ("structured", "auto"), ("loglikelihood", "echo"),
             ("loglikelihood", "generation"), ("loglikelihood", "chat"),
             ("loglikelihood", "chat:never")]
    with fake_server("--logprobs", "--latency", str(args.latency)) as base_url:
        print(f"{args.n} examples, {len(LABELS)} labels, latency {args.latency * 1000:.0f} ms, "
              f"concurrency {args.concurrency}")
        print(f"{'mode':<38}{'requests':>9}{'per ex.':>9}{'wall s':>9}{'cached rerun':>14}")
        with tempfile.TemporaryDirectory() as tmp:
            task_path = synthetic_task(Path(tmp), args.n)
            for mode, route in modes:
                cache = Path(tmp) / f"cache-{mode}-{route.replace(':', '-')}"
                calls, wall, errors = asyncio.run(one_pass(task_path, mode, route, base_url,
                                                           cache, args.concurrency))
                again, wall2, _ = asyncio.run(one_pass(task_path, mode, route, base_url, cache,
                                                       args.concurrency))
                name = mode if mode != "loglikelihood" else (
                    f"{mode} ({route.replace(':', ', prefill ')})")
                print(f"{name:<38}{calls:>9}{calls / args.n:>9.2f}{wall:>9.2f}"
                      f"{f'{again} calls {wall2:.2f}s':>14}" + (f"  errors {errors}" if errors
                                                                 else ""))


if __name__ == "__main__":
    main()
