"""Seeded, deterministic corruptions of a summary, each saying exactly what it changed.

Heuristic and dictionary-based on purpose (no NER or parser to install): an entity is a word
of the summary that the article repeats and that carries no definite article; a negation uses
a table of common news verbs, then «لا» before an imperfect verb. A corruption that finds
nothing to change is *not applicable* for that summary and is left out of its sensitivity.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import regex

CORRUPTIONS_VERSION = "1"
_WORD = regex.compile(r"[\p{L}\p{M}]+")
_DIACRITICS = regex.compile(r"[\u064B-\u0652\u0670]")
_SENTENCE_END = regex.compile(r"(?<=[.!?؟])\s+|\n+")
_NUMBER = regex.compile(r"\p{Nd}+")
_STOPWORDS_TEXT = (
    "في من على إلى عن مع أن إن أو ثم كما لكن هذا هذه ذلك تلك التي الذي الذين بعد قبل بين عند "
    "حتى منذ خلال حول ضد وفق لدى كل بعض غير قد لقد لم لن لا ما هو هي هم كان كانت يكون تكون "
    "وقال قال وقالت قالت أنه أنها إنه إنها عام عاما عامًا اليوم أمس وهو وهي فيه فيها منه "
    "هاد هادي ديال ديالو ديالها بحال واحد غير فين شنو علاش")  # MSA, then Darija
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
NEGATED = {
    "قال": "لم يقل", "قالت": "لم تقل", "أعلن": "لم يعلن", "أعلنت": "لم تعلن",
    "أكد": "لم يؤكد", "أكدت": "لم تؤكد", "ذكر": "لم يذكر", "ذكرت": "لم تذكر",
    "أشار": "لم يشر", "أشارت": "لم تشر", "وافق": "لم يوافق", "وافقت": "لم توافق",
    "قرر": "لم يقرر", "قررت": "لم تقرر", "فاز": "لم يفز", "فازت": "لم تفز",
    "بدأ": "لم يبدأ", "بدأت": "لم تبدأ", "تم": "لم يتم", "كان": "لم يكن", "كانت": "لم تكن",
    "دعا": "لم يدع", "دعت": "لم تدع", "رفض": "لم يرفض", "رفضت": "لم ترفض",
    "قام": "لم يقم", "قامت": "لم تقم", "شارك": "لم يشارك", "شاركت": "لم تشارك",
    "وصل": "لم يصل", "وصلت": "لم تصل", "عاد": "لم يعد", "عادت": "لم تعد",
    "ترك": "لم يترك", "تركت": "لم تترك", "نقلت": "لم تنقل", "نقل": "لم ينقل",
}
STANCE_PAIRS = (("أيد", "عارض"), ("يؤيد", "يعارض"), ("تأييد", "معارضة"), ("مؤيد", "معارض"),
                ("رحب", "ندد"), ("يرحب", "يندد"), ("ترحيب", "تنديد"), ("أشاد", "انتقد"),
                ("يدعم", "يرفض"), ("دعم", "رفض"), ("وافق", "رفض"), ("يوافق", "يرفض"))
STANCE_FLIPS = {**dict(STANCE_PAIRS), **{b: a for a, b in STANCE_PAIRS if b not in
                                        dict(STANCE_PAIRS)}}
NUMBER_WORDS = {"اثنين": "خمسة", "اثنان": "خمسة", "ثلاثة": "سبعة", "ثلاث": "سبع",
                "أربعة": "تسعة", "أربع": "تسع", "خمسة": "ثمانية", "خمس": "ثمان",
                "عشرة": "عشرين", "مئة": "ألف", "مائة": "ألف", "ألف": "مليون", "مليون": "مليار"}
ENGLISH_POOL = (
    "The government announced a new economic plan on Monday after weeks of talks.",
    "Officials said the meeting ended without an agreement on the main issues.",
    "The company reported higher profits for the third quarter in a row.",
    "Police arrested two suspects after the incident in the city centre.",
    "The minister told reporters that the project would start next year.",
    "Thousands of people attended the festival despite the bad weather.",
)
UNRELATED_POOL = (
    "وارتفعت أسعار الذهب في الأسواق العالمية خلال تعاملات الأسبوع الماضي.",
    "وافتتح المهرجان السينمائي دورته الجديدة بحضور عدد كبير من الفنانين.",
    "وتوقعت الأرصاد الجوية هطول أمطار غزيرة على المناطق الشمالية.",
)


@dataclass(frozen=True)
class Context:
    """What a corruption may use beside the summary: its article and other examples' summaries."""

    article: str
    others: Sequence[str]
    rng: random.Random


Change = dict[str, Any]
Corruption = Callable[[str, Context], tuple[str, Change] | None]


def _bare(word: str) -> str:
    return _DIACRITICS.sub("", word)


def _replace_word(summary: str, match: regex.Match[str], new: str) -> str:
    return summary[:match.start()] + new + summary[match.end():]


def entity_swap(summary: str, ctx: Context) -> tuple[str, Change] | None:
    """A name-like word the article repeats → another such word from the same article."""
    article_words = Counter(_bare(w) for w in _WORD.findall(ctx.article))

    def name_like(word: str) -> bool:
        return (len(word) >= 3 and word not in STOPWORDS and not word.startswith(("ال", "وال"))
                and article_words[word] >= 2)

    words = [m for m in _WORD.finditer(summary) if name_like(_bare(m.group()))]
    in_summary = {_bare(m.group()) for m in _WORD.finditer(summary)}
    pool = sorted(w for w in article_words if name_like(w) and w not in in_summary)
    if not words or not pool:
        return None
    match = ctx.rng.choice(words)
    new = ctx.rng.choice(pool)
    return _replace_word(summary, match, new), {"from": match.group(), "to": new}


