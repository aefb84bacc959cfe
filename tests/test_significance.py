"""Paired significance tests on hand-computable cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.scoring.bootstrap import BootstrapConfig
from harness.scoring.significance import (
    PairedResult,
    bootstrap_p_value,
    mcnemar,
    newcombe_paired_ci,
    paired_bootstrap_mean,
    paired_bootstrap_statistic,
)
from harness.scoring.stance import stance_statistic

CONFIG = BootstrapConfig(resamples=1000, seed=7)


def test_identical_inputs_bootstrap() -> None:
    scores = np.random.default_rng(0).random(50)
    result = paired_bootstrap_mean(scores, scores.copy(), CONFIG, metric="rougeL")
    assert result.difference == 0.0
    assert result.p_value == 1.0
    assert (result.ci_low, result.ci_high) == (0.0, 0.0)
    assert result.metric == "rougeL" and result.n == 50


def test_identical_inputs_mcnemar() -> None:
    correct = [True, False, True, True, False]
    result = mcnemar(correct, correct)
    assert result.difference == 0.0
    assert result.p_value == 1.0
    assert result.baseline == result.candidate == 0.6
    assert result.ci_low <= 0.0 <= result.ci_high


def test_mcnemar_all_discordant_pairs_favor_b() -> None:
    a = [False] * 10 + [True] * 5
    b = [True] * 10 + [True] * 5
    result = mcnemar(a, b)
    assert result.p_value == pytest.approx(2 * 0.5**10) == 0.001953125
    assert result.difference == pytest.approx(10 / 15)
    assert result.ci_low > 0.0 and result.ci_high <= 1.0
    assert result.ci_low < result.difference < result.ci_high
    assert result.method == "mcnemar_exact"


def test_mcnemar_balanced_discordance() -> None:
    a = [True] * 6 + [False] * 6 + [True] * 4
    b = [False] * 6 + [True] * 6 + [True] * 4
    result = mcnemar(a, b)
    assert result.p_value == 1.0
    assert result.difference == 0.0


def test_mcnemar_direction() -> None:
    a = [True] * 10 + [False] * 2
    b = [False] * 10 + [True] * 2
    result = mcnemar(a, b)
    assert result.difference == pytest.approx(-8 / 12)
    assert result.ci_high < 0.0
    assert result.p_value == pytest.approx(2 * (1 + 12 + 66) / 2**12)


def test_newcombe_reference_properties() -> None:
    # Cavo et al. (2012) paired table used by Fagerland et al.: estimate 6/161 - 16/161.
    low, high = newcombe_paired_ci(59, 6, 16, 80)
    assert low == pytest.approx(-0.1186, abs=5e-4)
    assert high == pytest.approx(-0.0046, abs=5e-4)
    assert all(math.isnan(x) for x in newcombe_paired_ci(0, 0, 0, 0))


def test_large_consistent_paired_improvement_is_significant() -> None:
    rng = np.random.default_rng(1)
    a = rng.uniform(0.1, 0.9, 200)  # large between-example spread
    b = a + 0.01 + rng.normal(0, 0.002, 200)  # small but consistent gain
    result = paired_bootstrap_mean(a, b, CONFIG)
    assert result.difference == pytest.approx(float(np.mean(b - a)))
    assert result.p_value < 0.01
    assert 0.0 < result.ci_low < result.difference < result.ci_high
    assert result.p_value == pytest.approx(2 / (CONFIG.resamples + 1))


def test_no_real_difference_is_not_significant() -> None:
    rng = np.random.default_rng(2)
    a = rng.random(100)
    b = a + rng.normal(0, 0.1, 100)
    b = b - (b - a).mean()  # observed difference ~0
    result = paired_bootstrap_mean(a, b, CONFIG)
    assert result.p_value > 0.5
    assert result.ci_low < 0.0 < result.ci_high


def test_bootstrap_determinism_and_seed() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.random(80), rng.random(80)
    first = paired_bootstrap_mean(a, b, CONFIG)
    assert paired_bootstrap_mean(a, b, CONFIG) == first
    other = paired_bootstrap_mean(a, b, BootstrapConfig(resamples=1000, seed=8))
    assert (other.ci_low, other.ci_high) != (first.ci_low, first.ci_high)


def test_bootstrap_p_value_formula() -> None:
    # observed 1.0: the shifted null counts replicates >= 2 * 1.0, here 2 of 11
    replicates = np.array([0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 2.0, 2.5])
    assert bootstrap_p_value(1.0, replicates) == pytest.approx(2 * (2 + 1) / 12)
    assert bootstrap_p_value(-1.0, -replicates) == pytest.approx(2 * (2 + 1) / 12)
    assert bootstrap_p_value(0.0, replicates) == 1.0
    assert bootstrap_p_value(1.0, np.array([5.0, 5.0])) == 1.0  # capped


def test_paired_statistic_matches_mean_version() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.random(60), rng.random(60) + 0.1
    by_mean = paired_bootstrap_mean(a, b, CONFIG, "m")
    by_stat = paired_bootstrap_statistic(
        60, lambda i: float(a[i].mean()), lambda i: float(b[i].mean()), CONFIG, "m"
    )
    assert by_stat.difference == pytest.approx(by_mean.difference)
    assert by_stat.ci_low == pytest.approx(by_mean.ci_low)
    assert by_stat.ci_high == pytest.approx(by_mean.ci_high)
    assert by_stat.p_value == pytest.approx(by_mean.p_value)


def test_paired_statistic_for_macro_f1() -> None:
    rng = np.random.default_rng(5)
    labels = ["favor", "against", "none"]
    gold = [labels[i] for i in rng.integers(0, 3, 300)]
    weak = [g if rng.random() < 0.5 else labels[rng.integers(0, 3)] for g in gold]
    strong = [g if rng.random() < 0.9 else None for g in gold]
    result = paired_bootstrap_statistic(
        len(gold),
        stance_statistic(gold, weak, labels),
        stance_statistic(gold, strong, labels),
        BootstrapConfig(resamples=300, seed=1),
        metric="macro_f1",
    )
    assert result.candidate > result.baseline
    assert result.p_value < 0.01 and result.ci_low > 0.0


def test_empty_and_mismatched() -> None:
    empty = paired_bootstrap_mean([], [], CONFIG)
    assert isinstance(empty, PairedResult) and empty.n == 0 and math.isnan(empty.difference)
    assert mcnemar([], []).n == 0
    with pytest.raises(ValueError):
        paired_bootstrap_mean([0.1, 0.2], [0.1], CONFIG)
    with pytest.raises(ValueError):
        mcnemar([True], [True, False])
