"""cx.retention, cx.lifecycle, cx.stickiness and cx.stickiness_ratio.

Each analysis is checked against a brute-force reference written here from the docstring
(plain Python over ``(customer, ts, touchpoint)`` tuples, one customer and one calendar
period at a time), on hand-made logs and on generated ones: few customers, timestamps
piled on period boundaries (midnight, Monday, the 1st of a month, one microsecond before),
ties, repeats and shuffled rows.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta, timezone
from statistics import NormalDist

import pandas as pd
import polars as pl
import pytest
from conftest import assert_frame_matches, to_polars
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cxlib as cx

Event = tuple[str, datetime, str]
US = timedelta(microseconds=1)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- reference


def floor(ts: datetime, period: str) -> datetime:
    """Start of the UTC calendar period holding ``ts`` (weeks start on Monday)."""
    ts = ts.astimezone(UTC)
    if period == "hour":
        return ts.replace(minute=0, second=0, microsecond=0)
    day = ts.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def following(start: datetime, period: str) -> datetime:
    """Start of the period after the one starting at ``start``."""
    if period == "month":
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return (
        start
        + {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}[period]
    )


def previous(start: datetime, period: str) -> datetime:
    return floor(start - US, period)


def matches(wanted: str | Collection[str] | None, touchpoint: str) -> bool:
    if wanted is None:
        return True
    return touchpoint == wanted if isinstance(wanted, str) else touchpoint in wanted


def observed(events: list[Event], as_of: datetime | None) -> tuple[list[Event], datetime]:
    as_of = as_of or max(ts for _, ts, _ in events)
    return [e for e in events if e[1] <= as_of], as_of


def wilson(successes: int, trials: int) -> tuple[float, float]:
    z = NormalDist().inv_cdf(0.975)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials**2)) / (1 + z * z / trials)
    return max(centre - half, 0.0), min(centre + half, 1.0)


RETENTION_SCHEMA = {
    "cohort": pl.Datetime("us", "UTC"),
    "period_index": pl.Int64,
    "customers": pl.Int64,
    "retained": pl.Int64,
    "rate": pl.Float64,
    "rate_low": pl.Float64,
    "rate_high": pl.Float64,
    "complete": pl.Boolean,
}


def reference_retention(
    events: list[Event],
    period: str,
    *,
    start=None,
    returning=None,
    cumulative=False,
    as_of=None,
) -> pl.DataFrame:
    events, as_of = observed(events, as_of)
    cohort: dict[str, datetime] = {}
    returns: dict[str, set[datetime]] = defaultdict(set)
    for customer, ts, touchpoint in events:
        if matches(start, touchpoint):
            cohort[customer] = min(cohort.get(customer, floor(ts, period)), floor(ts, period))
        if matches(returning, touchpoint):
            returns[customer].add(floor(ts, period))
    last = floor(as_of, period)
    rows = []
    for cohort_start in sorted(set(cohort.values())):
        members = [c for c in cohort if cohort[c] == cohort_start]
        current, index = cohort_start, 0
        while current <= last:
            if index == 0:
                retained = len(members)
            elif cumulative:
                retained = sum(any(p >= current for p in returns[c]) for c in members)
            else:
                retained = sum(current in returns[c] for c in members)
            low, high = wilson(retained, len(members))
            complete = following(current, period) <= as_of
            rows.append(
                (
                    cohort_start,
                    index,
                    len(members),
                    retained,
                    retained / len(members),
                    low,
                    high,
                    complete,
                )
            )
            current, index = following(current, period), index + 1
    return pl.DataFrame(rows, schema=RETENTION_SCHEMA, orient="row")


LIFECYCLE_SCHEMA = {
    "period": pl.Datetime("us", "UTC"),
    "status": pl.String,
    "customers": pl.Int64,
    "complete": pl.Boolean,
}


def reference_lifecycle(events: list[Event], period: str, *, touchpoint=None, as_of=None):
    events, as_of = observed(events, as_of)
    active: dict[str, set[datetime]] = defaultdict(set)
    for customer, ts, name in events:
        if matches(touchpoint, name):
            active[customer].add(floor(ts, period))
    rows = []
    if active:
        current, last = min(min(a) for a in active.values()), floor(as_of, period)
        while current <= last:
            before = previous(current, period)
            counts = dict.fromkeys(("new", "returning", "resurrecting", "dormant"), 0)
            for periods in active.values():
                if current in periods:
                    status = (
                        "new"
                        if min(periods) == current
                        else "returning"
                        if before in periods
                        else "resurrecting"
                    )
                    counts[status] += 1
                elif before in periods:
                    counts["dormant"] += 1
            complete = following(current, period) <= as_of
            rows += [(current, status, n, complete) for status, n in counts.items()]
            current = following(current, period)
    return pl.DataFrame(rows, schema=LIFECYCLE_SCHEMA, orient="row")


STICKINESS_SCHEMA = {
    "period": pl.Datetime("us", "UTC"),
    "active_units": pl.Int64,
    "customers": pl.Int64,
    "share": pl.Float64,
    "complete": pl.Boolean,
}
RATIO_SCHEMA = {
    "period": pl.Datetime("us", "UTC"),
    "active_customers": pl.Int64,
    "mean_active": pl.Float64,
    "ratio": pl.Float64,
    "complete": pl.Boolean,
}


def units_in(start: datetime, period: str, unit: str) -> int:
    """Distinct units overlapping the period, counted hour by hour."""
    end, hour, units = following(start, period), start, set()
    while hour < end:
        units.add(floor(hour, unit))
        hour += timedelta(hours=1)
    return len(units)


def _active_units(events, period, unit, touchpoint, as_of):
    events, as_of = observed(events, as_of)
    units: dict[tuple[datetime, str], set[datetime]] = defaultdict(set)
    for customer, ts, name in events:
        if matches(touchpoint, name):
            units[floor(ts, period), customer].add(floor(ts, unit))
    return units, as_of


def reference_stickiness(events, period="week", unit="day", touchpoint=None, as_of=None):
    units, as_of = _active_units(events, period, unit, touchpoint, as_of)
    rows = []
    for start in sorted({p for p, _ in units}):
        counts = [len(u) for (p, _), u in units.items() if p == start]
        for k in range(1, units_in(start, period, unit) + 1):
            rows.append(
                (
                    start,
                    k,
                    counts.count(k),
                    counts.count(k) / len(counts),
                    following(start, period) <= as_of,
                )
            )
    return pl.DataFrame(rows, schema=STICKINESS_SCHEMA, orient="row")


def reference_ratio(events, period="month", unit="day", touchpoint=None, as_of=None):
    units, as_of = _active_units(events, period, unit, touchpoint, as_of)
    rows = []
    for start in sorted({p for p, _ in units}):
        counts = [len(u) for (p, _), u in units.items() if p == start]
        mean_active = sum(counts) / units_in(start, period, unit)
        rows.append(
            (
                start,
                len(counts),
                mean_active,
                mean_active / len(counts),
                following(start, period) <= as_of,
            )
        )
    return pl.DataFrame(rows, schema=RATIO_SCHEMA, orient="row")


# --------------------------------------------------------------------------- inputs


def collect(result) -> pl.DataFrame:
    """Any backend's result as polars, its datetimes in "UTC" (DuckDB says "Etc/UTC")."""
    frame = to_polars(result)
    return frame.with_columns(pl.col(pl.Datetime).dt.convert_time_zone("UTC"))


