"""Krippendorff's alpha for ordinal ratings (units × raters, missing values allowed).

alpha = 1 - D_o / D_e over the coincidence matrix, with the ordinal distance
delta(c, k)^2 = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2 (Krippendorff 2011, "Computing
Krippendorff's Alpha-Reliability"). Units with fewer than two ratings are not pairable.
"""

from __future__ import annotations

from collections.abc import Sequence


def ordinal_alpha(units: Sequence[Sequence[int | None]]) -> float | None:
    """Alpha over `units` (each: one rating per rater, None = missing); None if undefined
    (no pairable unit, or every pairable rating equal so no disagreement is expected)."""
    import numpy as np

    rows = [[v for v in unit if v is not None] for unit in units]
    rows = [r for r in rows if len(r) >= 2]
    if not rows:
        return None
    values = sorted({v for r in rows for v in r})
    index = {v: i for i, v in enumerate(values)}
    size = len(values)
    coincidence = np.zeros((size, size), dtype=np.float64)
    for r in rows:
        counts = np.zeros(size, dtype=np.float64)
        for v in r:
            counts[index[v]] += 1
        pairs = np.outer(counts, counts) - np.diag(counts)  # ordered pairs of distinct raters
        coincidence += pairs / (len(r) - 1)
    totals = coincidence.sum(axis=1)
    n = totals.sum()
    cumulative = np.concatenate([[0.0], np.cumsum(totals)])
    delta = np.zeros((size, size), dtype=np.float64)
    for c in range(size):
        for k in range(size):
            lo, hi = min(c, k), max(c, k)
            delta[c, k] = (cumulative[hi + 1] - cumulative[lo] - (totals[c] + totals[k]) / 2) ** 2
    observed = float((coincidence * delta).sum())
    expected = float((np.outer(totals, totals) * delta).sum() / (n - 1))
    if expected == 0:
        return None
    return 1.0 - observed / expected
