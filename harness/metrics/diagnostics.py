"""Summary diagnostics: compression, extractive coverage and density, novel n-grams, numbers
not in the article. Descriptive, not gated: they say *what kind* of summary a model writes
(a copied lead scores well on ROUGE), with the first reference's figures as a yardstick.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from harness.metrics.base import Aggregate, Item, Metric, Record, Value
from harness.metrics.registry import register_metric
from harness.text import NormalizationOptions

if TYPE_CHECKING:
    from harness.scoring.bootstrap import BootstrapConfig
    from harness.scoring.significance import PairedResult


class DiagnosticsSettings(BaseModel):
    """`metrics.diagnostics` in a task file: how texts are tokenized for the counts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    normalization: NormalizationOptions = NormalizationOptions()


@register_metric("diagnostics")
class Diagnostics(Metric):
    Settings: ClassVar[type[BaseModel]] = DiagnosticsSettings
    requires: ClassVar[frozenset[str]] = frozenset({"article", "references"})
    settings: DiagnosticsSettings

    def record_settings(self) -> None:
        return None  # descriptive details only: no value of theirs is compared or gated

    def values(self) -> dict[str, Value]:
        return {}

    def _tokenizer(self) -> Any:
        from harness.text import ArabicTokenizer

        return ArabicTokenizer(self.settings.normalization)

    async def score(self, items: Sequence[Item]) -> list[dict[str, Any]]:
        from harness.scoring.diagnostics import batch_diagnostics

        done = [i for i, item in enumerate(items) if item.prediction is not None]
        found = batch_diagnostics([items[i].fields["article"] for i in done],
                                  [items[i].prediction or "" for i in done], self._tokenizer())
        out: list[dict[str, Any]] = [{} for _ in items]
        for index, diagnostics in zip(done, found, strict=True):
            out[index] = {"diagnostics": diagnostics}
        return out

    def aggregate(self, records: Sequence[Record], bootstrap: BootstrapConfig) -> Aggregate:
        return Aggregate({}, {})

    def run_details(self, items: Sequence[Item], scores: Sequence[dict[str, Any]]
                    ) -> dict[str, Any]:
        from harness.scoring.diagnostics import aggregate_diagnostics, batch_diagnostics

        done = [i for i, item in enumerate(items) if item.prediction is not None]
        gold = batch_diagnostics([items[i].fields["article"] for i in done],
                                 [items[i].fields["references"][0] for i in done],
                                 self._tokenizer())
        return {"diagnostics": {
            "predictions": aggregate_diagnostics([scores[i]["diagnostics"] for i in done]),
            "references": aggregate_diagnostics(gold),
        }}

    @classmethod
    def detail_rows(cls, details: Mapping[str, Any]) -> list[tuple[str, str, str]]:
        """The predictions' means, the first references' as the yardstick."""
        found = details.get("diagnostics") or {}
        pred, ref = found.get("predictions") or {}, found.get("references") or {}
        if not pred:
            return []

        def text(value: Any, fmt: str) -> str:
            return "–" if value is None else format(value, fmt)

        return [(name, text(pred.get(key), fmt), "refs " + text(ref.get(key), fmt))
                for name, key, fmt in (
                    ("compression", "mean_compression", ".4f"),
                    ("extractive coverage", "mean_coverage", ".4f"),
                    ("novel bigrams", "mean_novel_2gram", ".4f"),
                    ("unsupported numbers", "share_with_unsupported_numbers", ".1%"))]

    def example_value(self, record: Record, name: str) -> float | None:
        raise KeyError(f"diagnostics report no value {name!r}")

    def paired_test(self, name: str, base: Sequence[Record], candidate: Sequence[Record],
                    config: BootstrapConfig) -> PairedResult:
        raise KeyError(f"diagnostics report no value {name!r}")
