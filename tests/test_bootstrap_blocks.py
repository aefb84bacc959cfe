"""Drawing resamples in blocks keeps memory bounded and every interval bit-identical.

The reference implementations below are the pre-block code (one resamples × rows index array),
kept here verbatim so that the new code is checked against what reports were computed with.
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.scoring import bootstrap
from harness.scoring.bootstrap import BootstrapConfig, mean_ci, percentile_interval, statistic_ci
from harness.scoring.significance import (
    bootstrap_p_value,
    paired_bootstrap_mean,
    paired_bootstrap_statistic,
)
from harness.scoring.stance import _encode, _metrics_from_counts, stance_ci, stance_statistic

LABELS = ("favor", "against", "none")
SIZES = (1, 2, 17, 333, 4096)


def old_resample_indices(n: int, config: BootstrapConfig) -> np.ndarray:
    rng = np.random.default_rng(config.seed)
    if n == 0:
        return np.zeros((config.resamples, 0), dtype=np.int64)
    return rng.integers(0, n, size=(config.resamples, n), dtype=np.int64)


def old_mean_ci(values: np.ndarray, config: BootstrapConfig) -> tuple[float, float]:
    means = values[old_resample_indices(values.size, config)].mean(axis=1)
    return percentile_interval(means, config.confidence)


def old_stance_ci(gold: list[str], predicted: list[str | None], config: BootstrapConfig
                  ) -> dict[str, tuple[float, float]]:
    gold_codes, pred_codes = _encode(gold, predicted, LABELS)
    k = len(LABELS)
    cells_per_table = k * (k + 1)
    cells = gold_codes * (k + 1) + pred_codes
    idx = old_resample_indices(gold_codes.size, config)
    offsets = np.arange(config.resamples, dtype=np.int64)[:, None] * cells_per_table
    flat = np.bincount((cells[idx] + offsets).ravel(), minlength=config.resamples * cells_per_table)
    m = _metrics_from_counts(flat.reshape(config.resamples, k, k + 1), LABELS)
    return {name: percentile_interval(m[name], config.confidence)
            for name in ("accuracy", "macro_f1", "f_avg", "invalid_rate")}


@pytest.fixture(params=[None, 1000], ids=["default-blocks", "small-blocks"])
def block_size(request, monkeypatch) -> None:
    """Run each check with the shipped block size and with blocks of a few resamples."""
    if request.param is not None:
        monkeypatch.setattr(bootstrap, "BLOCK_ELEMENTS", request.param)


def _stance_case(n: int, seed: int) -> tuple[list[str], list[str | None]]:
    rng = np.random.default_rng(seed)
    gold = [LABELS[i] for i in rng.integers(0, 3, n)]
    choices: list[str | None] = [*LABELS, None]
    predicted = [choices[i] for i in rng.integers(0, 4, n)]
    return gold, predicted


@pytest.mark.parametrize("n", SIZES)
def test_indices_equal_one_big_draw(n: int, block_size: None) -> None:
    config = BootstrapConfig(resamples=301, seed=n)
    blocks = list(bootstrap.resample_blocks(n, config))
    assert np.array_equal(np.vstack(blocks), old_resample_indices(n, config))
    assert max(b.size for b in blocks) <= max(n, bootstrap.BLOCK_ELEMENTS)


@pytest.mark.parametrize("n", SIZES)
def test_mean_and_paired_mean_bit_identical(n: int, block_size: None) -> None:
    config = BootstrapConfig(resamples=500, seed=7)
    rng = np.random.default_rng(n)
    a, b = rng.random(n), rng.random(n)
    if n > 1:  # mean_ci answers one value without resampling
        assert mean_ci(a, config) == old_mean_ci(a, config)
    paired = paired_bootstrap_mean(a, b, config)
    diffs = b - a
    old = diffs[old_resample_indices(n, config)].mean(axis=1)
    assert (paired.ci_low, paired.ci_high) == percentile_interval(old, config.confidence)
    assert paired.p_value == bootstrap_p_value(paired.difference, old)


@pytest.mark.parametrize("n", SIZES)
def test_stance_ci_bit_identical(n: int, block_size: None) -> None:
    config = BootstrapConfig(resamples=400, seed=3)
    gold, predicted = _stance_case(n, n)
    assert stance_ci(gold, predicted, LABELS, config) == old_stance_ci(gold, predicted, config)


@pytest.mark.parametrize("n", (2, 333, 4096))
def test_row_statistics_bit_identical(n: int, block_size: None) -> None:
    """statistic_ci and the paired corpus-level test walk the same rows as before."""
    config = BootstrapConfig(resamples=120, seed=11)
    gold, pred_a = _stance_case(n, 1)
    _, pred_b = _stance_case(n, 2)
    stat_a = stance_statistic(gold, pred_a, LABELS)
    stat_b = stance_statistic(gold, pred_b, LABELS)
    rows = old_resample_indices(n, config)
    old_single = np.array([stat_a(row) for row in rows])
    assert statistic_ci(n, stat_a, config) == percentile_interval(old_single, config.confidence)
    paired = paired_bootstrap_statistic(n, stat_a, stat_b, config)
    old_diffs = np.array([stat_b(row) - stat_a(row) for row in rows])
    assert (paired.ci_low, paired.ci_high) == percentile_interval(old_diffs, config.confidence)
    assert paired.p_value == bootstrap_p_value(paired.difference, old_diffs)