def as_dict(events: list[Event]) -> dict[str, list]:
    return {
        "customer_id": [c for c, _, _ in events],
        "ts": [ts for _, ts, _ in events],
        "touchpoint": [t for _, _, t in events],
        "channel": ["web"] * len(events),
    }


# Friday 2023-12-29 to 2024-03-05: a year end, a leap day, Mondays and month starts.
BASE = utc(2023, 12, 29)
BOUNDARIES = [
    utc(2024, 1, 1),
    utc(2024, 1, 8),
    utc(2024, 2, 1),
    utc(2024, 2, 29),
    utc(2024, 3, 1),
    utc(2024, 3, 4),
]
MOMENTS = BOUNDARIES + [b - US for b in BOUNDARIES]
TOUCHPOINTS = ["visit", "purchase", "call"]


@st.composite
def event_logs(draw, min_size: int = 1) -> list[Event]:
    customers = draw(st.integers(1, 5))
    moment = st.one_of(
        st.sampled_from(MOMENTS),
        st.integers(0, 67 * 24 * 60).map(lambda minutes: BASE + timedelta(minutes=minutes)),
    )
    events = draw(
        st.lists(
            st.tuples(
                st.integers(0, customers - 1).map(lambda c: f"c{c}"),
                moment,
                st.sampled_from(TOUCHPOINTS),
            ),
            min_size=min_size,
            max_size=30,
        )
    )
    return draw(st.permutations(events))


