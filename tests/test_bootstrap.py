"""The bootstrap must be reproducible bit for bit and agree with a plain loop."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.scoring.bootstrap import (
    BootstrapConfig,
    mean_ci,
    percentile_interval,
    resample_blocks,
    resample_rows,
    statistic_ci,
)


def test_describe() -> None:
    assert BootstrapConfig().describe() == {
        "method": "percentile",
        "resamples": 1000,
        "seed": 12345,
        "confidence": 0.95,
    }


@pytest.mark.parametrize(
    "kwargs", [{"resamples": 0}, {"confidence": 0.0}, {"confidence": 1.0}, {"confidence": 1.5}]
)
def test_invalid_config(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BootstrapConfig(**kwargs)  # type: ignore[arg-type]


def test_resample_blocks_shape_range_and_determinism() -> None:
    config = BootstrapConfig(resamples=50, seed=9)
    idx = np.vstack(list(resample_blocks(17, config)))
    assert idx.shape == (50, 17)
    assert idx.min() >= 0 and idx.max() < 17
    assert np.array_equal(idx, np.vstack(list(resample_blocks(17, config))))
    other = np.vstack(list(resample_blocks(17, BootstrapConfig(resamples=50, seed=10))))
    assert not np.array_equal(idx, other)
    assert np.vstack(list(resample_blocks(0, config))).shape == (50, 0)
    blocks = list(resample_blocks(17, config, max_elements=17 * 8))
    assert [b.shape[0] for b in blocks] == [8] * 6 + [2]
    assert np.array_equal(np.vstack(blocks), idx)
    assert next(b.shape for b in resample_blocks(100, config, max_elements=10)) == (1, 100)


def test_mean_ci_is_bit_identical_across_calls() -> None:
    values = np.random.default_rng(0).random(300)
    config = BootstrapConfig(resamples=2000, seed=42)
    first = mean_ci(values, config)
    for _ in range(3):
        assert mean_ci(values, config) == first  # exact equality, not approx
    assert mean_ci(list(values), config) == first
    assert mean_ci(values, BootstrapConfig(resamples=2000, seed=43)) != first


def test_mean_ci_matches_loop_and_contains_mean() -> None:
    values = np.random.default_rng(1).normal(0.4, 0.1, 200)
    config = BootstrapConfig(resamples=300, seed=5, confidence=0.9)
    means = [values[row].mean() for row in resample_rows(values.size, config)]
    expected = tuple(np.quantile(means, [0.05, 0.95]))
    low, high = mean_ci(values, config)
    assert (low, high) == pytest.approx(expected)
    assert low < values.mean() < high


def test_wider_interval_for_higher_confidence() -> None:
    values = np.random.default_rng(2).random(100)
    narrow = mean_ci(values, BootstrapConfig(confidence=0.5))
    wide = mean_ci(values, BootstrapConfig(confidence=0.99))
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


def test_degenerate_sizes() -> None:
    config = BootstrapConfig()
    assert all(math.isnan(x) for x in mean_ci([], config))
    assert mean_ci([0.25], config) == (0.25, 0.25)
    assert mean_ci([0.5, 0.5, 0.5], config) == (0.5, 0.5)
    assert all(math.isnan(x) for x in statistic_ci(0, lambda idx: 1.0, config))
    assert statistic_ci(1, lambda idx: 3.0 + idx.sum(), config) == (3.0, 3.0)


def test_statistic_ci_equals_mean_ci_for_the_mean() -> None:
    values = np.random.default_rng(3).random(80)
    config = BootstrapConfig(resamples=200, seed=8)
    via_statistic = statistic_ci(values.size, lambda idx: float(values[idx].mean()), config)
    assert via_statistic == pytest.approx(mean_ci(values, config))


def test_percentile_interval_ignores_nan_replicates() -> None:
    samples = np.array([np.nan, 1.0, 2.0, 3.0, np.nan])
    assert percentile_interval(samples, 0.5) == pytest.approx((1.5, 2.5))
    assert all(math.isnan(x) for x in percentile_interval(np.array([np.nan]), 0.95))
