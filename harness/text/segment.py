"""Where tokens and sentences are in (normalized) text: the definitions, and fast scanners.

The definitions are three regular expressions: `TOKEN_RE` finds tokens, which are then cut
where `DIGIT_ARABIC_BOUNDARY_RE` matches (`regex_tokens`), and `SENTENCE_END_RE`. Scoring a
batch applies them to every prediction and reference, and running them over whole texts was
most of ROUGE's cost, so `find_tokens` and `sentence_tokens` take a shortcut that gives
identical results: no token or sentence end spans whitespace, so each whitespace-separated
word can be read alone, and most words are tokens as they stand (`str.isalnum`), possibly
with one punctuation mark at either end. Only the rest go through the regular expressions.
(`regex` may know newer Unicode letters than `str.isalnum`, never fewer, so a word that is
`isalnum` is one token to `regex` too; tests check this and the equivalences themselves.)
"""

from __future__ import annotations

import re

import regex

# A token is a run of letters, marks and digits; a "." or "," (or the Arabic separators when
# ascii_digits is off) may join two parts only when it sits right between two digits, so
# "3.5" and "1,000" stay whole while "كتاب." or "word,word" do not glue.
# (Testing the separator before the look-behind is ~15% faster: most tokens end in a space.)
TOKEN_RE = regex.compile(r"[\p{L}\p{M}\p{N}]+(?:[.,٫٬](?<=\p{N}.)\p{N}[\p{L}\p{M}\p{N}]*)*")

# Where a token is cut (tokenizer 2.0.0): between a digit and an Arabic letter (the letter
# perhaps followed by marks). Unicode's word rules keep "و2015", "2023م" or "15سوق" whole, but
# in Arabic such a digit run is a clitic's host, a suffix's or a missing space's neighbour, and
# ROUGE should count the number. Latin letters and digits stay together ("COVID19", "G20").
DIGIT_ARABIC_BOUNDARY_RE = regex.compile(
    r"(?<=\p{N})(?=[\p{scx=Arabic}&&\p{L}])|(?<=[\p{scx=Arabic}&&\p{L}]\p{M}*)(?=\p{N})",
    regex.V1,
)
_split_at_boundaries = DIGIT_ARABIC_BOUNDARY_RE.split

# Sentence ends: a run of terminators (a "." counts unless it sits between two digits), plus
# any closing quotes/brackets that belong to the sentence just ended; or a line break.
SENTENCE_END_RE = regex.compile(
    r"(?:[!?؟۔…]|(?<!\p{N})\.|\.(?!\p{N}))+[\"'»”’)\]]*|[\r\n\u2028\u2029]"
)
# Every sentence end starts with one of these; a stdlib scan for them is ~10x cheaper than
# running `SENTENCE_END_RE` over the whole text.
_SENTENCE_END_START = re.compile(r"[.!?؟۔…\r\n\u2028\u2029]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")

# Marks that are never part of a token (none is a letter, mark or digit to `regex`).
EDGE_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~«»“”‘’„…–—،؛؟٪۔")
# Those that end a sentence when they end a word (nothing can follow them there).
TERMINATORS = frozenset(".!?؟۔…")
# Those that neither end a sentence nor join digits where they start a word.
_OPENERS = EDGE_PUNCTUATION - TERMINATORS


def regex_tokens(text: str) -> list[str]:
    """The token definition: `TOKEN_RE` matches cut at `DIGIT_ARABIC_BOUNDARY_RE`."""
    return [piece for token in TOKEN_RE.findall(text) for piece in _split_at_boundaries(token)]


def _cut(tokens: list[str]) -> list[str]:
    """Cut each token at the digit/Arabic-letter boundaries (only mixed ones can have one:
    a token of letters alone, or of decimal digits alone, is returned as it is)."""
    out: list[str] = []
    for token in tokens:
        if token.isalpha() or token.isdecimal():
            out.append(token)
        else:
            out += _split_at_boundaries(token)
    return out


