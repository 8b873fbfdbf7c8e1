"""Default funnel steps from the data: what converting customers do before converting."""

from __future__ import annotations

from typing import Any

import narwhals as nw
import polars as pl

from cxlib._engine import CUSTOMER, materialize, to_polars
from cxlib._errors import DataError
from cxlib.journey._paths import usable


def suggest_steps(
    touchpoints: Any, conversion: str, *, max_steps: int = 5, min_share: float = 0.25
) -> list[str]:
    """Suggest default funnel steps ending in ``conversion``, from the paths to it.

    Method. Only customers who convert count, and only what they do before their first
    conversion. For each touchpoint, the share of those customers who did it at least
    once before converting; the ``max_steps - 1`` most common (done by at least
    ``min_share`` of the converting customers) are the steps. Among equally common
    touchpoints, the one done fewer times per customer wins (a milestone such as
    ``view_item`` over a generic event that fires again and again, such as ``page_view``),
    then the name. They are put
    in their typical order by net precedence: for every pair of steps ``a`` and ``b``,
    the customers whose first ``a`` came before their first ``b`` minus those where it
    came after; a step's score is the sum over the other steps, and steps go from the
    highest score (usually first) to the lowest, ties by share then name. The conversion
    is the last step. Events at the very moment of the first conversion do not count as
    before it.

    Parameters
    ----------
    touchpoints : DataFrame or LazyFrame (polars, pandas, DuckDB, PySpark)
        Canonical touchpoints: ``customer_id``, ``ts``, ``touchpoint``.
    conversion : str
        The touchpoint that counts as a conversion (``[journey] conversion``).
    max_steps : int, default 5
        The most steps returned, the conversion included.
    min_share : float, default 0.25
        The least share of converting customers who must do a touchpoint before
        converting for it to be a step.

    Returns
    -------
    list of str
        The steps, the conversion last; empty when no customer reaches ``conversion``;
        ``[conversion]`` alone when nothing common comes before it (a purchase log).

    Raises
    ------
    DataError
        ``max_steps`` below 1 or ``min_share`` outside 0..1, or a required column missing.

    Examples
    --------
    >>> from datetime import datetime
    >>> import polars as pl
    >>> import cxlib as cx
    >>> at = [datetime(2025, 1, 1, 9, minute) for minute in range(5)]
    >>> events = pl.DataFrame({
    ...     "customer_id": ["a"] * 4 + ["b"] * 5 + ["c"] * 2,
    ...     "ts": at[:4] + at + at[:2],
    ...     "touchpoint": ["visit", "view_item", "add_to_cart", "purchase",
    ...                    "visit", "view_item", "view_item", "add_to_cart", "purchase",
    ...                    "visit", "view_item"],
    ... })
    >>> cx.journey.suggest_steps(events, "purchase")
    ['visit', 'view_item', 'add_to_cart', 'purchase']
    """
    if not isinstance(max_steps, int) or max_steps < 1:
        raise DataError(f"max_steps={max_steps!r} must be a whole number of at least 1")
    if not 0 <= min_share <= 1:
        raise DataError(f"min_share={min_share!r} must be a share from 0 to 1, e.g. 0.25")
    events = usable(touchpoints, [CUSTOMER, "ts", "touchpoint"])
    converted = materialize(
        events.filter(nw.col("touchpoint") == conversion)
        .group_by(CUSTOMER)
        .agg(nw.col("__t").min().alias("__conversion"))
    )
    converters = to_polars(converted.select(nw.len().alias("n")))["n"].item()
    if not converters:
        return []
    firsts = materialize(
        events.join(converted, on=CUSTOMER, how="inner")
        .filter(nw.col("__t") < nw.col("__conversion"), nw.col("touchpoint") != conversion)
        .group_by(CUSTOMER, "touchpoint")
        .agg(nw.col("__t").min().alias("__first"), nw.len().alias("__times"))
    )
    shares = (
        to_polars(
            firsts.group_by("touchpoint").agg(
                nw.len().alias("customers"), nw.col("__times").sum().alias("times")
            )
        )
        .filter(pl.col("customers") >= min_share * converters)
        .with_columns(per_customer=pl.col("times") / pl.col("customers"))
        .sort(["customers", "per_customer", "touchpoint"], descending=[True, False, False])
        .head(max_steps - 1)
    )
    share = dict(zip(shares["touchpoint"], shares["customers"], strict=True))
    if len(share) < 2:
        return [*share, conversion]
    chosen = firsts.filter(nw.col("touchpoint").is_in(list(share)))
    other = chosen.select(
        CUSTOMER, nw.col("touchpoint").alias("__other"), nw.col("__first").alias("__other_first")
    )
    before = to_polars(
        chosen.join(other, on=CUSTOMER, how="inner")
        .filter(nw.col("__first") < nw.col("__other_first"))
        .group_by("touchpoint", "__other")
        .agg(nw.len().alias("n"))
    )
    score = dict.fromkeys(share, 0)
    for first, then, count in before.select("touchpoint", "__other", "n").iter_rows():
        score[first] += count
        score[then] -= count
    ordered = sorted(share, key=lambda name: (-score[name], -share[name], name))
    return [*ordered, conversion]
