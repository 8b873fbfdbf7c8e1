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
    aggregate,
    check_values,
    lazy,
    like_input,
    parse_duration,
    quantile,
    require,
    to_polars,
    with_micros,
)
from cxlib._errors import DataError
from cxlib._stats import wilson
from cxlib.journey.funnel._attempts import Count, Duration, per_step, unit_column
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
    if native is not None:
        # Without groups, polars takes both quantiles of a column from one selection (median
        # and quantile each make their own: 490k values, 4.4 against 6.2 + 4.4 ms); in
        # group_by it does not accept a list of quantiles.
        together = not by
        aggregates = [
            expr
            for k in range(1, n + 1)
            for expr in (
                pl.col(f"__d{k}").count().alias(f"customers{k}"),
                *(
                    [
                        pl.col(f"__d{k}")
                        .quantile([0.5, 0.9], interpolation="linear")
                        .alias(f"__q{k}")
                    ]
                    if together
                    else [
                        pl.col(f"__d{k}").median().alias(f"__median{k}"),
                        pl.col(f"__d{k}").quantile(0.9, interpolation="linear").alias(f"__p90{k}"),
                    ]
                ),
            )
        ]
        grouped = durations.group_by(*by).agg(*aggregates) if by else durations.select(*aggregates)
        # (polars' "auto" engine would stream: ~1.5x slower for these quantiles.) Small from
        # here: eager, as planning a lazy query costs more than the work.
        wide = grouped.collect(engine="in-memory")
    else:
        # Other engines: exact quantiles on one machine, percentile_approx on Spark (its rank
        # error is stated in cxlib._engine._quantiles).
        together = False
        wide = aggregate(
            durations,
            by,
            *[
                expr
                for k in range(1, n + 1)
                for expr in (
                    nw.col(f"__d{k}").count().alias(f"customers{k}"),
                    quantile(f"__d{k}", 0.5).alias(f"__median{k}"),
                    quantile(f"__d{k}", 0.9).alias(f"__p90{k}"),
                )
            ],
        )
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


