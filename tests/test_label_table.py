"""The parser's table: at least 60 real answers read right and 60 non-answers read as invalid.

Non-answers are texts in which a label word has another meaning (farewells and idioms built on
"مع", a sports "ضد", "against all odds", "pro tip", a "con" that is not "against"), refusals,
ambiguity and garbled words. Both tables are checked both ways: every real answer parses to its
label, and every non-answer parses to nothing -- and the two tables never overlap.
"""

from __future__ import annotations

import pytest

from harness.scoring.labels import normalize, parse_label
from harness.text import ArabicTokenizer

LABELS = ("favor", "against", "none")

ANSWERS: list[tuple[str, str]] = [
    # bare labels: Arabic, with diacritics, tatweel, hamza variants, case, markdown
    ("مؤيد", "favor"), ("مُؤَيِّد", "favor"), ("مـــؤيـــد", "favor"), ("مويد", "favor"),
    ("مؤيِّدٌ.", "favor"), ("**مؤيد**", "favor"), ("`معارض`", "against"),
    ("معارض", "against"), ("مُعارِض", "against"), ("مُعَارَضَة", "against"),
    ("محايد", "none"), ("مُحايِد", "none"), ("محايدة", "none"), ("«محايد»", "none"),
    ("# معارض", "against"), ("- مؤيد", "favor"), ("ضد", "against"), ("مَعَ", "favor"),
    ("FAVOR", "favor"), ("Against.", "against"), ("**Neutral**", "none"), ("Pro", "favor"),
    ("Con", "against"), ("favour", "favor"), ("none", "none"),
    # invisible marks and Quranic annotation marks (shared with the ROUGE tokenizer)
    ("\u200fمؤيد\u200f", "favor"), ("مع\u200cارض", "against"), ("\ufeffمحايد", "none"),
    ("مؤيد\u06d6", "favor"), ("\u2067معارض\u2069", "against"),
    # prefixes
    ("الإجابة: مؤيد", "favor"), ("الاجابة: معارض", "against"), ("الموقف: محايد", "none"),
    ("الموقف هو التأييد", "favor"), ("الجواب: ضد", "against"), ("Answer: favor", "favor"),
    ("Final answer: **against**", "against"), ("The stance is: neutral", "none"),
    ("Stance - Against", "against"), ("التصنيف: لا موقف", "none"),
    # negations of favor mean against
    ("لا أؤيد", "against"), ("لا اؤيد", "against"), ("غير مؤيد", "against"),
    ("ليس مؤيدا", "against"), ("لا يؤيد الكاتب القرار", "against"),
    ("The author does not support the decision", "against"), ("not in favor", "against"),
    ("I don't support it", "against"),
    # short sentences with one clear stance
    ("الكاتب يعارض القرار", "against"), ("يرفض الكاتب القرار بشدة", "against"),
    ("مع القرار", "favor"), ("ضد القرار", "against"), ("الكاتب يؤيد المشروع", "favor"),
    ("أعارض هذا القرار", "against"), ("نؤيد المشروع بالكامل", "favor"),
    ("لا يوجد موقف واضح", "none"), ("لا مع ولا ضد", "none"), ("المؤيدون", "favor"),
    ("والمعارضة", "against"), ("The author clearly opposes the new law.", "against"),
    ("The tweet supports the target.", "favor"), ("neither favor nor against", "none"),
    ("no stance", "none"), ("مع ذلك فإن الكاتب يعارض القرار", "against"),
    ("مع السلامة، الموقف: معارض", "against"), ("Pro tip aside, the author is against it", "against"),
    ("محايد\n\nالمقال:\nيدعم الرئيس القرار ويعارضه آخرون", "none"),
    ("**Against**\nThe article says he supports it.", "against"),
]  # fmt: skip

