"""Arabic-correct ROUGE with `rouge_score` semantics, fast enough for every CI run.

`rouge_score`'s default tokenizer keeps only ``[a-z0-9]``, so identical Arabic texts score 0.0.
Every function here therefore *requires* a tokenizer (ours: `harness.text.ArabicTokenizer`).
Values equal ``RougeScorer(types, tokenizer=tokenizer).score_multi(references, prediction)``
with rougeLsum given ``"\\n".join(tokenizer.sentence_texts(text))``.

ROUGE-Lsum sentences are split on the *normalized* text (. ! ? ؟ ۔ … and line breaks; not a
"." between digits), so an invisible mark can no longer make "3\\u200f.5" two sentences.
Reports describe this as ``lsum_sentences``. Each text is normalized and scanned once
(`Tokenizer.sentence_tokens`); its whole-text tokens are the sentences concatenated. The
arithmetic runs in `harness.scoring.rouge_fast`. Large batches use every core where forking
is safe, and streams stay in bounded memory (`harness.scoring.parallel`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from itertools import chain
from typing import Protocol

from harness.scoring.parallel import decide_processes, ordered_map
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
    "PARALLEL_MIN_CHARS",
    "ROUGE_TYPES",
    "RougeScore",
    "Tokenizer",
    "iter_scores",
    "score_batch",
    "score_pair",
    "score_tokens",
]

# Text (characters of predictions and references) from which forking pays clearly on two
# cores (`benchmarks/parallel_scoring.py`): ~1,000 ANT-BBC lead-3 pairs, ~100 ms of work,
# 1.4-1.5x; half that (500 such pairs, MArSum's 983 headlines) gains 1.25x at best and loses
# when other work holds the second core.
PARALLEL_MIN_CHARS = 500_000

Pair = tuple[str, Sequence[str]]


class Tokenizer(Protocol):
    """What ROUGE needs from a tokenizer: words, and the words of each sentence."""

    def tokenize(self, text: str) -> list[str]:
        """Return the normalized word tokens of ``text``."""
        ...

    def sentence_tokens(self, text: str) -> list[list[str]]:
        """Return per-sentence tokens whose concatenation is ``tokenize(text)``, unless the
        tokenizer sets ``sentences_tile = False`` (a preset that re-tokenizes sentences)."""
        ...


def _tiled(tokenizer: Tokenizer) -> bool:
    """Whether the tokenizer's sentence tokens concatenate to its whole-text tokens."""
    return bool(getattr(tokenizer, "sentences_tile", True))


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

    def apart(text: str) -> tuple[list[str], list[list[str]]]:
        return tokenize(text), split(text)

    if not any(kind == LSUM for _name, kind in specs):
        return whole_only
    return both if _tiled(tokenizer) else apart


def _score_chunk(
    pairs: Sequence[Pair], tokenizer: Tokenizer, specs: tuple[RougeSpec, ...]
) -> list[list[Triple]]:
    """Tokenize and score a chunk of pairs; plain triples are cheap to send between processes."""
    encode = _encoder(tokenizer, specs)
    # whole tokens = sentences joined
    tied = any(kind == LSUM for _name, kind in specs) and _tiled(tokenizer)
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


def _pair_chars(pair: Pair) -> int:
    """Characters to tokenize and score: how `decide_processes` weighs a pair's work."""
    prediction, references = pair
    return len(prediction) + sum(map(len, references))


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
    pairs = list(zip(predictions, references, strict=True))
    return list(iter_scores(pairs, tokenizer, rouge_types, processes))


def iter_scores(
    pairs: Iterable[tuple[str, Sequence[str]]],
    tokenizer: Tokenizer,
    rouge_types: Sequence[str] = ROUGE_TYPES,
    processes: int | None = None,
) -> Iterator[dict[str, RougeScore]]:
    """Stream scores for (prediction, references) pairs, in input order, in bounded memory.

    ``processes=None`` uses every available core once the pairs hold `PARALLEL_MIN_CHARS`
    characters (a stream's first pairs are buffered to decide), ``1`` stays in this process,
    ``k > 1`` uses this process and ``k - 1`` forked children. Where fork is unsafe (other
    threads running, macOS, Windows) everything runs in this process
    (`harness.scoring.parallel`). Arguments are checked here, before the first result is
    requested.
    """
    specs = parse_rouge_types(rouge_types)
    if processes is not None and processes < 1:
        raise ValueError(f"processes must be >= 1, got {processes}")
    return _iter_scores(pairs, tokenizer, specs, processes)


def _iter_scores(
    pairs: Iterable[Pair],
    tokenizer: Tokenizer,
    specs: tuple[RougeSpec, ...],
    processes: int | None,
) -> Iterator[dict[str, RougeScore]]:
    """The generator behind `iter_scores`: work starts on the first ``next``."""
    pairs, processes = decide_processes(pairs, processes, PARALLEL_MIN_CHARS, _pair_chars)
    score_chunk = partial(_score_chunk, tokenizer=tokenizer, specs=specs)
    for values in ordered_map(score_chunk, pairs, processes):
        yield _to_scores(specs, values)