def _attach(  # noqa: ANN202
    best: nw.LazyFrame,
    props: list[str],
    attributes: list[str],
    customers: Any,
    owner: str = CUSTOMER,
):
    """Rename properties; join customer attributes on ``owner`` (the customer column)."""
    best = best.rename({f"__p_{p}": p for p in props})
    if attributes:
        table = lazy(customers).select(nw.col(CUSTOMER).alias(owner), *attributes)
        best = best.join(table.unique(subset=[owner]), on=owner, how="left")
    return best if owner == CUSTOMER else best.drop(owner)


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
    **options: Any,
) -> tuple[nw.LazyFrame, list[str], list[str]]:
    """Counted attempts with ``by`` columns attached: (attempts, step labels, by columns).

    ``options``: the unit, hold, count, step_within and min_gap of :func:`attempts_table`.
    """
    cols, props, attributes = _split_by(touchpoints, by, customers)
    owner = CUSTOMER
    if attributes and unit_column(options.get("unit", "customer")) != CUSTOMER:
        # another unit: the attributes of the customer of the attempt's step-1 event
        owner = "__customer"
        touchpoints = lazy(touchpoints).with_columns(nw.col(CUSTOMER).alias(owner))
        props = [*props, owner]
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
        **options,
    )
    return _attach(best, props, attributes, customers, owner), labels, cols


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
    unit: str = "customer",
    hold: str | None = None,
    count: Count = "customers",
    step_within: Duration | Sequence[Duration] = None,
    min_gap: Duration | Sequence[Duration] = None,
) -> Any:
    """Conversion through an ordered list of journey steps.

    The funnel follows a *unit* (a customer by default; a session, an order or any id); a
    unit reaches step k when one of its *attempts* does. An attempt starts at an occurrence
    of step 1 and is followed, in time order, by steps 2..k: within ``within`` of step 1,
    each step ``min_gap`` to ``step_within`` after the one before, every step sharing the
    ``hold`` value. Other touchpoints may come between (``order="sequential"``); ties in
    ``ts`` count as in order. Each unit counts once, at the furthest step any attempt
    reaches, or (``count="attempts"``) once per episode of overlapping attempts.

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
        ``"portable"`` to compare or to rule the fast path out. ``hold``, ``count="attempts"``,
        ``step_within`` and ``min_gap`` always use the portable plan.
    unit : str
        Whose funnel it is: ``"customer"`` (``customer_id``), ``"session"``
        (``session_id``), ``"order"`` (``order_id``) or the name of any id column. Attempts
        are followed among the events of one unit, and ``customers`` counts units. Events
        whose unit id is null belong to no unit and are left out. A ``by`` customer attribute
        is that of the customer of the attempt's step-1 event.
    hold : str, optional
        A column whose value every step of an attempt shares (``"order_id"``: the cart,
        checkout and purchase of one order). Each unit's events are split by this value and
        attempts follow one value's events (``order="strict"`` looks only at them for
        "nothing in between"). An event whose value is null can be step 1 only: its attempt
        reaches step 1 and no further. ``exclude`` still looks at every event of the unit.
        When attempts of different values tie (same start, same furthest step), the counted
        one is the earliest at step 2, then 3, ..., then the smallest value.
    count : {"customers", "attempts"}
        ``"customers"``: each unit once, at the furthest step any attempt reaches (the
        default). ``"attempts"``: each unit's attempts (one per step-1 time) are grouped
        into non-overlapping *episodes*: an attempt spans from step 1 to the furthest step
        it reaches, and a start begins a new episode when it comes strictly after the end of
        every earlier attempt of the unit. Each episode counts once, at its furthest step
        (its earliest attempt that gets there; ``attempt="first"``: its first attempt).
        ``customers`` then counts episodes: at every step at least as many as units.
    step_within : str, timedelta or sequence of them, optional
        Maximum time between consecutive steps, measured from the previous step: one
        duration for every step, or one per step after the first (None: no maximum for that
        step). ``within`` still bounds the whole attempt from step 1; pass ``within=None``
        to use the per-step windows alone. Sequential order only.
    min_gap : str, timedelta or sequence of them, optional
        Minimum time between consecutive steps (one for every step, or one per step after
        the first): a step happening sooner after the previous one does not count (a later
        occurrence may). ``"0m"`` is the default behaviour. Sequential order only.

    Returns
    -------
    frame
        Same library as ``touchpoints``: ``by..., step_index`` (1-based), ``step``,
        ``customers`` (units reaching the step, or episodes with ``count="attempts"``),
        ``conversion`` (of step 1), ``conversion_low``, ``conversion_high``,
        ``step_conversion`` (of the previous step), ``median_time_to_step`` and
        ``p90_time_to_step`` (durations from step 1). Every group lists every step.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> f = cx.funnel(ds.touchpoints, ["visit", "add_to_cart", "checkout", "purchase"], "7d")
    >>> f["customers"].is_sorted(descending=True)
    True

    Counting every attempt, and each step within an hour of the one before:

    >>> once = cx.funnel(ds.touchpoints, ["add_to_cart", "purchase"])
    >>> tries = cx.funnel(ds.touchpoints, ["add_to_cart", "purchase"], count="attempts")
    >>> bool((tries["customers"] >= once["customers"]).all())
    True
    >>> quick = cx.funnel(ds.touchpoints, ["add_to_cart", "checkout", "purchase"], None,
    ...                   step_within="1h")
    >>> quick["step_index"].to_list()
    [1, 2, 3]

    Per session, and with every step of an attempt on the same order:

    >>> sessions = cx.funnel(ds.touchpoints, ["visit", "add_to_cart"], "1d", unit="session")
    >>> orders = cx.funnel(ds.touchpoints, ["purchase", "delivery", "review"], "30d",
    ...                    hold="order_id")
    >>> orders["step"].to_list()
    ['purchase', 'delivery', 'review']
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
        unit=unit,
        hold=hold,
        count=count,
        step_within=step_within,
        min_gap=min_gap,
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
    unit: str = "customer",
    hold: str | None = None,
    count: Count = "customers",
    step_within: Duration | Sequence[Duration] = None,
    min_gap: Duration | Sequence[Duration] = None,
) -> Any:
    """Funnel conversion by entry period: an incident shows as a dip in one period.

    A customer (a unit) counts once per period in which they entered the funnel (did step
    1), at the furthest step reached by an attempt starting in that period. With
    ``count="attempts"``, once per episode and period (an episode whose attempts start in
    two periods counts in each, at the attempts starting there).

    The newest periods are not final: a customer who entered near the end of the data has
    not had the whole ``within`` window yet, so their conversion can only go up. Such a
    period is flagged ``complete=False``; leave it out of comparisons (a weekly report would
    otherwise show a false drop every week). A period is complete when its end plus
    ``within`` is at or before the last timestamp of ``touchpoints`` (every touchpoint,
    not only the funnel's steps); with ``within=None``, when the period itself ended by
    then (or, when every step has a ``step_within``, the period plus their sum).

    Parameters
    ----------
    touchpoints, steps, within, order, attempt, by, exclude, customers, confidence, engine
        As in :func:`funnel`.
    unit, hold, count, step_within, min_gap
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
        unit=unit,
        hold=hold,
        count=count,
        step_within=step_within,
        min_gap=min_gap,
    )
    result = summarize(best, labels, ["__period", *cols], confidence=confidence)
    _check_zero_steps(result, touchpoints, steps)
    # within and every parsed again: attempts_table has checked them
    wait = parse_duration(every, name="every") + _horizon(within, step_within, len(labels))
    end = _data_end(touchpoints)
    complete = pl.lit(False) if end is None else pl.col("__period") + wait <= end
    result = result.with_columns(complete.alias("complete"))
    result = result.with_columns(_utc_time("__period")).rename({"__period": "period"})
    return like_input(result, touchpoints)


def _horizon(
    within: str | timedelta | None, step_within: Duration | Sequence[Duration], n: int
) -> int:
    """How long (µs) after its start an attempt can still progress; 0 when unbounded."""
    total = parse_duration(within)
    gaps = per_step(step_within, n, name="step_within", default=None) or [None]
    if n > 1 and all(g is not None for g in gaps):
        bound = sum(g for g in gaps if g is not None)
        total = bound if total is None else min(total, bound)
    return total or 0


def _data_end(touchpoints: Any) -> int | None:
    """The last timestamp of ``touchpoints`` (µs; None when there is none), in its engine."""
    latest = to_polars(with_micros(touchpoints).select(nw.col("__t").max()))
    return None if latest.is_empty() or latest.item() is None else int(latest.item())
