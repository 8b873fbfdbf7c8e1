"""Funnels: how many customers get from step 1 to step k, and how fast.

The public functions (``funnel``, ``funnel_trend``, ``dropoffs``, ``next_touchpoints``)
and the aggregation of counted attempts into the tidy funnel frame. The semantics and the
engine that finds each customer's counted attempt are in :mod:`cxlib.journey.funnel._portable`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
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
    parse_duration,
    require,
    to_polars,
    with_micros,
)
from cxlib._errors import DataError
from cxlib._stats import wilson
from cxlib.journey.funnel._portable import (
    Attempt,
    Engine,
    Order,
    Step,
    attempts_table,
    normalize_steps,
)

METRIC_TYPES = (("customers", pl.Int64), ("__median", pl.Float64), ("__p90", pl.Float64))


def summarize(
    best: nw.LazyFrame, labels: list[str], by: list[str], *, confidence: float
) -> pl.DataFrame:
    """Aggregate counted attempts to the tidy funnel frame (polars; the result is small)."""
    n = len(labels)
    # polars inputs are aggregated in polars directly: the same expressions, without
    # narwhals' translation (~5 ms a call, half of this function at 1M touchpoints).
    native = best.to_native() if best.implementation.is_polars() else None
    ns, frame = (pl, native) if native is not None else (nw, best)
    # One pass, one row per group (no long table: at 50M touchpoints that was 12M rows).
    durations = frame.select(
        *by, *[(ns.col(f"__t{k}") - ns.col("__a")).alias(f"__d{k}") for k in range(1, n + 1)]
    )
    # Without groups, polars takes both quantiles of a column from one selection (median and
    # quantile each make their own: 490k values, 4.4 against 6.2 + 4.4 ms); in group_by
    # it does not accept a list of quantiles.
    together = native is not None and not by
    aggregates = [
        expr
        for k in range(1, n + 1)
        for expr in (
            ns.col(f"__d{k}").count().alias(f"customers{k}"),
            *(
                [pl.col(f"__d{k}").quantile([0.5, 0.9], interpolation="linear").alias(f"__q{k}")]
                if together
                else [
                    ns.col(f"__d{k}").median().alias(f"__median{k}"),
                    ns.col(f"__d{k}").quantile(0.9, interpolation="linear").alias(f"__p90{k}"),
                ]
            ),
        )
    ]
    grouped = durations.group_by(*by).agg(*aggregates) if by else durations.select(*aggregates)
    # (polars' "auto" engine would stream: ~1.5x slower for these quantiles.) Small from
    # here: eager, as planning a lazy query costs more than the work.
    wide = grouped.collect(engine="in-memory") if native is not None else to_polars(grouped)
    if together:
        wide = wide.with_columns(
            expr
            for k in range(1, n + 1)
            for expr in (
                pl.col(f"__q{k}").list.get(0).alias(f"__median{k}"),
                pl.col(f"__q{k}").list.get(1).alias(f"__p90{k}"),
            )
        )
    counts = pl.concat(
        [
            wide.select(
                *by,
                pl.lit(k, pl.Int32).alias("step_index"),
                *[pl.col(f"{m}{k}").cast(t).alias(m) for m, t in METRIC_TYPES],
            )
            for k in range(1, n + 1)
        ]
    ).filter(pl.col("customers") > 0)
    step_frame = pl.DataFrame(
        {"step_index": pl.Series(range(1, n + 1), dtype=pl.Int32), "step": labels}
    )
    grid = counts.select(by).unique().join(step_frame, how="cross") if by else step_frame
    out = grid.join(counts, on=[*by, "step_index"], how="left", nulls_equal=True)
    out = out.with_columns(pl.col("customers").fill_null(0).cast(pl.Int64)).sort(
        [*by, "step_index"], nulls_last=True
    )
    first = pl.col("customers").first()
    previous = pl.col("customers").shift(1)
    if by:
        first, previous = first.over(by), previous.over(by, order_by="step_index")
    out = out.with_columns(first.alias("__n1"), previous.alias("__prev"))
    low, high = wilson("customers", "__n1", confidence)
    to_duration = pl.duration(microseconds=pl.col("__median").round(0).cast(pl.Int64))
    to_p90 = pl.duration(microseconds=pl.col("__p90").round(0).cast(pl.Int64))
    return out.select(
        *by,
        "step_index",
        "step",
        "customers",
        pl.when(pl.col("__n1") > 0)
        .then(pl.col("customers") / pl.col("__n1"))
        .otherwise(pl.lit(0.0))
        .alias("conversion"),
        low.alias("conversion_low"),
        high.alias("conversion_high"),
        pl.when(pl.col("step_index") == 1)
        .then(pl.lit(1.0))
        .when(pl.col("__prev") > 0)
        .then(pl.col("customers") / pl.col("__prev"))  # null after a step nobody reached
        .alias("step_conversion"),
        pl.when(pl.col("customers") > 0).then(to_duration).alias("median_time_to_step"),
        pl.when(pl.col("customers") > 0).then(to_p90).alias("p90_time_to_step"),
    )


def _split_by(
    touchpoints: Any, by: str | Sequence[str] | None, customers: Any
) -> tuple[list[str], list[str], list[str]]:
    """Split ``by`` into touchpoint properties and customer attributes."""
    cols = [by] if isinstance(by, str) else list(by or [])
    names = lazy(touchpoints).collect_schema().names()
    props = [c for c in cols if c in names]
    attributes = [c for c in cols if c not in names]
    if attributes:
        if customers is None:
            raise DataError(
                f"by={attributes[0]!r} is not a touchpoints column; pass customers=... holding "
                "it, or join it onto the touchpoints first"
            )
        require(lazy(customers), [CUSTOMER, *attributes], what="customers")
    return cols, props, attributes


def _attach(best: nw.LazyFrame, props: list[str], attributes: list[str], customers: Any):  # noqa: ANN202
    best = best.rename({f"__p_{p}": p for p in props})
    if attributes:
        table = lazy(customers).select(CUSTOMER, *attributes).unique(subset=[CUSTOMER])
        best = best.join(table, on=CUSTOMER, how="left")
    return best


def _check_zero_steps(result: pl.DataFrame, touchpoints: Any, steps: Sequence[Step]) -> None:
    """A step nobody reached may be a misspelt touchpoint: when some step counts zero
    customers (or there are no rows), every step's touchpoints must occur in the data
    (:class:`DataError` with close matches otherwise). Free when every step is reached."""
    if result.height and result.get_column("customers").min() > 0:
        return
    sets, _ = normalize_steps(steps)
    check_values(
        touchpoints,
        "touchpoint",
        sorted(set().union(*sets)),
        argument="steps",
        what="touchpoint",
    )


def _utc_time(column: str) -> pl.Expr:
    """An epoch-microsecond column back to a UTC datetime."""
    return pl.from_epoch(pl.col(column), time_unit="us").dt.replace_time_zone("UTC")


def _counted(
    touchpoints: Any,
    steps: Sequence[Step],
    within: str | timedelta | None,
    *,
    order: Order,
    attempt: Attempt,
    by: str | Sequence[str] | None,
    exclude: Collection[str] | None,
    customers: Any,
    every: str | None = None,
    engine: Engine = "auto",
) -> tuple[nw.LazyFrame, list[str], list[str]]:
    """Counted attempts with ``by`` columns attached: (attempts, step labels, by columns)."""
    cols, props, attributes = _split_by(touchpoints, by, customers)
    best, labels = attempts_table(
        touchpoints,
        steps,
        within=within,
        order=order,
        attempt=attempt,
        props=props,
        every=every,
        exclude=exclude,
        engine=engine,
    )
    return _attach(best, props, attributes, customers), labels, cols


def funnel(
    touchpoints: Any,
    steps: Sequence[Step],
    within: str | timedelta | None = "7d",
    *,
    order: Order = "sequential",
    attempt: Attempt = "best",
    by: str | Sequence[str] | None = None,
    exclude: Collection[str] | None = None,
    customers: Any = None,
    confidence: float = 0.95,
    engine: Engine = "auto",
) -> Any:
    """Conversion through an ordered list of journey steps.

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints (polars DataFrame/LazyFrame, pandas, DuckDB or PySpark).
    steps : list of str or set of str
        The funnel's steps in order; a step may be a set of touchpoints
        (``{"checkout_web", "checkout_app"}``). A touchpoint may belong to one step only.
    within : str, timedelta or None
        Window from the step-1 occurrence in which the later steps must happen (``"1h"``,
        ``"7d"``); None for no window.
    order : {"sequential", "strict", "any"}
        Other touchpoints may come between steps; none may; steps in any order.
    attempt : {"best", "first"}
        Count the furthest step of any attempt (ClickHouse, PostHog), or only the window
        opened by the customer's first step-1 occurrence (Mixpanel).
    by : str or list of str, optional
        Breakdown columns: a touchpoint property (its value on the step-1 event) or a
        customer attribute (from ``customers``).
    exclude : collection of str, optional
        Touchpoints that remove a customer from the funnel when they happen between the
        counted attempt's first and last step.
    customers : frame, optional
        Customer attributes for ``by``.
    confidence : float
        Level of the Wilson interval around ``conversion``.
    engine : {"auto", "portable"}
        ``"auto"`` computes sequential funnels of polars frames on the polars fast path and
        everything else with the portable narwhals plan; ``"portable"`` always uses the
        plan every backend runs. Both give the same answer (the tests check it); choose
        ``"portable"`` to compare or to rule the fast path out.

    Returns
    -------
    frame
        Same library as ``touchpoints``: ``by..., step_index`` (1-based), ``step``,
        ``customers``, ``conversion`` (of step 1), ``conversion_low``, ``conversion_high``,
        ``step_conversion`` (of the previous step), ``median_time_to_step`` and
        ``p90_time_to_step`` (durations from step 1). Every group lists every step.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> f = cx.funnel(ds.touchpoints, ["visit", "add_to_cart", "checkout", "purchase"], "7d")
    >>> f["customers"].is_sorted(descending=True)
    True
    """
    best, labels, cols = _counted(
        touchpoints,
        steps,
        within,
        order=order,
        attempt=attempt,
        by=by,
        exclude=exclude,
        customers=customers,
        engine=engine,
    )
    result = summarize(best, labels, cols, confidence=confidence)
    _check_zero_steps(result, touchpoints, steps)
    return like_input(result, touchpoints)


def funnel_trend(
    touchpoints: Any,
    steps: Sequence[Step],
    within: str | timedelta | None = "7d",
    *,
    every: str = "1w",
    order: Order = "sequential",
    attempt: Attempt = "best",
    by: str | Sequence[str] | None = None,
    exclude: Collection[str] | None = None,
    customers: Any = None,
    confidence: float = 0.95,
    engine: Engine = "auto",
) -> Any:
    """Funnel conversion by entry period: an incident shows as a dip in one period.

    A customer counts once per period in which they entered the funnel (did step 1), at the
    furthest step reached by an attempt starting in that period.

    The newest periods are not final: a customer who entered near the end of the data has
    not had the whole ``within`` window yet, so their conversion can only go up. Such a
    period is flagged ``complete=False``; leave it out of comparisons (a weekly report would
    otherwise show a false drop every week). A period is complete when its end plus
    ``within`` is at or before the last timestamp of ``touchpoints`` (every touchpoint,
    not only the funnel's steps); with ``within=None``, when the period itself ended by
    then.

    Parameters
    ----------
    touchpoints, steps, within, order, attempt, by, exclude, customers, confidence, engine
        As in :func:`funnel`.
    every : str
        Period length: ``"1d"``, ``"1w"`` (weeks start on Monday), ``"2w"``, ``"12h"``.

    Returns
    -------
    frame
        ``period`` (UTC start of the entry period), then the :func:`funnel` columns, then
        ``complete`` (bool: every customer of the period had the full window before the
        data ends).

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> trend = cx.funnel_trend(ds.touchpoints, ["checkout", "purchase"], "30d", every="1w")
    >>> trend.columns[:3]
    ['period', 'step_index', 'step']
    >>> open_weeks = trend.filter(~trend["complete"])["period"].unique()
    >>> open_weeks.len()  # the last five weeks: their customers' 30 days run past the data
    5
    """
    best, labels, cols = _counted(
        touchpoints,
        steps,
        within,
        order=order,
        attempt=attempt,
        by=by,
        exclude=exclude,
        customers=customers,
        every=every,
        engine=engine,
    )
    result = summarize(best, labels, ["__period", *cols], confidence=confidence)
    _check_zero_steps(result, touchpoints, steps)
    # within and every parsed again: attempts_table has checked them
    wait = parse_duration(every, name="every") + (parse_duration(within) or 0)
    end = _data_end(touchpoints)
    complete = pl.lit(False) if end is None else pl.col("__period") + wait <= end
    result = result.with_columns(complete.alias("complete"))
    result = result.with_columns(_utc_time("__period")).rename({"__period": "period"})
    return like_input(result, touchpoints)


def _data_end(touchpoints: Any) -> int | None:
    """The last timestamp of ``touchpoints`` (µs; None when there is none), in its engine."""
    latest = to_polars(with_micros(touchpoints).select(nw.col("__t").max()))
    return None if latest.is_empty() or latest.item() is None else int(latest.item())


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
) -> Any:
    """Who reached step ``at`` and not step ``at + 1``, and what they did next.

    Parameters
    ----------
    touchpoints, steps, within, order, attempt, by, customers, engine
        As in :func:`funnel`; the same customers are counted.
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
    )
    lost = best.filter(nw.col("__K") == at).select(CUSTOMER, *cols, nw.col(f"__t{at}").alias("__r"))
    lost = materialize(lost)
    events = with_micros(touchpoints).select(CUSTOMER, "__t", "touchpoint", "channel")
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
    return like_input(result, touchpoints)


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
