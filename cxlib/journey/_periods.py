"""Periods and inputs shared by retention, lifecycle and stickiness (:mod:`._retention`).

Integer period keys (days, Monday-weeks, calendar months) computed on every engine, their
UTC starts and completeness, argument checks, ``as_of`` parsing, and :func:`_activity`: the
one-row-per-customer-and-period table every measure starts from.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import narwhals as nw
import polars as pl

from cxlib._engine import (
    CUSTOMER,
    MICROS,
    MONDAY_SHIFT,
    check_values,
    materialize,
    require,
    to_polars,
    with_micros,
)
from cxlib._errors import DataError

Period = Literal["day", "week", "month"]
Unit = Literal["hour", "day", "week"]
Touchpoints = str | Collection[str] | None
Moment = datetime | date | str | None
PERIODS = ("day", "week", "month")
# Width in microseconds of the fixed-length periods (months vary).
WIDTH = {"hour": MICROS["h"], "day": MICROS["d"], "week": MICROS["w"]}
# Units that can be counted inside each period.
FINER = {"day": ("hour",), "week": ("hour", "day"), "month": ("hour", "day", "week")}


# --------------------------------------------------------------------------- period keys


def _floor_div(expr: nw.Expr, width: int) -> nw.Expr:
    """Exact floor division on every backend (Spark's ``//`` goes through a double)."""
    return (expr - expr % width) // width


def _with_key(frame: Any, period: str, *, column: str = "__t", out: str = "__p") -> Any:
    """Add ``out``: the integer number of the period holding ``column`` (µs since epoch).

    Hours and days count from the epoch, weeks from the Monday before it, months as
    ``12 * year + month - 1`` (Hinnant's ``civil_from_days``: integer arithmetic only).
    """
    t = nw.col(column)
    if period in ("hour", "day"):
        return frame.with_columns(_floor_div(t, WIDTH[period]).alias(out))
    if period == "week":
        return frame.with_columns(_floor_div(t + MONDAY_SHIFT, WIDTH["week"]).alias(out))
    # Months: years start on March 1st in civil_from_days, so the leap day ends a year.
    z, era, doe, yoe = (nw.col(c) for c in ("__z", "__era", "__doe", "__yoe"))
    frame = frame.with_columns((_floor_div(t, MICROS["d"]) + 719_468).alias("__z"))
    frame = frame.with_columns(_floor_div(z, 146_097).alias("__era"))
    frame = frame.with_columns((z - era * 146_097).alias("__doe"))  # day of the era
    frame = frame.with_columns(
        ((doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365).alias("__yoe")
    )
    day_of_year = doe - (yoe * 365 + yoe // 4 - yoe // 100)  # from March 1st
    month_from_march = (day_of_year * 5 + 2) // 153
    return frame.with_columns(
        ((yoe + era * 400) * 12 + month_from_march + 2).cast(nw.Int64).alias(out)
    ).drop("__z", "__era", "__doe", "__yoe")


def _key_of(micros: int, period: str) -> int:
    """The period key of one timestamp (same code as the engines use)."""
    frame = _with_key(nw.from_native(pl.DataFrame({"__t": [micros]})), period)
    return int(frame["__p"][0])


def _start_micros(key: pl.Expr, period: str) -> pl.Expr:
    """Start of the period ``key`` as µs since the epoch (polars, on small results)."""
    if period == "month":
        return pl.datetime(key // 12, key % 12 + 1, 1, time_unit="us").dt.epoch("us")
    if period == "week":
        return key * WIDTH["week"] - MONDAY_SHIFT
    return key * WIDTH[period]


def _utc(micros: pl.Expr) -> pl.Expr:
    return pl.from_epoch(micros, time_unit="us").dt.replace_time_zone("UTC")


def _complete(key: pl.Expr, period: str, as_of: int) -> pl.Expr:
    """True when period ``key`` ends at or before ``as_of``."""
    return _start_micros(key + 1, period) <= as_of


# --------------------------------------------------------------------------- inputs


def _check(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise DataError(f"{name}={value!r} is not supported; use one of {options}")


def _matches(touchpoints: Touchpoints, name: str) -> nw.Expr:
    """1 where the row's touchpoint is one of ``touchpoints`` (every row when None)."""
    if touchpoints is None:
        return nw.lit(1, dtype=nw.Int8)
    names = [touchpoints] if isinstance(touchpoints, str) else list(touchpoints)
    if not names or not all(isinstance(n, str) for n in names):
        raise DataError(
            f"{name}={touchpoints!r}: give a touchpoint name or a set of them, "
            "e.g. 'purchase' or {'purchase', 'visit'}"
        )
    return nw.col("touchpoint").is_in(names).cast(nw.Int8)


def _as_of_micros(value: Moment) -> int | None:
    """``as_of`` as µs since the epoch; naive datetimes and dates are UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise DataError(
                f"as_of={value!r} is not a date; use e.g. '2024-06-30' or "
                "'2024-06-30T12:00:00+00:00'"
            ) from None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _activity(
    touchpoints: Any,
    period: str,
    as_of: Moment,
    filters: dict[str, Touchpoints],
    unit: str | None = None,
) -> tuple[nw.LazyFrame, int | None]:
    """One row per customer and period (and unit): ``__p`` (``__u``) and, per filter, a
    0/1 column ``__<filter>``: whether one of the filter's touchpoints happened there.

    Materialized: the callers read it more than once. Also returns ``as_of`` in µs (the
    latest timestamp when None; None when there are no events at all).
    """
    flags = {f"__{name}": _matches(value, name) for name, value in filters.items()}
    events = with_micros(touchpoints)
    used = [value for value in filters.values() if value is not None]
    require(events, [CUSTOMER, "ts", *(["touchpoint"] if used else [])])
    cutoff = _as_of_micros(as_of)
    if cutoff is not None:
        events = events.filter(nw.col("__t") <= cutoff)
    events = events.filter(~nw.col(CUSTOMER).is_null() & ~nw.col("__t").is_null())
    events = events.with_columns(*[expr.alias(name) for name, expr in flags.items()])
    events = _with_key(events, period)
    keys = [CUSTOMER, "__p"]
    if unit is not None:
        events = _with_key(events, unit, out="__u")
        keys.append("__u")
    table = materialize(
        events.group_by(*keys).agg(
            nw.col("__t").max().alias("__last"), *[nw.col(name).max() for name in flags]
        )
    )
    totals = to_polars(table.select(nw.col("__last").max(), *[nw.col(f).max() for f in flags]))
    for name, value in filters.items():  # a filter nothing matched may be a misspelt name
        if value is not None and totals[f"__{name}"][0] != 1:
            names = [value] if isinstance(value, str) else sorted(value)
            check_values(touchpoints, "touchpoint", names, argument=name, what="touchpoint")
    if cutoff is None:
        latest = totals["__last"][0]
        cutoff = None if latest is None else int(latest)
    return table, cutoff
