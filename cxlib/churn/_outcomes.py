"""What happened after the fact: friction vs churn, and lifetimes for survival curves.

Public through :mod:`cxlib.churn`; see :func:`friction_churn` and :func:`lifetimes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import polars as pl

from cxlib._errors import DataError
from cxlib._stats import wilson
from cxlib.churn import _features as _f

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
    ``"2+"``). Needs a churn label on customers.

    Returns ``incidents, customers, churned, churn_rate, churn_rate_low, churn_rate_high``
    (Wilson interval).

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> import cxlib as cx
    >>> friction_churn(cx.load("data/sample"))["incidents"].to_list()
    ['0', '1', '2+']
    """
    customers = _f.eager(ds.customers)
    column = ds.config.churn_label or "churned"
    if customers is None or column not in customers.columns:
        raise DataError(f"friction_churn needs a '{column}' column on customers")
    worst = _f.friction_by_period(ds, friction=tuple(friction or ds.config.friction), period=period)
    per_customer = (
        customers.select("customer_id", pl.col(column).cast(pl.Boolean))
        .join(worst, on="customer_id", how="left")
        .with_columns(pl.col("worst").fill_null(0).clip(upper_bound=cap))
    )
    out = (
        per_customer.group_by("worst")
        .agg(pl.len().alias("customers"), pl.col(column).sum().cast(pl.Int64).alias("churned"))
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
    customers at risk at ``as_of``, ``by`` a column of :func:`features` (known at ``as_of``,
    so the segment cannot depend on the future). A numeric ``by`` is cut at ``bins``
    (e.g. ``[1, 2]`` gives ``"0"``, ``"1"``, ``"2+"`` for counts).

    Returns ``customer_id, segment, days, churned``.

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> import cxlib as cx
    >>> life = lifetimes(cx.load("data/sample"), as_of="2025-07-01", by="country")
    >>> life.columns
    ['customer_id', 'segment', 'days', 'churned']
    """
    moment = _f.resolve_as_of(ds, as_of, "90d")
    customers = _f.eager(ds.customers)
    if customers is None or "churn_ts" not in customers.columns:
        raise DataError("lifetimes needs customers with a churn_ts column (when they churned)")
    table = _f.build(
        ds,
        moment,
        friction=None,
        support=("support_contact",),
        store_channels=("store",),
        attributes=True,
    )
    segment = pl.lit("all")
    if by is not None:
        if by not in table.columns:
            raise DataError(f"by='{by}' is not a feature; use one of {table.columns[1:]}")
        segment = pl.col(by).cast(pl.String)
        if bins is not None:
            edges = sorted(bins)
            counts = table.schema[by].is_integer()
            labels = [_bin_label(edges, i, counts=counts) for i in range(len(edges) + 1)]
            segment = pl.when(pl.col(by).is_null()).then(pl.lit("missing"))
            for edge, text in zip(edges, labels, strict=False):  # a few bins
                segment = segment.when(pl.col(by) < edge).then(pl.lit(text))
            segment = segment.otherwise(pl.lit(labels[-1]))
    end = _f.data_end(ds)
    joined = table.select("customer_id", segment.alias("segment")).join(
        customers.select("customer_id", "churn_ts"), on="customer_id", how="left"
    )
    churned = pl.col("churn_ts").is_not_null() & (pl.col("churn_ts") <= end)
    stop = pl.when(churned).then(pl.col("churn_ts")).otherwise(pl.lit(end))
    return joined.select(
        "customer_id",
        "segment",
        ((stop - pl.lit(moment)).dt.total_microseconds() / _f.DAY_US).alias("days"),
        churned.alias("churned"),
    )


def _bin_label(edges: list[float], i: int, *, counts: bool) -> str:
    """``[1, 2]`` on counts: "0", "1", "2+"; otherwise "< 1", "1 to < 2", "2+"."""

    def text(v: float) -> str:
        return f"{v:g}"

    if i == 0:
        return "0" if counts and edges[0] == 1 else f"< {text(edges[0])}"
    if i == len(edges):
        return f"{text(edges[-1])}+"
    low, high = edges[i - 1], edges[i]
    return text(low) if counts and high - low == 1 else f"{text(low)} to < {text(high)}"