NON_ANSWERS: list[str] = [
    # farewells, greetings and idioms built on "مع"
    "مع السلامة", "مع السلامه", "مَعَ السَّلامة", "مع تحياتي", "مع خالص التحية", "مع الأسف",
    "مع الاسف لا أعرف", "مع العلم أن النص قصير", "مع مرور الوقت", "مع بعض", "مع احترامي",
    "مع الشكر", "في أمان الله", "الكاتب يتحدث مع الوزير عن الميزانية", "سافر مع عائلته",
    # a sports or legal "ضد" between two parties
    "الهلال ضد النصر", "مباراة الهلال ضد النصر", "ريال مدريد ضد برشلونة الليلة",
    "قضية ضد مجهول", "فاز الفريق ضد كل التوقعات", "ضد كل التوقعات",
    # English idioms
    "against all odds", "Against all odds, the team won.", "It was a race against the clock",
    "pro tip: read the article twice", "Pro tip", "pros and cons", "He is a con artist",
    "con man", "do me a favor", "Could you do me a favour?", "Please contact customer support",
    "tech support", "none of your business", "pro bono",
    # refusals and non-answers
    "I cannot determine the stance.", "I don't know", "لا أعرف", "لا أستطيع التحديد",
    "Sorry, I can't help with that.", "yes", "نعم", "ok", "", "   ", "**Answer:**",
    "الإجابة:", "...", "؟",
    # garbled or unknown words
    "المحيد", "مؤيدمعارض", "favorable-ish", "معا", "مؤ", "agree", "disagree", "unrelated",
    "discuss", "موافق", "غير موافق",
    # ambiguity and negation without a stance
    "favor or against", "مع وضد", "مؤيد أو معارض", "not against", "غير معارض",
    "The author supports the fight against corruption", "مؤيد ومعارض في آن",
    "I neither support nor oppose it strongly, I am against", "لا أؤيد ولا أعارض",
    "The author doesn't support or oppose it",
]  # fmt: skip


@pytest.mark.parametrize(("text", "label"), ANSWERS)
def test_real_answers_parse(text: str, label: str) -> None:
    assert parse_label(text, LABELS) == label


@pytest.mark.parametrize("text", NON_ANSWERS)
def test_non_answers_are_invalid(text: str) -> None:
    assert parse_label(text, LABELS) is None


def test_tables_are_large_and_disjoint() -> None:
    assert len(ANSWERS) >= 60 and len(NON_ANSWERS) >= 60
    assert not {t for t, _ in ANSWERS} & set(NON_ANSWERS)
    arabic = sum(any("\u0600" <= c <= "\u06ff" for c in t) for t in NON_ANSWERS)
    assert arabic >= 20 and len(NON_ANSWERS) - arabic >= 20


def test_other_schemes_map_through_task_aliases() -> None:
    labels = ("agree", "disagree", "discuss", "unrelated")
    aliases = {"agree": ["موافق"], "disagree": ["غير موافق"], "discuss": ["نقاش"],
               "unrelated": ["لا علاقة"]}
    assert parse_label("موافق", labels, aliases) == "agree"
    assert parse_label("غير موافق", labels, aliases) == "disagree"
    assert parse_label("Disagree.", labels, aliases) == "disagree"
    assert parse_label("unrelated", labels, aliases) == "unrelated"
    assert parse_label("unrelated", LABELS, {"none": ["unrelated"]}) == "none"
    assert parse_label("موافق", LABELS) is None  # no alias: no special case in the parser


def test_parser_shares_the_rouge_normalization() -> None:
    """Every mark the ROUGE tokenizer drops, the parser drops too, and the reverse."""
    tokenizer = ArabicTokenizer()
    marks = "\u200b\u200c\u200d\u200e\u200f\u202a\u202e\u2066\u2069\u061c\ufeff\u00ad"
    quranic = "".join(chr(c) for c in range(0x06D6, 0x06EE))
    for text in ("مؤيد" + marks, "معا" + quranic + "رض", "إِسْلامٌ", "كتابـــة", "٣٤"):
        assert normalize(text) == tokenizer.normalize(text).replace("ؤ", "و")
