"""Survey answers placed in the customer journey, for the voice-of-the-customer analyses.

:func:`journey_answers` gives one row per answer with what the customer had lived through
when they answered: the furthest journey stage reached, the order being rated (the latest
purchase before the answer) and how long it took to arrive, friction incidents and support
contacts in the weeks before, whether the customer later churned, and their segment.
:func:`response_rates` turns non-response into a number; :func:`touchpoints_before` shows what
detractors went through compared with promoters.

These take a :class:`cxlib.Dataset` (polars) like :mod:`cxlib.pages.stage_view`: they join the three
tables by time (as-of joins), which the portable core avoids.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import polars as pl

from cxlib._engine import eager, parse_duration
from cxlib._errors import DataError
from cxlib._stats import wilson

if TYPE_CHECKING:
    from cxlib.io import Dataset

SEGMENTS = ("country", "age_band", "acquisition_channel")
TRIGGERS = {"nps": "purchase", "csat": "support_contact", "ces": "checkout"}
DELIVERY = ("delivery", "late_delivery")
SUPPORT = "support_contact"


def category_expr() -> pl.Expr:
    """The answer's bucket: promoter/passive/detractor (NPS 9–10/7–8/0–6), satisfied/
    neutral/dissatisfied (CSAT 4–5/3/1–2), easy/neutral/difficult (CES 5–7/4/1–3)."""
    survey, score = pl.col("survey"), pl.col("score")
    return (
        pl.when(survey == "nps")
        .then(
            pl.when(score >= 9)
            .then(pl.lit("promoter"))
            .when(score >= 7)
            .then(pl.lit("passive"))
            .otherwise(pl.lit("detractor"))
        )
        .when(survey == "csat")
        .then(
            pl.when(score >= 4)
            .then(pl.lit("satisfied"))
            .when(score >= 3)
            .then(pl.lit("neutral"))
            .otherwise(pl.lit("dissatisfied"))
        )
        .when(survey == "ces")
        .then(
            pl.when(score >= 5)
            .then(pl.lit("easy"))
            .when(score >= 4)
            .then(pl.lit("neutral"))
            .otherwise(pl.lit("difficult"))
        )
    )


def _surveys(ds: Dataset) -> pl.DataFrame:
    surveys = eager(ds.surveys)
    if surveys is None or surveys.height == 0:
        raise DataError("this dataset has no survey answers; add a surveys file to cx.toml")
    return surveys


def journey_answers(
    ds: Dataset,
    *,
    window: str | timedelta = "30d",
    segments: Sequence[str] = SEGMENTS,
) -> pl.DataFrame:
    """One row per survey answer with the customer's journey at the time of the answer.

    Parameters
    ----------
    ds : Dataset
        Loaded data (touchpoints, surveys, and customers if present).
    window : str or timedelta
        How far back friction incidents and support contacts count (``"30d"``).
    segments : list of str
        Customer columns to carry (those present).

    Returns
    -------
    polars.DataFrame
        The survey columns plus ``category`` (promoter/passive/detractor, ...),
        ``journey_stage`` (furthest stage reached by then), ``order_channel`` and
        ``delivery_days`` of the latest purchase before the answer (0 for a store purchase,
        null when none or not delivered yet), ``late_delivery``, ``friction_incidents`` and
        ``support_contacts`` in ``window`` before the answer, ``churned`` and the segments.

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib import voc
    >>> ds = cx.load("data/sample")
    >>> answers = voc.journey_answers(ds)
    >>> answers.height == ds.surveys.height
    True
    """
    span = parse_duration(window, name="window")
    surveys = _surveys(ds).with_row_index("__a")
    touchpoints = ds.touchpoints.lazy()  # queries: each part reads only the columns it needs
    has_orders = "order_id" in touchpoints.collect_schema().names()
    stages = list(ds.stages.stages)
    rank = {stage: i for i, stage in enumerate(stages)}
    # furthest stage reached so far, at every touchpoint
    reached = (
        touchpoints.filter(pl.col("stage").is_in(stages))
        .select(
            "customer_id",
            "ts",
            pl.col("stage").replace_strict(rank, return_dtype=pl.Int32).alias("__r"),
        )
        .sort("customer_id", "ts")
        .with_columns(pl.col("__r").cum_max().over("customer_id"))
        .sort("ts")
        .collect()
    )
    answers = surveys.sort("ts").join_asof(
        reached, on="ts", by="customer_id", strategy="backward", check_sortedness=False
    )
    answers = answers.with_columns(
        pl.col("__r")
        .replace_strict(dict(enumerate(stages)), default=None, return_dtype=pl.String)
        .alias("journey_stage")
    ).drop("__r")
    # the order being rated: latest purchase before the answer, and its delivery
    purchases = (
        touchpoints.filter(pl.col("touchpoint") == ds.config.conversion)
        .select(
            "customer_id",
            pl.col("ts").alias("__bought"),
            pl.col("channel").alias("order_channel"),
            *([pl.col("order_id")] if has_orders else []),
        )
        .sort("__bought")
        .collect()
    )
    answers = answers.sort("ts").join_asof(
        purchases,
        left_on="ts",
        right_on="__bought",
        by="customer_id",
        strategy="backward",
        check_sortedness=False,
    )
    delivered_at = pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    late = pl.lit(None, dtype=pl.Boolean)
    if has_orders:
        deliveries = (
            touchpoints.filter(pl.col("touchpoint").is_in(DELIVERY))
            .group_by("order_id")
            .agg(
                pl.col("ts").min().alias("__delivered"),
                (pl.col("touchpoint") == DELIVERY[1]).any().alias("__late"),
            )
            .collect()
        )
        answers = answers.join(deliveries, on="order_id", how="left")
        delivered_at, late = pl.col("__delivered"), pl.col("__late")
    days = (delivered_at - pl.col("__bought")).dt.total_seconds(fractional=True) / 86_400
    store = pl.col("order_channel") == "store"
    answers = answers.with_columns(
        pl.when(store)
        .then(pl.lit(0.0))
        .when(delivered_at.is_not_null() & (delivered_at <= pl.col("ts")))
        .then(days)
        .alias("delivery_days"),
        pl.when(store)
        .then(pl.lit(False))
        .otherwise(late.fill_null(False) & pl.col("__bought").is_not_null())
        .alias("late_delivery"),
    )
    # friction incidents and support contacts in the window before the answer
    wanted = [*(ds.config.friction or ()), SUPPORT]
    events = (
        touchpoints.filter(pl.col("touchpoint").is_in(wanted))
        .select("customer_id", pl.col("ts").alias("__e"), "touchpoint")
        .collect()
    )
    recent = (
        answers.select("__a", "customer_id", "ts")
        .join(events, on="customer_id")
        .filter(
            (pl.col("__e") <= pl.col("ts"))
            & (pl.col("__e") > pl.col("ts") - pl.duration(microseconds=span))
        )
        .group_by("__a")
        .agg(
            pl.col("touchpoint")
            .is_in(list(ds.config.friction or ()))
            .sum()
            .cast(pl.Int64)
            .alias("friction_incidents"),
            (pl.col("touchpoint") == SUPPORT).sum().cast(pl.Int64).alias("support_contacts"),
        )
    )
    answers = answers.join(recent, on="__a", how="left").with_columns(
        pl.col("friction_incidents").fill_null(0),
        pl.col("support_contacts").fill_null(0),
        category_expr().alias("category"),
    )
    customers = eager(ds.customers)
    extra = []
    if customers is not None:
        extra = [c for c in ("churned", *segments) if c in customers.columns]
        answers = answers.join(
            customers.select("customer_id", *extra), on="customer_id", how="left"
        )
    keep = [c for c in surveys.columns if c != "__a"]
    return answers.sort("__a").select(
        *keep,
        "category",
        "journey_stage",
        "order_channel",
        "delivery_days",
        "late_delivery",
        "friction_incidents",
        "support_contacts",
        *extra,
    )


def response_rates(
    ds: Dataset,
    *,
    by: Sequence[str] = ("country", "age_band", "acquisition_channel", "churned"),
    triggers: dict[str, str] | None = None,
    confidence: float = 0.95,
    min_customers: int = 30,
) -> pl.DataFrame:
    """Survey response rate by customer segment: who stays silent is a signal too.

    Rate = customers who answered the survey / customers who had its triggering touchpoint
    (purchase → NPS, support_contact → CSAT, checkout → CES by default), with a Wilson
    interval.

    Returns
    -------
    polars.DataFrame
        ``survey, segment, value, group`` (``segment = value``, for charts)``, eligible,
        responded, response_rate, rate_low, rate_high, small_sample``.

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib import voc
    >>> rates = voc.response_rates(cx.load("data/sample"), by=["country"])
    >>> sorted(rates["survey"].unique().to_list())
    ['ces', 'csat', 'nps']
    """
    triggers = dict(TRIGGERS if triggers is None else triggers)
    surveys, touchpoints = _surveys(ds), eager(ds.touchpoints)
    customers = eager(ds.customers)
    columns = [c for c in by if customers is not None and c in customers.columns]
    if not columns:
        raise DataError(f"response_rates: none of {list(by)} is a customer column")
    low, high = wilson("responded", "eligible", confidence)
    parts = []
    for survey, trigger in triggers.items():
        eligible = (
            touchpoints.filter(pl.col("touchpoint") == trigger).select("customer_id").unique()
        )
        answered = surveys.filter(pl.col("survey") == survey).select("customer_id").unique()
        flagged = eligible.join(
            answered.with_columns(pl.lit(True).alias("__r")), on="customer_id", how="left"
        ).join(customers.select("customer_id", *columns), on="customer_id", how="left")
        for column in columns:
            parts.append(
                flagged.group_by(pl.col(column).cast(pl.String).alias("value"))
                .agg(
                    pl.len().cast(pl.Int64).alias("eligible"),
                    pl.col("__r").fill_null(False).sum().cast(pl.Int64).alias("responded"),
                )
                .with_columns(pl.lit(survey).alias("survey"), pl.lit(column).alias("segment"))
            )
    return (
        pl.concat(parts)
        .with_columns(
            (pl.col("responded") / pl.col("eligible")).alias("response_rate"),
            low.alias("rate_low"),
            high.alias("rate_high"),
            (pl.col("eligible") < min_customers).alias("small_sample"),
        )
        .with_columns(
            (pl.col("segment") + " = " + pl.col("value").fill_null("(missing)")).alias("group")
        )
        .select(
            "survey",
            "segment",
            "value",
            "group",
            "eligible",
            "responded",
            "response_rate",
            "rate_low",
            "rate_high",
            "small_sample",
        )
        .sort("survey", "segment", "value", nulls_last=True)
    )


def touchpoints_before(
    ds: Dataset,
    *,
    survey: str = "nps",
    window: str | timedelta = "30d",
    top: int | None = None,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """What customers went through before answering, by answer category.

    For each touchpoint: the share of answers of each category (detractor, passive,
    promoter for NPS) whose customer had that touchpoint in ``window`` before answering,
    with a Wilson interval, and ``lift`` = that share / the same share among the best
    category (promoters). Detractors' journeys stand out where the lift is far above 1.
    ``top`` keeps the touchpoints with the highest lift only.

    Returns
    -------
    polars.DataFrame
        ``touchpoint, category, answers, with_touchpoint, share, share_low, share_high,
        lift``; touchpoints with the highest lift among the worst category first.

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib import voc
    >>> before = voc.touchpoints_before(cx.load("data/sample"))
    >>> top = before.filter(pl.col("category") == "detractor")["touchpoint"].to_list()[:3]
    >>> "late_delivery" in top
    True
    """
    span = parse_duration(window, name="window")
    answers = (
        _surveys(ds)
        .filter(pl.col("survey") == survey)
        .with_row_index("__a")
        .with_columns(category_expr().alias("category"))
    )
    if answers.height == 0:
        return pl.DataFrame()
    touchpoints = eager(ds.touchpoints).select(
        "customer_id", pl.col("ts").alias("__e"), "touchpoint"
    )
    had = (
        answers.select("__a", "customer_id", "ts", "category")
        .join(touchpoints, on="customer_id")
        .filter(
            (pl.col("__e") <= pl.col("ts"))
            & (pl.col("__e") > pl.col("ts") - pl.duration(microseconds=span))
        )
        .select("__a", "category", "touchpoint")
        .unique()
    )
    sizes = answers.group_by("category").agg(pl.len().cast(pl.Int64).alias("answers"))
    counts = had.group_by("touchpoint", "category").agg(
        pl.len().cast(pl.Int64).alias("with_touchpoint")
    )
    grid = (
        counts.select("touchpoint")
        .unique()
        .join(sizes, how="cross")
        .join(counts, on=["touchpoint", "category"], how="left")
        .with_columns(pl.col("with_touchpoint").fill_null(0))
    )
    low, high = wilson("with_touchpoint", "answers", confidence)
    order = {
        "nps": ["detractor", "passive", "promoter"],
        "csat": ["dissatisfied", "neutral", "satisfied"],
        "ces": ["difficult", "neutral", "easy"],
    }[survey]
    best, worst = order[-1], order[0]
    grid = grid.with_columns(
        (pl.col("with_touchpoint") / pl.col("answers")).alias("share"),
        low.alias("share_low"),
        high.alias("share_high"),
    )
    baseline = grid.filter(pl.col("category") == best).select(
        "touchpoint", pl.col("share").alias("__base")
    )
    grid = grid.join(baseline, on="touchpoint", how="left").with_columns(
        pl.when(pl.col("__base") > 0).then(pl.col("share") / pl.col("__base")).alias("lift")
    )
    rank = grid.filter(pl.col("category") == worst).select(
        "touchpoint", pl.col("lift").fill_null(float("inf")).alias("__k")
    )
    if top is not None:
        rank = rank.sort("__k", "touchpoint", descending=[True, False]).head(top)
    return (
        grid.join(rank, on="touchpoint", how="inner")
        .with_columns(
            pl.col("category")
            .replace_strict({c: i for i, c in enumerate(order)}, return_dtype=pl.Int32)
            .alias("__o")
        )
        .sort(["__k", "touchpoint", "__o"], descending=[True, False, False], nulls_last=True)
        .select(
            "touchpoint",
            "category",
            "answers",
            "with_touchpoint",
            "share",
            "share_low",
            "share_high",
            "lift",
        )
    )
