"""unit, hold, count, step_within and min_gap against the brute-force reference and as
properties, on generated event logs.

The logs are those of test_funnel_properties.py (a few customers, dense ten-minute slots,
shuffled rows) with two id columns added: ``session_id`` (two sessions per customer, or
none) and ``order_id`` (two orders shared across customers, or none), so nulls, shared values
and ties are frequent.
"""

from __future__ import annotations

import polars as pl
import pytest
import reference
from conftest import CONSTRUCTORS, assert_frame_matches, to_polars
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_funnel_properties import ATTEMPTS, ORDERS, WITHINS, funnel_cases

import cxlib as cx

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GAPS = [None, "0m", "10m", "20m", "30m"]


@st.composite
def cases(draw, days=(0,), min_steps=1):
    """(log, steps): a funnel case whose rows also have session_id and order_id."""
    log, steps = draw(funnel_cases(days=days, min_steps=min_steps))
    size = len(log["ts"])
    sessions = draw(st.lists(st.sampled_from([0, 1, None]), min_size=size, max_size=size))
    orders = draw(st.lists(st.sampled_from(["o1", "o2", None]), min_size=size, max_size=size))
    log = {
        **log,
        "session_id": [
            None if s is None else f"{c}-s{s}"
            for c, s in zip(log["customer_id"], sessions, strict=True)
        ],
        "order_id": orders,
    }
    return log, steps


def _gap_list(draw, steps: list, values: list) -> object:
    """None, one duration, or one per step after the first."""
    if draw(st.booleans()):
        return draw(st.sampled_from(values))
    return [draw(st.sampled_from(values)) for _ in steps[1:]]


@st.composite
def unit_options(draw, steps: list, *, gaps: bool = True) -> dict:
    order = draw(st.sampled_from(ORDERS))
    options = {
        "order": order,
        "attempt": draw(st.sampled_from(ATTEMPTS)),
        "within": draw(st.sampled_from(WITHINS)),
        "unit": draw(st.sampled_from(["customer", "session", "order_id"])),
        "hold": draw(st.sampled_from([None, "order_id", "session_id"])),
        "count": draw(st.sampled_from(["customers", "attempts"])),
        "exclude": draw(st.sampled_from([None, ["x"]])),
        "by": draw(st.sampled_from([None, "channel"])),
    }
    if gaps and order == "sequential" and len(steps) > 1:
        options["step_within"] = _gap_list(draw, steps, [None, "10m", "30m"])
        options["min_gap"] = _gap_list(draw, steps, GAPS)
    return options


# customer attributes for ``by``: with another unit, those of the step-1 event's customer
CUSTOMERS = {"customer_id": [f"c{i}" for i in range(6)], "plan": ["free", "pro", "free"] * 2}


@SETTINGS
@given(data=st.data(), attribute=st.booleans())
def test_funnel_with_unit_options_equals_reference(data, attribute):
    log, steps = data.draw(cases())
    options = data.draw(unit_options(steps))
    if attribute:
        options["by"] = "plan"
    customers = pl.DataFrame(CUSTOMERS)
    result = cx.funnel(pl.DataFrame(log), steps, **options, customers=customers)
    expected = reference.funnel(log, steps, **options, customers=CUSTOMERS)
    assert_frame_matches(to_polars(result), expected)


@pytest.mark.parametrize("backend", ["pandas", "duckdb", "polars[lazy]"])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_funnel_with_unit_options_equals_reference_on_other_backends(backend, data):
    log, steps = data.draw(cases())
    options = data.draw(unit_options(steps))
    result = cx.funnel(CONSTRUCTORS[backend](log), steps, **options)
    assert_frame_matches(to_polars(result), reference.funnel(log, steps, **options))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), every=st.sampled_from(["1d", "1w"]))
def test_funnel_trend_with_unit_options_equals_reference(data, every):
    log, steps = data.draw(cases(days=(0, 1, 7)))
    options = {**data.draw(unit_options(steps)), "by": None, "every": every}
    result = cx.funnel_trend(pl.DataFrame(log), steps, **options)
    assert_frame_matches(to_polars(result), reference.funnel_trend(log, steps, **options))


# --------------------------------------------------------------------------- properties


def _customers(touchpoints, steps, **options) -> list[int]:
    result = to_polars(cx.funnel(pl.DataFrame(touchpoints), steps, **options))
    return result.sort("step_index")["customers"].to_list()


