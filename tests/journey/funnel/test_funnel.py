"""cx.funnel and cx.funnel_trend: named behaviours on tiny inline journeys, and engine parity.

Each behaviour test checks hand-computed numbers and, through ``run_funnel``, that the
engine agrees with the brute-force reference (tests/reference.py) on the whole frame.
Minutes are counted from Monday 2024-03-04 09:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
import reference
from conftest import assert_frame_matches, to_polars
from polars.testing import assert_frame_equal

import cxlib as cx

MONDAY = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
STEPS = ["visit", "cart", "purchase"]


def touchpoints(*events: tuple) -> dict[str, list]:
    """Rows ``(customer_id, minute, touchpoint[, channel])`` as a dict of lists."""
    return {
        "customer_id": [e[0] for e in events],
        "ts": [MONDAY + timedelta(minutes=e[1]) for e in events],
        "touchpoint": [e[2] for e in events],
        "channel": [e[3] if len(e) > 3 else "web" for e in events],
    }


def run_funnel(constructor, data, steps=STEPS, within="7d", **options) -> pl.DataFrame:
    """cx.funnel on ``constructor(data)``, checked against the reference; sorted polars."""
    result = cx.funnel(constructor(data), steps, within, **options)
    expected = reference.funnel(data, steps, within, **options)
    assert_frame_matches(result, expected)
    by = options.get("by") or []
    return to_polars(result).sort([*([by] if isinstance(by, str) else by), "step_index"])


def minutes(values: list) -> list:
    return [None if v is None else v / timedelta(minutes=1) for v in values]


# --------------------------------------------------------------------------- sequential


def test_funnel_window_excludes_late_steps(constructor):
    data = touchpoints(
        ("late", 0, "visit"),
        ("late", 30, "cart"),
        ("late", 120, "purchase"),
        ("quick", 0, "visit"),
        ("quick", 10, "cart"),
        ("quick", 59, "purchase"),
        ("on_the_edge", 0, "visit"),
        ("on_the_edge", 60, "cart"),  # exactly 1h: inside
    )
    result = run_funnel(constructor, data, within="1h")
    assert result["step"].to_list() == STEPS
    assert result["customers"].to_list() == [3, 3, 1]
    assert result["conversion"].to_list() == pytest.approx([1.0, 1.0, 1 / 3])
    assert result["step_conversion"].to_list() == pytest.approx([1.0, 1.0, 1 / 3])
    assert minutes(result["median_time_to_step"].to_list()) == [0, 30, 59]


def test_funnel_without_window_counts_late_steps(constructor):
    a_month = 30 * 24 * 60
    data = touchpoints(("late", 0, "visit"), ("late", 30, "cart"), ("late", a_month, "purchase"))
    assert run_funnel(constructor, data, within=None)["customers"].to_list() == [1, 1, 1]


def test_funnel_ties_count_as_in_order(constructor):
    # rows listed in reverse journey order, all at the same minute
    data = touchpoints(
        ("tied", 5, "purchase"),
        ("tied", 5, "cart"),
        ("tied", 5, "visit"),
        ("backwards", 0, "cart"),
        ("backwards", 5, "visit"),  # cart before visit: not in order
    )
    result = run_funnel(constructor, data, within="1h")
    assert result["customers"].to_list() == [2, 1, 1]
    assert minutes(result["median_time_to_step"].to_list()) == [0, 0, 0]


def test_funnel_repeated_attempts_take_the_best(constructor):
    data = touchpoints(
        ("retry", 0, "visit"),
        ("retry", 120, "visit"),
        ("retry", 150, "cart"),
        ("once", 0, "visit"),
        ("once", 20, "cart"),
    )
    result = run_funnel(constructor, data, within="1h")
    assert result["customers"].to_list() == [2, 2, 0]
    # time to cart is measured from the visit that got there (30m and 20m), not the first one
    assert minutes(result["median_time_to_step"].to_list()) == [0, 25, None]
    assert minutes(result["p90_time_to_step"].to_list()) == [0, pytest.approx(29), None]


def test_funnel_attempt_first_never_resets(constructor):
    data = touchpoints(
        ("retry", 0, "visit"),
        ("retry", 120, "visit"),
        ("retry", 150, "cart"),
        ("once", 0, "visit"),
        ("once", 20, "cart"),
    )
    result = run_funnel(constructor, data, within="1h", attempt="first")
    assert result["customers"].to_list() == [2, 1, 0]
    assert minutes(result["median_time_to_step"].to_list()) == [0, 20, None]


def test_funnel_counts_a_customer_once_at_the_furthest_step(constructor):
    data = touchpoints(
        ("busy", 0, "visit"),
        ("busy", 1, "visit"),
        ("busy", 2, "cart"),
        ("busy", 3, "visit"),
        ("busy", 4, "cart"),
        ("busy", 5, "purchase"),
        ("busy", 6, "purchase"),
    )
    result = run_funnel(constructor, data, within="1h")
    assert result["customers"].to_list() == [1, 1, 1]
    # the counted attempt is the earliest one reaching purchase: the visit at minute 0
    assert minutes(result["median_time_to_step"].to_list()) == [0, 2, 5]


# --------------------------------------------------------------------------- strict and any


def test_funnel_strict_breaks_on_an_event_between(constructor):
    data = touchpoints(
        ("interrupted", 0, "visit"),
        ("interrupted", 5, "email_open"),
        ("interrupted", 10, "cart"),
        ("tied_with_cart", 0, "visit"),
        ("tied_with_cart", 10, "email_open"),
        ("tied_with_cart", 10, "cart"),
        ("tied_with_visit", 0, "email_open"),
        ("tied_with_visit", 0, "visit"),
        ("tied_with_visit", 10, "cart"),
        ("second_try", 0, "visit"),
        ("second_try", 5, "email_open"),
        ("second_try", 6, "visit"),
        ("second_try", 10, "cart"),
    )
    strict = run_funnel(constructor, data, ["visit", "cart"], "1h", order="strict")
    assert strict["customers"].to_list() == [4, 3]
    assert minutes(strict["median_time_to_step"].to_list()) == [0, 10]  # 10, 10, 4
    sequential = run_funnel(constructor, data, ["visit", "cart"], "1h")
    assert sequential["customers"].to_list() == [4, 4]


def test_funnel_any_order_needs_every_step_in_one_window(constructor):
    data = touchpoints(
        ("reversed", 0, "purchase"),
        ("reversed", 10, "cart"),
        ("reversed", 20, "visit"),
        ("too_far_apart", 0, "cart"),
        ("too_far_apart", 90, "visit"),
        ("no_cart", 0, "visit"),
        ("no_cart", 5, "purchase"),
    )
    any_order = run_funnel(constructor, data, within="1h", order="any")
    assert any_order["customers"].to_list() == [3, 1, 1]
    # times count from the window start: "reversed" has all three steps by minute 20
    assert minutes(any_order["median_time_to_step"].to_list()) == [0, 20, 20]
    assert minutes(any_order["p90_time_to_step"].to_list()) == pytest.approx([16, 20, 20])
    sequential = run_funnel(constructor, data, within="1h")
    assert sequential["customers"].to_list() == [3, 0, 0]


def test_funnel_set_step_matches_any_of_its_touchpoints(constructor):
    data = touchpoints(
        ("web", 0, "visit"),
        ("web", 5, "cart_web"),
        ("web", 9, "purchase"),
        ("app", 0, "visit"),
        ("app", 7, "cart_app"),
        ("neither", 0, "visit"),
        ("neither", 3, "purchase"),
    )
    steps = ["visit", {"cart_web", "cart_app"}, "purchase"]
    result = run_funnel(constructor, data, steps, "1h")
    assert result["step"].to_list() == ["visit", "cart_app | cart_web", "purchase"]
    assert result["customers"].to_list() == [3, 2, 1]


def test_funnel_exclude_removes_customers_with_the_touchpoint_inside_their_journey(constructor):
    data = touchpoints(
        ("called_midway", 0, "visit"),
        ("called_midway", 5, "support_call"),
        ("called_midway", 10, "cart"),
        ("called_after", 0, "visit"),
        ("called_after", 10, "cart"),
        ("called_after", 20, "support_call"),
        ("called_at_start", 0, "support_call"),
        ("called_at_start", 0, "visit"),
        ("called_at_start", 10, "cart"),
        ("called_at_end", 0, "visit"),
        ("called_at_end", 10, "cart"),
        ("called_at_end", 10, "support_call"),
        ("only_visited", 0, "visit"),
        ("only_visited", 5, "support_call"),  # one step: kept
    )
    result = run_funnel(constructor, data, ["visit", "cart"], "1h", exclude=["support_call"])
    assert result["customers"].to_list() == [2, 1]
    kept = run_funnel(constructor, data, ["visit", "cart"], "1h")
    assert kept["customers"].to_list() == [5, 4]


# --------------------------------------------------------------------------- by


def test_funnel_by_property_takes_the_value_of_the_step_1_event(constructor):
    data = touchpoints(
        ("web_then_app", 0, "visit", "web"),
        ("web_then_app", 10, "cart", "app"),
        ("app_then_web", 0, "visit", "app"),
        ("app_then_web", 5, "cart", "web"),
        ("tied_visits", 0, "visit", "web"),
        ("tied_visits", 0, "visit", "app"),  # smallest
        ("tied_visits", 5, "cart", "web"),
        ("store_then_web", 0, "visit", "store"),
        ("store_then_web", 120, "visit", "web"),
        ("store_then_web", 130, "cart", "store"),  # counted attempt starts on the web visit
        ("web_only", 0, "visit", "web"),
    )
    result = run_funnel(constructor, data, ["visit", "cart"], "1h", by="channel")
    assert result.select("channel", "step", "customers").rows() == [
        ("app", "visit", 2),
        ("app", "cart", 2),
        ("web", "visit", 3),
        ("web", "cart", 2),
    ]
    assert result["conversion"].to_list() == pytest.approx([1, 1, 1, 2 / 3])


def test_funnel_by_customer_attribute_from_customers_table(constructor):
    data = touchpoints(
        ("ana", 0, "visit"),
        ("ana", 5, "cart"),
        ("ben", 0, "visit"),
        ("cai", 0, "visit"),
        ("cai", 5, "cart"),
        ("cai", 8, "purchase"),
    )
    customers = {"customer_id": ["ana", "ben", "cai"], "plan": ["free", "free", "pro"]}
    result = cx.funnel(constructor(data), STEPS, "1h", by="plan", customers=constructor(customers))
    assert_frame_matches(
        result, reference.funnel(data, STEPS, "1h", by="plan", customers=customers)
    )
    rows = to_polars(result).sort("plan", "step_index").select("plan", "customers").rows()
    assert rows == [("free", 2), ("free", 1), ("free", 0), ("pro", 1), ("pro", 1), ("pro", 1)]


def test_funnel_lists_steps_nobody_reached_with_zero(constructor):
    data = touchpoints(
        ("a", 0, "visit", "web"),
        ("a", 5, "cart", "web"),
        ("a", 9, "purchase", "web"),
        ("b", 0, "visit", "app"),
    )
    result = run_funnel(constructor, data, within="1h", by="channel")
    app = result.filter(pl.col("channel") == "app")
    assert app["step"].to_list() == STEPS
    assert app["customers"].to_list() == [1, 0, 0]
    assert app["conversion"].to_list() == [1.0, 0.0, 0.0]
    assert app["median_time_to_step"].to_list()[1:] == [None, None]
    low, high = app["conversion_low"].to_list()[1], app["conversion_high"].to_list()[1]
    assert low == 0.0 and 0.7 < high < 0.8  # Wilson interval of 0 out of 1


def test_empty_funnel_lists_every_step_with_zero(constructor):
    data = touchpoints(("a", 0, "cart"), ("a", 5, "purchase"))
    result = to_polars(cx.funnel(constructor(data), STEPS, "1h")).sort("step_index")
    assert result["customers"].to_list() == [0, 0, 0]
    assert result["conversion"].to_list() == [0.0, 0.0, 0.0]


# --------------------------------------------------------------------------- input and errors


def test_funnel_does_not_mutate_its_input(constructor):
    data = touchpoints(("a", 0, "visit"), ("a", 5, "cart"), ("b", 0, "visit"))
    frame = constructor(data)
    before = to_polars(frame).clone()
    cx.funnel(frame, STEPS, "1h", by="channel", exclude=["support_call"])
    cx.funnel_trend(frame, STEPS, "1h", order="strict")
    assert_frame_equal(to_polars(frame), before)  # same columns, dtypes and rows


@pytest.mark.parametrize(
    "steps",
    [["visit", {"visit", "cart"}], ["visit", "cart", "visit"], [{"a", "b"}, {"b", "c"}]],
    ids=["string-and-set", "repeated-string", "two-sets"],
)
def test_funnel_overlapping_steps_raise(steps):
    data = touchpoints(("a", 0, "visit"))
    with pytest.raises(cx.DataError, match="one step"):
        cx.funnel(pl.DataFrame(data), steps)


@pytest.mark.parametrize("within", ["7 days", "1x", "abc", "-1h", "1.5h", ""])
def test_funnel_bad_within_raises(within):
    data = touchpoints(("a", 0, "visit"))
    with pytest.raises(cx.DataError, match="within"):
        cx.funnel(pl.DataFrame(data), STEPS, within)


def test_funnel_negative_window_raises():
    data = touchpoints(("a", 0, "visit"))
    with pytest.raises(cx.DataError, match="within"):
        cx.funnel(pl.DataFrame(data), STEPS, timedelta(hours=-1))


def test_funnel_within_accepts_a_timedelta():
    data = touchpoints(("a", 0, "visit"), ("a", 45, "cart"), ("b", 0, "visit"), ("b", 90, "cart"))
    result = to_polars(cx.funnel(pl.DataFrame(data), STEPS, timedelta(hours=1)))
    assert result.sort("step_index")["customers"].to_list() == [2, 1, 0]


@pytest.mark.parametrize(
    "options", [{"order": "random"}, {"order": "Sequential"}, {"attempt": "last"}]
)
def test_funnel_bad_order_or_attempt_raises(options):
    data = touchpoints(("a", 0, "visit"))
    with pytest.raises(cx.DataError, match="use"):
        cx.funnel(pl.DataFrame(data), STEPS, **options)


def test_single_step_funnel_counts_everyone_who_did_it(constructor_all):
    data = touchpoints(("a", 0, "visit"), ("a", 5, "visit"), ("b", 0, "cart"))
    result = run_funnel(constructor_all, data, ["visit"], "1h")
    assert result["customers"].to_list() == [1]


def test_portable_path_agrees_with_the_polars_fast_path():
    data = touchpoints(
        ("a", 0, "visit"),
        ("a", 5, "cart"),
        ("a", 70, "purchase"),
        ("b", 0, "visit"),
        ("b", 0, "cart"),
        ("b", 1, "visit"),
        ("b", 30, "purchase"),
        ("c", 10, "visit"),
        ("c", 20, "visit"),
        ("c", 25, "cart"),
    )
    fast = cx.funnel(pl.DataFrame(data), STEPS, "1h", by="channel")
    portable = cx.funnel(pl.DataFrame(data), STEPS, "1h", by="channel", engine="portable")
    assert_frame_matches(portable, fast)
    assert_frame_matches(fast, reference.funnel(data, STEPS, "1h", by="channel"))


# --------------------------------------------------------------------------- funnel_trend


def _weekly_journeys(converted_per_week: list[int], size: int = 4) -> dict[str, list]:
    """``size`` customers start each week (Monday); the first ``converted`` of them buy."""
    events = []
    for week, converted in enumerate(converted_per_week):
        for i in range(size):
            customer, start = f"w{week}-{i}", week * 7 * 24 * 60 + i * 60
            events.append((customer, start, "cart"))
            if i < converted:
                events.append((customer, start + 30, "purchase"))
    return touchpoints(*events)


def test_funnel_trend_reveals_a_dip_in_one_week(constructor):
    data = _weekly_journeys([4, 1, 3])
    result = cx.funnel_trend(constructor(data), ["cart", "purchase"], "1d", every="1w")
    assert_frame_matches(result, reference.funnel_trend(data, ["cart", "purchase"], "1d"))
    bought = to_polars(result).filter(pl.col("step_index") == 2).sort("period")
    mondays = [MONDAY.replace(hour=0) + timedelta(weeks=week) for week in range(3)]
    assert bought["period"].to_list() == mondays
    assert bought["conversion"].to_list() == [1.0, 0.25, 0.75]


def test_funnel_trend_weeks_start_on_monday_and_days_are_utc(constructor):
    sunday_night = -9 * 60 - 1  # Sunday 23:59 UTC, one minute before the week of MONDAY
    data = touchpoints(
        ("a", sunday_night, "cart"),
        ("a", sunday_night + 2, "purchase"),
        ("a", 0, "cart"),  # Monday 09:00: a second entry, in the next week
    )
    weekly = cx.funnel_trend(constructor(data), ["cart", "purchase"], "1h", every="1w")
    assert_frame_matches(weekly, reference.funnel_trend(data, ["cart", "purchase"], "1h"))
    rows = to_polars(weekly).sort("period", "step_index").select("period", "customers").rows()
    this_week = MONDAY.replace(hour=0)
    last_week = this_week - timedelta(weeks=1)
    assert rows == [(last_week, 1), (last_week, 1), (this_week, 1), (this_week, 0)]
    daily = cx.funnel_trend(constructor(data), ["cart", "purchase"], "1h", every="1d")
    periods = to_polars(daily)["period"].unique().sort().to_list()
    assert periods == [MONDAY.replace(hour=0) - timedelta(days=1), MONDAY.replace(hour=0)]


def test_funnel_trend_any_order_first_attempt_is_per_period():
    data = touchpoints(("a", 0, "visit"), ("a", 7 * 24 * 60, "visit"))  # two Mondays
    result = cx.funnel_trend(
        pl.DataFrame(data), ["visit"], None, every="1w", order="any", attempt="first"
    )
    assert_frame_matches(
        result,
        reference.funnel_trend(data, ["visit"], None, every="1w", order="any", attempt="first"),
    )
    assert to_polars(result)["customers"].to_list() == [1, 1]


def _completeness(result) -> dict[datetime, bool]:
    """period -> complete, checking that the flag is the same on every row of a period."""
    flags = to_polars(result).group_by("period").agg(pl.col("complete").unique())
    assert all(len(values) == 1 for values in flags["complete"]), flags
    return {row[0]: row[1][0] for row in flags.rows()}


@pytest.mark.parametrize("within", ["2d", "3d", None])
@pytest.mark.parametrize("end", [-1, 0, 1], ids=["end-1min", "end-exact", "end+1min"])
def test_funnel_trend_marks_exactly_the_periods_whose_window_runs_past_the_data(
    constructor, within, end
):
    # three weekly cohorts; the data ends around Wednesday 00:00 of the third week, with a
    # touchpoint outside the funnel: every touchpoint counts for the end of the data
    week = 7 * 24 * 60
    last = 2 * week + 2 * 24 * 60 - 9 * 60 + end  # minutes from MONDAY 09:00
    data = touchpoints(
        *[(f"w{k}", k * week, "cart") for k in range(3)],
        ("w0", 30, "purchase"),
        ("w1", week + 30, "purchase"),
        ("late", last, "newsletter_open"),
    )
    result = cx.funnel_trend(constructor(data), ["cart", "purchase"], within, every="1w")
    assert_frame_matches(result, reference.funnel_trend(data, ["cart", "purchase"], within))
    flags = _completeness(result)
    mondays = [MONDAY.replace(hour=0) + timedelta(weeks=k) for k in range(3)]
    assert sorted(flags) == mondays
    # by hand: week 1 ends on Monday 00:00 of week 2; with a 2-day window its last entrants
    # are followed until Wednesday 00:00, which the data reaches unless it ends a minute
    # early; a 3-day window needs Thursday; no window, only the week itself
    week_1 = {"2d": end >= 0, "3d": False, None: True}[within]
    assert [flags[m] for m in mondays] == [True, week_1, False]


def test_funnel_trend_window_ending_exactly_at_the_data_end_is_complete():
    # week of MONDAY ends next Monday 00:00; + 1h = 01:00 — the data's last touchpoint
    data = touchpoints(("a", 0, "cart"), ("b", 7 * 24 * 60 - 9 * 60 + 60, "visit"))
    trend = cx.funnel_trend(pl.DataFrame(data), ["cart"], "1h", every="1w")
    assert _completeness(trend) == {MONDAY.replace(hour=0): True}
    data["ts"][1] -= timedelta(microseconds=1)
    trend = cx.funnel_trend(pl.DataFrame(data), ["cart"], "1h", every="1w")
    assert _completeness(trend) == {MONDAY.replace(hour=0): False}


def test_funnel_trend_only_open_periods_change_when_later_data_arrives():
    # what the flag is for: a later extract of the same journeys revises only the periods
    # flagged open, so a report comparing complete periods shows no false drop
    full = _weekly_journeys([4, 4, 4, 4])  # week 3: carts at 09:00..12:00, each bought +30m
    cutoff = MONDAY + timedelta(weeks=3, hours=2, minutes=1)  # an extract taken at 11:01
    keep = [ts <= cutoff for ts in full["ts"]]
    early = {c: [v for v, k in zip(vs, keep, strict=True) if k] for c, vs in full.items()}
    before = to_polars(cx.funnel_trend(pl.DataFrame(early), ["cart", "purchase"], "1h"))
    after = to_polars(cx.funnel_trend(pl.DataFrame(full), ["cart", "purchase"], "1h"))
    mondays = [MONDAY.replace(hour=0) + timedelta(weeks=k) for k in range(4)]
    assert _completeness(before) == dict(zip(mondays, [True, True, True, False], strict=True))
    closed = pl.col("period").is_in(mondays[:3])
    assert_frame_equal(before.filter(closed).sort(pl.all()), after.filter(closed).sort(pl.all()))
    bought = pl.col("step_index") == 2
    assert before.filter(bought)["conversion"].to_list() == [1.0, 1.0, 1.0, 2 / 3]
    assert after.filter(bought & ~closed)["conversion"].item() == 1.0


# --------------------------------------------------------------------------- parity

PARITY_JOURNEYS = touchpoints(
    ("ana", 0, "visit", "web"),
    ("ana", 5, "cart", "web"),
    ("ana", 9, "purchase", "app"),
    ("ben", 0, "visit", "app"),
    ("ben", 3, "email_open", "email"),
    ("ben", 4, "cart", "app"),
    ("ben", 200, "purchase", "app"),
    ("cai", 0, "cart", "web"),
    ("cai", 0, "visit", "web"),
    ("cai", 0, "purchase", "web"),
    ("dee", 0, "visit", "store"),
    ("dee", 60, "visit", "web"),
    ("dee", 70, "cart", "web"),
    ("dee", 75, "support_call", "call_center"),
    ("dee", 80, "purchase", "web"),
    ("eli", 10, "visit", "web"),
    ("eli", 20, "support_call", "call_center"),
    ("eli", 30, "cart", "app"),
    ("fay", 0, "purchase", "web"),
    ("fay", 10, "cart", "web"),
    ("fay", 20, "visit", "web"),
    ("gus", 8 * 24 * 60, "visit", "app"),
    ("gus", 8 * 24 * 60 + 1, "cart", "app"),
)
PARITY_CASES = {
    "sequential-by-exclude": {"by": "channel", "exclude": ["support_call"]},
    "strict-first": {"order": "strict", "attempt": "first"},
    "any": {"order": "any", "by": "channel"},
}


@pytest.mark.parametrize("options", list(PARITY_CASES.values()), ids=list(PARITY_CASES))
def test_funnel_gives_the_same_answer_on_every_backend(constructor_all, options):
    result = cx.funnel(constructor_all(PARITY_JOURNEYS), STEPS, "1h", **options)
    polars_result = cx.funnel(pl.DataFrame(PARITY_JOURNEYS), STEPS, "1h", **options)
    assert_frame_matches(result, to_polars(polars_result))
    assert_frame_matches(result, reference.funnel(PARITY_JOURNEYS, STEPS, "1h", **options))
    assert to_polars(result)["customers"].sum() > 0


def test_funnel_trend_gives_the_same_answer_on_every_backend(constructor_all):
    options = {"every": "1w", "exclude": ["support_call"]}
    result = cx.funnel_trend(constructor_all(PARITY_JOURNEYS), STEPS, "1h", **options)
    polars_result = cx.funnel_trend(pl.DataFrame(PARITY_JOURNEYS), STEPS, "1h", **options)
    assert_frame_matches(result, to_polars(polars_result))
    assert_frame_matches(result, reference.funnel_trend(PARITY_JOURNEYS, STEPS, "1h", **options))
    assert to_polars(result)["period"].n_unique() == 2
