"""How much faster is the harness's ROUGE than `rouge_score`, on the same Arabic tokens?

Lead-3 (first three `tokenizer.sentences` of each BBC article, one per line) is scored against
the editor's summary with all four ROUGE types, by the harness and by `rouge_score` driven with
the same `ArabicTokenizer` (rougeLsum fed `tokenizer.sentence_texts`, one per line); values must
agree to 1e-12. Both timings include tokenization (`rouge_score` tokenizes inside `score`).
`rouge-score-rs`, if installed, is timed the same way. Harness rows: one process, k processes,
and the default `score_batch` (which uses every core from `PARALLEL_MIN_CHARS` characters of
text on; the batch is shared with forked children). A streaming run then pushes ``--stream``
pairs from an iterator through `iter_scores` (forked over block by block) to show throughput
and that memory stays flat. `parallel_scoring.py` compares the ways to use several cores.

Run: ``.venv/bin/python benchmarks/rouge_speed.py [--data F] [--stream N] [--processes K]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import psutil
from rouge_score import rouge_scorer

from harness.scoring.rouge import (
    PARALLEL_MIN_CHARS,
    ROUGE_TYPES,
    RougeScore,
    iter_scores,
    score_batch,
)
from harness.text.arabic import ArabicTokenizer

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared/data/ant_bbc_summaries.jsonl"
Triples = list[dict[str, tuple[float, float, float]]]
Pairs = list[tuple[str, list[str]]]


def load_pairs(path: Path, tokenizer: ArabicTokenizer, lead: int = 3) -> Pairs:
    """Lead-``lead`` predictions (one sentence per line) with their single reference summary."""
    pairs: Pairs = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            prediction = "\n".join(tokenizer.sentences(row["article"])[:lead])
            pairs.append((prediction, [row["summary"]]))
    return pairs


def reference_scorer(module: Any, tokenizer: ArabicTokenizer) -> Callable[[Pairs], Triples]:
    """`score_multi` of a rouge_score-compatible module, rougeLsum on our sentence split."""
    base = [t for t in ROUGE_TYPES if t != "rougeLsum"]
    whole = module.RougeScorer(base, use_stemmer=False, tokenizer=tokenizer)
    lsum = module.RougeScorer(["rougeLsum"], use_stemmer=False, tokenizer=tokenizer)

    def lines(text: str) -> str:
        return "\n".join(tokenizer.sentence_texts(text))

    def run(pairs: Pairs) -> Triples:
        out: Triples = []
        for pred, refs in pairs:
            scores = dict(whole.score_multi(refs, pred))
            scores.update(lsum.score_multi([lines(r) for r in refs], lines(pred)))
            out.append(
                {
                    t: (scores[t].precision, scores[t].recall, scores[t].fmeasure)
                    for t in ROUGE_TYPES
                }
            )
        return out

    return run


def as_triples(scores: list[dict[str, RougeScore]]) -> Triples:
    return [{t: (s[t].precision, s[t].recall, s[t].fmeasure) for t in ROUGE_TYPES} for s in scores]


def max_diff(a: Triples, b: Triples) -> float:
    """Largest absolute difference over every pair, type and field."""
    assert len(a) == len(b)
    return max(
        (
            abs(x - y)
            for da, db in zip(a, b, strict=True)
            for t in ROUGE_TYPES
            for x, y in zip(da[t], db[t], strict=True)
        ),
        default=0.0,
    )


def interleaved(
    runners: list[tuple[str, Callable[[], Triples]]], rounds: int
) -> list[tuple[str, float, Triples]]:
    """Fastest of ``rounds`` runs per scorer, taking turns so that load spikes on a shared
    machine hit every scorer alike; each scorer's first result is kept for checking."""
    best = {name: float("inf") for name, _ in runners}
    results: dict[str, Triples] = {}
    for _ in range(rounds):
        for name, fn in runners:
            start = time.perf_counter()
            result = fn()
            best[name] = min(best[name], time.perf_counter() - start)
            results.setdefault(name, result)
    return [(name, best[name], results[name]) for name, _ in runners]


def rss_mib() -> tuple[float, float]:
    """(RSS of this process + its live workers, peak RSS of this process) in MiB.

    The sum counts pages shared after fork once per process, so it overstates real use; what
    matters is that it stays flat while pairs stream through.
    """
    me = psutil.Process()
    current = me.memory_info().rss + sum(
        c.memory_info().rss for c in me.children(recursive=True) if c.is_running()
    )
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return current / 2**20, peak_kib / 1024


