"""Channel paths: each customer journey as the channels touched on the way to a conversion."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Literal

import polars as pl

from cxlib._engine import CUSTOMER, lazy, parse_duration, require, to_polars
from cxlib._errors import DataError
from cxlib.journey import usable


def channel_paths(
    touchpoints: Any,
    *,
    conversion: str = "purchase",
    touches: Sequence[str] | None = None,
    journeys: Literal["first", "all"] = "first",
    collapse_repeats: bool = True,
    lookback: str | timedelta | None = None,
) -> Any:
    """Channel paths per customer journey, up to a conversion or to the end of the data.

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints with ``channel``.
    conversion : str
        The converting touchpoint.
    touches : list of str, optional
        Touchpoints that count as touches (e.g. ``["ad_click", "email_open", "visit"]``);
        default every touchpoint but the conversion.
    journeys : {"first", "all"}
        ``"first"``: each customer's journey to their first conversion (or their whole
        history when they never convert). ``"all"``: a new journey starts after every
        conversion; touches after the last conversion form a non-converting journey.
    collapse_repeats : bool
        Count consecutive touches on the same channel once (after the lookback window).
    lookback : str or timedelta, optional
        Lookback window (``"30d"``, ``"2w"``, ``"12h"``): only touches at most this long
        before the end of their journey count — its conversion, or for a journey that does
        not convert its last touchpoint. Older touches are dropped from the path (and a
        journey left without a touch is left out). Default: no window, every touch counts.

    Returns
    -------
    polars.DataFrame
        ``customer_id, journey`` (0-based), ``path`` (list of channels, in order),
        ``converted`` (bool). Journeys without a touch are left out (nothing to credit).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> tp = pl.DataFrame({"customer_id": ["a"] * 4, "ts": [datetime(2025, 1, d)
    ...     for d in (1, 2, 3, 4)], "touchpoint": ["ad_click", "email_open", "visit",
    ...     "purchase"], "channel": ["social", "email", "email", "web"]})
    >>> channel_paths(tp).row(0)
    ('a', 0, ['social', 'email'], True)
    >>> channel_paths(tp, lookback="2d").row(0)  # the ad click was 3 days before
    ('a', 0, ['email'], True)
    """
    if journeys not in ("first", "all"):
        raise DataError(f"journeys={journeys!r}; use 'first' or 'all'")
    window = parse_duration(lookback, name="lookback")
    if window is not None and window <= 0:
        raise DataError(f"lookback={lookback!r} must be positive, e.g. '30d', or None")
    events = usable(touchpoints, [CUSTOMER, "ts", "touchpoint", "channel"])
    events = to_polars(events.select(CUSTOMER, "__t", "touchpoint", "channel"))
    events = events.sort(CUSTOMER, "__t", "touchpoint").with_columns(
        (pl.col("touchpoint") == conversion).alias("__conv")
    )
    # journey number: conversions strictly before this event (the conversion closes its own)
    events = events.with_columns(
        (
            pl.col("__conv").cast(pl.Int64).cum_sum().over(CUSTOMER)
            - pl.col("__conv").cast(pl.Int64)
        ).alias("journey")
    )
    if journeys == "first":
        events = events.filter(pl.col("journey") == 0)
    converted = events.group_by(CUSTOMER, "journey").agg(pl.col("__conv").any().alias("converted"))
    touch = ~pl.col("__conv") & pl.col("channel").is_not_null()
    if touches is not None:
        touch = touch & pl.col("touchpoint").is_in(list(touches))
    if window is not None:
        # the journey ends at its conversion, or at its last event when it has none
        end = pl.col("__t").max().over(CUSTOMER, "journey")
        touch = touch & (end - pl.col("__t") <= window)
    steps = events.filter(touch)
    if collapse_repeats:
        previous = pl.col("channel").shift(1).over(CUSTOMER, "journey")
        steps = steps.filter(previous.is_null() | (previous != pl.col("channel")))
    paths = steps.group_by(CUSTOMER, "journey", maintain_order=True).agg(
        pl.col("channel").alias("path")
    )
    out = (
        paths.join(converted, on=[CUSTOMER, "journey"])
        .with_columns(pl.col("journey").cast(pl.Int64))
        .sort(CUSTOMER, "journey")
    )
    return out.select(CUSTOMER, "journey", "path", "converted")


def check_paths(paths: Any, *, extra: Sequence[str] = ()) -> pl.DataFrame:
    """``path`` (list of channels), ``converted`` and the ``extra`` columns of a paths
    frame, as polars; journeys with an empty path are dropped (private to the package)."""
    frame = lazy(paths)
    require(frame, ["path", "converted", *extra], what="paths")
    data = to_polars(frame.select("path", "converted", *extra))
    if not isinstance(data.schema["path"], pl.List):
        raise DataError(
            "paths: column 'path' must be a list of channels per journey; build "
            "it with cxlib.attribution.channel_paths(touchpoints)"
        )
    return data.filter(pl.col("path").list.len() > 0).with_columns(
        pl.col("converted").cast(pl.Boolean)
    )
