"""Turn free-text model answers into stance labels, or refuse to.

A wrong guess is worse than an honest "invalid": it hides that the model did not follow the
output format and can inflate scores. So `parse_label` returns ``None`` whenever the answer does
not name exactly one label. The words it knows are in `harness.scoring.label_words`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from harness.scoring import label_words as lw

if TYPE_CHECKING:
    from harness.text.arabic import ArabicTokenizer

DEFAULT_ALIASES = lw.DEFAULT_ALIASES
# Recorded in every free-text report: a change that reads any answer differently bumps it, so
# runs parsed by different rules are not compared. 1: the first parser; 2: abstains on idioms
# and weak words, reads a negated favor as against, shares the ROUGE normalization.
PARSER_VERSION = "2"

# Beyond the shared Arabic normalization: apostrophes vanish ("doesn't" = "doesnt") and hamza
# seats fold onto their carrier letter ("مؤيد" = "مويد", "أؤيد" = "اويد").
_FOLD = str.maketrans({"'": None, "’": None, "‘": None, "`": None, "ʼ": None, "ؤ": "و",
                       "ئ": "ي", "ء": None})
_CLAUSE_BREAK = re.compile(r"[.,;:!?،؛؟\n\r|()\[\]{}]+")
_NON_WORD = re.compile(r"[\W_]+")

Words = tuple[str, ...]


@lru_cache(maxsize=1)
def _shared() -> ArabicTokenizer:
    """The ROUGE tokenizer (default options): one Arabic normalization for both."""
    from harness.text.arabic import ArabicTokenizer

    return ArabicTokenizer()


def normalize(text: str) -> str:
    """The ROUGE tokenizer's character rules (NFKC, invisible marks, harakat and Quranic marks,
    tatweel, alef/yeh/ta-marbuta, digits, lowercase), then apostrophes and hamza seats."""
    return _shared().normalize(text).translate(_FOLD)


def _words(text: str) -> list[str]:
    """Words of already-normalized text (markdown, quotes and punctuation become spaces)."""
    return _NON_WORD.sub(" ", text).split()


def _key(phrase: str) -> Words:
    return tuple(_words(normalize(phrase)))


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[tuple[Words, ...], frozenset[str], frozenset[str], tuple[Words, ...],
                           tuple[str, ...]]:
    """Normalized prefixes, negators, weak words, idioms and proclitics (built once)."""
    return (tuple(_key(p) for p in lw.PREFIXES),
            frozenset(w for n in lw.NEGATORS for w in _key(n)),
            frozenset(w for n in lw.WEAK for w in _key(n)),
            tuple(_key(i) for i in lw.IDIOMS),
            tuple(normalize(p) for p in lw.PROCLITICS))


def _strip_prefixes(words: list[str]) -> list[str]:
    """Remove leading "Answer:", "الموقف:"-style words, repeatedly."""
    prefixes = _vocabulary()[0]
    changed = True
    while changed and words:
        changed = False
        for prefix in prefixes:
            if len(words) > len(prefix) and tuple(words[: len(prefix)]) == prefix:
                words = words[len(prefix) :]
                changed = True
                break
    return words


def _variants(word: str) -> set[str]:
    """The word and the word without one Arabic proclitic (if at least 2 letters remain)."""
    out = {word}
    out.update(word[len(p) :] for p in _vocabulary()[4]
               if word.startswith(p) and len(word) - len(p) > 1)
    return out


class _Table:
    """A label set's aliases: word tuple -> label, indexed by first word, and negations."""

    def __init__(self, labels: tuple[str, ...],
                 aliases: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
        self.labels = labels
        self.table: dict[Words, str] = {}
        inherits: dict[str, str] = {}  # default label name -> the task label that inherits it
        for label in labels:
            key = _key(label)
            for default, default_aliases in lw.DEFAULT_ALIASES.items():
                forms = {_key(a) for a in (default, *default_aliases)}
                if key in forms:
                    inherits.setdefault(default, label)
                    for form in forms:
                        self.table.setdefault(form, label)
        for label in labels:  # a label's own name always means that label
            self.table[_key(label)] = label
        for label, label_aliases in aliases:
            if label in labels:
                for alias_text in label_aliases:
                    self.table[_key(alias_text)] = label
        self.table.pop((), None)
        self.negation = {inherits[a]: inherits[b] for a, b in lw.NEGATION_MEANS.items()
                         if a in inherits and b in inherits}
        self.index: dict[str, list[tuple[Words, str]]] = {}
        for words, label in self.table.items():
            self.index.setdefault(words[0], []).append((words, label))


@lru_cache(maxsize=64)
def _table(labels: tuple[str, ...], aliases: tuple[tuple[str, tuple[str, ...]], ...]) -> _Table:
    return _Table(labels, aliases)


def _matches_at(words: list[str], start: int, index: Mapping[str, list[tuple[Words, str]]]
                ) -> list[tuple[Words, str]]:
    """Aliases occurring at ``words[start:]``, allowing a proclitic on their first word."""
    found = []
    for variant in _variants(words[start]):
        for alias, label in index.get(variant, ()):
            if tuple(words[start + 1 : start + len(alias)]) == alias[1:]:
                found.append((alias, label))
    return found


def _idiom_words(clause: list[str]) -> set[int]:
    """Positions of words inside an idiom ("مع السلامة", "against all odds", "pro tip")."""
    covered: set[int] = set()
    for start in range(len(clause)):
        for idiom in _vocabulary()[3]:
            if tuple(clause[start : start + len(idiom)]) == idiom:
                covered.update(range(start, start + len(idiom)))
    return covered


def _negated(clause: list[str], start: int) -> bool:
    """Whether a negator precedes position ``start`` within the window."""
    window = clause[max(0, start - lw.NEGATION_WINDOW) : start]
    return any(_variants(w) & _vocabulary()[1] for w in window)


def parse_label(
    text: str, labels: Sequence[str], aliases: Mapping[str, Sequence[str]] | None = None
) -> str | None:
    """Map a model answer to one of ``labels``, or ``None`` when undecidable (never a guess).

    Rules, in order:

    1. Normalize (`normalize`); markdown, quotes and punctuation become spaces; leading
       "Answer:", "Stance -", "الإجابة:", "الموقف:" (etc.) are stripped.
    2. If the whole remaining answer, or its first line alone (small models answer, then echo
       the prompt), is a label or alias (``DEFAULT_ALIASES`` extended by the task's
       ``aliases``; a label inherits the defaults of the default label it names, so
       "support"/"oppose"/"neutral" label sets work too), return that label.
    3. Otherwise search each clause (split at sentence punctuation) for aliases as whole
       words / phrases, allowing an Arabic proclitic (و ف ب ل ال) on the first word and
       skipping idioms ("مع السلامة", "pro tip"). A weak word ("مع", "ضد", "pro", "con") names
       a stance only as the answer's first word; elsewhere it can only veto. A match with a
       negator up to three words before it in its clause is *negated*.
    4. Return the label if exactly one label has un-negated matches, that label is not also
       negated and no weak word names another. With no un-negated match, a negated favor
       ("لا أؤيد", "غير مؤيد") is against (`NEGATION_MEANS`); "not against" stays ``None``.
    """
    extra = tuple((label, (forms,) if isinstance(forms, str) else tuple(forms))
                  for label, forms in (aliases or {}).items())
    table = _table(tuple(labels), extra)
    normalized = normalize(text)
    words = _strip_prefixes(_words(normalized))
    if not words:
        return None
    first_line = _strip_prefixes(_words(normalize(text.strip().split("\n", 1)[0])))
    for candidate in (tuple(words), tuple(_words(normalized)), tuple(first_line)):
        if candidate in table.table:
            return table.table[candidate]

    weak_words = _vocabulary()[2]
    clauses = [_words(c) for c in _CLAUSE_BREAK.split(normalized)]
    first_word = sum(len(c) for c in clauses) - len(words)  # index after stripped prefixes
    positive: set[str] = set()
    negative: set[str] = set()
    vetoes: set[str] = set()
    offset = 0
    for clause in clauses:
        idioms = _idiom_words(clause)
        for start in range(len(clause)):
            if start in idioms:
                continue
            for alias, label in _matches_at(clause, start, table.index):
                if alias[0] in weak_words and offset + start != first_word:
                    vetoes.add(label)
                    continue
                (negative if _negated(clause, start) else positive).add(label)
        offset += len(clause)
    if len(positive) == 1 and not positive & negative and vetoes <= positive:
        return next(iter(positive))
    if not positive and not vetoes and len(negative) == 1:
        return table.negation.get(next(iter(negative)))
    return None
