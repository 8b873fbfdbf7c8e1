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
from cxlib.journey.funnel._attempts import (
    HOLD,
    Count,
    Duration,
    episodes,
    per_step,
    pick_counted,
    sequential_gaps,
    unit_column,
)
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
    events: nw.LazyFrame,
    n: int,
    *,
    props: list[str],
    prop_step: int | None,
    keep_all: bool,
    keys: list[str],
) -> nw.LazyFrame:
    """One row per (stream, timestamp): a flag per step and property values.

    A stream is a customer (``keys``: customer_id), or a unit and a held value.

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
    return events.group_by(*keys, "__t").agg(
        *[nw.col(f"__h{k}").max() for k in range(1, n + 1)],
        *[nw.col(f"__p_{p}").min() for p in props],
    )


def _with_next(grid: nw.LazyFrame, ks: range, keys: list[str]) -> nw.LazyFrame:
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
        *[nw.col(f"__n{k}").cum_min(reverse=True).over(*keys, order_by="__t") for k in ks]
    )


def _in_window(t: nw.Expr, window: int | None) -> nw.Expr:
    ok = t < NEVER
    return ok if window is None else ok & ((t - nw.col("__a")) <= window)


def _sequential(
    grid: nw.LazyFrame, n: int, window: int | None, props: list[str], keys: list[str]
) -> nw.LazyFrame:
    table = materialize(_with_next(grid, range(2, n + 1), keys))
    attempts = table.filter(nw.col("__h1") == 1).select(
        *keys,
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
            *keys, nw.col("__t").alias(f"__j{k}"), nw.col(f"__n{k}").alias(f"__m{k}")
        )
        attempts = attempts.join(
            lookup, left_on=[*keys, f"__t{k - 1}"], right_on=[*keys, f"__j{k}"], how="left"
        )
        attempts = attempts.with_columns(
            nw.when(~nw.col(f"__t{k - 1}").is_null() & _in_window(nw.col(f"__m{k}"), window))
            .then(nw.col(f"__m{k}"))
            .alias(f"__t{k}")
        ).drop(f"__m{k}", f"__j{k}", strict=False)
    return attempts


def _strict(
    grid: nw.LazyFrame, n: int, window: int | None, props: list[str], keys: list[str]
) -> nw.LazyFrame:
    ranked = materialize(
        grid.with_columns(nw.col("__t").rank("ordinal").over(*keys).cast(nw.Int64).alias("__r"))
    )
    # d = 0 is the attempt's own timestamp (a later step may tie with step 1).
    attempts = ranked.filter(nw.col("__h1") == 1).select(
        *keys,
        nw.col("__t").alias("__a"),
        nw.col("__r").alias("__r0"),
        *[nw.col(f"__h{k}").alias(f"__h{k}_0") for k in range(2, n + 1)],
        *[nw.col(f"__p_{p}") for p in props],
    )
    # Look up the n-1 distinct timestamps after the attempt's start.
    for d in range(1, n):
        lookup = ranked.select(
            *keys,
            (nw.col("__r") - d).alias(f"__q{d}"),
            nw.col("__t").alias(f"__x{d}"),
            *[nw.col(f"__h{k}").alias(f"__h{k}_{d}") for k in range(2, n + 1)],
        )
        attempts = attempts.join(
            lookup, left_on=[*keys, "__r0"], right_on=[*keys, f"__q{d}"], how="left"
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
    return attempts.select(*keys, "__a", *[nw.col(f"__p_{p}") for p in props], *columns)


def _any_order(
    grid: nw.LazyFrame, n: int, window: int | None, props: list[str], keys: list[str]
) -> nw.LazyFrame:
    table = _with_next(grid, range(1, n + 1), keys)
    attempts = table.select(
        *keys,
        nw.col("__t").alias("__a"),
        *[nw.col(f"__n{k}") for k in range(1, n + 1)],
        *[nw.col(f"__p_{p}") for p in props],
    )
    columns, done, valid = [], nw.lit(True), nw.lit(True)
    for k in range(1, n + 1):
        done = nw.col("__n1") if k == 1 else nw.max_horizontal(done, nw.col(f"__n{k}"))
        valid = valid & _in_window(done, window)
        columns.append(nw.when(valid).then(done).alias(f"__t{k}"))
    keep = [*keys, "__a", *[f"__p_{p}" for p in props]]
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
    unit: str = "customer",
    hold: str | None = None,
    count: Count = "customers",
    step_within: Duration | Sequence[Duration] = None,
    min_gap: Duration | Sequence[Duration] = None,
) -> tuple[nw.LazyFrame, list[str]]:
    """The counted attempt per unit (per unit and entry period with ``every``; per unit and
    episode with ``count="attempts"``).

    Columns: customer_id (the unit's id, whatever ``unit`` is), ``__a`` (window start, µs),
    ``__t1..__tn`` (time each step was reached, µs, null when not reached), ``__K``
    (furthest step), properties as ``__p_*`` and, with ``every``, ``__period`` (µs start of
    the entry period). Private: shared by funnel, funnel_trend, dropoffs and the explorer.
    """
    if order not in ("sequential", "strict", "any"):
        raise DataError(f"order={order!r}; use 'sequential', 'strict' or 'any'")
    if attempt not in ("best", "first"):
        raise DataError(f"attempt={attempt!r}; use 'best' or 'first'")
    if engine not in ("auto", "portable"):
        raise DataError(f"engine={engine!r}; use 'auto' or 'portable'")
    if count not in ("customers", "attempts"):
        raise DataError(f"count={count!r}; use 'customers' or 'attempts'")
    sets, labels = normalize_steps(steps)
    n, window = len(sets), parse_duration(within)
    gaps = per_step(step_within, n, name="step_within", default=None)
    mins = per_step(min_gap, n, name="min_gap", default=0)
    if (gaps or mins) and order != "sequential":
        raise DataError(
            f"step_within and min_gap apply to order='sequential' (got order={order!r}); "
            "drop them or use the sequential order"
        )
    column = unit_column(unit)
    events = with_micros(touchpoints)
    require(events, [column, "ts", "touchpoint", *props, *([hold] if hold else [])])
    held = [nw.col(hold).alias(HOLD)] if hold else []
    events = events.select(
        nw.col(column).alias(CUSTOMER), "__t", "touchpoint", *props, *held
    ).with_columns(_step_index(sets).alias("__s"))
    if column != CUSTOMER:  # an event without the unit's id belongs to no unit
        events = events.filter(~nw.col(CUSTOMER).is_null())
    period = None if every is None else parse_duration(every, name="every")
    simple = hold is None and count == "customers" and gaps is None and mins is None
    if simple and engine == "auto" and order == "sequential" and events.implementation.is_polars():
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
                best = _drop_excluded(best, events, list(exclude), n)
            return best, labels
    keys = [CUSTOMER, HOLD] if hold else [CUSTOMER]
    streams = events
    if hold:  # an event without the held value can only be step 1, in a stream of its own
        streams = events.filter(~nw.col(HOLD).is_null() | (nw.col("__s") == 1))
    grid = _grid(
        streams,
        n,
        props=list(props),
        prop_step=None if order == "any" else 1,
        keep_all=order == "strict",
        keys=keys,
    )
    if gaps is not None or mins is not None:
        attempts = sequential_gaps(
            grid,
            n,
            window,
            keys,
            list(props),
            gaps=gaps or [None] * (n - 1),
            mins=[m or 0 for m in mins or [0] * (n - 1)],
        )
    elif order == "sequential":
        attempts = _sequential(grid, n, window, list(props), keys)
    elif order == "strict":
        attempts = _strict(grid, n, window, list(props), keys)
    else:
        attempts = _any_order(grid, n, window, list(props), keys)
    reached = [(~nw.col(f"__t{k}").is_null()).cast(nw.Int32) for k in range(1, n + 1)]
    attempts = attempts.with_columns(nw.sum_horizontal(*reached).alias("__K"))
    partition = [CUSTOMER]
    if count == "attempts":  # before the periods: an episode may run into the next period
        attempts = episodes(attempts.filter(nw.col("__K") >= 1), n)
        partition.append("__episode")
    if period is not None:
        attempts = attempts.with_columns(period_start(nw.col("__a"), period).alias("__period"))
        partition.append("__period")
    if attempt == "first":  # per customer (and period): before dropping empty windows
        attempts = attempts.filter(nw.col("__a") == nw.col("__a").min().over(*partition))
    attempts = attempts.filter(nw.col("__K") >= 1)
    best = pick_counted(attempts, partition, n, held=hold is not None)
    if hold:
        best = best.drop(HOLD)
    if count == "attempts":
        best = best.drop("__episode")
    if exclude:
        best = _drop_excluded(best, events, list(exclude), n)
    return best, labels


def _drop_excluded(
    best: nw.LazyFrame, events: nw.LazyFrame, exclude: list[str], n: int
) -> nw.LazyFrame:
    """Drop attempts with an excluded touchpoint (any event of the unit) between their first
    and last step."""
    last = nw.max_horizontal(*[nw.col(f"__t{k}") for k in range(1, n + 1)])
    spans = best.filter(nw.col("__K") >= 2).select(CUSTOMER, "__a", last.alias("__z"))
    hits = events.filter(nw.col("touchpoint").is_in(exclude)).select(
        CUSTOMER, nw.col("__t").alias("__e")
    )
    flagged = (
        spans.join(hits, on=CUSTOMER, how="inner")
        .filter((nw.col("__e") >= nw.col("__a")) & (nw.col("__e") <= nw.col("__z")))
        .select(CUSTOMER, "__a")
        .unique()
    )
    return best.join(flagged, on=[CUSTOMER, "__a"], how="anti")
