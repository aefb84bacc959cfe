"""`rouge_fast` must equal `rouge_score`'s arithmetic exactly, ties included.

Small alphabets make equal-length LCS alternatives frequent, which is exactly where a different
backtrack would change ROUGE-Lsum (its hits are counted per token type). `rouge_score` is driven
at the token level through a whitespace tokenizer over tokens such as ``"t0 t1"``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer

from harness.scoring.rouge_bits import layout, union_indices
from harness.scoring.rouge_fast import (
    ROUGE_TYPES,
    parse_rouge_types,
    score_parsed,
    score_tokens,
)

Sents = list[list[int]]


class _Whitespace:
    """Token-level driver for rouge_score: one whitespace-separated token per symbol."""

    def tokenize(self, text: str) -> list[str]:
        return text.split()


_WS = _Whitespace()
_NON_LSUM = [t for t in ROUGE_TYPES if t != "rougeLsum"]
_SCORER = rouge_scorer.RougeScorer(_NON_LSUM, use_stemmer=False, tokenizer=_WS)
_LSUM_SCORER = rouge_scorer.RougeScorer(["rougeLsum"], use_stemmer=False, tokenizer=_WS)


def _words(tokens: Sequence[int]) -> str:
    return " ".join(f"t{t}" for t in tokens)


def _lines(sents: Sents) -> str:
    return "\n".join(_words(s) for s in sents)


def _expected(
    pred: list[int], pred_sents: Sents, refs: list[list[int]], refs_sents: list[Sents]
) -> dict[str, tuple[float, float, float]]:
    """rouge_score on the same tokens; whole-text and sentence tokens may differ on purpose."""
    out = _SCORER.score_multi([_words(r) for r in refs], _words(pred))
    out.update(_LSUM_SCORER.score_multi([_lines(s) for s in refs_sents], _lines(pred_sents)))
    return {k: (v.precision, v.recall, v.fmeasure) for k, v in out.items()}


@st.composite
def _cases(draw: st.DrawFn) -> tuple[list[int], Sents, list[list[int]], list[Sents], bool]:
    """Prediction + 1-3 references over a 2-4 symbol alphabet, with 0-4 sentences each."""
    symbol = st.integers(0, draw(st.integers(2, 4)) - 1)
    seq = st.lists(symbol, max_size=30)
    sents = st.lists(st.lists(symbol, max_size=30), max_size=4)
    # Whole-text tokens are usually the sentences concatenated, sometimes independent.
    tied = draw(st.booleans())

    def text() -> tuple[list[int], Sents]:
        parts = draw(sents)
        whole = [t for s in parts for t in s] if tied else draw(seq)
        return whole, parts

    pred, pred_sents = text()
    refs = [text() for _ in range(draw(st.integers(1, 3)))]
    as_str = draw(st.booleans())
    return pred, pred_sents, [r for r, _ in refs], [s for _, s in refs], as_str


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_cases())
def test_score_tokens_equals_rouge_score(
    case: tuple[list[int], Sents, list[list[int]], list[Sents], bool],
) -> None:
    pred, pred_sents, refs, refs_sents, as_str = case
    expected = _expected(pred, pred_sents, refs, refs_sents)
    tied = pred == [t for s in pred_sents for t in s] and all(
        r == [t for s in rs for t in s] for r, rs in zip(refs, refs_sents, strict=True)
    )
    if tied:  # the shortcut that shares counts between whole text and sentences
        specs = parse_rouge_types(ROUGE_TYPES)
        shared = score_parsed(pred, pred_sents, refs, refs_sents, specs, tied=True)
        assert shared == score_parsed(pred, pred_sents, refs, refs_sents, specs)
    if as_str:  # the same tokens as strings must give the same values as ints
        got = score_tokens(
            [f"t{t}" for t in pred],
            [[f"t{t}" for t in s] for s in pred_sents],
            [[f"t{t}" for t in r] for r in refs],
            [[[f"t{t}" for t in s] for s in rs] for rs in refs_sents],
        )
    else:
        got = score_tokens(pred, pred_sents, refs, refs_sents)
    assert list(got) == list(ROUGE_TYPES)
    for name in ROUGE_TYPES:
        value = got[name]
        want = expected[name]
        assert value.precision == pytest.approx(want[0], abs=1e-12), name
        assert value.recall == pytest.approx(want[1], abs=1e-12), name
        assert value.fmeasure == pytest.approx(want[2], abs=1e-12), name


_ALL_TYPES = ["rouge1", "rouge2", "rouge3", "rougeL", "rougeLsum"]


@st.composite
def _tied_cases(draw: st.DrawFn) -> tuple[Sents, list[Sents], list[str]]:
    """Texts whose whole-text tokens are their sentences joined, as `score_batch` passes
    them: one table then serves every type, bigrams across sentences come from its joins."""
    symbol = st.integers(0, draw(st.integers(2, 4)) - 1)
    sents = st.lists(st.lists(symbol, max_size=12), max_size=5)
    types = draw(st.lists(st.sampled_from(_ALL_TYPES), min_size=1, max_size=5, unique=True))
    return draw(sents), draw(st.lists(sents, min_size=1, max_size=3)), types


@settings(max_examples=400, deadline=None, derandomize=True)
@given(_tied_cases())
def test_tied_texts_equal_rouge_score_for_any_types(
    case: tuple[Sents, list[Sents], list[str]],
) -> None:
    pred_sents, refs_sents, types = case
    pred = [t for s in pred_sents for t in s]
    refs = [[t for s in rs for t in s] for rs in refs_sents]
    got = score_parsed(pred, pred_sents, refs, refs_sents, parse_rouge_types(types), tied=True)
    whole = [t for t in types if t != "rougeLsum"]
    want = {}
    if whole:
        scorer = rouge_scorer.RougeScorer(whole, use_stemmer=False, tokenizer=_WS)
        want.update(scorer.score_multi([_words(r) for r in refs], _words(pred)))
    if "rougeLsum" in types:
        want.update(_LSUM_SCORER.score_multi([_lines(s) for s in refs_sents], _lines(pred_sents)))
    for name, value in zip(types, got, strict=True):
        expected = (want[name].precision, want[name].recall, want[name].fmeasure)
        assert value == pytest.approx(expected, abs=1e-12), name


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.integers(2, 4).flatmap(
        lambda k: st.tuples(
            st.lists(st.integers(0, k - 1), max_size=30),
            st.lists(st.lists(st.integers(0, k - 1), max_size=30), max_size=4),
        )
    )
)
def test_union_indices_match_backtrack(pair: tuple[list[int], Sents]) -> None:
    """The exact union-LCS positions (not just their tokens) equal rouge_score's choice,
    with all prediction sentences packed into one bit-parallel pass."""
    ref, cands = pair
    want = rouge_scorer._find_union([rouge_scorer.lcs_ind(ref, c) for c in cands])
    assert sorted(union_indices(ref, layout(cands))) == want


def test_higher_order_ngrams_and_type_order() -> None:
    """rouge3 works, results follow the requested order, duplicates are harmless."""
    pred, ref = [1, 2, 3, 4, 1, 2, 3], [1, 2, 3, 1, 2, 3, 4]
    got = score_tokens(pred, [pred], [ref], [[ref]], ["rouge3", "rougeL", "rouge1"])
    assert list(got) == ["rouge3", "rougeL", "rouge1"]
    want = rouge_scorer.RougeScorer(["rouge3"], tokenizer=_WS).score(_words(ref), _words(pred))
    assert got["rouge3"].fmeasure == want["rouge3"].fmeasure


@pytest.mark.parametrize("name", ["rouge0", "rougeX", "rouge10", "ROUGE1", "rougeLSum", ""])
def test_invalid_types(name: str) -> None:
    with pytest.raises(ValueError, match="Invalid rouge type"):
        parse_rouge_types(["rouge1", name])


def test_bad_shapes() -> None:
    with pytest.raises(ValueError, match="at least one reference"):
        score_tokens([1], [[1]], [], [])
    with pytest.raises(ValueError, match="one entry per reference"):
        score_tokens([1], [[1]], [[1]], [])
    with pytest.raises(TypeError):
        parse_rouge_types("rouge1")
