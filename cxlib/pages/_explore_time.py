"""Time to convert, for the funnel explorer: how long customers took from step k to k+1.

Among the customers whose counted attempt (the one :func:`cxlib.funnel` counts) reached
step k + 1, the time from their step k to their step k + 1 (for ``order="any"``, the times
at which steps 1..k and 1..k+1 were all done). :func:`time_to_convert` gives its quartiles
and 90th percentile per step; :func:`time_to_convert_chart` draws them as boxes.

>>> import cxlib as cx
>>> from cxlib.pages.explore import time_to_convert
>>> ds = cx.load("data/sample")
>>> timing = time_to_convert(ds.touchpoints, ["visit", "add_to_cart", "purchase"], "7d")
>>> timing.select("step", "next_step").rows()
[('visit', 'add_to_cart'), ('add_to_cart', 'purchase')]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import polars as pl

from cxlib._engine import CUSTOMER, parse_duration
from cxlib.journey import FunnelEngine, normalize_steps
from cxlib.pages._chart_base import COUNT, MISSING, PALETTE, WIDTH, _plain

__all__ = [
    "conversion_times",
    "time_to_convert",
    "time_to_convert_chart",
    "time_to_convert_data",
    "timing_of",
    "unit_title",
]

QUANTILES = (("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9))
SAID = ("25th percentile", "Median", "75th percentile", "90th percentile")
UNITS = (("minutes", 60.0), ("hours", 3_600.0), ("days", 86_400.0))


def conversion_times(
    engine: FunnelEngine,
    view: Any,
    steps: Sequence[Any],
    window: int | None,
    *,
    order: str = "sequential",
    by: str | None = None,
) -> pl.DataFrame:
    """One row per customer and step they went on from: ``customer_id``, ``by``,
    ``step_index`` (k), ``reached_at`` (step k, UTC) and ``time_to_convert`` (to step k + 1).

    ``engine`` and ``view`` are the explorer's (:class:`cxlib.journey.FunnelEngine`); the
    customers are those of ``engine.funnel(view, steps, window, order=order, by=by)``.
    """
    counted = engine.count(view, steps, window, order)
    waits = _waits(engine, view, counted, by)
    ids = engine.customer.decode(counted.customers[waits["__i"].to_numpy()], CUSTOMER)
    return waits.select(
        ids,
        *([by] if by else []),
        "step_index",
        pl.from_epoch("__r", time_unit="us").dt.replace_time_zone("UTC").alias("reached_at"),
        pl.duration(microseconds="__d").alias("time_to_convert"),
    )


def _waits(engine: FunnelEngine, view: Any, counted: Any, by: str | None) -> pl.DataFrame:
    """Per customer who went on from step k: ``__i`` (their index in ``counted``), ``by``,
    ``step_index`` (k), ``__r`` (step k, µs) and ``__d`` (µs to step k + 1)."""
    # µs per step and customer; steps not reached hold a sentinel, never read here
    times = engine.step_times(counted)
    group = engine.by_values(view, counted, by) if by else None
    parts = []
    for k in range(1, len(times)):
        went_on = np.flatnonzero(counted.furthest > k)
        parts.append(
            pl.DataFrame(
                [
                    pl.Series("__i", went_on, pl.Int64),
                    *([group.gather(went_on)] if group is not None else []),
                    pl.Series("step_index", np.full(went_on.size, k, np.int32)),
                    pl.Series("__r", times[k - 1, went_on], pl.Int64),
                    pl.Series("__d", times[k, went_on] - times[k - 1, went_on], pl.Int64),
                ]
            )
        )
    schema = {"__i": pl.Int64, **({by: group.dtype} if by else {})}
    schema |= {"step_index": pl.Int32, "__r": pl.Int64, "__d": pl.Int64}
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


def timing_of(
    engine: FunnelEngine,
    view: Any,
    steps: Sequence[Any],
    window: int | None,
    *,
    order: str = "sequential",
    by: str | None = None,
) -> pl.DataFrame:
    """:func:`time_to_convert` of the explorer's engine and view."""
    _, labels = normalize_steps(steps)
    counted = engine.count(view, steps, window, order)
    waits = _waits(engine, view, counted, by)
    keys = [by] if by else []
    furthest = pl.DataFrame({"__K": counted.furthest})
    if by:
        furthest = furthest.with_columns(engine.by_values(view, counted, by))
    reached = (pl.col("__K") >= pl.col("step_index")).sum().alias("reached")
    steps_frame = pl.DataFrame(
        {
            "step_index": pl.Series(range(1, len(labels)), dtype=pl.Int32),
            "step": labels[:-1],
            "next_step": labels[1:],
        }
    )
    pairs = furthest.join(steps_frame.select("step_index"), how="cross")
    counts = pairs.group_by(*keys, "step_index").agg(reached)
    grid = furthest.select(by).unique().join(steps_frame, how="cross") if by else steps_frame
    counts = grid.join(counts, on=[*keys, "step_index"], how="left", nulls_equal=True)
    micros = pl.col("__d")
    stats = waits.group_by(*keys, "step_index").agg(
        pl.len().alias("converters"),
        *[micros.quantile(q, interpolation="linear").alias(f"__{name}") for name, q in QUANTILES],
    )
    out = counts.join(stats, on=[*keys, "step_index"], how="left", nulls_equal=True)
    return out.select(
        *keys,
        "step_index",
        "step",
        "next_step",
        pl.col("reached").fill_null(0).cast(pl.Int64),
        pl.col("converters").fill_null(0).cast(pl.Int64),
        *[
            pl.duration(microseconds=pl.col(f"__{name}").round(0).cast(pl.Int64)).alias(
                f"{name}_time_to_convert"
            )
            for name, _ in QUANTILES
        ],
    ).sort([*keys, "step_index"], nulls_last=True)


