"""Journey stages: how many customers reach each stage, move on, and where they are seen.

Definitions. Each touchpoint belongs to a stage of the stage model: the touchpoints' own
``stage`` column wins when it names a stage of the model, otherwise the model maps the
touchpoint (:meth:`StageModel.stage_of`); events of no stage are left out. A customer
*reached* a stage when they have any touchpoint of it, and *moved on* from it when a
touchpoint of a later stage (higher in the model's order, not necessarily the next one)
happens at or after their first touchpoint in the stage (ties in time count as in order,
as in funnels). The time in a stage runs from that first touchpoint to the first
later-stage touchpoint that follows it. Rows without a customer id, timestamp or touchpoint
are skipped (the loaders reject them).

How it is computed, once for every engine (narwhals): the events are reduced to one row per
customer and timestamp with the highest stage seen there; a reverse running minimum per
customer gives, for each later-than-k condition, the next time it holds (as in
``_funnel``); each customer's first time in a stage is looked up in that table with an
equi-join. Only per-stage (and per-channel) aggregates are collected to polars.
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import polars as pl

from cxlib._engine import (
    CUSTOMER,
    NEVER,
    aggregate,
    like_input,
    materialize,
    quantile,
    to_polars,
)
from cxlib._stats import wilson
from cxlib.io import StageModel, stage_model
from cxlib.journey._paths import usable


def as_stage_model(stages: StageModel | str | None) -> StageModel:
    """A stage model from a model, a preset name, or None (the default preset)."""
    if stages is None or isinstance(stages, str):
        return stage_model() if stages is None else stage_model(stages)
    return stages


def _chain(pairs: list[tuple[nw.Expr, int]]) -> nw.Expr | None:
    """``when(c1).then(i1).otherwise(when(c2)...)``; null when no condition holds."""
    expr = None
    for condition, value in reversed(pairs):
        step = nw.when(condition).then(nw.lit(value))
        expr = step if expr is None else step.otherwise(expr)
    return expr


def stage_index(names: list[str], model: StageModel) -> nw.Expr | None:
    """0-based stage of each row: its ``stage`` column if in the model, else the mapping.

    Null for rows of no stage; cast to an integer type only once nulls are gone (pandas).
    """
    parts = []
    if "stage" in names:
        parts.append(_chain([(nw.col("stage") == s, i) for i, s in enumerate(model.stages)]))
    if "touchpoint" in names:
        groups = [
            ([tp for tp, s in sorted(model.mapping.items()) if s == stage], i)
            for i, stage in enumerate(model.stages)
        ]
        parts.append(_chain([(nw.col("touchpoint").is_in(tps), i) for tps, i in groups if tps]))
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else nw.coalesce(*parts)


def _staged(touchpoints: Any, model: StageModel, extra: list[str]) -> nw.LazyFrame:
    events = usable(touchpoints, [CUSTOMER, "ts", "touchpoint", *extra])
    index = stage_index(events.collect_schema().names(), model)
    events = events.select(
        CUSTOMER,
        "__t",
        "touchpoint",
        *[nw.col(c).cast(nw.String) for c in extra],
        index.alias("__s"),
    )
    events = events.filter(~nw.col("__s").is_null()).with_columns(nw.col("__s").cast(nw.Int64))
    return materialize(events)


def _moved_on(events: nw.LazyFrame, firsts: nw.LazyFrame, stages: int) -> nw.LazyFrame:
    """Add ``__ok`` (1 when a later stage follows ``__t``) and ``__dt`` to first-time rows.

    ``firsts`` has customer_id, ``__s`` and ``__t`` (the first time in that stage).
    """
    grid = events.group_by(CUSTOMER, "__t").agg(nw.col("__s").max().alias("__hi"))
    later = range(stages - 1)
    grid = grid.with_columns(
        *[
            nw.when(nw.col("__hi") > k)
            .then(nw.col("__t"))
            .otherwise(nw.lit(NEVER))
            .cast(nw.Int64)
            .alias(f"__n{k}")
            for k in later
        ]
    ).with_columns(
        *[nw.col(f"__n{k}").cum_min(reverse=True).over(CUSTOMER, order_by="__t") for k in later]
    )
    joined = firsts.join(grid, on=[CUSTOMER, "__t"], how="inner")
    following: nw.Expr = nw.lit(NEVER)  # the last stage has no later stage
    for k in later:
        following = nw.when(nw.col("__s") == k).then(nw.col(f"__n{k}")).otherwise(following)
    joined = joined.with_columns(following.cast(nw.Int64).alias("__next"))
    moved = nw.col("__next") < NEVER
    return joined.with_columns(
        moved.cast(nw.Int64).alias("__ok"),
        nw.when(moved).then(nw.col("__next") - nw.col("__t")).alias("__dt"),
    )


def _stage_frame(model: StageModel) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "stage_index": pl.Series(range(1, len(model.stages) + 1), dtype=pl.Int64),
            "stage": list(model.stages),
        }
    )


def stage_summary(
    touchpoints: Any, stages: StageModel | str | None = None, *, confidence: float = 0.95
) -> Any:
    """How many customers reach each journey stage and how many move on to a later one.

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints (polars, pandas, DuckDB or PySpark). A ``stage`` column, when
        present, wins over the model's mapping for the stages it names.
    stages : StageModel or str, optional
        The stage model (``ds.stages``) or a preset name; default ``"5-stage"``.
    confidence : float
        Level of the Wilson interval around ``conversion_to_next``.

    Returns
    -------
    frame
        Same library as ``touchpoints``, one row per stage in model order:
        ``stage_index`` (1-based, as :meth:`StageModel.to_frame`), ``stage``, ``customers``
        (who reached it: any touchpoint of the stage), ``reached_next`` (of those, who had a
        touchpoint of any later stage at or after their first touchpoint in this one),
        ``conversion_to_next`` (``reached_next / customers``; null for the last stage and for
        stages nobody reached) with ``conversion_low`` and ``conversion_high`` (Wilson), and
        ``median_time_in_stage`` (Duration from the first touchpoint in the stage to the first
        later-stage touchpoint after it, among those who moved on).

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> summary = cx.stage_summary(ds.touchpoints, ds.stages)
    >>> summary["stage"].to_list() == list(ds.stages.stages)
    True
    """
    model = as_stage_model(stages)
    events = _staged(touchpoints, model, [])
    firsts = events.group_by(CUSTOMER, "__s").agg(nw.col("__t").min())
    moved = _moved_on(events, firsts, len(model.stages))
    counts = aggregate(  # the median is exact on one machine, approximate on Spark
        moved,
        ["__s"],
        nw.len().alias("customers"),
        nw.col("__ok").sum().alias("reached_next"),
        quantile("__dt", 0.5).alias("__median"),
    )
    counts = counts.with_columns(
        (pl.col("__s").cast(pl.Int64) + 1).alias("stage_index")  # 1-based, as people count
    )
    last = len(model.stages)
    out = (
        _stage_frame(model)
        .join(counts.drop("__s"), on="stage_index", how="left")
        .with_columns(
            pl.col("customers", "reached_next").fill_null(0).cast(pl.Int64),
        )
    )
    has_next = (pl.col("stage_index") < last) & (pl.col("customers") > 0)
    low, high = wilson("reached_next", "customers", confidence)
    out = out.with_columns(
        pl.when(has_next)
        .then(pl.col("reached_next") / pl.col("customers"))
        .alias("conversion_to_next"),
        pl.when(has_next).then(low).alias("conversion_low"),
        pl.when(has_next).then(high).alias("conversion_high"),
        pl.duration(microseconds=pl.col("__median").round(0).cast(pl.Int64)).alias(
            "median_time_in_stage"
        ),
    ).sort("stage_index")
    return like_input(out.drop("__median"), touchpoints)


def _attributed(surveys: Any, events: nw.LazyFrame, model: StageModel) -> nw.LazyFrame:
    """Survey answers with ``__s`` and ``channel``: their own, else the latest touchpoint's.

    The latest touchpoint is the customer's last one (of a known stage) at or before the
    answer; a touchpoint at the same time as the answer counts as before it. No as-of join:
    answers and touchpoints share one timeline and a running maximum carries the position
    of the latest touchpoint forward.
    """
    answers = usable(surveys, [CUSTOMER, "ts", "survey", "score"], what="surveys")
    names = answers.collect_schema().names()
    own_stage = stage_index(names, model)
    answers = answers.select(
        CUSTOMER,
        "__t",
        "survey",
        "score",
        (own_stage.fill_null(-1) if own_stage is not None else nw.lit(-1))
        .cast(nw.Int64)
        .alias("__own_s"),
        (nw.col("channel").cast(nw.String) if "channel" in names else nw.lit("")).alias("__own_ch"),
        nw.lit(1).alias("__one"),
    ).with_columns(
        nw.col("__one")
        .cum_sum()
        .over(CUSTOMER, order_by=["__t", "survey", "score"])
        .cast(nw.Int64)
        .alias("__row")
    )
    answers = materialize(answers)
    common = [
        CUSTOMER,
        "__t",
        "__kind",
        "touchpoint",
        "__no_ch",
        "channel",
        "__s",
        "__row",
        "__one",
    ]
    timeline = nw.concat(
        [
            events.with_columns(
                nw.lit(0).alias("__kind"),
                nw.lit(-1).cast(nw.Int64).alias("__row"),
                nw.lit(1).alias("__one"),
                nw.col("channel").is_null().alias("__no_ch"),
            ).select(*common),
            answers.with_columns(
                nw.lit(1).alias("__kind"),
                nw.lit("").alias("touchpoint"),
                nw.lit("").alias("channel"),
                nw.lit(-1).cast(nw.Int64).alias("__s"),
                nw.lit(False).alias("__no_ch"),
            ).select(*common),
        ]
    )
    # Ties: touchpoints before answers, then by touchpoint, channel (nulls last) and stage,
    # so that of two tied touchpoints the later stage is "latest", whatever the row order.
    order = ["__t", "__kind", "touchpoint", "__no_ch", "channel", "__s"]
    timeline = (
        timeline.with_columns(
            nw.col("__one").cum_sum().over(CUSTOMER, order_by=order).cast(nw.Int64).alias("__pos")
        )
        .with_columns(
            nw.when(nw.col("__kind") == 0).then(nw.col("__pos")).otherwise(0).alias("__latest")
        )
        .with_columns(nw.col("__latest").cum_max().over(CUSTOMER, order_by="__pos"))
    )
    timeline = materialize(timeline)
    lookup = timeline.filter(nw.col("__kind") == 0).select(
        CUSTOMER,
        nw.col("__pos").alias("__latest"),
        nw.col("__s").alias("__tp_s"),
        nw.col("channel").alias("__tp_ch"),
    )
    found = (
        timeline.filter(nw.col("__kind") == 1)
        .select(CUSTOMER, "__row", "__latest")
        .join(lookup, on=[CUSTOMER, "__latest"], how="left")
    )
    answers = answers.join(found, on=[CUSTOMER, "__row"], how="left")
    own_s = nw.when(nw.col("__own_s") >= 0).then(nw.col("__own_s"))
    own_ch = nw.col("__own_ch") if "channel" in names else nw.col("__tp_ch")
    return answers.select(
        CUSTOMER,
        "survey",
        "score",
        nw.coalesce(own_s, nw.col("__tp_s")).alias("__s"),
        nw.coalesce(own_ch, nw.col("__tp_ch")).alias("channel"),
    )


def _survey_scores(answers: nw.LazyFrame) -> pl.DataFrame:
    """Responses, NPS (promoters 9–10 minus detractors 0–6, in points) and CSAT (4–5 share)."""
    scored = ~nw.col("score").is_null()
    nps = (nw.col("survey") == "nps") & scored
    csat = (nw.col("survey") == "csat") & scored
    flags = {
        "__nps": nps,
        "__promoters": nps & (nw.col("score") >= 9),
        "__detractors": nps & (nw.col("score") <= 6),
        "__csat": csat,
        "__top": csat & (nw.col("score") >= 4),
    }
    answers = answers.filter(~nw.col("__s").is_null()).with_columns(
        *[flag.fill_null(False).cast(nw.Int64).alias(name) for name, flag in flags.items()]
    )
    counts = to_polars(
        answers.group_by("__s", "channel").agg(
            nw.len().alias("responses"), *[nw.col(name).sum() for name in flags]
        )
    )
    counts = counts.with_columns(pl.col("responses", *flags).cast(pl.Int64))
    return counts.select(
        (pl.col("__s").cast(pl.Int64) + 1).alias("stage_index"),
        "channel",
        "responses",
        pl.when(pl.col("__nps") > 0)
        .then(100 * (pl.col("__promoters") - pl.col("__detractors")) / pl.col("__nps"))
        .alias("nps"),
        pl.when(pl.col("__csat") > 0).then(pl.col("__top") / pl.col("__csat")).alias("csat"),
    )


def journey_map(
    touchpoints: Any, stages: StageModel | str | None = None, *, surveys: Any = None
) -> Any:
    """Journey map: every stage × channel cell with its reach, volume, progress and scores.

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints with ``channel`` (polars, pandas, DuckDB or PySpark).
    stages : StageModel or str, optional
        The stage model (``ds.stages``) or a preset name; default ``"5-stage"``.
    surveys : frame, optional
        Canonical survey answers, same library as ``touchpoints``. An answer's stage and
        channel are its own ``stage`` (or its ``touchpoint``'s stage) and ``channel``
        columns where present and non-null; otherwise those of the customer's latest
        touchpoint of a known stage at or before the answer (same timestamp counts as
        before). Answers with no stage either way are left out.

    Returns
    -------
    frame
        Same library as ``touchpoints``, one row per stage × channel cell that occurs in the
        data (touchpoints or, with ``surveys``, answers), by model order then channel:
        ``stage_index`` (1-based), ``stage``, ``channel``, ``customers`` (with a touchpoint of
        the stage on the channel), ``touchpoints`` (events), ``conversion_to_next`` (share of
        those customers who had a later-stage touchpoint, on any channel, at or after their
        first touchpoint in the cell; null for the last stage). With ``surveys``: also
        ``responses`` (answers of any survey), ``nps`` (% promoters 9–10 minus % detractors
        0–6 among NPS answers, from -100 to 100) and ``csat`` (share of CSAT answers of 4–5,
        "top-two box").

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> cells = cx.journey_map(ds.touchpoints, ds.stages, surveys=ds.surveys)
    >>> cells.columns[:6]
    ['stage_index', 'stage', 'channel', 'customers', 'touchpoints', 'conversion_to_next']
    """
    model = as_stage_model(stages)
    events = _staged(touchpoints, model, ["channel"])
    volume = to_polars(events.group_by("__s", "channel").agg(nw.len().alias("touchpoints")))
    firsts = events.group_by(CUSTOMER, "__s", "channel").agg(nw.col("__t").min())
    moved = (
        _moved_on(events, firsts, len(model.stages))
        .group_by("__s", "channel")
        .agg(nw.len().alias("customers"), nw.col("__ok").sum().alias("__moved"))
    )
    keys = ["stage_index", "channel"]
    cells = to_polars(moved).join(
        volume, on=["__s", "channel"], how="full", coalesce=True, nulls_equal=True
    )
    cells = cells.rename({"__s": "stage_index"}).with_columns(
        pl.col("stage_index").cast(pl.Int64) + 1  # 1-based, as people count
    )
    if surveys is not None:
        scores = _survey_scores(_attributed(surveys, events, model))
        cells = cells.join(scores, on=keys, how="full", coalesce=True, nulls_equal=True)
    last = len(model.stages)
    cells = cells.with_columns(
        pl.col("customers", "touchpoints", "__moved").fill_null(0).cast(pl.Int64)
    ).with_columns(
        pl.when((pl.col("stage_index") < last) & (pl.col("customers") > 0))
        .then(pl.col("__moved") / pl.col("customers"))
        .alias("conversion_to_next")
    )
    survey_columns = []
    if surveys is not None:
        cells = cells.with_columns(pl.col("responses").fill_null(0).cast(pl.Int64))
        survey_columns = ["responses", "nps", "csat"]
    out = _stage_frame(model).join(cells, on="stage_index", how="inner").sort(keys, nulls_last=True)
    out = out.select(
        "stage_index",
        "stage",
        "channel",
        "customers",
        "touchpoints",
        "conversion_to_next",
        *survey_columns,
    )
    return like_input(out, touchpoints)
