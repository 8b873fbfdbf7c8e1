"""Churn features and labels as of a date, without leaking the future.

Everything a feature may look at passes through :func:`history`, which keeps touchpoints and
survey answers strictly before ``as_of`` and drops the customer columns that describe the
outcome (the label, ``churn_ts``). The feature builders only ever see that history, so a
feature computed from data on or after ``as_of`` cannot be written by mistake; labels come
from ``_definition.churn_label``, which looks only at what follows ``as_of``.

Written in polars (the Dataset's engine): the inputs are a project's own tables, the output
is one small row per customer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from cxlib._engine import eager, parse_duration
from cxlib._errors import DataError
from cxlib.io import role_of
from cxlib.privacy import is_personal

DAY_US = 86_400_000_000
OUTCOME_COLUMNS = ("churned", "churn_ts")
MAX_CHANNELS = 10  # channel-share columns kept (the most used channels)


@dataclass(frozen=True)
class History:
    """What is known at ``as_of``: past touchpoints and answers, customers without outcomes."""

    as_of: datetime
    touchpoints: pl.LazyFrame  # a query: each feature reads only the columns it needs
    surveys: pl.DataFrame | None
    customers: pl.DataFrame | None
    population: pl.Series  # customer ids at risk at as_of


def as_datetime(value: str | date | datetime, *, name: str = "as_of") -> datetime:
    """A date, datetime or ISO string as a UTC datetime (naive values are taken as UTC)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise DataError(f"{name}={value!r} is not a date; use e.g. '2025-07-01'") from None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise DataError(f"{name}={value!r} is not a date; use e.g. '2025-07-01'")


def resolve_as_of(
    ds: Any, as_of: str | date | datetime | None, horizon: str | timedelta | None
) -> datetime:
    """``as_of``, or the latest day that still leaves ``horizon`` of data after it (without a
    horizon: the day after the last touchpoint, i.e. "today")."""
    if as_of is not None:
        return as_datetime(as_of)
    end = data_end(ds)
    micros = parse_duration(horizon, name="horizon") or 0
    day = (end - timedelta(microseconds=micros)).date()
    return as_datetime(day + timedelta(days=0 if micros else 1))


def data_end(ds: Any) -> datetime:
    """The last touchpoint timestamp of a dataset."""
    end = eager(ds.touchpoints).get_column("ts").max()
    if end is None:
        raise DataError("touchpoints are empty: nothing to compute churn features from")
    return end


def history(
    ds: Any,
    as_of: datetime,
    *,
    exclude: tuple[str, ...] = (),
    gone: pl.Series | None = None,
) -> History:
    """The data known strictly before ``as_of``; outcome columns removed from customers.

    The population at risk is every customer with a touchpoint before ``as_of``, less those
    whose ``churn_ts`` is before ``as_of`` (they already left) and the ids in ``gone``
    (known to have churned by ``as_of`` otherwise). The outcome columns are ``churned``,
    ``churn_ts`` and the configured label (``[churn] label``).
    """
    touchpoints = ds.touchpoints.lazy().filter(pl.col("ts") < as_of)
    surveys = eager(ds.surveys)
    if surveys is not None:
        surveys = surveys.filter(pl.col("ts") < as_of)
    customers = eager(ds.customers)
    population = touchpoints.select(pl.col("customer_id").unique()).collect().to_series()
    if gone is not None:
        population = population.filter(~population.is_in(gone.implode()))
    outcome = {*OUTCOME_COLUMNS, ds.config.churn_label}
    if customers is not None:
        if "churn_ts" in customers.columns:
            gone = customers.filter(pl.col("churn_ts") < as_of).get_column("customer_id")
            population = population.filter(~population.is_in(gone.implode()))
        drop = [
            c
            for c in customers.columns
            if c in outcome
            or c in exclude
            or (customers.schema[c].is_temporal() and c != "signup_ts")
        ]
        customers = customers.drop(drop)
    return History(as_of, touchpoints, surveys, customers, population.sort())


def days_before(since: pl.Expr, as_of: datetime) -> pl.Expr:
    return (pl.lit(as_of) - since).dt.total_microseconds() / DAY_US


