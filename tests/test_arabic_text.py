"""Tests for `harness.text.arabic`: ROUGE must see one token per word however it is spelled."""

from __future__ import annotations

import pickle
import unicodedata
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.stem.snowball import SnowballStemmer
from pydantic import ValidationError
from rouge_score.rouge_scorer import RougeScorer

from harness.text import ArabicTokenizer, NormalizationOptions
from harness.text.arabic import character_rules

SENTENCE = "أعلنت وزارة الصحة اليوم عن ارتفاع عدد الإصابات بنسبة ٣٫٥٪ مقارنة بالأسبوع الماضي."

# Shaped like a seed article: several sentence ends, a decimal number, a line break, an ellipsis.
PARAGRAPH = (
    "أعلنت وزارة الصحة اليوم عن ارتفاع عدد الإصابات بنسبة 3.5٪ مقارنة بالأسبوع الماضي. "
    "وقال المتحدث باسم الوزارة إن الوضع تحت السيطرة! "
    "هل ستفرض الحكومة قيوداً جديدة؟ لم يتضح ذلك بعد\n"
    "وأضاف أن اللقاحات متوفرة في جميع المحافظات…"
)


_TOKENIZERS = {False: ArabicTokenizer(), True: ArabicTokenizer(NormalizationOptions(stem=True))}


@pytest.fixture(scope="module")
def tok() -> ArabicTokenizer:
    """Default tokenizer, shared because it is stateless apart from its tables."""
    return ArabicTokenizer()


def test_identical_strings_give_identical_nonempty_tokens(tok: ArabicTokenizer) -> None:
    first, second = tok.tokenize(SENTENCE), tok.tokenize(str(SENTENCE))
    assert first == second
    assert first


def test_real_sentence_tokens(tok: ArabicTokenizer) -> None:
    assert tok.tokenize(SENTENCE) == [
        "اعلنت", "وزاره", "الصحه", "اليوم", "عن", "ارتفاع", "عدد", "الاصابات",
        "بنسبه", "3.5", "مقارنه", "بالاسبوع", "الماضي",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        pytest.param("كَتَبَ الطَّالِبُ الدَّرْسَ", "كتب الطالب الدرس", id="diacritics"),
        pytest.param("قُرْآنٌ مُبِينٌ ذٰلِكَ", "قران مبين ذلك", id="tanween-superscript-alef"),
        pytest.param("أحمد إسلام آمن ٱلكتاب", "احمد اسلام امن الكتاب", id="alef-forms"),
        pytest.param("كتـــاب جميـــل", "كتاب جميل", id="tatweel"),
        pytest.param("مستشفى على", "مستشفي علي", id="alef-maksura"),
        pytest.param("عام ٢٠٢٤ وعام ۱۴۰۳", "عام 2024 وعام 1403", id="arabic-persian-digits"),
        pytest.param("قال،ثم؛هل؟نعم", "قال ثم هل نعم", id="arabic-punctuation-glued"),
        pytest.param("«قال» (نعم) ٪ - !", "قال نعم", id="quotes-brackets-percent"),
        pytest.param("كت\u200fاب\u200f الطالب", "كتاب الطالب", id="rlm"),
        pytest.param("كت\u200cاب \u200cالطالب", "كتاب الطالب", id="zwnj"),
        pytest.param("كتا\u200bب الطالب\u200b", "كتاب الطالب", id="zwsp"),
        pytest.param("\ufeffكتاب ال\ufeffطالب", "كتاب الطالب", id="bom"),
        pytest.param("كتا\u00adب \u061cالطالب\u202b", "كتاب الطالب", id="soft-hyphen-alm-bidi"),
        pytest.param("ﺍﻟﺴﻼﻡ ﻋﻠﻴﻜﻢ ﻻ", "السلام عليكم لا", id="nfkc-presentation-forms"),
    ],
)
def test_variant_spelling_gives_same_tokens(tok: ArabicTokenizer, variant: str, plain: str) -> None:
    assert tok.tokenize(variant) == tok.tokenize(plain)
    assert tok.tokenize(plain)


