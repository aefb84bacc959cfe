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

# Format characters that are invisible when rendered but split or hide word matches.
_INVISIBLE: tuple[int, ...] = (
    *range(0x200B, 0x2010),  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO
    *range(0x2066, 0x206A),  # LRI, RLI, FSI, PDI
    0x061C,  # ARABIC LETTER MARK
    0xFEFF,  # BOM / ZWNBSP
    0x00AD,  # soft hyphen
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
def _build_table(options: NormalizationOptions) -> _Table:
    """Fold every single-character rule into one `str.translate` table (one pass per text).

    Cached per options (they are frozen, hence hashable) so tokenizers share the ~2 MB table.
    """
    table: dict[int, str | None] = {}
    if options.strip_invisible:
        table.update(dict.fromkeys(_INVISIBLE))
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
    return tuple(table.get(cp, cp) for cp in range(max(table, default=-1) + 1))


# Letters rewritten in almost every Arabic text; `str.replace` handles each in one C scan.
_FREQUENT = _ALEF_FORMS + _ALEF_MAKSURA + _TA_MARBUTA


class _Translator:
    """`str.translate` with a table, ~2x faster on typical Arabic text.

    `str.translate` boxes and looks up every character (~25 ns each). Most texts only need
    the frequent letter rewrites and a few deletions, so: if a rare rewrite (digits,
    separators) occurs, use the full table; otherwise delete with one regex and rewrite each
    frequent letter with `str.replace`. This equals the table because every rule maps one
    character and no rule's output is another rule's input (checked here).
    """

    __slots__ = ("_delete", "_frequent", "_rare", "_table")

    def __init__(self, table: _Table) -> None:
        """Split the table's rules into deletions, frequent rewrites and rare rewrites."""
        self._table = table
        changed = {cp: to for cp, to in enumerate(table) if to != cp}
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
        self._delete = _char_class(deleted)
        self._rare = _char_class(rare)

    def __call__(self, text: str) -> str:
        """Return ``text.translate(table)``."""
        if self._rare is not None and self._rare.search(text):
            return text.translate(self._table)
        if self._delete is not None:
            text = self._delete.sub("", text)
        for old, new in self._frequent:
            text = text.replace(old, new)
        return text


def _char_class(chars: list[str]) -> re.Pattern[str] | None:
    """A stdlib pattern matching any one of ``chars`` (faster than `regex` for this)."""
    if not chars:
        return None
    return re.compile("[" + "".join(re.escape(c) for c in chars) + "]")


@lru_cache(maxsize=64)
def _build_translator(options: NormalizationOptions) -> _Translator:
    """One translator per options, shared like the table it is built from."""
    return _Translator(_build_table(options))


class ArabicTokenizer:
    """Normalizing Arabic word tokenizer usable as ``RougeScorer(tokenizer=...)``.

    Invisible format characters (ZWNJ, RLM, ZWSP, BOM, ...) are *deleted*, not turned into
    spaces: they never separate words visually, so "كتاب\\u200fالطالب" becomes "كتابالطالب"
    exactly as a reader would see it typed without a space, and a mark next to a real space
    leaves that space in place. With ``strip_invisible=False`` they are kept and, not being
    letters, end the token they sit in.
    """

    ID: ClassVar[str] = "harness.arabic"
    VERSION: ClassVar[str] = "1.0.0"  # bump whenever the output for some input changes

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
