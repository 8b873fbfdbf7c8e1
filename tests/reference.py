"""Brute-force reference implementations, written from the documented semantics.

Pure Python, one customer at a time, no dataframe library in the logic: slow on purpose and
meant to be read next to the docstring of the function it checks. Inputs are plain
``dict[str, list]`` (the same dicts the backend constructors in ``conftest.py`` take); outputs
are small polars DataFrames in the documented column layout, for ``assert_frame_matches``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import NormalDist
from typing import Any

import polars as pl

__all__ = ["funnel", "funnel_trend", "parse_within", "step_label", "wilson"]

_UNITS = {
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}


def parse_within(within: str | timedelta | None) -> timedelta | None:
    """``"30m"``, ``"1h"``, ``"7d"``, ``"2w"`` or a timedelta; ``None`` means no window."""
    if within is None or isinstance(within, timedelta):
        return within
    match = re.fullmatch(r"(\d+)([mhdw])", within)
    assert match, f"reference does not understand within={within!r}"
    return int(match.group(1)) * _UNITS[match.group(2)]


def step_label(step: str | set[str] | frozenset[str]) -> str:
    return step if isinstance(step, str) else " | ".join(sorted(step))


def wilson(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return centre - half, centre + half


def _quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default, polars' "linear")."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


# --------------------------------------------------------------------------- one customer


@dataclass(frozen=True)
class Event:
    ts: datetime
    touchpoint: str
    row: dict[str, Any]  # the whole input row, for `by` properties


@dataclass(frozen=True)
class Attempt:
    start: datetime  # the step-1 time (window start for order="any")
    start_events: tuple[Event, ...]  # events that start it (ties at `start`)
    times: tuple[datetime, ...]  # times[k-1] = earliest time of step k; len = steps reached
    hold: Any = None  # the held value its steps share (None without `hold`)


def _step_of(touchpoint: str, steps: list[frozenset[str]]) -> int | None:
    for index, step in enumerate(steps):
        if touchpoint in step:
            return index
    return None


def _chain_attempt(events, steps, window, strict, first_event, gaps=None, mins=None) -> Attempt:
    """Sequential / strict attempt from one step-1 event.

    ``level`` holds every event that can be the k-th event of some valid chain
    e1 <= e2 <= ... <= ek (distinct events, ei in step i, within the window of e1, for
    strict no event of the customer strictly between consecutive chain events, and
    ``mins[k-2] <= ek - e(k-1) <= gaps[k-2]`` when given). The steps are disjoint, so events
    of different levels are always distinct.
    """

    def link_ok(previous: Event, candidate: Event, k: int) -> bool:
        if candidate.ts < previous.ts:
            return False
        if window is not None and candidate.ts - first_event.ts > window:
            return False
        if mins is not None and candidate.ts - previous.ts < mins[k - 2]:
            return False
        if (
            gaps is not None
            and gaps[k - 2] is not None
            and candidate.ts - previous.ts > gaps[k - 2]
        ):
            return False
        # strict: no event of the customer, of any touchpoint, strictly between the two
        return not (strict and any(previous.ts < e.ts < candidate.ts for e in events))

    level = [first_event]
    times = [first_event.ts]
    for k, step in enumerate(steps[1:], start=2):
        level = [
            candidate
            for candidate in events
            if candidate.touchpoint in step and any(link_ok(prev, candidate, k) for prev in level)
        ]
        if not level:
            break
        times.append(min(event.ts for event in level))
    starters = tuple(e for e in events if e.ts == first_event.ts and e.touchpoint in steps[0])
    return Attempt(first_event.ts, starters, tuple(times))


def _any_attempt(events, steps, window, start) -> Attempt:
    """order="any": the window [start, start + within]; step k is reached when steps 1..k
    each have an event in it; time of step k = max over j <= k of step j's earliest time."""
    times: list[datetime] = []
    for step in steps:
        inside = [
            e.ts
            for e in events
            if e.touchpoint in step and start <= e.ts and (window is None or e.ts - start <= window)
        ]
        if not inside:
            break
        times.append(max([min(inside), *times]))
    starters = tuple(
        e for e in events if e.ts == start and _step_of(e.touchpoint, steps) is not None
    )
    return Attempt(start, starters, tuple(times))


