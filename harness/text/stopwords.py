"""NLTK's Arabic stopword lists, shipped with the package (the `xlsum` ROUGE preset needs one).

XL-Sum's scorer stems Arabic with NLTK's Snowball stemmer built with ``ignore_stopwords=True``,
which leaves the words of NLTK's Arabic stopword list (nltk_data's `stopwords` corpus)
unstemmed. That list is data downloaded apart from NLTK, cannot be fetched offline, and changed
once: 248 lines (2017-10 to 2021-10, the list when XL-Sum published its figures), then 754.
Both are shipped byte for byte (harness/text/data/README.md: origin, licence) and checked
against the SHA-256 of the published files whenever one is loaded, so a score always names the
exact list it was computed with.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from harness.errors import InputError

StopwordListName = Literal["nltk_data-2017", "nltk_data-2021"]
DEFAULT_XLSUM_STOPWORDS: StopwordListName = "nltk_data-2017"
_DATA = Path(__file__).with_name("data")


@dataclass(frozen=True)
class StopwordList:
    """One published version of nltk_data's `stopwords/arabic` file."""

    file: str
    sha256: str
    published: str  # where and when nltk_data published these exact bytes


STOPWORD_LISTS: dict[str, StopwordList] = {
    "nltk_data-2017": StopwordList(
        "nltk_stopwords_arabic_2017.txt",
        "71b90ae127ecaf1779640220079e719084b64ae27b01162d37881d09f63fe1db",
        "nltk/nltk_data commits 2a761ab (2017-10-18) to 3a486db (2019-10-11), until 2021-10-19",
    ),
    "nltk_data-2021": StopwordList(
        "nltk_stopwords_arabic_2021.txt",
        "0df01c0a184d8c15077c6f0ee70e25e0c0308d827b92b14a19f5f819a0c465d0",
        "nltk/nltk_data commit 92f9667 (2021-10-19) and every release since",
    ),
}


def parse_word_list(text: str) -> list[str]:
    """Words as NLTK's `WordListCorpusReader.words` reads them: each non-blank line as is."""
    return [line for line in text.splitlines() if line.rstrip()]


@lru_cache(maxsize=4)
def load_stopwords(name: str = DEFAULT_XLSUM_STOPWORDS) -> frozenset[str]:
    """The named list's words, after checking the shipped file's SHA-256 (fail closed)."""
    spec = STOPWORD_LISTS.get(name)
    if spec is None:
        raise InputError(f"unknown stopword list {name!r} (known: {', '.join(STOPWORD_LISTS)})",
                         field="metrics.rouge.xlsum_stopwords")
    path = _DATA / spec.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"the stopword list {name} is missing from the package ({exc})",
                         path=path) from None
    if hashlib.sha256(data).hexdigest() != spec.sha256:
        raise InputError(f"the stopword list {name} does not match its published SHA-256 "
                         f"{spec.sha256}: reinstall the package", path=path)
    return frozenset(parse_word_list(data.decode("utf-8")))