filters = st.sampled_from([None, "purchase", {"purchase", "call"}, "never_happens"])
as_ofs = st.one_of(st.none(), st.sampled_from(MOMENTS))


def hand_log() -> list[Event]:
    """Three customers over four ISO weeks of January 2024 (Mondays 1, 8, 15, 22)."""
    return [
        ("ann", utc(2024, 1, 1, 9), "visit"),
        ("ann", utc(2024, 1, 3, 9), "purchase"),
        ("ann", utc(2024, 1, 9, 9), "visit"),
        ("ann", utc(2024, 1, 23, 9), "purchase"),
        ("bob", utc(2024, 1, 2, 9), "visit"),
        ("bob", utc(2024, 1, 16, 9), "visit"),
        ("cy", utc(2024, 1, 10, 9), "purchase"),
        ("cy", utc(2024, 1, 10, 17), "purchase"),
        ("cy", utc(2024, 1, 24, 9), "visit"),
    ]


# --------------------------------------------------------------------------- retention


def test_retention_counts_customers_back_in_each_week(constructor):
    result = collect(cx.retention(constructor(as_dict(hand_log())), "week"))
    got = result.select("cohort", "period_index", "customers", "retained", "complete")
    expected = pl.DataFrame(
        {
            "cohort": [utc(2024, 1, 1)] * 4 + [utc(2024, 1, 8)] * 3,
            "period_index": [0, 1, 2, 3, 0, 1, 2],
            "customers": [2, 2, 2, 2, 1, 1, 1],
            "retained": [2, 1, 1, 1, 1, 0, 1],
            "complete": [True, True, True, False, True, True, False],
        },
        schema_overrides={"cohort": pl.Datetime("us", "UTC")},
    )
    assert_frame_matches(got, expected)
    assert_frame_matches(result, reference_retention(hand_log(), "week"))


def test_retention_cohort_starts_at_first_start_touchpoint(constructor):
    tp = constructor(as_dict(hand_log()))
    result = collect(cx.retention(tp, "week", start="purchase", returning="purchase"))
    # ann's cohort is week 1 (purchase on the 3rd), cy's week 2; bob never purchases.
    assert result.filter(pl.col("period_index") == 0)["customers"].to_list() == [1, 1]
    assert result.filter(pl.col("retained") > 0)["period_index"].to_list() == [0, 3, 0]


def test_retention_cumulative_counts_return_on_or_after_the_period(constructor):
    tp = constructor(as_dict(hand_log()))
    result = collect(cx.retention(tp, "week", cumulative=True)).sort("cohort", "period_index")
    # bob returns in week 3 only, ann in weeks 2 and 4: both are retained "on or after" week 2.
    assert result["retained"].to_list() == [2, 2, 2, 1, 1, 1, 1]
    expected = reference_retention(hand_log(), "week", cumulative=True)
    assert_frame_matches(result, expected)


@SETTINGS
@given(
    events=event_logs(),
    period=st.sampled_from(["day", "week", "month"]),
    start=filters,
    returning=filters,
    cumulative=st.booleans(),
    as_of=as_ofs,
)
def test_retention_matches_brute_force_reference(
    events, period, start, returning, cumulative, as_of
):
    result = cx.retention(
        pl.DataFrame(as_dict(events)),
        period,
        start=start,
        returning=returning,
        cumulative=cumulative,
        as_of=as_of,
    )
    expected = reference_retention(
        events, period, start=start, returning=returning, cumulative=cumulative, as_of=as_of
    )
    assert_frame_matches(result, expected)


@SETTINGS
@given(events=event_logs(), period=st.sampled_from(["day", "week", "month"]), returning=filters)
def test_retention_period_zero_keeps_everyone_and_cumulative_never_rises(events, period, returning):
    result = cx.retention(
        pl.DataFrame(as_dict(events)), period, returning=returning, cumulative=True
    ).sort("cohort", "period_index")
    assert (result.filter(pl.col("period_index") == 0)["rate"] == 1.0).all()
    rising = result.filter(pl.col("rate").diff().over("cohort") > 0)
    assert rising.is_empty(), rising
    assert (result["rate_low"] <= result["rate"]).all()
    assert (result["rate"] <= result["rate_high"]).all()