def stream(pairs: Pairs, n: int, processes: int, tokenizer: ArabicTokenizer) -> None:
    """Score ``n`` pairs cycled from the data set; RSS is sampled to show it stays flat."""
    rows: Iterator[tuple[str, Sequence[str]]] = itertools.islice(itertools.cycle(pairs), n)
    before = rss_mib()
    print(f"\nstreaming {n:,} pairs, processes={processes}")
    print(f"  RSS before: {before[0]:.0f} MiB (peak {before[1]:.0f} MiB)")
    start = time.perf_counter()
    checksum = 0.0
    for i, scores in enumerate(iter_scores(rows, tokenizer, ROUGE_TYPES, processes), 1):
        checksum += scores["rougeLsum"].fmeasure
        if i % max(n // 5, 1) == 0:
            current, peak = rss_mib()
            print(f"  {i:>9,} pairs  RSS main+workers {current:6.0f} MiB  main peak {peak:.0f} MiB")
    elapsed = time.perf_counter() - start
    after = rss_mib()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"  RSS after: {after[0]:.0f} MiB (main peak {after[1]:.0f} MiB, "
        f"largest worker peak {children:.0f} MiB)"
    )
    print(f"  {n / elapsed:,.0f} pairs/s  ({elapsed:.1f} s; mean rougeLsum F1 {checksum / n:.4f})")


def _cores() -> int:
    """Cores `score_batch` would use by default."""
    return len(psutil.Process().cpu_affinity() or []) or (psutil.cpu_count() or 1)


def main(argv: Sequence[str] | None = None) -> int:
    """Compare, assert agreement, print a table, then stream."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--stream", type=int, default=100_000, help="pairs to stream (0: skip)")
    parser.add_argument(
        "--processes", type=int, default=2, help="processes for parallel runs (this + K-1 workers)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs, best is kept")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"data not found: {args.data}", file=sys.stderr)
        return 2

    tok = ArabicTokenizer()
    pairs = load_pairs(args.data, tok)
    preds = [p for p, _ in pairs]
    refs = [r for _, r in pairs]
    n = len(pairs)
    print(f"{n} pairs from {args.data.name}: lead-3 vs summary, {', '.join(ROUGE_TYPES)}")
    load = ", ".join(f"{x:.2f}" for x in psutil.getloadavg())
    print(f"{psutil.cpu_count()} CPUs, load average {load} (others' load skews every row)")

    def tokenize_only() -> Triples:
        for pred, refs_ in pairs:
            for text in (pred, *refs_):
                tok.sentence_tokens(text)
        return []

    reference = "rouge_score (pure Python)"
    tokenize_label = "(tokenization alone: sentence_tokens)"
    runners: list[tuple[str, Callable[[], Triples]]] = [
        (reference, lambda: reference_scorer(rouge_scorer, tok)(pairs)),
        ("harness, 1 process", lambda: as_triples(score_batch(preds, refs, tok, processes=1))),
    ]
    if args.processes > 1:
        runners.append(
            (
                f"harness, {args.processes} processes",
                lambda: as_triples(score_batch(preds, refs, tok, processes=args.processes)),
            )
        )
    chars = sum(len(p) + sum(map(len, r)) for p, r in pairs)
    auto = "harness, default score_batch" + (
        f" ({_cores()} procs)" if chars >= PARALLEL_MIN_CHARS and _cores() > 1 else " (1 process)"
    )
    runners.append((auto, lambda: as_triples(score_batch(preds, refs, tok))))
    try:
        import rouge_score_rs
    except ImportError as exc:
        print(f"rouge-score-rs not measured: {exc} (pip install rouge-score-rs)")
    else:
        label = f"rouge-score-rs {rouge_score_rs.__version__}, our tokenizer"
        runners.append((label, lambda: reference_scorer(rouge_score_rs, tok)(pairs)))
    runners.append((tokenize_label, tokenize_only))

    timed = interleaved(runners, args.repeats)
    t_ref = timed[0][1]
    expected = timed[0][2]
    print(f"\n{'scorer':<44}{'pairs/s':>10}{'x rouge_score':>15}  check")
    for name, seconds, result in timed:
        if name == tokenize_label:
            note = "ceiling for any scorer on one core"
        elif name == reference:
            note = "reference"
        else:
            diff = max_diff(expected, result)
            note = f"max |diff| {diff:.1e}"
            if name.startswith("harness"):
                assert diff <= 1e-12, f"{name} differs from rouge_score by {diff}"
        print(f"{name:<44}{n / seconds:>10,.0f}{t_ref / seconds:>14.1f}x  {note}")

    if args.stream > 0:
        stream(pairs, args.stream, max(args.processes, 1), tok)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
