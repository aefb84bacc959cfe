"""Arabic normalization, tokenization and sentence splitting for ROUGE.

ROUGE counts exact token matches, so two spellings of the same Arabic word (with or without
harakat, hamza on the alef, tatweel, Arabic-Indic digits, invisible bidi marks) must become the
same token, or a correct summary is scored as wrong. `rouge_score`'s default tokenizer keeps only
``[a-z0-9]`` and would drop Arabic entirely, hence this module.

Everything per-option (translate table, regexes, stem cache) is built once per
`ArabicTokenizer` instance because the scorer tokenizes every reference and prediction.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import ClassVar

from harness.text.options import NormalizationOptions
from harness.text.segment import find_tokens, sentence_tokens, split_sentences

# Code points that are invisible when rendered but split or hide word matches: Unicode's
# Default_Ignorable_Code_Point set (ZWSP, ZWNJ, ZWJ, LRM/RLM, bidi embeddings and isolates,
# ALM, BOM, soft hyphen, variation selectors, tags, ...; tests check it against `regex`), and
# the enclosing marks that only decorate what they follow (the keycap of "1\ufe0f\u20e3").
# Version 1 of the tokenizer deleted only the first eleven kinds; "❤\ufe0f" became a token.
_INVISIBLE: tuple[int, ...] = (
    0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, *range(0x180B, 0x1810),
    *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0x3164,
    *range(0xFE00, 0xFE10), 0xFEFF, 0xFFA0, *range(0xFFF0, 0xFFF9),
    *range(0x1BCA0, 0x1BCA4), *range(0x1D173, 0x1D17B), *range(0xE0000, 0xE1000),
)
_ENCLOSING_MARKS: tuple[int, ...] = (
    0x0488, 0x0489, 0x1ABE, *range(0x20DD, 0x20E1), *range(0x20E2, 0x20E5),
    *range(0xA670, 0xA673),
)
# Harakat, tanween, shadda, sukun, superscript alef and Quranic annotation marks.
_DIACRITICS: tuple[int, ...] = (
    *range(0x064B, 0x0660),
    0x0670,
    *range(0x0610, 0x061B),
    *range(0x06D6, 0x06EE),
)
_TATWEEL = 0x0640
_ALEF_FORMS = "أإآٱ"
_ALEF_MAKSURA = "ى"
_TA_MARBUTA = "ة"
_ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
_ARABIC_DECIMAL_SEP = "٫"
_ARABIC_THOUSANDS_SEP = "٬"


# A dense tuple indexed by code point translates about twice as fast as a dict (no hashing);
# code points past its end raise IndexError, which `str.translate` treats as "keep as is".
_Table = tuple[int | str | None, ...]


@lru_cache(maxsize=64)
def character_rules(options: NormalizationOptions) -> dict[int, str | None]:
    """Every single-character rule: code point -> replacement (None: delete). The definition
    `_Translator` implements; ``text.translate(character_rules(options))`` is the reference."""
    table: dict[int, str | None] = {}
    if options.strip_invisible:
        table.update(dict.fromkeys(_INVISIBLE))
        table.update(dict.fromkeys(_ENCLOSING_MARKS))
    if options.strip_diacritics:
        table.update(dict.fromkeys(_DIACRITICS))
    if options.strip_tatweel:
        table[_TATWEEL] = None
    if options.unify_alef:
        table.update({ord(c): "ا" for c in _ALEF_FORMS})
    if options.unify_yeh:
        table[ord(_ALEF_MAKSURA)] = "ي"
    if options.ascii_digits:
        for digits in (_ARABIC_INDIC_DIGITS, _PERSIAN_DIGITS):
            table.update({ord(c): str(i) for i, c in enumerate(digits)})
        table[ord(_ARABIC_DECIMAL_SEP)] = "."
        table[ord(_ARABIC_THOUSANDS_SEP)] = ","
    if options.ta_marbuta and not options.stem:
        # The Snowball stemmer treats ة as a suffix; rewriting it to ه first would hide it.
        table[ord(_TA_MARBUTA)] = "ه"
    return table


@lru_cache(maxsize=64)
def _build_table(options: NormalizationOptions) -> _Table:
    """The rewrites (not the deletions: `_Translator` deletes first) as one dense table.

    Cached per options (they are frozen, hence hashable) so tokenizers share the table.
    """
    table = {cp: to for cp, to in character_rules(options).items() if to is not None}
    return tuple(table.get(cp, cp) for cp in range(max(table, default=-1) + 1))


# Letters rewritten in almost every Arabic text; `str.replace` handles each in one C scan.
_FREQUENT = _ALEF_FORMS + _ALEF_MAKSURA + _TA_MARBUTA


class _Translator:
    """``str.translate`` with the character rules, ~2x faster on typical Arabic text.

    `str.translate` boxes and looks up every character (~25 ns each). Most texts only need
    the frequent letter rewrites and a few deletions, so: delete with one regex; then if a
    rare rewrite (digits, separators) occurs, use the dense rewrite table; otherwise rewrite
    each frequent letter with `str.replace`. This equals the rules because every rule maps one
    character and no rule's output is another rule's input (checked here).
    """

    __slots__ = ("_delete", "_delete_astral", "_frequent", "_rare", "_special", "_table")

    def __init__(self, rules: dict[int, str | None], table: _Table) -> None:
        """Split the rules into deletions, frequent rewrites and rare rewrites."""
        self._table = table
        changed = {cp: to for cp, to in rules.items() if to != chr(cp)}
        deleted = [chr(cp) for cp, to in changed.items() if to is None]
        self._frequent = [
            (chr(cp), to)
            for cp, to in changed.items()
            if isinstance(to, str) and chr(cp) in _FREQUENT
        ]
        rare = [
            chr(cp) for cp, to in changed.items() if to is not None and chr(cp) not in _FREQUENT
        ]
        outputs = {c for to in changed.values() if isinstance(to, str) for c in to}
        if any(ord(c) in changed for c in outputs) or any(len(to) != 1 for _, to in self._frequent):
            raise ValueError("translate rules must map single characters to unchanged ones")
        # `re` tests a class of BMP characters with one bitmap lookup, but walks a list of
        # ranges once any is astral: astral deletions (tags...) run only on texts that have
        # an astral character at all.
        self._delete = _char_class([c for c in deleted if c <= "\uffff"])
        self._delete_astral = _char_class([c for c in deleted if c > "\uffff"])
        self._rare = _char_class(rare)
        # One scan tells whether a text needs either of the two rare steps: it has a rare
        # rewrite or an astral character (one range costs `re` little, and a separate test for
        # astral characters cost as much as the scan). Only such texts pay for those steps.
        self._special = self._rare
        if self._delete_astral is not None:
            rare_class = self._rare.pattern[1:-1] if self._rare is not None else ""
            self._special = re.compile(f"[{rare_class}\U00010000-\U0010ffff]")

    def __call__(self, text: str) -> str:
        """Return ``text.translate(rules)``."""
        if self._delete is not None:
            text = self._delete.sub("", text)
        if self._special is not None and self._special.search(text):
            if self._delete_astral is not None and _has_astral(text):
                text = self._delete_astral.sub("", text)
            if self._rare is not None and self._rare.search(text):
                return text.translate(self._table)
        for old, new in self._frequent:
            text = text.replace(old, new)
        return text


def _has_astral(text: str) -> bool:
    """Whether any character is beyond U+FFFF (each takes two UTF-16 units); encoding the
    UCS-2 text most news is stored as is a copy, ~4x faster than a regex scan for them."""
    return len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)


def _char_class(chars: list[str]) -> re.Pattern[str] | None:
    """A stdlib pattern matching any one of ``chars`` (faster than `regex` for this).

    Consecutive code points become ranges: `re` tests a class's single characters one by one,
    and the 4,096 tag characters listed singly made deleting ~30x slower than scanning.
    """
    if not chars:
        return None
    points = sorted(set(map(ord, chars)))
    parts: list[str] = []
    start = previous = points[0]
    for cp in [*points[1:], -2]:
        if cp != previous + 1:
            first, last = re.escape(chr(start)), re.escape(chr(previous))
            parts.append(first if start == previous else f"{first}-{last}")
            start = cp
        previous = cp
    return re.compile("[" + "".join(parts) + "]")


@lru_cache(maxsize=64)
def _build_translator(options: NormalizationOptions) -> _Translator:
    """One translator per options, shared like the table it is built from."""
    return _Translator(character_rules(options), _build_table(options))


class ArabicTokenizer:
    """Normalizing Arabic word tokenizer usable as ``RougeScorer(tokenizer=...)``.

    Invisible format characters (ZWNJ, RLM, ZWSP, BOM, ...) are *deleted*, not turned into
    spaces: they never separate words visually, so "كتاب\\u200fالطالب" becomes "كتابالطالب"
    exactly as a reader would see it typed without a space, and a mark next to a real space
    leaves that space in place. With ``strip_invisible=False`` they are kept and, not being
    letters, end the token they sit in.
    """

    ID: ClassVar[str] = "harness.arabic"
    # Bump whenever the output for some input changes. 2.0.0: digit runs split from Arabic
    # letters (segment.DIGIT_ARABIC_BOUNDARY_RE); all default-ignorable code points and the
    # enclosing marks deleted (variation selectors, tags, keycaps).
    VERSION: ClassVar[str] = "2.0.0"

    _STEM_CACHE_SIZE: ClassVar[int] = 1 << 18

    def __init__(self, options: NormalizationOptions | None = None) -> None:
        """Precompile the per-option translate table and, if stemming, the cached stemmer."""
        self.options: NormalizationOptions = options or NormalizationOptions()
        self._translate = _build_translator(self.options)
        self._stem: Callable[[str], str] | None = None
        if self.options.stem:
            # Imported here: nltk takes a second to import and only stemming tasks need it.
            from nltk.stem.snowball import SnowballStemmer

            stemmer = SnowballStemmer("arabic", ignore_stopwords=False)
            lock = threading.Lock()

            def stem_one(token: str) -> str:
                # NLTK's ArabicStemmer keeps per-call state on the instance: not thread-safe.
                with lock:
                    return stemmer.stem(token)

            self._stem = lru_cache(maxsize=self._STEM_CACHE_SIZE)(stem_one)

    def __reduce__(self) -> tuple[type[ArabicTokenizer], tuple[NormalizationOptions]]:
        """Pickle by options only: the lock and cache are rebuilt (for multiprocessing)."""
        return (type(self), (self.options,))

    def __repr__(self) -> str:
        """Show the options so logs identify exactly which normalization was used."""
        return f"{type(self).__name__}({self.options!r})"

    def normalize(self, text: str) -> str:
        """Apply the character-level rules only; punctuation and spacing are kept."""
        if self.options.nfkc:
            text = unicodedata.normalize("NFKC", text)
        text = self._translate(text)
        if self.options.lowercase:
            text = text.lower()
        return text

    def tokenize(self, text: str) -> list[str]:
        """Normalize, then return word/number tokens; punctuation never reaches a token."""
        tokens = find_tokens(self.normalize(text))
        if self._stem is not None:
            stem = self._stem
            tokens = [stem(token) for token in tokens]
        return tokens

    def sentence_tokens(self, text: str) -> list[list[str]]:
        """Tokens of each sentence of the *normalized* text, normalizing and scanning it once.

        Sentences end where `sentence_texts` says; sentences without tokens are dropped, so
        concatenating the result gives exactly ``tokenize(text)``. ROUGE needs both views of
        every text, and normalizing and scanning it twice used to cost half the scoring time.
        """
        out = sentence_tokens(self.normalize(text))
        stem = self._stem
        if stem is not None:
            return [[stem(token) for token in tokens] for tokens in out]
        return out

    def sentence_texts(self, text: str) -> list[str]:
        """`sentences` applied to ``normalize(text)``: the sentences `sentence_tokens` sees.

        Splitting after normalization means an invisible mark can no longer make "3\u200f.5"
        look like a sentence end, and every normalized digit separator counts as a digit one.
        """
        return self.sentences(self.normalize(text))

    def sentences(self, text: str) -> list[str]:
        """Split raw text on . ! ? ؟ ۔ … and line breaks, keeping each terminator.

        A "." between two digits ("3.5") is not a boundary; runs like "..." or "؟!" end one
        sentence; closing quotes/brackets right after a terminator stay with that sentence.
        Pieces are stripped and empty ones dropped; the text is *not* normalized.
        """
        return split_sentences(text)

    def describe(self) -> dict[str, object]:
        """Identify this tokenizer so that reported scores can be reproduced."""
        return {"id": self.ID, "version": self.VERSION, "options": self.options.model_dump()}
