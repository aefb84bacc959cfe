"""Turn free-text model answers into stance labels, or refuse to.

A wrong guess is worse than an honest "invalid": it hides that the model did not follow the
output format and can inflate scores. So `parse_label` returns ``None`` whenever the answer does
not name exactly one label.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache

DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "favor": (
        "favor", "favour", "favors", "favours", "in favor", "in favour", "support", "supports",
        "supportive", "supporting", "pro",
        "مؤيد", "مؤيدة", "مؤيدا", "مؤيدون", "مع", "يؤيد", "تؤيد", "تأييد", "داعم", "داعمة",
        "يدعم", "تدعم", "مساند", "يساند",
    ),
    "against": (
        "against", "oppose", "opposes", "opposed", "opposing", "con", "anti",
        "معارض", "معارضة", "معارضا", "يعارض", "تعارض", "ضد", "رافض", "رافضة", "يرفض", "ترفض",
    ),
    "none": (
        "none", "neutral", "no stance", "unrelated", "neither", "no position", "unclear",
        "irrelevant", "محايد", "محايدة", "محايدا", "حياد", "لا موقف", "لا يوجد موقف",
        "بدون موقف", "غير واضح", "غير محدد", "لا مع ولا ضد",
    ),
}  # fmt: skip

# Aliases too common as ordinary words to trust anywhere but at the start of the answer
# ("مع" is the preposition "with").
_FIRST_WORD_ONLY = frozenset({"مع"})
# Words after which a leading "مع" is a connective, not a stance ("مع ذلك" = "however").
_NOT_STANCE_AFTER_MA3 = frozenset({"ذلك", "هذا", "ان"})
# A match is negated when one of these appears up to _NEGATION_WINDOW words before it in the
# same clause ("not against", "does not support", "غير معارض", "لا يؤيد", "ليس مؤيدا").
_NEGATORS = frozenset({
    "not", "no", "never", "neither", "nor", "isnt", "doesnt", "dont", "didnt", "arent", "wasnt",
    "cannot", "cant", "without", "غير", "لا", "ليس", "ليست", "لم", "لن", "بدون", "دون",
})  # fmt: skip
_NEGATION_WINDOW = 3
# Answer prefixes stripped (repeatedly) from the start, given as normalized word sequences.
_PREFIXES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in (
        "final answer is", "final answer", "the answer is", "answer is", "answer",
        "the stance is", "stance is", "stance", "label", "prediction", "output", "classification",
        "الاجابه هي", "الاجابه", "الجواب هو", "الجواب", "الموقف هو", "الموقف", "التصنيف",
    )
)  # fmt: skip
# Arabic proclitics tried when an alias is not found verbatim: "وضد" -> "ضد", "المؤيد" -> "مؤيد".
_PROCLITICS = ("وال", "فال", "بال", "لل", "ال", "و", "ف", "ب", "ل")

_DROP = {ord(c): None for c in "'’‘`ʼ"}
_DROP.update(dict.fromkeys(range(0x064B, 0x0660)))  # harakat, tanween, shadda, sukun
_DROP.update(dict.fromkeys((0x0640, 0x0670, 0x200C, 0x200D, 0x200E, 0x200F, 0x061C, 0xFEFF)))
_DROP.update(dict.fromkeys(range(0x0610, 0x061B)))
_UNIFY = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
_CLAUSE_BREAK = re.compile(r"[.,;:!?،؛؟\n\r|()\[\]{}]+")
_NON_WORD = re.compile(r"[\W_]+")


def _normalize(text: str) -> str:
    """Fold spelling variants: NFKC, drop diacritics/tatweel/apostrophes, unify alef/yeh/ta."""
    return unicodedata.normalize("NFKC", text).translate(_DROP).translate(_UNIFY).casefold()


def _words(text: str) -> list[str]:
    """Words of already-normalized text (markdown, quotes and punctuation become spaces)."""
    return _NON_WORD.sub(" ", text).split()


def _strip_prefixes(words: list[str]) -> list[str]:
    """Remove leading "Answer:", "الموقف:"-style words, repeatedly."""
    changed = True
    while changed and words:
        changed = False
        for prefix in _PREFIXES:
            if len(words) > len(prefix) and tuple(words[: len(prefix)]) == prefix:
                words = words[len(prefix) :]
                changed = True
                break
    return words


def _variants(word: str) -> set[str]:
    """The word and the word without one Arabic proclitic (if at least 2 letters remain)."""
    out = {word}
    out.update(word[len(p) :] for p in _PROCLITICS if word.startswith(p) and len(word) - len(p) > 1)
    return out


_AliasIndex = dict[str, list[tuple[tuple[str, ...], str]]]


def _alias_table(
    labels: Sequence[str], aliases: Mapping[str, Sequence[str]] | None
) -> tuple[dict[tuple[str, ...], str], _AliasIndex]:
    """Normalized alias word-tuple -> label (task aliases win), and the same keyed by first word."""
    extra = tuple(
        (label, (forms,) if isinstance(forms, str) else tuple(forms))  # tolerate one bare string
        for label, forms in (aliases or {}).items()
    )
    table = _build_alias_table(tuple(labels), extra)
    return table, _index_by_first_word(tuple(table.items()))


@lru_cache(maxsize=64)
def _index_by_first_word(items: tuple[tuple[tuple[str, ...], str], ...]) -> _AliasIndex:
    """First word -> (alias, label) pairs, so the phrase search looks up instead of scanning."""
    index: _AliasIndex = {}
    for alias, label in items:
        index.setdefault(alias[0], []).append((alias, label))
    return index


@lru_cache(maxsize=64)
def _build_alias_table(
    labels: tuple[str, ...], aliases: tuple[tuple[str, tuple[str, ...]], ...]
) -> dict[tuple[str, ...], str]:
    """Cached body of `_alias_table` (called once per example with the same task settings)."""
    table: dict[tuple[str, ...], str] = {}
    for label in labels:
        key = tuple(_words(_normalize(label)))
        for default, default_aliases in DEFAULT_ALIASES.items():
            forms = {tuple(_words(_normalize(a))) for a in (default, *default_aliases)}
            if key in forms:
                for form in forms:
                    table.setdefault(form, label)
    for label in labels:  # a label's own name always means that label
        table[tuple(_words(_normalize(label)))] = label
    for label, label_aliases in aliases:
        if label in labels:
            for alias in label_aliases:
                table[tuple(_words(_normalize(alias)))] = label
    table.pop((), None)
    return table


def _matches_at(
    words: list[str], start: int, index: _AliasIndex
) -> list[tuple[tuple[str, ...], str]]:
    """Aliases occurring at ``words[start:]``, allowing a proclitic on their first word."""
    found = []
    for variant in _variants(words[start]):
        for alias, label in index.get(variant, ()):
            if tuple(words[start + 1 : start + len(alias)]) == alias[1:]:
                found.append((alias, label))
    return found


def _negated(clause: list[str], start: int) -> bool:
    """Whether a negator precedes position ``start`` within the window."""
    window = clause[max(0, start - _NEGATION_WINDOW) : start]
    return any(_variants(w) & _NEGATORS for w in window)


def _is_leading_stance(clause: list[str], start: int, is_first_word: bool) -> bool:
    """Whether a first-word-only alias at ``start`` is the answer's first word, used as a stance."""
    following = clause[start + 1 : start + 2]
    return is_first_word and not (following and following[0] in _NOT_STANCE_AFTER_MA3)


