"""Arabic-correct ROUGE with `rouge_score` semantics, fast enough for every CI run.

`rouge_score`'s default tokenizer keeps only ``[a-z0-9]``, so identical Arabic texts score 0.0.
Every function here therefore *requires* a tokenizer (ours: `harness.text.ArabicTokenizer`).
Values equal ``RougeScorer(types, tokenizer=tokenizer).score_multi(references, prediction)``
with rougeLsum given ``"\\n".join(tokenizer.sentence_texts(text))``.

ROUGE-Lsum sentences are split on the *normalized* text (. ! ? ؟ ۔ … and line breaks; not a
"." between digits), so an invisible mark can no longer make "3\\u200f.5" two sentences.
Reports describe this as ``lsum_sentences``. Each text is normalized and scanned once
(`Tokenizer.sentence_tokens`); its whole-text tokens are the sentences concatenated. The
arithmetic runs in `harness.scoring.rouge_fast`. Large batches are spread over worker
processes and this one, in bounded chunks, so memory stays flat.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain, islice
from typing import Protocol

from harness.scoring.rouge_fast import (
    LSUM,
    ROUGE_TYPES,
    RougeScore,
    RougeSpec,
    Triple,
    parse_rouge_types,
    score_parsed,
    score_tokens,
)

__all__ = [
    "PARALLEL_THRESHOLD",
    "ROUGE_TYPES",
    "RougeScore",
    "Tokenizer",
    "iter_scores",
    "score_batch",
    "score_pair",
    "score_tokens",
]

# Below this many pairs, starting worker processes costs more than it saves: a forked pool
# starts in ~10 ms, about 100 pairs' work, so 500 pairs already gain on two cores.
PARALLEL_THRESHOLD = 500
# Pairs per chunk: large enough to amortize pickling, small enough to bound memory.
CHUNK_SIZE = 128
# Smallest chunk a batch's tail is cut into: still amortizes a round trip to a worker.
MIN_CHUNK_SIZE = 16

Pair = tuple[str, Sequence[str]]


class Tokenizer(Protocol):
    """What ROUGE needs from a tokenizer: words, and the words of each sentence."""

    def tokenize(self, text: str) -> list[str]:
        """Return the normalized word tokens of ``text``."""
        ...

    def sentence_tokens(self, text: str) -> list[list[str]]:
        """Return per-sentence tokens whose concatenation is ``tokenize(text)``."""
        ...


def _encoder(
    tokenizer: Tokenizer, specs: tuple[RougeSpec, ...]
) -> Callable[[str], tuple[list[str], list[list[str]]]]:
    """Build text -> (whole-text tokens, per-sentence tokens), one tokenizer pass per text.

    The whole-text tokens are the sentences' concatenation (the `Tokenizer` contract), so
    rougeLsum costs no second normalization or scan; without rougeLsum, plain `tokenize`.
    """
    tokenize = tokenizer.tokenize
    split = tokenizer.sentence_tokens
    flatten = chain.from_iterable

    def whole_only(text: str) -> tuple[list[str], list[list[str]]]:
        return tokenize(text), []

    def both(text: str) -> tuple[list[str], list[list[str]]]:
        sents = split(text)
        return (sents[0] if len(sents) == 1 else list(flatten(sents))), sents

    return both if any(kind == LSUM for _name, kind in specs) else whole_only


def _score_chunk(
    pairs: Sequence[Pair], tokenizer: Tokenizer, specs: tuple[RougeSpec, ...]
) -> list[list[Triple]]:
    """Tokenize and score a chunk of pairs; plain triples are cheap to send between processes."""
    encode = _encoder(tokenizer, specs)
    tied = any(kind == LSUM for _name, kind in specs)  # whole tokens = sentences joined
    out: list[list[Triple]] = []
    for prediction, references in pairs:
        if isinstance(references, str):
            raise TypeError("references must be a sequence of strings, not a single string")
        pred_tokens, pred_sents = encode(prediction)
        encoded = [encode(ref) for ref in references]
        out.append(
            score_parsed(
                pred_tokens,
                pred_sents,
                [whole for whole, _ in encoded],
                [sents for _, sents in encoded],
                specs,
                tied,
            )
        )
    return out


def _to_scores(specs: tuple[RougeSpec, ...], values: list[Triple]) -> dict[str, RougeScore]:
    """Wrap plain triples (cheap to pickle) into the public result type."""
    return {name: RougeScore(*value) for (name, _kind), value in zip(specs, values, strict=True)}


def score_pair(
    prediction: str,
    references: Sequence[str],
    tokenizer: Tokenizer,
    rouge_types: Sequence[str] = ROUGE_TYPES,
) -> dict[str, RougeScore]:
    """Score one prediction against its references (best reference per type, first on ties)."""
    specs = parse_rouge_types(rouge_types)
    (values,) = _score_chunk([(prediction, references)], tokenizer, specs)
    return _to_scores(specs, values)


def score_batch(
    predictions: Sequence[str],
    references: Sequence[Sequence[str]],
    tokenizer: Tokenizer,
    rouge_types: Sequence[str] = ROUGE_TYPES,
    processes: int | None = None,
) -> list[dict[str, RougeScore]]:
    """Score many pairs, in input order; see `iter_scores` for ``processes``."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} reference lists")
    specs = parse_rouge_types(rouge_types)
    _check_processes(processes)
    pairs = zip(predictions, references, strict=True)
    return list(_iter_scores(pairs, tokenizer, specs, processes, len(predictions)))


