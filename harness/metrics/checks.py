"""Checks that need no judge: is the summary Arabic, is it a copy, was it cut off?

A model that copies its article for 256 tokens still gets a fair ROUGE; these rates say so
plainly. Per example: the share of letters in Arabic script (wrong language below
`min_arabic_share`), the longest verbatim span of the article as a share of the summary's
tokens (a copy at `min_copy_share` or more; the extractive fragments of the diagnostics), and
truncation (the model stopped at max_tokens: `finish_reason == "length"` on the record). Lower
is better; an errored example (no summary) counts as failing every check.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from harness.metrics.base import Aggregate, Entry, Item, Metric, Record, Value, answered, entry
from harness.metrics.registry import register_metric
from harness.text import NormalizationOptions

if TYPE_CHECKING:
    from harness.scoring.bootstrap import BootstrapConfig
    from harness.scoring.significance import PairedResult

_ARABIC_BLOCKS = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF),
                  (0xFE70, 0xFEFF))
TRUNCATED = "length"  # the OpenAI finish_reason of an answer cut at max_tokens


def arabic_share(text: str) -> float | None:
    """Share of the letters in `text` that are Arabic script (None: no letter at all)."""
    letters = [c for c in text if unicodedata.category(c).startswith("L")]
    if not letters:
        return None
    arabic = sum(any(lo <= ord(c) <= hi for lo, hi in _ARABIC_BLOCKS) for c in letters)
    return arabic / len(letters)


class ChecksSettings(BaseModel):
    """`metrics.checks` in a task file: thresholds, and the tokenizer of the copy check."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_arabic_share: float = Field(0.5, gt=0.0, le=1.0)
    min_copy_share: float = Field(0.8, gt=0.0, le=1.0)
    normalization: NormalizationOptions = NormalizationOptions()


@register_metric("checks")
class Checks(Metric):
    Settings: ClassVar[type[BaseModel]] = ChecksSettings
    requires: ClassVar[frozenset[str]] = frozenset({"article"})
    settings: ChecksSettings

    def record_settings(self) -> dict[str, Any]:
        from harness.text import ArabicTokenizer

        return {"min_arabic_share": self.settings.min_arabic_share,
                "min_copy_share": self.settings.min_copy_share, "truncated": TRUNCATED,
                "tokenizer": ArabicTokenizer(self.settings.normalization).describe()}

    @classmethod
    def from_recorded(cls, recorded: Any) -> Checks:
        recorded = dict(recorded or {})
        return cls(ChecksSettings(**{k: recorded[k] for k in ("min_arabic_share",
                                                              "min_copy_share") if k in recorded}))

    def values(self) -> dict[str, Value]:
        return {name: Value(higher_is_better=False)
                for name in ("wrong_language_rate", "copy_rate", "truncation_rate")}

    async def score(self, items: Sequence[Item]) -> list[dict[str, Any]]:
        from harness.scoring.diagnostics import extractive_fragments
        from harness.text import ArabicTokenizer

        tokenizer = ArabicTokenizer(self.settings.normalization)
        out: list[dict[str, Any]] = []
        for item in items:
            if item.prediction is None:
                out.append({})
                continue
            summary = tokenizer.tokenize(item.prediction)
            fragments = extractive_fragments(tokenizer.tokenize(item.fields["article"]), summary)
            longest = max((len(f) for f in fragments), default=0)
            out.append({"checks": {"arabic_share": arabic_share(item.prediction),
                                   "copy_share": longest / len(summary) if summary else None}})
        return out

    def example_value(self, record: Record, name: str) -> float | None:
        if name not in self.values():
            raise KeyError(f"checks report no value {name!r}")
        if not answered(record):
            return 1.0
        if name == "truncation_rate":
            return float(record.get("finish_reason") == TRUNCATED)
        found = record["scores"].get("checks") or {}
        if name == "wrong_language_rate":
            share = found.get("arabic_share")
            return float(share is None or share < self.settings.min_arabic_share)
        share = found.get("copy_share")
        return float(share is not None and share >= self.settings.min_copy_share)

    def aggregate(self, records: Sequence[Record], bootstrap: BootstrapConfig) -> Aggregate:
        from harness.scoring.bootstrap import mean_ci

        def rate(rows: Sequence[Record], name: str) -> Entry:
            column = [self.example_value(r, name) or 0.0 for r in rows]
            return entry(sum(column) / len(column), mean_ci(column, bootstrap)) if column \
                else entry(None)

        done = [r for r in records if answered(r)]
        return Aggregate({n: rate(records, n) for n in self.values()},
                         {n: rate(done, n) for n in self.values()})

    def paired_test(self, name: str, base: Sequence[Record], candidate: Sequence[Record],
                    config: BootstrapConfig) -> PairedResult:
        from harness.scoring.significance import paired_bootstrap_mean

        return paired_bootstrap_mean([self.example_value(r, name) or 0.0 for r in base],
                                     [self.example_value(r, name) or 0.0 for r in candidate],
                                     config, metric=name)
