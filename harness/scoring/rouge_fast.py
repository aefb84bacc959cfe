"""Token-level ROUGE arithmetic, exact to `rouge_score` but without its O(n*m) Python tables.

`rouge_score` builds a full Python LCS table for ROUGE-L and for every (reference sentence,
prediction sentence) pair of ROUGE-Lsum, which dominates evaluation time. Here:

* Whole-text tokens get dense per-prediction ints (tokens absent from the prediction share
  one spare id: they can never match). ROUGE-N counts unigrams, or id n-grams packed into one
  int, with CPython's C counting loop; ROUGE-L takes the LCS length from rapidfuzz's
  bit-parallel LCS on those ids (on raw strings rapidfuzz would compare hashes).
* ROUGE-Lsum needs *which* reference tokens are on each LCS, and the choice among equally long
  subsequences changes the score (hits are counted per token type). All prediction sentences
  are packed into one Hyyro bit-parallel LCS pass per reference sentence; each row's bit
  vector is a row of the DP table in difference form (``L[i][j] = j - popcount(V_i & (2**j -
  1))``), from which `rouge_score._backtrack_norec`'s exact walk is replayed in
  O(len(ref) + len(pred)) steps instead of an O(len(ref) * len(pred)) table.

Floating-point operations follow `rouge_score` verbatim so that values are bit-identical.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from operator import add, mul

from rapidfuzz.distance import LCSseq

ROUGE_TYPES: tuple[str, ...] = ("rouge1", "rouge2", "rougeL", "rougeLsum")

_ROUGE_N_RE = re.compile(r"rouge([0-9])")

# A parsed rouge type: (name, n) where n >= 1 for ROUGE-N, 0 for rougeL, -1 for rougeLsum.
RougeSpec = tuple[str, int]
L = 0
LSUM = -1

Token = Hashable
Counts = dict[Hashable, int]

# (precision, recall, fmeasure) as plain floats: cheap to build, compare and pickle.
Triple = tuple[float, float, float]
_ZERO: Triple = (0.0, 0.0, 0.0)


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


def _count_py(counts: Counts, items: Iterable[Hashable]) -> None:
    """Pure-Python stand-in for `collections._count_elements` (absent on some Pythons)."""
    get = counts.get
    for item in items:
        counts[item] = get(item, 0) + 1


# The C loop behind Counter.update, without Counter's per-call Python overhead.
_count_elements: Callable[[Counts, Iterable[Hashable]], None] = getattr(
    collections, "_count_elements", _count_py
)


def _counts(items: Iterable[Hashable]) -> Counts:
    """Occurrences of each item as a plain dict."""
    counts: Counts = {}
    _count_elements(counts, items)
    return counts


def _id_ngrams(ids: list[int], n: int, base: int) -> Counts:
    """Count n-grams (n >= 2) of ids below ``base``; bigrams are packed as ``a * base + b``."""
    if n == 2:
        return _counts(map(add, map(mul, ids, repeat(base)), ids[1:]))
    return _counts(zip(*(ids[i:] for i in range(n)), strict=False))


def _overlap(a: Counts, b: Counts) -> int:
    """Clipped n-gram matches: sum of min counts (iterating the smaller counter)."""
    if len(a) > len(b):
        a, b = b, a
    get = b.get
    total = 0
    for key, count in a.items():
        other = get(key)
        if other:
            total += count if count < other else other
    return total


Packed = tuple[dict[Token, int], int, list[tuple[int, int]]]


def _pack(sentences: Sequence[Sequence[Token]]) -> Packed:
    """Pack all prediction sentences into one bit-parallel LCS table.

    Sentence s owns bits ``[offset, offset + len)`` followed by one always-zero guard bit.
    Returns (token -> position bits, mask of all sentence bits, [(offset, sentence mask)]).
    In Hyyro's update only ``V + U`` carries (``V - U`` never borrows as ``U`` is a subset of
    ``V``), and a carry out of a sentence stops in its guard bit, so every sentence evolves
    exactly as if it were run alone: one pass over a reference sentence serves them all.
    """
    pm: dict[Token, int] = {}
    get = pm.get
    segments: list[tuple[int, int]] = []
    full = 0
    offset = 0
    for sent in sentences:
        if not sent:
            continue
        bit = 1 << offset
        for token in sent:
            pm[token] = get(token, 0) | bit
            bit <<= 1
        seg = (1 << len(sent)) - 1
        segments.append((offset, seg))
        full |= seg << offset
        offset += len(sent) + 1
    return pm, full, segments


def _union_indices(ref: Sequence[Token], packed: Packed) -> set[int]:
    """Union over prediction sentences of the reference indices on the LCS that
    `rouge_score._backtrack_norec` picks (rouge_score's `_union_lcs`, as indices).

    Rows are Hyyro bit vectors: in a sentence's bits, a 0 at ``j - 1`` of row i means
    ``L[i][j] = L[i][j - 1] + 1``, so ``L[i][j] = j - popcount(row & (2**j - 1))``.
    """
    pm, full, segments = packed
    get = pm.get
    v = full
    rows = [v]  # rows[k]: bit vector after the k-th reference token found in the prediction
    active: list[int] = []  # reference index of each such token
    masks: list[int] = []  # its positions in the prediction
    for i, token in enumerate(ref):
        bits = get(token)
        if bits is not None:
            u = v & bits
            if u:
                v = ((v + u) | (v - u)) & full
            rows.append(v)
            active.append(i)
            masks.append(bits)
    union: set[int] = set()
    if not active:
        return union
    add = union.add
    # Rows of tokens absent from a sentence equal the row above and never match there:
    # rouge_score walks straight up through them, so skipping inactive rows changes nothing.
    for offset, seg in segments:
        j = seg.bit_length()
        remaining = j - (v >> offset & seg).bit_count()  # invariant: L[i][j] == remaining
        k = len(active)
        while remaining:
            bits = masks[k - 1] >> offset & seg
            if not bits:  # token absent from this sentence: same row as above, go up
                k -= 1
                continue
            if bits >> (j - 1) & 1:  # ref[i-1] == can[j-1]: diagonal step
                add(active[k - 1])
                k -= 1
                j -= 1
                remaining -= 1
                continue
            row = rows[k] >> offset & seg
            above = rows[k - 1] >> offset & seg
            # rouge_score goes left iff L[i][j-1] > L[i-1][j], i.e. row i does not step at
            # j while the row above is one lower at j (adjacent rows differ by at most one).
            if (
                row != above
                and row >> (j - 1) & 1
                and (j - (above & ((1 << j) - 1)).bit_count() < remaining)
            ):
                # Going left stays true until a match or a step of row i: jump straight there.
                j = ((bits | ~row) & ((1 << (j - 1)) - 1)).bit_length()
            else:
                k -= 1
    return union


class _Prediction:
    """Prediction-side tables, built on first use and shared by all references."""

    __slots__ = (
        "ids",
        "ngrams",
        "packed",
        "sent_counts",
        "sentences",
        "token_ids",
        "tokens",
        "unigrams",
    )

    def __init__(self, tokens: Sequence[Token], sentences: Sequence[Sequence[Token]]) -> None:
        """Keep the token lists; nothing is computed for types that are not requested."""
        self.tokens = tokens
        self.sentences = sentences
        self.ids: dict[Token, int] | None = None
        self.token_ids: list[int] = []
        self.unigrams: Counts = {}
        self.ngrams: dict[int, Counts] = {}
        self.packed: Packed | None = None
        self.sent_counts: Counts = {}

    def dense(self) -> dict[Token, int]:
        """Token -> id (0..k-1) over the whole-text tokens; also fills unigrams, token_ids."""
        if self.ids is None:
            self.unigrams = _counts(self.tokens)
            self.ids = dict(zip(self.unigrams, range(len(self.unigrams)), strict=True))
            self.token_ids = list(map(self.ids.__getitem__, self.tokens))
        return self.ids

    def ngram_counts(self, n: int) -> Counts:
        """n-gram counts (n >= 2) over ids, with ``len(ids) + 1`` as packing base."""
        counts = self.ngrams.get(n)
        if counts is None:
            base = len(self.dense()) + 1
            counts = self.ngrams[n] = _id_ngrams(self.token_ids, n, base)
        return counts

    def lsum_table(self, tied: bool) -> Packed:
        """Packed sentence table and sentence-token counts for rougeLsum.

        ``tied``: the whole-text tokens are the sentences concatenated, so their counts are
        the unigram counts (an equal dict, counted once).
        """
        if self.packed is None:
            self.packed = _pack(self.sentences)
            if tied:
                self.dense()
                self.sent_counts = self.unigrams
            else:
                self.sent_counts = _counts(chain.from_iterable(self.sentences))
        return self.packed


def _triple(hits: int, n_pred: int, n_ref: int) -> Triple:
    """(precision, recall, F1) with rouge_score's exact operations."""
    precision = hits / n_pred
    recall = hits / n_ref
    return (precision, recall, _fmeasure(precision, recall))


def _score_whole(
    pred: _Prediction, ref: Sequence[Token], kind: int, ref_ids: list[int], ref_unigrams: Counts
) -> Triple:
    """ROUGE-N (`_score_ngrams`, denominators floored at 1) or ROUGE-L (`_score_lcs`)."""
    if kind == L:
        if not ref or not pred.tokens:
            return _ZERO
        return _triple(int(LCSseq.similarity(ref_ids, pred.token_ids)), len(pred.tokens), len(ref))
    n_pred = max(len(pred.tokens) - kind + 1, 1)
    n_ref = max(len(ref) - kind + 1, 1)
    if kind == 1:
        hits = _overlap(ref_unigrams, pred.unigrams)
    else:
        hits = _overlap(_id_ngrams(ref_ids, kind, len(pred.dense()) + 1), pred.ngram_counts(kind))
    return _triple(hits, n_pred, n_ref)


def _score_lsum(
    pred: _Prediction, ref_sents: Sequence[Sequence[Token]], ref_counts: Counts | None
) -> Triple:
    """ROUGE-Lsum as `rouge_score._summary_level_lcs`, including its hit de-duplication.

    ``ref_counts``: the reference's token counts when already known (tied texts), else None.
    """
    if not ref_sents or not pred.sentences:
        return _ZERO
    m = sum(map(len, ref_sents))
    n = sum(map(len, pred.sentences))
    if not n or not m:
        return _ZERO
    packed = pred.lsum_table(ref_counts is not None)
    # Tokens on an LCS occur in both texts, so plain dicts never miss a key below.
    cnt_c = pred.sent_counts.copy()
    cnt_r = ref_counts.copy() if ref_counts is not None else _counts(chain.from_iterable(ref_sents))
    hits = 0
    for ref in ref_sents:
        # Hit decisions for a token depend only on that token's counts: order is irrelevant.
        for index in _union_indices(ref, packed):
            token = ref[index]
            if cnt_c[token] > 0 and cnt_r[token] > 0:
                hits += 1
                cnt_c[token] -= 1
                cnt_r[token] -= 1
    return _triple(hits, n, m)


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
    whole-text tokens are its sentence tokens concatenated, so counts are shared.
    """
    n_refs = len(refs_tokens)
    if n_refs != len(refs_sentences):
        raise ValueError("refs_tokens and refs_sentences must have one entry per reference")
    if not n_refs:
        raise ValueError("at least one reference is required")
    pred = _Prediction(pred_tokens, pred_sentences)
    need_ids = any(kind not in (1, LSUM) for _name, kind in specs)
    need_unigrams = any(kind == 1 for _name, kind in specs) or (
        tied and any(kind == LSUM for _name, kind in specs)
    )
    best: list[Triple] = []
    for k in range(n_refs):
        ref = refs_tokens[k]
        ref_ids: list[int] = []
        if need_ids:
            ids = pred.dense()  # absent tokens get the spare id len(ids): they never match
            ref_ids = list(map(ids.get, ref, repeat(len(ids))))
        ref_unigrams = _counts(ref) if need_unigrams else {}
        if need_unigrams:
            pred.dense()
        for index, (_name, kind) in enumerate(specs):
            if kind == LSUM:
                value = _score_lsum(pred, refs_sentences[k], ref_unigrams if tied else None)
            else:
                value = _score_whole(pred, ref, kind, ref_ids, ref_unigrams)
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
