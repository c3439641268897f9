import random

import pytest

from thuocdo.core.drivers import (
    DriversError,
    _relative_weights,
    _shapley,
    _weighted_correlation,
    drivers_from_responses,
    key_drivers,
)


def synthetic(n=400, seed=7):
    """Overall satisfaction driven mostly by X2, a little by X1, not at all by X3 (correlated with X1)."""
    rng = random.Random(seed)
    x1, x2, x3, y = [], [], [], []
    for _ in range(n):
        a, b = rng.gauss(0, 1), rng.gauss(0, 1)
        c = 0.6 * a + 0.8 * rng.gauss(0, 1)
        x1.append(a)
        x2.append(b)
        x3.append(c)
        y.append(0.5 * a + 2.0 * b + rng.gauss(0, 1))
    return {"X1": x1, "X2": x2, "X3": x3}, y


def test_the_true_driver_comes_first_and_shares_sum_to_one():
    predictors, y = synthetic()
    result = key_drivers(predictors, y)
    assert result.method == "shapley"
    assert result.drivers[0].code == "X2"
    assert result.drivers[0].importance > 0.75
    assert sum(d.importance for d in result.drivers) == pytest.approx(1.0)
    assert sum(d.r2_part for d in result.drivers) == pytest.approx(result.r2)
    assert result == key_drivers(predictors, y)  # deterministic


def test_relative_weights_agree_with_shapley_and_sum_to_r2():
    import numpy as np

    predictors, y = synthetic()
    data = np.column_stack([*predictors.values(), y])
    corr = _weighted_correlation(data, np.full(len(y), 1 / len(y)))
    exact = _shapley(corr[:-1, :-1], corr[:-1, -1])
    approx = _relative_weights(corr[:-1, :-1], corr[:-1, -1])
    assert approx.sum() == pytest.approx(exact.sum())
    assert np.abs(approx - exact).max() < 0.02
    assert key_drivers(predictors, y, exact_limit=2).method == "relative_weights"


def test_priority_matrix_puts_important_low_scoring_criteria_first():
    predictors, y = synthetic()
    result = key_drivers(predictors, y, indices={"X1": 95.0, "X2": 70.0, "X3": 60.0}, target=90)
    by_code = {d.code: d for d in result.drivers}
    assert by_code["X2"].quadrant == "improve_first"
    assert by_code["X1"].quadrant == "secondary"
    assert by_code["X3"].quadrant == "improve_later"
    assert by_code["X2"].priority == pytest.approx(by_code["X2"].importance * 30)
    assert max(result.drivers, key=lambda d: d.priority).code == "X2"


def test_weights_change_the_answer():
    predictors, y = synthetic(n=200)
    # Up-weighting rows where X1 dominates shifts importance towards X1.
    weights = [
        10.0 if abs(a) > abs(b) else 0.1 for a, b in zip(predictors["X1"], predictors["X2"], strict=True)
    ]
    plain = {d.code: d.importance for d in key_drivers(predictors, y).drivers}
    weighted = {d.code: d.importance for d in key_drivers(predictors, y, weights=weights).drivers}
    assert weighted["X1"] > plain["X1"]


def test_from_responses_leaves_out_filtered_criteria():
    from pathlib import Path

    from thuocdo.core.instruments import parse_instrument_text

    path = Path(__file__).resolve().parents[2] / "src/thuocdo/surveys/data/instruments/sipas-2017.v1.json"
    sipas = parse_instrument_text(path.read_text(encoding="utf-8"), source=path.name)
    rng = random.Random(3)
    rows = []
    for _ in range(150):
        level = rng.gauss(3.5, 1)
        row = {
            c.code: min(5, max(1, round(level + rng.gauss(0, 0.7))))
            for c in sipas.criteria
            if c.factor != "E"
        }
        row["C1"] = min(5, max(1, round(level + rng.gauss(0, 0.1))))  # C1 tracks overall closely
        row["G"] = min(5, max(1, round(level)))
        rows.append(row)
    result = drivers_from_responses(sipas, rows, outcome="G")
    assert set(result.excluded) == {"E1", "E2", "E3", "E4"}
    assert result.method == "relative_weights"
    assert result.drivers[0].code == "C1"


def test_too_few_complete_answers_is_an_error():
    with pytest.raises(DriversError, match="cần ít nhất"):
        key_drivers({"A": [1, 2, None], "B": [2, 3, 4]}, [1, 2, 3])
    with pytest.raises(DriversError, match="cùng một câu trả lời"):
        key_drivers({"A": [1] * 10, "B": list(range(10))}, list(range(10)))
