"""NPS, CSAT and CES by segment, each segment tested against the rest: hand computations
from the answers themselves, a planted gap flagged and identical segments not, and every
engine's frame in and out."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from conftest import to_polars
from hypothesis import given, settings
from hypothesis import strategies as st

import cxlib as cx
from cxlib.voc import score_difference


def _answers(survey: str, groups: dict[str, list[int]]) -> dict[str, list]:
    rows = [(g, s) for g, scores in groups.items() for s in scores]
    return {
        "customer_id": [f"c{i}" for i in range(len(rows))],
        "plan": [g for g, _ in rows],
        "survey": [survey] * len(rows),
        "score": [float(s) for _, s in rows],
    }


def _pearson(table: np.ndarray) -> float:
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    return float(((table - expected) ** 2 / expected).sum())


NPS = {  # promoters, passives, detractors: 60/25/15, 30/30/40 and 45/35/20 of 100
    "basic": [10] * 60 + [8] * 25 + [3] * 15,
    "pro": [9] * 30 + [7] * 30 + [0] * 40,
    "team": [10] * 45 + [7] * 35 + [5] * 20,
}


def test_nps_against_the_rest_matches_a_hand_computation_from_the_answers(constructor):
    scores = cx.nps(constructor(_answers("nps", NPS)), by="plan")
    result = to_polars(score_difference(scores)).sort("plan")
    basic = result.row(0, named=True)
    rest = [s for plan, answers in NPS.items() if plan != "basic" for s in answers]
    rest_nps = 100 * (sum(s >= 9 for s in rest) - sum(s <= 6 for s in rest)) / len(rest)
    assert basic["score"] == pytest.approx(45.0) and basic["rest_score"] == pytest.approx(rest_nps)
    assert basic["difference"] == pytest.approx(45.0 - rest_nps)
    # adjusted-Wald (Rocks 2016): ¾ promoter, ¾ detractor, 3 answers added to each side
    p1, d1 = 60.75 / 103, 15.75 / 103
    p2, d2 = (75 + 0.75) / 203, (60 + 0.75) / 203
    se = math.sqrt((p1 + d1 - (p1 - d1) ** 2) / 103 + (p2 + d2 - (p2 - d2) ** 2) / 203)
    z = ((p1 - d1) - (p2 - d2)) / se
    assert basic["p_value"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    table = np.array([[60, 25, 15], [30, 30, 40], [45, 35, 20]], float)
    assert basic["omnibus_chi_square"] == pytest.approx(_pearson(table))
    assert basic["omnibus_df"] == 4
    assert result.filter(pl.col("plan") == "pro")["significant"].item()


def test_csat_against_the_rest_is_a_two_proportion_test():
    groups = {"basic": [5] * 70 + [2] * 30, "pro": [4] * 50 + [1] * 50}
    result = score_difference(cx.csat(pl.DataFrame(_answers("csat", groups)), by="plan"))
    basic = result.filter(pl.col("plan") == "basic").row(0, named=True)
    pooled = 120 / 200
    z = (0.7 - 0.5) / math.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert basic["metric"] == "csat" and basic["difference"] == pytest.approx(0.2)
    assert basic["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert basic["omnibus_chi_square"] == pytest.approx(z**2)


def test_ces_compares_the_share_of_easy_answers():
    groups = {"app": [7] * 40 + [2] * 60, "store": [6] * 80 + [3] * 20}
    result = score_difference(cx.ces(pl.DataFrame(_answers("ces", groups)), by="plan"))
    app = result.filter(pl.col("plan") == "app").row(0, named=True)
    assert app["metric"] == "ces_easy" and app["score"] == pytest.approx(0.4)
    assert app["rest_score"] == pytest.approx(0.8) and app["significant"]


@settings(max_examples=25, deadline=None)
@given(
    st.tuples(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60)).filter(
        lambda t: sum(t) > 0
    ),
    st.integers(2, 4),
)
def test_segments_with_the_same_answers_never_differ(mix, segments):
    promoters, passives, detractors = mix
    answers = [10] * promoters + [8] * passives + [2] * detractors
    scores = cx.nps(pl.DataFrame(_answers("nps", {f"s{i}": answers for i in range(segments)})),
                    by="plan")  # fmt: skip
    result = score_difference(scores)
    assert not result["significant"].any()
    assert (result["difference"].abs() < 1e-9).all()
    assert (result["q_value"] >= result["p_value"] - 1e-12).all()


def test_a_planted_gap_is_flagged_among_segments_that_agree():
    rng = np.random.default_rng(7)
    groups = {f"s{i}": rng.choice([10, 8, 3], 300, p=[0.4, 0.3, 0.3]).tolist() for i in range(4)}
    groups["planted"] = rng.choice([10, 8, 3], 300, p=[0.2, 0.3, 0.5]).tolist()
    result = score_difference(cx.nps(pl.DataFrame(_answers("nps", groups)), by="plan"))
    # the others are each compared with a rest that holds the planted segment, so they may
    # be flagged too (rightly, they are above that rest): the planted one leads
    flagged = result.filter("significant").sort("q_value")
    assert flagged["plan"][0] == "planted" and flagged["difference"][0] < -20


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_segments_drawn_from_one_mix_are_rarely_flagged(seed):
    """Four segments of 300 answers from the same promoter/passive/detractor mix: with the
    false discovery rate at 5%, 30 repeated surveys flag something in a handful at most."""
    rng = np.random.default_rng(seed)
    flagged = 0
    for _ in range(30):
        counts = rng.multinomial(300, [0.4, 0.3, 0.3], size=4)
        scores = pl.DataFrame({"plan": ["a", "b", "c", "d"], "responses": [300] * 4,
                               "promoters": counts[:, 0], "passives": counts[:, 1],
                               "detractors": counts[:, 2]})  # fmt: skip
        flagged += score_difference(scores)["significant"].any()
    assert flagged <= 7  # P(more than 7 of 30 | 5% each) < 1e-3


def test_one_segment_has_no_test_and_a_frame_without_counts_is_a_data_error():
    alone = score_difference(cx.nps(pl.DataFrame(_answers("nps", {"a": [10, 9, 3]})), by="plan"))
    assert alone["p_value"].to_list() == [None] and alone["omnibus_p_value"][0] is None
    with pytest.raises(cx.DataError, match="cx.nps"):
        score_difference(pl.DataFrame({"plan": ["a"], "mean": [1.0]}))
    with pytest.raises(cx.DataError, match="by="):
        score_difference(cx.nps(pl.DataFrame(_answers("nps", {"a": [10]}))))
