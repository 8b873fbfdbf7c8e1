"""Funnels: how many customers get from step 1 to step k, and how fast.

Semantics (DESIGN "Funnel semantics"). A customer reaches step k when some occurrence of
step 1 is followed, in time order, by steps 2..k, all within ``within`` of that step-1
occurrence; other touchpoints may come between. The customer counts once, at the furthest
step any attempt reaches (ClickHouse ``windowFunnel``, PostHog). Ties in ``ts`` count as in
order. ``order="strict"``: no other touchpoint strictly between two consecutive steps (tied
events are not "between"). ``order="any"``: steps 1..k all happen, in any order, inside one
window that starts at one of the funnel's events. ``attempt="first"``: only the customer's
first step-1 occurrence (first funnel event for ``"any"``) opens a window, never reset
(Mixpanel).

The counted attempt of a customer is the earliest one that reaches their furthest step;
times to each step (from step 1, or from the window start for ``"any"``) and ``by`` values
(from the step-1 event) come from it.

How it is computed, once for every engine (narwhals): events are reduced to one row per
(customer, timestamp) with a flag per step; a reverse cumulative minimum per customer gives,
for every row, the next time each step happens at or after it ("next-step table"); each
step-1 row is an attempt, and its chain is followed through the table with equi-joins on
(customer, timestamp). Greedy earliest matching is exact for ``sequential`` because steps
do not share touchpoints; ``strict`` keeps the set of reachable time ranks (a step advances
at most one distinct timestamp), so ties cannot mislead it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Any, Literal

import narwhals as nw
import polars as pl

from cxlib._engine import (
    MICROS,
    MONDAY_SHIFT,
    NEVER,
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

Step = str | Collection[str]
Order = Literal["sequential", "strict", "any"]
Attempt = Literal["best", "first"]
CUSTOMER = "customer_id"
# Polars fast paths on (tests switch them off to check the portable path gives the same).
FAST_PATHS = True


def normalize_steps(steps: Sequence[Step]) -> tuple[list[frozenset[str]], list[str]]:
    """Steps as sets of touchpoints, with their display labels; checks they do not overlap."""
    if isinstance(steps, str) or len(steps) == 0:
        raise DataError("steps must be a list of touchpoints, e.g. ['visit', 'add_to_cart', "
                        "'purchase']")
    sets, labels, seen = [], [], {}
    for i, step in enumerate(steps, start=1):
        members = frozenset([step]) if isinstance(step, str) else frozenset(step)
        if not members or not all(isinstance(m, str) for m in members):
            raise DataError(f"step {i} ({step!r}) must be a touchpoint name or a set of them")
        for m in members:
            if m in seen:
                raise DataError(
                    f"touchpoint {m!r} is in steps {seen[m]} and {i}; a touchpoint may belong "
                    "to one step only (filter or rename events to count a repeat)"
                )
            seen[m] = i
        sets.append(members)
        labels.append(step if isinstance(step, str) else " | ".join(sorted(members)))
    return sets, labels


def _step_index(steps: list[frozenset[str]]) -> nw.Expr:
    expr: nw.Expr = nw.lit(0)
    for k in range(len(steps), 0, -1):
        in_step = nw.col("touchpoint").is_in(list(steps[k - 1]))
        expr = nw.when(in_step).then(nw.lit(k)).otherwise(expr)
    return expr.cast(nw.Int32)


def _grid(
    events: nw.LazyFrame, n: int, *, props: list[str], prop_step: int | None, keep_all: bool
) -> nw.LazyFrame:
    """One row per (customer, timestamp): a flag per step and property values.

    Property values come from the events of step ``prop_step`` at that timestamp (any
    funnel event when None); ties resolve to the smallest value.
    """
    if not keep_all:
        events = events.filter(nw.col("__s") > 0)
    source = (nw.col("__s") > 0) if prop_step is None else (nw.col("__s") == prop_step)
    events = events.with_columns(
        *[(nw.col("__s") == k).cast(nw.Int8).alias(f"__h{k}") for k in range(1, n + 1)],
        *[nw.when(source).then(nw.col(p)).alias(f"__p_{p}") for p in props],
    )
    return events.group_by(CUSTOMER, "__t").agg(
        *[nw.col(f"__h{k}").max() for k in range(1, n + 1)],
        *[nw.col(f"__p_{p}").min() for p in props],
    )


def _with_next(grid: nw.LazyFrame, ks: range) -> nw.LazyFrame:
    """Add ``__n{k}``: the first time step k happens at or after this row (NEVER if none)."""
    if not ks:
        return grid
    grid = grid.with_columns(
        *[
            nw.when(nw.col(f"__h{k}") == 1).then(nw.col("__t")).otherwise(nw.lit(NEVER))
            .cast(nw.Int64).alias(f"__n{k}")
            for k in ks
        ]
    )
    return grid.with_columns(
        *[
            nw.col(f"__n{k}").cum_min(reverse=True).over(CUSTOMER, order_by="__t")
            for k in ks
        ]
    )


def _in_window(t: nw.Expr, window: int | None) -> nw.Expr:
    ok = t < NEVER
    return ok if window is None else ok & ((t - nw.col("__a")) <= window)


def _sequential(grid: nw.LazyFrame, n: int, window: int | None, props: list[str]) -> nw.LazyFrame:
    table = materialize(_with_next(grid, range(2, n + 1)))
    attempts = table.filter(nw.col("__h1") == 1).select(
        CUSTOMER,
        nw.col("__t").alias("__a"),
        nw.col("__t").alias("__t1"),
        *([nw.col("__n2")] if n >= 2 else []),
        *[nw.col(f"__p_{p}") for p in props],
    )
    if n >= 2:
        attempts = attempts.with_columns(
            nw.when(_in_window(nw.col("__n2"), window)).then(nw.col("__n2")).alias("__t2")
        ).drop("__n2")
    for k in range(3, n + 1):
        lookup = table.select(
            CUSTOMER, nw.col("__t").alias(f"__j{k}"), nw.col(f"__n{k}").alias(f"__m{k}")
        )
        attempts = attempts.join(
            lookup, left_on=[CUSTOMER, f"__t{k - 1}"], right_on=[CUSTOMER, f"__j{k}"], how="left"
        )
        attempts = attempts.with_columns(
            nw.when(~nw.col(f"__t{k - 1}").is_null() & _in_window(nw.col(f"__m{k}"), window))
            .then(nw.col(f"__m{k}"))
            .alias(f"__t{k}")
        ).drop(f"__m{k}", f"__j{k}", strict=False)
    return attempts


def _sequential_polars(
    events: pl.LazyFrame, n: int, window: int | None, props: list[str]
) -> pl.LazyFrame | None:
    """Polars fast path for ``order="sequential"``: one forward as-of join per step.

    Same answer as :func:`_sequential` (parity tests run both). Customers are matched by a
    64-bit hash of their id; the join also carries the id, so a hash collision is detected
    (the matched event belongs to someone else) and the caller falls back to the portable
    path. Returns None in that case.
    """
    matched = events.filter(pl.col("__s") > 0).with_columns(pl.col(CUSTOMER).hash().alias("__c"))
    matched = matched.collect()
    starts = matched.filter(pl.col("__s") == 1)
    keys = ["__c", CUSTOMER, "__t"]
    starts = (
        starts.group_by(keys).agg(pl.col(p).min().alias(f"__p_{p}") for p in props)
        if props
        else starts.select(keys).unique()
    )
    attempts = starts.with_columns(pl.col("__t").alias("__a")).rename({"__t": "__t1"})
    finished = []
    for k in range(2, n + 1):
        right = (
            matched.filter(pl.col("__s") == k)
            .select("__c", pl.col(CUSTOMER).alias("__who"), pl.col("__t").alias(f"__t{k}"))
            .sort(f"__t{k}")
        )
        joined = attempts.sort(f"__t{k - 1}").join_asof(
            right, left_on=f"__t{k - 1}", right_on=f"__t{k}", by="__c", strategy="forward",
            check_sortedness=False,
        )
        if (joined["__who"].is_not_null() & (joined["__who"] != joined[CUSTOMER])).any():
            return None
        ok = pl.col(f"__t{k}").is_not_null()
        if window is not None:
            ok = ok & ((pl.col(f"__t{k}") - pl.col("__a")) <= window)
        finished.append(joined.filter(~ok).drop("__who", f"__t{k}"))
        attempts = joined.filter(ok).drop("__who")
    finished.append(attempts)
    table = pl.concat(finished, how="diagonal").drop("__c")
    order = [CUSTOMER, "__a", *[f"__p_{p}" for p in props], *[f"__t{k}" for k in range(1, n + 1)]]
    return table.select(order).lazy()


def _strict(grid: nw.LazyFrame, n: int, window: int | None, props: list[str]) -> nw.LazyFrame:
    ranked = materialize(
        grid.with_columns(nw.col("__t").rank("ordinal").over(CUSTOMER).cast(nw.Int64).alias("__r"))
    )
    # d = 0 is the attempt's own timestamp (a later step may tie with step 1).
    attempts = ranked.filter(nw.col("__h1") == 1).select(
        CUSTOMER,
        nw.col("__t").alias("__a"),
        nw.col("__r").alias("__r0"),
        *[nw.col(f"__h{k}").alias(f"__h{k}_0") for k in range(2, n + 1)],
        *[nw.col(f"__p_{p}") for p in props],
    )
    # Look up the n-1 distinct timestamps after the attempt's start.
    for d in range(1, n):
        lookup = ranked.select(
            CUSTOMER,
            (nw.col("__r") - d).alias(f"__q{d}"),
            nw.col("__t").alias(f"__x{d}"),
            *[nw.col(f"__h{k}").alias(f"__h{k}_{d}") for k in range(2, n + 1)],
        )
        attempts = attempts.join(
            lookup, left_on=[CUSTOMER, "__r0"], right_on=[CUSTOMER, f"__q{d}"], how="left"
        ).drop(f"__q{d}", strict=False)
    # reach[k][d]: step k can be matched at the d-th distinct timestamp after the start,
    # each step advancing at most one timestamp (nothing strictly between two steps).
    times = {0: nw.col("__a")} | {d: nw.col(f"__x{d}") for d in range(1, n)}
    reach: dict[int, dict[int, nw.Expr]] = {1: {0: nw.lit(True)}}
    for k in range(2, n + 1):
        reach[k] = {}
        for d in range(k):
            ok = nw.col(f"__h{k}_{d}").fill_null(0) == 1
            ok = ok & (reach[k - 1].get(d, nw.lit(False)) | reach[k - 1].get(d - 1, nw.lit(False)))
            if d > 0 and window is not None:
                ok = ok & ((times[d] - nw.col("__a")) <= window)
            reach[k][d] = ok
    columns = [nw.col("__a").alias("__t1")]
    for k in range(2, n + 1):
        earliest = [nw.when(reach[k][d]).then(times[d]) for d in range(k)]
        columns.append(nw.min_horizontal(*earliest).alias(f"__t{k}"))
    return attempts.select(CUSTOMER, "__a", *[nw.col(f"__p_{p}") for p in props], *columns)


def _any_order(grid: nw.LazyFrame, n: int, window: int | None, props: list[str]) -> nw.LazyFrame:
    table = _with_next(grid, range(1, n + 1))
    attempts = table.select(
        CUSTOMER, nw.col("__t").alias("__a"), *[nw.col(f"__n{k}") for k in range(1, n + 1)],
        *[nw.col(f"__p_{p}") for p in props],
    )
    columns, done, valid = [], nw.lit(True), nw.lit(True)
    for k in range(1, n + 1):
        done = nw.col("__n1") if k == 1 else nw.max_horizontal(done, nw.col(f"__n{k}"))
        valid = valid & _in_window(done, window)
        columns.append(nw.when(valid).then(done).alias(f"__t{k}"))
    keep = [CUSTOMER, "__a", *[f"__p_{p}" for p in props]]
    return attempts.select(*keep, *columns)


def attempts_table(
    touchpoints: Any,
    steps: Sequence[Step],
    *,
    within: str | timedelta | None = "7d",
    order: Order = "sequential",
    attempt: Attempt = "best",
    props: Sequence[str] = (),
    every: str | None = None,
    exclude: Collection[str] | None = None,
) -> tuple[nw.LazyFrame, list[str]]:
    """The counted attempt per customer (per customer and entry period with ``every``).

    Columns: customer_id, ``__a`` (window start, µs), ``__t1..__tn`` (time each step was
    reached, µs, null when not reached), ``__K`` (furthest step), properties as ``__p_*``
    and, with ``every``, ``__period`` (µs start of the entry period). Private: shared by
    funnel, funnel_trend, dropoffs and the explorer.
    """
    if order not in ("sequential", "strict", "any"):
        raise DataError(f"order={order!r}; use 'sequential', 'strict' or 'any'")
    if attempt not in ("best", "first"):
        raise DataError(f"attempt={attempt!r}; use 'best' or 'first'")
    sets, labels = normalize_steps(steps)
    n, window = len(sets), parse_duration(within)
    events = with_micros(touchpoints)
    require(events, [CUSTOMER, "ts", "touchpoint", *props])
    events = events.select(CUSTOMER, "__t", "touchpoint", *props).with_columns(
        _step_index(sets).alias("__s")
    )
    grid = _grid(
        events, n, props=list(props), prop_step=None if order == "any" else 1,
        keep_all=order == "strict",
    )
    fast = None
    if FAST_PATHS and order == "sequential" and events.implementation.is_polars():
        fast = _sequential_polars(events.to_native(), n, window, list(props))
    if fast is not None:
        attempts = nw.from_native(fast)
    elif order == "sequential":
        attempts = _sequential(grid, n, window, list(props))
    elif order == "strict":
        attempts = _strict(grid, n, window, list(props))
    else:
        attempts = _any_order(grid, n, window, list(props))
    reached = [(~nw.col(f"__t{k}").is_null()).cast(nw.Int32) for k in range(1, n + 1)]
    attempts = attempts.with_columns(nw.sum_horizontal(*reached).alias("__K"))
    partition = [CUSTOMER]
    if every is not None:
        width = parse_duration(every, name="every")
        start = nw.col("__a") + MONDAY_SHIFT if width % MICROS["w"] == 0 else nw.col("__a")
        period = (start // width) * width
        if width % MICROS["w"] == 0:
            period = period - MONDAY_SHIFT
        attempts = attempts.with_columns(period.alias("__period"))
        partition.append("__period")
    if attempt == "first":  # per customer (and period): before dropping empty windows
        attempts = attempts.filter(nw.col("__a") == nw.col("__a").min().over(*partition))
    attempts = attempts.filter(nw.col("__K") >= 1)
    best = attempts.filter(nw.col("__K") == nw.col("__K").max().over(*partition))
    best = best.filter(nw.col("__a") == nw.col("__a").min().over(*partition))
    if exclude:
        best = _drop_excluded(best, events, touchpoints, list(exclude), n)
    return best, labels


def _drop_excluded(
    best: nw.LazyFrame, events: nw.LazyFrame, touchpoints: Any, exclude: list[str], n: int
) -> nw.LazyFrame:
    """Drop attempts with an excluded touchpoint between their first and last step."""
    last = nw.max_horizontal(*[nw.col(f"__t{k}") for k in range(1, n + 1)])
    spans = best.filter(nw.col("__K") >= 2).select(CUSTOMER, "__a", last.alias("__z"))
    hits = with_micros(touchpoints).filter(nw.col("touchpoint").is_in(exclude)).select(
        CUSTOMER, nw.col("__t").alias("__e")
    )
    flagged = (
        spans.join(hits, on=CUSTOMER, how="inner")
        .filter((nw.col("__e") >= nw.col("__a")) & (nw.col("__e") <= nw.col("__z")))
        .select(CUSTOMER, "__a")
        .unique()
    )
    return best.join(flagged, on=[CUSTOMER, "__a"], how="anti")


def summarize(
    best: nw.LazyFrame, labels: list[str], by: list[str], *, confidence: float
) -> pl.DataFrame:
    """Aggregate counted attempts to the tidy funnel frame (polars; the result is small)."""
    n = len(labels)
    long = best.unpivot(
        on=[f"__t{k}" for k in range(1, n + 1)],
        index=[*by, "__a"],
        variable_name="__step",
        value_name="__tk",
    ).filter(~nw.col("__tk").is_null())
    counts = to_polars(
        long.with_columns((nw.col("__tk") - nw.col("__a")).alias("__dt"))
        .group_by(*by, "__step")
        .agg(
            nw.len().alias("customers"),
            nw.col("__dt").median().alias("__median"),
            nw.col("__dt").quantile(0.9, interpolation="linear").alias("__p90"),
        )
    ).with_columns(pl.col("__step").str.slice(3).cast(pl.Int32).alias("step_index"))
    step_frame = pl.DataFrame(
        {"step_index": pl.Series(range(1, n + 1), dtype=pl.Int32), "step": labels}
    )
    groups = counts.select(by).unique() if by else pl.DataFrame()
    grid = groups.join(step_frame, how="cross") if by else step_frame
    out = grid.join(counts.drop("__step"), on=[*by, "step_index"], how="left", nulls_equal=True)
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
        pl.when(pl.col("__n1") > 0).then(pl.col("customers") / pl.col("__n1"))
        .otherwise(pl.lit(0.0)).alias("conversion"),
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
    cols, props, attributes = _split_by(touchpoints, by, customers)
    best, labels = attempts_table(
        touchpoints, steps, within=within, order=order, attempt=attempt, props=props,
        exclude=exclude,
    )
    best = _attach(best, props, attributes, customers)
    return like_input(summarize(best, labels, cols, confidence=confidence), touchpoints)


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
) -> Any:
    """Funnel conversion by entry period: an incident shows as a dip in one period.

    A customer counts once per period in which they entered the funnel (did step 1), at the
    furthest step reached by an attempt starting in that period.

    Parameters
    ----------
    touchpoints, steps, within, order, attempt, by, exclude, customers, confidence
        As in :func:`funnel`.
    every : str
        Period length: ``"1d"``, ``"1w"`` (weeks start on Monday), ``"2w"``, ``"12h"``.

    Returns
    -------
    frame
        ``period`` (UTC start of the entry period), then the :func:`funnel` columns.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> trend = cx.funnel_trend(ds.touchpoints, ["checkout", "purchase"], "1d", every="1w")
    >>> trend.columns[:3]
    ['period', 'step_index', 'step']
    """
    cols, props, attributes = _split_by(touchpoints, by, customers)
    best, labels = attempts_table(
        touchpoints, steps, within=within, order=order, attempt=attempt, props=props,
        every=every, exclude=exclude,
    )
    best = _attach(best, props, attributes, customers)
    result = summarize(best, labels, ["__period", *cols], confidence=confidence)
    result = result.with_columns(
        pl.from_epoch(pl.col("__period"), time_unit="us").dt.replace_time_zone("UTC")
    ).rename({"__period": "period"})
    return like_input(result, touchpoints)


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
) -> Any:
    """Who reached step ``at`` and not step ``at + 1``, and what they did next.

    Parameters
    ----------
    touchpoints, steps, within, order, attempt, by, customers
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
        raise DataError(f"at={at}: use a step from 1 to {len(sets) - 1} (the last step has no "
                        "drop-off)")
    cols, props, attributes = _split_by(touchpoints, by, customers)
    best, _ = attempts_table(
        touchpoints, steps, within=within, order=order, attempt=attempt, props=props
    )
    best = _attach(best, props, attributes, customers)
    lost = best.filter(nw.col("__K") == at).select(
        CUSTOMER, *cols, nw.col(f"__t{at}").alias("__r")
    )
    lost = materialize(lost)
    events = with_micros(touchpoints).select(CUSTOMER, "__t", "touchpoint", "channel")
    after = lost.select(CUSTOMER, "__r").join(events, on=CUSTOMER, how="inner").filter(
        nw.col("__t") > nw.col("__r")
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
    as_time = lambda c: pl.from_epoch(pl.col(c), time_unit="us").dt.replace_time_zone("UTC")  # noqa: E731
    result = result.select(
        CUSTOMER,
        *cols,
        as_time("__r").alias("reached_at"),
        "next_touchpoint",
        "next_channel",
        as_time("__next").alias("next_at"),
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