def _stream_attempts(events, steps, window, order, gaps=None, mins=None) -> list[Attempt]:
    if order == "any":
        starts = sorted({e.ts for e in events if _step_of(e.touchpoint, steps) is not None})
        return [_any_attempt(events, steps, window, start) for start in starts]
    strict = order == "strict"
    return [
        _chain_attempt(events, steps, window, strict, e, gaps, mins)
        for e in events
        if e.touchpoint in steps[0]
    ]


def _streams(events, steps, hold) -> list[tuple[Any, list[Event]]]:
    """A unit's events split by the held value: (value, events) per value. An event whose
    value is null can be step 1 only: those of step 1 form one stream of their own."""
    if hold is None:
        return [(None, events)]
    by_value: dict[Any, list[Event]] = defaultdict(list)
    for event in events:
        value = event.row[hold]
        if value is not None or event.touchpoint in steps[0]:
            by_value[value].append(event)
    return list(by_value.items())


def _attempts(events, steps, window, order, hold=None, gaps=None, mins=None) -> list[Attempt]:
    """Every attempt of one unit, in every stream of its held values."""
    return [
        Attempt(a.start, a.start_events, a.times, value)
        for value, stream in _streams(events, steps, hold)
        for a in _stream_attempts(stream, steps, window, order, gaps, mins)
    ]


def _episodes(attempts: list[Attempt]) -> list[list[Attempt]]:
    """count="attempts": a unit's attempts (furthest step >= 1) grouped into episodes.

    An attempt spans from its start to its furthest step's time; attempts starting at the
    same time go together; a start strictly after the end of every earlier attempt begins a
    new episode, any other start joins the episode in progress."""
    groups: list[list[Attempt]] = []
    latest_end = None
    for start in sorted({a.start for a in attempts if a.times}):
        starting = [a for a in attempts if a.start == start and a.times]
        if latest_end is None or start > latest_end:
            groups.append([])
        groups[-1].extend(starting)
        end = max(a.times[-1] for a in starting)
        latest_end = end if latest_end is None else max(latest_end, end)
    return groups


def _tie_break(attempt: Attempt) -> tuple:
    """Earliest start, then earliest time at step 2, 3, ...; then a held value, smallest."""
    held = () if attempt.hold is None else (attempt.hold,)
    return (attempt.start, attempt.times, attempt.hold is None, held)


def _counted(attempts: list[Attempt], attempt_rule: str, events, exclude) -> Attempt | None:
    """The counted attempt of one customer (or None when not in the funnel / excluded)."""
    if not attempts:
        return None
    if attempt_rule == "first":
        earliest = min(a.start for a in attempts)
        attempts = [a for a in attempts if a.start == earliest]
    furthest = max(len(a.times) for a in attempts)
    if furthest == 0:
        return None
    counted = min((a for a in attempts if len(a.times) == furthest), key=_tie_break)
    if furthest >= 2 and any(
        e.touchpoint in exclude and counted.start <= e.ts <= counted.times[-1] for e in events
    ):
        return None
    return counted


# --------------------------------------------------------------------------- aggregation


def _rows(table: dict[str, list]) -> list[dict[str, Any]]:
    columns = list(table)
    length = len(table[columns[0]]) if columns else 0
    return [{c: table[c][i] for c in columns} for i in range(length)]


UNITS = {"customer": "customer_id", "session": "session_id", "order": "order_id"}


def _events_by_customer(
    touchpoints: dict[str, list], unit: str = "customer"
) -> dict[Any, list[Event]]:
    """Events per unit (per customer by default); events without the unit's id are left out
    (a null customer id stays a customer, as in the engine)."""
    column = UNITS.get(unit, unit)
    per_customer: dict[Any, list[Event]] = defaultdict(list)
    for row in _rows(touchpoints):
        if row[column] is None and column != "customer_id":
            continue
        ts = row["ts"] if row["ts"].tzinfo else row["ts"].replace(tzinfo=UTC)
        per_customer[row[column]].append(Event(ts, row["touchpoint"], row))
    return per_customer


