"""Lists say what to do with them: the sentence above the at-risk and drop-off lists is
computed from the list itself, and untrusted names stay escaped."""

from __future__ import annotations

import polars as pl
import pytest

from cxlib import DataError
from cxlib.pages import defaults, findings

HOSTILE = "<img src=x onerror=alert(1)>"


def _at_risk(probabilities: list[float], actions: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [f"p{i}" for i in range(len(probabilities))],
            "churn_probability": probabilities,
            "reasons": ["r"] * len(probabilities),
            "action": actions,
        }
    )


def test_the_at_risk_sentence_counts_the_list_and_names_its_risk_range_and_top_action():
    risk = _at_risk([0.9, 0.7, 0.35, 0.3], ["Call", "Offer", "Call", "Call"])
    text = str(findings.at_risk_sentence(risk, scored=5000, horizon="90d"))
    assert text.startswith("These 4 customers (of 5,000 scored)")
    assert "within 90 days" in text and "90.0% down to 30.0%" in text
    assert "contact them first" in text and "Call (3 of 4)" in text


def test_the_at_risk_sentence_follows_the_list_not_a_fixed_text():
    one = str(findings.at_risk_sentence(_at_risk([0.55], ["Offer"])))
    assert one.startswith("This customer is the most likely to leave (predicted risk 55.0%)")
    assert "down to" not in one and "Offer (1 of 1)" in one
    empty = findings.at_risk_sentence(_at_risk([], []))
    assert "no one to contact" in str(empty)


def test_the_at_risk_sentence_escapes_an_action_from_the_data():
    html = findings.at_risk_sentence(_at_risk([0.5], [HOSTILE]))._repr_html_()
    assert "<img" not in html and "&lt;img" in html


def _next(rows: dict[str, int]) -> pl.DataFrame:
    total = sum(rows.values())
    return pl.DataFrame(
        {
            "next_touchpoint": list(rows),
            "customers": list(rows.values()),
            "share": [n / total for n in rows.values()],
        }
    )


def test_a_dropoff_list_says_how_many_left_and_that_most_did_nothing():
    text = str(
        findings.dropoff_sentence(
            _next({"(nothing)": 60, "search": 30, "(other)": 10}),
            step="cart",
            next_step="checkout",
            reached=400,
        )
    )
    assert text.startswith("These 100 customers did cart but not checkout (25.0% of the 400")
    assert "Most did nothing more (60.0%)" in text and "next comes search (30.0%)" in text


def test_a_dropoff_list_points_at_where_most_went_instead():
    text = str(
        findings.dropoff_sentence(
            _next({"support_call": 70, "(nothing)": 20, "(other)": 90}),
            step="checkout",
            next_step="purchase",
            reached=1000,
        )
    )
    assert "These 180 customers" in text and "18.0% of the 1,000" in text
    # "(other)" is many touchpoints, not one place to look at
    assert "Most went to support_call (38.9%)" in text


def test_a_dropoff_list_whose_customers_repeat_the_step_says_the_step_is_the_problem():
    text = str(
        findings.dropoff_sentence(
            _next({"product_view": 80, "(nothing)": 20}),
            step="product_view",
            next_step="add_to_cart",
            reached=300,
        )
    )
    assert "Most did product_view again (80.0%)" in text and "Most went to" not in text


def test_a_dropoff_list_without_dropoffs_says_so():
    text = str(findings.dropoff_sentence(_next({}), step="a", next_step="b", reached=10))
    assert text == "Everyone who did a went on to b: no one to follow up here."


def test_the_funnel_dropoff_sentence_reads_step_names_and_reach_from_the_funnel():
    funnel = pl.DataFrame(
        {"step_index": [1, 2, 3], "step": ["visit", HOSTILE, "buy"], "customers": [900, 300, 90]}
    )
    finding = findings.funnel_dropoff_sentence(funnel, _next({"(nothing)": 210}), at=2)
    assert f"did {HOSTILE} but not buy (70.0% of the 300" in str(finding)
    assert "<img" not in finding._repr_html_()
    assert "no step after step 3" in str(findings.funnel_dropoff_sentence(funnel, _next({}), at=3))


def test_the_stage_exit_sentence_counts_the_stage_dropoffs():
    went = pl.DataFrame(
        {
            "stage": ["conversion", "–", "–"],
            "touchpoint": ["checkout", "(nothing)", "(other)"],
            "customers": [500, 400, 100],
            "share": [0.5, 0.4, 0.1],
        }
    )
    text = str(findings.stage_exit_sentence(went, "consideration"))
    assert text.startswith("This list is where the 1,000 customers who entered consideration")
    assert "400 (40.0%) did nothing more" in text and "checkout (50.0%)" in text
    last = str(findings.stage_exit_sentence(went, "advocacy", last=True))
    assert "400 (40.0%) did nothing more after it." in last and "drop-offs" not in last
    nobody_left = went.filter(pl.col("touchpoint") != "(nothing)")
    assert "loses no one" in str(findings.stage_exit_sentence(nobody_left, "consideration"))


def test_the_dropoff_step_is_the_lowest_step_to_step_conversion_or_the_one_asked_for():
    funnel = pl.DataFrame(
        {
            "step_index": [1, 2, 3, 4],
            "customers": [1000, 900, 300, 250],
            "step_conversion": [1.0, 0.9, 1 / 3, 250 / 300],
        }
    )
    assert defaults.dropoff_step(funnel) == 2  # 900 -> 300
    assert defaults.dropoff_step(funnel, 3) == 3
    with pytest.raises(DataError, match="dropoff_at=4"):
        defaults.dropoff_step(funnel, 4)
    nobody = funnel.with_columns(customers=pl.lit(0), step_conversion=pl.lit(None))
    assert defaults.dropoff_step(nobody) is None