def _column_name(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_") or "other"


def journey_features(
    past: History,
    *,
    stages: tuple[str, ...],
    conversion: str,
    friction: tuple[str, ...],
    support: tuple[str, ...],
    store_channels: tuple[str, ...],
) -> pl.DataFrame:
    """Touchpoint features per customer at risk (see :func:`cxlib.churn.features`)."""
    as_of = past.as_of
    tp = past.touchpoints.filter(pl.col("customer_id").is_in(past.population.implode()))
    names = tp.collect_schema().names()
    recent_30 = pl.col("ts") >= as_of - timedelta(days=30)
    prior_60 = (pl.col("ts") >= as_of - timedelta(days=90)) & ~recent_30
    is_friction = pl.col("touchpoint").is_in(list(friction))
    is_purchase = pl.col("touchpoint") == conversion
    stage_index = (
        pl.col("stage").replace_strict(
            {s: i for i, s in enumerate(stages)}, default=None, return_dtype=pl.Int32
        )
        if "stage" in names
        else pl.lit(None, dtype=pl.Int32)
    )
    tp = tp.with_columns(stage_index.alias("_stage_index"))
    # revenue of conversions only: some exports put the product price on every event
    revenue = (
        pl.col("revenue").filter(is_purchase).fill_null(0).sum()
        if "revenue" in names
        else pl.lit(0.0)
    )
    stage_counts = [
        (pl.col("_stage_index") == i).sum().alias(f"stage_{_column_name(s)}")
        for i, s in enumerate(stages)
    ]
    per_customer = tp.group_by("customer_id").agg(
        *stage_counts,
        first_ts=pl.col("ts").min(),
        last_ts=pl.col("ts").max(),
        touchpoints=pl.len(),
        purchases=is_purchase.sum(),
        revenue=revenue,
        channels=pl.col("channel").n_unique(),
        store_purchase=(is_purchase & pl.col("channel").is_in(list(store_channels))).any(),
        online_purchase=(is_purchase & ~pl.col("channel").is_in(list(store_channels))).any(),
        friction_90d=(is_friction & (pl.col("ts") >= as_of - timedelta(days=90))).sum(),
        friction_total=is_friction.sum(),
        last_friction_ts=pl.col("ts").filter(is_friction).max(),
        support_contacts=pl.col("touchpoint").is_in(list(support)).sum(),
        touchpoints_30d=recent_30.sum(),
        touchpoints_prior_60d=prior_60.sum(),
        furthest=pl.col("_stage_index").max(),
        furthest_ts=pl.col("ts")
        .filter(pl.col("_stage_index") == pl.col("_stage_index").max())
        .max(),
    )
    rate_30 = pl.col("touchpoints_30d") / 30
    rate_60 = pl.col("touchpoints_prior_60d") / 60
    out = per_customer.select(
        "customer_id",
        days_before(pl.col("last_ts"), as_of).alias("recency_days"),
        pl.col("touchpoints").cast(pl.Int64),
        pl.col("purchases").cast(pl.Int64),
        pl.col("revenue").cast(pl.Float64),
        pl.col("furthest")
        .replace_strict(dict(enumerate(stages)), default=None, return_dtype=pl.String)
        .alias("furthest_stage"),
        days_before(pl.col("furthest_ts"), as_of).alias("days_since_furthest_stage"),
        pl.col("channels").cast(pl.Int64),
        (pl.col("store_purchase") & pl.col("online_purchase")).alias("omnichannel"),
        pl.col("friction_90d").cast(pl.Int64),
        pl.col("friction_total").cast(pl.Int64),
        days_before(pl.col("last_friction_ts"), as_of).alias("days_since_friction"),
        pl.col("support_contacts").cast(pl.Int64),
        pl.col("touchpoints_30d").cast(pl.Int64),
        pl.col("touchpoints_prior_60d").cast(pl.Int64),
        pl.when(rate_30 + rate_60 > 0)
        .then((rate_30 - rate_60) / (rate_30 + rate_60))
        .alias("engagement_trend"),
        pl.col("first_ts"),
        *[pl.col(f"stage_{_column_name(s)}").cast(pl.Int64) for s in stages],
    )
    return out.join(_channel_mix(tp), on="customer_id", how="left").collect()


def _channel_mix(tp: pl.LazyFrame) -> pl.LazyFrame:
    """Share of each customer's touchpoints on each of the most used channels."""
    top = (
        tp.group_by("channel")
        .len()
        .collect()
        .sort(["len", "channel"], descending=[True, False])
        .head(MAX_CHANNELS)
        .get_column("channel")
        .drop_nulls()
        .to_list()
    )
    shares = [
        ((pl.col("channel") == channel).sum() / pl.len()).alias(f"share_{_column_name(channel)}")
        for channel in top
    ]
    if not shares:
        return tp.select("customer_id").unique()
    return tp.group_by("customer_id").agg(shares)


def survey_features(past: History, *, kinds: tuple[str, ...] = ("nps", "csat")) -> pl.DataFrame:
    """Latest score, change from the previous answer and answer count per survey kind."""
    ids = pl.DataFrame({"customer_id": past.population})
    if past.surveys is None:
        return ids.with_columns(pl.lit(0, dtype=pl.Int64).alias("survey_answers"))
    answers = past.surveys.sort("customer_id", "ts")
    counts = answers.group_by("customer_id").agg(pl.len().cast(pl.Int64).alias("survey_answers"))
    out = ids.join(counts, on="customer_id", how="left")
    for kind in kinds:
        scores = (
            answers.filter(pl.col("survey") == kind)
            .group_by("customer_id")
            .agg(
                pl.col("score").last().alias(f"{kind}_latest"),
                (pl.col("score").last() - pl.col("score").shift(1).last()).alias(f"{kind}_trend"),
            )
        )
        out = out.join(scores, on="customer_id", how="left")
    return out.with_columns(pl.col("survey_answers").fill_null(0))


def friction_by_period(ds: Any, *, friction: tuple[str, ...], period: str) -> pl.DataFrame:
    """``customer_id, incidents, worst``: friction incidents, and the most in one period."""
    tp = ds.touchpoints.lazy().filter(pl.col("touchpoint").is_in(list(friction)))
    per_period = tp.group_by("customer_id", pl.col("ts").dt.truncate(period).alias("_p")).len()
    return (
        per_period.group_by("customer_id")
        .agg(incidents=pl.col("len").sum().cast(pl.Int64), worst=pl.col("len").max().cast(pl.Int64))
        .collect()
    )


def support_touchpoints(ds: Any, friction: Sequence[str] = ()) -> tuple[str, ...]:
    """Touchpoints whose names mean a support contact (``support_contact``, ``ticket``,
    ``khiếu nại``, ...), friction excluded: the default of ``features(support=...)``."""
    names = eager(ds.touchpoints).get_column("touchpoint").unique().drop_nulls().to_list()
    return tuple(sorted(n for n in names if role_of(n) == "support" and n not in friction))


def build(
    ds: Any,
    as_of: datetime,
    *,
    friction: Sequence[str] | None,
    support: Sequence[str] | None,
    store_channels: Sequence[str],
    attributes: bool,
    gone: pl.Series | None = None,
) -> pl.DataFrame:
    """All features of :func:`cxlib.churn.features` (journey, surveys, tenure, attributes)
    of the customers at risk at ``as_of`` (``gone``: ids to leave out, see :func:`history`)."""
    past = history(ds, as_of, gone=gone)
    friction = tuple(friction if friction is not None else ds.config.friction or ())
    journey = journey_features(
        past,
        stages=tuple(ds.stages.stages),
        conversion=ds.config.conversion,
        friction=friction,
        support=tuple(support if support is not None else support_touchpoints(ds, friction)),
        store_channels=tuple(store_channels),
    )
    out = journey.join(survey_features(past), on="customer_id", how="left").with_columns(
        ((pl.col("purchases") > 0) & (pl.col("survey_answers") == 0)).alias("no_survey_answer")
    )
    start = pl.col("first_ts")
    customers = past.customers
    if customers is not None:
        keep = (  # personal data (names, emails, phones) is never a model feature
            [c for c in customers.columns if c == "customer_id" or not is_personal(c)]
            if attributes
            else [c for c in ("customer_id", "signup_ts") if c in customers.columns]
        )
        out = out.join(customers.select(keep), on="customer_id", how="left")
        if "signup_ts" in customers.columns:
            start = pl.coalesce(pl.col("signup_ts"), pl.col("first_ts"))
    out = out.with_columns(days_before(start, as_of).alias("tenure_days"))
    return out.drop([c for c in ("first_ts", "signup_ts") if c in out.columns]).sort("customer_id")
