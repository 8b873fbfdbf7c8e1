"""Retention, lifecycle and stickiness: do customers come back, and how often.

Definitions (periods are UTC calendar periods: days, weeks starting on Monday, calendar
months):

* **retention** — a customer's *cohort* is the period of their first ``start`` touchpoint.
  They are *retained* in period N (N >= 1 periods after the cohort period) when they have a
  ``returning`` touchpoint in that period (``cumulative=False``, "on period N"), or in that
  period or any later one (``cumulative=True``, "on or after period N", unbounded
  retention). Period 0 retains the whole cohort by definition.
* **lifecycle** — per period, active customers are *new* (first activity ever),
  *returning* (also active the previous period) or *resurrecting* (not active the previous
  period, active before); *dormant* customers were active the previous period but not this one.
* **stickiness** — per period, how many active customers were active on 1, 2, ... units
  (days) of it; :func:`stickiness_ratio` is the DAU/MAU-style summary.

Observation ends at ``as_of`` (default: the latest timestamp in the data); later rows are
ignored. A period that ends after ``as_of`` is flagged ``complete=False``: its numbers are
still growing, and a low rate there is not churn.

How it is computed, once for every engine (narwhals): timestamps become int64
microseconds; a period key (integer day, Monday-week or month number) is pure integer
arithmetic, months through Hinnant's ``civil_from_days``, so no backend's time-zone
setting is involved. Events shrink to one row per customer and period (materialized once);
the small counts are collected to polars, where the zero rows, rates and intervals are added.
The period keys and that per-customer activity table are in :mod:`cxlib.journey._periods`.
Retention on a polars frame takes a fast path with the same answer (the tests compare both):
one sort of the events by customer and period (``_sorted.sort_by_customer``), then NumPy.
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import numpy as np
import polars as pl

from cxlib._engine import (
    CUSTOMER,
    MONDAY_SHIFT,
    check_values,
    like_input,
    materialize,
    polars_lazy,
    require,
    to_polars,
    with_micros,
)
from cxlib._stats import wilson
from cxlib.journey._periods import (
    FINER,
    PERIODS,
    WIDTH,
    Moment,
    Period,
    Touchpoints,
    Unit,
    _activity,
    _as_of_micros,
    _check,
    _complete,
    _key_of,
    _matches,
    _start_micros,
    _utc,
    _with_key,
)
from cxlib.journey._sorted import bits_for, changes, sort_by_customer

STATUSES = ("new", "returning", "resurrecting", "dormant")


# --------------------------------------------------------------------------- retention

_RETENTION_SCHEMA = {
    "cohort": pl.Datetime("us", "UTC"),
    "period_index": pl.Int64,
    "customers": pl.Int64,
    "retained": pl.Int64,
    "rate": pl.Float64,
    "rate_low": pl.Float64,
    "rate_high": pl.Float64,
    "complete": pl.Boolean,
}
_SIZES = {"__c": pl.Int64, "customers": pl.Int64}
_COUNTS = {"__c": pl.Int64, "__k": pl.Int64, "__n": pl.Int64}


def retention(
    touchpoints: Any,
    period: Period = "week",
    *,
    start: Touchpoints = None,
    returning: Touchpoints = None,
    cumulative: bool = False,
    as_of: Moment = None,
    confidence: float = 0.95,
) -> Any:
    """Cohort retention: of the customers who started in a period, how many came back.

    A customer's cohort is the period of their first ``start`` touchpoint. They are
    retained in period N >= 1 (counted from the cohort period) when they have a
    ``returning`` touchpoint in period N (``cumulative=False``) or in period N or any later
    one (``cumulative=True``, "unbounded" retention). Period 0 retains the whole cohort.
    Customers without a ``start`` touchpoint are in no cohort.

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints (polars DataFrame/LazyFrame, pandas, DuckDB or PySpark).
    period : {"day", "week", "month"}
        Cohort and return period, in UTC: weeks start on Monday, months are calendar months.
    start : str or set of str, optional
        Touchpoints that put a customer in a cohort (``"purchase"``); any when None.
    returning : str or set of str, optional
        Touchpoints that count as coming back; any when None.
    cumulative : bool
        Count "on or after" period N instead of "on" period N.
    as_of : datetime, date or ISO str, optional
        End of observation (naive means UTC); rows after it are ignored. Default: the
        latest timestamp in ``touchpoints``.
    confidence : float
        Level of the Wilson interval around ``rate``.

    Returns
    -------
    frame
        Same library as ``touchpoints``: ``cohort`` (UTC start of the cohort period),
        ``period_index`` (0 = the cohort period), ``customers`` (cohort size),
        ``retained``, ``rate``, ``rate_low``, ``rate_high``, ``complete``. Every cohort lists
        every period up to the one holding ``as_of``, zero counts included; cohorts without
        customers are not listed.
        ``complete`` is False when the period (cohort period + ``period_index``) ends after
        ``as_of``: it is still being observed, so its rate is a lower bound, not churn.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> r = cx.retention(ds.touchpoints, "month", start="purchase", returning="purchase")
    >>> r.filter(r["period_index"] == 0)["rate"].unique().to_list()
    [1.0]
    """
    _check("period", period, PERIODS)
    # polars frames: the one-sort fast path; other engines run the portable plan below
    fast = _fast_counts(touchpoints, period, start, returning, cumulative, as_of)
    if fast is not None:
        sizes, counts, as_of_us = fast
        result = _retention_table(sizes, counts, period, as_of_us, cumulative, confidence)
        return like_input(result, touchpoints)
    table, as_of_us = _activity(
        touchpoints, period, as_of, {"start": start, "returning": returning}
    )
    if as_of_us is None:
        return like_input(pl.DataFrame(schema=_RETENTION_SCHEMA), touchpoints)
    cohorts = materialize(
        table.filter(nw.col("__start") == 1)
        .group_by(CUSTOMER)
        .agg(nw.col("__p").min().alias("__c"))
    )
    returns = (
        table.filter(nw.col("__returning") == 1)
        .select(CUSTOMER, "__p")
        .join(cohorts, on=CUSTOMER, how="inner")
        .with_columns((nw.col("__p") - nw.col("__c")).alias("__k"))
        .filter(nw.col("__k") >= 1)
    )
    if cumulative:  # "on or after N" = the customer's last return is at N or later
        returns = returns.group_by(CUSTOMER, "__c").agg(nw.col("__k").max())
    counts = to_polars(returns.group_by("__c", "__k").agg(nw.len().alias("__n")))
    sizes = to_polars(cohorts.group_by("__c").agg(nw.len().alias("customers")))
    result = _retention_table(sizes, counts, period, as_of_us, cumulative, confidence)
    return like_input(result, touchpoints)


def _tally(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``codes`` (0 <= code < size) and how often each occurs."""
    if size <= 1 << 24:
        counts = np.bincount(codes, minlength=size)
        present = np.flatnonzero(counts)
        return present, counts[present]
    return np.unique(codes, return_counts=True)


