"""Summary diagnostics: hand-computed fragments, coverage, density, novelty and numbers."""

from __future__ import annotations

import pytest

from harness.metrics.diagnostics import Diagnostics
from harness.metrics.rouge import Rouge, RougeSettings
from harness.scoring.bootstrap import BootstrapConfig
from harness.scoring.diagnostics import (
    aggregate_diagnostics,
    canonical_number,
    extractive_fragments,
    novel_ngram_share,
    numbers_in,
    summary_diagnostics,
    token_diagnostics,
    unsupported_numbers,
)
from harness.text import ArabicTokenizer, NormalizationOptions

TOK = ArabicTokenizer()
ARTICLE = "ذهب الولد إلى المدرسة صباحاً. ثم عاد إلى البيت مساءً مع أخيه."


def test_copied_summary_is_fully_extractive() -> None:
    d = summary_diagnostics(ARTICLE, "ذهب الولد إلى المدرسة صباحاً", TOK)
    assert d["coverage"] == 1.0
    assert d["density"] == 5.0  # one fragment of 5 tokens: 5**2 / 5
    assert d["novel_1gram"] == 0.0 and d["novel_2gram"] == 0.0
    assert d["compression"] == pytest.approx(12 / 5)
    assert d["unsupported_numbers"] == [] and d["n_unsupported_numbers"] == 0


def test_fully_novel_summary() -> None:
    d = summary_diagnostics(ARTICLE, "سافرت العائلة في عطلة طويلة", TOK)
    assert d["coverage"] == 0.0 and d["density"] == 0.0
    assert d["novel_1gram"] == 1.0 and d["novel_2gram"] == 1.0


def test_mixed_summary_hand_computed() -> None:
    # Fragments: "ذهب الولد" (2) and "الي البيت" (2); "سريعا" is novel: 4/5 covered.
    article = TOK.tokenize(ARTICLE)
    summary = TOK.tokenize("ذهب الولد سريعاً إلى البيت")
    assert extractive_fragments(article, summary) == [["ذهب", "الولد"], ["الي", "البيت"]]
    d = token_diagnostics(article, summary)
    assert d["coverage"] == pytest.approx(4 / 5)
    assert d["density"] == pytest.approx((4 + 4) / 5)
    assert d["novel_1gram"] == pytest.approx(1 / 5)
    # bigrams: (ذهب الولد) old, (الولد سريعا) new, (سريعا الي) new, (الي البيت) old
    assert d["novel_2gram"] == pytest.approx(2 / 4)


def test_greedy_takes_longest_match_per_position() -> None:
    article = ["a", "b", "x", "a", "b", "c", "d"]
    assert extractive_fragments(article, ["a", "b", "c", "z", "d"]) == [["a", "b", "c"], ["d"]]
    assert extractive_fragments([], ["a"]) == []
    assert extractive_fragments(["a"], []) == []


def test_novel_share_undefined_for_short_summary() -> None:
    assert novel_ngram_share(["a", "b"], ["a"], 2) is None
    assert novel_ngram_share(["a", "b"], ["a", "a", "c"], 1) == pytest.approx(1 / 2)  # distinct


def test_number_not_in_article_is_flagged() -> None:
    article = "قتل ١٢ شخصاً وأصيب 30 آخرون في عام 2018م."
    d = summary_diagnostics(article, "مقتل 12 شخصاً وإصابة ٤٠ في 2018", TOK)
    assert d["unsupported_numbers"] == ["40"]
    assert d["n_unsupported_numbers"] == 1


def test_indic_and_ascii_digits_match_even_without_ascii_folding() -> None:
    raw = ArabicTokenizer(NormalizationOptions(ascii_digits=False))
    article, summary = "بلغت النسبة ٣٫٥ بالمئة من ١٬٠٠٠", "النسبة 3.5 من 1000"
    assert unsupported_numbers(raw.tokenize(article), raw.tokenize(summary)) == []
    assert unsupported_numbers(TOK.tokenize(article), TOK.tokenize(summary)) == []
    assert canonical_number("۲۰۲۴") == "2024"  # Persian digits too
    assert numbers_in(["2018م", "كوفيد19", "كلمة"]) == ["2018", "19"]


def test_empty_summary_has_undefined_ratios() -> None:
    d = summary_diagnostics(ARTICLE, "", TOK)
    assert d["summary_tokens"] == 0
    assert d["compression"] is None and d["coverage"] is None and d["novel_1gram"] is None


def test_aggregate_means_and_flag_share() -> None:
    rows = [
        summary_diagnostics(ARTICLE, "ذهب الولد إلى المدرسة صباحاً", TOK),
        summary_diagnostics(ARTICLE, "سافرت العائلة 3 أيام", TOK),
        summary_diagnostics(ARTICLE, "", TOK),
    ]
    agg = aggregate_diagnostics(rows)
    assert agg["n"] == 3
    assert agg["mean_coverage"] == pytest.approx(0.5)  # (1 + 0) / 2, the empty one undefined
    assert agg["mean_n_unsupported_numbers"] == pytest.approx(1 / 3)
    assert agg["share_with_unsupported_numbers"] == pytest.approx(1 / 3)
    assert aggregate_diagnostics([])["mean_coverage"] is None


def test_score_summaries_reports_diagnostics_outside_metrics() -> None:
    import asyncio

    from harness.metrics.base import Item
    from harness.scoring.task_scores import aggregate, score_items

    metrics = [Rouge(RougeSettings(types=("rouge1",))), Diagnostics()]
    items = [Item("a", {"article": ARTICLE, "references": ["ذهب الولد"]},
                  "ذهب الولد إلى المدرسة صباحاً"),
             Item("b", {"article": ARTICLE, "references": ["عاد"]}, None)]
    per_example = asyncio.run(score_items(metrics, items))
    records = [{"id": "a", "error": None, "scores": per_example[0]},
               {"id": "b", "error": "failed", "scores": None}]
    scores = aggregate(metrics, records, BootstrapConfig(resamples=100), items, per_example)
    assert per_example[0]["diagnostics"]["coverage"] == 1.0
    assert per_example[1] == {}  # failed call: not scored, no diagnostics
    diag = scores.details["diagnostics"]
    assert diag["predictions"]["n"] == 1 and diag["references"]["n"] == 1
    assert diag["references"]["mean_compression"] == pytest.approx(12 / 2)
    assert not any(name.startswith(("coverage", "density", "mean_")) for name in scores.values)