@SETTINGS
@given(
    events=event_logs(), period=st.sampled_from(["day", "week", "month"]), seed=st.integers(0, 1000)
)
def test_shuffling_rows_changes_nothing(events, period, seed):
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    before, after = pl.DataFrame(as_dict(events)), pl.DataFrame(as_dict(shuffled))
    for analysis in (cx.retention, cx.lifecycle):
        assert_frame_matches(analysis(after, period), analysis(before, period))
    assert_frame_matches(cx.stickiness(after), cx.stickiness(before))


def test_retention_flags_periods_that_are_not_over(constructor):
    events = [("ann", utc(2024, 1, 1), "visit"), ("ann", utc(2024, 1, 31, 12), "visit")]
    tp = constructor(as_dict(events))
    latest = collect(cx.retention(tp, "month"))
    assert latest["complete"].to_list() == [False]  # January is seen up to noon on the 31st
    month_end = collect(cx.retention(tp, "month", as_of="2024-02-01"))
    assert month_end["complete"].to_list() == [True, False]  # February has just started
    later = collect(cx.retention(tp, "month", as_of=date(2024, 3, 15)))
    assert later["period_index"].to_list() == [0, 1, 2]
    assert later["retained"].to_list() == [1, 0, 0]
    assert later["complete"].to_list() == [True, True, False]


def test_retention_ignores_rows_after_as_of(constructor):
    tp = constructor(as_dict(hand_log()))
    result = collect(cx.retention(tp, "week", as_of=utc(2024, 1, 14, 23, 59)))
    assert_frame_matches(
        result, reference_retention(hand_log(), "week", as_of=utc(2024, 1, 14, 23, 59))
    )
    # The week of the 8th is seen up to 23:59 on Sunday only: still not complete.
    assert result["complete"].to_list() == [True, False, False]
    assert result["retained"].to_list() == [2, 1, 1]  # bob's visit on the 16th is ignored


def test_weeks_start_on_monday_in_utc(constructor):
    bangkok = timezone(timedelta(hours=7))
    events = [
        ("ann", utc(2024, 1, 7, 23, 59, 59, 999_999), "visit"),  # Sunday
        ("ann", utc(2024, 1, 8), "visit"),  # Monday 00:00
        ("bob", utc(2024, 1, 7, 23, 59), "visit"),  # Monday 06:59 in Bangkok
        ("bob", utc(2024, 1, 15), "visit"),
    ]
    in_bangkok = [(c, ts.astimezone(bangkok), t) for c, ts, t in events]
    result = collect(cx.retention(constructor(as_dict(in_bangkok)), "week"))
    assert result["cohort"].unique().to_list() == [utc(2024, 1, 1)]
    assert result["retained"].to_list() == [2, 1, 1]


def test_months_are_calendar_months(constructor):
    events = [
        ("ann", utc(2024, 1, 31, 23, 59), "visit"),
        ("ann", utc(2024, 2, 29, 23, 59), "visit"),  # leap day: still February
        ("bob", utc(2024, 2, 1), "visit"),
        ("bob", utc(2024, 3, 1), "visit"),
    ]
    result = collect(cx.retention(constructor(as_dict(events)), "month"))
    assert result["cohort"].to_list() == [utc(2024, 1, 1)] * 3 + [utc(2024, 2, 1)] * 2
    assert result["retained"].to_list() == [1, 1, 0, 1, 1]


def test_retention_without_any_start_touchpoint_is_empty(constructor):
    result = cx.retention(constructor(as_dict(hand_log())), start="refund")
    assert_frame_matches(result, pl.DataFrame(schema=RETENTION_SCHEMA))


def test_retention_does_not_modify_its_input():
    tp = pd.DataFrame(as_dict(hand_log()))
    before = tp.copy()
    cx.retention(tp, "month", start="purchase", cumulative=True)
    pd.testing.assert_frame_equal(tp, before)


def test_retention_explains_bad_arguments():
    tp = pl.DataFrame(as_dict(hand_log()))
    with pytest.raises(cx.DataError, match="period='quarter'"):
        cx.retention(tp, "quarter")
    with pytest.raises(cx.DataError, match="'ts' is missing"):
        cx.retention(tp.drop("ts"))
    with pytest.raises(cx.DataError, match="as_of='yesterday'"):
        cx.retention(tp, as_of="yesterday")


