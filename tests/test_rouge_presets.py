"""ROUGE compatibility presets and the signature: what each preset gives on bundled data.

Fixed pairs: the first 20 MArSum test articles' first two sentences (one per line) against
their headlines. The harness's default and `rouge_score_lines` agree except for rougeLsum
(lines instead of the harness's sentence split); `xlsum` tokenizes and stems as the XL-Sum
paper's scorer, without Arabic normalization, and scores every type higher on this data.

Every `xlsum` value pinned here is the one XL-Sum's own scorer gives (its
`multilingual_rouge_scoring` at commit afcd803 with pyonmttok 1.38.1, NLTK 3.10.4 and the same
stopword file in NLTK_DATA; run apart, as it is not a dependency): equal to the last digit, as
were its tokens on every bundled MArSum, ANS and ArabicStanceX text and 3,000 random strings.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from helpers import REPO, write_jsonl, write_task
from rouge_score.rouge_scorer import RougeScorer

import harness.text.stopwords as stopwords
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
    # NLTK's Arabic stopwords of 2017 (the default); the 2021 list gives the same on these
    "xlsum": {"rouge1": 0.22886188711961664, "rouge2": 0.0913188631928972,
              "rougeL": 0.18873503511787115, "rougeLsum": 0.19711531095385496},
}
# The ten MArSum pairs (of 983) on which the two stopword lists give different scores
STOPWORDS_MATTER = ["00515", "00606", "00786", "00980", "01039", "01116", "01171", "01219",
                    "01654", "01694"]
EXPECTED_BY_LIST = {
    "nltk_data-2017": {"rouge1": 0.23403436140552106, "rouge2": 0.07400520408137165,
                       "rougeL": 0.18044765571076524, "rougeLsum": 0.18151506260362069},
    "nltk_data-2021": {"rouge1": 0.21288682365103, "rouge2": 0.06167528140699845,
                       "rougeL": 0.17102966832010486, "rougeLsum": 0.1712671996942881},
}


def _pairs(ids: list[str] | None = None) -> tuple[list[str], list[list[str]]]:
    tok = ArabicTokenizer()
    lines = (REPO / "references/marsum/marsum_headlines.jsonl").read_text("utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    rows = rows[:20] if ids is None else [r for r in rows if r["id"][-5:] in ids]
    return (["\n".join(tok.sentences(r["article"])[:2]) for r in rows],
            [[r["summary"]] for r in rows])


def _means(settings: RougeSettings, ids: list[str] | None = None) -> dict[str, float]:
    predictions, references = _pairs(ids)
    results = score_batch(predictions, references, settings.tokenizer(), processes=1)
    return {t: statistics.fmean(r[t].fmeasure for r in results) for t in results[0]}


@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_preset_values_on_bundled_pairs(preset: str) -> None:
    assert _means(RougeSettings(preset=preset)) == pytest.approx(EXPECTED[preset], abs=1e-12)


@pytest.mark.parametrize("name", sorted(EXPECTED_BY_LIST))
def test_xlsum_values_with_each_stopword_list(name: str) -> None:
    settings = RougeSettings(preset="xlsum", xlsum_stopwords=name)
    assert _means(settings, STOPWORDS_MATTER) == pytest.approx(EXPECTED_BY_LIST[name], abs=1e-12)


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
        ("كتاب。中文 abc", ["كتاب", "中", "文", "abc"]),  # CJK ideographs alone
        ("ب ّ ّب", ["ب", "％0020ّ", "％0020ّ", "ب"]),  # OpenNMT: a mark on an escaped space
        ("ّب a\u2028b", ["ّ", "ب", "a", "b"]),  # ... but alone first; U+2028 separates
    ],
)
def test_xlsum_tokens(text: str, expected: list[str]) -> None:
    assert XLSumTokenizer(stem=False).tokenize(text) == expected


def test_xlsum_lsum_lines_skip_the_opennmt_split() -> None:
    tok = XLSumTokenizer(stem=False)  # as XL-Sum's rougeLsum: runs between separators
    assert tok.sentence_tokens("سعر €5 و2015\n\nالمدرسة.") == [
        ["سعر", "€5", "و2015"], ["المدرسة"]]
    assert tok.tokenize("سعر €5 و2015") == ["سعر", "€", "5", "و", "2015"]


def test_xlsum_stems_only_longer_tokens_and_keeps_stopwords() -> None:
    from nltk.stem.snowball import ArabicStemmer

    assert ArabicStemmer().stem("التي") != "التي"  # a stopword the stemmer would change
    assert XLSumTokenizer().tokenize("التي المدرسة في") == ["التي", "مدرس", "في"]
    # "ثلاثين" (thirty) joined the list in 2021: the lists stem it differently
    assert XLSumTokenizer(stopwords="nltk_data-2017").tokenize("ثلاثين") == ["ثلاث"]
    assert XLSumTokenizer(stopwords="nltk_data-2021").tokenize("ثلاثين") == ["ثلاثين"]


def test_shipped_stopword_lists_are_the_published_files() -> None:
    import hashlib

    for name, spec in stopwords.STOPWORD_LISTS.items():
        data = (REPO / "harness/text/data" / spec.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == spec.sha256, name
    old, new = (stopwords.load_stopwords(n) for n in ("nltk_data-2017", "nltk_data-2021"))
    assert (len(old), len(new)) == (243, 701) and old < new  # 2021 only added words


def _xlsum_task(tmp_path: Path, **rouge: str) -> Path:
    write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "article": "نص", "summary": "نص"}])
    return write_task(tmp_path, {"name": "t", "version": 1, "kind": "summarization",
                                 "data": {"path": "d.jsonl", "fields": {"references": "summary"}},
                                 "prompt": {"user": "{{ article }}"},
                                 "metrics": {"rouge": {"preset": "xlsum", **rouge}}})


def test_xlsum_task_validates_offline(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(_xlsum_task(tmp_path))]) == 0
    assert main(["validate", str(_xlsum_task(tmp_path, xlsum_stopwords="nltk_data-2021"))]) == 0
    task = write_task(tmp_path, {"name": "t", "version": 1, "kind": "summarization",
                                 "data": {"path": "d.jsonl", "fields": {"references": "summary"}},
                                 "prompt": {"user": "{{ article }}"},
                                 "metrics": {"rouge": {"xlsum_stopwords": "nltk_data-2021"}}})
    assert main(["validate", str(task)]) == 2
    assert "xlsum preset only" in capsys.readouterr().err


def test_xlsum_with_an_altered_stopword_list_fails_validation(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    data.mkdir()
    spec = stopwords.STOPWORD_LISTS["nltk_data-2017"]
    (data / spec.file).write_text("في\n", encoding="utf-8")
    monkeypatch.setattr(stopwords, "_DATA", data)
    stopwords.load_stopwords.cache_clear()
    try:
        assert main(["validate", str(_xlsum_task(tmp_path))]) == 2
    finally:
        stopwords.load_stopwords.cache_clear()
    assert "published SHA-256" in capsys.readouterr().err


def test_signatures_tell_the_presets_apart() -> None:
    signatures = {p: Rouge(RougeSettings(preset=p)).record_settings()["signature"]
                  for p in EXPECTED}
    assert len(set(signatures.values())) == 3
    assert signatures["harness"] == (
        "rouge|preset:harness|tok:harness.arabic@2.0.0|"
        "norm:nfkc+inv+diac+tatweel+alef+yeh+digits+ta+lc|stem:no|lsum:punct+lines|"
        "multiref:max-f1")
    assert "lsum:lines" in signatures["rouge_score_lines"]
    assert signatures["xlsum"] == (
        "rouge|preset:xlsum|tok:xlsum.multilingual_rouge.arabic@2.0.0|norm:xlsum|"
        "stem:snowball-ar>3chars+stopwords:nltk_data-2017@71b90ae127ec|lsum:lines|"
        "multiref:max-f1")
    today = RougeSettings(preset="xlsum", xlsum_stopwords="nltk_data-2021")
    assert "stopwords:nltk_data-2021@0df01c0a184d" in Rouge(today).record_settings()["signature"]


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
