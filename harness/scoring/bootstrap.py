"""Seeded percentile bootstrap for confidence intervals.

Every interval in a report must be reproducible: the same inputs and the same
`BootstrapConfig` give a bit-identical interval on every run and machine. That is why we do
not use ``rouge_score``'s ``BootstrapAggregator`` (unseeded global RNG) and instead draw all
resample indices up front from ``np.random.default_rng(seed)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is imported where it is used: loading a task file must stay cheap
    import numpy as np

_NAN_CI: tuple[float, float] = (float("nan"), float("nan"))
MIN_RESAMPLES = 100  # fewer resamples give percentile intervals too noisy to report
MAX_RESAMPLES = 100_000  # more buys no precision a report shows, and costs minutes and memory


def check_resamples(value: int | None, option: str = "--resamples") -> None:
    """A `--resamples` flag within the bounds a task file's `metrics.bootstrap` has."""
    from harness.errors import InputError

    if value is not None and not MIN_RESAMPLES <= value <= MAX_RESAMPLES:
        raise InputError(f"must be between {MIN_RESAMPLES} and {MAX_RESAMPLES}, got {value}",
                         field=option)


@dataclass(frozen=True)
class BootstrapConfig:
    """How intervals are computed; recorded in the report so a reader can reproduce them."""

    resamples: int = 1000
    seed: int = 12345
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.resamples < 1:
            raise ValueError(f"resamples must be >= 1, got {self.resamples}")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"confidence must be in (0, 1), got {self.confidence}")

    def describe(self) -> dict[str, Any]:
        """JSON-ready description for the report's metadata."""
        return {
            "method": "percentile",
            "resamples": self.resamples,
            "seed": self.seed,
            "confidence": self.confidence,
        }


DEFAULT_BOOTSTRAP = BootstrapConfig()


def resample_indices(n: int, config: BootstrapConfig) -> np.ndarray:
    """Return a ``(resamples, n)`` array of example indices drawn with replacement.

    Drawn from a fresh ``default_rng(config.seed)`` so that the result depends only on
    ``n`` and the config; paired tests reuse the same rows for both systems.
    """
    import numpy as np

    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = np.random.default_rng(config.seed)
    if n == 0:
        return np.zeros((config.resamples, 0), dtype=np.int64)
    return rng.integers(0, n, size=(config.resamples, n), dtype=np.int64)


def percentile_interval(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of bootstrap replicates, ignoring non-finite replicates.

    NaN replicates (a statistic undefined on some resample) are dropped rather than
    poisoning the interval; if none is finite the interval is ``(nan, nan)``.
    """
    import numpy as np

    values = np.asarray(samples, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return _NAN_CI
    alpha = 1.0 - confidence
    low, high = np.quantile(values, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(low), float(high)


def mean_ci(values: Sequence[float] | np.ndarray, config: BootstrapConfig) -> tuple[float, float]:
    """Percentile CI of the mean of per-example scores (vectorized over resamples)."""
    import numpy as np

    data = np.asarray(values, dtype=np.float64).ravel()
    if data.size == 0:
        return _NAN_CI
    if data.size == 1:
        only = float(data[0])
        return only, only
    means = data[resample_indices(data.size, config)].mean(axis=1)
    return percentile_interval(means, config.confidence)


def statistic_ci(
    n: int, statistic: Callable[[np.ndarray], float], config: BootstrapConfig
) -> tuple[float, float]:
    """Percentile CI of any statistic, given as a function of an index array.

    For corpus-level metrics (macro-F1, corpus ROUGE) that are not a mean of per-example
    scores: ``statistic(indices)`` must compute the metric on the examples at ``indices``.
    """
    import numpy as np

    if n == 0:
        return _NAN_CI
    replicates = np.fromiter(
        (statistic(row) for row in resample_indices(n, config)),
        dtype=np.float64,
        count=config.resamples,
    )
    return percentile_interval(replicates, config.confidence)
