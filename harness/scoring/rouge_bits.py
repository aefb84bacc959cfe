"""Bit-parallel tables of a prediction, from which every ROUGE count is read.

`rouge_score` builds a full Python LCS table for ROUGE-L and for every (reference sentence,
prediction sentence) pair of ROUGE-Lsum, and counts n-grams of both texts. Here one pass over
the prediction builds a `Layout`: each token maps to the bit mask of its positions, sentences
laid end to end with one empty guard column between them. From it:

* n-gram counts of the prediction: ``popcount(mask[a] & mask[b] >> 1 & ...)``, so only the
  reference's n-grams are ever enumerated;
* the whole-text LCS length (ROUGE-L) by Hyyro's bit-parallel LCS, guard columns acting as
  tokens that never match (they change no LCS);
* every sentence's LCS at once (ROUGE-Lsum): the same update restricted to sentence columns,
  where guard columns stay zero and stop carries, so each sentence evolves alone. Each row's
  bit vector is a row of the DP table in difference form (``L[i][j] = j - popcount(V_i &
  (2**j - 1))``), from which `rouge_score._backtrack_norec`'s exact walk, ties included, is
  replayed in O(len(ref) + len(pred)) steps instead of an O(len(ref) * len(pred)) table.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

Token = Hashable


@dataclass(frozen=True, slots=True)
class Layout:
    """A prediction's tokens as bit masks (see the module docstring).

    ``masks``: token -> bits of its columns. ``whole``: every column, guards included.
    ``sentences``: sentence columns only. ``segments``: (first column, bit mask) per non-empty
    sentence. ``size``: number of tokens. ``joins``: counts of the bigrams that straddle a
    guard (last token of a sentence, first of the next), which shifted masks cannot see.
    """

    masks: dict[Token, int]
    whole: int
    sentences: int
    segments: list[tuple[int, int]]
    size: int
    joins: dict[tuple[Token, Token], int]


def layout(sentences: Sequence[Sequence[Token]]) -> Layout:
    """Lay out sentences as described in `Layout`; a whole text is one sentence."""
    masks: dict[Token, int] = {}
    get = masks.get
    segments: list[tuple[int, int]] = []
    joins: dict[tuple[Token, Token], int] = {}
    packed = 0
    offset = 0
    last: Token | None = None
    for sent in sentences:
        if not sent:
            continue
        bit = 1 << offset
        for token in sent:
            masks[token] = get(token, 0) | bit
            bit <<= 1
        seg = (1 << len(sent)) - 1
        segments.append((offset, seg))
        packed |= seg << offset
        if segments[1:]:
            key = (last, sent[0])
            joins[key] = joins.get(key, 0) + 1
        last = sent[-1]
        offset += len(sent) + 1
    return Layout(masks, (1 << max(offset - 1, 0)) - 1, packed, segments, packed.bit_count(), joins)


def ngram_count(gram: Sequence[Token], table: Layout) -> int:
    """Occurrences of ``gram`` in the laid-out text, not counting ones across a guard."""
    masks = table.masks
    bits = masks.get(gram[0], 0)
    for shift in range(1, len(gram)):
        if not bits:
            return 0
        bits &= masks.get(gram[shift], 0) >> shift
    return bits.bit_count()


def lcs_length(ref: Sequence[Token], table: Layout) -> int:
    """Length of the LCS of ``ref`` and the whole laid-out text (Hyyro's bit-parallel LCS)."""
    get = table.masks.get
    full = table.whole
    v = full
    for token in ref:
        bits = get(token)
        if bits is not None:
            u = v & bits
            if u:
                v = ((v + u) | (v - u)) & full
    return table.size - (v & table.sentences).bit_count()


def union_indices(ref: Sequence[Token], table: Layout) -> set[int]:
    """Union over the laid-out sentences of the reference indices on the LCS that
    `rouge_score._backtrack_norec` picks (rouge_score's `_union_lcs`, as indices).

    Rows are Hyyro bit vectors: in a sentence's bits, a 0 at ``j - 1`` of row i means
    ``L[i][j] = L[i][j - 1] + 1``, so ``L[i][j] = j - popcount(row & (2**j - 1))``.
    """
    get = table.masks.get
    full = table.sentences
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
    for offset, seg in table.segments:
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