def test_every_backend_gives_the_same_retention(constructor_all):
    events = [
        *hand_log(),
        ("dee", utc(1969, 12, 31, 23, 59, 59, 999_999), "visit"),
        ("dee", utc(2024, 1, 1), "purchase"),
    ]
    tp = constructor_all(as_dict(events))
    for period, cumulative in (("week", False), ("month", True)):
        result = cx.retention(
            tp, period, start={"visit", "purchase"}, returning="purchase", cumulative=cumulative
        )
        expected = reference_retention(
            events, period, start={"visit", "purchase"}, returning="purchase", cumulative=cumulative
        )
        assert_frame_matches(result, expected)


# --------------------------------------------------------------------------- lifecycle


def test_lifecycle_sorts_active_customers_into_statuses(constructor):
    result = collect(cx.lifecycle(constructor(as_dict(hand_log())), "week"))
    wide = result.pivot("status", index="period", values="customers").sort("period")
    # ann: weeks 1 2 . 4; bob: 1 . 3 .; cy: . 2 . 4
    assert wide.rows() == [
        (utc(2024, 1, 1), 2, 0, 0, 0),
        (utc(2024, 1, 8), 1, 1, 0, 1),
        (utc(2024, 1, 15), 0, 0, 1, 2),
        (utc(2024, 1, 22), 0, 0, 2, 1),
    ]
    assert result["complete"].to_list() == [True] * 12 + [False] * 4


@SETTINGS
@given(
    events=event_logs(),
    period=st.sampled_from(["day", "week", "month"]),
    touchpoint=filters,
    as_of=as_ofs,
)
def test_lifecycle_matches_brute_force_reference(events, period, touchpoint, as_of):
    result = cx.lifecycle(pl.DataFrame(as_dict(events)), period, touchpoint=touchpoint, as_of=as_of)
    expected = reference_lifecycle(events, period, touchpoint=touchpoint, as_of=as_of)
    assert_frame_matches(result, expected)


@SETTINGS
@given(events=event_logs(), period=st.sampled_from(["day", "week"]))
def test_lifecycle_dormant_are_last_periods_actives_who_did_not_return(events, period):
    wide = (
        cx.lifecycle(pl.DataFrame(as_dict(events)), period)
        .pivot("status", index="period", values="customers")
        .sort("period")
    )
    active = wide["new"] + wide["returning"] + wide["resurrecting"]
    assert (wide["dormant"].slice(1) == (active - wide["returning"].shift(-1)).head(-1)).all()


# --------------------------------------------------------------------------- stickiness


def test_stickiness_counts_active_days_per_week(constructor):
    result = collect(cx.stickiness(constructor(as_dict(hand_log()))))
    first_week = result.filter(pl.col("period") == utc(2024, 1, 1))
    assert first_week["active_units"].to_list() == [1, 2, 3, 4, 5, 6, 7]
    assert first_week["customers"].to_list() == [1, 1, 0, 0, 0, 0, 0]  # bob 1 day, ann 2
    # cy's two purchases on the 10th are one active day.
    second_week = result.filter(pl.col("period") == utc(2024, 1, 8))
    assert second_week["customers"].to_list() == [2, 0, 0, 0, 0, 0, 0]
    assert_frame_matches(result, reference_stickiness(hand_log()))


@SETTINGS
@given(
    events=event_logs(),
    period_unit=st.sampled_from(
        [("day", "hour"), ("week", "day"), ("week", "hour"), ("month", "day"), ("month", "week")]
    ),
    touchpoint=filters,
    as_of=as_ofs,
)
def test_stickiness_matches_brute_force_reference(events, period_unit, touchpoint, as_of):
    period, unit = period_unit
    tp = pl.DataFrame(as_dict(events))
    result = cx.stickiness(tp, period=period, unit=unit, touchpoint=touchpoint, as_of=as_of)
    expected = reference_stickiness(events, period, unit, touchpoint, as_of)
    assert_frame_matches(result, expected)
    shares = collect(result).group_by("period").agg(pl.col("share").sum())
    assert ((shares["share"] - 1).abs() < 1e-9).all()
    ratio = cx.stickiness_ratio(tp, period=period, unit=unit, touchpoint=touchpoint, as_of=as_of)
    assert_frame_matches(ratio, reference_ratio(events, period, unit, touchpoint, as_of))


