"""ROUGE compatibility presets and the signature: what each preset gives on bundled data.

Fixed pairs: the first 20 MArSum test articles' first two sentences (one per line) against
their headlines. The harness's default and `rouge_score_lines` agree except for rougeLsum
(lines instead of the harness's sentence split); `xlsum` tokenizes and stems as the XL-Sum
paper's scorer, without Arabic normalization, and scores every type higher on this data.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from helpers import REPO, write_jsonl, write_task
from rouge_score.rouge_scorer import RougeScorer

import harness.text.presets as presets
from harness.cli import main
from harness.metrics.rouge import Rouge, RougeSettings
from harness.scoring.rouge import score_batch
from harness.tasks.spec import parse_task_file
from harness.text import ArabicTokenizer
from harness.text.presets import XLSumTokenizer

EXPECTED = {  # mean F1 over the 20 pairs
    "harness": {"rouge1": 0.17355929038126244, "rouge2": 0.07358338574833086,
                "rougeL": 0.15053223908564645, "rougeLsum": 0.1589235417775994},
    "rouge_score_lines": {"rouge1": 0.17355929038126244, "rouge2": 0.07358338574833086,
                          "rougeL": 0.15053223908564645, "rougeLsum": 0.15187608604979175},
    # with an empty stopword list standing in for NLTK's (not installed where tests run)
    "xlsum": {"rouge1": 0.22886188711961664, "rouge2": 0.0913188631928972,
              "rougeL": 0.18873503511787115, "rougeLsum": 0.19703341087195486},
}


@pytest.fixture
def no_stopwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(presets, "load_stopwords", lambda: frozenset())


def _pairs() -> tuple[list[str], list[list[str]]]:
    tok = ArabicTokenizer()
    lines = (REPO / "references/marsum/marsum_headlines.jsonl").read_text("utf-8").splitlines()
    rows = [json.loads(line) for line in lines[:20]]
    return (["\n".join(tok.sentences(r["article"])[:2]) for r in rows],
            [[r["summary"]] for r in rows])


@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_preset_values_on_bundled_pairs(preset: str, no_stopwords: None) -> None:
    predictions, references = _pairs()
    results = score_batch(predictions, references, RougeSettings(preset=preset).tokenizer(),
                          processes=1)
    means = {t: statistics.fmean(r[t].fmeasure for r in results) for t in results[0]}
    assert means == pytest.approx(EXPECTED[preset], abs=1e-12)


def test_how_the_presets_differ() -> None:
    harness, lines, xlsum = (EXPECTED[p] for p in ("harness", "rouge_score_lines", "xlsum"))
    assert {t: harness[t] for t in ("rouge1", "rouge2", "rougeL")} == {
        t: lines[t] for t in ("rouge1", "rouge2", "rougeL")}
    assert lines["rougeLsum"] < harness["rougeLsum"]  # fewer, longer "sentences"
    assert all(xlsum[t] > harness[t] for t in harness)  # stemming matches more words


def test_rouge_score_lines_is_rouge_score_on_raw_text() -> None:
    predictions, references = _pairs()
    tokenizer = RougeSettings(preset="rouge_score_lines").tokenizer()
    ours = score_batch(predictions, references, tokenizer, ["rougeLsum"], processes=1)
    scorer = RougeScorer(["rougeLsum"], tokenizer=ArabicTokenizer())
    for mine, prediction, refs in zip(ours, predictions, references, strict=True):
        theirs = scorer.score_multi(refs, prediction)["rougeLsum"]
        assert mine["rougeLsum"].fmeasure == pytest.approx(theirs.fmeasure, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("إن COVID19 و2015", ["إن", "covid", "19", "و", "2015"]),  # letters | digits
        ("ارتفع 3.5٪، ثم", ["ارتفع", "3", "5", "ثم"]),  # punctuation separates
        ("الرئيسُ\u200fقال", ["الرئيسُقال"]),  # format characters deleted, harakat kept
        ("أحمد $100", ["أحمد", "100"]),
        ("سعر €5", ["سعر", "€", "5"]),  # other symbols are tokens of their own
    ],
)
def test_xlsum_tokens(text: str, expected: list[str]) -> None:
    assert XLSumTokenizer(stem=False).tokenize(text) == expected


def test_xlsum_stems_only_longer_tokens_and_keeps_stopwords() -> None:
    tok = XLSumTokenizer(stopwords={"الكتاب"})
    assert tok.tokenize("الكتاب المدرسة في") == ["الكتاب", "مدرس", "في"]


def test_xlsum_without_nltk_stopwords_fails_validation(tmp_path: Path, capsys,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import nltk.corpus

    class Missing:
        def words(self, language: str) -> list[str]:
            raise LookupError(language)

    monkeypatch.setattr(nltk.corpus, "stopwords", Missing())
    presets.load_stopwords.cache_clear()
    write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "article": "نص", "summary": "نص"}])
    task = write_task(tmp_path, {"name": "t", "version": 1, "kind": "summarization",
                                 "data": {"path": "d.jsonl", "fields": {"references": "summary"}},
                                 "prompt": {"user": "{{ article }}"},
                                 "metrics": {"rouge": {"preset": "xlsum"}}})
    assert main(["validate", str(task)]) == 2
    assert "nltk" in capsys.readouterr().err.lower()
    presets.load_stopwords.cache_clear()


def test_signatures_tell_the_presets_apart(no_stopwords: None) -> None:
    signatures = {p: Rouge(RougeSettings(preset=p)).record_settings()["signature"]
                  for p in EXPECTED}
    assert len(set(signatures.values())) == 3
    assert signatures["harness"] == (
        "rouge|preset:harness|tok:harness.arabic@2.0.0|"
        "norm:nfkc+inv+diac+tatweel+alef+yeh+digits+ta+lc|stem:no|lsum:punct+lines|"
        "multiref:max-f1")
    assert "lsum:lines" in signatures["rouge_score_lines"]
    assert "tok:xlsum.multilingual_rouge.arabic@1.0.0" in signatures["xlsum"]


def test_preset_left_out_keeps_definition_hashes() -> None:
    spec = parse_task_file(REPO / "tasks/marsum_headlines.yaml")
    explicit = spec.model_copy(update={"metrics": {
        **spec.metrics, "rouge": RougeSettings(**{**dict(spec.metric_settings("rouge")),
                                                  "preset": "harness"})}})
    assert explicit.definition_hash() == spec.definition_hash()


def test_signature_in_report_table_and_compare(tmp_path: Path, capsys) -> None:
    from harness import read_report

    results = tmp_path / "r"
    assert main(["run", "seed_summarization", "--results-dir", str(results)]) == 0
    out = capsys.readouterr().out
    (path,) = results.rglob("*.json")
    signature = read_report(path)["metric_settings"]["rouge"]["signature"]
    assert signature.startswith("rouge|preset:harness|tok:harness.arabic@2.0.0")
    assert "rouge|preset:harness" in out.replace("\n", "")
    assert main(["compare", str(path), str(path), "--out", str(tmp_path / "cmp")]) in (0, 1)
    markdown = "".join(p.read_text("utf-8") for p in (tmp_path / "cmp").rglob("*.md"))
    assert f"Signature: `{signature}`" in markdown
