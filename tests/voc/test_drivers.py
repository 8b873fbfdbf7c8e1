"""Key drivers: Johnson's relative weights against a published result and a brute-force
Shapley decomposition of R², with bootstrap intervals and directions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

import cxlib as cx
from cxlib.voc import key_drivers, relative_weights

# mtcars (Henderson & Velleman 1981, R's datasets::mtcars): mpg, cyl, disp, hp, gear
MTCARS = """21,6,160,110,4 21,6,160,110,4 22.8,4,108,93,4 21.4,6,258,110,3 18.7,8,360,175,3
18.1,6,225,105,3 14.3,8,360,245,3 24.4,4,146.7,62,4 22.8,4,140.8,95,4 19.2,6,167.6,123,4
17.8,6,167.6,123,4 16.4,8,275.8,180,3 17.3,8,275.8,180,3 15.2,8,275.8,180,3 10.4,8,472,205,3
10.4,8,460,215,3 14.7,8,440,230,3 32.4,4,78.7,66,4 30.4,4,75.7,52,4 33.9,4,71.1,65,4
21.5,4,120.1,97,3 15.5,8,318,150,3 15.2,8,304,150,3 13.3,8,350,245,3 19.2,8,400,175,3
27.3,4,79,66,4 26,4,120.3,91,5 30.4,4,95.1,113,5 15.8,8,351,264,5 19.7,6,145,175,5
15,8,301,335,5 21.4,4,121,109,4"""


def _mtcars() -> pl.DataFrame:
    rows = [[float(v) for v in car.split(",")] for car in MTCARS.split()]
    return pl.DataFrame(rows, schema=["mpg", "cyl", "disp", "hp", "gear"], orient="row")


def test_relative_weights_reproduce_the_rwa_packages_mtcars_result():
    # R package rwa (Chan), README: rwa(mtcars, "mpg", c("cyl", "disp", "hp", "gear"))
    # rsquare 0.7791896; Raw.RelWeight 0.2284797, 0.2221469, 0.2321744, 0.0963886;
    # signs -, -, -, +
    cars = _mtcars()
    x = cars.select("cyl", "disp", "hp", "gear").to_numpy()
    weights, r2 = relative_weights(x, cars["mpg"].to_numpy())
    assert r2 == pytest.approx(0.7791896, abs=1e-7)
    assert weights == pytest.approx([0.2284797, 0.2221469, 0.2321744, 0.0963886], abs=1e-7)
    drivers = key_drivers(cars, target="mpg", n_boot=50)
    by_name = {row["attribute"]: row for row in drivers.iter_rows(named=True)}
    assert by_name["gear"]["share"] == pytest.approx(0.1237037, abs=1e-6)  # 12.37037 %
    assert [by_name[a]["direction"] for a in ("cyl", "disp", "hp", "gear")] == [
        "lower",
        "lower",
        "lower",
        "higher",
    ]


def _r2(x: np.ndarray, y: np.ndarray, columns: list[int]) -> float:
    if not columns:
        return 0.0
    design = np.column_stack([np.ones(len(y)), x[:, columns]])
    fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return 1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum()


def _shapley_r2(x: np.ndarray, y: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """Brute force: each group's R² gain averaged over every order of the groups (LMG)."""
    k = len(groups)
    values = np.zeros(k)
    orders = list(itertools.permutations(range(k)))
    for order in orders:
        taken: list[int] = []
        for g in order:
            before = _r2(x, y, taken)
            taken = taken + groups[g]
            values[g] += _r2(x, y, taken) - before
    return values / len(orders)


def test_relative_weights_track_the_shapley_decomposition_of_r2():
    cars = _mtcars()
    x = cars.select("cyl", "disp", "hp", "gear").to_numpy()
    y = cars["mpg"].to_numpy()
    shapley = _shapley_r2(x, y, [[0], [1], [2], [3]])
    weights, r2 = relative_weights(x, y)
    assert shapley.sum() == pytest.approx(r2)  # both split the same R²
    # an approximation, not the same number: here they differ by 0.021 at most
    assert np.abs(weights - shapley).max() < 0.03
    assert np.argsort(weights)[0] == np.argsort(shapley)[0] == 3  # gear matters least


def test_categorical_attribute_weight_is_the_sum_of_its_levels():
    rng = np.random.default_rng(3)
    n = 600
    channel = rng.choice(["app", "web", "store"], size=n, p=[0.5, 0.3, 0.2])
    late = rng.poisson(1.0, size=n).astype(float)
    score = 8 - 1.5 * late + np.where(channel == "store", 1.0, 0.0) + rng.normal(0, 1, n)
    frame = pl.DataFrame({"score": score, "late_days": late, "channel": channel})
    result = key_drivers(frame, n_boot=100, seed=1)
    assert result["attribute"].to_list() == ["late_days", "channel"]
    assert result["kind"].to_list() == ["numeric", "categorical"]
    dummies = np.column_stack([late, channel == "web", channel == "store"]).astype(float)
    weights, r2 = relative_weights(dummies, score)
    assert result["weight"].to_list() == pytest.approx([weights[0], weights[1] + weights[2]])
    assert result["weight"].sum() == pytest.approx(r2)
    assert result["r_squared"][0] == pytest.approx(r2)
    late_row = result.row(0, named=True)
    assert late_row["coefficient"] == pytest.approx(-1.5, abs=0.15)
    assert late_row["coefficient_low"] < -1.5 < late_row["coefficient_high"]
    assert late_row["direction"] == "lower"
    assert result.row(1, named=True)["direction"] == "by level"


def test_bootstrap_intervals_are_reproducible_and_cover_the_estimate():
    cars = _mtcars()
    first = key_drivers(cars, target="mpg", n_boot=200, seed=7)
    again = key_drivers(cars, target="mpg", n_boot=200, seed=7)
    assert first.equals(again)
    for row in first.iter_rows(named=True):
        assert row["weight_low"] <= row["weight"] <= row["weight_high"]
        assert 0 <= row["share_low"] <= row["share_high"] <= 1
    assert not math.isclose(
        first["weight_low"][0], key_drivers(cars, target="mpg", n_boot=200, seed=8)["weight_low"][0]
    )


def test_key_drivers_take_pandas_and_leave_out_incomplete_answers():
    frame = pd.DataFrame(
        {
            "score": [9, 7, 3, 10, 2, 8, 9, 4, None],
            "late_days": [0, 1, 6, 0, 7, 2, 0, 5, 1],
            "contacts": [0, 0, 2, 0, 3, 1, 0, 1, 0],
        }
    )
    result = key_drivers(frame, n_boot=20)
    assert result["responses"][0] == 8
    assert frame["score"].isna().sum() == 1  # input untouched


def test_key_drivers_reject_an_attribute_without_variation():
    frame = pl.DataFrame(
        {"score": [9.0, 7, 3, 10, 2, 8], "late_days": [0, 1, 6, 0, 7, 2], "channel": ["app"] * 6}
    )
    with pytest.raises(cx.DataError, match="'channel' has a single value"):
        key_drivers(frame, n_boot=10)
