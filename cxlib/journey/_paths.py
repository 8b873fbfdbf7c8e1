"""Paths: how customers move from touchpoint to touchpoint.

Three views of the same ordered event log:

* :func:`transitions` — the directly-follows graph (process-mining style): how often each
  touchpoint is immediately followed by each other one;
* :func:`path_variants` — the most common whole journeys;
* :func:`paths_between` — what customers do between one touchpoint and the next occurrence
  of another.

Definitions shared by all three. A customer's events are ordered by time, ties broken by
touchpoint name (then by the ``by`` values), so a result never depends on input row order.
A *journey* (a sequence) is a customer's ordered events; when the touchpoints have a
``session_id`` column, each session is its own journey (an event without a session id is a
journey of its own), and with ``session_gap`` a pause longer than the gap starts a new one.
To analyse whole customer histories although ``session_id`` exists, drop that column first.
Rows without a customer id, timestamp or touchpoint are skipped (the loaders reject them).

How it is computed, once for every engine (narwhals): sequence numbers come from a running
sum of "starts a new journey" flags; positions from a running count, both in the caller's
engine. Path strings are built in the engine too, without ordered string aggregation
(which no backend offers portably): neighbouring steps are paired and concatenated, halving
the rows each round, so a journey of n steps needs ceil(log2 n) group-by rounds. Only the
small aggregated result is collected (to polars) and returned in the caller's library.
Window functions are applied to plain columns only: narwhals' pandas backend ignores the
``order_by`` of a window over a computed expression (``when(...).cum_max().over(...)``).
Polars fast paths (without ``by``; helpers in ``_sorted``): transitions without sessions
sort one 126-bit key per event (:func:`sort_by_customer`, as retention does); with sessions,
transitions and the journeys of :func:`sequences` come from one plain sort by customer,
session, time and touchpoint (:func:`sort_by_journey`). Neighbours are then read off the
sorted rows (NumPy, running sums); no window runs. Journeys in that order become lists of
touchpoint codes cut at their first rows (:func:`ordered_paths`): no group-by, no sort.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import narwhals as nw
import numpy as np
import polars as pl

from cxlib._engine import (
    CUSTOMER,
    Quantile,
    aggregate,
    check_values,
    like_input,
    materialize,
    parse_duration,
    polars_lazy,
    quantile,
    require,
    to_polars,
    with_micros,
)
from cxlib._errors import DataError
from cxlib.journey._sorted import (
    bits_for,
    count_pairs,
    ordered_paths,
    sort_by_customer,
    sort_by_journey,
)

SESSION = "session_id"
ARROW = " → "
START, END = "(start)", "(end)"
MORE = "…"
OTHER = "(other)"  # the pooled row, in parentheses like "(start)" and "(end)"
JOURNEY = "__journey"  # key of journeys numbered in order (rows in that order)


def _by_columns(by: str | Sequence[str] | None) -> list[str]:
    return [by] if isinstance(by, str) else list(by or [])


def _row_number(keys: Sequence[str], order: Sequence[str]) -> nw.Expr:
    """1, 2, 3, ... within ``keys`` in ``order`` (exact ties get distinct numbers)."""
    return nw.col("__one").cum_sum().over(*keys, order_by=list(order)).cast(nw.Int64)


def usable(frame: Any, columns: list[str], *, what: str = "touchpoints") -> nw.LazyFrame:
    """The frame with ``__t`` (µs), checked for ``columns``, without unusable rows.

    Rows without a customer id, a timestamp or (for touchpoints) a touchpoint are skipped:
    the loaders send such rows to ``rejects``, and a frame that was not cleaned should not
    count a null customer as a customer.
    """
    events = with_micros(frame)
    require(events, columns, what=what)
    keys = [CUSTOMER, "__t", *(["touchpoint"] if what == "touchpoints" else [])]
    return events.filter(*[~nw.col(key).is_null() for key in keys])


def sequences(
    touchpoints: Any,
    *,
    by: Sequence[str] = (),
    session_gap: str | timedelta | None = None,
    collapse_repeats: bool = False,
) -> tuple[nw.LazyFrame, list[str]]:
    """The event log cut into journeys (private; shared by the path analyses).

    Returns the events (``customer_id``, ``__t``, ``touchpoint``, ``by...``) with the key
    columns of their journey and ``__pos`` (1-based position in it), materialized, and the
    list of key columns. ``by`` values are those of the journey's first event. On the polars
    fast path (no ``by``) the keys are ``customer_id`` (a number per customer instead of the
    id: the callers only count customers) and ``JOURNEY``, and rows are in journey order.
    """
    gap = parse_duration(session_gap, name="session_gap")
    if gap is not None and gap <= 0:
        raise DataError(f"session_gap={session_gap!r} must be positive, e.g. '30m'")
    events = usable(touchpoints, [CUSTOMER, "ts", "touchpoint", *by])
    fast = None if by else _fast_sequences(events, gap, collapse_repeats)
    if fast is not None:
        return fast
    # Ties in time: by touchpoint name, then by the ``by`` values (nulls last on every engine).
    nulls = {f"__null{i}": nw.col(column).is_null() for i, column in enumerate(by)}
    order = ["__t", "touchpoint", *[c for pair in zip(nulls, by, strict=True) for c in pair]]
    columns = [
        CUSTOMER,
        "__t",
        "touchpoint",
        *by,
        *[e.alias(n) for n, e in nulls.items()],
        nw.lit(1).alias("__one"),
    ]
    if SESSION in events.collect_schema().names():
        events = events.select(
            *columns,
            nw.col(SESSION).is_null().alias("__lone"),
            nw.col(SESSION).cast(nw.String).fill_null("").alias("__session"),
        )
        partition = [CUSTOMER, "__session", "__lone"]
    else:
        events = events.select(*columns)
        partition = [CUSTOMER]
    events = events.with_columns(
        nw.col("__t").shift(1).over(*partition, order_by=order).alias("__prev")
    )
    new = nw.col("__prev").is_null()
    if gap is not None:
        new = new | ((nw.col("__t") - nw.col("__prev")) > gap)
    if "__lone" in partition:
        new = new | nw.col("__lone")
    events = events.with_columns(new.cast(nw.Int64).alias("__new")).with_columns(
        nw.col("__new").cum_sum().over(*partition, order_by=order).alias("__seq")
    )
    keys = [*partition, "__seq"]
    if collapse_repeats:
        previous = nw.col("touchpoint").shift(1).over(*keys, order_by=order)
        events = events.with_columns(previous.alias("__prev_tp")).filter(
            nw.col("__prev_tp").is_null() | (nw.col("__prev_tp") != nw.col("touchpoint"))
        )
    events = events.with_columns(_row_number(keys, order).alias("__pos"))
    events = events.select(*keys, "__t", "touchpoint", *by, "__pos")
    if by:
        entry = events.filter(nw.col("__pos") == 1).select(*keys, *by)
        events = events.drop(*by).join(entry, on=keys, how="inner")
    return materialize(events), keys


def _fast_sequences(
    events: nw.LazyFrame, gap: int | None, collapse_repeats: bool
) -> tuple[nw.LazyFrame, list[str]] | None:
    """:func:`sequences` without ``by`` for polars frames (None elsewhere): one sort
    (:func:`sort_by_journey`), then running sums and forward fills instead of windows."""
    native, schema = polars_lazy(events), events.collect_schema()
    if native is None or schema["touchpoint"] != nw.String or schema[CUSTOMER].is_float():
        return None  # a float id may be NaN, which the sort's neighbour test would split
    sessions = SESSION in schema
    ordered = sort_by_journey(native, SESSION if sessions else None, gap).lazy()
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    # Integer keys (grouping by them is cheaper than by ids and session texts): customers
    # and journeys numbered in sorted order, each journey's number unique over all customers.
    ordered = ordered.select(
        pl.col("__first").cum_sum().cast(pl.Int64).alias(CUSTOMER),
        pl.col("__new").cum_sum().cast(pl.Int64).alias(JOURNEY),
        "__new",
        "__t",
        "touchpoint",
    )
    if collapse_repeats:  # a journey's first event always stays
        ordered = ordered.filter(
            pl.col("__new") | (pl.col("touchpoint") != pl.col("touchpoint").shift(1))
        )
    start = row - pl.when(pl.col("__new")).then(row).forward_fill()
    positions = ordered.select(CUSTOMER, JOURNEY, "__t", "touchpoint", (start + 1).alias("__pos"))
    return nw.from_native(positions.collect().lazy()), [CUSTOMER, JOURNEY]


def join_paths(steps: nw.LazyFrame, keys: list[str], position: str, label: str) -> nw.LazyFrame:
    """One row per ``keys`` with ``__path``: the ``label`` values joined with " → " in order.

    ``position`` numbers the steps 1, 2, ... within ``keys``. Portable: neighbouring steps
    are concatenated pairwise, so n steps take ceil(log2 n) group-by rounds in the engine.
    """
    native = polars_lazy(steps)
    if native is not None and steps.collect_schema()[label] == nw.String and JOURNEY in keys:
        return nw.from_native(ordered_paths(native.collect(), keys, label, ARROW).lazy())
    if native is not None and steps.collect_schema()[label] == nw.String:
        # polars lists a group's labels in order: one group-by instead of log2 n rounds (the
        # list, then list.join, is twice as fast as str.join inside the aggregation)
        lists = native.group_by(keys).agg(pl.col(label).sort_by(position).alias("__path"))
        return nw.from_native(lists.with_columns(pl.col("__path").list.join(ARROW)))
    longest = to_polars(steps.select(nw.col(position).max())).item()
    level = steps.select(*keys, (nw.col(position) - 1).alias("__i"), nw.col(label).alias("__path"))
    for _ in range(math.ceil(math.log2(longest)) if longest and longest > 1 else 0):
        odd = nw.col("__i") % 2 == 1
        level = (
            level.with_columns(
                (nw.col("__i") // 2).alias("__half"),
                nw.when(~odd).then(nw.col("__path")).alias("__left"),
                nw.when(odd).then(nw.col("__path")).alias("__right"),
            )
            .group_by(*keys, "__half")
            .agg(nw.col("__left").max(), nw.col("__right").max())
            .select(
                *keys,
                nw.col("__half").alias("__i"),
                nw.concat_str(["__left", "__right"], separator=ARROW, ignore_nulls=True).alias(
                    "__path"
                ),
            )
        )
    return level.select(*keys, "__path")


def _top(
    paths: nw.LazyFrame, count: str, top: int, extra: dict[str, nw.Expr | Quantile]
) -> pl.DataFrame:
    """Count journeys per ``__path``; keep the ``top`` most common, pool the rest as "(other)".

    ``paths`` has one row per journey (``customer_id``, ``__path`` and what ``extra`` needs).
    Ranking happens in the engine, so only ``top + 1`` rows are collected.
    """
    if top < 1:
        raise DataError(f"top={top} must be at least 1")
    paths = materialize(paths)  # counted, then grouped again under its label
    counts = (
        paths.group_by("__path")
        .agg(nw.len().alias("__n"))
        .with_columns((-nw.col("__n").cast(nw.Int64)).alias("__desc"), nw.lit(1).alias("__one"))
    )
    ranked = counts.with_columns(_row_number([], ["__desc", "__path"]).alias("__rank"))
    pooled = nw.col("__rank") > top
    label = nw.when(pooled).then(nw.lit(OTHER)).otherwise(nw.col("__path"))
    labels = ranked.select("__path", label.alias("path"), pooled.alias("__other"), "__rank")
    # grouped with the flag: a journey whose path reads like the label is not pooled
    result = aggregate(
        paths.join(labels, on="__path", how="inner"),
        ["path", "__other"],
        nw.len().alias(count),
        nw.col(CUSTOMER).n_unique().alias("customers"),
        nw.col("__rank").min().alias("__rank"),
        *[expr.alias(name) for name, expr in extra.items()],
    ).with_columns(pl.col(count, "customers").cast(pl.Int64))
    total = result[count].sum()
    result = result.sort("__other", "__rank").with_columns(
        (pl.col(count) / total if total else pl.lit(None, dtype=pl.Float64)).alias("share")
    )
    return result.select("path", count, "customers", "share", *extra)


def transitions(
    touchpoints: Any,
    *,
    by: str | Sequence[str] | None = None,
    session_gap: str | timedelta | None = None,
) -> Any:
    """The directly-follows graph: how often one touchpoint is immediately followed by another.

    A transition is a pair of consecutive events of the same journey (see the module notes:
    a customer's events in time order, ties broken by touchpoint name; each session is its
    own journey when ``session_id`` exists; ``session_gap`` splits journeys at long pauses).
    Every journey also contributes ``"(start)" → first touchpoint`` and ``last touchpoint →
    "(end)"``, so the graph is complete: the transitions out of ``"(start)"`` sum to the
    number of journeys, and for every touchpoint transitions in = transitions out.

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints (polars DataFrame/LazyFrame, pandas, DuckDB or PySpark).
    by : str or list of str, optional
        Touchpoint columns to split the graph by. A journey belongs to the group of its first
        event (as a funnel's ``by`` comes from step 1), so ``by="channel"`` gives the graph
        by entry channel and still shows switches to other channels.
    session_gap : str or timedelta, optional
        A pause longer than this (``"30m"``) ends a journey; None: only sessions (or the
        customer) delimit journeys.

    Returns
    -------
    frame
        Same library as ``touchpoints``: ``by..., source, target, transitions`` (number of
        consecutive pairs), ``customers`` (distinct customers with the pair), ``share`` (of
        the transitions out of ``source``) and ``median_gap`` (Duration from source to
        target; null for the start and end markers). Sorted by source, then most frequent.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> graph = cx.transitions(ds.touchpoints)
    >>> graph.columns
    ['source', 'target', 'transitions', 'customers', 'share', 'median_gap']
    >>> starts = graph.filter(graph["source"] == "(start)")["transitions"].sum()
    >>> ends = graph.filter(graph["target"] == "(end)")["transitions"].sum()
    >>> starts == ends
    True
    """
    cols = _by_columns(by)
    graph = None if cols else _fast_transitions(touchpoints, session_gap)
    if graph is None:
        graph = _portable_transitions(touchpoints, cols, session_gap)
    result = graph.select(
        *cols,
        "source",
        "target",
        "transitions",
        "customers",
        (pl.col("transitions") / pl.col("transitions").sum().over([*cols, "source"])).alias(
            "share"
        ),
        pl.duration(microseconds=pl.col("__gap").round(0).cast(pl.Int64)).alias("median_gap"),
    ).sort([*cols, "source", -pl.col("transitions"), "target"], nulls_last=True)
    return like_input(result, touchpoints)


def _portable_transitions(
    touchpoints: Any, cols: list[str], session_gap: str | timedelta | None
) -> pl.DataFrame:
    """The graph as ``by..., source, target, transitions, customers, __gap`` (median, µs)."""
    events, keys = sequences(touchpoints, by=cols, session_gap=session_gap)
    steps = events.with_columns(
        nw.col("touchpoint").shift(1).over(*keys, order_by="__pos").alias("__source"),
        nw.col("__t").shift(1).over(*keys, order_by="__pos").alias("__from"),
        (nw.col("__pos") == nw.col("__pos").max().over(*keys)).alias("__last"),
    ).with_columns(
        nw.col("__source").fill_null(nw.lit(START)),
        (nw.col("__t") - nw.col("__from")).alias("__gap"),
    )
    # Every event is the target of one pair (the first one's source is "(start)"); the last
    # event of a journey is also the source of the pair to "(end)".
    into = aggregate(  # the median is exact on one machine, approximate on Spark
        steps,
        [*cols, "__source", "touchpoint"],
        nw.len().alias("transitions"),
        nw.col(CUSTOMER).n_unique().alias("customers"),
        quantile("__gap", 0.5),
    )
    out = (
        steps.filter(nw.col("__last"))
        .group_by(*cols, "touchpoint")
        .agg(nw.len().alias("transitions"), nw.col(CUSTOMER).n_unique().alias("customers"))
    )
    into = into.rename({"__source": "source", "touchpoint": "target"})
    out = to_polars(out).rename({"touchpoint": "source"}).with_columns(target=pl.lit(END))
    out = out.with_columns(__gap=pl.lit(None, dtype=pl.Float64))
    order = [*cols, "source", "target", "transitions", "customers", "__gap"]
    types = {"transitions": pl.Int64, "customers": pl.Int64, "__gap": pl.Float64}
    return pl.concat([frame.select(order).cast(types) for frame in (into, out)])


def _fast_transitions(touchpoints: Any, session_gap: str | timedelta | None) -> pl.DataFrame | None:
    """:func:`_portable_transitions` without ``by`` for polars frames, else None. Events
    sorted by (customer[, session], time, touchpoint code in name order), then counted."""
    gap = parse_duration(session_gap, name="session_gap")
    events = usable(touchpoints, [CUSTOMER, "ts", "touchpoint"])
    native, schema = polars_lazy(events), events.collect_schema()
    if native is None or schema["touchpoint"] != nw.String or gap == 0:
        return None
    names = native.select(pl.col("touchpoint").unique().sort()).collect().to_series().to_list()
    if not names:  # no usable event
        return None
    labels = [*names, START, END]
    if SESSION in schema:  # a session id does not fit in the packed key: a plain sort
        if schema[CUSTOMER].is_float():  # a NaN id would split at every row
            return None
        ordered = sort_by_journey(native, SESSION, gap)
        code = ordered["touchpoint"].cast(pl.Enum(names)).to_physical().to_numpy()
        first, new = ordered["__first"].to_numpy(), ordered["__new"].to_numpy()
        return count_pairs(first, new, ordered["__t"].to_numpy(), code.astype(np.int64), labels)
    low, high = native.select(pl.col("__t").min().alias("a"), pl.col("__t").max()).collect().row(0)
    shift, u = bits_for(len(names) - 1), pl.UInt64
    code = pl.col("touchpoint").cast(pl.Enum(names)).to_physical().cast(u)
    fields = (pl.col("__t") - low).cast(u) * pl.lit(1 << shift, u) + code
    ordered = sort_by_customer(native, fields, bits_for(high - low) + shift)
    if ordered is None:
        return None
    first, fields = ordered
    t = (fields >> np.uint64(shift)).view(np.int64)
    code = (fields & np.uint64((1 << shift) - 1)).astype(np.int64)
    new = first if gap is None else first | np.r_[False, np.diff(t) > gap]  # starts a journey
    return count_pairs(first, new, t, code, labels)


def path_variants(
    touchpoints: Any,
    *,
    top: int = 10,
    max_length: int | None = None,
    collapse_repeats: bool = True,
    session_gap: str | timedelta | None = None,
) -> Any:
    """The most common whole journeys, as " → "-joined paths.

    A journey is a customer's ordered events, or one session's when ``session_id`` exists
    (see the module notes). With ``collapse_repeats``, consecutive repeats of a touchpoint
    count once (visit, visit, product_view is ``visit → product_view``).

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints (polars, pandas, DuckDB or PySpark).
    top : int
        Number of paths listed; the remaining journeys are pooled in one ``"(other)"`` row, so
        the shares sum to 1.
    max_length : int, optional
        Keep the first ``max_length`` steps of each journey; a longer journey ends with
        ``" → …"`` so it is not mistaken for one that stopped there.
    collapse_repeats : bool
        Count consecutive repeats of a touchpoint once.
    session_gap : str or timedelta, optional
        A pause longer than this (``"30m"``) ends a journey.

    Returns
    -------
    frame
        Same library as ``touchpoints``: ``path``, ``journeys`` (number of journeys with that
        path), ``customers`` (distinct customers with it), ``share`` (of all journeys). Most
        common first (ties by path), ``"(other)"`` last and only when something is pooled.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> variants = cx.path_variants(ds.touchpoints, top=5, max_length=6)
    >>> variants.columns
    ['path', 'journeys', 'customers', 'share']
    >>> round(variants["share"].sum(), 9)
    1.0
    """
    if max_length is not None and max_length < 1:
        raise DataError(f"max_length={max_length} must be at least 1, or None for no limit")
    events, keys = sequences(
        touchpoints, session_gap=session_gap, collapse_repeats=collapse_repeats
    )
    if max_length is not None:
        events = events.filter(nw.col("__pos") <= max_length + 1).with_columns(
            nw.when(nw.col("__pos") > max_length)
            .then(nw.lit(MORE))
            .otherwise(nw.col("touchpoint"))
            .alias("touchpoint")
        )
    paths = join_paths(events, keys, "__pos", "touchpoint")
    result = _top(paths, "journeys", top, {})
    return like_input(result, touchpoints)


def _trips(events: nw.LazyFrame, source: str, target: str) -> nw.LazyFrame:
    """Each source event whose next source-or-target event is a target: one trip.

    Columns: customer_id, ``__a``/``__b`` (positions of the trip's ends), ``__ta``/``__tb``.
    """
    ends = events.filter(nw.col("touchpoint").is_in([source, target])).with_columns(
        (nw.col("touchpoint") == target).alias("__hit")
    )
    ends = ends.with_columns(
        *[
            nw.col(name).shift(-1).over(CUSTOMER, order_by="__pos").alias(alias)
            for name, alias in (("__pos", "__b"), ("__t", "__tb"), ("__hit", "__hit"))
        ]
    )
    trips = ends.filter((nw.col("touchpoint") == source) & nw.col("__hit").fill_null(False))
    return trips.select(
        CUSTOMER,
        nw.col("__pos").alias("__a"),
        nw.col("__b").cast(nw.Int64),
        nw.col("__t").alias("__ta"),
        nw.col("__tb").cast(nw.Int64),
    )


def paths_between(
    touchpoints: Any,
    source: str,
    target: str,
    *,
    top: int = 10,
    max_steps: int | None = 10,
    collapse_repeats: bool = True,
) -> Any:
    """What customers do between a ``source`` touchpoint and the next ``target``.

    A *trip* starts at a ``source`` event and ends at the first ``target`` event after it,
    with no other ``source`` in between (a repeated source restarts the trip: the path is
    the one from the last source before the target). Events are ordered per customer by
    time, ties by touchpoint name; sessions do not cut trips (a view on Monday and a
    purchase on Friday are one trip). Each trip's path is ``source → steps... → target``;
    consecutive repeats of a step count once with ``collapse_repeats``.

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints (polars, pandas, DuckDB or PySpark).
    source, target : str
        Touchpoints that open and close a trip (they may be the same touchpoint: the trips
        are then the gaps between its consecutive occurrences).
    top : int
        Number of paths listed; the other trips are pooled in one ``"(other)"`` row.
    max_steps : int or None
        Steps shown between source and target; a trip with more shows its first
        ``max_steps`` then ``…``. None: no limit.
    collapse_repeats : bool
        Count consecutive repeats of an in-between touchpoint once.

    Returns
    -------
    frame
        Same library as ``touchpoints``: ``path``, ``trips``, ``customers`` (distinct),
        ``share`` (of all trips) and ``median_time`` (Duration from source to target).
        Most common first, ``"(other)"`` last and only when something is pooled.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> between = cx.paths_between(ds.touchpoints, "add_to_cart", "purchase", top=3)
    >>> between.columns
    ['path', 'trips', 'customers', 'share', 'median_time']
    """
    if max_steps is not None and max_steps < 0:
        raise DataError(f"max_steps={max_steps} must be 0 or more, or None for no limit")
    events = usable(touchpoints, [CUSTOMER, "ts", "touchpoint"])
    events = events.select(CUSTOMER, "__t", "touchpoint", nw.lit(1).alias("__one"))
    events = materialize(
        events.with_columns(_row_number([CUSTOMER], ["__t", "touchpoint"]).alias("__pos"))
    )
    trips = materialize(_trips(events, source, target))
    latest_source = nw.when(nw.col("touchpoint") == source).then(nw.col("__pos")).otherwise(0)
    steps = (
        events.with_columns(latest_source.alias("__a"))
        .with_columns(nw.col("__a").cum_max().over(CUSTOMER, order_by="__pos"))
        .filter(~nw.col("touchpoint").is_in([source, target]))
    )
    steps = steps.join(trips.select(CUSTOMER, "__a", "__b"), on=[CUSTOMER, "__a"], how="inner")
    steps = steps.filter(nw.col("__pos") < nw.col("__b"))
    keys = [CUSTOMER, "__a"]
    if collapse_repeats:
        previous = nw.col("touchpoint").shift(1).over(*keys, order_by="__pos")
        steps = steps.with_columns(previous.alias("__prev_tp")).filter(
            nw.col("__prev_tp").is_null() | (nw.col("__prev_tp") != nw.col("touchpoint"))
        )
    steps = steps.with_columns(_row_number(keys, ["__pos"]).alias("__k"))
    if max_steps is not None:
        steps = steps.filter(nw.col("__k") <= max_steps + 1).with_columns(
            nw.when(nw.col("__k") > max_steps)
            .then(nw.lit(MORE))
            .otherwise(nw.col("touchpoint"))
            .alias("touchpoint")
        )
    middles = join_paths(materialize(steps), keys, "__k", "touchpoint")
    paths = trips.join(middles, on=keys, how="left").select(
        CUSTOMER,
        (nw.col("__tb") - nw.col("__ta")).alias("__dt"),
        nw.concat_str(
            [nw.lit(source), nw.col("__path"), nw.lit(target)], separator=ARROW, ignore_nulls=True
        ).alias("__path"),
    )
    result = _top(paths, "trips", top, {"__median": quantile("__dt", 0.5)})
    result = result.with_columns(
        pl.duration(microseconds=pl.col("__median").round(0).cast(pl.Int64)).alias("median_time")
    ).drop("__median")
    if result.height == 0:  # no trip: perhaps a misspelt touchpoint
        check_values(touchpoints, "touchpoint", [source], argument="source", what="touchpoint")
        check_values(touchpoints, "touchpoint", [target], argument="target", what="touchpoint")
    return like_input(result, touchpoints)
