"""How much linking a person's ids (``[identity]``, :func:`cxlib.io.stitch`) changes the
omnichannel picture: a shopper who browses the app anonymously and buys in store with a
loyalty card is two single-channel buyers until the ids are linked, one omnichannel buyer
after. Comparing the two shows how far an unlinked comparison would be biased.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from cxlib._engine import CUSTOMER, to_polars
from cxlib._errors import DataError
from cxlib._stats import wilson
from cxlib.omnichannel._omnichannel import segments


def unstitched(touchpoints: Any, columns: Sequence[str]) -> pl.DataFrame:
    """``touchpoints`` with each row's customer as the data gave it: its first id among
    ``columns`` (in priority order), before any linking.

    Examples
    --------
    >>> tp = pl.DataFrame({"customer_id": ["u1", "u1"], "user_id": [None, "u1"],
    ...                    "anonymous_id": ["a9", "a9"]})
    >>> unstitched(tp, ["user_id", "anonymous_id"])["customer_id"].to_list()
    ['a9', 'u1']
    """
    frame = to_polars(touchpoints)
    present = [c for c in columns if c in frame.columns]
    if not present:
        raise DataError(
            f"none of the [identity] columns {list(columns)} is in the touchpoints; "
            "name columns the touchpoints carry"
        )
    ids = [pl.col(c).cast(pl.String) for c in present]
    return frame.with_columns(pl.coalesce(*ids, pl.col(CUSTOMER)).alias(CUSTOMER))


def linking_effect(
    touchpoints: Any,
    columns: Sequence[str],
    *,
    groups: Mapping[str, Sequence[str]] | None = None,
    touchpoint: str | None = "purchase",
    min_groups: int | None = None,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Omnichannel buyers with the ids as the data gave them, and with the ids linked.

    Parameters
    ----------
    touchpoints : frame
        Stitched canonical touchpoints (``cx.load`` with ``[identity]``), still carrying
        the id ``columns``.
    columns : sequence of str
        The ``[identity]`` columns, in priority order.
    groups, touchpoint, min_groups
        As in :func:`cxlib.omnichannel.segments`.
    confidence : float
        Level of the Wilson interval of the omnichannel share.

    Returns
    -------
    polars.DataFrame
        Two rows, ``ids`` = ``"as in the data"`` then ``"linked"``: ``buyers``,
        ``omnichannel``, ``omnichannel_share`` with ``share_low`` and ``share_high``, and
        ``linked_across_channels``: on the ``"linked"`` row, the omnichannel buyers none
        of whose own ids was omnichannel (the linking made them so); null on the other.

    Examples
    --------
    >>> from datetime import datetime
    >>> tp = pl.DataFrame({
    ...     "customer_id": ["u1", "u1", "u2"], "user_id": [None, "u1", "u2"],
    ...     "anonymous_id": ["a9", "a9", "a5"], "ts": [datetime(2025, 1, d) for d in (1, 2, 3)],
    ...     "touchpoint": ["purchase"] * 3, "channel": ["app", "store", "store"]})
    >>> linking_effect(tp, ["user_id", "anonymous_id"]).select(
    ...     "ids", "buyers", "omnichannel", "linked_across_channels").rows()
    [('as in the data', 3, 0, None), ('linked', 2, 1, 1)]
    """
    linked = to_polars(touchpoints)
    raw = unstitched(linked, columns)
    options = {"groups": groups, "touchpoint": touchpoint, "min_groups": min_groups}
    before = to_polars(segments(raw, **options)).select(CUSTOMER, "omnichannel")
    after = to_polars(segments(linked, **options)).select(CUSTOMER, "omnichannel")
    owners = (  # each id as the data gave it -> the customer it was linked into
        raw.select(pl.col(CUSTOMER).alias("__id"))
        .with_columns(linked.get_column(CUSTOMER).alias(CUSTOMER))
        .unique()
    )
    already = owners.join(
        before.filter(pl.col("omnichannel")).select(pl.col(CUSTOMER).alias("__id")), on="__id"
    ).get_column(CUSTOMER)
    made = after.filter(pl.col("omnichannel") & ~pl.col(CUSTOMER).is_in(already.implode()))
    rows = pl.DataFrame(
        {
            "ids": ["as in the data", "linked"],
            "buyers": [before.height, after.height],
            "omnichannel": [before["omnichannel"].sum(), after["omnichannel"].sum()],
            "linked_across_channels": [None, made.height],
        },
        schema={
            "ids": pl.String,
            "buyers": pl.Int64,
            "omnichannel": pl.Int64,
            "linked_across_channels": pl.Int64,
        },
    )
    low, high = wilson("omnichannel", "buyers", confidence)
    return rows.with_columns(
        pl.when(pl.col("buyers") > 0)
        .then(pl.col("omnichannel") / pl.col("buyers"))
        .alias("omnichannel_share"),
        low.alias("share_low"),
        high.alias("share_high"),
    ).select(
        "ids",
        "buyers",
        "omnichannel",
        "omnichannel_share",
        "share_low",
        "share_high",
        "linked_across_channels",
    )


def linking_uplift(as_given: Any, linked: Any) -> pl.DataFrame:
    """The omnichannel comparison (:func:`cxlib.omnichannel.compare`) with the ids as the
    data gave them next to the one with the ids linked, metric by metric.

    Returns
    -------
    polars.DataFrame
        ``description``, ``uplift_as_given`` with ``low_as_given``/``high_as_given``,
        ``uplift_linked`` with ``low_linked``/``high_linked``, and ``omnichannel_as_given``
        / ``omnichannel_linked`` (the omnichannel customers each is computed on); the
        metrics of the linked comparison, in its order.

    Examples
    --------
    >>> given = pl.DataFrame({"metric": ["value"], "description": ["Value per customer"],
    ...     "uplift": [0.05], "ci_low": [-0.1], "ci_high": [0.2], "omnichannel_customers": [8]})
    >>> linked = given.with_columns(uplift=pl.lit(0.3), ci_low=pl.lit(0.2), ci_high=pl.lit(0.4),
    ...                             omnichannel_customers=pl.lit(40))
    >>> linking_uplift(given, linked).select("uplift_as_given", "uplift_linked").row(0)
    (0.05, 0.3)
    """
    columns = ["metric", "uplift", "ci_low", "ci_high", "omnichannel_customers"]

    def side(frame: Any, suffix: str) -> pl.DataFrame:
        return to_polars(frame).select(
            pl.col("metric"),
            *(pl.col(c).alias(f"{c}_{suffix}") for c in columns[1:]),
        )

    out = (
        to_polars(linked)
        .select("metric", "description")
        .join(side(as_given, "as_given"), on="metric", how="left")
        .join(side(linked, "linked"), on="metric", how="left")
    )
    return out.select(
        "description",
        "uplift_as_given",
        pl.col("ci_low_as_given").alias("low_as_given"),
        pl.col("ci_high_as_given").alias("high_as_given"),
        "uplift_linked",
        pl.col("ci_low_linked").alias("low_linked"),
        pl.col("ci_high_linked").alias("high_linked"),
        pl.col("omnichannel_customers_as_given").alias("omnichannel_as_given"),
        pl.col("omnichannel_customers_linked").alias("omnichannel_linked"),
    )