def time_to_convert(
    touchpoints: Any,
    steps: Sequence[Any],
    within: str | None = "7d",
    *,
    order: str = "sequential",
    by: str | None = None,
    customers: Any = None,
) -> pl.DataFrame:
    """How long the customers who went from step k to step k + 1 took, per step.

    The customers and times are those :func:`cxlib.funnel` counts with the same arguments
    (its best attempt per customer); ``by`` is a touchpoint property (the value on the
    customer's step-1 event) or a customer attribute, as in the explorer.

    Returns
    -------
    polars.DataFrame
        ``by...``, ``step_index`` (k, 1-based), ``step``, ``next_step``, ``reached`` (customers
        at step k), ``converters`` (of them, those who reached step k + 1) and
        ``p25_time_to_convert``, ``median_time_to_convert``, ``p75_time_to_convert``,
        ``p90_time_to_convert`` (durations; quantiles interpolated linearly, as numpy's
        default; null without converters). One row per step but the last.
    """
    engine = FunnelEngine(touchpoints, customers)
    return timing_of(engine, engine.view(), steps, parse_duration(within), order=order, by=by)


def _unit(timing: pl.DataFrame) -> tuple[str, float]:
    """The unit that reads best for the longest median."""
    longest = timing["median_time_to_convert"].max()
    seconds = longest.total_seconds() if longest is not None else 0.0
    if seconds < 2 * 3_600:
        return UNITS[0]
    return UNITS[1] if seconds < 3 * 86_400 else UNITS[2]


def time_to_convert_data(
    timing: pl.DataFrame, *, by: str | None = None
) -> tuple[pl.DataFrame, str]:
    """The rows :func:`time_to_convert_chart` draws (times in one unit, a step label, steps
    nobody went on from left out) and that unit's name, so a live view can swap in new
    rows without rebuilding the chart."""
    unit, seconds = _unit(timing)
    names = [f"{name}_time_to_convert" for name, _ in QUANTILES]
    data = _plain(
        timing.with_columns(
            (
                pl.col("step_index").cast(pl.String)
                + ". "
                + pl.col("step")
                + " → "
                + pl.col("next_step")
            ).alias("label"),
            *[_readable(pl.col(n)).alias(f"{n}_text") for n in names],
            *[(pl.col(n).dt.total_microseconds() / (seconds * 1e6)).alias(n) for n in names],
            *([pl.col(by).cast(pl.String).fill_null(MISSING)] if by else []),
        )
    ).filter(pl.col("converters") > 0)
    return data, unit


