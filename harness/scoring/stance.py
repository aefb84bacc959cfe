"""Stance-detection metrics: accuracy, macro-F1, SemEval-2016 F_avg, and their bootstrap CIs.

Unparseable model outputs are kept as their own column (`INVALID`) instead of being mapped to
a default label: a guess would silently reward a model that fails to answer. An invalid
prediction is therefore always wrong, lowers the recall of its gold class and counts in no
class's precision -- the same numbers scikit-learn gives with ``labels=labels``.

All metrics are computed from confusion counts by one vectorized function, so the point
estimate and every bootstrap replicate share exactly the same formulas.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from harness.scoring.bootstrap import BootstrapConfig, percentile_interval, resample_blocks
from harness.scoring.label_set import INVALID, f_avg_defined, f_avg_labels

__all__ = ["CI_METRICS", "INVALID", "f_avg_defined", "f_avg_labels", "stance_ci",
           "stance_metrics", "stance_statistic"]

CI_METRICS: tuple[str, ...] = ("accuracy", "macro_f1", "f_avg", "invalid_rate")


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Elementwise ``num / den`` with 0.0 where ``den == 0`` (sklearn's zero_division=0)."""
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _encode(
    gold: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Map gold to ``0..K-1`` and predictions to ``0..K`` (``K`` = invalid); validate inputs."""
    if len(gold) != len(predicted):
        raise ValueError(f"gold has {len(gold)} items but predicted has {len(predicted)}")
    if not labels:
        raise ValueError("labels must not be empty")
    if len(set(labels)) != len(labels):
        raise ValueError(f"labels must be unique, got {list(labels)}")
    if INVALID in labels:
        raise ValueError(f"{INVALID!r} is reserved and cannot be a label")
    code = {label: i for i, label in enumerate(labels)}
    invalid = len(labels)
    unknown_gold = sorted({g for g in gold if g not in code})
    if unknown_gold:
        raise ValueError(f"gold labels not in the label set {list(labels)}: {unknown_gold}")
    unknown_pred = sorted({p for p in predicted if p is not None and p != INVALID} - set(code))
    if unknown_pred:
        raise ValueError(f"predicted labels not in the label set {list(labels)}: {unknown_pred}")
    gold_codes = np.fromiter((code[g] for g in gold), dtype=np.int64, count=len(gold))
    pred_codes = np.fromiter(
        (invalid if p is None or p == INVALID else code[p] for p in predicted),
        dtype=np.int64,
        count=len(predicted),
    )
    return gold_codes, pred_codes


def _f_avg_columns(labels: Sequence[str], f_avg: Sequence[str] | None = None
                   ) -> list[int] | None:
    chosen = f_avg_labels(labels, f_avg)
    return None if chosen is None else [list(labels).index(label) for label in chosen]


def _metrics_from_counts(counts: np.ndarray, labels: Sequence[str],
                         f_avg: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Vectorized metrics from confusion counts of shape ``(..., K, K + 1)``."""
    k = len(labels)
    counts = counts.astype(np.float64)
    n = counts.sum(axis=(-2, -1))
    tp = np.diagonal(counts[..., :k], axis1=-2, axis2=-1)
    support = counts.sum(axis=-1)
    predicted = counts[..., :k].sum(axis=-2)
    precision = _safe_divide(tp, predicted)
    recall = _safe_divide(tp, support)
    # 2tp / (2tp + fp + fn) == 2tp / (predicted + support); no p+r == 0 special case needed.
    f1 = _safe_divide(2.0 * tp, predicted + support)
    nan = np.full(n.shape, np.nan)
    columns = _f_avg_columns(labels, f_avg)
    return {
        "n": n,
        "accuracy": _safe_divide(tp.sum(axis=-1), n),
        "macro_f1": f1.mean(axis=-1),
        "f_avg": nan if columns is None else f1[..., columns].mean(axis=-1),
        "invalid_rate": _safe_divide(counts[..., k].sum(axis=-1), n),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": support,
    }


def _confusion(gold_codes: np.ndarray, pred_codes: np.ndarray, k: int) -> np.ndarray:
    """``(K, K + 1)`` confusion counts: rows gold, columns predicted (last column invalid)."""
    cells = gold_codes * (k + 1) + pred_codes
    return np.bincount(cells, minlength=k * (k + 1)).reshape(k, k + 1)


def stance_metrics(
    gold: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str],
    f_avg: Sequence[str] | None = None,
) -> dict[str, Any]:
    """JSON-ready stance metrics; ``None`` predictions (or `INVALID`) count as wrong.

    ``f_avg`` is the mean F1 of the ``f_avg`` labels, by default the SemEval-2016 Task 6
    score (favor and against); it is ``None`` when the label set lacks one of them. With no
    examples every rate is ``None``.
    """
    gold_codes, pred_codes = _encode(gold, predicted, labels)
    k = len(labels)
    counts = _confusion(gold_codes, pred_codes, k)
    m = _metrics_from_counts(counts, labels, f_avg)
    empty = gold_codes.size == 0

    def scalar(name: str) -> float | None:
        value = float(m[name])
        return None if empty or np.isnan(value) else value

    per_class = {
        label: {
            "precision": float(m["precision"][i]),
            "recall": float(m["recall"][i]),
            "f1": float(m["f1"][i]),
            "support": int(counts[i].sum()),
        }
        for i, label in enumerate(labels)
    }
    return {
        "n": int(gold_codes.size),
        "accuracy": scalar("accuracy"),
        "macro_f1": scalar("macro_f1"),
        "f_avg": scalar("f_avg"),
        "invalid_rate": scalar("invalid_rate"),
        "per_class": per_class,
        "confusion_matrix": {
            "labels": [*labels, INVALID],
            "matrix": counts.astype(int).tolist(),
        },
    }


