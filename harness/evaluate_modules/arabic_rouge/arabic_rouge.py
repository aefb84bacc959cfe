"""`evaluate` metric: Arabic-aware ROUGE, the exact numbers of the harness's reports.

`evaluate`'s stock "rouge" tokenizes with `[a-z0-9]` only, so Arabic texts score 0.0 there.
This module delegates to `harness.scoring.rouge.score_batch` with the harness's
`ArabicTokenizer`, so a value here equals the matching metric in a harness report (means over
examples; multi-reference = best reference per type, like `rouge_score`'s `score_multi`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import datasets
import evaluate

from harness.scoring.rouge import score_batch
from harness.text import ArabicTokenizer, NormalizationOptions

_DESCRIPTION = """Arabic ROUGE (rouge1/rouge2/rougeL/rougeLsum) with Arabic normalization
(diacritics, tatweel, alef/yeh/ta marbuta forms, Arabic-Indic digits, invisible marks)."""
_CITATION = """@inproceedings{lin-2004-rouge,
  title = {{ROUGE}: A Package for Automatic Evaluation of Summaries},
  author = {Lin, Chin-Yew}, booktitle = {Text Summarization Branches Out}, year = {2004}}"""
_KWARGS = """
Args:
    predictions: list of summaries (str).
    references: one reference (str) or a list of references per prediction; use one form
        per call (`evaluate` casts the batch to the first row's form).
    rouge_types: subset of rouge1, rouge2, rougeL, rougeLsum (default: all four).
    normalization: `NormalizationOptions` fields as a dict, e.g. {"stem": True}.
    use_aggregator: True (default) for means over examples, False for per-example lists.
Returns:
    {type: F1, type_precision: P, type_recall: R} for each requested type.
"""
DEFAULT_TYPES: tuple[str, ...] = ("rouge1", "rouge2", "rougeL", "rougeLsum")


class ArabicRouge(evaluate.Metric):
    """ROUGE over the harness's Arabic tokens."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS,
            features=[
                datasets.Features(
                    {
                        "predictions": datasets.Value("string"),
                        "references": datasets.Sequence(datasets.Value("string")),
                    }
                ),
                datasets.Features(
                    {
                        "predictions": datasets.Value("string"),
                        "references": datasets.Value("string"),
                    }
                ),
            ],
        )

    def _compute(
        self,
        predictions: Sequence[str],
        references: Sequence[str | Sequence[str]],
        rouge_types: Sequence[str] | None = None,
        normalization: Mapping[str, bool] | None = None,
        use_aggregator: bool = True,
    ) -> dict[str, Any]:
        types = tuple(rouge_types or DEFAULT_TYPES)
        tokenizer = ArabicTokenizer(NormalizationOptions(**dict(normalization or {})))
        refs = [[r] if isinstance(r, str) else list(r) for r in references]
        results = score_batch(list(predictions), refs, tokenizer, types)
        out: dict[str, Any] = {}
        for rouge_type in types:
            for part, suffix in (
                ("fmeasure", ""),
                ("precision", "_precision"),
                ("recall", "_recall"),
            ):
                values = [getattr(r[rouge_type], part) for r in results]
                if use_aggregator:
                    out[rouge_type + suffix] = sum(values) / len(values) if values else None
                else:
                    out[rouge_type + suffix] = values
        return out
