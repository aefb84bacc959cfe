"""`NormalizationOptions`, apart from the tokenizer, so task files validate without loading it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class NormalizationOptions(BaseModel):
    """Which character-level transformations `ArabicTokenizer` applies (all on by default).

    Frozen so that a tokenizer's tables can never drift from the options it reports.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    nfkc: bool = True
    strip_invisible: bool = True
    strip_diacritics: bool = True
    strip_tatweel: bool = True
    unify_alef: bool = True
    unify_yeh: bool = True
    ascii_digits: bool = True
    ta_marbuta: bool = True
    lowercase: bool = True
    stem: bool = False
