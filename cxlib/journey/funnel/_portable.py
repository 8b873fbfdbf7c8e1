"""Funnels: how many customers get from step 1 to step k, and how fast.

Semantics (docs/architecture.md, "Funnel semantics"). A customer reaches step k when some
occurrence of step 1 is followed, in time order, by steps 2..k, all within ``within`` of that step-1
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
(customer, timestamp). Polars inputs of sequential funnels take the fast path in
:mod:`cxlib.journey.funnel._fast` (same answer; the tests run both). Greedy earliest matching is
exact for ``sequential`` because steps do not share touchpoints; ``strict`` keeps the set of
reachable time ranks (a step advances at most one distinct timestamp), so ties cannot
mislead it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Any, Literal

import narwhals as nw
import polars as pl

from cxlib._engine import (
    CUSTOMER,
    NEVER,
    materialize,
    parse_duration,
    period_start,
    require,
    with_micros,
)
from cxlib._errors import DataError
from cxlib.journey.funnel._fast import sequential_counted

Step = str | Collection[str]
Order = Literal["sequential", "strict", "any"]
Attempt = Literal["best", "first"]
# "auto": the polars fast path where it applies (sequential funnels of polars frames);
# "portable": always the narwhals plan every backend runs. Same answer (the tests run both).
Engine = Literal["auto", "portable"]


def normalize_steps(steps: Sequence[Step]) -> tuple[list[frozenset[str]], list[str]]:
    """Steps as sets of touchpoints, with their display labels; checks they do not overlap."""
    if isinstance(steps, str) or len(steps) == 0:
        raise DataError(
            "steps must be a list of touchpoints, e.g. ['visit', 'add_to_cart', 'purchase']"
        )
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
    # int8 literals when they fit: each level of the when/then chain is a column of them
    # (10M touchpoints in polars: 50 against 65 ms)
    dtype = nw.Int8 if len(steps) <= 127 else nw.Int32
    expr: nw.Expr = nw.lit(0, dtype)
    for k in range(len(steps), 0, -1):
        members = sorted(steps[k - 1])  # == is several times faster than is_in on strings
        in_step = (
            nw.col("touchpoint") == members[0]
            if len(members) == 1
            else nw.col("touchpoint").is_in(members)
        )
        expr = nw.when(in_step).then(nw.lit(k, dtype)).otherwise(expr)
    return expr.cast(dtype)


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
            nw.when(nw.col(f"__h{k}") == 1)
            .then(nw.col("__t"))
            .otherwise(nw.lit(NEVER))
            .cast(nw.Int64)
            .alias(f"__n{k}")
            for k in ks
        ]
    )
    return grid.with_columns(
        *[nw.col(f"__n{k}").cum_min(reverse=True).over(CUSTOMER, order_by="__t") for k in ks]
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
        CUSTOMER,
        nw.col("__t").alias("__a"),
        *[nw.col(f"__n{k}") for k in range(1, n + 1)],
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
    engine: Engine = "auto",
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
    if engine not in ("auto", "portable"):
        raise DataError(f"engine={engine!r}; use 'auto' or 'portable'")
    sets, labels = normalize_steps(steps)
    n, window = len(sets), parse_duration(within)
    events = with_micros(touchpoints)
    require(events, [CUSTOMER, "ts", "touchpoint", *props])
    events = events.select(CUSTOMER, "__t", "touchpoint", *props).with_columns(
        _step_index(sets).alias("__s")
    )
    period = None if every is None else parse_duration(every, name="every")
    if engine == "auto" and order == "sequential" and events.implementation.is_polars():
        native = nw.to_native(touchpoints, pass_through=True)
        fast = sequential_counted(
            events.to_native(),
            n,
            window,
            list(props),
            attempt=attempt,
            period=period,
            in_memory=isinstance(native, pl.DataFrame),
            members=sorted(set().union(*sets)),
        )
        if fast is not None:
            best = nw.from_native(fast.lazy())
            if exclude:
                best = _drop_excluded(best, events, touchpoints, list(exclude), n)
            return best, labels
    grid = _grid(
        events,
        n,
        props=list(props),
        prop_step=None if order == "any" else 1,
        keep_all=order == "strict",
    )
    if order == "sequential":
        attempts = _sequential(grid, n, window, list(props))
    elif order == "strict":
        attempts = _strict(grid, n, window, list(props))
    else:
        attempts = _any_order(grid, n, window, list(props))
    reached = [(~nw.col(f"__t{k}").is_null()).cast(nw.Int32) for k in range(1, n + 1)]
    attempts = attempts.with_columns(nw.sum_horizontal(*reached).alias("__K"))
    partition = [CUSTOMER]
    if period is not None:
        attempts = attempts.with_columns(period_start(nw.col("__a"), period).alias("__period"))
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
    hits = (
        with_micros(touchpoints)
        .filter(nw.col("touchpoint").is_in(exclude))
        .select(CUSTOMER, nw.col("__t").alias("__e"))
    )
    flagged = (
        spans.join(hits, on=CUSTOMER, how="inner")
        .filter((nw.col("__e") >= nw.col("__a")) & (nw.col("__e") <= nw.col("__z")))
        .select(CUSTOMER, "__a")
        .unique()
    )
    return best.join(flagged, on=[CUSTOMER, "__a"], how="anti")