def _fast_counts(
    touchpoints: Any,
    period: str,
    start: Touchpoints,
    returning: Touchpoints,
    cumulative: bool,
    as_of: Moment,
) -> tuple[pl.DataFrame, pl.DataFrame, int] | None:
    """Cohort sizes (``__c``, ``customers``) and returns (``__c``, ``__k``, ``__n``) as
    :func:`retention` counts them, for polars frames; None elsewhere (portable plan).

    Events sorted by (customer, period, start flag, returning flag) in one sort (see
    :func:`cxlib.journey._sorted.sort_by_customer`): a customer's cohort is the period of
    their first start event, and their returns are the distinct periods of their returning
    events, both read off neighbouring positions; no window and no join over the events.
    """
    flags = {"start": _matches(start, "start"), "returning": _matches(returning, "returning")}
    events = with_micros(touchpoints)
    if polars_lazy(events) is None:
        return None
    used = start is not None or returning is not None
    require(events, [CUSTOMER, "ts", *(["touchpoint"] if used else [])])
    cutoff = _as_of_micros(as_of)
    if cutoff is not None:
        events = events.filter(nw.col("__t") <= cutoff)
    events = events.filter(~nw.col(CUSTOMER).is_null() & ~nw.col("__t").is_null())
    keyed = nw.to_native(
        _with_key(events.with_columns(*[e.alias(f"__{n}") for n, e in flags.items()]), period)
    )
    either = (pl.col("__start") == 1) | (pl.col("__returning") == 1)
    rows = keyed.filter(either)
    totals = keyed.select(
        pl.col("__t").max(),
        pl.col("__start").max(),
        pl.col("__returning").max(),
        pl.col("__p").filter(either).min().alias("__low"),
        pl.col("__p").filter(either).max().alias("__high"),
    ).collect()
    if totals["__t"][0] is None:
        return None  # no events: the portable plan returns the empty table
    for name, value in (("start", start), ("returning", returning)):
        if value is not None and totals[f"__{name}"][0] != 1:  # perhaps a misspelt name
            names = [value] if isinstance(value, str) else sorted(value)
            check_values(touchpoints, "touchpoint", names, argument=name, what="touchpoint")
    as_of_us = int(totals["__t"][0]) if cutoff is None else cutoff
    if totals["__low"][0] is None:  # no start or returning event: no cohort
        return pl.DataFrame(schema=_SIZES), pl.DataFrame(schema=_COUNTS), as_of_us
    origin = int(totals["__low"][0])
    span = int(totals["__high"][0]) - origin + 1
    period_flags = (pl.col("__p") - origin).cast(pl.UInt64) * pl.lit(4, pl.UInt64) + (
        pl.col("__start") * 2 + pl.col("__returning")
    ).cast(pl.UInt64)
    ordered = sort_by_customer(rows, period_flags, bits_for(span) + 2, distinct=True)
    if ordered is None:
        return None
    first, fields = ordered
    p, f = (fields >> np.uint64(2)).view(np.int64), fields & np.uint64(3)
    customer = np.cumsum(first) - 1
    starts = np.flatnonzero(f >= 2)  # a customer's first start event holds their cohort
    opening = changes(customer[starts])
    cohort = np.full(int(customer[-1]) + 1, -1)
    cohort[customer[starts[opening]]] = p[starts[opening]]
    back = np.flatnonzero(f & 1)
    who, when = customer[back], p[back]
    distinct = changes(who, when)  # one return per customer and period
    who, when = who[distinct], when[distinct]
    joined, k = cohort[who], when - cohort[who]
    kept = (joined >= 0) & (k >= 1)
    who, joined, k = who[kept], joined[kept], k[kept]
    if cumulative:  # "on or after N": counted once, at the customer's last return
        last = changes(who[::-1])[::-1]
        joined, k = joined[last], k[last]
    keys, n = _tally(joined * span + k, span * span)
    cohorts, members = _tally(cohort[cohort >= 0], span)
    sizes = pl.DataFrame({"__c": cohorts + origin, "customers": members}, schema=_SIZES)
    counts = pl.DataFrame({"__c": keys // span + origin, "__k": keys % span, "__n": n})
    return sizes, counts.cast(pl.Int64), as_of_us


def _retention_table(
    sizes: pl.DataFrame,
    counts: pl.DataFrame,
    period: str,
    as_of: int,
    cumulative: bool,
    confidence: float,
) -> pl.DataFrame:
    last = _key_of(as_of, period)
    grid = sizes.with_columns(
        pl.col("__c").cast(pl.Int64),
        pl.col("customers").cast(pl.Int64),
        pl.int_ranges(0, last - pl.col("__c") + 1).alias("period_index"),
    ).explode("period_index")
    counts = counts.select(
        pl.col("__c").cast(pl.Int64),
        pl.col("__k").cast(pl.Int64).alias("period_index"),
        pl.col("__n").cast(pl.Int64),
    )
    out = (
        grid.join(counts, on=["__c", "period_index"], how="left")
        .with_columns(pl.col("__n").fill_null(0))
        .sort("__c", "period_index")
    )
    retained = pl.col("__n").cum_sum(reverse=True).over("__c") if cumulative else pl.col("__n")
    out = out.with_columns(
        pl.when(pl.col("period_index") == 0)
        .then(pl.col("customers"))
        .otherwise(retained)
        .alias("retained")
    )
    low, high = wilson("retained", "customers", confidence)
    # Exact at the edges (the closed form leaves rounding crumbs like 5e-17 at 0 of n).
    low = pl.when(pl.col("retained") == 0).then(0.0).otherwise(low)
    high = pl.when(pl.col("retained") == pl.col("customers")).then(1.0).otherwise(high)
    return out.select(
        _utc(_start_micros(pl.col("__c"), period)).alias("cohort"),
        "period_index",
        "customers",
        "retained",
        (pl.col("retained") / pl.col("customers")).alias("rate"),
        low.alias("rate_low"),
        high.alias("rate_high"),
        _complete(pl.col("__c") + pl.col("period_index"), period, as_of).alias("complete"),
    )


# --------------------------------------------------------------------------- lifecycle

_LIFECYCLE_SCHEMA = {
    "period": pl.Datetime("us", "UTC"),
    "status": pl.String,
    "customers": pl.Int64,
    "complete": pl.Boolean,
}


def lifecycle(
    touchpoints: Any,
    period: Period = "week",
    *,
    touchpoint: Touchpoints = None,
    as_of: Moment = None,
) -> Any:
    """Where each period's active customers come from, and who went quiet.

    A customer is active in a period when they have a ``touchpoint`` in it. Each period,
    every active customer is exactly one of

    * ``new`` — first activity ever (in the data) is in this period;
    * ``returning`` — active this period and the previous one;
    * ``resurrecting`` — active this period, not the previous one, but before;

    and ``dormant`` counts customers active the previous period but not this one.
    Product-analytics tools often plot dormant as a negative count; here ``customers`` is
    always positive (negate it for such a chart).

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints (polars, pandas, DuckDB or PySpark).
    period : {"day", "week", "month"}
        UTC period: weeks start on Monday, months are calendar months.
    touchpoint : str or set of str, optional
        Touchpoints that make a customer active; any when None.
    as_of : datetime, date or ISO str, optional
        End of observation (naive means UTC); rows after it are ignored. Default: the
        latest timestamp in ``touchpoints``.

    Returns
    -------
    frame
        ``period`` (UTC start), ``status`` (new, returning, resurrecting, dormant),
        ``customers``, ``complete``. Every period from the first activity to the one
        holding ``as_of`` lists all four statuses, zeros included. In an incomplete period
        (``complete`` False) customers still to come show as dormant.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> life = cx.lifecycle(ds.touchpoints, "month", touchpoint="purchase")
    >>> life["status"].unique(maintain_order=True).to_list()
    ['new', 'returning', 'resurrecting', 'dormant']
    """
    _check("period", period, PERIODS)
    table, as_of_us = _activity(touchpoints, period, as_of, {"touchpoint": touchpoint})
    active = table.filter(nw.col("__touchpoint") == 1).select(CUSTOMER, "__p")
    first = active.group_by(CUSTOMER).agg(nw.col("__p").min().alias("__f"))
    following = active.select(CUSTOMER, (nw.col("__p") + 1).alias("__p"))
    flagged = active.join(first, on=CUSTOMER, how="inner").join(
        following.with_columns(nw.lit(1, dtype=nw.Int64).alias("__prev")),
        on=[CUSTOMER, "__p"],
        how="left",
    )
    counts = to_polars(
        flagged.select(
            "__p",
            (nw.col("__p") == nw.col("__f")).cast(nw.Int64).alias("new"),
            (~nw.col("__prev").is_null()).cast(nw.Int64).alias("returning"),
        )
        .group_by("__p")
        .agg(nw.col("new").sum(), nw.col("returning").sum(), nw.len().alias("__active"))
    )
    if as_of_us is None or counts.height == 0:
        return like_input(pl.DataFrame(schema=_LIFECYCLE_SCHEMA), touchpoints)
    last = _key_of(as_of_us, period)
    dormant = to_polars(
        following.join(active, on=[CUSTOMER, "__p"], how="anti")
        .filter(nw.col("__p") <= last)
        .group_by("__p")
        .agg(nw.len().alias("dormant"))
    )
    periods = pl.DataFrame({"__p": pl.int_range(counts["__p"].min(), last + 1, eager=True)})
    wide = (
        periods.join(counts.cast({"__p": pl.Int64}), on="__p", how="left")
        .join(dormant.cast({"__p": pl.Int64}), on="__p", how="left")
        .with_columns(
            (pl.col("__active") - pl.col("new") - pl.col("returning")).alias("resurrecting")
        )
    )
    order = pl.Enum(STATUSES)
    long = wide.unpivot(
        on=list(STATUSES), index="__p", variable_name="status", value_name="customers"
    )
    return like_input(
        long.sort(pl.col("__p"), pl.col("status").cast(order)).select(
            _utc(_start_micros(pl.col("__p"), period)).alias("period"),
            "status",
            pl.col("customers").fill_null(0).cast(pl.Int64),
            _complete(pl.col("__p"), period, as_of_us).alias("complete"),
        ),
        touchpoints,
    )


# --------------------------------------------------------------------------- stickiness

_STICKINESS_SCHEMA = {
    "period": pl.Datetime("us", "UTC"),
    "active_units": pl.Int64,
    "customers": pl.Int64,
    "share": pl.Float64,
    "complete": pl.Boolean,
}
_RATIO_SCHEMA = {
    "period": pl.Datetime("us", "UTC"),
    "active_customers": pl.Int64,
    "mean_active": pl.Float64,
    "ratio": pl.Float64,
    "complete": pl.Boolean,
}


def _units_in(key: pl.Expr, period: str, unit: str) -> pl.Expr:
    """How many units (hours, days, Monday-weeks) overlap period ``key``."""
    start, end = _start_micros(key, period), _start_micros(key + 1, period)
    if unit != "week":
        return (end - start) // WIDTH[unit]
    first = (start + MONDAY_SHIFT) // WIDTH["week"]
    last = (end - 1 + MONDAY_SHIFT) // WIDTH["week"]
    return last - first + 1


def _stickiness_counts(
    touchpoints: Any, period: str, unit: str, touchpoint: Touchpoints, as_of: Moment
) -> tuple[pl.DataFrame, int | None]:
    """Customers per (period key ``__p``, active_units), plus ``__units`` in the period."""
    _check("period", period, PERIODS)
    _check("unit", unit, FINER[period])
    table, as_of_us = _activity(touchpoints, period, as_of, {"touchpoint": touchpoint}, unit)
    per_customer = (
        table.filter(nw.col("__touchpoint") == 1)
        .group_by(CUSTOMER, "__p")
        .agg(nw.len().alias("active_units"))
    )
    counts = to_polars(
        per_customer.group_by("__p", "active_units").agg(nw.len().alias("customers"))
    ).cast({"__p": pl.Int64, "active_units": pl.Int64, "customers": pl.Int64})
    return counts.with_columns(_units_in(pl.col("__p"), period, unit).alias("__units")), as_of_us


def stickiness(
    touchpoints: Any,
    *,
    period: Period = "week",
    unit: Unit = "day",
    touchpoint: Touchpoints = None,
    as_of: Moment = None,
) -> Any:
    """How often active customers come: the distribution of active days per week.

    For every period, each customer active in it (at least one ``touchpoint``) counts once,
    at the number of distinct units (days) of the period in which they were active. A
    sticky product has mass at high ``active_units``.

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints (polars, pandas, DuckDB or PySpark).
    period : {"day", "week", "month"}
        The window (UTC; weeks start on Monday).
    unit : {"hour", "day", "week"}
        What is counted inside the window; finer than ``period``. A Monday-week that
        straddles two months counts in both.
    touchpoint : str or set of str, optional
        Touchpoints that make a customer active; any when None.
    as_of : datetime, date or ISO str, optional
        End of observation (naive means UTC); rows after it are ignored. Default: the
        latest timestamp in ``touchpoints``.

    Returns
    -------
    frame
        ``period`` (UTC start), ``active_units`` (1 to the units in the period, every value
        listed), ``customers``, ``share`` (of the period's active customers), ``complete``.
        Periods without active customers are not listed; customers not active in a period
        are not in it (there is no 0 row). An incomplete period is skewed to few units.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> s = cx.stickiness(ds.touchpoints, period="week", unit="day")
    >>> sorted(s["active_units"].unique().to_list())
    [1, 2, 3, 4, 5, 6, 7]
    """
    counts, as_of_us = _stickiness_counts(touchpoints, period, unit, touchpoint, as_of)
    if as_of_us is None or counts.height == 0:
        return like_input(pl.DataFrame(schema=_STICKINESS_SCHEMA), touchpoints)
    grid = (
        counts.select("__p", "__units")
        .unique()
        .with_columns(pl.int_ranges(1, pl.col("__units") + 1).alias("active_units"))
        .explode("active_units")
    )
    out = (
        grid.join(counts.drop("__units"), on=["__p", "active_units"], how="left")
        .with_columns(pl.col("customers").fill_null(0))
        .sort("__p", "active_units")
    )
    return like_input(
        out.select(
            _utc(_start_micros(pl.col("__p"), period)).alias("period"),
            "active_units",
            "customers",
            (pl.col("customers") / pl.col("customers").sum().over("__p")).alias("share"),
            _complete(pl.col("__p"), period, as_of_us).alias("complete"),
        ),
        touchpoints,
    )


def stickiness_ratio(
    touchpoints: Any,
    *,
    period: Period = "month",
    unit: Unit = "day",
    touchpoint: Touchpoints = None,
    as_of: Moment = None,
) -> Any:
    """DAU/MAU-style stickiness: the average unit's actives over the period's actives.

    ``ratio = mean_active / active_customers``, where ``active_customers`` were active at
    least once in the period (MAU) and ``mean_active`` is the average number of customers
    active per unit of the period (DAU averaged over every day of the calendar month, idle
    days included). Equivalently, the average share of the period's days on which an
    active customer shows up: 1/30 for once-a-month customers, 1 for daily ones. Periods
    are calendar periods, not trailing 30-day windows.

    Parameters
    ----------
    touchpoints, period, unit, touchpoint, as_of
        As in :func:`stickiness` (here ``period`` defaults to ``"month"``).

    Returns
    -------
    frame
        ``period``, ``active_customers``, ``mean_active``, ``ratio``, ``complete``. An
        incomplete period's ratio is biased low (its unobserved days count as idle).

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> ratios = cx.stickiness_ratio(ds.touchpoints, period="month", unit="day")
    >>> bool(ratios["ratio"].is_between(0, 1).all())
    True
    """
    counts, as_of_us = _stickiness_counts(touchpoints, period, unit, touchpoint, as_of)
    if as_of_us is None or counts.height == 0:
        return like_input(pl.DataFrame(schema=_RATIO_SCHEMA), touchpoints)
    out = (
        counts.group_by("__p")
        .agg(
            pl.col("customers").sum().alias("active_customers"),
            (
                (pl.col("active_units") * pl.col("customers")).sum() / pl.col("__units").first()
            ).alias("mean_active"),
        )
        .sort("__p")
    )
    return like_input(
        out.select(
            _utc(_start_micros(pl.col("__p"), period)).alias("period"),
            "active_customers",
            "mean_active",
            (pl.col("mean_active") / pl.col("active_customers")).alias("ratio"),
            _complete(pl.col("__p"), period, as_of_us).alias("complete"),
        ),
        touchpoints,
    )
