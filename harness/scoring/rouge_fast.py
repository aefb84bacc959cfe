"""Token-level ROUGE arithmetic, exact to `rouge_score` but without its O(n*m) Python tables.

The prediction is read once into bit masks (`harness.scoring.rouge_bits`); each reference is
then scored against them: ROUGE-N enumerates only the reference's n-grams and reads the
prediction's counts as popcounts, ROUGE-L and ROUGE-Lsum run bit-parallel LCS, and
ROUGE-Lsum replays `rouge_score`'s exact backtrack, so its tie-breaking (which changes the
score, as hits are counted per token type) is the same. Floating-point operations follow
`rouge_score` verbatim so that values are bit-identical.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, pairwise
from typing import Any, Literal, TypeVar, get_args

from harness.scoring.rouge_bits import Layout, Token, layout, lcs_length, ngram_count, union_indices

RougeType = Literal["rouge1", "rouge2", "rougeL", "rougeLsum"]
ROUGE_TYPES: tuple[str, ...] = get_args(RougeType)  # the one list of ROUGE types

_ROUGE_N_RE = re.compile(r"rouge([0-9])")

# A parsed rouge type: (name, n) where n >= 1 for ROUGE-N, 0 for rougeL, -1 for rougeLsum.
RougeSpec = tuple[str, int]
L = 0
LSUM = -1

Counts = dict[Hashable, int]
K = TypeVar("K", bound=Hashable)

# (precision, recall, fmeasure) as plain floats: cheap to build, compare and pickle.
Triple = tuple[float, float, float]
_ZERO: Triple = (0.0, 0.0, 0.0)
_EMPTY: Layout = layout([])


@dataclass(frozen=True, slots=True)
class RougeScore:
    """One ROUGE value; frozen so cached or shared results cannot be altered by a caller."""

    precision: float
    recall: float
    fmeasure: float


def parse_rouge_types(rouge_types: Sequence[str]) -> tuple[RougeSpec, ...]:
    """Validate rouge types once per batch, as `rouge_score` would (rouge1..rouge9, L, Lsum)."""
    if isinstance(rouge_types, str):
        raise TypeError("rouge_types must be a sequence of names, not a single string")
    specs: list[RougeSpec] = []
    for name in rouge_types:
        if name == "rougeL":
            specs.append((name, L))
        elif name == "rougeLsum":
            specs.append((name, LSUM))
        else:
            match = _ROUGE_N_RE.fullmatch(name) if isinstance(name, str) else None
            if match is None or int(match.group(1)) <= 0:
                raise ValueError(f"Invalid rouge type: {name!r}")
            specs.append((name, int(match.group(1))))
    return tuple(specs)


def _fmeasure(precision: float, recall: float) -> float:
    """Same expression as `rouge_score.scoring.fmeasure`, for bit-identical results."""
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


def _count_py(counts: dict[Any, int], items: Iterable[Any]) -> None:
    """Pure-Python stand-in for `collections._count_elements` (absent on some Pythons)."""
    get = counts.get
    for item in items:
        counts[item] = get(item, 0) + 1


# The C loop behind Counter.update, without Counter's per-call Python overhead.
_count_elements: Callable[[dict[Any, int], Iterable[Any]], None] = getattr(
    collections, "_count_elements", _count_py
)


def _counts(items: Iterable[K]) -> dict[K, int]:
    """Occurrences of each item as a plain dict."""
    counts: dict[K, int] = {}
    _count_elements(counts, items)
    return counts


def _triple(hits: int, n_pred: int, n_ref: int) -> Triple:
    """(precision, recall, F1) with rouge_score's exact operations."""
    precision = hits / n_pred
    recall = hits / n_ref
    return (precision, recall, _fmeasure(precision, recall))


def _unigram_hits(ref_counts: Counts, table: Layout) -> int:
    """Clipped unigram matches: sum over reference tokens of min(count here, count there)."""
    get = table.masks.get
    hits = 0
    for token, count in ref_counts.items():
        bits = get(token)
        if bits is not None:
            have = bits.bit_count()
            hits += count if count < have else have
    return hits


def _bigram_hits(ref: Sequence[Token], table: Layout) -> int:
    """Clipped bigram matches, the prediction's counts read from its masks."""
    get = table.masks.get
    joins = table.joins
    hits = 0
    for gram, count in _counts(pairwise(ref)).items():
        first = get(gram[0])
        if first is None:
            continue
        second = get(gram[1])
        if second is None:
            continue
        have = (first & second >> 1).bit_count()
        if joins:
            have += joins.get(gram, 0)
        if have:
            hits += count if count < have else have
    return hits


def _ngram_hits(ref: Sequence[Token], n: int, table: Layout) -> int:
    """Clipped n-gram matches for n >= 3 (``table`` must be a single sentence)."""
    hits = 0
    for gram, count in _counts(zip(*(ref[i:] for i in range(n)), strict=False)).items():
        have = ngram_count(gram, table)
        hits += count if count < have else have
    return hits


