"""Paired significance tests: is candidate B really better than baseline A on the same examples?

Both systems are scored on identical examples, so the tests are paired: per-example
differences cancel example difficulty, which makes them far more sensitive than comparing two
independent confidence intervals.

Bootstrap p-value (two-sided, "shifted" null, Koehn 2004 / Berg-Kirkpatrick et al. 2012):
the resampled differences ``d*_r`` are centred on the observed difference ``d`` to simulate
H0, and the one tail beyond ``|d|`` is doubled::

    count = #{r : sign(d) * (d*_r - d) >= |d|}          (i.e. d*_r >= 2d for d > 0)
    p     = min(1, 2 * (count + 1) / (R + 1))           and p = 1 when d == 0

The ``+1`` keeps p above zero with finite resamples, so the smallest reportable p-value is
``2 / (R + 1)``: use R >= 1000 to claim p < 0.01.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from harness.scoring.bootstrap import (
    BootstrapConfig,
    percentile_interval,
    resample_rows,
    resampled_means,
)

_NAN = float("nan")


@dataclass(frozen=True)
class PairedResult:
    """One comparison of candidate vs baseline; ``difference = candidate - baseline``."""

    metric: str
    baseline: float
    candidate: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    method: str
    n: int


def bootstrap_p_value(observed: float, replicates: np.ndarray) -> float:
    """Two-sided shifted-null p-value of ``observed`` (formula in the module docstring)."""
    if observed == 0.0 or not math.isfinite(observed):
        return 1.0
    values = np.asarray(replicates, dtype=np.float64)
    values = values[np.isfinite(values)]
    shifted = np.sign(observed) * (values - observed)
    count = int(np.count_nonzero(shifted >= abs(observed)))
    return min(1.0, 2.0 * (count + 1) / (values.size + 1))


def _empty(metric: str, method: str) -> PairedResult:
    """Result for zero examples: nothing can be estimated."""
    return PairedResult(metric, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, method, 0)


def paired_bootstrap_mean(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    config: BootstrapConfig,
    metric: str = "",
) -> PairedResult:
    """Paired bootstrap on per-example scores (e.g. ROUGE F1): mean(b) - mean(a).

    Example indices are resampled jointly for both systems; the CI is the percentile interval
    of the resampled mean differences. Vectorized over resamples.
    """
    base = np.asarray(a, dtype=np.float64).ravel()
    cand = np.asarray(b, dtype=np.float64).ravel()
    if base.size != cand.size:
        raise ValueError(f"a has {base.size} scores but b has {cand.size}; pairs must align")
    method = "paired_bootstrap_percentile"
    if base.size == 0:
        return _empty(metric, method)
    diffs = cand - base
    observed = float(diffs.mean())
    replicates = resampled_means(diffs, config)
    low, high = percentile_interval(replicates, config.confidence)
    return PairedResult(
        metric=metric,
        baseline=float(base.mean()),
        candidate=float(cand.mean()),
        difference=observed,
        ci_low=low,
        ci_high=high,
        p_value=bootstrap_p_value(observed, replicates),
        method=method,
        n=int(base.size),
    )


def paired_bootstrap_statistic(
    n: int,
    stat_a: Callable[[np.ndarray], float],
    stat_b: Callable[[np.ndarray], float],
    config: BootstrapConfig,
    metric: str = "",
) -> PairedResult:
    """Paired bootstrap for corpus-level statistics (macro-F1, corpus ROUGE).

    ``stat_x(indices)`` computes system x's metric on the examples at ``indices``; both are
    called with the same resampled index rows.
    """
    method = "paired_bootstrap_percentile"
    if n == 0:
        return _empty(metric, method)
    everything = np.arange(n)
    baseline, candidate = float(stat_a(everything)), float(stat_b(everything))
    observed = candidate - baseline
    replicates = np.fromiter(
        (stat_b(row) - stat_a(row) for row in resample_rows(n, config)),
        dtype=np.float64,
        count=config.resamples,
    )
    low, high = percentile_interval(replicates, config.confidence)
    return PairedResult(
        metric=metric,
        baseline=baseline,
        candidate=candidate,
        difference=observed,
        ci_low=low,
        ci_high=high,
        p_value=bootstrap_p_value(observed, replicates),
        method=method,
        n=n,
    )


def _wilson(successes: int, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval for one proportion."""
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _corrected_phi(both: int, only_b: int, only_a: int, neither: int) -> float:
    """Continuity-corrected phi of the 2x2 table, as Newcombe prescribes for method 10.

    With ``A = both*neither - only_b*only_a``: ``(A - n/2)/sqrt(marginals)`` if ``A > n/2``,
    0 if ``0 <= A <= n/2``, ``A/sqrt(marginals)`` if ``A < 0``; 0 when a margin is empty.
    """
    n = both + only_b + only_a + neither
    hits_b, hits_a = both + only_b, both + only_a
    marginals = hits_b * (n - hits_b) * hits_a * (n - hits_a)
    if marginals == 0:
        return 0.0
    cross = both * neither - only_b * only_a
    if cross > n / 2:
        return (cross - n / 2) / math.sqrt(marginals)
    return cross / math.sqrt(marginals) if cross < 0 else 0.0


