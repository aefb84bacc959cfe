"""`evaluate` metric: stance accuracy, macro-F1, SemEval F_avg and invalid rate, as the harness.

Free-text model answers (Arabic or English, e.g. "معارض", "Answer: favor") are parsed with the
harness's `parse_label`; an answer naming no single label is *invalid* and counts as wrong,
never as a guessed label. Numbers come from `harness.scoring.stance.stance_metrics`, so they
equal the point estimates in a harness report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import datasets
import evaluate

from harness.scoring.labels import parse_label
from harness.scoring.stance import stance_metrics

_DESCRIPTION = """Target-specific stance metrics over favor/against/none (or any label set):
accuracy, macro-F1, F_avg = mean F1 of favor and against (SemEval-2016 Task 6), invalid_rate."""
_CITATION = """@inproceedings{mohammad-etal-2016-semeval,
  title = {{S}em{E}val-2016 Task 6: Detecting Stance in Tweets},
  author = {Mohammad, Saif and Kiritchenko, Svetlana and Sobhani, Parinaz and Zhu, Xiaodan
            and Cherry, Colin}, booktitle = {SemEval-2016}, year = {2016}}"""
_KWARGS = """
Args:
    predictions: model answers (free text) or labels.
    references: gold labels (matched to `labels` case-insensitively).
    labels: the label set (default favor, against, none).
    aliases: extra answer words per label, e.g. {"favor": ["مؤيد"]}.
    parse: False to require predictions to be exact labels (anything else is invalid).
Returns:
    accuracy, macro_f1, f_avg (None without favor/against), invalid_rate, n, per_class,
    confusion_matrix (rows gold, columns predicted, last column invalid).
"""
DEFAULT_LABELS: tuple[str, ...] = ("favor", "against", "none")


class ArabicStance(evaluate.Metric):
    """Stance metrics with the harness's answer parser."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(
        self,
        predictions: Sequence[str],
        references: Sequence[str],
        labels: Sequence[str] | None = None,
        aliases: Mapping[str, Sequence[str]] | None = None,
        parse: bool = True,
    ) -> dict[str, Any]:
        label_set = tuple(labels or DEFAULT_LABELS)
        folded = {label.casefold(): label for label in label_set}
        gold = [folded.get(str(r).strip().casefold(), str(r)) for r in references]
        alias_map = {k: list(v) for k, v in (aliases or {}).items()}
        if parse:
            predicted = [parse_label(p or "", label_set, alias_map) for p in predictions]
        else:
            predicted = [p if p in label_set else None for p in predictions]
        return stance_metrics(gold, predicted, label_set)
