"""The words the label parser knows: default aliases, weak words, idioms, negators, prefixes.

Data only, kept apart from the parsing rules in `harness.scoring.labels`. Every entry is
written as a person would type it and normalized by the parser, so spelling variants need no
entries of their own. Words of other stance schemes (agree / disagree / unrelated / discuss,
موافق / غير موافق) are deliberately absent: a task that uses them names them in its
`metrics.stance.aliases`.
"""

from __future__ import annotations

DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "favor": (
        "favor", "favour", "favors", "favours", "in favor", "in favour", "support", "supports",
        "supportive", "supporting", "pro",
        "مؤيد", "مؤيدة", "مؤيدا", "مؤيدون", "مع", "يؤيد", "تؤيد", "أؤيد", "نؤيد", "تأييد",
        "داعم", "داعمة", "يدعم", "تدعم", "مساند", "يساند",
    ),
    "against": (
        "against", "oppose", "opposes", "opposed", "opposing", "con", "anti",
        "معارض", "معارضة", "معارضا", "يعارض", "تعارض", "أعارض", "نعارض", "ضد", "رافض", "رافضة",
        "يرفض", "ترفض", "أرفض", "نرفض",
    ),
    "none": (
        "none", "neutral", "no stance", "neither", "no position", "unclear",
        "محايد", "محايدة", "محايدا", "حياد", "لا موقف", "لا يوجد موقف",
        "بدون موقف", "غير واضح", "غير محدد", "لا مع ولا ضد",
    ),
}  # fmt: skip

# A negated alias of the key, with nothing else named, means the value ("لا أؤيد",
# "غير مؤيد", "does not support" -> against). "not against" means nothing: it stays invalid.
NEGATION_MEANS: dict[str, str] = {"favor": "against"}

# Aliases that are everyday words elsewhere ("مع" = with, "ضد" between two teams, "pro tip",
# a "con"): they name a stance only as the answer's first word; anywhere else they can only
# make an answer ambiguous.
WEAK = frozenset({"مع", "ضد", "pro", "con", "anti"})

# Phrases in which a label word has another meaning: their words are never read as a stance.
IDIOMS: tuple[str, ...] = (
    "against all odds", "against the clock", "against the grain", "against the wind",
    "up against", "pro tip", "pro tips", "pro bono", "pros and cons", "pro and con",
    "con artist", "con man", "do me a favor", "do me a favour", "return the favor",
    "return the favour", "as a favor", "customer support", "tech support",
    "technical support", "support team", "support ticket", "none of your business",
    "مع السلامة", "مع تحياتي", "مع خالص التحية", "مع التحية", "مع الأسف", "مع ذلك", "مع هذا",
    "مع أن", "مع العلم", "مع مرور الوقت", "مع الوقت", "مع بعض", "مع احترامي", "مع الشكر",
    "مع كل الاحترام", "مع الاحترام", "ضد مجهول", "ضد كل التوقعات", "في أمان الله",
)  # fmt: skip

# A match is negated when one of these appears up to NEGATION_WINDOW words before it in the
# same clause ("not against", "does not support", "غير معارض", "لا يؤيد", "ليس مؤيدا").
NEGATORS = frozenset({
    "not", "no", "never", "neither", "nor", "isnt", "doesnt", "dont", "didnt", "arent", "wasnt",
    "cannot", "cant", "without", "غير", "لا", "ليس", "ليست", "لم", "لن", "بدون", "دون",
})  # fmt: skip
NEGATION_WINDOW = 3

# Answer prefixes stripped (repeatedly) from the start.
PREFIXES: tuple[str, ...] = (
    "final answer is", "final answer", "the answer is", "answer is", "answer",
    "the stance is", "stance is", "stance", "label", "prediction", "output", "classification",
    "الإجابة هي", "الإجابة", "الجواب هو", "الجواب", "الموقف هو", "الموقف", "التصنيف",
)  # fmt: skip

# Arabic proclitics tried when an alias is not found verbatim: "وضد" -> "ضد", "المؤيد" -> "مؤيد".
PROCLITICS = ("وال", "فال", "بال", "لل", "ال", "و", "ف", "ب", "ل")
