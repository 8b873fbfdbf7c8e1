"""Scores linked to behaviour, stall comments and themes, key drivers: the functions of
:mod:`cxlib.voc` that take a whole :class:`~cxlib.io.Dataset` (see the package docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import polars as pl

from cxlib._errors import DataError
from cxlib._stats import wilson
from cxlib.journey.stage import entries as stage_entries
from cxlib.journey.stage import segments as stage_segments
from cxlib.voc._drivers import key_drivers
from cxlib.voc._journey import category_expr, journey_answers
from cxlib.voc._satisfaction import ces_counts, csat_counts, nps_counts
from cxlib.voc._themes import comment_themes, project_themes

if TYPE_CHECKING:
    from cxlib.io import Dataset


Metric = Literal["nps", "csat", "ces"]
_METRICS = {"nps": nps_counts, "csat": csat_counts, "ces": ces_counts}
_ORDER = {
    "nps": ["detractor", "passive", "promoter"],
    "csat": ["dissatisfied", "neutral", "satisfied"],
    "ces": ["difficult", "neutral", "easy"],
}
DRIVER_ATTRIBUTES = (
    "delivery_days",
    "friction_incidents",
    "support_contacts",
    "channel",
    "journey_stage",
)


def _metric(metric: str):  # -> the counts function of a metric
    if metric not in _METRICS:
        raise DataError(f"metric={metric!r}; use 'nps', 'csat' or 'ces'")
    return _METRICS[metric]


def scores(
    ds: Dataset,
    *,
    metric: Metric = "nps",
    by: str | Sequence[str] | None = "journey_stage",
    confidence: float = 0.95,
    min_responses: int = 30,
) -> pl.DataFrame:
    """NPS, CSAT or CES by any column of :func:`journey_answers`.

    ``by="journey_stage"`` (furthest stage reached when answering), ``["stage",
    "touchpoint"]`` (what the survey asked about), ``"channel"``, ``"churned"`` (NPS of
    customers who later churned against those who stayed), ``"country"``, ...

    Returns
    -------
    polars.DataFrame
        The columns of :func:`cxlib.nps` / :func:`cxlib.csat` / :func:`cxlib.ces`.

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib import voc
    >>> voc.scores(cx.load("data/sample"), metric="csat", by="channel").columns[:3]
    ['channel', 'responses', 'satisfied']
    """
    counts = _metric(metric)
    cols = [by] if isinstance(by, str) else list(by or [])
    result = counts(journey_answers(ds), cols, confidence, min_responses)
    return result.sort(cols, nulls_last=True) if cols else result


def churn_by_category(
    ds: Dataset, *, survey: Metric = "nps", confidence: float = 0.95
) -> pl.DataFrame:
    """Churn rate by the category of each customer's latest answer (promoter / passive /
    detractor for NPS), with a Wilson interval: does the score predict leaving?

    Returns ``category, customers, churned, churn_rate, rate_low, rate_high`` (worst
    category first).

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib import voc
    >>> rates = voc.churn_by_category(cx.load("data/sample"))
    >>> rates["category"].to_list()
    ['detractor', 'passive', 'promoter']
    """
    answers = journey_answers(ds)
    if "churned" not in answers.columns:
        raise DataError("customers have no 'churned' column; set [churn] in cx.toml")
    latest = (
        answers.filter(pl.col("survey") == survey)
        .sort("ts")
        .group_by("customer_id")
        .agg(pl.col("category").last(), pl.col("churned").last())
    )
    low, high = wilson("churned", "customers", confidence)
    order = {c: i for i, c in enumerate(_ORDER[survey])}
    return (
        latest.group_by("category")
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("churned").fill_null(False).sum().cast(pl.Int64).alias("churned"),
        )
        .with_columns(
            (pl.col("churned") / pl.col("customers")).alias("churn_rate"),
            low.alias("rate_low"),
            high.alias("rate_high"),
        )
        .sort(pl.col("category").replace_strict(order, default=len(order)))
    )


def _stalled(ds: Dataset, stage: str) -> pl.DataFrame:
    return stage_entries(ds, stage).filter(~pl.col("moved_on")).select("customer_id")


def stalled_comments(ds: Dataset, stage: str, *, limit: int | None = 30) -> pl.DataFrame:
    """Comments of customers who reached ``stage`` but never a later one, with their theme,
    lowest scores first: why they did not move on. Customer ids are left out.

    Returns ``survey, score, category, channel, language, theme, comment``.

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib import voc
    >>> voc.stalled_comments(cx.load("data/sample"), "conversion").columns[-2:]
    ['theme', 'comment']
    """
    answers = journey_answers(ds).join(_stalled(ds, stage), on="customer_id")
    themed = comment_themes(answers, themes=project_themes(ds.config))
    # ties in score and time broken by customer and text: the join leaves rows in no set order
    ties = [c for c in ("customer_id", "survey", "comment") if c in themed.columns]
    result = themed.sort("score", "ts", *ties).select(
        "survey", "score", "category", "channel", "language", "theme", "comment"
    )
    return result if limit is None else result.head(limit)


def stall_themes(
    ds: Dataset,
    stage: str,
    *,
    channels: str | Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Themes of comments from the customer segments that stall at ``stage`` against
    everyone else's: why they do not move on.

    Stalling segments are those of :func:`cxlib.journey.stage.segments` (whole conversion
    interval below the stage's). A customer in two stalling segments counts in both;
    ``everyone else`` is in none. ``channels`` keeps answers given on those channels only
    (``["web", "app"]`` or ``"web,app"``, e.g. when the stall happens online).

    Returns
    -------
    polars.DataFrame
        ``group, theme, comments, share, share_low, share_high``; ``group`` is
        ``segment = value`` or ``everyone else``; empty when no segment stalls.

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib import voc
    >>> themes = voc.stall_themes(cx.load("data/sample"), "consideration", channels=["web", "app"])
    >>> themes.filter(pl.col("group") == "country = VN")["theme"].to_list()[0]
    'shipping_cost'
    """
    schema = {
        "group": pl.String,
        "theme": pl.String,
        "comments": pl.Int64,
        "share": pl.Float64,
        "share_low": pl.Float64,
        "share_high": pl.Float64,
    }
    stalling = stage_segments(ds, stage).filter(pl.col("stalls"))
    if stalling.height == 0:
        return pl.DataFrame(schema=schema)
    answers = journey_answers(ds)
    if channels is not None:
        wanted = channels.split(",") if isinstance(channels, str) else list(channels)
        answers = answers.filter(pl.col("channel").is_in([c.strip() for c in wanted]))
    themed = comment_themes(answers, themes=project_themes(ds.config))
    groups, inside = [], pl.lit(False)
    for segment, value in stalling.select("segment", "value").iter_rows():  # a few segments
        member = pl.col(segment).cast(pl.String) == value
        groups.append(
            themed.filter(member).with_columns(pl.lit(f"{segment} = {value}").alias("group"))
        )
        inside = inside | member.fill_null(False)
    groups.append(themed.filter(~inside).with_columns(pl.lit("everyone else").alias("group")))
    low, high = wilson("comments", "__n", confidence)
    return (
        pl.concat(groups)
        .group_by("group", "theme")
        .agg(pl.len().cast(pl.Int64).alias("comments"))
        .with_columns(pl.col("comments").sum().over("group").alias("__n"))
        .with_columns(
            (pl.col("comments") / pl.col("__n")).alias("share"),
            low.alias("share_low"),
            high.alias("share_high"),
        )
        .sort(
            pl.col("group") == "everyone else", "group", "comments", descending=[False, False, True]
        )
        .select(list(schema))
    )