def test_invisible_between_letters_joins_them(tok: ArabicTokenizer) -> None:
    """Documented choice: an invisible mark is deleted, never turned into a word break."""
    assert tok.tokenize("كتاب\u200fالطالب") == ["كتابالطالب"]
    assert tok.tokenize("كتاب\u200c الطالب") == ["كتاب", "الطالب"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ارتفع بنسبة ٣٫٥٪", ["ارتفع", "بنسبه", "3.5"]),
        ("بلغ 1,000 دولار.", ["بلغ", "1,000", "دولار"]),
        ("بلغ ١٬٢٥٠٬٠٠٠ دولار", ["بلغ", "1,250,000", "دولار"]),
        ("النمو 3.5.", ["النمو", "3.5"]),
        ("الكتاب.والقلم,والورقة", ["الكتاب", "والقلم", "والورقه"]),
        ("عام 2024، وبعده", ["عام", "2024", "وبعده"]),
        ("snake_case word", ["snake", "case", "word"]),
        ("BBC News", ["bbc", "news"]),
    ],
)
def test_numbers_and_punctuation(tok: ArabicTokenizer, text: str, expected: list[str]) -> None:
    assert tok.tokenize(text) == expected


def test_arabic_decimal_stays_whole_without_ascii_digits() -> None:
    tok = ArabicTokenizer(NormalizationOptions(ascii_digits=False))
    assert tok.tokenize("ارتفع بنسبة ٣٫٥٪") == ["ارتفع", "بنسبه", "٣٫٥"]


def test_diacritized_word_is_one_token_when_diacritics_kept() -> None:
    tok = ArabicTokenizer(NormalizationOptions(strip_diacritics=False))
    assert tok.tokenize("كَتَبَ الطَّالِبُ، الدَّرْسَ.") == ["كَتَبَ", "الطَّالِبُ", "الدَّرْسَ"]


def test_ta_marbuta_without_stemming(tok: ArabicTokenizer) -> None:
    assert tok.tokenize("مدرسة") == ["مدرسه"]


def test_stemming_skips_ta_marbuta_rule_and_reduces_words() -> None:
    tok = ArabicTokenizer(NormalizationOptions(stem=True))
    snowball = SnowballStemmer("arabic", ignore_stopwords=False)
    assert "ة" in tok.normalize("مدرسة")  # the ة → ه rule is not applied before stemming
    assert tok.tokenize("مدرسة") == [snowball.stem("مدرسة")]
    words = ["المدارس", "الكتاب"]
    stems = tok.tokenize(" ".join(words))
    assert stems == ["مدارس", "كتاب"]
    assert all(stem != word for stem, word in zip(stems, words, strict=True))
    assert ArabicTokenizer(NormalizationOptions(stem=True)).tokenize("المدارس الكتاب") == stems
    assert tok.tokenize("المدارس الكتاب") == stems  # second call is served by the cache


def test_stemming_is_thread_safe() -> None:
    """NLTK's stemmer keeps per-call state; parallel scoring must not corrupt stems."""
    words = ["المدارس", "الكتاب", "والطلاب", "يكتبون", "المعلمين", "بالمدرسة", "الحكومة"]
    expected = [ArabicTokenizer(NormalizationOptions(stem=True)).tokenize(w) for w in words]
    for _ in range(5):
        tok = ArabicTokenizer(NormalizationOptions(stem=True))
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert list(pool.map(tok.tokenize, words * 50)) == expected * 50


def test_pickle_round_trip_keeps_options_and_output() -> None:
    tok = ArabicTokenizer(NormalizationOptions(stem=True, unify_yeh=False))
    tok.tokenize("المدارس")  # populate the cache, which must not break pickling
    clone = pickle.loads(pickle.dumps(tok))
    assert clone.options == tok.options
    assert clone.tokenize(SENTENCE) == tok.tokenize(SENTENCE)


def test_sentences_split_rules(tok: ArabicTokenizer) -> None:
    text = "هل جاء؟ نعم! ارتفع بنسبة 3.5 و٣٫٥ اليوم. انتهى\nسطر جديد"
    assert tok.sentences(text) == [
        "هل جاء؟",
        "نعم!",
        "ارتفع بنسبة 3.5 و٣٫٥ اليوم.",
        "انتهى",
        "سطر جديد",
    ]