def _readable(duration: pl.Expr) -> pl.Expr:
    """A duration as a reader says it: ``2d 4h``, ``3h 12m``, ``5m 40s``, ``12s``."""
    total = duration.dt.total_seconds()
    days, hours = total // 86_400, total % 86_400 // 3_600
    minutes, secs = total % 3_600 // 60, total % 60
    text = lambda *parts: pl.concat_str(  # noqa: E731
        [p if isinstance(p, pl.Expr) else pl.lit(p) for p in parts]
    )
    return (
        pl.when(days > 0)
        .then(text(days.cast(pl.String), "d ", hours.cast(pl.String), "h"))
        .when(hours > 0)
        .then(text(hours.cast(pl.String), "h ", minutes.cast(pl.String), "m"))
        .when(minutes > 0)
        .then(text(minutes.cast(pl.String), "m ", secs.cast(pl.String), "s"))
        .otherwise(text(secs.cast(pl.String), "s"))
    )


def time_to_convert_chart(
    timing: pl.DataFrame, *, by: str | None = None, title: str = "Time to the next step"
) -> alt.LayerChart:
    """Boxes of :func:`time_to_convert`: the middle half of the converters (25th to 75th
    percentile) as a bar, the median as a tick, a line on to the 90th percentile; one row
    per step (grouped by ``by``). Built from the quantiles only: no customer reaches it."""
    data, unit = time_to_convert_data(timing, by=by)
    names = [f"{name}_time_to_convert" for name, _ in QUANTILES]
    tooltip = [
        alt.Tooltip("label:N", title="Step"),
        *([alt.Tooltip(f"{by}:N", title=by.replace("_", " "))] if by else []),
        alt.Tooltip("converters:Q", title="Went on", format=","),
        alt.Tooltip("reached:Q", title="Reached the step", format=","),
        *[alt.Tooltip(f"{n}_text:N", title=label) for n, label in zip(names, SAID, strict=True)],
    ]
    base = alt.Chart(data).encode(y=alt.Y("label:N", sort=None, title=None), tooltip=tooltip)
    if by:
        base = base.encode(
            yOffset=alt.YOffset(f"{by}:N"),
            color=alt.Color(f"{by}:N", title=by.replace("_", " ")),
        )
    # times to convert are skewed (minutes for most, days for some): a log-like axis
    # that still holds 0 (steps done at the same time)
    x = alt.X(
        names[0] + ":Q",
        title=unit_title(unit),
        scale=alt.Scale(type="symlog"),
        axis=alt.Axis(format=COUNT),
    )
    whisker = base.mark_rule(color="#666").encode(x=x, x2=alt.X2(names[3] + ":Q"))
    box = base.mark_bar(size=12 if by else 18, color=PALETTE[0], opacity=0.75).encode(
        x=x, x2=alt.X2(names[2] + ":Q")
    )
    median = base.mark_tick(color="#222", thickness=2, size=14 if by else 22).encode(
        x=alt.X(names[1] + ":Q", scale=alt.Scale(type="symlog"))
    )
    subtitle = "Bar: middle half of those who went on; tick: median; line: to the 90th percentile"
    return (whisker + box + median).properties(
        title=alt.Title(title, subtitle=subtitle), width=WIDTH
    )


def unit_title(unit: str) -> str:
    """The time axis' title for ``unit``."""
    return f"Time to the next step ({unit}, log scale)"


def timing_spec(template: dict, timing: pl.DataFrame, *, by: str | None = None) -> dict:
    """The chart spec ``template`` (of :func:`time_to_convert_chart`) with ``timing``'s
    rows and their time unit: the explorer builds a chart once per breakdown, then only
    swaps its data."""
    data, unit = time_to_convert_data(timing, by=by)
    layers = [
        {**layer, "encoding": {**layer["encoding"], "x": {**layer["encoding"]["x"]}}}
        for layer in template["layer"]
    ]
    for layer in layers:
        if "title" in layer["encoding"]["x"]:
            layer["encoding"]["x"]["title"] = unit_title(unit)
    return {**template, "layer": layers, "datasets": {template["data"]["name"]: data.to_dicts()}}