def _per_step(value, n: int):
    """step_within / min_gap: one timedelta (or None) per step 2..n."""
    if value is None:
        return None
    values = [value] * (n - 1) if isinstance(value, (str, timedelta)) else list(value)
    assert len(values) == n - 1
    return [parse_within(v) for v in values]


def _groups(attempts: list[Attempt], count: str) -> list[list[Attempt]]:
    """The attempts counted together: all of a unit's, or one episode's."""
    assert count in ("customers", "attempts")
    return [attempts] if count == "customers" else _episodes(attempts)


def _group_value(counted: Attempt, column: str, attributes: dict[Any, dict] | None, customer):
    if column in counted.start_events[0].row:
        return min(e.row[column] for e in counted.start_events)
    assert attributes is not None, f"{column!r} is neither a touchpoint nor a customer column"
    # the customer of the step-1 event (the unit itself by default; one of its customers
    # with another unit)
    owner = min(e.row["customer_id"] for e in counted.start_events)
    return attributes.get(owner, {}).get(column)


def _summarise(members: dict[tuple, list[Attempt]], keys: list[str], labels, confidence):
    """members: group key -> counted attempts of its customers. One row per group and step."""
    if not members and not keys:  # without `by` the one group exists, even when empty
        members = {(): []}
    records = []
    for key, attempts in members.items():
        at_step = [sum(len(a.times) >= k for a in attempts) for k in range(1, len(labels) + 1)]
        for k, label in enumerate(labels, start=1):
            count = at_step[k - 1]
            waits = [
                (a.times[k - 1] - a.start) / timedelta(microseconds=1)
                for a in attempts
                if len(a.times) >= k
            ]
            # an empty funnel (only possible without `by`): conversion 0, no interval
            low, high = wilson(count, at_step[0], confidence) if at_step[0] else (None, None)
            previous = at_step[k - 2] if k > 1 else None
            records.append(
                {
                    **dict(zip(keys, key, strict=True)),
                    "step_index": k,
                    "step": label,
                    "customers": count,
                    "conversion": count / at_step[0] if at_step[0] else 0.0,
                    "conversion_low": low,
                    "conversion_high": high,
                    "step_conversion": 1.0 if k == 1 else (count / previous if previous else None),
                    "median_time_to_step": _duration(_quantile(waits, 0.5)) if waits else None,
                    "p90_time_to_step": _duration(_quantile(waits, 0.9)) if waits else None,
                }
            )
    return records


def _duration(microseconds: float) -> timedelta:
    return timedelta(microseconds=round(microseconds))


_SCHEMA = {
    "step_index": pl.Int64,
    "step": pl.String,
    "customers": pl.Int64,
    "conversion": pl.Float64,
    "conversion_low": pl.Float64,
    "conversion_high": pl.Float64,
    "step_conversion": pl.Float64,
    "median_time_to_step": pl.Duration("us"),
    "p90_time_to_step": pl.Duration("us"),
}


def _frame(records, leading: dict[str, Any]) -> pl.DataFrame:
    schema = {**leading, **_SCHEMA}
    return (
        pl.DataFrame(records, schema=schema, orient="row")
        if records
        else pl.DataFrame(schema=schema)
    )


def _prepare(steps, by, exclude, customers):
    steps = [frozenset([s]) if isinstance(s, str) else frozenset(s) for s in steps]
    keys = [by] if isinstance(by, str) else list(by or [])
    attributes = None
    if customers is not None:
        attributes = {row["customer_id"]: row for row in _rows(customers)}
    return steps, keys, set(exclude or ()), attributes


def _key_dtypes(touchpoints, customers, keys) -> dict[str, Any]:
    dtypes = {}
    for key in keys:
        source = touchpoints if key in touchpoints else customers
        dtypes[key] = pl.Series(source[key]).dtype
    return dtypes


