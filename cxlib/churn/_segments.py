"""Who is followed after a snapshot, how they may be split, and which split the data supports.

:func:`population_at` is the table behind :func:`cxlib.churn.lifetimes`: the churn features
known at ``as_of``, two channel segments read from the touchpoints before it, and each
customer's outcome (:func:`cxlib.churn.outcomes`), without the customers who had already
churned by then. :func:`survival_segments` picks the split of the retention curves: the one
asked for when it has two groups or more, else what the data has.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import eager
from cxlib._errors import DataError
from cxlib.churn import _definition as _d
from cxlib.churn import _features as _f
from cxlib.churn._drivers import feature_label

DateLike = str | date | datetime
MAX_GROUPS = 6  # a fallback split has 2 to 6 groups; channels beyond are pooled as "other"
MISSING = "missing"
FOLLOW_UP_DAYS = 90  # default as_of: this many days before the last churn the data can show
# segments read from the touchpoints before as_of, with their plain-language names
CHANNEL_SEGMENTS = {
    "first_channel": "first channel",
    "first_purchase_channel": "channel of the first purchase",
}


def _channels(ds: Any, moment: datetime) -> pl.DataFrame:
    """``customer_id, first_channel, first_purchase_channel`` from touchpoints before ``as_of``."""
    before = (
        ds.touchpoints.lazy()
        .filter(pl.col("ts") < moment)
        .select("customer_id", "ts", "channel", pl.col("touchpoint") == ds.config.conversion)
    )
    everyone = _first_channel(before, "first_channel")
    buyers = _first_channel(before.filter(pl.col("touchpoint")), "first_purchase_channel")
    return everyone.join(buyers, on="customer_id", how="left", nulls_equal=True).collect()


def _first_channel(touchpoints: pl.LazyFrame, name: str) -> pl.LazyFrame:
    """``customer_id, <name>``: the channel of each customer's first touchpoint (ties in time:
    the first channel by name, a missing one first), without sorting all touchpoints."""
    first = touchpoints.group_by("customer_id").agg(pl.col("ts").min())
    return (
        touchpoints.join(first, on=["customer_id", "ts"], nulls_equal=True)
        .group_by("customer_id")
        .agg(pl.col("channel").sort(nulls_last=False).first().alias(name))
    )


def _pool(table: pl.DataFrame, column: str) -> pl.DataFrame:
    """Beyond ``MAX_GROUPS`` values, the ``MAX_GROUPS - 1`` most common kept, the rest "other"."""
    counts = (
        table.get_column(column)
        .drop_nulls()
        .value_counts()
        .sort(["count", column], descending=[True, False])
    )
    if counts.height <= MAX_GROUPS:
        return table
    keep = counts.head(MAX_GROUPS - 1).get_column(column)
    value = pl.col(column)
    pooled = pl.when(value.is_null() | value.is_in(keep.implode())).then(value)
    return table.with_columns(pooled.otherwise(pl.lit("other")).alias(column))


def snapshot(ds: Any, as_of: DateLike | None, rule: _d.ChurnDefinition) -> datetime:
    """``as_of`` for curves after a snapshot; default ``FOLLOW_UP_DAYS`` (at most half the
    history) before the last moment a churn can be seen
    (:func:`cxlib.churn._definition.seen_until`)."""
    until = _d.seen_until(ds, rule)
    start = eager(ds.touchpoints).get_column("ts").min()
    # follow customers FOLLOW_UP_DAYS, or half the history a short dataset has
    follow = min(timedelta(days=FOLLOW_UP_DAYS), max(until - start, timedelta(0)) / 2)
    wait = (_f.data_end(ds) - until) + follow
    moment = _f.resolve_as_of(ds, as_of, wait)
    if moment > until:
        rule_days = "" if rule.kind != "inactivity" else f" less {rule.inactivity_days:g} days"
        raise DataError(
            f"as_of={moment:%Y-%m-%d} is after {until:%Y-%m-%d}, the last day a churn can be "
            f"seen (the data's end{rule_days}); choose an earlier as_of"
        )
    return moment


def population_at(ds: Any, moment: datetime, rule: _d.ChurnDefinition) -> pl.DataFrame:
    """Customers at risk at ``moment`` with their features, channel segments and outcome.

    Columns: the :func:`cxlib.churn.features` columns, ``_churn_ts`` and ``_observed`` from
    :func:`cxlib.churn.outcomes`, then ``first_channel`` and ``first_purchase_channel``
    (unless the customers have columns of those names; ``"no purchase"`` before the first
    purchase; beyond 6 channels, the 5 most common and "other"). Customers whose
    churn is dated before ``moment`` (under the inactivity rule: last touchpoint before it)
    are left out: they had left already.
    """
    table = _f.build(
        ds,
        moment,
        friction=None,
        support=("support_contact",),
        store_channels=("store",),
        attributes=True,
    )
    seen = _d.outcomes_of(ds, rule).select(
        "customer_id",
        pl.col("churned").alias("_churned"),
        pl.col("churn_ts").alias("_churn_ts"),
        pl.col("observed").alias("_observed"),
    )
    gone = (pl.col("_churned") & (pl.col("_churn_ts") < moment)).fill_null(False)
    table = (
        table.join(seen, on="customer_id", how="left")
        .filter(~gone)
        .with_columns(pl.col("_observed").fill_null(False))
        .drop("_churned")
    )
    derived = [name for name in CHANNEL_SEGMENTS if name not in table.columns]
    if not derived:
        return table
    channels = _channels(ds, moment).select("customer_id", *derived)
    table = table.join(channels, on="customer_id", how="left")
    if "first_purchase_channel" in derived:
        table = table.with_columns(pl.col("first_purchase_channel").fill_null("no purchase"))
    for name in derived:
        table = _pool(table, name)
    return table


def segment(table: pl.DataFrame, by: str | None, bins: Sequence[float] | None) -> pl.Expr:
    """The segment label of each row: ``"all"``; ``by`` as text (null: "missing"); or a
    numeric ``by`` cut at ``bins`` (``[1, 2]`` on counts: "0", "1", "2+")."""
    if by is None:
        return pl.lit("all")
    dtype = table.schema[by]
    if bins is None or not dtype.is_numeric():
        return pl.col(by).cast(pl.String).fill_null(MISSING)
    edges = sorted(bins)
    labels = [bin_label(edges, i, counts=dtype.is_integer()) for i in range(len(edges) + 1)]
    expr = pl.when(pl.col(by).is_null()).then(pl.lit(MISSING))
    for edge, text in zip(edges, labels, strict=False):  # a few bins
        expr = expr.when(pl.col(by) < edge).then(pl.lit(text))
    return expr.otherwise(pl.lit(labels[-1]))


def bin_label(edges: list[float], i: int, *, counts: bool) -> str:
    """``[1, 2]`` on counts: "0", "1", "2+"; otherwise "< 1", "1 to < 2", "2+"."""

    def text(v: float) -> str:
        return f"{v:g}"

    if i == 0:
        return "0" if counts and edges[0] == 1 else f"< {text(edges[0])}"
    if i == len(edges):
        return f"{text(edges[-1])}+"
    low, high = edges[i - 1], edges[i]
    return text(low) if counts and high - low == 1 else f"{text(low)} to < {text(high)}"


def _name(column: str) -> str:
    return i18n._(CHANNEL_SEGMENTS[column]) if column in CHANNEL_SEGMENTS else feature_label(column)


def _groups(table: pl.DataFrame, column: str, bins: Sequence[float] | None) -> list[str]:
    values = table.select(segment(table, column, bins).alias("s")).get_column("s")
    return values.unique().sort().to_list()


def _attributes(ds: Any, moment: datetime, table: pl.DataFrame) -> list[str]:
    """The customers' own columns among the features (in their table's order)."""
    customers = _f.history(ds, moment).customers
    if customers is None:
        return []
    return [
        c for c in customers.columns if c in table.columns and c not in ("customer_id", "signup_ts")
    ]


def survival_segments(
    ds: Any,
    *,
    preferred: str | None = None,
    as_of: DateLike | None = None,
    bins: Sequence[float] | None = None,
) -> tuple[str | None, str]:
    """The split of the retention curves after ``as_of`` that the data supports, and why.

    ``preferred`` (a :func:`cxlib.churn.features` column, cut at ``bins`` when numeric) is
    kept when the customers at risk at ``as_of`` fall in two groups or more. Otherwise, in
    order: the first customer attribute with 2 to 6 groups (missing values aside), the
    channel of the first touchpoint, the channel of the first purchase (channels beyond
    the 5 most common pooled as "other"); else no split: one curve, and no log-rank test.

    Returns
    -------
    tuple
        ``(column, reason)``: the column to pass as ``by`` to :func:`cxlib.churn.lifetimes`
        (None: no split) and one sentence saying which split and why, for the page.

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> cx.churn.survival_segments(ds, preferred="friction_90d", as_of="2025-07-01", bins=[1, 2])
    ('friction_90d', 'Split by friction incidents in the last 90 days (3 groups).')
    """
    rule = _d.definition(ds)
    moment = snapshot(ds, as_of, rule)
    table = population_at(ds, moment, rule)
    if table.height == 0:
        return None, i18n.t(
            "No customers were active and not yet churned on {date}.", date=i18n.date(moment)
        )
    why = ""
    if preferred is not None:
        if preferred not in table.columns or preferred.startswith("_"):
            why = i18n.t("This data has no '{column}'", column=preferred)
        else:
            groups = _groups(table, preferred, bins)
            if len(groups) >= 2:
                return preferred, i18n.t(
                    "Split by {name} ({n} groups).", name=_name(preferred), n=len(groups)
                )
            why = i18n.t(
                "All {n} customers at risk have the same {name} ({value})",
                n=i18n.number(table.height),
                name=_name(preferred),
                value=groups[0],
            )
    candidates = [*_attributes(ds, moment, table), *CHANNEL_SEGMENTS]
    for column in candidates:
        if column == preferred or column not in table.columns:
            continue
        groups = [g for g in _groups(table, column, None) if g != MISSING]
        if 2 <= len(groups) <= MAX_GROUPS:
            values = {"name": _name(column), "n": len(groups)}
            if why:
                return column, i18n.t(
                    "{why}; split by {name} instead ({n} groups).", why=why, **values
                )
            return column, i18n.t("Split by {name} ({n} groups).", **values)
    if why:
        return None, i18n.t(
            "{why}, and no customer attribute or channel splits the customers into 2 to {most} "
            "groups: one curve for everyone, no log-rank test.",
            why=why,
            most=MAX_GROUPS,
        )
    return None, i18n.t(
        "No customer attribute or channel splits the customers into 2 to {most} groups: one "
        "curve for everyone, no log-rank test.",
        most=MAX_GROUPS,
    )
