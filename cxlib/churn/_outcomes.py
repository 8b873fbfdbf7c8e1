"""What happened after the fact: friction vs churn, and lifetimes for survival curves.

Public through :mod:`cxlib.churn`; see :func:`friction_churn` and :func:`lifetimes`. Both
read churn from :func:`cxlib.churn.outcomes` (the label column or the inactivity rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import polars as pl

from cxlib._errors import DataError
from cxlib._stats import wilson
from cxlib.churn import _definition as _d
from cxlib.churn import _features as _f
from cxlib.churn import _segments as _s

DateLike = str | date | datetime


def friction_churn(
    ds: Any,
    *,
    period: str = "1q",
    cap: int = 2,
    friction: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Churn rate by the most friction incidents a customer had within one period.

    Descriptive, over the whole history (not a prediction): each customer's friction
    incidents are counted per calendar ``period`` (polars ``truncate`` units: ``"1q"``
    quarter, ``"1mo"`` month), the worst period is kept and capped at ``cap`` (shown as
    ``"2+"``). Churn is the dataset's (:func:`cxlib.churn.outcomes`): the label column, or
    the inactivity rule, under which customers seen in the last ``inactivity_days`` of the
    data count as not churned (yet).

    Returns ``incidents, customers, churned, churn_rate, churn_rate_low, churn_rate_high``
    (Wilson interval).

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> import cxlib as cx
    >>> friction_churn(cx.load("data/sample"))["incidents"].to_list()
    ['0', '1', '2+']
    """
    seen = _d.outcomes(ds)
    worst = _f.friction_by_period(
        ds, friction=tuple(friction or ds.config.friction or ()), period=period
    )
    per_customer = (
        seen.select("customer_id", "churned")
        .join(worst, on="customer_id", how="left")
        .with_columns(pl.col("worst").fill_null(0).clip(upper_bound=cap))
    )
    out = (
        per_customer.group_by("worst")
        .agg(pl.len().alias("customers"), pl.col("churned").sum().cast(pl.Int64))
        .sort("worst")
    )
    low, high = wilson("churned", "customers", confidence)
    return out.select(
        pl.when(pl.col("worst") >= cap)
        .then(pl.lit(f"{cap}+"))
        .otherwise(pl.col("worst").cast(pl.String))
        .alias("incidents"),
        pl.col("customers").cast(pl.Int64),
        "churned",
        (pl.col("churned") / pl.col("customers")).alias("churn_rate"),
        low.alias("churn_rate_low"),
        high.alias("churn_rate_high"),
    )


def lifetimes(
    ds: Any,
    *,
    as_of: DateLike | None = None,
    by: str | None = None,
    bins: Sequence[float] | None = None,
) -> pl.DataFrame:
    """Days from ``as_of`` to churn (event) or to the end of the data (censored).

    For Kaplan–Meier curves after a snapshot (:func:`cxlib.churn.survival.kaplan_meier`): the
    customers at risk at ``as_of`` (active before it, not churned by then), ``by`` a column
    of :func:`features` (known at ``as_of``, so the segment cannot depend on the future), or
    ``first_channel`` / ``first_purchase_channel`` (the channel of the first touchpoint or
    purchase before ``as_of``). A numeric ``by`` is cut at ``bins`` (e.g. ``[1, 2]`` gives
    ``"0"``, ``"1"``, ``"2+"`` for counts); ``bins`` are ignored for other columns.
    :func:`survival_segments` picks a ``by`` the data supports.

    Churn and its date come from :func:`cxlib.churn.outcomes`: the label's ``churn_ts``, or
    under the inactivity rule the last touchpoint. Customers who have not churned are
    censored at the data's end, or under the rule ``inactivity_days`` before it (a later
    churn cannot be seen yet). Default ``as_of``: 90 days before that censoring time.

    Returns ``customer_id, segment, days, churned`` (``segment`` is ``"all"`` without
    ``by``; missing values are "missing").

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> import cxlib as cx
    >>> life = lifetimes(cx.load("data/sample"), as_of="2025-07-01", by="country")
    >>> life.columns
    ['customer_id', 'segment', 'days', 'churned']
    """
    rule = _d.definition(ds)
    moment = _s.snapshot(ds, as_of, rule)
    table = _s.population_at(ds, moment, rule)
    usable = [c for c in table.columns[1:] if not c.startswith("_")]
    if by is not None and by not in usable:
        raise DataError(f"by='{by}' is not a feature; use one of {usable}")
    until = _d.seen_until(ds, rule)
    stop = pl.when(pl.col("_observed")).then(pl.col("_churn_ts")).otherwise(pl.lit(until))
    return table.select(
        "customer_id",
        _s.segment(table, by, bins).alias("segment"),
        ((stop - pl.lit(moment)).dt.total_microseconds() / _f.DAY_US).alias("days"),
        pl.col("_observed").alias("churned"),
    )
