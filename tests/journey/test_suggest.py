"""``cx.journey.suggest_steps``: default funnel steps from what converting customers do first."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

import cxlib as cx

T0 = datetime(2025, 3, 1, 9, 0)


def data(journeys: dict[str, list[str]]) -> dict[str, list]:
    """One customer per key, their touchpoints a minute apart, in the order given."""
    rows = [
        (customer, T0 + timedelta(minutes=i), touchpoint)
        for customer, steps in journeys.items()
        for i, touchpoint in enumerate(steps)
    ]
    return {
        "customer_id": [r[0] for r in rows],
        "ts": [r[1] for r in rows],
        "touchpoint": [r[2] for r in rows],
        "channel": ["web"] * len(rows),
    }


def events(journeys: dict[str, list[str]]) -> pl.DataFrame:
    return pl.DataFrame(data(journeys))


OBVIOUS = {
    "a": ["visit", "view_item", "add_to_cart", "checkout", "purchase"],
    "b": ["visit", "view_item", "view_item", "add_to_cart", "checkout", "purchase", "review"],
    "c": ["visit", "search", "view_item", "add_to_cart", "checkout", "purchase"],
    "d": ["visit", "view_item"],  # never converts: does not count
}


def test_the_obvious_funnel_is_found_on_every_backend(constructor):
    steps = cx.journey.suggest_steps(constructor(data(OBVIOUS)), "purchase")
    assert steps == ["visit", "view_item", "add_to_cart", "checkout", "purchase"]


def test_steps_are_ordered_by_their_usual_position_not_by_popularity(constructor):
    journeys = {
        "a": ["landing", "compare", "purchase"],
        "b": ["landing", "compare", "purchase"],
        "c": ["compare", "landing", "compare", "purchase"],  # first compare before landing
        "d": ["landing", "coupon", "compare", "purchase"],
    }
    steps = cx.journey.suggest_steps(constructor(data(journeys)), "purchase", min_share=0.5)
    assert steps == ["landing", "compare", "purchase"]


def test_only_what_happens_before_the_first_conversion_counts():
    journeys = {c: ["visit", "purchase", "review", "refund"] for c in "abc"}
    assert cx.journey.suggest_steps(events(journeys), "purchase") == ["visit", "purchase"]


def test_rare_touchpoints_are_not_steps():
    journeys = {c: ["visit", "purchase"] for c in "abcdefgh"}
    journeys["a"] = ["visit", "wishlist", "purchase"]  # 1 of 8 converting customers
    assert cx.journey.suggest_steps(events(journeys), "purchase") == ["visit", "purchase"]
    assert cx.journey.suggest_steps(events(journeys), "purchase", min_share=0.1) == [
        "visit",
        "wishlist",
        "purchase",
    ]


def test_max_steps_keeps_the_most_common_steps():
    journeys = {
        "a": ["visit", "view_item", "add_to_cart", "purchase"],
        "b": ["visit", "view_item", "purchase"],
        "c": ["visit", "purchase"],
    }
    assert cx.journey.suggest_steps(events(journeys), "purchase", max_steps=3) == [
        "visit",
        "view_item",
        "purchase",
    ]


def test_a_purchase_log_gives_a_one_step_funnel():
    journeys = {c: ["purchase", "purchase"] for c in "abc"}
    assert cx.journey.suggest_steps(events(journeys), "purchase") == ["purchase"]


def test_no_conversion_in_the_data_gives_no_steps():
    assert cx.journey.suggest_steps(events(OBVIOUS), "order_completed") == []


@pytest.mark.parametrize(("options"), [{"max_steps": 0}, {"min_share": 1.5}])
def test_bad_options_are_a_data_error(options):
    with pytest.raises(cx.DataError):
        cx.journey.suggest_steps(events(OBVIOUS), "purchase", **options)


def test_the_input_frame_is_not_modified():
    frame = events(OBVIOUS)
    before = frame.clone()
    cx.journey.suggest_steps(frame, "purchase")
    assert frame.equals(before)


def test_equally_common_steps_prefer_milestones_over_events_that_repeat():
    path = ["session_start", "page_view", "view_item", "page_view", "add_to_cart", "page_view"]
    journeys = {c: [*path, "begin_checkout", "purchase"] for c in "abc"}
    assert cx.journey.suggest_steps(events(journeys), "purchase") == [
        "session_start",
        "view_item",
        "add_to_cart",
        "begin_checkout",
        "purchase",
    ]
