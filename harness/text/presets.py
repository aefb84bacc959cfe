"""Tokenizers of the ROUGE compatibility presets (`metrics.rouge.preset`), for matching
published figures rather than for the harness's own comparisons.

- `NewlineSentences`: the harness's tokens, but ROUGE-Lsum sentences are the text's lines, as
  `rouge_score` splits them (on "\\n" only) when a caller joins sentences with newlines.
- `XLSumTokenizer`: the tokenization of the XL-Sum paper's multilingual ROUGE
  (github.com/csebuetnlp/xl-sum, `multilingual_rouge_scoring`, run with ``lang="arabic"`` and
  ``use_stemmer=True``), re-implemented from its description and code: lowercase; control and
  format characters (Unicode C*, but tab/newline) deleted, other whitespace a space;
  punctuation (ASCII symbols and Unicode P*) a separator; then OpenNMT's "aggressive" mode:
  runs of letters (with their combining marks) and runs of digits are separate tokens, and
  every other character is a token of its own; tokens longer than 3 characters go through
  NLTK's Snowball Arabic stemmer with NLTK's Arabic stopword list left unstemmed. No Arabic
  normalization (alef, yeh, harakat) is applied. Its rougeLsum splits lines only.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable, Collection
from functools import lru_cache
from typing import ClassVar

from harness.errors import InputError
from harness.text.arabic import ArabicTokenizer

_LINE = "\n"


class NewlineSentences:
    """`ArabicTokenizer` tokens; ROUGE-Lsum sentences are the normalized text's lines."""

    SENTENCES: ClassVar[str] = "lines split on \\n only (rouge_score)"

    def __init__(self, tokenizer: ArabicTokenizer) -> None:
        self.tokenizer = tokenizer

    def tokenize(self, text: str) -> list[str]:
        return self.tokenizer.tokenize(text)

    def sentence_tokens(self, text: str) -> list[list[str]]:
        normalized = self.tokenizer.normalize(text)
        out = [self.tokenizer.tokenize(line) for line in normalized.split(_LINE)]
        return [tokens for tokens in out if tokens]

    def describe(self) -> dict[str, object]:
        return {**self.tokenizer.describe(), "sentences": self.SENTENCES}


def _is_separator_punctuation(char: str) -> bool:
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _char_class(char: str) -> str:
    """' ' (separator), 'L' letter, 'M' mark, 'N' digit or number, 'O' any other."""
    if char in "\t\n\r" or char == " ":
        return " "
    category = unicodedata.category(char)
    if category.startswith("C") or char in "\x00\ufffd":
        return ""
    if category == "Zs" or _is_separator_punctuation(char):
        return " "
    return category[0] if category[0] in "LMN" else "O"


@lru_cache(maxsize=1 << 16)
def _classes(char: str) -> str:
    return _char_class(char)


@lru_cache(maxsize=1)
def load_stopwords() -> frozenset[str]:
    """NLTK's Arabic stopword list (nltk_data), which XL-Sum's stemmer leaves unstemmed."""
    try:
        from nltk.corpus import stopwords

        return frozenset(stopwords.words("arabic"))
    except LookupError:
        raise InputError(
            "the xlsum ROUGE preset stems as XL-Sum did, which keeps NLTK's Arabic stopwords "
            "unstemmed: install NLTK's stopword list (python -m nltk.downloader stopwords)",
            field="metrics.rouge.preset") from None


class XLSumTokenizer:
    """The XL-Sum multilingual ROUGE's tokens for Arabic (see the module docstring)."""

    ID: ClassVar[str] = "xlsum.multilingual_rouge.arabic"
    VERSION: ClassVar[str] = "1.0.0"
    MIN_STEM_LENGTH: ClassVar[int] = 3  # tokens longer than this are stemmed
    SENTENCES: ClassVar[str] = "lines split on \\n only"

    def __init__(self, stem: bool = True, stopwords: Collection[str] | None = None) -> None:
        self.stem = stem
        self._stopwords = stopwords
        self._stemmer: Callable[[str], str] | None = None
        if stem:
            from nltk.stem.snowball import ArabicStemmer

            stemmer = ArabicStemmer(ignore_stopwords=False)
            stemmer.stopwords = set(load_stopwords() if stopwords is None else stopwords)
            lock = threading.Lock()

            def stem_one(token: str) -> str:
                if len(token) <= self.MIN_STEM_LENGTH:
                    return token
                with lock:  # NLTK's ArabicStemmer keeps per-call state on the instance
                    return stemmer.stem(token)

            self._stemmer = lru_cache(maxsize=1 << 18)(stem_one)

    def __reduce__(self) -> tuple[type[XLSumTokenizer], tuple[bool, Collection[str] | None]]:
        return (type(self), (self.stem, self._stopwords))

    def _words(self, text: str) -> list[str]:
        tokens: list[str] = []
        current: list[str] = []
        kind = ""
        for char in text.lower():
            cls = _classes(char)
            if cls == "":
                continue
            if cls == "M" and current:  # a combining mark stays with what it follows
                current.append(char)
                continue
            if cls != kind or cls == "O" or cls == " ":
                if current:
                    tokens.append("".join(current))
                current = [] if cls == " " else [char]
                kind = cls
                continue
            current.append(char)
        if current:
            tokens.append("".join(current))
        return tokens

    def tokenize(self, text: str) -> list[str]:
        words = self._words(text)
        return [self._stemmer(w) for w in words] if self._stemmer is not None else words

    def sentence_tokens(self, text: str) -> list[list[str]]:
        out = [self.tokenize(line) for line in text.split(_LINE)]
        return [tokens for tokens in out if tokens]

    def describe(self) -> dict[str, object]:
        return {"id": self.ID, "version": self.VERSION,
                "stemmer": "snowball-ar>3chars+nltk-stopwords"
                if self.stem else "none",
                "sentences": self.SENTENCES}
