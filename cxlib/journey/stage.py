"""One journey stage in depth: who enters it, from where, who moves on and who stalls.

A customer *enters* a stage at their first touchpoint in it and *moves on* when they later
have a touchpoint in any later stage of the model. Functions take a :class:`Dataset`
(polars) and a stage name and return small tidy frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from cxlib._engine import eager
from cxlib._errors import DataError
from cxlib._stats import wilson

if TYPE_CHECKING:
    from cxlib.io import Dataset

DEFAULT_SEGMENTS = ("country", "age_band", "acquisition_channel")


def _check(ds: Dataset, stage: str) -> int:
    if stage not in ds.stages.stages:
        raise DataError(
            f"stage {stage!r} is not in the {ds.stages.name} model; use one of "
            f"{list(ds.stages.stages)}"
        )
    return ds.stages.index_of(stage)


def _touchpoints(ds: Dataset, *columns: str) -> pl.LazyFrame:
    """The touchpoints as a lazy query of ``columns`` only, so that polars reads no more."""
    return ds.touchpoints.lazy().select(*columns)


def _entered(ds: Dataset, stage: str) -> pl.LazyFrame:
    """Per customer who reached ``stage``: ``customer_id, entered_at, channel``, the time and
    channel of their first touchpoint in it (ties in time: the first touchpoint, then channel,
    by name)."""
    return (
        _touchpoints(ds, "customer_id", "ts", "touchpoint", "channel", "stage")
        .filter(pl.col("stage") == stage)
        .group_by("customer_id")
        .agg(
            pl.col("ts").min().alias("entered_at"),
            pl.col("channel").sort_by("ts", "touchpoint", "channel").first(),
        )
    )


def entries(ds: Dataset, stage: str) -> pl.DataFrame:
    """Per customer who reached ``stage``: ``customer_id, entered_at, channel`` (of the first
    touchpoint in the stage), ``moved_on`` (bool) and ``moved_at``."""
    index = _check(ds, stage)
    later = list(ds.stages.stages[index + 1 :])
    first = _entered(ds, stage)
    moved = (
        _touchpoints(ds, "customer_id", "ts", "stage")
        .filter(pl.col("stage").is_in(later))
        .join(first.select("customer_id", "entered_at"), on="customer_id")
        .filter(pl.col("ts") >= pl.col("entered_at"))
        .group_by("customer_id")
        .agg(pl.col("ts").min().alias("moved_at"))
    )
    return (
        first.join(moved, on="customer_id", how="left")
        .with_columns(pl.col("moved_at").is_not_null().alias("moved_on"))
        .sort("customer_id")
        .collect()
    )


def channels(ds: Dataset, stage: str) -> pl.DataFrame:
    """Reach and volume by channel in the stage: ``channel, customers, touchpoints,
    touchpoints_per_customer, share_of_customers``."""
    _check(ds, stage)
    touchpoints = _touchpoints(ds, "customer_id", "channel", "stage").filter(
        pl.col("stage") == stage
    )
    by_channel, total = pl.collect_all(
        [
            touchpoints.group_by("channel").agg(
                pl.col("customer_id").n_unique().cast(pl.Int64).alias("customers"),
                pl.len().cast(pl.Int64).alias("touchpoints"),
            ),
            touchpoints.select(pl.col("customer_id").n_unique()),
        ]
    )
    # one chunk, as polars divides a chunk of one row by a scalar differently (exactly)
    return (
        by_channel.rechunk()
        .with_columns(
            (pl.col("touchpoints") / pl.col("customers")).alias("touchpoints_per_customer"),
            (pl.col("customers") / max(total.item(), 1)).alias("share_of_customers"),
        )
        .sort(["customers", "channel"], descending=[True, False])
    )


def _neighbours(ds: Dataset, stage: str, *, before: bool, top: int) -> pl.DataFrame:
    _check(ds, stage)
    entered = _entered(ds, stage).select("customer_id", "entered_at")
    touchpoints = _touchpoints(ds, "customer_id", "ts", "touchpoint", "stage").join(
        entered, on="customer_id"
    )
    # the touchpoint last before entering, or first after it outside the stage; ties in
    # time are ordered by touchpoint, then stage, by name
    order = pl.col("touchpoint", "stage").sort_by("ts", "touchpoint", "stage")
    if before:
        picked = (
            touchpoints.filter(pl.col("ts") < pl.col("entered_at"))
            .group_by("customer_id")
            .agg(order.last())
        )
    else:
        picked = (
            touchpoints.filter((pl.col("ts") > pl.col("entered_at")) & (pl.col("stage") != stage))
            .group_by("customer_id")
            .agg(order.first())
        )
    everyone = (
        entered.join(picked, on="customer_id", how="left")
        .with_columns(pl.col("touchpoint").fill_null("(nothing)"), pl.col("stage").fill_null("–"))
        .group_by("stage", "touchpoint")
        .agg(pl.len().cast(pl.Int64).alias("customers"))
        .collect()
        .rechunk()
    )
    counts = everyone.sort(["customers", "touchpoint", "stage"], descending=[True, False, False])
    total = max(int(counts["customers"].sum()), 1)
    head = counts.head(top)
    rest = counts.slice(top)
    if rest.height:
        head = pl.concat(
            [
                head,
                pl.DataFrame(
                    {
                        "stage": ["–"],
                        "touchpoint": ["(other)"],
                        "customers": [int(rest["customers"].sum())],
                    }
                ),
            ]
        )
    return head.with_columns((pl.col("customers") / total).alias("share"))


def came_from(ds: Dataset, stage: str, *, top: int = 8) -> pl.DataFrame:
    """The touchpoint just before customers entered the stage: ``stage, touchpoint,
    customers, share`` (``(nothing)``: the stage was their first touchpoint)."""
    return _neighbours(ds, stage, before=True, top=top)


def went_to(ds: Dataset, stage: str, *, top: int = 8) -> pl.DataFrame:
    """The first touchpoint outside the stage after entering it: ``stage, touchpoint,
    customers, share`` (``(nothing)``: they did nothing else)."""
    return _neighbours(ds, stage, before=False, top=top)


def progress(ds: Dataset, stage: str, *, confidence: float = 0.95) -> pl.DataFrame:
    """Conversion to a later stage and time in stage: one row with ``customers, moved_on,
    conversion, conversion_low, conversion_high, median_time_in_stage,
    p90_time_in_stage``."""
    entered = entries(ds, stage)
    low, high = wilson("moved_on", "customers", confidence)
    spent = pl.col("moved_at") - pl.col("entered_at")
    return (
        entered.select(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("moved_on").sum().cast(pl.Int64).alias("moved_on"),
            spent.median().alias("median_time_in_stage"),
            spent.quantile(0.9, "linear").alias("p90_time_in_stage"),
        )
        .with_columns(
            (pl.col("moved_on") / pl.col("customers")).alias("conversion"),
            low.alias("conversion_low"),
            high.alias("conversion_high"),
        )
        .select(
            "customers",
            "moved_on",
            "conversion",
            "conversion_low",
            "conversion_high",
            "median_time_in_stage",
            "p90_time_in_stage",
        )
    )


def segments(
    ds: Dataset,
    stage: str,
    *,
    by: Sequence[str] = DEFAULT_SEGMENTS,
    confidence: float = 0.95,
    min_customers: int = 30,
) -> pl.DataFrame:
    """Conversion to a later stage by customer segment, flagging segments that stall.

    Returns ``segment, value, customers, moved_on, conversion, conversion_low,
    conversion_high, overall, stalls``; ``stalls`` is True when the segment's whole interval
    lies below the stage's overall conversion (and it has ``min_customers`` or more).
    """
    if ds.customers is None:
        return pl.DataFrame()
    customers = eager(ds.customers)
    columns = [c for c in by if c in customers.columns]
    entered = entries(ds, stage).join(
        customers.select("customer_id", *columns), on="customer_id", how="left"
    )
    overall = entered.get_column("moved_on").mean() if entered.height else None
    low, high = wilson("moved_on", "customers", confidence)
    parts = []
    for column in columns:
        parts.append(
            entered.group_by(pl.col(column).cast(pl.String).alias("value"))
            .agg(
                pl.len().cast(pl.Int64).alias("customers"),
                pl.col("moved_on").sum().cast(pl.Int64).alias("moved_on"),
            )
            .with_columns(pl.lit(column).alias("segment"))
        )
    if not parts:
        return pl.DataFrame()
    return (
        pl.concat(parts)
        .with_columns(
            (pl.col("moved_on") / pl.col("customers")).alias("conversion"),
            low.alias("conversion_low"),
            high.alias("conversion_high"),
            pl.lit(overall, dtype=pl.Float64).alias("overall"),
        )
        .with_columns(
            (
                (pl.col("conversion_high") < pl.col("overall"))
                & (pl.col("customers") >= min_customers)
            ).alias("stalls")
        )
        .select(
            "segment",
            "value",
            "customers",
            "moved_on",
            "conversion",
            "conversion_low",
            "conversion_high",
            "overall",
            "stalls",
        )
        .sort(["stalls", "conversion"], descending=[True, False])
    )