def parse_label(
    text: str, labels: Sequence[str], aliases: Mapping[str, Sequence[str]] | None = None
) -> str | None:
    """Map a model answer to one of ``labels``, or ``None`` when undecidable (never a guess).

    Rules, in order:

    1. Normalize: NFKC, drop Arabic diacritics/tatweel, unify alef/yeh/ta-marbuta, casefold;
       markdown, quotes and punctuation become spaces. Leading "Answer:", "Stance -",
       "الإجابة:", "الموقف:" (etc.) are stripped.
    2. If the whole remaining answer is a label or alias (``DEFAULT_ALIASES`` extended by
       ``aliases``; a label inherits the defaults of the default label it names, so
       "support"/"oppose"/"neutral" label sets work too), return that label. The same holds
       for the answer's first line alone: small models often answer, then echo the prompt.
    3. Otherwise search each clause (split at sentence punctuation) for aliases as whole
       words / phrases, allowing an Arabic proclitic (و ف ب ل ال) on the first word. "مع" only
       counts as the first word of the answer (and not in "مع ذلك"). A match with a negator up
       to three words before it in its clause ("not against", "غير معارض") is *negated*.
    4. Return the label only if exactly one label has un-negated matches and that label is
       not also negated; "favor or against", "مع وضد", "not against" all give ``None``.
    """
    table, index = _alias_table(labels, aliases)
    normalized = _normalize(text)
    words = _strip_prefixes(_words(normalized))
    if not words:
        return None
    first_line = _strip_prefixes(_words(_normalize(text.strip().split("\n", 1)[0])))
    for candidate in (tuple(words), tuple(_words(normalized)), tuple(first_line)):
        if candidate in table:
            return table[candidate]

    clauses = [_words(c) for c in _CLAUSE_BREAK.split(normalized)]
    first_word = sum(len(c) for c in clauses) - len(words)  # index after stripped prefixes
    positive: set[str] = set()
    negative: set[str] = set()
    offset = 0
    for clause in clauses:
        for start in range(len(clause)):
            for alias, label in _matches_at(clause, start, index):
                if alias[0] in _FIRST_WORD_ONLY and not _is_leading_stance(
                    clause, start, offset + start == first_word
                ):
                    continue
                (negative if _negated(clause, start) else positive).add(label)
        offset += len(clause)
    if len(positive) == 1 and not positive & negative:
        return next(iter(positive))
    return None