def _resampled_counts(
    gold_codes: np.ndarray, pred_codes: np.ndarray, k: int, config: BootstrapConfig
) -> np.ndarray:
    """``(resamples, K, K + 1)`` confusion counts, one bincount per block of resamples."""
    cells_per_table = k * (k + 1)
    cells = gold_codes * (k + 1) + pred_codes
    out = np.empty((config.resamples, cells_per_table), dtype=np.int64)
    start = 0
    for idx in resample_blocks(gold_codes.size, config):
        rows = idx.shape[0]
        offsets = np.arange(rows, dtype=np.int64)[:, None] * cells_per_table
        flat = np.bincount((cells[idx] + offsets).ravel(), minlength=rows * cells_per_table)
        out[start:start + rows] = flat.reshape(rows, cells_per_table)
        start += rows
    return out.reshape(config.resamples, k, k + 1)


def stance_ci(
    gold: Sequence[str],
    predicted: Sequence[str | None],
    labels: Sequence[str],
    config: BootstrapConfig,
    f_avg: Sequence[str] | None = None,
) -> dict[str, tuple[float, float]]:
    """Percentile CIs for accuracy, macro_f1, f_avg and invalid_rate.

    Vectorized (no Python loop over resamples). ``f_avg`` is ``(nan, nan)`` when undefined for
    the label set, as is every metric when there are no examples.
    """
    gold_codes, pred_codes = _encode(gold, predicted, labels)
    if gold_codes.size == 0:
        return {name: (float("nan"), float("nan")) for name in CI_METRICS}
    counts = _resampled_counts(gold_codes, pred_codes, len(labels), config)
    m = _metrics_from_counts(counts, labels, f_avg)
    return {name: percentile_interval(m[name], config.confidence) for name in CI_METRICS}


def stance_statistic(
    gold: Sequence[str],
    predicted: Sequence[str | None],
    labels: Sequence[str],
    metric: str = "macro_f1",
    f_avg: Sequence[str] | None = None,
) -> Callable[[np.ndarray], float]:
    """A ``statistic(indices)`` for `paired_bootstrap_statistic` / `statistic_ci`.

    Inputs are encoded once, so each call only costs one small bincount.
    """
    if metric not in CI_METRICS:
        raise ValueError(f"metric must be one of {CI_METRICS}, got {metric!r}")
    gold_codes, pred_codes = _encode(gold, predicted, labels)
    k = len(labels)

    def statistic(indices: np.ndarray) -> float:
        counts = _confusion(gold_codes[indices], pred_codes[indices], k)
        return float(_metrics_from_counts(counts, labels, f_avg)[metric])

    return statistic