def negate(summary: str, ctx: Context) -> tuple[str, Change] | None:
    """A past-tense news verb → its negation with «لم»; else «لا» before an imperfect verb."""
    for match in _WORD.finditer(summary):
        word = _bare(match.group())
        prefix = "و" if word.startswith("و") and word[1:] in NEGATED else ""
        if word[len(prefix):] in NEGATED:
            new = prefix + NEGATED[word[len(prefix):]]
            return _replace_word(summary, match, new), {"from": match.group(), "to": new}
    for match in _WORD.finditer(summary):
        word = _bare(match.group())
        if (len(word) >= 4 and word[0] in "يت" and not word.endswith(("ة", "ات"))
                and word not in STOPWORDS):
            new = "لا " + match.group()
            return _replace_word(summary, match, new), {"from": match.group(), "to": new}
    return None


def change_number(summary: str, ctx: Context) -> tuple[str, Change] | None:
    """A number (any digit script, kept) shifted by 1–9; else a number word swapped."""
    numbers = list(_NUMBER.finditer(summary))
    if numbers:
        match = ctx.rng.choice(numbers)
        text = match.group()
        value = int("".join(str(int(c)) for c in text)) + ctx.rng.randint(1, 9)
        zero = ord(text[0]) - int(text[0])  # keep the digit script
        new = "".join(chr(zero + int(d)) for d in str(value))
        return _replace_word(summary, match, new), {"from": text, "to": new}
    for match in _WORD.finditer(summary):
        if _bare(match.group()) in NUMBER_WORDS:
            new = NUMBER_WORDS[_bare(match.group())]
            return _replace_word(summary, match, new), {"from": match.group(), "to": new}
    return None


def _parts(summary: str) -> tuple[list[str], str]:
    """The summary's sentences, or its comma clauses when it is a single sentence."""
    sentences = [s for s in _SENTENCE_END.split(summary.strip()) if s.strip()]
    if len(sentences) >= 2:
        return sentences, " "
    return [c for c in summary.split("،") if c.strip()], "،"


def _key_index(parts: Sequence[str], article: str) -> int:
    """The part sharing the most words with the article (ties: the first)."""
    article_words = {_bare(w) for w in _WORD.findall(article)}
    overlaps = [len({_bare(w) for w in _WORD.findall(p)} & article_words) for p in parts]
    return overlaps.index(max(overlaps))


def drop_key_sentence(summary: str, ctx: Context) -> tuple[str, Change] | None:
    """The sentence (or clause) sharing most words with the article, removed."""
    parts, glue = _parts(summary)
    if len(parts) < 2:
        return None
    key = _key_index(parts, ctx.article)
    kept = [p.strip() for i, p in enumerate(parts) if i != key]
    return glue.join(kept) if glue == " " else "، ".join(kept), {"dropped": parts[key].strip()}


def unrelated_sentence(summary: str, ctx: Context) -> tuple[str, Change] | None:
    """The key sentence replaced by a sentence of another example's summary (else a pool)."""
    pool = sorted({s.strip() for other in ctx.others for s in _SENTENCE_END.split(other)
                   if s.strip() and s.strip() not in summary}) or list(UNRELATED_POOL)
    new = ctx.rng.choice(pool)
    parts, glue = _parts(summary)
    if len(parts) < 2:
        return new, {"from": summary, "to": new}
    key = _key_index(parts, ctx.article)
    old = parts[key].strip()
    parts[key] = new
    joined = " ".join(p.strip() for p in parts) if glue == " " else "، ".join(
        p.strip() for p in parts)
    return joined, {"from": old, "to": new}


def to_english(summary: str, ctx: Context) -> tuple[str, Change] | None:
    """The whole summary replaced by an English sentence from a fixed pool."""
    new = ctx.rng.choice(ENGLISH_POOL)
    return new, {"to": new}


def flip_stance(summary: str, ctx: Context) -> tuple[str, Change] | None:
    """A stance word (أيّد، رحّب، دعم...) → its opposite (عارض، ندّد، رفض...)."""
    for match in _WORD.finditer(summary):
        word = _bare(match.group())
        for prefix in ("", "و", "ف"):
            stem = word[len(prefix):] if word.startswith(prefix) else None
            for key in sorted(STANCE_FLIPS, key=len, reverse=True):
                if stem and stem.startswith(key):
                    new = prefix + STANCE_FLIPS[key] + stem[len(key):]
                    return _replace_word(summary, match, new), {"from": match.group(),
                                                                  "to": new}
    return None


CORRUPTIONS: dict[str, Corruption] = {
    "entity_swap": entity_swap, "negation": negate, "number": change_number,
    "drop_key_sentence": drop_key_sentence, "unrelated_sentence": unrelated_sentence,
    "english": to_english, "stance_flip": flip_stance,
}


def corrupt_all(example_id: str, summary: str, article: str, others: Sequence[str],
                seed: int) -> list[dict[str, Any]]:
    """Every corruption of one summary (each seeded by seed, example and type), with what
    changed; `corrupted` is None where the corruption does not apply."""
    out = []
    for name, corruption in CORRUPTIONS.items():
        ctx = Context(article, others, random.Random(f"{seed}:{example_id}:{name}"))
        done = corruption(summary, ctx)
        out.append({"id": example_id, "type": name,
                    "corrupted": None if done is None else done[0],
                    "change": None if done is None else done[1]})
    return out
