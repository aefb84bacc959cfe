"""`harness.text.segment`: the fast scanners must equal the regular expressions they replace.

The shortcuts rest on facts about Unicode that are checked here over every code point, so a
new Python or `regex` release that broke one would fail these tests, not skew scores.
"""

from __future__ import annotations

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.text.segment import (
    EDGE_PUNCTUATION,
    SENTENCE_END_RE,
    TERMINATORS,
    find_tokens,
    regex_tokens,
    sentence_tokens,
    split_sentences,
)

_TOKEN_CHAR = regex.compile(r"[\p{L}\p{M}\p{N}]")
_LETTER_OR_DIGIT = regex.compile(r"[\p{L}\p{N}]")
_LINE_BREAKS = "\r\n\u2028\u2029"
_ALL_CHARS = [chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]

# Raw (unnormalized) text over everything the scanners branch on: letters, digits of three
# scripts, digit separators, marks, every edge mark and terminator, closing quotes, and each
# kind of whitespace that `str.split` or a line split treats differently.
_ALPHABET = (
    "ابتةجدرسكلمنهويىأإ" + "abzAZ" + "0123456789٠١٢۱۲½²"
    ".,٫٬"
    + "\u064b\u0650\u0651\u0670\u0301"
    + "ـ"
    + "".join(sorted(EDGE_PUNCTUATION))
    + "\"'»”’)]"
    + " \t\n\r\u2028\u2029\x0b\x0c\x1c\x85\xa0\u3000"
    + "\u200f\u200c#@"
)
_TEXTS = st.text(alphabet=_ALPHABET, max_size=80)


def test_isalnum_words_are_single_tokens_to_regex() -> None:
    """`regex` may know newer letters than `str.isalnum`, never fewer."""
    assert not [c for c in _ALL_CHARS if c.isalnum() and not _LETTER_OR_DIGIT.match(c)]


def test_whitespace_never_belongs_to_a_token_or_sentence_end() -> None:
    spaces = [c for c in _ALL_CHARS if c.isspace()]
    assert not [c for c in spaces if _TOKEN_CHAR.match(c) or c in ".,٫٬"]
    assert not [c for c in spaces if c not in _LINE_BREAKS and SENTENCE_END_RE.match(c)]
    assert all(SENTENCE_END_RE.fullmatch(c) for c in _LINE_BREAKS)


def test_edge_marks_are_never_token_characters() -> None:
    assert not [c for c in EDGE_PUNCTUATION if _TOKEN_CHAR.match(c)]


def test_terminators_end_a_sentence_at_a_word_end_and_others_never_start_one() -> None:
    assert TERMINATORS <= EDGE_PUNCTUATION
    assert all(SENTENCE_END_RE.fullmatch(f"9{c}", 1) for c in TERMINATORS)
    assert not [c for c in EDGE_PUNCTUATION - TERMINATORS if SENTENCE_END_RE.match(c)]


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(_TEXTS)
def test_find_tokens_equals_the_token_regex(text: str) -> None:
    assert find_tokens(text) == regex_tokens(text)


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(_TEXTS)
def test_sentence_tokens_equal_the_sentence_regex(text: str) -> None:
    expected = [t for piece in split_sentences(text) if (t := regex_tokens(piece))]
    assert sentence_tokens(text) == expected


def test_common_news_shapes() -> None:
    text = 'قال "الوزير": ارتفع 3.5٪، (تقريبا). هل؟! نعم…\nسطر «ثان»'
    assert sentence_tokens(text) == [
        ["قال", "الوزير", "ارتفع", "3.5", "تقريبا"],
        ["هل"],
        ["نعم"],
        ["سطر", "ثان"],
    ]
    assert find_tokens(text) == [t for s in sentence_tokens(text) for t in s]
