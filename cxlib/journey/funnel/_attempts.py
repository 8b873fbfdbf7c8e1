"""Entity- and attempt-level funnels: units, held values, per-step gaps and counted attempts.

The options of :func:`cxlib.journey.funnel.funnel` that change *what* is counted, written
once for every engine (narwhals), used by :mod:`cxlib.journey.funnel._portable`:

* ``unit`` — the id the funnel follows (``"customer"``, ``"session"``, ``"order"`` or any
  column): its values take the place of ``customer_id`` inside the engine;
* ``hold`` — a column every step of an attempt shares: each unit's events are split into
  one *stream* per value, the chains run inside a stream (key: unit and value); an event
  whose value is null can only be step 1 (its stream holds step-1 events alone);
* ``step_within`` / ``min_gap`` — bounds on the time between consecutive steps: chains are
  followed as sets of reachable events (:func:`sequential_gaps`), because with a maximum
  gap the earliest next step is not always the one that gets furthest;
* ``count="attempts"`` — a unit's attempts grouped into non-overlapping *episodes*
  (:func:`episodes`), each counted once at its best (or first) attempt.

Nothing here runs on the default path (``unit="customer"``, no ``hold``, no gaps,
``count="customers"``): it keeps its fast path and its plan unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Literal

import narwhals as nw

from cxlib._engine import CUSTOMER, materialize, parse_duration
from cxlib._errors import DataError

Count = Literal["customers", "attempts"]
Duration = str | timedelta | None
HOLD = "__hold"  # the held column inside the engine
UNITS = {"customer": CUSTOMER, "session": "session_id", "order": "order_id"}


def unit_column(unit: str) -> str:
    """The id column a funnel follows: ``"customer"``, ``"session"``, ``"order"`` or a column.

    Examples
    --------
    >>> unit_column("session"), unit_column("subscription_id")
    ('session_id', 'subscription_id')
    """
    if not isinstance(unit, str) or not unit:
        raise DataError(
            f"unit={unit!r}; use 'customer', 'session', 'order' or the name of an id column"
        )
    return UNITS.get(unit, unit)


def per_step(
    value: Duration | Sequence[Duration], n: int, *, name: str, default: int | None
) -> list[int | None] | None:
    """One bound (µs) per step 2..n from a duration or a sequence of ``n - 1`` of them.

    None when ``value`` is None (no bound at all). A None inside the sequence is that step's
    ``default``.

    Examples
    --------
    >>> per_step("1m", 3, name="min_gap", default=0)
    [60000000, 60000000]
    >>> per_step(["1h", None], 3, name="step_within", default=None)
    [3600000000, None]
    """
    if value is None:
        return None
    if isinstance(value, (str, timedelta)):
        values: list[Duration] = [value] * (n - 1)
    else:
        values = list(value)
        if len(values) != n - 1:
            raise DataError(
                f"{name} has {len(values)} values for {n} steps; give one per step after the "
                f"first ({n - 1}), or a single duration for every step"
            )
    parsed = [parse_duration(v, name=name) for v in values]
    return [default if v is None else v for v in parsed]


def sequential_gaps(
    grid: nw.LazyFrame,
    n: int,
    window: int | None,
    keys: list[str],
    props: list[str],
    *,
    gaps: list[int | None],
    mins: list[int],
) -> nw.LazyFrame:
    """Sequential attempts whose consecutive steps are at least ``mins`` and at most ``gaps``
    apart (µs, per step 2..n; None: no maximum), all within ``window`` of step 1.

    Step k is reached when some chain of events e1 <= e2 <= ... <= ek exists (ei of step i,
    the rules above); its time is the earliest such ek. The set of events that can be the
    k-th of a chain is carried step to step (a maximum gap makes the earliest event of a
    step a poorer start than a later one); with minimum gaps only, the earliest is always
    the best and one event per attempt is carried. Each step pairs an attempt's events with
    the stream's events of the next step: the cost grows with both.
    """
    table = materialize(grid)
    attempts = table.filter(nw.col("__h1") == 1).select(
        *keys,
        nw.col("__t").alias("__a"),
        nw.col("__t").alias("__t1"),
        *[nw.col(f"__p_{p}") for p in props],
    )
    level = attempts.select(*keys, "__a", nw.col("__a").alias("__c"))
    greedy = all(g is None for g in gaps)
    for k in range(2, n + 1):
        arrivals = table.filter(nw.col(f"__h{k}") == 1).select(*keys, nw.col("__t").alias("__e"))
        ok = nw.col("__e") >= nw.col("__c") + mins[k - 2]
        if gaps[k - 2] is not None:
            ok = ok & (nw.col("__e") - nw.col("__c") <= gaps[k - 2])
        if window is not None:
            ok = ok & (nw.col("__e") - nw.col("__a") <= window)
        pairs = level.join(arrivals, on=keys, how="inner").filter(ok)
        if greedy:
            level = pairs.group_by(*keys, "__a").agg(nw.col("__e").min().alias("__c"))
        else:
            level = pairs.select(*keys, "__a", nw.col("__e").alias("__c")).unique()
        level = materialize(level)
        reached = level.group_by(*keys, "__a").agg(nw.col("__c").min().alias(f"__t{k}"))
        attempts = attempts.join(reached, on=[*keys, "__a"], how="left")
    return attempts


def episodes(attempts: nw.LazyFrame, n: int) -> nw.LazyFrame:
    """Number each unit's attempts (furthest step >= 1) by non-overlapping episode.

    An attempt spans from its start to the time of the furthest step it reaches. Attempts
    starting at the same time belong together; a start begins a new episode when it is
    strictly after the end of every earlier attempt of the unit, otherwise it joins the
    episode in progress. Adds ``__episode`` (1, 2, ... per unit).
    """
    end = nw.coalesce(*[nw.col(f"__t{k}") for k in range(n, 0, -1)])
    attempts = materialize(attempts)
    spans = (
        attempts.with_columns(end.alias("__z"))
        .group_by(CUSTOMER, "__a")
        .agg(nw.col("__z").max())
        .with_columns(nw.col("__z").cum_max().over(CUSTOMER, order_by="__a").alias("__m"))
        .with_columns(nw.col("__m").shift(1).over(CUSTOMER, order_by="__a"))
    )
    fresh = (nw.col("__m").is_null() | (nw.col("__a") > nw.col("__m"))).cast(nw.Int64)
    spans = spans.with_columns(fresh.alias("__new")).with_columns(
        nw.col("__new").cum_sum().over(CUSTOMER, order_by="__a").alias("__episode")
    )
    return attempts.join(spans.select(CUSTOMER, "__a", "__episode"), on=[CUSTOMER, "__a"])


def pick_counted(
    attempts: nw.LazyFrame, partition: list[str], n: int, *, held: bool
) -> nw.LazyFrame:
    """The counted attempt of each partition: furthest step, then earliest start.

    With a held column several attempts may start at the same time (one per value): the
    earliest time at step 2, then 3, ... decides, then the smallest held value (a non-null
    value before null).
    """
    best = attempts.filter(nw.col("__K") == nw.col("__K").max().over(*partition))
    best = best.filter(nw.col("__a") == nw.col("__a").min().over(*partition))
    if not held:
        return best
    for k in range(2, n + 1):
        at = nw.col(f"__t{k}")
        best = best.filter(at.is_null() | (at == at.min().over(*partition)))
    smallest = nw.col(HOLD).min().over(*partition)
    return best.filter(smallest.is_null() | (nw.col(HOLD) == smallest))