def _square_and_add(x: float, y: float, phi: float) -> float:
    """Half-width from two one-sided Wilson distances, shrunk by their correlation."""
    return math.sqrt(max(0.0, x * x - 2.0 * phi * x * y + y * y))


def newcombe_paired_ci(
    both: int, only_b: int, only_a: int, neither: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Newcombe (1998) method 10 interval for acc(B) - acc(A) on paired data.

    Square-and-add of the two Wilson score intervals, with the (continuity-corrected) phi
    correlation of the 2x2 table accounting for the pairing. Unlike Wald it stays inside
    [-1, 1] and does not collapse to a point when all discordant pairs favour one system.
    """
    n = both + only_b + only_a + neither
    if n == 0:
        return _NAN, _NAN
    from scipy.stats import norm  # scipy.stats takes ~1 s to import: only when testing

    z = float(norm.ppf(1.0 - (1.0 - confidence) / 2.0))
    hits_b, hits_a = both + only_b, both + only_a
    p_b, p_a = hits_b / n, hits_a / n
    low_b, high_b = _wilson(hits_b, n, z)
    low_a, high_a = _wilson(hits_a, n, z)
    phi = _corrected_phi(both, only_b, only_a, neither)
    d_low = _square_and_add(p_b - low_b, high_a - p_a, phi)
    d_high = _square_and_add(high_b - p_b, p_a - low_a, phi)
    diff = p_b - p_a
    return max(-1.0, diff - d_low), min(1.0, diff + d_high)


def mcnemar(
    correct_a: Sequence[bool],
    correct_b: Sequence[bool],
    metric: str = "accuracy",
    confidence: float = 0.95,
) -> PairedResult:
    """Exact McNemar test of accuracy(B) vs accuracy(A) on the same examples.

    Only discordant pairs carry evidence: with ``b`` = B right & A wrong and ``c`` = A right &
    B wrong, p is the two-sided exact binomial test of ``b`` out of ``b + c`` at 0.5 (1.0 when
    there are no discordant pairs). The CI is Newcombe's method 10 (`newcombe_paired_ci`);
    with no discordant pair (the same examples right, e.g. identical predictions) the two
    accuracies are equal on these examples: the difference is exactly 0 and its CI [0, 0].
    """
    a = np.asarray(correct_a, dtype=bool).ravel()
    b = np.asarray(correct_b, dtype=bool).ravel()
    if a.size != b.size:
        raise ValueError(f"correct_a has {a.size} items but correct_b has {b.size}")
    method = "mcnemar_exact"
    if a.size == 0:
        return _empty(metric, method)
    both = int(np.count_nonzero(a & b))
    only_b = int(np.count_nonzero(~a & b))
    only_a = int(np.count_nonzero(a & ~b))
    neither = int(a.size) - both - only_b - only_a
    discordant = only_b + only_a
    from scipy.stats import binomtest  # see newcombe_paired_ci

    p_value = float(binomtest(only_b, discordant, 0.5).pvalue) if discordant else 1.0
    low, high = (newcombe_paired_ci(both, only_b, only_a, neither, confidence) if discordant
                 else (0.0, 0.0))
    baseline, candidate = float(a.mean()), float(b.mean())
    return PairedResult(
        metric=metric,
        baseline=baseline,
        candidate=candidate,
        difference=(only_b - only_a) / a.size,
        ci_low=low,
        ci_high=high,
        p_value=min(1.0, p_value),
        method=method,
        n=int(a.size),
    )
