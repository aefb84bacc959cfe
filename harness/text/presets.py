"""Tokenizers of the ROUGE compatibility presets (`metrics.rouge.preset`), for matching
published figures rather than for the harness's own comparisons.

- `NewlineSentences`: the harness's tokens, but ROUGE-Lsum sentences are the text's lines, as
  `rouge_score` splits them (on "\\n" only) when a caller joins sentences with newlines.
- `XLSumTokenizer`: the tokens of the XL-Sum paper's multilingual ROUGE
  (github.com/csebuetnlp/xl-sum, `multilingual_rouge_scoring`, run with ``lang="arabic"`` and
  ``use_stemmer=True``), re-implemented from its code and checked token for token against it
  (with pyonmttok 1.38) on the bundled MArSum texts: lowercase; control and format characters
  (Unicode C*, but tab/newline/CR) deleted; whitespace and punctuation (ASCII symbols, Unicode
  P*) separate words; then OpenNMT's "aggressive" mode: runs of letters (with their combining
  marks) and runs of digits are separate tokens, every other character is a token of its own,
  and a mark that starts a word after the first becomes OpenNMT's escaped space "％0020" plus
  the mark; CJK ideographs are tokens alone. Tokens longer than 3 characters go through NLTK's
  Snowball Arabic stemmer, which leaves the words of NLTK's Arabic stopword list as they are
  (`harness.text.stopwords`: the list of 2017-10 that XL-Sum published with, by default); empty
  stems are dropped. No Arabic normalization (alef, yeh) beyond the stemmer's own. rougeLsum
  reads the text's lines and tokenizes them without the OpenNMT step, as XL-Sum's scorer does.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import ClassVar

from harness.text.arabic import ArabicTokenizer
from harness.text.stopwords import DEFAULT_XLSUM_STOPWORDS, STOPWORD_LISTS, load_stopwords

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
    """' ' (separator), 'L' letter, 'M' mark, 'N' digit or number, 'O' any other, '' deleted."""
    if char in "\t\n\r":
        return " "
    category = unicodedata.category(char)
    if category.startswith("C") or char in "\x00\ufffd":
        return ""
    if category[0] == "Z" or _is_separator_punctuation(char):  # Zl, Zp: str.split splits
        return " "
    return category[0] if category[0] in "LMN" else "O"


@lru_cache(maxsize=1 << 16)
def _classes(char: str) -> str:
    return _char_class(char)


# BERT's CJK ranges, which XL-Sum's scorer spaces apart after OpenNMT.
_CJK = re.compile("([\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0002a6df"
                  "\U0002a700-\U0002ceaf\U0002f800-\U0002fa1f])")
_ESCAPED_SPACE = "\uff050020"  # OpenNMT's "％0020": a space that carries a combining mark
_JOINER, _JOINER_OUT = "\uffed", "\u25a0"  # OpenNMT writes its joiner mark "￭" as "■"


def _basic_words(text: str) -> list[str]:
    """XL-Sum's `BasicTokenizer`: runs of characters between separators (rougeLsum's tokens)."""
    words: list[str] = []
    current: list[str] = []
    for char in text.lower():
        cls = _classes(char)
        if cls == " ":
            if current:
                words.append("".join(current))
                current = []
        elif cls:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


def _aggressive_words(text: str) -> list[str]:
    """`_basic_words` joined by spaces, then OpenNMT's aggressive split and the CJK split."""
    tokens: list[str] = []
    current: list[str] = []
    kind = ""
    for char in text.lower().replace(_JOINER, _JOINER_OUT):
        cls = _classes(char)
        if cls == "":
            continue
        if cls == "M":
            if current:  # a combining mark stays with what it follows
                current.append(char)
                continue
            # a mark opening a word: alone first, then on the escaped space before it
            current, kind = [_ESCAPED_SPACE if tokens else "", char], "M"
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
    if any(_CJK.search(token) for token in tokens):
        tokens = [part for token in tokens for part in _CJK.split(token) if part]
    return tokens


class XLSumTokenizer:
    """The XL-Sum multilingual ROUGE's tokens for Arabic (see the module docstring)."""

    ID: ClassVar[str] = "xlsum.multilingual_rouge.arabic"
    # 2.0.0: checked against XL-Sum's scorer: NLTK's stopword list shipped and named; a mark
    # opening a word, CJK ideographs, line/paragraph separators and empty stems as XL-Sum
    # treats them; rougeLsum lines tokenized without the OpenNMT split, as XL-Sum does.
    VERSION: ClassVar[str] = "2.0.0"
    MIN_STEM_LENGTH: ClassVar[int] = 3  # tokens longer than this are stemmed
    SENTENCES: ClassVar[str] = "lines split on \\n only, words without the OpenNMT split"
    # rougeLsum's tokens are not the whole text's tokens cut into lines (harness.scoring.rouge)
    sentences_tile: ClassVar[bool] = False

    def __init__(self, stem: bool = True, stopwords: str = DEFAULT_XLSUM_STOPWORDS) -> None:
        self.stem = stem
        self.stopwords = stopwords
        self._stemmer: Callable[[str], str] | None = None
        if stem:
            from nltk.stem.snowball import ArabicStemmer

            stemmer = ArabicStemmer(ignore_stopwords=False)
            stemmer.stopwords = set(load_stopwords(stopwords))
            lock = threading.Lock()

            def stem_one(token: str) -> str:
                if len(token) <= self.MIN_STEM_LENGTH:
                    return token
                with lock:  # NLTK's ArabicStemmer keeps per-call state on the instance
                    return stemmer.stem(token)

            self._stemmer = lru_cache(maxsize=1 << 18)(stem_one)

    def __reduce__(self) -> tuple[type[XLSumTokenizer], tuple[bool, str]]:
        return (type(self), (self.stem, self.stopwords))

    def _stemmed(self, words: list[str]) -> list[str]:
        stem = self._stemmer
        if stem is None:
            return words
        return [stemmed for stemmed in map(stem, words) if stemmed]

    def tokenize(self, text: str) -> list[str]:
        return self._stemmed(_aggressive_words(text))

    def sentence_tokens(self, text: str) -> list[list[str]]:
        out = [self._stemmed(_basic_words(line)) for line in text.split(_LINE)]
        return [tokens for tokens in out if tokens]

    def describe(self) -> dict[str, object]:
        options: dict[str, object]
        stemmer, options = "none", {"stem": self.stem}
        if self.stem:
            digest = STOPWORD_LISTS[self.stopwords].sha256
            stemmer = f"snowball-ar>3chars+stopwords:{self.stopwords}@{digest[:12]}"
            options.update(stopwords=self.stopwords, stopwords_sha256=digest)
        return {"id": self.ID, "version": self.VERSION, "stemmer": stemmer,
                "options": options, "sentences": self.SENTENCES}