def funnel(
    touchpoints: dict[str, list],
    steps,
    within="7d",
    *,
    order="sequential",
    attempt="best",
    by=None,
    exclude=None,
    customers: dict[str, list] | None = None,
    confidence: float = 0.95,
    unit: str = "customer",
    hold: str | None = None,
    count: str = "customers",
    step_within=None,
    min_gap=None,
) -> pl.DataFrame:
    """Reference for ``cx.funnel``: the expected result as a polars DataFrame."""
    steps, keys, exclude, attributes = _prepare(steps, by, exclude, customers)
    window = parse_within(within)
    gaps = _per_step(step_within, len(steps))
    mins = _per_step(min_gap, len(steps))
    mins = mins and [m or timedelta(0) for m in mins]
    members: dict[tuple, list[Attempt]] = defaultdict(list)
    for customer, events in _events_by_customer(touchpoints, unit).items():
        attempts = _attempts(events, steps, window, order, hold, gaps, mins)
        for group in _groups(attempts, count):
            counted = _counted(group, attempt, events, exclude)
            if counted is not None:
                key = tuple(_group_value(counted, c, attributes, customer) for c in keys)
                members[key].append(counted)
    records = _summarise(members, keys, [step_label(s) for s in steps], confidence)
    return _frame(records, _key_dtypes(touchpoints, customers, keys))


def period_start(ts: datetime, every: str) -> datetime:
    """UTC calendar period holding ``ts``: "1d" days, "1w" weeks starting Monday 00:00."""
    day = ts.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if every == "1d":
        return day
    assert every == "1w", f"reference does not understand every={every!r}"
    return day - timedelta(days=day.weekday())


def funnel_trend(
    touchpoints: dict[str, list],
    steps,
    within="7d",
    *,
    every="1w",
    order="sequential",
    attempt="best",
    by=None,
    exclude=None,
    customers: dict[str, list] | None = None,
    confidence: float = 0.95,
    unit: str = "customer",
    hold: str | None = None,
    count: str = "customers",
    step_within=None,
    min_gap=None,
) -> pl.DataFrame:
    """Reference for ``cx.funnel_trend``: attempts grouped by the period of their start, then
    the funnel rule applied per (customer, period); with ``count="attempts"`` per (customer,
    episode, period), episodes found over all the customer's attempts."""
    steps, keys, exclude, attributes = _prepare(steps, by, exclude, customers)
    window = parse_within(within)
    gaps = _per_step(step_within, len(steps))
    mins = _per_step(min_gap, len(steps))
    mins = mins and [m or timedelta(0) for m in mins]
    members: dict[tuple, list[Attempt]] = defaultdict(list)
    for customer, events in _events_by_customer(touchpoints, unit).items():
        everything = _attempts(events, steps, window, order, hold, gaps, mins)
        for group in _groups(everything, count):
            by_period: dict[datetime, list[Attempt]] = defaultdict(list)
            for candidate in group:
                by_period[period_start(candidate.start, every)].append(candidate)
            for period, attempts in by_period.items():
                counted = _counted(attempts, attempt, events, exclude)
                if counted is not None:
                    key = tuple(_group_value(counted, c, attributes, customer) for c in keys)
                    members[(period, *key)].append(counted)
    records = _summarise(members, ["period", *keys], [step_label(s) for s in steps], confidence)
    leading = {"period": pl.Datetime("us", "UTC"), **_key_dtypes(touchpoints, customers, keys)}
    # complete: every customer entering in the period had the whole window before the last
    # timestamp of the data (any touchpoint); without a window, the period itself had ended
    events = [e for per_customer in _events_by_customer(touchpoints).values() for e in per_customer]
    horizon = window
    if gaps and len(steps) > 1 and all(g is not None for g in gaps):
        horizon = (
            sum(gaps, timedelta(0)) if window is None else min(window, sum(gaps, timedelta(0)))
        )
    length = timedelta(days=1 if every == "1d" else 7) + (horizon or timedelta(0))
    for record in records:
        record["complete"] = record["period"] + length <= max(e.ts for e in events)
    schema = {**leading, **_SCHEMA, "complete": pl.Boolean}
    return pl.DataFrame(records, schema=schema) if records else pl.DataFrame(schema=schema)
