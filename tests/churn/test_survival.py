"""Kaplan–Meier, median lifetime and the log-rank test against published results and brute force.

Published reference: the Freireich et al. (1963) 6-mercaptopurine (6-MP) vs placebo leukaemia
remission data (weeks), as tabulated in Kleinbaum & Klein, *Survival Analysis: A Self-Learning
Text* (Springer), chapter 2: KM estimates of both groups, log-rank chi-square 16.79 on 1 df
(P < 0.0001), median remission 23 weeks (6-MP) and 8 weeks (placebo). The same data are
``gehan`` in R's MASS package, where ``survdiff`` gives observed 9 / expected 19.25 (6-MP) and
21 / 10.75 (placebo), Chisq = 16.8. Greenwood standard error and log-log interval of the
placebo curve at week 1 (0.9048, SE 0.0641, 95 % CI 0.6700-0.9753) as listed by Stata's
``sts list`` in G. Rodríguez, "The Gehan Survival Data", Princeton WWS 509
(data.princeton.edu/pop509/gehan.html).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats

import cxlib as cx
from cxlib import churn
from cxlib.churn.survival import kaplan_meier, logrank_test, median_lifetime

SIX_MP_EVENTS = [6, 6, 6, 7, 10, 13, 16, 22, 23]
SIX_MP_CENSORED = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
PLACEBO_EVENTS = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
LEUKEMIA = pl.DataFrame(
    {
        "weeks": SIX_MP_EVENTS + SIX_MP_CENSORED + PLACEBO_EVENTS,
        "relapse": [True] * 9 + [False] * 12 + [True] * 21,
        "group": ["6-MP"] * 21 + ["placebo"] * 21,
    }
)
# Kleinbaum & Klein, chapter 2: the KM estimates of each group (3 decimals)
KM_6MP = {6: 0.857, 7: 0.807, 10: 0.753, 13: 0.690, 16: 0.627, 22: 0.538, 23: 0.448}
KM_PLACEBO = {
    1: 0.905,
    2: 0.810,
    3: 0.762,
    4: 0.667,
    5: 0.571,
    8: 0.381,
    11: 0.286,
    12: 0.190,
    15: 0.143,
    17: 0.095,
    22: 0.048,
    23: 0.000,
}


def _curve(group: str) -> dict[float, dict]:
    curves = kaplan_meier(LEUKEMIA, duration="weeks", event="relapse", by="group")
    part = curves.filter(pl.col("group") == group)
    return {row["time"]: row for row in part.iter_rows(named=True)}


@pytest.mark.parametrize(("group", "published"), [("6-MP", KM_6MP), ("placebo", KM_PLACEBO)])
def test_kaplan_meier_matches_the_textbook_leukemia_table(group, published):
    curve = _curve(group)
    for week, survival in published.items():
        assert curve[float(week)]["survival"] == pytest.approx(survival, abs=5e-4)
    assert curve[0.0]["survival"] == 1.0 and curve[0.0]["at_risk"] == 21


def test_greenwood_error_and_log_log_interval_match_stata():
    week_one = _curve("placebo")[1.0]
    assert week_one["survival"] == pytest.approx(0.9048, abs=5e-5)
    assert week_one["std_error"] == pytest.approx(0.0641, abs=5e-5)
    assert week_one["ci_low"] == pytest.approx(0.6700, abs=5e-5)
    assert week_one["ci_high"] == pytest.approx(0.9753, abs=5e-5)


def test_log_rank_matches_the_textbook_chi_square():
    result = logrank_test(LEUKEMIA, duration="weeks", event="relapse", group="group")
    assert result["chi_square"][0] == pytest.approx(16.79, abs=0.005)
    assert result["df"][0] == 1 and result["p_value"][0] < 0.0001
    rows = {r["group"]: r for r in result.iter_rows(named=True)}
    assert (rows["6-MP"]["observed"], rows["placebo"]["observed"]) == (9, 21)
    assert rows["6-MP"]["expected"] == pytest.approx(19.25, abs=0.005)
    assert rows["placebo"]["expected"] == pytest.approx(10.75, abs=0.005)


def test_median_remission_matches_the_textbook():
    medians = median_lifetime(LEUKEMIA, duration="weeks", event="relapse", by="group")
    got = dict(medians.select("group", "median").iter_rows())
    assert got == {"6-MP": 23.0, "placebo": 8.0}
    for row in medians.iter_rows(named=True):
        assert row["ci_low"] <= row["median"]
        assert row["ci_high"] is None or row["median"] <= row["ci_high"]


def _brute_km(durations, events, entries=None):
    """Product-limit estimate with a Python loop over distinct times (reference)."""
    entries = entries if entries is not None else [-math.inf] * len(durations)
    survival, out = 1.0, {}
    for t in sorted(set(durations)):
        at_risk = sum(1 for d, e in zip(durations, entries, strict=True) if e < t <= d)
        died = sum(1 for d, x in zip(durations, events, strict=True) if d == t and x)
        if at_risk:
            survival *= 1 - died / at_risk
        out[t] = (at_risk, died, survival)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_kaplan_meier_matches_a_brute_force_loop_with_ties_and_delayed_entry(seed):
    rng = np.random.default_rng(seed)
    n = 60
    durations = rng.integers(1, 15, n).astype(float)
    events = rng.random(n) < 0.6
    entries = np.where(rng.random(n) < 0.3, durations - rng.integers(1, 5, n), -1.0)
    frame = pl.DataFrame({"days": durations, "churned": events, "entry": entries})
    for entry in (None, "entry"):
        reference = _brute_km(
            durations.tolist(), events.tolist(), entries.tolist() if entry else None
        )
        curve = kaplan_meier(frame, entry=entry).filter(pl.col("time") > 0)
        for row in curve.iter_rows(named=True):
            at_risk, died, survival = reference[row["time"]]
            assert (row["at_risk"], row["events"]) == (at_risk, died)
            assert row["survival"] == pytest.approx(survival)


def _brute_logrank(frame: pl.DataFrame, group: str) -> float:
    """Two-group log-rank with a loop over event times (O - E, hypergeometric variance)."""
    first = frame.filter(pl.col(group) == frame[group].sort()[0])
    o_minus_e, variance = 0.0, 0.0
    for t in sorted(set(frame.filter(pl.col("churned"))["days"].to_list())):
        n = frame.filter(pl.col("days") >= t).height
        n1 = first.filter(pl.col("days") >= t).height
        d = frame.filter((pl.col("days") == t) & pl.col("churned")).height
        d1 = first.filter((pl.col("days") == t) & pl.col("churned")).height
        o_minus_e += d1 - n1 * d / n
        if n > 1:
            variance += n1 * (n - n1) * d * (n - d) / (n * n * (n - 1))
    return o_minus_e**2 / variance


@pytest.mark.parametrize("seed", range(3))
def test_log_rank_matches_a_brute_force_loop(seed):
    rng = np.random.default_rng(seed)
    n = 80
    frame = pl.DataFrame(
        {
            "days": rng.integers(1, 20, n),
            "churned": rng.random(n) < 0.7,
            "segment": rng.choice(["a", "b"], n),
        }
    )
    result = logrank_test(frame, group="segment")
    assert result["chi_square"][0] == pytest.approx(_brute_logrank(frame, "segment"))


def test_log_rank_with_three_groups_has_two_degrees_of_freedom():
    rng = np.random.default_rng(5)
    n = 90
    frame = pl.DataFrame(
        {
            "days": rng.integers(1, 20, n),
            "churned": rng.random(n) < 0.7,
            "segment": ["a", "b", "c"] * 30,
        }
    )
    result = logrank_test(frame, group="segment")
    assert result["df"][0] == 2
    assert result["p_value"][0] == pytest.approx(stats.chi2.sf(result["chi_square"][0], 2))
    assert result["observed"].sum() == frame["churned"].sum()
    assert result["expected"].sum() == pytest.approx(frame["churned"].sum())


def test_identical_groups_give_a_zero_statistic():
    frame = pl.DataFrame(
        {"days": [1, 2, 3, 4] * 2, "churned": [True, False] * 4, "segment": ["a"] * 4 + ["b"] * 4}
    )
    assert logrank_test(frame, group="segment")["chi_square"][0] == pytest.approx(0.0)


def test_median_not_reached_is_null_and_bad_input_is_a_data_error():
    frame = pl.DataFrame({"days": [1, 5, 9, 9], "churned": [True, False, False, False]})
    assert median_lifetime(frame)["median"][0] is None
    with pytest.raises(cx.DataError, match="negative"):
        kaplan_meier(pl.DataFrame({"days": [-1], "churned": [True]}))
    with pytest.raises(cx.DataError, match="two groups"):
        logrank_test(frame.with_columns(pl.lit("a").alias("g")), group="g")


def test_customers_with_recent_friction_churn_faster_after_the_snapshot():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = cx.load(Path(__file__).resolve().parents[2] / "data" / "sample")
    life = churn.lifetimes(ds, as_of="2025-07-01", by="friction_90d", bins=[1, 2])
    assert set(life["segment"]) == {"0", "1", "2+"}
    assert (life["days"] >= 0).all()
    test = logrank_test(life, group="segment", groups=["0", "2+"])
    assert test["p_value"][0] < 0.001
    curves = kaplan_meier(life, by="segment")
    at_90 = curves.filter(pl.col("time") <= 90).group_by("segment").agg(pl.col("survival").last())
    retained = dict(at_90.iter_rows())
    assert retained["2+"] < retained["0"] - 0.3
