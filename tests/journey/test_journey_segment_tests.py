"""Segments compared in the funnel and in coming back: counts against brute force, a planted
difference flagged and a null one not, the log-rank test of the time to return against the
published leukaemia result, and the frame each engine gets back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from conftest import to_polars
from hypothesis import given, settings
from hypothesis import strategies as st

import cxlib as cx
from cxlib.churn.survival import logrank_test
from cxlib.journey import funnel_difference, retention_difference

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _funnel_frame(counts: dict[str, list[int]]) -> pl.DataFrame:
    """A funnel broken down by ``segment``: customers at each step."""
    rows = [(seg, k + 1, f"step{k + 1}", n) for seg, ns in counts.items() for k, n in enumerate(ns)]
    return pl.DataFrame(rows, schema=["segment", "step_index", "step", "customers"], orient="row")


def _touchpoints(journeys: dict[str, tuple[str, list[str]]]) -> tuple[dict, dict]:
    """Touchpoints and customers from ``{customer: (segment, [touchpoint, ...])}``, one hour
    apart."""
    rows = [
        (customer, T0 + timedelta(hours=i), name)
        for customer, (_, names) in journeys.items()
        for i, name in enumerate(names)
    ]
    touchpoints = {
        "customer_id": [c for c, _, _ in rows],
        "ts": [t for _, t, _ in rows],
        "touchpoint": [n for _, _, n in rows],
        "channel": ["web"] * len(rows),
    }
    customers = {"customer_id": list(journeys), "plan": [s for s, _ in journeys.values()]}
    return touchpoints, customers


# ------------------------------------------------------------------ funnel


def test_funnel_counts_match_a_brute_force_count_of_the_journeys(constructor):
    journeys = {
        "a1": ("basic", ["visit", "cart", "buy"]),
        "a2": ("basic", ["visit", "cart"]),
        "a3": ("basic", ["visit"]),
        "b1": ("pro", ["visit", "cart", "buy"]),
        "b2": ("pro", ["visit", "cart", "buy"]),
        "c1": ("team", ["visit"]),
        "c2": ("team", ["visit", "cart"]),
    }
    touchpoints, customers = _touchpoints(journeys)
    steps = ["visit", "cart", "buy"]
    funnel = cx.funnel(constructor(touchpoints), steps, None, by="plan",
                       customers=constructor(customers))  # fmt: skip
    result = to_polars(funnel_difference(funnel))
    for row in result.iter_rows(named=True):
        step = row["step_index"]
        mine = [names for plan, names in journeys.values() if plan == row["plan"]]
        rest = [names for plan, names in journeys.values() if plan != row["plan"]]
        assert row["customers"] == len(mine)  # everyone did step 1
        assert row["reached"] == sum(len(names) >= step for names in mine)
        assert row["rest_customers"] == len(rest)
        assert row["rest_rate"] == pytest.approx(sum(len(n) >= step for n in rest) / len(rest))


def test_step_conversion_compares_those_who_reached_the_previous_step():
    result = funnel_difference(_funnel_frame({"a": [100, 80, 40], "b": [100, 50, 40]}),
                               measure="step_conversion")  # fmt: skip
    last = result.filter(pl.col("step_index") == 3).sort("segment")
    assert last["customers"].to_list() == [80, 50]
    assert last["rate"].to_list() == pytest.approx([0.5, 0.8])


def test_a_planted_gap_is_flagged_and_a_null_step_is_not():
    result = funnel_difference(_funnel_frame({"a": [300, 240, 150], "b": [300, 240, 90]}))
    step2 = result.filter(pl.col("step_index") == 2)
    step3 = result.filter(pl.col("step_index") == 3)
    assert not step2["significant"].any() and step2["p_value"].to_list() == [1.0, 1.0]
    assert step3["significant"].all()
    assert step3.sort("segment")["difference"].to_list() == pytest.approx([0.2, -0.2])
    assert step3["omnibus_df"].to_list() == [1, 1] and step3["omnibus_q_value"][0] < 0.05


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=3, max_size=3), st.integers(2, 5))
def test_identical_segments_never_differ_and_q_is_at_least_p(steps, segments):
    counts = sorted(steps, reverse=True)
    counts[0] = max(counts[0], 1)
    result = funnel_difference(_funnel_frame({f"s{i}": counts for i in range(segments)}))
    tested = result.filter(pl.col("p_value").is_not_null())
    assert not result["significant"].any()
    assert (tested["q_value"] >= tested["p_value"] - 1e-12).all()
    assert tested["difference"].abs().max() in (None, 0.0)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_segments_from_one_rate_are_rarely_flagged_at_typical_sizes(seed):
    """Four segments of 500 customers converting at the same 30%: with the false discovery
    rate at 5%, 40 repeated funnels flag something in a handful at most."""
    rng = np.random.default_rng(seed)
    flagged = 0
    for _ in range(40):
        reached = rng.binomial(500, 0.3, 4)
        frame = _funnel_frame({f"s{i}": [500, int(k)] for i, k in enumerate(reached)})
        flagged += funnel_difference(frame)["significant"].any()
    assert flagged <= 8  # P(more than 8 of 40 | 5% each) < 1e-3


def test_one_segment_has_no_test_and_no_segment_column_is_a_data_error():
    alone = funnel_difference(_funnel_frame({"a": [100, 50]}))
    assert alone["p_value"].to_list() == [None] and not alone["significant"].any()
    with pytest.raises(cx.DataError, match="by="):
        funnel_difference(_funnel_frame({"a": [100, 50]}).drop("segment"))


# ------------------------------------------------------------------ coming back

SIX_MP = [(6, 1), (6, 1), (6, 1), (7, 1), (10, 1), (13, 1), (16, 1), (22, 1), (23, 1),
          (6, 0), (9, 0), (10, 0), (11, 0), (17, 0), (19, 0), (20, 0), (25, 0), (32, 0),
          (32, 0), (34, 0), (35, 0)]  # fmt: skip
PLACEBO = [(t, 1) for t in [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17,
                            22, 23]]  # fmt: skip
END = T0 + timedelta(weeks=60)


def _returns(groups: dict[str, list[tuple[int, int]]]) -> tuple[dict, dict]:
    """Touchpoints where each customer starts and, when ``returned``, comes back ``weeks``
    later; those who do not come back start ``weeks`` before the end of the data (censored
    there)."""
    rows, customers = [], {"customer_id": [], "arm": []}
    for arm, lifetimes in groups.items():
        for i, (weeks, returned) in enumerate(lifetimes):
            customer = f"{arm}-{i}"
            start = T0 if returned else END - timedelta(weeks=weeks)
            rows.append((customer, start, "join"))
            if returned:
                rows.append((customer, start + timedelta(weeks=weeks), "return"))
            customers["customer_id"].append(customer)
            customers["arm"].append(arm)
    rows.append(("last", END, "join"))  # the data ends at END
    customers["customer_id"].append("last")
    customers["arm"].append(None)
    touchpoints = {"customer_id": [r[0] for r in rows], "ts": [r[1] for r in rows],
                   "touchpoint": [r[2] for r in rows], "channel": ["web"] * len(rows)}  # fmt: skip
    return touchpoints, customers


def test_time_to_return_reproduces_the_published_leukaemia_log_rank():
    touchpoints, customers = _returns({"6-MP": SIX_MP, "placebo": PLACEBO})
    result = retention_difference(
        pl.DataFrame(touchpoints), "arm", customers=pl.DataFrame(customers),
        start="join", returning="return",
    ).filter(pl.col("arm").is_not_null())  # fmt: skip
    six = result.filter(pl.col("arm") == "6-MP").row(0, named=True)
    assert six["observed"] == 9 and six["expected"] == pytest.approx(19.25, abs=0.05)
    assert six["hazard_ratio"] < 1 < result.filter(pl.col("arm") == "placebo")["hazard_ratio"][0]
    assert six["significant"] and six["ci_high"] < 1
    assert six["median_days"] == pytest.approx(23 * 7)


def test_omnibus_log_rank_matches_the_churn_log_rank_on_the_same_durations():
    touchpoints, customers = _returns({"6-MP": SIX_MP, "placebo": PLACEBO})
    customers["arm"][-1] = "placebo"  # the customer who marks the end: censored at 0 weeks
    result = retention_difference(pl.DataFrame(touchpoints), "arm",
                                  customers=pl.DataFrame(customers), start="join",
                                  returning="return")  # fmt: skip
    lifetimes = pl.DataFrame(
        {
            "days": [w * 7.0 for w, _ in SIX_MP + PLACEBO] + [0.0],
            "back": [bool(r) for _, r in SIX_MP + PLACEBO] + [False],
            "arm": ["6-MP"] * 21 + ["placebo"] * 22,
        }
    )
    reference = logrank_test(lifetimes, group="arm", duration="days", event="back")
    assert result["omnibus_chi_square"][0] == pytest.approx(reference["chi_square"][0])
    assert result.sort("arm")["expected"].to_list() == pytest.approx(
        reference.sort("group")["expected"].to_list()
    )


def test_segments_that_come_back_alike_are_not_flagged(constructor):
    same = [(w, r) for w, r in SIX_MP]
    touchpoints, customers = _returns({"a": same, "b": same})
    result = to_polars(retention_difference(constructor(touchpoints), "arm",
                                            customers=constructor(customers),
                                            start="join", returning="return"))  # fmt: skip
    both = result.filter(pl.col("arm").is_not_null())
    assert not result["significant"].any()
    assert both["hazard_ratio"].to_list() == pytest.approx([1.0, 1.0], abs=0.03)


def test_a_touchpoint_segment_takes_the_value_of_the_first_start():
    touchpoints = {
        "customer_id": ["a", "a", "a", "b", "b"],
        "ts": [T0, T0 + timedelta(days=1), T0 + timedelta(days=3), T0, T0 + timedelta(days=9)],
        "touchpoint": ["buy", "buy", "buy", "buy", "buy"],
        "channel": ["app", "web", "web", "web", "app"],
    }
    result = retention_difference(pl.DataFrame(touchpoints), "channel", start="buy",
                                  returning="buy").sort("channel")  # fmt: skip
    assert result["channel"].to_list() == ["app", "web"]
    assert result["median_days"].to_list() == [1.0, 9.0]  # a: back after a day; b: nine


def test_one_segment_says_nothing_and_a_missing_customer_table_is_a_data_error():
    touchpoints, customers = _returns({"a": SIX_MP})
    alone = retention_difference(pl.DataFrame(touchpoints), "arm",
                                 customers=pl.DataFrame(customers).with_columns(arm=pl.lit("a")),
                                 start="join", returning="return")  # fmt: skip
    assert alone["p_value"].to_list() == [None] and alone["omnibus_p_value"][0] is None
    with pytest.raises(cx.DataError, match="customers="):
        retention_difference(pl.DataFrame(touchpoints), "arm")