def test_sentences_seed_like_paragraph(tok: ArabicTokenizer) -> None:
    sentences = tok.sentences(PARAGRAPH)
    assert len(sentences) == 5
    assert sentences[0].endswith("3.5٪ مقارنة بالأسبوع الماضي.")
    assert sentences[-1] == "وأضاف أن اللقاحات متوفرة في جميع المحافظات…"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  \n\n . ", ["."]),
        ("", []),
        ("قال: «انتهى.» ثم غادر", ["قال: «انتهى.»", "ثم غادر"]),
        ("ماذا؟! حقاً... نعم۔ لا", ["ماذا؟!", "حقاً...", "نعم۔", "لا"]),
        ("سطر\r\nآخر", ["سطر", "آخر"]),
        ("بلغ 3. ثم", ["بلغ 3.", "ثم"]),
    ],
)
def test_sentences_edge_cases(tok: ArabicTokenizer, text: str, expected: list[str]) -> None:
    assert tok.sentences(text) == expected


def test_sentences_are_not_normalized(tok: ArabicTokenizer) -> None:
    assert tok.sentences("كَتَبَ أحمد ٣٫٥. ثم") == ["كَتَبَ أحمد ٣٫٥.", "ثم"]


def test_describe_reports_id_version_and_all_options() -> None:
    options = NormalizationOptions(stem=True, lowercase=False)
    described = ArabicTokenizer(options).describe()
    assert described["id"] == "harness.arabic" == ArabicTokenizer.ID
    assert described["version"] == ArabicTokenizer.VERSION
    dumped = described["options"]
    assert isinstance(dumped, dict)
    assert dumped == options.model_dump()
    assert set(dumped) == set(NormalizationOptions.model_fields)


def test_options_are_frozen_and_strict() -> None:
    options = NormalizationOptions()
    with pytest.raises(ValidationError):
        options.stem = True
    with pytest.raises(ValidationError):
        NormalizationOptions(stemming=True)  # type: ignore[call-arg]


# (option, text, tokens with the option on, tokens with it off); everything else at defaults.
OPTION_CASES: list[tuple[str, str, list[str], list[str]]] = [
    ("nfkc", "ﻻ ﺍﻟﺴﻼﻡ", ["لا", "السلام"], ["ﻻ", "ﺍﻟﺴﻼﻡ"]),
    ("strip_invisible", "كتاب\u200fالطالب", ["كتابالطالب"], ["كتاب", "الطالب"]),
    ("strip_diacritics", "كَتَبَ", ["كتب"], ["كَتَبَ"]),
    ("strip_tatweel", "كتـــاب", ["كتاب"], ["كتـــاب"]),
    ("unify_alef", "أحمد إلى آمن ٱلكتاب", ["احمد", "الي", "امن", "الكتاب"],
     ["أحمد", "إلي", "آمن", "ٱلكتاب"]),
    ("unify_yeh", "مستشفى", ["مستشفي"], ["مستشفى"]),
    ("ascii_digits", "٣٫٥ ۱۲", ["3.5", "12"], ["٣٫٥", "۱۲"]),
    ("ta_marbuta", "مدرسة", ["مدرسه"], ["مدرسة"]),
    ("lowercase", "BBC News", ["bbc", "news"], ["BBC", "News"]),
    ("stem", "المدارس الكتاب", ["مدارس", "كتاب"], ["المدارس", "الكتاب"]),
]  # fmt: skip


def test_option_cases_cover_every_option() -> None:
    assert {case[0] for case in OPTION_CASES} == set(NormalizationOptions.model_fields)


@pytest.mark.parametrize(
    ("option", "text", "on", "off"), OPTION_CASES, ids=[c[0] for c in OPTION_CASES]
)
def test_each_option_can_be_switched_off(
    option: str, text: str, on: list[str], off: list[str]
) -> None:
    """Turning one option off must disable exactly its transformation, nothing else."""
    assert ArabicTokenizer(NormalizationOptions(**{option: True})).tokenize(text) == on
    assert ArabicTokenizer(NormalizationOptions(**{option: False})).tokenize(text) == off


def test_all_options_off_is_identity_normalization() -> None:
    off = NormalizationOptions(**dict.fromkeys(NormalizationOptions.model_fields, False))
    text = "ﻻ كَتَبَ\u200f كتـــاب أحمد مستشفى ٣٫٥ مدرسة BBC"
    assert ArabicTokenizer(off).normalize(text) == text