_WORKER_STATE: tuple[Tokenizer, tuple[RougeSpec, ...]] | None = None


def _worker_init(tokenizer: Tokenizer, specs: tuple[RougeSpec, ...]) -> None:
    """Ship the tokenizer and types once per worker rather than with every chunk."""
    global _WORKER_STATE
    _WORKER_STATE = (tokenizer, specs)


def _worker_chunk(pairs: list[Pair]) -> list[list[Triple]]:
    """Score one chunk inside a worker process."""
    assert _WORKER_STATE is not None, "worker not initialized"
    return _score_chunk(pairs, *_WORKER_STATE)


def _available_cores() -> int:
    """CPU cores this process may run on (affinity-aware where the platform says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _pool_context() -> multiprocessing.context.BaseContext:
    """Fork where it is safe, else the platform default (spawn/forkserver start far slower).

    Forking copies the parent's imports, so workers start in milliseconds; it is only used
    while this is the process's sole thread, since a lock held by another thread at fork
    time would stay locked forever in the child.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _chunks(pairs: Iterator[Pair], size: int) -> Iterator[list[Pair]]:
    """Lazily cut a stream of pairs into lists, never holding more than one chunk."""
    while chunk := list(islice(pairs, size)):
        yield chunk


def _chunk_sizes(processes: int, total: int | None) -> Iterator[int]:
    """Pairs per chunk: `CHUNK_SIZE` for a stream; shrinking ones for a batch of known length.

    Whoever draws the last chunk decides when a batch ends, so chunks shrink as the batch
    runs out (a share of what is left, at least `MIN_CHUNK_SIZE`): this process and the
    workers then finish within a few milliseconds of each other.
    """
    if total is None:
        while True:
            yield CHUNK_SIZE
    remaining = total
    while True:
        size = max(MIN_CHUNK_SIZE, min(CHUNK_SIZE, remaining // (4 * processes)))
        remaining -= size
        yield size


def _parallel(
    pairs: Iterator[Pair],
    tokenizer: Tokenizer,
    specs: tuple[RougeSpec, ...],
    processes: int,
    total: int | None,
) -> Iterator[list[list[Triple]]]:
    """Score on ``processes`` cores: ``processes - 1`` workers plus this process.

    On a small batch, a pool of ``processes`` workers left this process idle and lost
    most of the gain to the pool's fixed costs. Here, whenever the workers already hold two
    chunks each, this process scores the next chunk itself, so the workers stay fed and
    the split follows their speed. Results are yielded in order, with at most
    ``4 * processes`` chunks held, so memory stays bounded.
    """
    workers = processes - 1
    with ProcessPoolExecutor(
        workers, _pool_context(), initializer=_worker_init, initargs=(tokenizer, specs)
    ) as pool:
        pending: deque[Future[list[list[Triple]]] | list[list[Triple]]] = deque()
        sizes = _chunk_sizes(processes, total)
        while chunk := list(islice(pairs, next(sizes))):
            busy = sum(1 for item in pending if isinstance(item, Future) and not item.done())
            if busy < 2 * workers:
                pending.append(pool.submit(_worker_chunk, chunk))
            else:
                pending.append(_score_chunk(chunk, tokenizer, specs))
            while pending and (
                len(pending) >= 4 * processes
                or not isinstance(pending[0], Future)
                or pending[0].done()
            ):
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())


def _result(item: Future[list[list[Triple]]] | list[list[Triple]]) -> list[list[Triple]]:
    """A chunk's results, whether a worker or this process scored it."""
    return item.result() if isinstance(item, Future) else item


def iter_scores(
    pairs: Iterable[tuple[str, Sequence[str]]],
    tokenizer: Tokenizer,
    rouge_types: Sequence[str] = ROUGE_TYPES,
    processes: int | None = None,
) -> Iterator[dict[str, RougeScore]]:
    """Stream scores for (prediction, references) pairs, in input order, in bounded memory.

    ``processes=None`` uses every available core once more than `PARALLEL_THRESHOLD` pairs
    arrive (the first pairs are buffered to decide), ``1`` stays in this process, ``k > 1``
    always uses ``k`` processes: this one and ``k - 1`` workers. The tokenizer must be
    picklable for worker processes.
    Arguments are checked here, before the first result is requested.
    """
    specs = parse_rouge_types(rouge_types)
    _check_processes(processes)
    return _iter_scores(iter(pairs), tokenizer, specs, processes, None)


def _check_processes(processes: int | None) -> None:
    """Reject a process count that cannot work, before any scoring starts."""
    if processes is not None and processes < 1:
        raise ValueError(f"processes must be >= 1, got {processes}")


def _iter_scores(
    stream: Iterator[Pair],
    tokenizer: Tokenizer,
    specs: tuple[RougeSpec, ...],
    processes: int | None,
    total: int | None,
) -> Iterator[dict[str, RougeScore]]:
    """The generator behind `iter_scores` and `score_batch` (``total``: pairs, if known)."""
    if processes is None:
        head = list(islice(stream, PARALLEL_THRESHOLD + 1))
        cores = _available_cores()
        processes = cores if len(head) > PARALLEL_THRESHOLD and cores > 1 else 1
        stream = chain(head, stream)
    if processes == 1:
        for chunk in _chunks(stream, CHUNK_SIZE):
            for values in _score_chunk(chunk, tokenizer, specs):
                yield _to_scores(specs, values)
        return
    for results in _parallel(stream, tokenizer, specs, processes, total):
        for values in results:
            yield _to_scores(specs, values)
