"""Task-level scoring: per-example scores and aggregates with seeded bootstrap CIs.

Pure functions over predictions and gold data. Examples whose model call failed are left out
of the aggregates (never scored as if the model had answered), and the counts say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.scoring.bootstrap import BootstrapConfig, mean_ci
from harness.scoring.diagnostics import aggregate_diagnostics, batch_diagnostics
from harness.scoring.labels import parse_label
from harness.scoring.rouge import score_batch
from harness.scoring.stance import INVALID, stance_ci, stance_metrics
from harness.text import ArabicTokenizer


@dataclass
class TaskScores:
    per_example: list[dict[str, Any]]  # aligned with the inputs; {} for unscored examples
    metrics: dict[str, dict[str, float | None]]  # name -> {"value", "ci_low", "ci_high"}
    details: dict[str, Any] = field(default_factory=dict)
    n_scored: int = 0


def _metric(value: float | None, ci: tuple[float, float] | None) -> dict[str, float | None]:
    low, high = ci if ci is not None else (None, None)
    return {"value": value, "ci_low": low, "ci_high": high}


def score_summaries(
    predictions: Sequence[str | None],
    references: Sequence[Sequence[str]],
    tokenizer: ArabicTokenizer,
    rouge_types: Sequence[str],
    bootstrap: BootstrapConfig,
    articles: Sequence[str] | None = None,
) -> TaskScores:
    """ROUGE per example (best reference per type) and mean P/R/F with CIs per type.

    With `articles`, also summary diagnostics (compression, extractive coverage/density, novel
    n-grams, unsupported numbers): per example under "diagnostics", and their means (for the
    predictions and, as a yardstick, the first references) in `details["diagnostics"]`.
    """
    scored = [i for i, p in enumerate(predictions) if p is not None]
    results = score_batch(
        [predictions[i] or "" for i in scored],
        [references[i] for i in scored],
        tokenizer,
        rouge_types,
    )
    per_example: list[dict[str, Any]] = [{} for _ in predictions]
    for index, result in zip(scored, results, strict=True):
        per_example[index] = {
            t: {"precision": s.precision, "recall": s.recall, "fmeasure": s.fmeasure}
            for t, s in result.items()
        }
    metrics: dict[str, dict[str, float | None]] = {}
    for rouge_type in rouge_types:
        for part, suffix in (("fmeasure", ""), ("precision", "_precision"), ("recall", "_recall")):
            values = np.array([getattr(r[rouge_type], part) for r in results], dtype=float)
            if len(values):
                metrics[rouge_type + suffix] = _metric(
                    float(values.mean()), mean_ci(values, bootstrap)
                )
            else:
                metrics[rouge_type + suffix] = _metric(None, None)
    details: dict[str, Any] = {}
    if articles is not None:
        texts = [articles[i] for i in scored]
        diagnostics = batch_diagnostics(texts, [predictions[i] or "" for i in scored], tokenizer)
        for index, diag in zip(scored, diagnostics, strict=True):
            per_example[index]["diagnostics"] = diag
        gold = batch_diagnostics(texts, [references[i][0] for i in scored], tokenizer)
        details["diagnostics"] = {
            "predictions": aggregate_diagnostics(diagnostics),
            "references": aggregate_diagnostics(gold),
        }
    return TaskScores(per_example, metrics, details, n_scored=len(scored))


def score_stance(
    outputs: Sequence[str | None],
    gold: Sequence[str],
    labels: Sequence[str],
    aliases: dict[str, Sequence[str]],
    bootstrap: BootstrapConfig,
) -> TaskScores:
    """Parse outputs into labels (unparseable = invalid = wrong) and score them."""
    scored = [i for i, o in enumerate(outputs) if o is not None]
    parsed = [parse_label(outputs[i] or "", labels, aliases) for i in scored]
    gold_scored = [gold[i] for i in scored]
    per_example: list[dict[str, Any]] = [{} for _ in outputs]
    for index, label in zip(scored, parsed, strict=True):
        per_example[index] = {
            "parsed_label": label if label is not None else INVALID,
            "correct": label == gold[index],
        }
    if not scored:
        names = ("accuracy", "macro_f1", "f_avg", "invalid_rate")
        return TaskScores(per_example, {n: _metric(None, None) for n in names}, n_scored=0)
    point = stance_metrics(gold_scored, parsed, labels)
    intervals = stance_ci(gold_scored, parsed, labels, bootstrap)
    metrics = {
        name: _metric(point[name], intervals.get(name))
        for name in ("accuracy", "macro_f1", "f_avg", "invalid_rate")
        if point.get(name) is not None
    }
    details = {"per_class": point["per_class"], "confusion_matrix": point["confusion_matrix"]}
    return TaskScores(per_example, metrics, details, n_scored=len(scored))
