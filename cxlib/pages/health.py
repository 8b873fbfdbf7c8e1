"""Data health: what was loaded, what was rejected and why, and what the data covers.

Used by the ``00-data-health`` notebook; each function returns a small tidy polars frame.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import polars as pl

from cxlib._engine import eager
from cxlib.privacy import PERSONAL_COLUMNS, PII_PATTERNS, pseudonymize

__all__ = [
    "UNMAPPED",
    "activity_over_time",
    "coverage_by_channel",
    "identity_links",
    "linked_groups",
    "masked_in_comments",
    "reject_examples",
    "refused_ids",
    "rejects_by_reason",
    "stage_order",
    "unmapped_touchpoints",
]

if TYPE_CHECKING:
    from cxlib.io import Dataset


def rejects_by_reason(ds: Dataset) -> pl.DataFrame:
    """Rejected rows per table and reason: ``kind, reason, column, rows, share_of_read``.

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib import health
    >>> health.rejects_by_reason(cx.load("data/sample")).columns
    ['kind', 'reason', 'column', 'rows', 'share_of_read']
    """
    read = pl.DataFrame(
        {"kind": list(ds.read), "__read": list(ds.read.values())},
        schema={"kind": pl.String, "__read": pl.Int64},
    )
    return (
        ds.rejects.group_by("kind", "reason", "column")
        .agg(pl.len().cast(pl.Int64).alias("rows"))
        .join(read, on="kind", how="left")
        .with_columns((pl.col("rows") / pl.col("__read")).alias("share_of_read"))
        .drop("__read")
        .sort(["kind", "rows"], descending=[False, True])
    )


def masked_in_comments(ds: Dataset) -> pl.DataFrame:
    """Contact details masked in survey comments on load (:func:`cxlib.privacy.mask_pii`):
    ``masked`` (email, phone, card, link), ``comments`` holding one, ``share`` of the
    comments with text. Empty without comments.

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> import cxlib as cx
    >>> masked_in_comments(cx.load("data/sample")).columns
    ['masked', 'comments', 'share']
    """
    schema = {"masked": pl.String, "comments": pl.Int64, "share": pl.Float64}
    surveys = None if ds.surveys is None else eager(ds.surveys)
    if surveys is None or "comment" not in surveys.columns:
        return pl.DataFrame(schema=schema)
    comments = surveys.get_column("comment").drop_nulls()
    comments = comments.filter(comments.str.strip_chars() != "")
    kinds = dict.fromkeys(kind for kind, _, _ in PII_PATTERNS)
    counts = [
        comments.str.contains(f"[{kind}]", literal=True).sum() for kind in kinds
    ]  # the placeholders the masking wrote
    total = comments.len()
    return pl.DataFrame(
        {
            "masked": list(kinds),
            "comments": counts,
            "share": [c / total if total else 0.0 for c in counts],
        },
        schema=schema,
    )


def reject_examples(ds: Dataset, *, per_reason: int = 3) -> pl.DataFrame:
    """A few rejected rows per reason, with personal values masked.

    Values of personal columns (customer ids, names, emails, phones) are replaced by
    ``"(hidden)"`` so the page can be shared.
    """
    masked = (
        pl.when(pl.col("column").is_in(list(PERSONAL_COLUMNS)))
        .then(pl.lit("(hidden)"))
        .otherwise(pl.col("value"))
    )
    return (
        ds.rejects.sort("kind", "reason", "row")
        .group_by("kind", "reason", maintain_order=True)
        .head(per_reason)
        .with_columns(masked.alias("value"))
        .select("kind", "reason", "column", "row", "value")
    )


UNMAPPED = "(no stage)"
"""The stage shown for touchpoints that the stage model does not place."""


def coverage_by_channel(ds: Dataset) -> pl.DataFrame:
    """Touchpoints and customers per channel and stage: ``channel, stage, touchpoints,
    customers, share_of_touchpoints``; touchpoints outside the stage model count under the
    stage ``"(no stage)"`` (:data:`UNMAPPED`)."""
    touchpoints = eager(ds.touchpoints).with_columns(pl.col("stage").fill_null(UNMAPPED))
    total = max(touchpoints.height, 1)
    return (
        touchpoints.group_by("channel", "stage")
        .agg(
            pl.len().cast(pl.Int64).alias("touchpoints"),
            pl.col("customer_id").n_unique().cast(pl.Int64).alias("customers"),
        )
        .with_columns((pl.col("touchpoints") / total).alias("share_of_touchpoints"))
        .sort(["channel", "stage"], nulls_last=True)
    )


def activity_over_time(ds: Dataset, *, every: str = "1w") -> pl.DataFrame:
    """Touchpoints and active customers per period and channel: ``period, channel,
    touchpoints, customers, complete``. Gaps (a channel silent for a week) show as zero rows.

    ``complete`` is False for the period the data stops in the middle of: its counts are
    partial, not a fall. The data is taken to cover the whole day of its last touchpoint
    (for periods of a day or longer; shorter ones end at the last touchpoint itself).

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib import health
    >>> weekly = health.activity_over_time(cx.load("data/sample"), every="1w")
    >>> weekly.filter(~weekly["complete"])["period"].unique().dt.date().to_list()
    [datetime.date(2025, 12, 29)]
    """
    touchpoints = eager(ds.touchpoints)
    counts = (
        touchpoints.with_columns(pl.col("ts").dt.truncate(every).alias("period"))
        .group_by("period", "channel")
        .agg(
            pl.len().cast(pl.Int64).alias("touchpoints"),
            pl.col("customer_id").n_unique().cast(pl.Int64).alias("customers"),
        )
    )
    if counts.is_empty():
        return counts.with_columns(pl.lit(True).alias("complete"))
    periods = pl.datetime_range(
        counts["period"].min(), counts["period"].max(), every, eager=True, time_zone="UTC"
    ).alias("period")
    grid = periods.to_frame().join(counts.select("channel").unique(), how="cross")
    return (
        grid.join(counts, on=["period", "channel"], how="left")
        .with_columns(
            pl.col("touchpoints", "customers").fill_null(0),
            (pl.col("period").dt.offset_by(every) <= _covered_until(touchpoints, every)).alias(
                "complete"
            ),
        )
        .sort("period", "channel")
    )


def _covered_until(touchpoints: pl.DataFrame, every: str) -> pl.Expr:
    """The end of the data for periods of length ``every``: midnight after the last
    touchpoint's day for periods of a day or more, the last touchpoint for shorter ones."""
    last = touchpoints.get_column("ts").max()
    start = pl.lit(last).dt.truncate("1d")
    day_or_more = pl.select(start.dt.offset_by(every) >= start.dt.offset_by("1d")).item()
    return start.dt.offset_by("1d") if day_or_more else pl.lit(last)