def test_normalize_keeps_punctuation_and_spaces(tok: ArabicTokenizer) -> None:
    assert tok.normalize("قالَ، «نعم»؟  ٣٫٥٪") == "قال، «نعم»؟  3.5٪"


def test_usable_as_rouge_scorer_tokenizer(tok: ArabicTokenizer) -> None:
    scorer = RougeScorer(["rouge1", "rougeL"], tokenizer=tok)
    reference = "كَتَبَ الطالبُ الدرسَ في المدرسة."
    prediction = "كتب الطالب الدرس في المدرسه"
    scores = scorer.score(reference, prediction)
    assert scores["rouge1"].fmeasure == pytest.approx(1.0)
    assert scores["rougeL"].fmeasure == pytest.approx(1.0)
    partial = scorer.score(reference, "كتب المعلم الدرس")
    assert 0.0 < partial["rouge1"].fmeasure < 1.0


# Random text over the characters that matter: Arabic letters and their variant forms,
# harakat, tatweel, Arabic-Indic/Persian/ASCII digits and separators, Latin letters, sentence
# terminators, closing quotes, spaces, line breaks and invisible format characters.
_ALPHABET = (
    "ابتةجدرسعفقكلمنهويىأإآٱؤئ" + "\u064b\u064e\u0650\u0651\u0652\u0670\u0653\u0654" + "ـ"
    "0123456789٠١٢٣٤٥۱۲٫٬.,،؛" + "abzAZİ" + "!?؟۔…" + "\"'»”)]«(" + " \n\r\t\u2028"
    "\u200b\u200c\u200d\u200e\u200f\u202b\u2066\u061c\ufeff\u00ad" + "ﻻﺍ½²"
    "\ufe0f\ufe00\U000e0067\u20e3\u2764\u034f"
)
_TEXTS = st.text(alphabet=_ALPHABET, max_size=60)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(_TEXTS, st.booleans())
def test_sentence_tokens_concatenate_to_tokenize(text: str, stem: bool) -> None:
    """One pass gives both views; rougeLsum relies on them being consistent."""
    tok = _TOKENIZERS[stem]
    sents = tok.sentence_tokens(text)
    assert [t for s in sents for t in s] == tok.tokenize(text)
    assert all(sents)
    # The sentences are those of the normalized text, each tokenized on its own.
    expected = [tokens for s in tok.sentence_texts(text) if (tokens := tok.tokenize(s))]
    assert sents == expected


@settings(max_examples=400, deadline=None, derandomize=True)
@given(_TEXTS, st.sampled_from(sorted(NormalizationOptions.model_fields)))
def test_fast_translate_equals_table(text: str, off: str) -> None:
    """The replace/regex shortcut equals `str.translate` with the full table, per options."""
    options = NormalizationOptions(**{off: False})
    tok = ArabicTokenizer(options)
    nfkc = unicodedata.normalize("NFKC", text)
    assert tok._translate(nfkc) == nfkc.translate(character_rules(options))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(_TEXTS)
def test_normalize_is_idempotent(text: str) -> None:
    """Lets a reference scorer re-tokenize `sentence_texts` output and see the same tokens.

    (Not true for every string: with diacritics kept, deleting an invisible mark can let NFKC
    compose the next combining mark on a second pass; the default options delete those marks.)
    """
    tok = _TOKENIZERS[False]
    once = tok.normalize(text)
    assert tok.normalize(once) == once


def test_sentence_texts_split_after_normalizing(tok: ArabicTokenizer) -> None:
    """An invisible mark before a decimal point no longer ends a sentence."""
    text = "ارتفع 3\u200f.5 بالمئة. ثم"
    assert tok.sentences(text) == ["ارتفع 3\u200f.", "5 بالمئة.", "ثم"]
    assert tok.sentence_texts(text) == ["ارتفع 3.5 بالمئه.", "ثم"]
    assert tok.sentence_tokens(text) == [["ارتفع", "3.5", "بالمئه"], ["ثم"]]
    assert tok.sentence_tokens("") == [] == tok.sentence_tokens(" ...\n؟ ")
