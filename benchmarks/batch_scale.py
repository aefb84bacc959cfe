"""20,000 requests handed off and batched, beside the same run through the live adapter.

Each step runs as its own `harness` process against loopback fakes (each fake in a process of
its own), and prints its wall time, CPU time (user + system: on a shared machine the steadier
figure) and peak memory (the process's max RSS), all in one run:

- export-requests: the run's requests as OpenAI batch input;
- the engine: `tests/fake_run_batch.py` standing in for `vllm run-batch` (not the harness);
- import-responses: the output file into the response cache, one transaction;
- run from the cache: scoring with zero model calls;
- run --batch: submit to the fake files + batches endpoints, poll, download, store, score;
- run live: the OpenAI adapter against a zero-latency fake chat server, concurrency 64.

    .venv/bin/python benchmarks/batch_scale.py [--n 20000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fake_server import fake_server

sys.path.insert(0, str(Path(__file__).resolve().parent))
from openai_throughput import synthetic_task

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"


def step(name: str, argv: list[str], rows: list[tuple[str, float, float]]) -> None:
    """Run one process to the end; record its wall time and peak RSS (MiB), print CPU time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        assert child.stderr is not None
        sys.exit(f"{name} failed ({code}): {child.stderr.read().decode()[-2000:]}")
    # ru_maxrss is KiB on Linux, bytes on macOS
    rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    rows.append((name, elapsed, rss))
    cpu = usage.ru_utime + usage.ru_stime
    print(f"  {name:<34} {elapsed:8.2f} s wall {cpu:8.2f} s CPU {rss:9.1f} MiB peak",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    harness = [sys.executable, "-m", "harness"]
    rows: list[tuple[str, float, float]] = []
    with (fake_server(script="fake_batch_server.py") as batch_url, fake_server() as live_url,
          tempfile.TemporaryDirectory() as tmp_name):
        tmp = Path(tmp_name)
        task = str(synthetic_task(tmp, args.n))
        requests, responses = tmp / "requests.jsonl", tmp / "responses.jsonl"

        def run(url: str, cache: str, *extra: str) -> list[str]:
            return [*harness, "run", task, "--model", "openai:fake", "--base-url", url,
                    "--cache-dir", str(tmp / cache), "--results-dir",
                    str(tmp / f"results-{cache}"), *extra]

        print(f"{args.n} requests (stance, one task)")
        step("export-requests", [*harness, "export-requests", task, "--model",
                                 "openai:fake", "--base-url", batch_url, "--cache-dir",
                                 str(tmp / "handoff"), "--out", str(requests)], rows)
        step("engine (vllm run-batch stand-in)", [
            sys.executable, str(TESTS / "fake_run_batch.py"), "-i", str(requests),
            "-o", str(responses)], rows)
        step("import-responses", [*harness, "import-responses", str(responses),
                                  "--cache-dir", str(tmp / "handoff")], rows)
        step("run from the cache (0 calls)", run(batch_url, "handoff"), rows)
        step("run --batch (submit..score)", run(batch_url, "batch", "--batch",
                                               "--poll-interval", "0.2"), rows)
        step(f"run live (concurrency {args.concurrency})",
             run(live_url, "live", "--concurrency", str(args.concurrency)), rows)
    times = dict((name, t) for name, t, _ in rows)
    handoff = times["export-requests"] + times["import-responses"] + times[
        "run from the cache (0 calls)"]
    live = next(t for name, t, _ in rows if name.startswith("run live"))
    print(f"hand-off total (export + import + run) {handoff:.2f} s; run --batch "
          f"{times['run --batch (submit..score)']:.2f} s; live {live:.2f} s")


if __name__ == "__main__":
    main()
