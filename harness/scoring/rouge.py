"""Arabic-correct ROUGE with `rouge_score` semantics, fast enough for every CI run.

`rouge_score`'s default tokenizer keeps only ``[a-z0-9]``, so identical Arabic texts score 0.0.
Every function here therefore *requires* a tokenizer (ours: `harness.text.ArabicTokenizer`).
Values equal ``RougeScorer(types, tokenizer=tokenizer).score_multi(references, prediction)``
with rougeLsum sentences taken from ``tokenizer.sentences`` (i.e. ``"\\n".join(sentences)``).

Each text is tokenized once as a whole (rouge1/2/L) and, only if rougeLsum is asked for, split
and tokenized once per sentence; the arithmetic runs in `harness.scoring.rouge_fast`. Large
batches are spread over worker processes in bounded chunks, so memory stays flat.
"""

from __future__ import annotations

import os
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

# Below this many pairs, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 2000
# Pairs per worker task: large enough to amortize pickling, small enough to bound memory.
CHUNK_SIZE = 128

Pair = tuple[str, Sequence[str]]


class Tokenizer(Protocol):
    """What ROUGE needs from a tokenizer: words, and raw sentences for rougeLsum."""

    def tokenize(self, text: str) -> list[str]:
        """Return the normalized word tokens of ``text``."""
        ...

    def sentences(self, text: str) -> list[str]:
        """Return the raw sentence strings of ``text``."""
        ...


def _encoder(
    tokenizer: Tokenizer, specs: tuple[RougeSpec, ...]
) -> Callable[[str], tuple[list[str], list[list[str]]]]:
    """Build text -> (whole-text tokens, per-sentence tokens), each computed once per text.

    Only what the requested types need is tokenized. A text that is its own single sentence
    reuses that sentence's tokens for the whole text (tokenizers are pure functions of their
    input), which saves a second tokenization of most one-sentence references.
    """
    tokenize = tokenizer.tokenize
    split = tokenizer.sentences
    need_whole = any(kind != LSUM for _name, kind in specs)
    need_sents = any(kind == LSUM for _name, kind in specs)

    def encode(text: str) -> tuple[list[str], list[list[str]]]:
        if not need_sents:
            return tokenize(text), []
        raw = split(text)
        sents = [tokenize(s) for s in raw]
        if not need_whole:
            return [], sents
        if len(raw) == 1 and raw[0] == text:
            return sents[0], sents
        return tokenize(text), sents

    return encode


def _score_chunk(
    pairs: Sequence[Pair], tokenizer: Tokenizer, specs: tuple[RougeSpec, ...]
) -> list[list[Triple]]:
    """Tokenize and score a chunk of pairs; plain triples are cheap to send between processes."""
    encode = _encoder(tokenizer, specs)
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
    return list(
        iter_scores(zip(predictions, references, strict=True), tokenizer, rouge_types, processes)
    )


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


def _chunks(pairs: Iterator[Pair], size: int) -> Iterator[list[Pair]]:
    """Lazily cut a stream of pairs into lists, never holding more than one chunk."""
    while chunk := list(islice(pairs, size)):
        yield chunk


def _parallel(
    pairs: Iterator[Pair], tokenizer: Tokenizer, specs: tuple[RougeSpec, ...], processes: int
) -> Iterator[list[list[Triple]]]:
    """Yield chunk results in order, keeping at most ``2 * processes`` chunks in flight."""
    with ProcessPoolExecutor(
        processes, initializer=_worker_init, initargs=(tokenizer, specs)
    ) as pool:
        pending: deque[Future[list[list[Triple]]]] = deque()
        for chunk in _chunks(pairs, CHUNK_SIZE):
            pending.append(pool.submit(_worker_chunk, chunk))
            if len(pending) >= 2 * processes:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def iter_scores(
    pairs: Iterable[tuple[str, Sequence[str]]],
    tokenizer: Tokenizer,
    rouge_types: Sequence[str] = ROUGE_TYPES,
    processes: int | None = None,
) -> Iterator[dict[str, RougeScore]]:
    """Stream scores for (prediction, references) pairs, in input order, in bounded memory.

    ``processes=None`` uses every available core once more than `PARALLEL_THRESHOLD` pairs
    arrive (the first pairs are buffered to decide), ``1`` stays in this process, ``k > 1``
    always uses ``k`` workers. The tokenizer must be picklable for worker processes.
    Arguments are checked here, before the first result is requested.
    """
    specs = parse_rouge_types(rouge_types)
    if processes is not None and processes < 1:
        raise ValueError(f"processes must be >= 1, got {processes}")
    return _iter_scores(iter(pairs), tokenizer, specs, processes)


def _iter_scores(
    stream: Iterator[Pair],
    tokenizer: Tokenizer,
    specs: tuple[RougeSpec, ...],
    processes: int | None,
) -> Iterator[dict[str, RougeScore]]:
    """The generator behind `iter_scores`."""
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
    for results in _parallel(stream, tokenizer, specs, processes):
        for values in results:
            yield _to_scores(specs, values)
