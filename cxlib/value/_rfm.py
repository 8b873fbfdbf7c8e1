"""RFM summaries: purchases to one row per customer (frequency, recency, T, monetary value).

Private; the public name is :func:`cxlib.value.rfm_summary`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import narwhals as nw
import polars as pl

from cxlib._engine import MICROS, lazy, like_input, parse_duration, require, to_polars, with_micros
from cxlib._errors import DataError

Unit = Literal["day", "week", "month", "year"]
UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}


def _day_number(value: str | date | datetime, name: str) -> int:
    """A date as days since 1970-01-01 (UTC day)."""
    try:
        moment = pl.Series([value]).cast(pl.String).str.to_datetime(time_zone="UTC")
    except Exception:  # noqa: BLE001 - any parse failure is the same user error
        raise DataError(f"{name}={value!r} is not a date; use e.g. '2025-09-30'") from None
    return int(moment.dt.timestamp("us").item() // MICROS["d"])


def rfm_summary(
    transactions: Any,
    *,
    unit: Unit = "week",
    observation_end: str | date | datetime | None = None,
    holdout_end: str | date | datetime | None = None,
    holdout: str | None = None,
    purchase: str | None = "purchase",
    customer: str = "customer_id",
    ts: str = "ts",
    revenue: str | None = "revenue",
) -> Any:
    """One row per customer: repeat-purchase frequency, recency, age and mean repeat spend.

    Purchases on the same (UTC) day count as one transaction with their revenue summed, as
    in the BG/NBD literature. A customer's first purchase day starts their clock; it is not
    a repeat purchase and its spend is left out of ``monetary_value`` (Gamma-Gamma models
    repeat spend).

    Parameters
    ----------
    transactions : frame
        Purchases (``customer_id``, ``ts``, ``revenue``), or canonical touchpoints: when the
        frame has a ``touchpoint`` column and ``purchase`` is set, only those rows count.
    unit : {"week", "day", "month", "year"}
        Time unit of ``recency`` and ``T`` (a month is 365.25/12 days).
    observation_end : str or date, optional
        Last day of the calibration period (inclusive); later purchases are ignored (or
        counted in the holdout). Default: the last purchase day in the data.
    holdout_end : str or date, optional
        Last day of a holdout period after ``observation_end``: adds ``frequency_holdout``
        (repeat purchase days in the holdout), ``monetary_value_holdout`` and
        ``duration_holdout`` (its length in ``unit``), to check forecasts.
    holdout : str, optional
        Instead of the two dates: hold out this final stretch of the data (``"13w"``,
        ``"90d"``), ending on the last purchase day; the calibration ends that long before.
    purchase : str or None
        The touchpoint that is a purchase; None: every row is a purchase.
    customer, ts, revenue : str
        Column names; ``revenue=None`` leaves out ``monetary_value``.

    Returns
    -------
    frame
        Same library as ``transactions``: ``customer_id, frequency, recency, T,
        monetary_value`` (null for customers without a repeat purchase), plus the holdout
        columns; customers whose first purchase is after ``observation_end`` are left out.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> buys = pl.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...     "ts": [datetime(2025, 1, 1), datetime(2025, 1, 8), datetime(2025, 1, 15),
    ...            datetime(2025, 1, 8)], "revenue": [10.0, 20.0, 30.0, 5.0]})
    >>> rfm_summary(buys, observation_end="2025-01-29").rows()
    [('a', 2, 2.0, 4.0, 25.0), ('b', 0, 0.0, 3.0, None)]
    """
    if unit not in UNIT_DAYS:
        raise DataError(f"unit={unit!r}; use one of {sorted(UNIT_DAYS)}")
    frame = lazy(transactions)
    names = frame.collect_schema().names()
    require(frame, [customer, ts, *([revenue] if revenue else [])], what="transactions")
    if purchase is not None and "touchpoint" in names:
        frame = frame.filter(nw.col("touchpoint") == purchase)
    if customer != "customer_id" and "customer_id" in names:
        frame = frame.drop("customer_id")
    spend = nw.col(revenue).cast(nw.Float64) if revenue else nw.lit(0.0)
    events = with_micros(
        frame.select(nw.col(customer).alias("customer_id"), nw.col(ts), spend.alias("__rev")),
        column=ts,
    )
    events = events.filter(~nw.col("customer_id").is_null(), ~nw.col("__t").is_null())
    days = (
        events.with_columns((nw.col("__t") // MICROS["d"]).alias("__day"))
        .group_by("customer_id", "__day")
        .agg(nw.col("__rev").sum())
    )
    last_day = None
    if observation_end is None or holdout_end is None and holdout is not None:
        last_day = to_polars(days.select(nw.col("__day").max())).item()
        if last_day is None:
            raise DataError("transactions: no purchases to summarize")
    if holdout is not None:
        if observation_end is not None:
            raise DataError("give holdout or observation_end (with holdout_end), not both")
        length = (parse_duration(holdout, name="holdout") or 0) // MICROS["d"]
        if length < 1:
            raise DataError(f"holdout={holdout!r}: use at least one day, e.g. '13w'")
        stop = last_day
        end = stop - length
    else:
        end = (
            last_day if observation_end is None else _day_number(observation_end, "observation_end")
        )
        stop = end if holdout_end is None else _day_number(holdout_end, "holdout_end")
    if stop < end:
        raise DataError(f"holdout_end={holdout_end!r} is before observation_end")
    with_holdout = holdout_end is not None or holdout is not None
    first = days.group_by("customer_id").agg(nw.col("__day").min().alias("__first"))
    days = days.join(first, on="customer_id").filter(
        nw.col("__first") <= end, nw.col("__day") <= stop
    )
    repeat = nw.col("__day") > nw.col("__first")
    in_calibration = repeat & (nw.col("__day") <= end)
    in_holdout = nw.col("__day") > end
    # per-row helper columns first, so that the aggregations stay simple on every engine
    days = days.with_columns(
        in_calibration.cast(nw.Int64).alias("__cal"),
        nw.when(in_calibration).then(nw.col("__day")).otherwise(nw.col("__first")).alias("__last"),
        nw.when(in_calibration).then(nw.col("__rev")).otherwise(0.0).alias("__spend"),
        in_holdout.cast(nw.Int64).alias("__hold_n"),
        nw.when(in_holdout).then(nw.col("__rev")).otherwise(0.0).alias("__hold"),
    )
    aggregations = [
        nw.col("__first").min(),
        nw.col("__cal").sum().alias("frequency"),
        nw.col("__last").max(),
        nw.col("__spend").sum(),
    ]
    if with_holdout:
        aggregations += [
            nw.col("__hold_n").sum().alias("frequency_holdout"),
            nw.col("__hold").sum(),
        ]
    grouped = to_polars(days.group_by("customer_id").agg(*aggregations))
    per = UNIT_DAYS[unit]
    columns = [
        pl.col("customer_id"),
        pl.col("frequency").cast(pl.Int64),
        ((pl.col("__last") - pl.col("__first")) / per).alias("recency"),
        ((end - pl.col("__first")) / per).alias("T"),
    ]
    if revenue:
        columns.append(
            pl.when(pl.col("frequency") > 0)
            .then(pl.col("__spend") / pl.col("frequency"))
            .alias("monetary_value")
        )
    if with_holdout:
        columns += [
            pl.col("frequency_holdout").cast(pl.Int64),
            pl.when(pl.col("frequency_holdout") > 0)
            .then(pl.col("__hold") / pl.col("frequency_holdout"))
            .alias("monetary_value_holdout"),
            pl.lit((stop - end) / per).alias("duration_holdout"),
        ]
    out = grouped.select(columns).sort("customer_id")
    return like_input(out, transactions)
