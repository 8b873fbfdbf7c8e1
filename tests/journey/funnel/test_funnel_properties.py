"""cx.funnel and cx.funnel_trend against the brute-force reference, on generated event logs.

The logs are small (1-6 customers, up to 25 events) and dense: timestamps come from a few
ten-minute slots, so ties, repeats and window edges are frequent, and the rows are shuffled.
Touchpoints ``x`` and ``y`` are never funnel steps (``x`` is the excluded one).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
import reference
from conftest import CONSTRUCTORS, assert_frame_matches, to_polars
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import cxlib as cx

FUNNEL_TOUCHPOINTS = ["a", "b", "c", "d"]
OTHER_TOUCHPOINTS = ["x", "y"]
# Sunday 23:30 UTC: the slots cross a day and a week boundary at minute 30.
BASE = datetime(2024, 1, 7, 23, 30, tzinfo=UTC)
MINUTES = range(0, 100, 10)
ORDERS = ["sequential", "strict", "any"]
ATTEMPTS = ["best", "first"]
WITHINS = [None, "30m", "1h"]  # no window, three slots, six slots

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def event_logs(draw, days=(0,), favoured=()):
    """A touchpoints table as a dict of lists, rows in random order.

    ``favoured`` touchpoints are drawn three times as often as the others, so that journeys
    through the funnel are common.
    """
    customers = draw(st.integers(1, 6))
    size = draw(st.sampled_from(range(1, 26)))  # uniform: plain st.lists stays too short
    choices = [*favoured, *favoured, *FUNNEL_TOUCHPOINTS, *OTHER_TOUCHPOINTS]
    events = draw(
        st.lists(
            st.tuples(
                st.integers(0, customers - 1),
                st.sampled_from(days),
                st.sampled_from(MINUTES),
                st.sampled_from(choices),
                st.sampled_from(["web", "app", "store"]),
            ),
            min_size=size,
            max_size=size,
        )
    )
    events = draw(st.permutations(events))
    return {
        "customer_id": [f"c{customer}" for customer, *_ in events],
        "ts": [BASE + timedelta(days=day, minutes=minute) for _, day, minute, *_ in events],
        "touchpoint": [touchpoint for *_, touchpoint, _ in events],
        "channel": [channel for *_, channel in events],
    }


@st.composite
def funnel_steps(draw, min_steps=1):
    """1-4 steps over a..d in any order; sometimes one step is a set of two touchpoints."""
    touchpoints = draw(st.permutations(FUNNEL_TOUCHPOINTS))
    # an index mod the range: hypothesis otherwise draws the smallest count most of the time
    count = min_steps + draw(st.integers(0, 99)) % (5 - min_steps)
    steps: list[str | set[str]] = list(touchpoints[:count])
    if count < 4 and draw(st.booleans()):
        position = draw(st.integers(0, count - 1))
        steps[position] = {steps[position], touchpoints[count]}
    return steps


@st.composite
def funnel_cases(draw, days=(0,), min_steps=1):
    """(log, steps): a funnel and an event log favouring the funnel's touchpoints."""
    steps = draw(funnel_steps(min_steps))
    in_steps = sorted({t for step in steps for t in ([step] if isinstance(step, str) else step)})
    return draw(event_logs(days, favoured=in_steps)), steps


METRICS = [
    "step_index",
    "step",
    "customers",
    "conversion",
    "conversion_low",
    "conversion_high",
    "step_conversion",
    "median_time_to_step",
    "p90_time_to_step",
]


def assert_matches_reference(result, expected: pl.DataFrame) -> None:
    assert_frame_matches(to_polars(result), expected)


def _options(draw_exclude: bool, draw_by: bool) -> dict:
    return {
        "exclude": ["x"] if draw_exclude else None,
        "by": "channel" if draw_by else None,
    }


@pytest.mark.parametrize("within", WITHINS, ids=lambda w: f"within={w}")
@pytest.mark.parametrize("attempt", ATTEMPTS)
@pytest.mark.parametrize("order", ORDERS)
@SETTINGS
@given(case=funnel_cases(), exclude=st.booleans(), by=st.booleans())
def test_funnel_equals_reference(order, attempt, within, case, exclude, by):
    log, steps = case
    options = {"order": order, "attempt": attempt, **_options(exclude, by)}
    result = cx.funnel(pl.DataFrame(log), steps, within, **options)
    assert_matches_reference(result, reference.funnel(log, steps, within, **options))


@pytest.mark.parametrize("every", ["1d", "1w"])
@pytest.mark.parametrize("attempt", ATTEMPTS)
@pytest.mark.parametrize("order", ORDERS)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=funnel_cases(days=(0, 1, 7)), within=st.sampled_from(WITHINS), exclude=st.booleans())
# one customer entering on two days in two weeks: "first" applies per period
@example(
    case=(
        {
            "customer_id": ["c0", "c0"],
            "ts": [BASE, BASE + timedelta(days=7)],
            "touchpoint": ["a", "a"],
            "channel": ["web", "web"],
        },
        ["a"],
    ),
    within=None,
    exclude=False,
)
def test_funnel_trend_equals_reference(order, attempt, every, case, within, exclude):
    log, steps = case
    options = {"order": order, "attempt": attempt, "every": every, **_options(exclude, False)}
    result = cx.funnel_trend(pl.DataFrame(log), steps, within, **options)
    assert_matches_reference(result, reference.funnel_trend(log, steps, within, **options))


