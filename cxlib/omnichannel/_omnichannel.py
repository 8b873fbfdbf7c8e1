"""Channel mix, omnichannel segments and stage coverage: the descriptive functions of
:mod:`cxlib.omnichannel` (definitions in the package docstring)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import narwhals as nw
import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import CUSTOMER, check_values, like_input, to_polars
from cxlib._errors import DataError
from cxlib.io import StageModel
from cxlib.journey import as_stage_model, journey_map, stage_summary, usable

DEFAULT_GROUPS: Mapping[str, Sequence[str]] = {"store": ("store",), "online": ("web", "app")}
"""Channel groups of the omnichannel flag: a store purchase and a web/app purchase."""


def _channels(groups: Mapping[str, Sequence[str]]) -> list[str]:
    """Every channel named in ``groups`` (checked against the data: a typo is an error)."""
    return [channel for channels in groups.values() for channel in channels]


def _events(touchpoints: Any, touchpoint: str | None) -> nw.LazyFrame:
    events = usable(touchpoints, [CUSTOMER, "ts", "touchpoint", "channel"])
    events = events.filter(~nw.col("channel").is_null())
    if touchpoint is not None:
        events = events.filter(nw.col("touchpoint") == touchpoint)
    return events


def channel_mix(touchpoints: Any, *, touchpoint: str | None = None) -> Any:
    """Per customer and channel: touchpoints and their share of the customer's touchpoints.

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints with ``channel`` (polars, pandas, DuckDB or PySpark).
    touchpoint : str, optional
        Count only this touchpoint (e.g. ``"purchase"`` for the purchase-channel mix).

    Returns
    -------
    frame
        Same library as ``touchpoints``: ``customer_id, channel, touchpoints, share``, by
        customer then most used channel.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> tp = pl.DataFrame({"customer_id": ["a", "a", "a"], "ts": [datetime(2025, 1, d)
    ...     for d in (1, 2, 3)], "touchpoint": ["visit"] * 3, "channel": ["web", "web", "app"]})
    >>> channel_mix(tp).rows()
    [('a', 'web', 2, 0.6666666666666666), ('a', 'app', 1, 0.3333333333333333)]
    """
    counts = (
        _events(touchpoints, touchpoint)
        .group_by(CUSTOMER, "channel")
        .agg(nw.len().alias("touchpoints"))
    )
    out = (
        to_polars(counts)
        .with_columns(pl.col("touchpoints").cast(pl.Int64))
        .with_columns(
            (pl.col("touchpoints") / pl.col("touchpoints").sum().over(CUSTOMER)).alias("share")
        )
        .sort(CUSTOMER, -pl.col("touchpoints"), "channel")
    )
    return like_input(out.select(CUSTOMER, "channel", "touchpoints", "share"), touchpoints)


def channel_summary(touchpoints: Any, *, touchpoint: str | None = None) -> Any:
    """Per channel: how many customers use it and how much of the activity it carries.

    Returns
    -------
    frame
        ``channel, customers, customer_share`` (of all customers with a counted touchpoint),
        ``touchpoints, touchpoint_share, mean_customer_share`` (average share of a user's
        touchpoints on this channel, among its users), most used first. Channel
        combinations per customer: :func:`segments`.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> tp = pl.DataFrame({"customer_id": ["a", "a", "b"], "ts": [datetime(2025, 1, 1)] * 3,
    ...     "touchpoint": ["visit"] * 3, "channel": ["web", "app", "web"]})
    >>> channel_summary(tp).select("channel", "customers", "customer_share").rows()
    [('web', 2, 1.0), ('app', 1, 0.5)]
    """
    events = _events(touchpoints, touchpoint)
    per = to_polars(events.group_by(CUSTOMER, "channel").agg(nw.len().alias("n")))
    customers = per.get_column(CUSTOMER).n_unique()
    total = per.get_column("n").sum()
    out = (
        per.with_columns((pl.col("n") / pl.col("n").sum().over(CUSTOMER)).alias("__share"))
        .group_by("channel")
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("n").sum().cast(pl.Int64).alias("touchpoints"),
            pl.col("__share").mean().alias("mean_customer_share"),
        )
        .with_columns(
            (pl.col("customers") / customers).alias("customer_share"),
            (pl.col("touchpoints") / total).alias("touchpoint_share"),
        )
        .sort(-pl.col("customers"), "channel")
        .select(
            "channel",
            "customers",
            "customer_share",
            "touchpoints",
            "touchpoint_share",
            "mean_customer_share",
        )
    )
    return like_input(out, touchpoints)


def segments(
    touchpoints: Any,
    *,
    groups: Mapping[str, Sequence[str]] | None = None,
    touchpoint: str | None = "purchase",
    min_groups: int | None = None,
) -> Any:
    """Omnichannel flag per customer: which channel groups they bought in (configurable).

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints with ``channel``.
    groups : mapping of str to list of str
        Channel groups; default ``{"store": ["store"], "online": ["web", "app"]}``.
    touchpoint : str or None
        The touchpoint that counts (default ``"purchase"``); None: any touchpoint.
    min_groups : int, optional
        Groups needed to be omnichannel; default all of them.

    Returns
    -------
    frame
        Same library as ``touchpoints``, one row per customer with a counted touchpoint on a
        grouped channel: ``customer_id``, one boolean column per group, ``groups`` (how many),
        ``segment`` ("omnichannel", or "<group> only", or "<g1> + <g2>" for partial mixes
        of three or more groups) and ``omnichannel`` (bool).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> tp = pl.DataFrame({"customer_id": ["a", "a", "b"], "ts": [datetime(2025, 1, 1)] * 3,
    ...     "touchpoint": ["purchase"] * 3, "channel": ["store", "app", "web"]})
    >>> segments(tp).select("customer_id", "segment").rows()
    [('a', 'omnichannel'), ('b', 'online only')]
    """
    groups = dict(DEFAULT_GROUPS if groups is None else groups)
    if len(groups) < 2 or any(not channels for channels in groups.values()):
        raise DataError(f"groups={groups}: give at least two non-empty channel groups")
    needed = len(groups) if min_groups is None else min_groups
    if not 1 < needed <= len(groups):
        raise DataError(f"min_groups={min_groups} must be between 2 and {len(groups)}")
    check_values(touchpoints, "channel", _channels(groups), argument="groups", what="channel")
    events = _events(touchpoints, touchpoint)
    flags = (
        events.select(
            CUSTOMER,
            *[
                nw.col("channel").is_in(list(chs)).cast(nw.Int64).alias(name)
                for name, chs in groups.items()
            ],
        )
        .group_by(CUSTOMER)
        .agg(*[nw.col(name).max() for name in groups])
    )
    names = list(groups)
    data = to_polars(flags).with_columns(pl.col(names).cast(pl.Boolean))
    data = data.with_columns(
        pl.sum_horizontal([pl.col(n).cast(pl.Int64) for n in names]).alias("groups")
    ).filter(pl.col("groups") > 0)
    joined = pl.concat_str(
        [pl.when(pl.col(n)).then(pl.lit(n)) for n in names], separator=" + ", ignore_nulls=True
    )
    omni = pl.col("groups") >= needed
    out = data.with_columns(
        pl.when(omni)
        .then(pl.lit("omnichannel"))
        .when(pl.col("groups") == 1)
        .then(pl.format(i18n.t("{groups} only", groups="{}"), joined))  # report's language
        .otherwise(joined)
        .alias("segment"),
        omni.alias("omnichannel"),
    ).sort(CUSTOMER)
    return like_input(out.select(CUSTOMER, *names, "groups", "segment", "omnichannel"), touchpoints)


def segment_summary(
    touchpoints: Any,
    *,
    groups: Mapping[str, Sequence[str]] | None = None,
    touchpoint: str | None = "purchase",
    min_groups: int | None = None,
) -> Any:
    """Customers and revenue per omnichannel segment (see :func:`segments` for options).

    Returns
    -------
    frame
        Same library as ``touchpoints``: ``segment, customers, share`` (of the customers in a
        segment) and, when the touchpoints have ``revenue``, ``revenue`` (on the counted
        touchpoints) and ``revenue_share``; omnichannel first, then the largest segments.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> tp = pl.DataFrame({"customer_id": ["a", "a", "b"], "ts": [datetime(2025, 1, 1)] * 3,
    ...     "touchpoint": ["purchase"] * 3, "channel": ["store", "app", "web"],
    ...     "revenue": [10.0, 20.0, 10.0]})
    >>> segment_summary(tp).select("segment", "customers", "revenue_share").rows()
    [('omnichannel', 1, 0.75), ('online only', 1, 0.25)]
    """
    flags = segments(touchpoints, groups=groups, touchpoint=touchpoint, min_groups=min_groups)
    flags = to_polars(flags)
    counts = flags.group_by("segment").agg(
        pl.len().cast(pl.Int64).alias("customers"), pl.col("omnichannel").first()
    )
    counts = counts.with_columns((pl.col("customers") / pl.col("customers").sum()).alias("share"))
    columns = ["segment", "customers", "share"]
    events = _events(touchpoints, touchpoint)
    if "revenue" in events.collect_schema().names():
        revenue = to_polars(
            events.group_by(CUSTOMER).agg(nw.col("revenue").cast(nw.Float64).sum().alias("revenue"))
        )
        money = (
            flags.join(revenue, on=CUSTOMER, how="left")
            .group_by("segment")
            .agg(pl.col("revenue").fill_null(0.0).sum())
        )
        counts = counts.join(money, on="segment", how="left").with_columns(
            (pl.col("revenue") / pl.col("revenue").sum()).alias("revenue_share")
        )
        columns += ["revenue", "revenue_share"]
    out = counts.sort("omnichannel", "customers", "segment", descending=[True, True, False]).select(
        columns
    )
    return like_input(out, touchpoints)


def stage_coverage(touchpoints: Any, stages: StageModel | str | None = None) -> Any:
    """Channel × stage coverage: which channels carry each journey stage.

    Returns
    -------
    frame
        Same library as ``touchpoints``, one row per stage × channel that occurs, in model
        order: ``stage_index, stage, channel, customers`` (with a touchpoint of the stage on
        the channel), ``coverage`` (share of the stage's customers reached on this channel;
        a customer may use several), ``touchpoints``, ``touchpoint_share`` (of the stage's
        touchpoints).

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> coverage = stage_coverage(ds.touchpoints, ds.stages)
    >>> coverage.filter(coverage["stage"] == "conversion")["channel"].sort().to_list()
    ['app', 'store', 'web']
    """
    model = as_stage_model(stages)
    cells = journey_map(touchpoints, model)
    reach = stage_summary(touchpoints, model)
    cells, reach = to_polars(cells), to_polars(reach)
    out = (
        cells.join(
            reach.select("stage_index", pl.col("customers").alias("__reach")), on="stage_index"
        )
        .with_columns(
            (pl.col("customers") / pl.col("__reach")).alias("coverage"),
            (pl.col("touchpoints") / pl.col("touchpoints").sum().over("stage_index")).alias(
                "touchpoint_share"
            ),
        )
        .sort("stage_index", -pl.col("customers"), "channel")
    )
    out = out.select(
        "stage_index",
        "stage",
        "channel",
        "customers",
        "coverage",
        "touchpoints",
        "touchpoint_share",
    )
    return like_input(out, touchpoints)
