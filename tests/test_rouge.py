"""Text-level Arabic ROUGE: correct where `rouge_score`'s default tokenizer is not, and equal
to `rouge_score` (given our tokenizer) on real BBC Arabic data."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from rouge_score import rouge_scorer

from harness.scoring.rouge import (
    ROUGE_TYPES,
    RougeScore,
    iter_scores,
    score_batch,
    score_pair,
)
from harness.text.arabic import ArabicTokenizer

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BBC = DATA_DIR / "ant_bbc_summaries.jsonl"

TOK = ArabicTokenizer()
REFERENCE = "ذهب أحمد إلى المدرسة في الساعة 7 صباحا وقرأ كتابا مسلى عن تاريخ العرب."
PREDICTION = "ذهب أحمد إلى السوق في الساعة 7 مساء واشترى كتابا مسلى."


def _triples(scores: dict[str, RougeScore]) -> dict[str, tuple[float, float, float]]:
    return {k: (v.precision, v.recall, v.fmeasure) for k, v in scores.items()}


def _reference_scores(
    prediction: str, references: Sequence[str], types: Sequence[str] = ROUGE_TYPES
) -> dict[str, tuple[float, float, float]]:
    """rouge_score itself with our tokenizer; rougeLsum sees our (normalized) sentences, one
    per line, which it re-tokenizes itself (normalization is idempotent)."""
    lines = "\n".join
    out: dict[str, tuple[float, float, float]] = {}
    for name in types:
        scorer = rouge_scorer.RougeScorer([name], use_stemmer=False, tokenizer=TOK)
        if name == "rougeLsum":
            pred = lines(TOK.sentence_texts(prediction))
            refs = [lines(TOK.sentence_texts(r)) for r in references]
        else:
            pred, refs = prediction, list(references)
        s = scorer.score_multi(refs, pred)[name]
        out[name] = (s.precision, s.recall, s.fmeasure)
    return out


def _assert_close(got: dict[str, RougeScore], want: dict[str, tuple[float, float, float]]) -> None:
    assert list(got) == list(want)
    for name, triple in _triples(got).items():
        assert triple == pytest.approx(want[name], abs=1e-12), name


def _bbc_rows(n: int) -> list[dict[str, str]]:
    """First ``n`` BBC rows; CI always has shared/data, so absence is a failure, not a skip."""
    if not BBC.is_file():
        pytest.fail(f"evaluation data missing: {BBC} (shared/data must sit beside the repo)")
    with BBC.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in itertools.islice(fh, n)]


def test_identical_arabic_scores_one_where_default_tokenizer_scores_zero() -> None:
    text = "ذهب أحمد إلى المدرسة صباحا.\nوقرأ كتابا عن تاريخ العرب."  # no ASCII digits
    default = rouge_scorer.RougeScorer(list(ROUGE_TYPES)).score(text, text)
    assert all(default[t].fmeasure == 0.0 for t in ROUGE_TYPES)
    ours = score_pair(text, [text], TOK)
    assert all(ours[t] == RougeScore(1.0, 1.0, 1.0) for t in ROUGE_TYPES)


@pytest.mark.parametrize(
    "variant",
    [
        # harakat and shadda
        "ذَهَبَ أَحْمَدُ إِلَى السُّوقِ فِي السَّاعَةِ 7 مَسَاءً وَاشْتَرَى كِتَابًا مُسَلًّى.",
        # hamza forms on alef
        "ذهب احمد الى السوق في الساعة 7 مساء واشترى كتابا مسلى.",
        "ذهب آحمد إلى السوق في الساعة 7 مساء وٱشترى كتابا مسلى.",
        # tatweel
        "ذهـــب أحمـد إلى الســوق في الساعة 7 مساء واشترى كتـــابا مسلى.",
        # alef maksura vs yeh
        "ذهب أحمد إلي السوق في الساعة 7 مساء واشتري كتابا مسلي.",
        # Arabic-Indic and Persian digits
        "ذهب أحمد إلى السوق في الساعة ٧ مساء واشترى كتابا مسلى.",
        "ذهب أحمد إلى السوق في الساعة ۷ مساء واشترى كتابا مسلى.",
        # Arabic comma/semicolon and a final Arabic question mark
        "ذهب أحمد، إلى السوق؛ في الساعة 7 مساء، واشترى كتابا مسلى؟",
        # RLM between words and ZWNJ inside words
        "ذهب\u200f أحمد إلى ال\u200cسوق في \u200fالساعة 7 مساء واشت\u200cرى كتابا مسلى.",
    ],
)
def test_arabic_spelling_variants_do_not_change_scores(variant: str) -> None:
    base = score_pair(PREDICTION, [REFERENCE], TOK)
    assert 0.0 < base["rouge1"].fmeasure < 1.0
    assert score_pair(variant, [REFERENCE], TOK) == base


def test_multi_reference_picks_best_per_type() -> None:
    pred = "قال الوزير إن الحكومة ستعلن"
    by_unigrams = "ستعلن الحكومة إن الوزير قال"  # same words, reversed: best rouge1 only
    by_order = "قال الوزير إن مصادر أخرى"  # shared prefix: best rouge2 and rougeL
    got = score_pair(pred, [by_unigrams, by_order], TOK)
    first = score_pair(pred, [by_unigrams], TOK)
    second = score_pair(pred, [by_order], TOK)
    assert got["rouge1"] == first["rouge1"]
    assert got["rouge2"] == second["rouge2"]
    assert got["rougeL"] == second["rougeL"]
    assert first["rouge1"].fmeasure == 1.0
    # Ties go to the first reference, as numpy.argmax in rouge_score.
    assert score_pair(pred, [by_order, by_order + " أيضا"], TOK) == second
    _assert_close(got, _reference_scores(pred, [by_unigrams, by_order]))


@pytest.mark.parametrize(
    ("pred", "ref"), [("", REFERENCE), (REFERENCE, ""), ("", ""), ("...", "؟")]
)
def test_empty_prediction_or_reference_scores_zero(pred: str, ref: str) -> None:
    got = score_pair(pred, [ref], TOK)
    assert all(got[t] == RougeScore(0.0, 0.0, 0.0) for t in ROUGE_TYPES)
    _assert_close(got, _reference_scores(pred, [ref]))


def test_unknown_type_and_bad_arguments() -> None:
    with pytest.raises(ValueError, match="rougeW"):
        score_pair(PREDICTION, [REFERENCE], TOK, ["rouge1", "rougeW"])
    with pytest.raises(ValueError, match="at least one reference"):
        score_pair(PREDICTION, [], TOK)
    with pytest.raises(TypeError, match="sequence of strings"):
        score_pair(PREDICTION, REFERENCE, TOK)
    with pytest.raises(ValueError, match="reference lists"):
        score_batch([PREDICTION], [], TOK)
    with pytest.raises(ValueError, match="processes"):
        iter_scores([(PREDICTION, [REFERENCE])], TOK, processes=0)
    with pytest.raises(ValueError, match="rouge0"):
        iter_scores([], TOK, ["rouge0"])


def test_lsum_sentences_are_split_after_normalization() -> None:
    """An RLM before a decimal point must not split "3.5" into two rougeLsum sentences."""
    pred = "ارتفع السعر 3\u200f.5 بالمئة اليوم. وقال الوزير"
    ref = "ارتفع السعر 3.5 بالمئة"
    got = score_pair(pred, [ref], TOK)
    assert got == score_pair(pred.replace("\u200f", ""), [ref], TOK)
    _assert_close(got, _reference_scores(pred, [ref]))


def test_subset_of_types() -> None:
    for types in (["rougeLsum"], ["rouge2", "rougeL"], ["rouge3"]):
        got = score_pair(PREDICTION + "\n" + REFERENCE, [REFERENCE], TOK, types)
        _assert_close(got, _reference_scores(PREDICTION + "\n" + REFERENCE, [REFERENCE], types))


def _lead_pairs(rows: list[dict[str, str]], k: int) -> list[tuple[str, list[str]]]:
    return [("\n".join(TOK.sentences(r["article"])[:k]), [r["summary"]]) for r in rows]


def test_batch_preserves_order_and_equals_pairs() -> None:
    pairs = _lead_pairs(_bbc_rows(40), 2)
    pairs += [("", [REFERENCE]), (PREDICTION, [REFERENCE, PREDICTION])]
    preds = [p for p, _ in pairs]
    refs = [r for _, r in pairs]
    batch = score_batch(preds, refs, TOK)
    assert batch == [score_pair(p, r, TOK) for p, r in pairs]
    assert score_batch(preds[::-1], refs[::-1], TOK) == batch[::-1]


def test_two_processes_equal_one() -> None:
    pairs = _lead_pairs(_bbc_rows(300), 3) * 2
    preds = [p for p, _ in pairs]
    refs = [r for _, r in pairs]
    assert score_batch(preds, refs, TOK, processes=2) == score_batch(preds, refs, TOK, processes=1)


def test_workers_and_this_process_share_a_batch_in_order() -> None:
    """With k processes this one scores chunks too; order and values must not change,
    and a bad pair fails the batch wherever it lands (first chunk or last)."""
    pairs = _lead_pairs(_bbc_rows(300), 2) * 2
    preds = [p for p, _ in pairs]
    refs = [r for _, r in pairs]
    expected = score_batch(preds, refs, TOK, processes=1)
    assert score_batch(preds, refs, TOK, processes=3) == expected
    assert list(iter_scores(zip(preds, refs, strict=True), TOK, processes=2)) == expected
    for where in (0, len(pairs) - 1):
        bad: list[Sequence[str]] = list(refs)
        bad[where] = REFERENCE  # a bare string, not a list of references
        with pytest.raises(TypeError, match="sequence of strings"):
            score_batch(preds, bad, TOK, processes=2)


@pytest.mark.parametrize("processes", [1, 2])
def test_iter_scores_streams_an_endless_input(processes: int) -> None:
    """Results arrive while the input is still being produced (bounded, in order)."""
    pairs = _lead_pairs(_bbc_rows(20), 1)
    expected = score_batch([p for p, _ in pairs], [r for _, r in pairs], TOK, processes=1)
    stream = iter_scores(itertools.cycle(pairs), TOK, processes=processes)
    got = list(itertools.islice(stream, 700))
    assert got == list(itertools.islice(itertools.cycle(expected), 700))


def test_real_bbc_lead1_equals_rouge_score() -> None:
    rows = _bbc_rows(200)
    assert len(rows) == 200
    pairs = _lead_pairs(rows, 1)
    got = score_batch([p for p, _ in pairs], [r for _, r in pairs], TOK)
    assert any(s["rouge1"].fmeasure > 0 for s in got)
    for (pred, refs), scores in zip(pairs, got, strict=True):
        _assert_close(scores, _reference_scores(pred, refs))
