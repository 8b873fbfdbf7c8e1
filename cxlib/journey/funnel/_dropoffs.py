"""Who dropped off after a funnel step, and what they did next: :func:`dropoffs` and
:func:`next_touchpoints`, on the same counted attempts as :func:`cxlib.journey.funnel.funnel`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import narwhals as nw
import polars as pl

from cxlib._engine import (
    CUSTOMER,
    check_values,
    lazy,
    like_input,
    materialize,
    to_polars,
    with_micros,
)
from cxlib._errors import DataError
from cxlib.journey.funnel._attempts import Duration, unit_column
from cxlib.journey.funnel._funnel import _counted, _utc_time
from cxlib.journey.funnel._portable import Attempt, Engine, Order, Step, normalize_steps


def dropoffs(
    touchpoints: Any,
    steps: Sequence[Step],
    within: str | timedelta | None = "7d",
    *,
    at: int = 1,
    order: Order = "sequential",
    attempt: Attempt = "best",
    by: str | Sequence[str] | None = None,
    customers: Any = None,
    engine: Engine = "auto",
    unit: str = "customer",
    hold: str | None = None,
    step_within: Duration | Sequence[Duration] = None,
    min_gap: Duration | Sequence[Duration] = None,
) -> Any:
    """Who reached step ``at`` and not step ``at + 1``, and what they did next.

    Parameters
    ----------
    touchpoints, steps, within, order, attempt, by, customers, engine
        As in :func:`funnel`; the same customers are counted.
    unit, hold, step_within, min_gap
        As in :func:`funnel`. With a ``unit`` other than the customer, the first column is
        the unit's id column (``session_id``, ...) and "next" is the unit's next event.
    at : int
        1-based step after which customers dropped off (``1 <= at < len(steps)``).

    Returns
    -------
    frame
        One row per customer who dropped off: ``customer_id``, ``by...``, ``reached_at``
        (when they reached step ``at``, UTC), ``next_touchpoint``, ``next_channel`` and
        ``next_at`` (their first touchpoint strictly after ``reached_at``; null when they did
        nothing after). Collected to polars and returned in the caller's library: it has one
        row per dropped-off customer. Use :func:`next_touchpoints` for the top list.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> lost = cx.dropoffs(ds.touchpoints, ["add_to_cart", "checkout", "purchase"], at=1)
    >>> lost.columns[:2]
    ['customer_id', 'reached_at']
    """
    sets, _ = normalize_steps(steps)
    if not 1 <= at < len(sets):
        raise DataError(
            f"at={at}: use a step from 1 to {len(sets) - 1} (the last step has no drop-off)"
        )
    # a misspelt later step would make everyone a drop-off: check the names first
    check_values(touchpoints, "touchpoint", sorted(set().union(*sets)), argument="steps")
    best, _, cols = _counted(
        touchpoints,
        steps,
        within,
        order=order,
        attempt=attempt,
        by=by,
        exclude=None,
        customers=customers,
        engine=engine,
        unit=unit,
        hold=hold,
        step_within=step_within,
        min_gap=min_gap,
    )
    column = unit_column(unit)
    lost = best.filter(nw.col("__K") == at).select(CUSTOMER, *cols, nw.col(f"__t{at}").alias("__r"))
    lost = materialize(lost)
    events = with_micros(touchpoints).select(
        nw.col(column).alias(CUSTOMER), "__t", "touchpoint", "channel"
    )
    after = (
        lost.select(CUSTOMER, "__r")
        .join(events, on=CUSTOMER, how="inner")
        .filter(nw.col("__t") > nw.col("__r"))
    )
    first_after = after.group_by(CUSTOMER).agg(nw.col("__t").min().alias("__nt"))
    nxt = (
        after.join(first_after, left_on=[CUSTOMER, "__t"], right_on=[CUSTOMER, "__nt"])
        .group_by(CUSTOMER)
        .agg(
            nw.col("touchpoint").min().alias("next_touchpoint"),
            nw.col("channel").min().alias("next_channel"),
            nw.col("__t").min().alias("__next"),
        )
    )
    result = to_polars(lost.join(nxt, on=CUSTOMER, how="left"))
    result = result.select(
        CUSTOMER,
        *cols,
        _utc_time("__r").alias("reached_at"),
        "next_touchpoint",
        "next_channel",
        _utc_time("__next").alias("next_at"),
    ).sort(CUSTOMER)
    return like_input(result.rename({CUSTOMER: column}), touchpoints)


def next_touchpoints(dropped: Any, *, top: int = 10) -> Any:
    """The most common next touchpoints of dropped-off customers, with an "other" bucket.

    Parameters
    ----------
    dropped : frame
        The result of :func:`dropoffs`.
    top : int
        How many touchpoints to list; the rest are summed as ``"(other)"``. Customers who
        did nothing after are ``"(nothing)"``.

    Returns
    -------
    frame
        ``next_touchpoint``, ``customers``, ``share`` (shares sum to 1).

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> lost = cx.dropoffs(ds.touchpoints, ["add_to_cart", "checkout"], at=1)
    >>> round(cx.next_touchpoints(lost)["share"].sum(), 6)
    1.0
    """
    frame = to_polars(lazy(dropped))
    counts = (
        frame.select(pl.col("next_touchpoint").fill_null("(nothing)"))
        .group_by("next_touchpoint")
        .len("customers")
        .sort(["customers", "next_touchpoint"], descending=[True, False])
    )
    head, tail = counts.head(top), counts.slice(top)
    if tail.height:
        rest = tail["customers"].sum()
        other = pl.DataFrame({"next_touchpoint": ["(other)"], "customers": [rest]})
        head = pl.concat([head, other.cast(head.schema)])
    total = max(frame.height, 1)
    result = head.with_columns((pl.col("customers") / total).alias("share"))
    return like_input(result, dropped)