@SETTINGS
@given(data=st.data())
def test_attempts_are_at_least_the_units_at_every_step(data):
    log, steps = data.draw(cases())
    options = {**data.draw(unit_options(steps)), "by": None}
    once = _customers(log, steps, **{**options, "count": "customers"})
    every = _customers(log, steps, **{**options, "count": "attempts"})
    assert all(a >= c for a, c in zip(every, once, strict=True)), (every, once)


@SETTINGS
@given(data=st.data())
def test_hold_on_a_constant_column_or_on_the_unit_is_no_hold(data):
    log, steps = data.draw(cases())
    options = {**data.draw(unit_options(steps)), "hold": None, "unit": "customer"}
    plain = to_polars(cx.funnel(pl.DataFrame(log), steps, **options))
    constant = {**log, "constant": ["same"] * len(log["ts"])}
    for hold in ["constant", "customer_id"]:
        held = cx.funnel(pl.DataFrame(constant), steps, **{**options, "hold": hold})
        assert_frame_matches(held, plain)


@SETTINGS
@given(data=st.data())
def test_unit_customer_and_zero_min_gap_are_the_default(data):
    log, steps = data.draw(cases())
    options = data.draw(unit_options(steps, gaps=False))
    options = {**options, "unit": "customer", "hold": None, "count": "customers"}
    default = to_polars(cx.funnel(pl.DataFrame(log), steps, **options))
    assert_frame_matches(
        cx.funnel(pl.DataFrame(log), steps, **{**options, "unit": "customer_id"}), default
    )
    if options["order"] == "sequential":
        zero = cx.funnel(pl.DataFrame(log), steps, **options, min_gap="0m")
        assert_frame_matches(zero, default)


@SETTINGS
@given(data=st.data(), within=st.sampled_from(["10m", "30m", "1h"]))
def test_one_step_window_of_a_two_step_funnel_is_the_window(data, within):
    log, steps = data.draw(cases(min_steps=2))
    steps = steps[:2]
    options = {**data.draw(unit_options(steps, gaps=False)), "order": "sequential"}
    options.pop("within")
    windowed = to_polars(cx.funnel(pl.DataFrame(log), steps, within, **options))
    per_step = cx.funnel(pl.DataFrame(log), steps, None, **options, step_within=within)
    assert_frame_matches(per_step, windowed)


@SETTINGS
@given(data=st.data(), within=st.sampled_from(["10m", "30m", "1h"]))
def test_step_windows_reach_at_least_as_far_as_the_same_window_from_step_1(data, within):
    # a chain within W of step 1 has every gap within W; not the other way round
    log, steps = data.draw(cases(min_steps=2))
    options = {
        **data.draw(unit_options(steps, gaps=False)),
        "order": "sequential",
        "exclude": None,  # another counted attempt may have an excluded touchpoint inside
    }
    options.pop("within")
    whole = _customers(log, steps, within=within, **options)
    stepwise = _customers(log, steps, within=None, step_within=within, **options)
    assert all(s >= w for s, w in zip(stepwise, whole, strict=True)), (stepwise, whole)


@SETTINGS
@given(data=st.data(), gaps=st.lists(st.sampled_from(["0m", "10m", "30m"]), min_size=2, max_size=2))
def test_a_longer_min_gap_never_reaches_further(data, gaps):
    log, steps = data.draw(cases(min_steps=2))
    options = {
        **data.draw(unit_options(steps, gaps=False)),
        "order": "sequential",
        "count": "customers",
        "exclude": None,  # another counted attempt may have an excluded touchpoint inside
    }
    short, long = sorted(gaps, key=lambda g: int(g[:-1]))
    quick = _customers(log, steps, min_gap=short, **options)
    slow = _customers(log, steps, min_gap=long, **options)
    assert all(q >= s for q, s in zip(quick, slow, strict=True)), (quick, slow)


@SETTINGS
@given(data=st.data())
def test_unit_options_take_the_same_answer_from_the_portable_engine(data):
    log, steps = data.draw(cases())
    options = data.draw(unit_options(steps))
    auto = to_polars(cx.funnel(pl.DataFrame(log), steps, **options))
    assert_frame_matches(cx.funnel(pl.DataFrame(log), steps, **options, engine="portable"), auto)