def _score_whole(
    kind: int, ref: Sequence[Token], ref_counts: Counts, table: Layout, n_pred: int
) -> Triple:
    """ROUGE-N (`_score_ngrams`, denominators floored at 1) or ROUGE-L (`_score_lcs`)."""
    if kind == L:
        if not ref or not n_pred:
            return _ZERO
        return _triple(lcs_length(ref, table), n_pred, len(ref))
    if kind == 1:
        hits = _unigram_hits(ref_counts, table)
    elif kind == 2:
        hits = _bigram_hits(ref, table)
    else:
        hits = _ngram_hits(ref, kind, table)
    return _triple(hits, max(n_pred - kind + 1, 1), max(len(ref) - kind + 1, 1))


def _score_lsum(ref_sents: Sequence[Sequence[Token]], ref_counts: Counts, table: Layout) -> Triple:
    """ROUGE-Lsum as `rouge_score._summary_level_lcs`, including its hit de-duplication.

    ``ref_counts``: token counts over all reference sentences.
    """
    m = sum(map(len, ref_sents))
    n = table.size
    if not n or not m:
        return _ZERO
    masks = table.masks
    cnt_r = ref_counts.copy()
    cnt_c: Counts = {}  # prediction counts, read from the masks on first use
    hits = 0
    for ref in ref_sents:
        # Hit decisions for a token depend only on that token's counts: order is irrelevant.
        for index in union_indices(ref, table):
            token = ref[index]  # on an LCS, so present in both texts
            have = cnt_c.get(token)
            if have is None:
                have = masks[token].bit_count()
            left = cnt_r[token]
            if have > 0 and left > 0:
                hits += 1
                have -= 1
                cnt_r[token] = left - 1
            cnt_c[token] = have
    return _triple(hits, n, m)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a set of rouge types needs, worked out once per batch instead of per pair."""

    lsum: bool  # rougeLsum requested: sentence table
    whole: bool  # another type requested: whole-text table
    max_n: int  # highest ROUGE-N order
    unigrams: bool  # reference token counts needed


@lru_cache(maxsize=32)
def _plan(specs: tuple[RougeSpec, ...], tied: bool) -> _Plan:
    """Cached per (types, tied): callers score thousands of pairs with the same types."""
    kinds = [kind for _name, kind in specs]
    lsum = LSUM in kinds
    return _Plan(
        lsum=lsum,
        whole=any(kind != LSUM for kind in kinds),
        max_n=max(kinds, default=0),
        unigrams=1 in kinds or (lsum and tied),
    )


def score_parsed(
    pred_tokens: Sequence[Token],
    pred_sentences: Sequence[Sequence[Token]],
    refs_tokens: Sequence[Sequence[Token]],
    refs_sentences: Sequence[Sequence[Sequence[Token]]],
    specs: tuple[RougeSpec, ...],
    tied: bool = False,
) -> list[Triple]:
    """Best-reference (precision, recall, f) per spec, as `RougeScorer.score_multi`.

    Tokens are any hashables compared by ``==`` (str or int). Both reference lists have one
    entry per reference; an entry no spec needs may be empty. The first reference wins ties on
    F1 (numpy argmax), as in `rouge_score`. ``tied=True`` promises that every text's
    whole-text tokens are its sentence tokens concatenated, so one table serves both.
    """
    n_refs = len(refs_tokens)
    if n_refs != len(refs_sentences):
        raise ValueError("refs_tokens and refs_sentences must have one entry per reference")
    if not n_refs:
        raise ValueError("at least one reference is required")
    plan = _plan(specs, tied)
    sent_table = layout(pred_sentences) if plan.lsum else _EMPTY
    if not plan.whole:
        whole_table = _EMPTY
    elif tied and plan.lsum and plan.max_n <= 2:
        whole_table = sent_table  # bigrams across sentences come from its joins
    else:
        whole_table = layout([pred_tokens])
    n_pred = len(pred_tokens)
    best: list[Triple] = []
    for k in range(n_refs):
        ref = refs_tokens[k]
        ref_counts = _counts(ref) if plan.unigrams else {}
        if plan.lsum and not tied:
            lsum_counts = _counts(chain.from_iterable(refs_sentences[k]))
        else:
            lsum_counts = ref_counts
        for index, (_name, kind) in enumerate(specs):
            if kind == LSUM:
                value = _score_lsum(refs_sentences[k], lsum_counts, sent_table)
            else:
                value = _score_whole(kind, ref, ref_counts, whole_table, n_pred)
            if k == 0:
                best.append(value)
            elif value[2] > best[index][2]:
                best[index] = value
    return best


def score_tokens(
    pred_tokens: Sequence[Token],
    pred_sentences_tokens: Sequence[Sequence[Token]],
    refs_tokens: Sequence[Sequence[Token]],
    refs_sentences_tokens: Sequence[Sequence[Sequence[Token]]],
    rouge_types: Sequence[str] = ROUGE_TYPES,
) -> dict[str, RougeScore]:
    """Score pre-tokenized text (str or int tokens) exactly as `rouge_score` would.

    ``pred_sentences_tokens`` / ``refs_sentences_tokens`` are per-sentence token lists used
    only by rougeLsum; whole-text token lists are used by every other type.
    """
    specs = parse_rouge_types(rouge_types)
    values = score_parsed(
        pred_tokens, pred_sentences_tokens, refs_tokens, refs_sentences_tokens, specs
    )
    return {name: RougeScore(*value) for (name, _kind), value in zip(specs, values, strict=True)}