def test_stickiness_ratio_is_one_for_daily_customers_and_a_thirtieth_for_monthly(constructor):
    daily = [("ann", utc(2024, 4, day, 12), "visit") for day in range(1, 31)]
    events = [*daily, ("bob", utc(2024, 4, 10), "visit"), ("ann", utc(2024, 5, 1), "visit")]
    result = collect(cx.stickiness_ratio(constructor(as_dict(events))))
    april = result.row(0, named=True)
    assert april["active_customers"] == 2
    assert april["mean_active"] == pytest.approx(31 / 30)
    assert april["ratio"] == pytest.approx((1 + 1 / 30) / 2)
    assert april["complete"] and not result.row(1, named=True)["complete"]


def test_stickiness_unit_must_be_finer_than_period():
    tp = pl.DataFrame(as_dict(hand_log()))
    with pytest.raises(cx.DataError, match="unit='week'"):
        cx.stickiness(tp, period="week", unit="week")


def test_every_backend_gives_the_same_lifecycle_and_stickiness(constructor_all):
    events = [
        *hand_log(),
        ("dee", utc(2024, 1, 31, 23, 59), "visit"),
        ("dee", utc(2024, 2, 1), "call"),
    ]
    tp = constructor_all(as_dict(events))
    assert_frame_matches(cx.lifecycle(tp, "month"), reference_lifecycle(events, "month"))
    assert_frame_matches(
        cx.stickiness(tp, period="month", unit="week"),
        reference_stickiness(events, "month", "week"),
    )


# --------------------------------------------------------------------------- polars fast path
# Polars frames take the one-sort fast path, pandas frames the portable plan: both must give
# the reference's answer, on logs with many customers, duplicates and period boundaries.


@st.composite
def crowded_logs(draw) -> list[Event]:
    customers = draw(st.integers(1, 60))
    moment = st.one_of(
        st.sampled_from(MOMENTS),
        st.integers(0, 67 * 24).map(lambda hours: BASE + timedelta(hours=hours)),
    )
    events = draw(
        st.lists(
            st.tuples(
                st.integers(0, customers - 1).map(lambda c: f"customer-{c}"),
                moment,
                st.sampled_from(TOUCHPOINTS),
            ),
            min_size=1,
            max_size=120,
        )
    )
    return draw(st.permutations(events))


@SETTINGS
@given(
    events=crowded_logs(),
    period=st.sampled_from(["day", "week", "month"]),
    start=filters,
    returning=filters,
    cumulative=st.booleans(),
    as_of=as_ofs,
)
def test_fast_retention_matches_the_reference_and_the_portable_plan(
    events, period, start, returning, cumulative, as_of
):
    options = {"start": start, "returning": returning, "cumulative": cumulative, "as_of": as_of}
    expected = reference_retention(events, period, **options)
    fast = cx.retention(pl.DataFrame(as_dict(events)), period, **options)
    assert_frame_matches(fast, expected)
    assert_frame_matches(
        collect(cx.retention(pd.DataFrame(as_dict(events)), period, **options)), expected
    )
    assert cx.retention(pl.DataFrame(as_dict(events)).lazy(), period, **options).equals(fast)


def test_fast_retention_counts_a_customer_once_per_period_and_keeps_integer_ids():
    events = [
        ("ann", utc(2024, 1, 1, 9), "visit"),
        ("ann", utc(2024, 1, 1, 9), "visit"),  # an exact duplicate
        ("ann", utc(2024, 1, 9), "purchase"),
        ("ann", utc(2024, 1, 10), "visit"),
        ("bob", utc(2024, 1, 9), "purchase"),
    ]
    expected = reference_retention(events, "week", returning={"visit", "purchase"})
    frame = pl.DataFrame(as_dict(events))
    assert_frame_matches(cx.retention(frame, "week", returning={"visit", "purchase"}), expected)
    ids = frame.with_columns(pl.col("customer_id").replace_strict({"ann": 1, "bob": 2}))
    assert_frame_matches(cx.retention(ids, "week", returning={"visit", "purchase"}), expected)


def test_fast_retention_without_a_matching_start_lists_no_cohort():
    frame = pl.DataFrame(as_dict(hand_log()))
    with pytest.warns(cx.MissingNameWarning):
        result = cx.retention(frame, "week", start="never_happens")
    assert_frame_matches(result, pl.DataFrame(schema=RETENTION_SCHEMA))