def find_tokens(text: str) -> list[str]:
    """``regex_tokens(text)``, about twice as fast on news text.

    The tests are ordered for news text: most words are letters alone (`str.isalpha`, one
    scan), most others a word and an edge mark, which is never a letter or digit, so `isdecimal`
    and `isalnum` run only on words without one. Testing `isalnum` first, then whether the word
    needs cutting, scanned most words two or three times (tokenizer 2.0.0 lost ~15% to that;
    `benchmarks/tokenizer_versions.py`).
    """
    out: list[str] = []
    append = out.append
    for word in text.split():
        if word.isalpha():
            append(word)
            continue
        last = word[-1]
        if last in EDGE_PUNCTUATION:  # (no edge mark is a letter or digit: `word` is neither)
            head = word[:-1]
            if head.isalpha() or head.isdecimal():
                append(head)
                continue
            if head.isalnum():
                out += _split_at_boundaries(head)
                continue
        elif word.isdecimal():
            append(word)
            continue
        elif word.isalnum():
            out += _split_at_boundaries(word)
            continue
        if word[0] in EDGE_PUNCTUATION and (tail := word[1:]).isalnum():
            out += _cut([tail])
        else:
            out += _cut(TOKEN_RE.findall(word))
    return out


def sentence_tokens(text: str) -> list[list[str]]:
    """The tokens of each sentence of ``text``, sentences ending where `SENTENCE_END_RE`
    matches (leftmost first, as `split_sentences` cuts them); empty sentences are dropped.

    Line breaks always end a sentence, so lines are read one by one; within a line, a word
    ending in a terminator ends its sentence, and a word with a terminator elsewhere is
    scanned with the regular expressions. Mixed letter/digit tokens are cut like `find_tokens`
    cuts them.
    """
    out: list[list[str]] = []
    for line in _lines(text):
        current: list[str] = []
        append = current.append
        for word in line.split():
            if word.isalpha():  # most words: one scan (see `find_tokens`)
                append(word)
                continue
            last = word[-1]
            if last in EDGE_PUNCTUATION:  # a word, then a mark (TERMINATORS are such marks)
                head = word[:-1]
                if head.isalpha() or head.isdecimal():
                    append(head)
                elif head.isalnum():
                    current += _split_at_boundaries(head)
                else:
                    last = ""
                if last:
                    if last in TERMINATORS:
                        out.append(current)
                        current = []
                        append = current.append
                    continue
            elif word.isdecimal():  # (no edge mark is a letter or digit: `word` is neither)
                append(word)
                continue
            elif word.isalnum():
                current += _split_at_boundaries(word)
                continue
            if word[0] in _OPENERS and word[1:].isalnum():
                current += _cut([word[1:]])
                continue
            current = _scan_word(word, current, out)
            append = current.append
        if current:
            out.append(current)
    return out


def _lines(text: str) -> list[str]:
    """``_LINE_BREAK.split(text)``; `str.split` is twice as fast where "\n" is the only break."""
    if "\r" in text or "\u2028" in text or "\u2029" in text:
        return _LINE_BREAK.split(text)
    return text.split("\n")


def _scan_word(word: str, current: list[str], out: list[list[str]]) -> list[str]:
    """Add ``word``'s tokens to the open sentence ``current``, closing it (into ``out``) at
    each sentence end inside the word; returns the sentence left open."""
    start = 0
    candidate = _SENTENCE_END_START.search(word)
    while candidate is not None:
        # finditer's leftmost match, found only at the few places where one can start.
        end = SENTENCE_END_RE.match(word, candidate.start())
        if end is None:
            candidate = _SENTENCE_END_START.search(word, candidate.end())
            continue
        current += find_tokens(word[start : end.start()])
        if current:
            out.append(current)
            current = []
        start = end.end()
        candidate = _SENTENCE_END_START.search(word, start)
    current += find_tokens(word[start:] if start else word)
    return current


def split_sentences(text: str) -> list[str]:
    """Cut ``text`` after each `SENTENCE_END_RE` match; pieces stripped, empty ones dropped."""
    pieces: list[str] = []
    start = 0
    for match in SENTENCE_END_RE.finditer(text):
        piece = text[start : match.end()].strip()
        if piece:
            pieces.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces
