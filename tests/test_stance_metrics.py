"""Stance metrics must equal scikit-learn's on the same inputs, including the edge cases."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from harness.scoring.bootstrap import BootstrapConfig, resample_rows
from harness.scoring.stance import INVALID, stance_ci, stance_metrics, stance_statistic

LABELS = ["favor", "against", "none"]


def _random_case(seed: int, n: int, invalid_share: float) -> tuple[list[str], list[str | None]]:
    rng = np.random.default_rng(seed)
    gold = [LABELS[i] for i in rng.integers(0, 3, n)]
    predicted: list[str | None] = [
        None if rng.random() < invalid_share else LABELS[i] for i in rng.integers(0, 3, n)
    ]
    return gold, predicted


def _assert_matches_sklearn(
    gold: list[str], predicted: list[str | None], labels: list[str]
) -> dict[str, object]:
    result = stance_metrics(gold, predicted, labels)
    pred = [INVALID if p is None else p for p in predicted]
    assert result["n"] == len(gold)
    assert result["accuracy"] == pytest.approx(accuracy_score(gold, pred))
    assert result["macro_f1"] == pytest.approx(
        f1_score(gold, pred, average="macro", labels=labels, zero_division=0)
    )
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    for i, label in enumerate(labels):
        cls = result["per_class"][label]
        assert cls["precision"] == pytest.approx(p[i])
        assert cls["recall"] == pytest.approx(r[i])
        assert cls["f1"] == pytest.approx(f[i])
        assert cls["support"] == s[i]
    full = [*labels, INVALID]
    expected_cm = confusion_matrix(gold, pred, labels=full)[: len(labels)]
    assert result["confusion_matrix"] == {"labels": full, "matrix": expected_cm.tolist()}
    assert result["invalid_rate"] == pytest.approx(sum(x is None for x in predicted) / len(gold))
    if "favor" in labels and "against" in labels:
        i, j = labels.index("favor"), labels.index("against")
        assert result["f_avg"] == pytest.approx((f[i] + f[j]) / 2)
    json.dumps(result, allow_nan=False)  # JSON-ready, no numpy types
    return result


@pytest.mark.parametrize("seed", range(12))
def test_random_inputs_match_sklearn(seed: int) -> None:
    gold, predicted = _random_case(seed, n=20 + 37 * seed, invalid_share=0.15)
    _assert_matches_sklearn(gold, predicted, LABELS)


def test_all_invalid() -> None:
    gold = ["favor", "against", "none", "none"]
    result = _assert_matches_sklearn(gold, [None] * 4, LABELS)
    assert result["accuracy"] == 0.0
    assert result["macro_f1"] == 0.0
    assert result["invalid_rate"] == 1.0
    assert [row[-1] for row in result["confusion_matrix"]["matrix"]] == [1, 1, 2]


def test_class_never_predicted() -> None:
    gold = ["favor", "against", "none", "favor", "against"]
    predicted: list[str | None] = ["favor", "favor", "none", "favor", None]
    result = _assert_matches_sklearn(gold, predicted, LABELS)
    assert result["per_class"]["against"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 2,
    }


def test_class_absent_in_gold() -> None:
    gold = ["favor", "favor", "none", "none"]
    predicted: list[str | None] = ["favor", "against", "none", "favor"]
    result = _assert_matches_sklearn(gold, predicted, LABELS)
    assert result["per_class"]["against"]["support"] == 0


def test_perfect_predictions() -> None:
    gold = ["favor", "against", "none"]
    result = _assert_matches_sklearn(gold, list(gold), LABELS)
    assert result["accuracy"] == result["macro_f1"] == result["f_avg"] == 1.0


def test_f_avg_undefined_without_favor_and_against() -> None:
    result = _assert_matches_sklearn(["pos", "neg"], ["pos", None], ["pos", "neg"])
    assert result["f_avg"] is None


def test_invalid_string_is_treated_as_none() -> None:
    a = stance_metrics(["favor", "none"], [INVALID, "none"], LABELS)
    b = stance_metrics(["favor", "none"], [None, "none"], LABELS)
    assert a == b


def test_empty_input() -> None:
    result = stance_metrics([], [], LABELS)
    assert result["n"] == 0 and result["accuracy"] is None and result["macro_f1"] is None
    intervals = stance_ci([], [], LABELS, BootstrapConfig())
    assert all(math.isnan(lo) and math.isnan(hi) for lo, hi in intervals.values())


@pytest.mark.parametrize(
    ("gold", "predicted", "labels"),
    [
        (["favor", "maybe"], ["favor", "none"], LABELS),  # gold outside labels
        (["favor"], ["maybe"], LABELS),  # prediction outside labels
        (["favor", "none"], ["favor"], LABELS),  # length mismatch
        (["favor"], ["favor"], ["favor", "favor"]),  # duplicate labels
        (["favor"], ["favor"], []),
    ],
)
def test_bad_input_raises(gold: list[str], predicted: list[str | None], labels: list[str]) -> None:
    with pytest.raises(ValueError):
        stance_metrics(gold, predicted, labels)


def test_ci_replicates_equal_sklearn_on_each_resample() -> None:
    """The vectorized CI must use exactly the metric of each resampled data set."""
    gold, predicted = _random_case(7, n=60, invalid_share=0.2)
    config = BootstrapConfig(resamples=40, seed=3, confidence=0.9)
    pred = np.array([INVALID if p is None else p for p in predicted], dtype=object)
    gold_arr = np.array(gold, dtype=object)
    replicates = [
        f1_score(
            list(gold_arr[row]), list(pred[row]), average="macro", labels=LABELS, zero_division=0
        )
        for row in resample_rows(len(gold), config)
    ]
    expected = tuple(np.quantile(replicates, [0.05, 0.95]))
    assert stance_ci(gold, predicted, LABELS, config)["macro_f1"] == pytest.approx(expected)


def test_ci_contains_point_estimate_and_is_deterministic() -> None:
    gold, predicted = _random_case(11, n=400, invalid_share=0.1)
    config = BootstrapConfig(resamples=500, seed=1)
    point = stance_metrics(gold, predicted, LABELS)
    ci = stance_ci(gold, predicted, LABELS, config)
    for name in ("accuracy", "macro_f1", "f_avg", "invalid_rate"):
        low, high = ci[name]
        assert low <= point[name] <= high
        assert low < high
    assert stance_ci(gold, predicted, LABELS, config) == ci
    assert stance_ci(gold, predicted, LABELS, BootstrapConfig(resamples=500, seed=2)) != ci


def test_ci_f_avg_nan_when_undefined() -> None:
    ci = stance_ci(["pos", "neg"] * 5, ["pos", None] * 5, ["pos", "neg"], BootstrapConfig(100))
    assert all(math.isnan(x) for x in ci["f_avg"])
    assert not math.isnan(ci["accuracy"][0])


def test_ci_is_fast() -> None:
    gold, predicted = _random_case(5, n=1500, invalid_share=0.05)
    config = BootstrapConfig(resamples=1000)
    stance_ci(gold, predicted, LABELS, config)  # warm-up
    start = time.perf_counter()
    stance_ci(gold, predicted, LABELS, config)
    assert time.perf_counter() - start < 1.0


def test_stance_statistic_matches_metrics() -> None:
    gold, predicted = _random_case(2, n=50, invalid_share=0.1)
    statistic = stance_statistic(gold, predicted, LABELS, "macro_f1")
    assert statistic(np.arange(50)) == pytest.approx(
        stance_metrics(gold, predicted, LABELS)["macro_f1"]
    )
    idx = np.array([0, 0, 3, 7, 9])
    sub = stance_metrics([gold[i] for i in idx], [predicted[i] for i in idx], LABELS)
    assert statistic(idx) == pytest.approx(sub["macro_f1"])
    with pytest.raises(ValueError):
        stance_statistic(gold, predicted, LABELS, "rouge")
