"""Seeded percentile bootstrap for confidence intervals.

Every interval in a report must be reproducible: the same inputs and the same
`BootstrapConfig` give a bit-identical interval on every run and machine. That is why we do
not use ``rouge_score``'s ``BootstrapAggregator`` (unseeded global RNG) and instead draw the
resample indices from ``np.random.default_rng(seed)``.

The indices are drawn in blocks of whole resamples (`resample_blocks`), never as one
resamples × rows array (8 GB at a million rows): the generator's stream does not depend on
how the draws are split, so the intervals are bit-identical to drawing them all at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is imported where it is used: loading a task file must stay cheap
    import numpy as np

_NAN_CI: tuple[float, float] = (float("nan"), float("nan"))
MIN_RESAMPLES = 100  # fewer resamples give percentile intervals too noisy to report
BLOCK_ELEMENTS = 1 << 22  # indices drawn at once (32 MiB of int64): bounds a bootstrap's memory
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


def resample_blocks(n: int, config: BootstrapConfig, max_elements: int | None = None
                    ) -> Iterator[np.ndarray]:
    """``(rows, n)`` blocks of example indices drawn with replacement, resample by resample.

    Drawn from a fresh ``default_rng(config.seed)``, so the result depends only on ``n`` and
    the config (paired tests reuse the same rows for both systems). Stacked, the blocks equal
    one ``rng.integers(0, n, size=(resamples, n))`` draw; each holds at most `max_elements`
    (default `BLOCK_ELEMENTS`) indices but at least one resample, which bounds memory whatever
    the number of rows.
    """
    import numpy as np

    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if n == 0:
        yield np.zeros((config.resamples, 0), dtype=np.int64)
        return
    rng = np.random.default_rng(config.seed)
    per_block = max(1, (max_elements or BLOCK_ELEMENTS) // n)
    for start in range(0, config.resamples, per_block):
        rows = min(per_block, config.resamples - start)
        yield rng.integers(0, n, size=(rows, n), dtype=np.int64)


def resample_rows(n: int, config: BootstrapConfig) -> Iterator[np.ndarray]:
    """The resamples of `resample_blocks` one index array at a time."""
    for block in resample_blocks(n, config):
        yield from block


def resampled_means(values: np.ndarray, config: BootstrapConfig) -> np.ndarray:
    """The mean of `values` on every resample (one float per resample), block by block."""
    import numpy as np

    return np.concatenate([values[block].mean(axis=1)
                           for block in resample_blocks(values.size, config)])


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
    return percentile_interval(resampled_means(data, config), config.confidence)


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
        (statistic(row) for row in resample_rows(n, config)),
        dtype=np.float64,
        count=config.resamples,
    )
    return percentile_interval(replicates, config.confidence)
