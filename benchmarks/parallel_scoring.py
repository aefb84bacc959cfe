"""Does ROUGE scoring on two processes pay here, and which way? Side by side, in one run.

Batches of several sizes are scored (all four ROUGE types, tokenization included) in four
ways, taking turns for ``--rounds`` rounds so that load from others hits every way alike:
one process; this process plus forked children that share the in-memory batch
(`harness.scoring.parallel.fork_map`); a `ProcessPoolExecutor` started for the batch (as a
run would) whose workers start with fork, and with forkserver (the choice where fork is
unsafe: threads running, macOS). Every way must return the one-process results exactly.
The CLI's modules are imported first, so a fork copies a process as big as `harness run`'s;
forkserver workers re-import this script (with rouge_score and nltk), as they would a user's.
On a shared machine the rows move with others' load: forking gains only while a core is idle.

Data: ANT-BBC lead-3 vs summary (``../shared/data``; as `rouge_speed.py`), cycled to sizes
other than its 1,002 pairs, and the bundled MArSum task as `harness run` scores it (lead-1 vs
headline, 983 short pairs).

Run: ``.venv/bin/python benchmarks/parallel_scoring.py [--sizes 100,300,1000,0,5000] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import psutil
from rouge_speed import DEFAULT_DATA, Pairs, load_pairs

import harness.cli  # noqa: F401  (fork copies the page tables of a process this big)
from harness.scoring.parallel import CHUNK_SIZE, fork_map
from harness.scoring.rouge import _score_chunk
from harness.scoring.rouge_fast import ROUGE_TYPES, parse_rouge_types
from harness.text.arabic import ArabicTokenizer

MARSUM = Path(__file__).resolve().parents[1] / "references/marsum/marsum_headlines.jsonl"
PROCESSES = 2
ChunkFn = Callable[[Sequence[Any]], list[Any]]
Way = Callable[[ChunkFn, Pairs], list[Any]]


def one_process(fn: ChunkFn, pairs: Pairs) -> list[Any]:
    return [x for i in range(0, len(pairs), CHUNK_SIZE) for x in fn(pairs[i : i + CHUNK_SIZE])]


def forked(fn: ChunkFn, pairs: Pairs) -> list[Any]:
    return list(fork_map(fn, pairs, PROCESSES))


def pool(method: str, fn: ChunkFn, pairs: Pairs) -> list[Any]:
    """A pool of ``PROCESSES`` workers started for this batch; this process only waits."""
    chunks = [pairs[i : i + CHUNK_SIZE] for i in range(0, len(pairs), CHUNK_SIZE)]
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(PROCESSES, context) as executor:
        return [x for chunk in executor.map(fn, chunks) for x in chunk]


WAYS: dict[str, Way] = {
    "1 process": one_process,
    f"forked children ({PROCESSES} procs)": forked,
    f"process pool, fork ({PROCESSES})": partial(pool, "fork"),
    f"process pool, forkserver ({PROCESSES})": partial(pool, "forkserver"),
}


def measure(label: str, pairs: Pairs, fn: ChunkFn, rounds: int) -> None:
    """Print one row per way: median pairs/s, speed-up over one process, range over rounds."""
    expected = one_process(fn, pairs)
    times: dict[str, list[float]] = {way: [] for way in WAYS}
    for _ in range(rounds):
        for way, run in WAYS.items():
            start = time.perf_counter()
            got = run(fn, pairs)
            times[way].append(time.perf_counter() - start)
            assert got == expected, f"{way} differs from the one-process results"
    n = len(pairs)
    chars = sum(len(p) + sum(map(len, refs)) for p, refs in pairs) // n
    base = statistics.median(times["1 process"])
    for way, seconds in times.items():
        mid = statistics.median(seconds)
        spread = f"{n / max(seconds):,.0f}–{n / min(seconds):,.0f}"
        speed = f"{n / mid:>8,.0f}{base / mid:>6.2f}x"
        print(f"{label:<9}{n:>6,}{chars:>6}  {way:<34}{speed}  {spread}")
    print()


def main(argv: Sequence[str] | None = None) -> int:
    """Time every way on every batch and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="100,300,1000,0,5000", help="0: ANT-BBC as it is")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"data not found: {args.data}", file=sys.stderr)
        return 2
    tok = ArabicTokenizer()
    fn = partial(_score_chunk, tokenizer=tok, specs=parse_rouge_types(ROUGE_TYPES))
    bbc = load_pairs(args.data, tok, lead=3)
    load = ", ".join(f"{x:.2f}" for x in psutil.getloadavg())
    print(f"{psutil.cpu_count()} CPUs, load average {load} (others' load skews every row)")
    print(f"pairs/s: median of {args.rounds} rounds; x: against 1 process; then min–max\n")
    print(f"{'data':<9}{'pairs':>6}{'chars':>6}  {'way':<34}{'pairs/s':>8}{'x':>7}  range")
    for size in (int(s) for s in args.sizes.split(",")):
        measure("ANT-BBC", list(itertools.islice(itertools.cycle(bbc), size or len(bbc))), fn,
                args.rounds)
    measure("MArSum", load_pairs(MARSUM, tok, lead=1), fn, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
