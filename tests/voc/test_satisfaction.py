"""NPS, CSAT and CES with their intervals, and their period-to-period changes.

Every interval is checked against a hand computation (plain ``math``, written from the
formula) on groups of 1, 5, 30 and 200 answers, on every local engine; the CSAT change
against Newcombe's (1998) published example, the CES change against scipy's Welch t-test.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest
from conftest import to_polars
from scipy import stats

import cxlib as cx

Z95 = 1.959963984540054
SIZES = {"one": 1, "five": 5, "thirty": 30, "two_hundred": 200}


def _answers(survey: str, groups: dict[str, list[float]]) -> dict[str, list]:
    rows = [(g, s) for g, scores in groups.items() for s in scores]
    return {
        "g": [g for g, _ in rows],
        "survey": [survey] * len(rows),
        "score": [float(s) for _, s in rows],
    }


# Scores chosen so every group has a different mix: (promoters, passives, detractors).
NPS_GROUPS = {
    "one": [10],  # 1, 0, 0
    "five": [10, 9, 8, 3, 0],  # 2, 1, 2
    "thirty": [10] * 12 + [7] * 10 + [6] * 8,  # 12, 10, 8
    "two_hundred": [9] * 90 + [8] * 60 + [2] * 50,  # 90, 60, 50
}


def _adjusted_wald(promoters: int, detractors: int, n: int) -> tuple[float, float, float]:
    """Rocks (2016) by hand: add 3/4 promoter, 3/4 detractor, 3 answers."""
    n_adj = n + 3
    p, d = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
    centre = p - d
    half = Z95 * math.sqrt((p + d - centre**2) / n_adj)
    return (
        100 * (promoters - detractors) / n,
        max(-100, 100 * (centre - half)),
        min(100, 100 * (centre + half)),
    )


def test_nps_adjusted_wald_interval_matches_hand_computation_on_every_engine(constructor):
    result = to_polars(cx.nps(constructor(_answers("nps", NPS_GROUPS)), by="g"))
    assert result.columns == [
        "g",
        "responses",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "ci_low",
        "ci_high",
        "small_sample",
    ]
    counts = {
        "one": (1, 0, 0),
        "five": (2, 1, 2),
        "thirty": (12, 10, 8),
        "two_hundred": (90, 60, 50),
    }
    for row in result.iter_rows(named=True):
        promoters, passives, detractors = counts[row["g"]]
        n = SIZES[row["g"]]
        assert (row["responses"], row["promoters"], row["passives"], row["detractors"]) == (
            n,
            promoters,
            passives,
            detractors,
        )
        score, low, high = _adjusted_wald(promoters, detractors, n)
        assert row["nps"] == pytest.approx(score)
        assert row["ci_low"] == pytest.approx(low, abs=1e-9)
        assert row["ci_high"] == pytest.approx(high, abs=1e-9)
        assert row["small_sample"] is (n < 30)


def test_nps_interval_of_five_answers_by_hand():
    # 2 promoters, 2 detractors of 5: n' = 8, p' = d' = 2.75 / 8; centre 0,
    # half-width = 1.959964 * sqrt((0.34375 + 0.34375) / 8) = 1.959964 * 0.293151 = 0.574565
    answers = pl.DataFrame({"survey": ["nps"] * 5, "score": [10, 9, 8, 3, 0]})
    row = cx.nps(answers).row(0, named=True)
    assert row["nps"] == 0.0
    assert row["ci_low"] == pytest.approx(-57.4565, abs=1e-3)
    assert row["ci_high"] == pytest.approx(57.4565, abs=1e-3)


def test_nps_interval_of_one_promoter_is_wide_but_not_degenerate():
    row = cx.nps(pl.DataFrame({"survey": ["nps"], "score": [10.0]})).row(0, named=True)
    assert row["nps"] == 100.0 and row["small_sample"]
    assert row["ci_low"] < 0 < row["ci_high"] <= 100  # one answer says little


CSAT_GROUPS = {
    "one": [5],  # 1 of 1 satisfied
    "five": [5, 4, 4, 2, 3],  # 3 of 5
    "thirty": [5] * 20 + [3] * 6 + [1] * 4,  # 20 of 30
    "two_hundred": [4] * 150 + [2] * 50,  # 150 of 200
}


def _wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 / (1 + Z95**2 / n) * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def test_csat_top_two_box_with_wilson_interval_matches_hand_computation(constructor):
    result = to_polars(cx.csat(constructor(_answers("csat", CSAT_GROUPS)), by="g"))
    assert result.columns == [
        "g",
        "responses",
        "satisfied",
        "csat",
        "ci_low",
        "ci_high",
        "small_sample",
    ]
    satisfied = {"one": 1, "five": 3, "thirty": 20, "two_hundred": 150}
    for row in result.iter_rows(named=True):
        k, n = satisfied[row["g"]], SIZES[row["g"]]
        low, high = _wilson(k, n)
        assert (row["responses"], row["satisfied"]) == (n, k)
        assert row["csat"] == pytest.approx(k / n)
        assert row["ci_low"] == pytest.approx(low, abs=1e-9)
        assert row["ci_high"] == pytest.approx(high, abs=1e-9)
        assert row["small_sample"] is (n < 30)


def test_csat_wilson_interval_matches_published_value():
    # Brown, Cai & DasGupta (2001) / Newcombe (1998): Wilson 95% for 81 of 263 is
    # 0.2553 to 0.3662 (Newcombe's Table I, example (c))
    answers = pl.DataFrame({"survey": ["csat"] * 263, "score": [5.0] * 81 + [1.0] * 182})
    row = cx.csat(answers).row(0, named=True)
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (0.2553, 0.3662)


CES_GROUPS = {
    "one": [6],
    "five": [7, 6, 5, 2, 4],
    "thirty": [7, 6, 5, 4, 3, 2] * 5,
    "two_hundred": [5, 6, 7, 1] * 50,
}


def test_ces_mean_with_t_interval_matches_scipy_on_every_engine(constructor):
    result = to_polars(cx.ces(constructor(_answers("ces", CES_GROUPS)), by="g"))
    assert result.columns == [
        "g",
        "responses",
        "easy",
        "easy_share",
        "ces",
        "sd",
        "ci_low",
        "ci_high",
        "small_sample",
    ]
    for row in result.iter_rows(named=True):
        scores = np.array(CES_GROUPS[row["g"]], dtype=float)
        n = len(scores)
        assert row["responses"] == n and row["ces"] == pytest.approx(scores.mean())
        assert row["easy"] == int((scores >= 5).sum())
        assert row["small_sample"] is (n < 30)
        if n == 1:  # no spread from one answer: no interval, and flagged
            assert row["sd"] is None and row["ci_low"] is None and row["ci_high"] is None
            continue
        low, high = stats.t.interval(0.95, n - 1, loc=scores.mean(), scale=stats.sem(scores))
        assert row["sd"] == pytest.approx(scores.std(ddof=1))
        assert row["ci_low"] == pytest.approx(low) and row["ci_high"] == pytest.approx(high)


def test_ces_interval_of_five_answers_by_hand():
    # mean 4.8, sd = sqrt(((2.2)^2 + 1.2^2 + 0.2^2 + 2.8^2 + 0.8^2) / 4) = sqrt(3.7) = 1.92354,
    # t(0.975, 4) = 2.776445; half-width = 2.776445 * 1.92354 / sqrt(5) = 2.38838
    row = cx.ces(pl.DataFrame({"survey": ["ces"] * 5, "score": [7, 6, 5, 2, 4]})).row(0, named=True)
    assert row["ces"] == pytest.approx(4.8)
    assert row["ci_low"] == pytest.approx(4.8 - 2.38838, abs=1e-4)
    assert row["ci_high"] == pytest.approx(4.8 + 2.38838, abs=1e-4)


def test_metrics_count_only_their_own_survey_and_skip_missing_scores():
    answers = pl.DataFrame(
        {"survey": ["nps", "csat", "csat", "ces", "ces"], "score": [10.0, 5.0, None, 7.0, None]}
    )
    assert cx.csat(answers)["responses"].item() == 1
    assert cx.ces(answers)["responses"].item() == 1
    assert cx.nps(answers)["responses"].item() == 1


def test_metrics_keep_the_callers_frame_type():
    import pandas as pd

    answers = pd.DataFrame({"survey": ["csat", "ces"], "score": [4.0, 6.0]})
    assert isinstance(cx.csat(answers), pd.DataFrame)
    assert isinstance(cx.ces(answers), pd.DataFrame)
    assert list(answers.columns) == ["survey", "score"]  # input untouched


def _periods(survey: str, before: list[float], after: list[float]) -> dict[str, list]:
    return {
        "period": ["2025-Q1"] * len(before) + ["2025-Q2"] * len(after),
        "survey": [survey] * (len(before) + len(after)),
        "score": [float(s) for s in before + after],
    }


def test_nps_change_adds_the_adjusted_wald_variances(constructor):
    before = [10] * 30 + [8] * 40 + [3] * 30  # NPS 0 of 100
    after = [10] * 50 + [8] * 30 + [3] * 20  # NPS 30 of 100
    result = to_polars(cx.nps_change(constructor(_periods("nps", before, after))))
    row = result.row(0, named=True)
    # by hand: n' = 103; before p' = d' = 30.75/103; after p' = 50.75/103, d' = 20.75/103
    p_b = d_b = 30.75 / 103
    p_a, d_a = 50.75 / 103, 20.75 / 103
    var = (p_b + d_b - 0) / 103 + (p_a + d_a - (p_a - d_a) ** 2) / 103
    diff = (p_a - d_a) - (p_b - d_b)
    assert (row["before"], row["after"]) == ("2025-Q1", "2025-Q2")
    assert row["difference"] == pytest.approx(30.0)
    assert row["ci_low"] == pytest.approx(100 * (diff - Z95 * math.sqrt(var)))
    assert row["ci_high"] == pytest.approx(100 * (diff + Z95 * math.sqrt(var)))
    assert row["z"] == pytest.approx(diff / math.sqrt(var))
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(diff / math.sqrt(var)))
    assert row["significant"] and not row["small_sample"]


def test_csat_change_matches_newcombes_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II example (a):
    # 56/70 - 48/80 = 0.2000, method 10 (hybrid score) 95% interval 0.0524 to 0.3339
    answers = _periods("csat", [5] * 48 + [1] * 32, [5] * 56 + [1] * 14)
    row = cx.csat_change(pl.DataFrame(answers)).row(0, named=True)
    assert row["difference"] == pytest.approx(0.2)
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (0.0524, 0.3339)
    pooled = 104 / 150
    z = 0.2 / math.sqrt(pooled * (1 - pooled) * (1 / 70 + 1 / 80))
    assert row["z"] == pytest.approx(z)
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(z))


def test_ces_change_is_welchs_t_test():
    before, after = [3, 4, 5, 4, 2, 6, 3, 4], [5, 6, 7, 6, 4, 7, 5, 6, 6, 7]
    row = cx.ces_change(pl.DataFrame(_periods("ces", before, after))).row(0, named=True)
    reference = stats.ttest_ind(after, before, equal_var=False)
    interval = reference.confidence_interval(0.95)
    assert row["difference"] == pytest.approx(np.mean(after) - np.mean(before))
    assert row["t"] == pytest.approx(reference.statistic)
    assert row["p_value"] == pytest.approx(reference.pvalue)
    assert row["ci_low"] == pytest.approx(interval.low)
    assert row["ci_high"] == pytest.approx(interval.high)
    assert row["small_sample"]  # 8 and 10 answers


def test_change_by_group_flags_small_groups_and_keeps_groups_missing_a_period():
    data = _periods("nps", [10, 9, 3], [10, 10, 10, 2])
    data["channel"] = ["app", "web", "web", "app", "app", "web", "store"]
    result = cx.nps_change(pl.DataFrame(data), by="channel")
    assert result["channel"].to_list() == ["app", "store", "web"]
    store = result.row(1, named=True)
    assert store["responses_before"] == 0 and store["nps_before"] is None
    assert store["difference"] is None and not store["significant"]
    assert result["small_sample"].all()


def test_change_picks_the_last_two_periods_and_rejects_unknown_ones():
    data = {"period": ["a", "b", "c", "c"], "survey": ["nps"] * 4, "score": [10.0, 0, 10, 9]}
    result = cx.nps_change(pl.DataFrame(data))
    assert result.select("before", "after").row(0) == ("b", "c")
    with pytest.raises(cx.DataError, match="not in the data"):
        cx.nps_change(pl.DataFrame(data), before="a", after="z")


def test_with_period_truncates_to_calendar_quarters_on_every_engine(constructor):
    ts = [
        datetime(2025, 2, 3, 10, tzinfo=UTC),
        datetime(2025, 6, 30, 23, tzinfo=UTC),
        datetime(2025, 7, 1, 0, tzinfo=UTC),
    ]
    frame = constructor({"ts": ts, "survey": ["nps"] * 3, "score": [10.0, 9.0, 1.0]})
    result = to_polars(cx.with_period(frame, every="quarter"))
    starts = [p.replace(tzinfo=None) for p in result["period"].to_list()]
    assert starts == [datetime(2025, 1, 1), datetime(2025, 4, 1), datetime(2025, 7, 1)]
    with pytest.warns(cx.voc.OpenPeriodWarning, match="2025-07"):  # Q3 has one day of data
        change = to_polars(
            cx.nps_change(cx.with_period(frame, every="quarter"), before="2025-04", after="2025-07")
        )
    assert change["difference"].item() == pytest.approx(-200.0)
    assert not change["complete"].item()