def stage_order(ds: Dataset) -> list[str]:
    """The stages of the model in order, then :data:`UNMAPPED` when some touchpoints have no
    stage: the axis order of the coverage chart."""
    unmapped = eager(ds.touchpoints).get_column("stage").null_count() > 0
    return [*ds.stages.stages, *([UNMAPPED] if unmapped else [])]


def unmapped_touchpoints(ds: Dataset) -> pl.DataFrame:
    """Touchpoints that the stage model does not place in any stage: ``touchpoint, rows``."""
    touchpoints = eager(ds.touchpoints)
    return (
        touchpoints.filter(pl.col("stage").is_null())
        .group_by("touchpoint")
        .agg(pl.len().cast(pl.Int64).alias("rows"))
        .sort("rows", descending=True)
    )


def identity_links(ds: Dataset) -> pl.DataFrame:
    """What identity stitching (``[identity]`` in cx.toml) changed, in one row: customers
    ``before`` (each row's first id taken as it is) and ``after`` linking, ``ids_merged``
    into another id's customer and ``ids_refused`` (placeholders, shared devices). Empty
    without ``[identity]``.

    Examples
    --------
    >>> import cxlib as cx
    >>> identity_links(cx.load("data/sample")).columns
    ['before', 'after', 'ids_merged', 'ids_refused']
    """
    schema = {
        "before": pl.Int64,
        "after": pl.Int64,
        "ids_merged": pl.Int64,
        "ids_refused": pl.Int64,
    }
    stitched = ds.stitched
    if stitched is None:
        return pl.DataFrame(schema=schema)
    row = [
        stitched.customers_before,
        stitched.customers_after,
        stitched.ledger.height,
        stitched.refused.height,
    ]
    return pl.DataFrame([row], schema=schema, orient="row")


def linked_groups(ds: Dataset, *, top: int = 10) -> pl.DataFrame:
    """The customers made of the most ids: ``rank, customer`` (a pseudonym), ``ids``,
    ``rows`` (rows of all tables carrying the ids merged into it). Empty without
    ``[identity]``; a large group is worth a look (a shared account not caught by
    ``max_ids``)."""
    schema = {"rank": pl.Int64, "customer": pl.String, "ids": pl.Int64, "rows": pl.Int64}
    if ds.stitched is None:
        return pl.DataFrame(schema=schema)
    groups = (
        ds.stitched.ledger.group_by("customer_id")
        .agg((pl.len() + 1).cast(pl.Int64).alias("ids"), pl.col("rows").sum().cast(pl.Int64))
        .sort(["ids", "rows", "customer_id"], descending=[True, True, False])
        .head(top)
        .with_row_index("rank", offset=1)
        .select(
            pl.col("rank").cast(pl.Int64), pl.col("customer_id").alias("customer"), "ids", "rows"
        )
    )
    return pseudonymize(groups, "customer", key=_key(ds))


def refused_ids(ds: Dataset) -> pl.DataFrame:
    """Ids not used to link customers: ``column``, ``id`` (a pseudonym), ``linked_ids``
    (other ids seen with it), ``reason`` (placeholder value, linked to too many ids). Empty
    without ``[identity]``."""
    schema = {"column": pl.String, "id": pl.String, "linked_ids": pl.Int64, "reason": pl.String}
    if ds.stitched is None:
        return pl.DataFrame(schema=schema)
    refused = ds.stitched.refused.sort(
        ["linked_ids", "column", "id"], descending=[True, False, False]
    )
    return pseudonymize(refused.select(list(schema)), "id", key=_key(ds))


def _key(ds: Dataset) -> str | None:
    return os.environ.get(ds.config.pseudonym_key_env)