_any_options = st.fixed_dictionaries(
    {
        "order": st.sampled_from(ORDERS),
        "attempt": st.sampled_from(ATTEMPTS),
        "within": st.sampled_from(WITHINS),
        "exclude": st.sampled_from([None, ["x"]]),
        "by": st.sampled_from([None, "channel"]),
    }
)


@settings(max_examples=60, deadline=None)
@given(case=funnel_cases(), options=_any_options)
def test_portable_path_equals_reference_on_polars(case, options):
    log, steps = case
    result = cx.funnel(pl.DataFrame(log), steps, **options, engine="portable")
    assert_matches_reference(result, reference.funnel(log, steps, **options))


@pytest.mark.parametrize("backend", ["pandas", "duckdb"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=funnel_cases(), options=_any_options)
def test_funnel_equals_reference_on_other_backends(backend, case, options):
    log, steps = case
    result = cx.funnel(CONSTRUCTORS[backend](log), steps, **options)
    assert_matches_reference(result, reference.funnel(log, steps, **options))


# --------------------------------------------------------------------------- invariants


@settings(max_examples=60, deadline=None)
@given(case=funnel_cases(), options=_any_options)
def test_customers_never_increase_along_the_steps(case, options):
    log, steps = case
    result = to_polars(cx.funnel(pl.DataFrame(log), steps, **options))
    groups = result.partition_by(options["by"]) if options["by"] else [result]
    for group in groups:
        counts = group.sort("step_index")["customers"].to_list()
        assert len(counts) == len(steps)
        assert counts == sorted(counts, reverse=True), counts


@settings(max_examples=60, deadline=None)
@given(case=funnel_cases(), options=_any_options, seed=st.integers(0, 2**32 - 1))
def test_shuffling_input_rows_changes_nothing(case, options, seed):
    log, steps = case
    order = list(range(len(log["ts"])))
    random.Random(seed).shuffle(order)
    shuffled = {column: [values[i] for i in order] for column, values in log.items()}
    original = to_polars(cx.funnel(pl.DataFrame(log), steps, **options))
    assert_frame_matches(cx.funnel(pl.DataFrame(shuffled), steps, **options), original)


@settings(max_examples=60, deadline=None)
@given(case=funnel_cases(days=(0, 1, 7)), options=_any_options, every=st.sampled_from(["1d", "1w"]))
def test_trend_counts_every_funnel_customer_in_some_period(case, options, every):
    log, steps = case
    options = {**options, "by": None}
    overall = to_polars(cx.funnel(pl.DataFrame(log), steps, **options))
    trend = to_polars(cx.funnel_trend(pl.DataFrame(log), steps, every=every, **options))
    entered = overall.filter(pl.col("step_index") == 1)["customers"].sum()
    entered_per_period = trend.filter(pl.col("step_index") == 1)["customers"].sum()
    assert entered_per_period >= entered
    # a customer counts at most once per period
    per_period = trend.filter(pl.col("step_index") == 1)["customers"]
    assert per_period.max() is None or per_period.max() <= len(set(log["customer_id"]))


LATER = st.lists(  # (customer, minutes after the end of the data, step touchpoint), as indexes
    st.tuples(st.integers(0, 5), st.sampled_from([1, 5, 10, 20, 30, 60]), st.integers(0, 3)),
    min_size=1,
    max_size=8,
)


@settings(max_examples=80, deadline=None)
@given(
    case=funnel_cases(),  # one night across a day and a week boundary: windows run past it
    options=_any_options,
    every=st.sampled_from(["1d", "1w"]),
    within=st.sampled_from(["30m", "1h"]),
    later=LATER,
)
# Sunday 23:50 a; the data ends at Monday 00:00; b comes 5 minutes later, inside 30m
@example(
    case=(
        {
            "customer_id": ["c0", "c0"],
            "ts": [BASE + timedelta(minutes=20), BASE + timedelta(minutes=30)],
            "touchpoint": ["a", "y"],
            "channel": ["web", "web"],
        },
        ["a", "b"],
    ),
    options={"order": "sequential", "attempt": "best", "exclude": None, "by": None},
    every="1d",
    within="30m",
    later=[(0, 5, 1)],
)
def test_complete_trend_periods_do_not_change_when_later_events_arrive(
    case, options, every, within, later
):
    # "complete" means final: whatever the customers do after the data ends (later steps,
    # new attempts) cannot change a complete period's numbers
    log, steps = case
    options = {**options, "within": within, "every": every}
    customers = sorted(set(log["customer_id"]))
    step_touchpoints = sorted({t for s in steps for t in ([s] if isinstance(s, str) else s)})
    end = max(log["ts"])
    grown = {column: list(values) for column, values in log.items()}
    for customer, minutes, touchpoint in later:
        grown["customer_id"].append(customers[customer % len(customers)])
        grown["ts"].append(end + timedelta(minutes=minutes))
        grown["touchpoint"].append(step_touchpoints[touchpoint % len(step_touchpoints)])
        grown["channel"].append("web")
    before = to_polars(cx.funnel_trend(pl.DataFrame(log), steps, **options))
    after = to_polars(cx.funnel_trend(pl.DataFrame(grown), steps, **options))
    final = before.filter("complete")
    same = after.filter(pl.col("period").is_in(final["period"].implode()))
    assert same["complete"].all()
    assert_frame_matches(same, final)
