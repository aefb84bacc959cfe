"""Summary diagnostics beyond ROUGE: how extractive, how compressed, how novel, which numbers.

ROUGE says how close a summary is to the references; it cannot tell a copied lead paragraph from
a fluent abstract, nor a faithful figure from an invented one. These pure functions describe the
summary against its *article* instead:

- compression: article tokens / summary tokens;
- extractive fragment coverage and density (Grusky et al., 2018, "Newsroom"): the summary is
  cut greedily into the longest shared token runs with the article; coverage is the share of
  summary tokens inside a fragment, density the mean squared fragment length per summary token;
- novel n-gram share (n = 1, 2): distinct summary n-grams that never occur in the article;
- unsupported numbers: numbers in the summary that the article does not contain, a cheap
  hallucination signal (digits are compared by value, so "٣" and "3" match).

All of them use the task's tokenizer, so they see the same normalized tokens as ROUGE.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import regex

NOVEL_NGRAM_SIZES: tuple[int, ...] = (1, 2)
# A number inside a token: digits of any script, joined by . or , (or the Arabic separators)
# only between digits, so "2018م" yields "2018" and "1,000" stays one number.
_NUMBER_RE = regex.compile(r"\p{Nd}+(?:[.,٫٬]\p{Nd}+)*")
_THOUSANDS = str.maketrans("", "", ",٬")


class Tokenizer(Protocol):
    """All the diagnostics need: the task's normalized word tokens."""

    def tokenize(self, text: str) -> list[str]:
        """Return the normalized word tokens of ``text``."""
        ...


MEAN_FIELDS: tuple[str, ...] = (
    "compression",
    "coverage",
    "density",
    *(f"novel_{n}gram" for n in NOVEL_NGRAM_SIZES),
    "n_unsupported_numbers",
)


def extractive_fragments(article: Sequence[str], summary: Sequence[str]) -> list[list[str]]:
    """Greedy extractive fragments (Grusky et al., 2018, Algorithm 1).

    At each summary position take the longest article match starting there; article positions
    inside a match are skipped, as in the original algorithm. Positions are looked up in an
    index of the article, so the cost is the number of matching positions, not |A| x |S|.
    """
    positions: dict[str, list[int]] = defaultdict(list)
    for j, token in enumerate(article):
        positions[token].append(j)
    fragments: list[list[str]] = []
    i = 0
    while i < len(summary):
        best = 0
        resume = 0  # article index where the scan may continue (skips matched runs)
        for j in positions.get(summary[i], ()):
            if j < resume:
                continue
            length = 0
            while (
                i + length < len(summary)
                and j + length < len(article)
                and summary[i + length] == article[j + length]
            ):
                length += 1
            best = max(best, length)
            resume = j + length
        if best:
            fragments.append(list(summary[i : i + best]))
        i += max(best, 1)
    return fragments


def _ngrams(tokens: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def novel_ngram_share(article: Sequence[str], summary: Sequence[str], n: int) -> float | None:
    """Share of distinct summary n-grams absent from the article (None: summary too short)."""
    summary_grams = _ngrams(summary, n)
    if not summary_grams:
        return None
    return len(summary_grams - _ngrams(article, n)) / len(summary_grams)


def canonical_number(text: str) -> str:
    """A number's digits in ASCII (any script, by Unicode value), thousands separators dropped."""
    digits = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in text)
    return digits.translate(_THOUSANDS).replace("٫", ".")


def numbers_in(tokens: Iterable[str]) -> list[str]:
    """Canonical numbers found in tokens, in order of appearance (duplicates kept)."""
    return [canonical_number(m) for token in tokens for m in _NUMBER_RE.findall(token)]


def unsupported_numbers(article: Sequence[str], summary: Sequence[str]) -> list[str]:
    """Distinct summary numbers that never occur in the article, in order of appearance."""
    known = set(numbers_in(article))
    missing: list[str] = []
    for number in numbers_in(summary):
        if number not in known and number not in missing:
            missing.append(number)
    return missing


def token_diagnostics(article: Sequence[str], summary: Sequence[str]) -> dict[str, Any]:
    """All per-example diagnostics from already-tokenized texts (JSON-ready)."""
    n_summary = len(summary)
    fragments = extractive_fragments(article, summary)
    lengths = [len(f) for f in fragments]
    missing = unsupported_numbers(article, summary)
    result: dict[str, Any] = {
        "article_tokens": len(article),
        "summary_tokens": n_summary,
        "compression": len(article) / n_summary if n_summary else None,
        "coverage": sum(lengths) / n_summary if n_summary else None,
        "density": sum(k * k for k in lengths) / n_summary if n_summary else None,
    }
    for n in NOVEL_NGRAM_SIZES:
        result[f"novel_{n}gram"] = novel_ngram_share(article, summary, n)
    result["unsupported_numbers"] = missing
    result["n_unsupported_numbers"] = len(missing)
    return result


def summary_diagnostics(article: str, summary: str, tokenizer: Tokenizer) -> dict[str, Any]:
    """Per-example diagnostics of one summary against its article."""
    return token_diagnostics(tokenizer.tokenize(article), tokenizer.tokenize(summary))


def batch_diagnostics(
    articles: Sequence[str], summaries: Sequence[str], tokenizer: Tokenizer
) -> list[dict[str, Any]]:
    """Diagnostics for aligned (article, summary) pairs; each article is tokenized once."""
    if len(articles) != len(summaries):
        raise ValueError(f"{len(articles)} articles but {len(summaries)} summaries")
    cache: dict[str, list[str]] = {}
    out = []
    for article, summary in zip(articles, summaries, strict=True):
        if article not in cache:
            cache[article] = tokenizer.tokenize(article)
        out.append(token_diagnostics(cache[article], tokenizer.tokenize(summary)))
    return out


def aggregate_diagnostics(per_example: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Means over examples (each over the examples where the value is defined), plus the share
    of summaries with at least one unsupported number."""
    result: dict[str, Any] = {"n": len(per_example)}
    for name in MEAN_FIELDS:
        values = [float(d[name]) for d in per_example if d.get(name) is not None]
        result[f"mean_{name}"] = sum(values) / len(values) if values else None
    flagged = sum(1 for d in per_example if d.get("n_unsupported_numbers"))
    result["share_with_unsupported_numbers"] = flagged / len(per_example) if per_example else None
    return result