def _varying(answers: pl.DataFrame, metric: str, attributes: Sequence[str]) -> list[str]:
    """The attributes that vary among the answers and are set on at least half of them."""
    _metric(metric)
    return [
        a
        for a in attributes
        if a in answers.columns
        and answers.get_column(a).null_count() <= answers.height / 2
        and answers.get_column(a).drop_nulls().n_unique() > 1
    ]


def driver_attributes(
    ds: Dataset, *, metric: Metric = "nps", attributes: Sequence[str] = DRIVER_ATTRIBUTES
) -> list[str]:
    """The attributes :func:`drivers` can use on ``ds``: those that vary among the answers
    (none when the answers cannot be placed in customers' journeys)."""
    answers = journey_answers(ds).filter(pl.col("survey") == metric)
    return _varying(answers, metric, attributes)


def drivers(
    ds: Dataset,
    *,
    metric: Metric = "nps",
    attributes: Sequence[str] = DRIVER_ATTRIBUTES,
    n_boot: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Which experience attributes move the score: :func:`key_drivers` on the answers.

    Attributes are columns of :func:`journey_answers`: by default delivery time of the
    rated order, friction incidents and support contacts in the 30 days before, the
    channel, and the furthest journey stage. Attributes that do not vary, or are missing
    for more than half of the answers (delivery time of a CSAT answer), are left out;
    answers missing a kept attribute are left out too.

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib import voc
    >>> top = voc.drivers(cx.load("data/sample"), n_boot=20)["attribute"].to_list()[0]
    >>> top in {"delivery_days", "friction_incidents"}
    True
    """
    answers = journey_answers(ds).filter(pl.col("survey") == metric)
    kept = _varying(answers, metric, attributes)
    if not kept:
        raise DataError(f"drivers: none of {list(attributes)} varies in the {metric} answers")
    return key_drivers(
        answers.select("score", *kept),
        target="score",
        attributes=kept,
        n_boot=n_boot,
        seed=seed,
        confidence=confidence,
    )


def theme_matrix(themed: pl.DataFrame, *, survey: Metric = "nps") -> pl.DataFrame:
    """Themes × answer categories: how many comments of each theme come with each
    category, and the share within the theme.

    Returns ``theme, category, comments, share`` (categories worst first).

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib import voc
    >>> themed = voc.comment_themes(cx.load("data/sample").surveys)
    >>> voc.theme_matrix(themed).columns
    ['theme', 'category', 'comments', 'share']
    """
    answers = themed.filter(pl.col("survey") == survey)
    if "category" not in answers.columns:
        answers = answers.with_columns(category_expr().alias("category"))
    themes = answers.select("theme").unique()
    categories = pl.DataFrame({"category": _ORDER[survey]})
    counts = answers.group_by("theme", "category").agg(pl.len().cast(pl.Int64).alias("comments"))
    order = {c: i for i, c in enumerate(_ORDER[survey])}
    return (
        themes.join(categories, how="cross")
        .join(counts, on=["theme", "category"], how="left")
        .with_columns(pl.col("comments").fill_null(0))
        .with_columns((pl.col("comments") / pl.col("comments").sum().over("theme")).alias("share"))
        .sort("theme", pl.col("category").replace_strict(order))
    )


def quotes(
    themed: pl.DataFrame,
    *,
    per_group: int = 1,
    by: Sequence[str] = ("theme", "language"),
    category: str | None = None,
) -> pl.DataFrame:
    """Representative quotes: the most repeated distinct comments of each theme and
    language (ties: the shorter), optionally of one answer category (``"detractor"``).

    Returns ``by..., comment, times, mean_score``. Comments are shown as written: display
    them with :func:`cxlib.pages.tables.table`, which escapes them.

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib import voc
    >>> themed = voc.comment_themes(cx.load("data/sample").surveys)
    >>> voc.quotes(themed).columns
    ['theme', 'language', 'comment', 'times', 'mean_score']
    """
    cols = list(by)
    frame = themed
    if category is not None:
        if "category" not in frame.columns:
            frame = frame.with_columns(category_expr().alias("category"))
        frame = frame.filter(pl.col("category") == category)
    return (
        frame.group_by(*cols, "comment")
        .agg(pl.len().cast(pl.Int64).alias("times"), pl.col("score").mean().alias("mean_score"))
        .sort(
            [*cols, "times", pl.col("comment").str.len_chars()],
            descending=[False] * len(cols) + [True, False],
        )
        .group_by(cols, maintain_order=True)
        .head(per_group)
        .select(*cols, "comment", "times", "mean_score")
    )
