"""Omnichannel vs single-channel customers: are omnichannel customers worth more?

Private; the public name is :func:`cxlib.omnichannel.compare`.

Buyers are customers with at least one purchase in the period on a grouped channel;
omnichannel buyers bought in at least ``min_groups`` channel groups (default: in store and
on web/app), single-channel buyers (store only and online only, pooled) in one. Metrics,
omnichannel against single-channel:

* ``<group>_order_value``: revenue per order in that channel group (orders pooled within
  each segment, so a big buyer weighs by their orders);
* ``orders``: purchases per buyer in the period (purchase frequency);
* ``retention``: share of buyers with any touchpoint in the final ``active_window`` of the
  period (still active);
* ``value``: revenue per buyer in the period (12-month value on a year of data).

Uplift = omnichannel / single-channel − 1. Intervals are percentile bootstrap intervals,
resampling customers within each segment (orders of one customer stay together), with a fixed
seed, so a rerun gives the same numbers. A difference is "distinguishable from zero" when the
interval excludes 0.

These are associations, not effects: omnichannel buyers have at least two orders by
definition, and customers who buy more have more chances to try a second channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import narwhals as nw
import numpy as np
import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import (
    CUSTOMER,
    MICROS,
    check_values,
    like_input,
    parse_duration,
    to_polars,
)
from cxlib._errors import DataError
from cxlib._progress import progress
from cxlib.journey import usable

SEED_CLAIMS: Mapping[str, float] = {
    "store_order_value": 0.04,
    "online_order_value": 0.10,
    "value": 0.30,
}
"""The seeds' claims: omnichannel customers spend 4% more in store, 10% more online and are
worth 30% more (pass as ``claims=`` to check them against the data)."""

_DEFAULT_GROUPS: Mapping[str, Sequence[str]] = {"store": ("store",), "online": ("web", "app")}


def _micros(value: str | date | datetime, name: str) -> int:
    try:
        moment = pl.Series([value]).cast(pl.String).str.to_datetime(time_zone="UTC")
    except Exception:  # noqa: BLE001 - any parse failure is the same user error
        raise DataError(f"{name}={value!r} is not a date; use e.g. '2025-01-01'") from None
    return int(moment.dt.timestamp("us").item())


def _per_customer(
    touchpoints: Any,
    groups: Mapping[str, Sequence[str]],
    purchase: str,
    start: str | date | datetime | None,
    end: str | date | datetime | None,
) -> tuple[pl.DataFrame, int, int]:
    """One row per customer in the period: orders and revenue per group, last activity."""
    events = usable(touchpoints, [CUSTOMER, "ts", "touchpoint", "channel", "revenue"])
    bounds = to_polars(
        events.select(nw.col("__t").min().alias("lo"), nw.col("__t").max().alias("hi"))
    ).row(0)
    if bounds[0] is None:
        raise DataError("touchpoints: no rows to compare")
    lo = bounds[0] if start is None else _micros(start, "start")
    # an ``end`` date means the whole day
    hi = bounds[1] if end is None else _micros(end, "end") + MICROS["d"] - 1
    events = events.filter(nw.col("__t") >= lo, nw.col("__t") <= hi)
    is_purchase = (nw.col("touchpoint") == purchase) & ~nw.col("revenue").is_null()
    columns, sums = [], []
    for name, channels in groups.items():
        hit = is_purchase & nw.col("channel").is_in(list(channels))
        columns += [
            hit.cast(nw.Int64).alias(f"{name}_orders"),
            nw.when(hit)
            .then(nw.col("revenue").cast(nw.Float64))
            .otherwise(0.0)
            .alias(f"{name}_revenue"),
        ]
        sums += [f"{name}_orders", f"{name}_revenue"]
    # per-row columns first: simple aggregations run efficiently on every engine
    per_row = events.select(CUSTOMER, "__t", *columns)
    grouped = per_row.group_by(CUSTOMER).agg(
        nw.col("__t").max().alias("last_t"), *[nw.col(c).sum() for c in sums]
    )
    data = to_polars(grouped).sort(CUSTOMER)
    return data, lo, hi


_UNITS = {  # a window's unit -> its words (one, several)
    "d": (i18n.N_("{n} day"), i18n.N_("{n} days")),
    "w": (i18n.N_("{n} week"), i18n.N_("{n} weeks")),
    "h": (i18n.N_("{n} hour"), i18n.N_("{n} hours")),
    "m": (i18n.N_("{n} minute"), i18n.N_("{n} minutes")),
}


def _readable(window: str) -> str:
    """ "90d" -> "90 days" (labels read as language, not as parameters)."""
    text = str(window).strip()
    number, unit = text[:-1], text[-1:]
    if number.isdigit() and unit in _UNITS:
        return i18n.nt(*_UNITS[unit], int(number))
    return text


def _bootstrap_ratio(num: np.ndarray, den: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """sum(num) / sum(den) over each bootstrap resample (rows of ``idx``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return num[idx].sum(axis=1) / den[idx].sum(axis=1)


def _verdict(
    metric: str,
    what: str,
    uplift: float,
    low: float,
    high: float,
    confidence: float,
    claim: float | None,
    window: str,
) -> str:
    """One plain sentence in the report's language (:mod:`cxlib.i18n`)."""
    if not np.isfinite(uplift):
        return i18n.t("{what}: not enough customers in both segments to compare.", what=what)
    share = i18n.percent(abs(uplift))
    size = (
        i18n.t("{share} more", share=share) if uplift >= 0 else i18n.t("{share} less", share=share)
    )
    if metric == "orders":
        lead = i18n.t("Omnichannel customers place {size} orders", size=size)
    elif metric == "retention":
        lead = i18n.t(
            "Omnichannel customers are {size} likely to be active in the last {window} of the "
            "period",
            size=size,
            window=window,
        )
    elif metric == "value":
        lead = i18n.t(
            "Omnichannel customers are worth {size} per customer over the period", size=size
        )
    else:  # spend per order of a channel group
        group = metric.removesuffix("_order_value")
        lead = i18n.t(
            "Omnichannel customers spend {size} per {group} order", size=size, group=group
        )
    values = {
        "lead": lead,
        "level": i18n.percent(confidence, 0),
        "low": i18n.percent(low, sign=True),
        "high": i18n.percent(high, sign=True),
    }
    if low > 0 or high < 0:
        text = i18n.t(
            "{lead} than single-channel customers ({level} CI {low} to {high}); the difference "
            "is distinguishable from zero.",
            **values,
        )
    else:
        text = i18n.t(
            "{lead} than single-channel customers ({level} CI {low} to {high}); the difference "
            "is not distinguishable from zero.",
            **values,
        )
    if claim is not None:
        claimed = i18n.percent(claim, 0, sign=True)
        if low <= claim <= high:
            text += " " + i18n.t("The claimed {claim} is within the interval.", claim=claimed)
        else:
            text += " " + i18n.t("The claimed {claim} is outside the interval.", claim=claimed)
    return text


def compare(
    touchpoints: Any,
    *,
    groups: Mapping[str, Sequence[str]] | None = None,
    min_groups: int | None = None,
    purchase: str = "purchase",
    start: str | date | datetime | None = None,
    end: str | date | datetime | None = None,
    active_window: str = "90d",
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
    claims: Mapping[str, float] | None = None,
) -> Any:
    """Omnichannel vs single-channel buyers: spend per order, frequency, retention, value.

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints with ``channel`` and ``revenue`` on purchases.
    groups : mapping of str to list of str
        Channel groups, default ``{"store": ["store"], "online": ["web", "app"]}``; each
        group gets an order-value metric.
    min_groups : int, optional
        Groups a buyer must have bought in to be omnichannel; default all.
    purchase : str
        The purchase touchpoint (its rows carry ``revenue``).
    start, end : str or date, optional
        The period (inclusive dates); default the span of the data. On a year of data
        ``value`` is the 12-month value.
    active_window : str
        ``retention`` counts buyers with a touchpoint in this final stretch of the period.
    confidence : float
        Interval level.
    n_boot : int
        Bootstrap resamples.
    seed : int
        Random seed of the bootstrap (fixed: reruns give the same intervals).
    claims : mapping of metric to uplift, optional
        Claims to check, e.g. :data:`SEED_CLAIMS`; adds ``claim`` and ``claim_in_interval``.

    Returns
    -------
    frame
        Same library as ``touchpoints``, one row per metric: ``metric, description,
        omnichannel, single_channel`` (the metric in each segment), ``uplift``
        (omnichannel / single-channel − 1), ``ci_low, ci_high`` (of the uplift),
        ``omnichannel_customers, single_channel_customers`` (customers the metric is
        computed on), ``distinguishable`` (interval excludes 0), ``verdict`` (one plain
        sentence), and with ``claims``: ``claim, claim_in_interval``.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> print(compare(ds.touchpoints).get_column("verdict")[0])  # doctest: +ELLIPSIS
    Omnichannel customers spend 3.3% more per store order than single-channel customers ...
    """
    groups = dict(_DEFAULT_GROUPS if groups is None else groups)
    needed = len(groups) if min_groups is None else min_groups
    if len(groups) < 2 or not 1 < needed <= len(groups):
        raise DataError(
            f"groups={groups}, min_groups={min_groups}: need at least two groups "
            "and 2 <= min_groups <= number of groups"
        )
    if n_boot < 100:
        raise DataError(f"n_boot={n_boot}: use at least 100 resamples (1000 is the default)")
    window = parse_duration(active_window, name="active_window") or 0
    check_values(touchpoints, "touchpoint", [purchase], argument="purchase")
    channels = [channel for names in groups.values() for channel in names]
    check_values(touchpoints, "channel", channels, argument="groups", what="channel")
    data, _, hi = _per_customer(touchpoints, groups, purchase, start, end)
    names = list(groups)
    orders = data.select(pl.sum_horizontal([f"{g}_orders" for g in names])).to_series()
    data = data.with_columns(
        orders.alias("orders"),
        pl.sum_horizontal([f"{g}_revenue" for g in names]).alias("revenue"),
        pl.sum_horizontal([(pl.col(f"{g}_orders") > 0).cast(pl.Int64) for g in names]).alias(
            "__groups"
        ),
        (pl.col("last_t") > hi - window).cast(pl.Float64).alias("active"),
    ).filter(pl.col("orders") > 0)
    omni = (data.get_column("__groups") >= needed).to_numpy()
    single = (data.get_column("__groups") == 1).to_numpy()
    metrics: list[tuple[str, str, str, str | None]] = [
        (
            f"{g}_order_value",
            i18n.t("Spend per {group} order", group=g),
            f"{g}_revenue",
            f"{g}_orders",
        )
        for g in names
    ]
    metrics += [
        ("orders", i18n._("Orders per customer"), "orders", None),
        (
            "retention",
            i18n.t("Active in the last {window}", window=_readable(active_window)),
            "active",
            None,
        ),
        ("value", i18n._("Value per customer"), "revenue", None),
    ]
    rng = np.random.default_rng(seed)
    segments = {"omni": omni, "single": single}
    rows = []
    # one bootstrap per metric, drawn in this order (the seed's stream is shared)
    for metric, description, num_col, den_col in progress(
        metrics, desc="bootstrap intervals", unit="metric"
    ):
        num_all = data.get_column(num_col).cast(pl.Float64).to_numpy()
        den_all = (
            data.get_column(den_col).cast(pl.Float64).to_numpy()
            if den_col
            else np.ones(data.height)
        )
        point, boots, counts = {}, {}, {}
        for key, mask in segments.items():
            keep = mask & (den_all > 0)
            num, den = num_all[keep], den_all[keep]
            counts[key] = int(keep.sum())
            point[key] = num.sum() / den.sum() if den.sum() > 0 else np.nan
            if counts[key]:
                idx = rng.integers(0, counts[key], size=(n_boot, counts[key]))
                boots[key] = _bootstrap_ratio(num, den, idx)
            else:
                boots[key] = np.full(n_boot, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            uplift = point["omni"] / point["single"] - 1
            replicates = boots["omni"] / boots["single"] - 1
        finite = replicates[np.isfinite(replicates)]
        tail = (1 - confidence) / 2
        low, high = np.quantile(finite, [tail, 1 - tail]) if finite.size else (np.nan, np.nan)
        claim = (claims or {}).get(metric)
        rows.append(
            {
                "metric": metric,
                "description": description,
                "omnichannel": float(point["omni"]),
                "single_channel": float(point["single"]),
                "uplift": float(uplift),
                "ci_low": float(low),
                "ci_high": float(high),
                "omnichannel_customers": counts["omni"],
                "single_channel_customers": counts["single"],
                "distinguishable": bool(low > 0 or high < 0),
                "verdict": _verdict(
                    metric,
                    description,
                    float(uplift),
                    float(low),
                    float(high),
                    confidence,
                    claim,
                    _readable(active_window),
                ),
                "claim": claim,
            }
        )
    out = pl.DataFrame(rows, schema_overrides={"claim": pl.Float64}).with_columns(
        pl.col("omnichannel_customers", "single_channel_customers").cast(pl.Int64)
    )
    if claims:
        out = out.with_columns(
            pl.when(pl.col("claim").is_not_null())
            .then((pl.col("ci_low") <= pl.col("claim")) & (pl.col("claim") <= pl.col("ci_high")))
            .alias("claim_in_interval")
        )
    else:
        out = out.drop("claim")
    return like_input(out, touchpoints)
