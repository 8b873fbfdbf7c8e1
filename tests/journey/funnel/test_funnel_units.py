"""Entity- and attempt-level funnels: unit, hold, count, step_within and min_gap.

Named behaviours on tiny inline journeys, each checked by hand and, through ``run_funnel``,
against the brute-force reference (tests/reference.py) on every local backend. Minutes are
counted from Monday 2024-03-04 09:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
import reference
from conftest import assert_frame_matches, to_polars

import cxlib as cx

MONDAY = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
STEPS = ["visit", "cart", "purchase"]


def touchpoints(*events: tuple) -> dict[str, list]:
    """Rows ``(customer_id, minute, touchpoint, session_id, order_id)`` as a dict of lists."""
    return {
        "customer_id": [e[0] for e in events],
        "ts": [MONDAY + timedelta(minutes=e[1]) for e in events],
        "touchpoint": [e[2] for e in events],
        "channel": ["web" for _ in events],
        "session_id": [e[3] if len(e) > 3 else None for e in events],
        "order_id": [e[4] if len(e) > 4 else None for e in events],
    }


def run_funnel(constructor, data, steps=STEPS, within="1d", **options) -> pl.DataFrame:
    """cx.funnel on ``constructor(data)``, checked against the reference; sorted polars."""
    result = cx.funnel(constructor(data), steps, within, **options)
    assert_frame_matches(result, reference.funnel(data, steps, within, **options))
    by = options.get("by") or []
    return to_polars(result).sort([*([by] if isinstance(by, str) else by), "step_index"])


def counts(result: pl.DataFrame) -> list[int]:
    return result["customers"].to_list()


def minutes(values: list) -> list:
    return [None if v is None else v / timedelta(minutes=1) for v in values]


# --------------------------------------------------------------------------- unit


def test_unit_session_follows_each_session_on_its_own(constructor):
    data = touchpoints(
        ("ana", 0, "visit", "s1"),
        ("ana", 5, "cart", "s1"),
        ("ana", 60, "purchase", "s2"),  # bought in another session
        ("ben", 0, "visit", "s3"),
        ("ben", 30, "visit", "s4"),
        ("ben", 35, "cart", "s4"),
        ("ben", 40, "purchase", "s4"),
    )
    per_customer = run_funnel(constructor, data)
    assert counts(per_customer) == [2, 2, 2]
    per_session = run_funnel(constructor, data, unit="session")
    assert counts(per_session) == [3, 2, 1]  # s1, s3, s4 start; s1, s4 cart; s4 buys


def test_unit_order_and_any_id_column_name_the_same_funnel(constructor):
    data = touchpoints(
        ("ana", 0, "cart", None, "o1"),
        ("ana", 5, "purchase", None, "o1"),
        ("ana", 10, "cart", None, "o2"),
    )
    by_order = run_funnel(constructor, data, ["cart", "purchase"], unit="order")
    assert counts(by_order) == [2, 1]
    assert_frame_matches(
        cx.funnel(constructor(data), ["cart", "purchase"], "1d", unit="order_id"), by_order
    )


def test_events_without_a_unit_id_belong_to_no_unit(constructor):
    data = touchpoints(
        ("ana", 0, "visit", None),
        ("ana", 5, "cart", "s1"),
        ("ben", 0, "visit", "s2"),
        ("ben", 5, "cart", "s2"),
    )
    assert counts(run_funnel(constructor, data, unit="session")) == [1, 1, 0]


def test_unit_customer_is_the_default(constructor):
    data = touchpoints(("ana", 0, "visit"), ("ana", 5, "cart"), ("ben", 0, "visit"))
    default = to_polars(cx.funnel(constructor(data), STEPS, "1h"))
    assert_frame_matches(cx.funnel(constructor(data), STEPS, "1h", unit="customer"), default)
    assert_frame_matches(cx.funnel(constructor(data), STEPS, "1h", unit="customer_id"), default)


def test_missing_unit_column_raises_naming_it():
    data = touchpoints(("ana", 0, "visit"))
    del data["session_id"]
    with pytest.raises(cx.DataError, match="session_id"):
        cx.funnel(pl.DataFrame(data), STEPS, unit="session")


def test_customer_attribute_of_a_session_is_its_customers(constructor):
    data = touchpoints(
        ("ana", 0, "visit", "s1"),
        ("ana", 5, "cart", "s1"),
        ("ana", 50, "visit", "s2"),
        ("ben", 0, "visit", "s3"),
    )
    customers = {"customer_id": ["ana", "ben"], "plan": ["pro", "free"]}
    result = cx.funnel(
        constructor(data), STEPS, "1h", by="plan", customers=constructor(customers), unit="session"
    )
    expected = reference.funnel(data, STEPS, "1h", by="plan", customers=customers, unit="session")
    assert_frame_matches(result, expected)
    rows = to_polars(result).sort("plan", "step_index").select("plan", "customers").rows()
    assert rows == [("free", 1), ("free", 0), ("free", 0), ("pro", 2), ("pro", 1), ("pro", 0)]


# --------------------------------------------------------------------------- hold


def test_hold_requires_every_step_to_share_the_value(constructor):
    data = touchpoints(
        ("mixed", 0, "visit", None, "o1"),
        ("mixed", 5, "cart", None, "o1"),
        ("mixed", 9, "purchase", None, "o2"),  # another order
        ("same", 0, "visit", None, "o3"),
        ("same", 5, "cart", None, "o3"),
        ("same", 9, "purchase", None, "o3"),
    )
    assert counts(run_funnel(constructor, data)) == [2, 2, 2]
    assert counts(run_funnel(constructor, data, hold="order_id")) == [2, 2, 1]


def test_hold_null_value_can_only_be_step_1(constructor):
    data = touchpoints(
        ("browsing", 0, "visit", None, None),  # step 1 without an order: counts at step 1
        ("browsing", 5, "cart", None, None),  # a later step needs the value
        ("ordered", 0, "visit", None, None),
        ("ordered", 5, "visit", None, "o1"),
        ("ordered", 9, "cart", None, "o1"),
    )
    result = run_funnel(constructor, data, hold="order_id")
    assert counts(result) == [2, 1, 0]
    assert minutes(result["median_time_to_step"].to_list()) == [0, 4, None]  # from minute 5


def test_hold_counts_the_stream_that_gets_furthest(constructor):
    data = touchpoints(
        ("two_orders", 0, "visit", None, "o1"),
        ("two_orders", 0, "visit", None, "o2"),  # both start at minute 0
        ("two_orders", 3, "cart", None, "o2"),
        ("two_orders", 8, "cart", None, "o1"),
        ("two_orders", 9, "purchase", None, "o1"),
    )
    result = run_funnel(constructor, data, hold="order_id")
    assert counts(result) == [1, 1, 1]
    assert minutes(result["median_time_to_step"].to_list()) == [0, 8, 9]  # o1 got furthest


def test_hold_with_a_constant_column_is_no_hold(constructor):
    data = touchpoints(
        ("ana", 0, "visit", None, "x"),
        ("ana", 5, "cart", None, "x"),
        ("ben", 0, "cart", None, "x"),
        ("ben", 3, "visit", None, "x"),
    )
    assert_frame_matches(
        cx.funnel(constructor(data), STEPS, "1h", hold="order_id"),
        to_polars(cx.funnel(constructor(data), STEPS, "1h")),
    )


# --------------------------------------------------------------------------- count


def test_count_attempts_counts_each_episode(constructor):
    data = touchpoints(
        ("twice", 0, "visit"),
        ("twice", 5, "cart"),
        ("twice", 9, "purchase"),
        ("twice", 100, "visit"),  # after the first attempt ended: a second one
        ("twice", 105, "cart"),
        ("once", 0, "visit"),
    )
    assert counts(run_funnel(constructor, data, within="1h")) == [2, 1, 1]
    assert counts(run_funnel(constructor, data, within="1h", count="attempts")) == [3, 2, 1]


def test_count_attempts_merges_overlapping_attempts_into_one_episode(constructor):
    data = touchpoints(
        ("a", 0, "visit"),
        ("a", 5, "visit"),  # inside the attempt from minute 0 (it reaches cart at 10)
        ("a", 10, "cart"),
        ("a", 10, "visit"),  # at its end: still the same episode
        ("a", 11, "visit"),  # strictly after: a new episode (reaches step 1 only)
    )
    result = run_funnel(constructor, data, within="1h", count="attempts")
    assert counts(result) == [2, 1, 0]


def test_count_attempts_episode_counts_its_best_attempt(constructor):
    # from minute 0 cart comes too late for purchase (1h window); the visit at minute 5,
    # inside that attempt's span, gets to purchase: the episode counts at purchase
    data = touchpoints(
        ("a", 0, "visit"), ("a", 5, "visit"), ("a", 30, "cart"), ("a", 62, "purchase")
    )
    best = run_funnel(constructor, data, within="1h", count="attempts")
    assert counts(best) == [1, 1, 1]
    first = run_funnel(constructor, data, within="1h", count="attempts", attempt="first")
    assert counts(first) == [1, 1, 0]


# --------------------------------------------------------------------------- gaps


def test_step_within_measures_from_the_previous_step(constructor):
    data = touchpoints(
        ("a", 0, "visit"),
        ("a", 10, "cart"),
        ("a", 60, "cart"),
        ("a", 100, "purchase"),  # 90 min after the first cart, 40 after the second
        ("b", 0, "visit"),
        ("b", 90, "cart"),
    )
    result = run_funnel(constructor, data, within=None, step_within=["1h", "1h"])
    assert counts(result) == [2, 1, 1]
    # time to cart is the earliest cart any valid chain reaches
    assert minutes(result["median_time_to_step"].to_list()) == [0, 10, 100]
    same = run_funnel(constructor, data, within=None, step_within="1h")
    assert_frame_matches(same, result)


def test_step_within_keeps_the_overall_window(constructor):
    data = touchpoints(("a", 0, "visit"), ("a", 50, "cart"), ("a", 100, "purchase"))
    assert counts(run_funnel(constructor, data, within="1h", step_within="1h")) == [1, 1, 0]
    assert counts(run_funnel(constructor, data, within=None, step_within="1h")) == [1, 1, 1]


def test_step_within_none_leaves_that_step_unbounded(constructor):
    data = touchpoints(("a", 0, "visit"), ("a", 500, "cart"), ("a", 510, "purchase"))
    result = run_funnel(constructor, data, within=None, step_within=[None, "30m"])
    assert counts(result) == [1, 1, 1]


def test_min_gap_skips_steps_that_come_too_soon(constructor):
    data = touchpoints(
        ("quick", 0, "visit"),
        ("quick", 1, "cart"),  # too soon
        ("quick", 8, "cart"),  # counts
        ("bot", 0, "visit"),
        ("bot", 0, "cart"),
        ("bot", 1, "purchase"),
    )
    result = run_funnel(constructor, data, min_gap="5m")
    assert counts(result) == [2, 1, 0]
    assert minutes(result["median_time_to_step"].to_list()) == [0, 8, None]
    assert counts(run_funnel(constructor, data, min_gap="0m")) == [2, 2, 1]


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"step_within": ["1h"]}, "step_within"),
        ({"min_gap": ["1m", "1m", "1m"]}, "min_gap"),
        ({"min_gap": "1m", "order": "strict"}, "sequential"),
        ({"step_within": "1h", "order": "any"}, "sequential"),
        ({"min_gap": "soon"}, "min_gap"),
        ({"count": "sessions"}, "count"),
        ({"unit": ""}, "unit"),
    ],
)
def test_bad_unit_count_or_gap_options_raise(options, match):
    data = touchpoints(("a", 0, "visit", "s1", "o1"))
    with pytest.raises(cx.DataError, match=match):
        cx.funnel(pl.DataFrame(data), STEPS, **options)


# --------------------------------------------------------------------------- trend, dropoffs


def test_funnel_trend_counts_attempts_per_week(constructor):
    week = 7 * 24 * 60
    data = touchpoints(
        ("a", 0, "cart"),
        ("a", 10, "purchase"),
        ("a", 20, "cart"),  # a second attempt the same week
        ("a", week, "cart"),
        ("a", week + 5, "purchase"),
    )
    options = {"every": "1w", "count": "attempts"}
    result = cx.funnel_trend(constructor(data), ["cart", "purchase"], "1h", **options)
    expected = reference.funnel_trend(data, ["cart", "purchase"], "1h", **options)
    assert_frame_matches(result, expected)
    rows = to_polars(result).sort("period", "step_index")["customers"].to_list()
    assert rows == [2, 1, 1, 1]


def test_funnel_trend_is_complete_after_the_sum_of_step_windows():
    data = touchpoints(("a", 0, "cart"), ("b", 7 * 24 * 60 - 9 * 60 + 120, "visit"))
    trend = to_polars(
        cx.funnel_trend(
            pl.DataFrame(data), ["cart", "purchase", "review"], None, step_within=["1h", "1h"]
        )
    )
    assert trend["complete"].all()  # the week + 2h ends with the data
    trend = to_polars(
        cx.funnel_trend(
            pl.DataFrame(data), ["cart", "purchase", "review"], None, step_within=["1h", "2h"]
        )
    )
    assert not trend["complete"].any()


def test_dropoffs_per_session_name_the_session(constructor):
    data = touchpoints(
        ("ana", 0, "visit", "s1"),
        ("ana", 5, "cart", "s1"),
        ("ana", 6, "support_call", "s1"),
        ("ana", 60, "purchase", "s2"),
    )
    lost = to_polars(cx.dropoffs(constructor(data), STEPS, "1d", at=2, unit="session"))
    assert lost.columns[:2] == ["session_id", "reached_at"]
    assert lost["session_id"].to_list() == ["s1"]
    assert lost["next_touchpoint"].to_list() == ["support_call"]


# --------------------------------------------------------------------------- parity

PARITY = touchpoints(
    ("ana", 0, "visit", "s1", None),
    ("ana", 5, "cart", "s1", "o1"),
    ("ana", 9, "purchase", "s1", "o1"),
    ("ana", 30, "visit", "s2", "o2"),
    ("ana", 31, "cart", "s2", "o2"),
    ("ana", 95, "purchase", "s2", "o2"),
    ("ben", 0, "visit", "s3", "o3"),
    ("ben", 0, "cart", "s3", "o3"),
    ("ben", 50, "cart", "s3", "o3"),
    ("ben", 100, "purchase", "s3", "o3"),
    ("cai", 10, "visit", None, None),
    ("cai", 20, "visit", "s4", "o4"),
    ("cai", 30, "cart", "s4", "o5"),
)
PARITY_CASES = {
    "session-attempts": {"unit": "session", "count": "attempts"},
    "hold-gaps": {"hold": "order_id", "step_within": "1h", "min_gap": "1m", "within": None},
    "strict-hold-attempts": {"hold": "order_id", "order": "strict", "count": "attempts"},
}


@pytest.mark.parametrize("options", list(PARITY_CASES.values()), ids=list(PARITY_CASES))
def test_unit_options_give_the_same_answer_on_every_backend(constructor_all, options):
    options = {"within": "2h", **options}
    within = options.pop("within")
    result = cx.funnel(constructor_all(PARITY), STEPS, within, **options)
    assert_frame_matches(result, reference.funnel(PARITY, STEPS, within, **options))
    assert to_polars(result)["customers"].sum() > 0
