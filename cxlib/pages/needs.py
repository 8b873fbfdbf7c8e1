"""What a report page or section needs from the data, and what to say when it is missing.

A page declares its needs (``needs.missing(ds, "nps", "customers")``); where the data
lacks one, the page shows :func:`unavailable`'s note in place of the section ("Not
available for this data: needs ... — how to add it") instead of failing, and ``cx
report`` publishes the rest. Each need is checked on the data itself, never assumed from
the sample.

Needs
-----
``surveys``, ``nps``, ``csat``, ``ces``, ``comments``
    survey answers (of that type; with comments).
``customers``
    a customer table.
``churn``
    a churn label column on customers (``[churn] label``) or an inactivity rule
    (``[churn] inactivity_days``).
``churn_label``
    the churn label column itself on customers (``[churn] label``, default ``churned``).
``survey_channels``
    survey answers with the channel they are about (a ``channel`` column on surveys).
``stall_segments``
    customer columns that the stall analysis (:func:`cxlib.voc.stall_themes`) splits by:
    those of :data:`cxlib.journey.stage.DEFAULT_SEGMENTS`.
``survey_triggers``
    the touchpoint each survey follows (a ``touchpoint`` column on surveys, or NPS answers
    that follow the conversion), for response rates.
``segments``
    a customer table with columns to split by (country, plan, ...; see
    :func:`cxlib.pages.defaults.segment_columns`).
``revenue``
    a ``revenue`` column on touchpoints with some value above zero.
``conversion``
    the conversion touchpoint (``[journey] conversion``) occurs in the touchpoints.
``funnel``
    a funnel of two or more steps: ``[journey] funnel`` whose first step occurs, or a
    conversion that occurs among other touchpoints
``stage_touchpoints``
    a page about one stage: touchpoints mapped to that stage (checked per stage page by
    ``cx report``, not declared by notebooks)
    (the steps are then suggested from the data).
``conversion_paths``
    touchpoints on a channel before some customer's first conversion (attribution credits
    those touches; an order log has none).
``repeat_buyers``
    some customers convert on two or more days (the value models need them).
``repeat_spend``
    every repeat buyer's conversions carry a revenue above zero on average (the
    Gamma-Gamma spend model needs positive spend; free orders or refunds break it).
``channels``
    touchpoints on two or more channels.
``channel_groups``
    touchpoints in two or more of the omnichannel channel groups (``[channels.groups]``,
    else those of :func:`cxlib.pages.defaults.channel_groups`).
``omnichannel_buyers``
    customers whose conversions fall in two or more of those channel groups.
``friction``
    one of the friction touchpoints (``[journey] friction``) occurs.
``stages``
    touchpoints mapped to two or more stages of the stage model.
``identity``
    id columns that name one person (``[identity]`` in cx.toml), linked into customers
    when the data loaded.
``nps_placed``
    some NPS answers are placed in customers' journeys (their customer has touchpoints).
``nps_drivers``
    some experience attribute (delivery, friction, support, channel, stage) varies among
    the NPS answers placed in customers' journeys (the key-driver model needs one).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import eager, to_polars
from cxlib._errors import DataError
from cxlib.journey.stage import DEFAULT_SEGMENTS
from cxlib.omnichannel import segments
from cxlib.pages.defaults import channel_groups, segment_columns, survey_triggers
from cxlib.value import rfm_summary
from cxlib.voc import driver_attributes, journey_answers

if TYPE_CHECKING:
    from cxlib.io import Dataset

__all__ = [
    "NEEDS",
    "comparable_periods",
    "holdout_fits",
    "explain",
    "missing",
    "stage_has_touchpoints",
    "unavailable",
]

# need -> (what is missing, how to add it): msgids, shown in the report's language
NEEDS: dict[str, tuple[str, str]] = {
    "surveys": ("survey answers", "add a surveys file (customer_id, ts, survey, score)"),
    "nps": ("NPS answers", "add answers with survey = 'nps' (0-10) to the surveys file"),
    "csat": ("CSAT answers", "add answers with survey = 'csat' (1-5) to the surveys file"),
    "ces": ("CES answers", "add answers with survey = 'ces' (1-7) to the surveys file"),
    "comments": ("survey comments", "add a 'comment' column to the surveys file"),
    "customers": ("a customer table", "add a customers file (customer_id, attributes)"),
    "churn": (
        "a churn label or rule",
        "set [churn] label (a yes/no column on customers) or [churn] inactivity_days in "
        "cx.toml; the data must span more than twice inactivity_days",
    ),
    "churn_label": (
        "a churn label on customers",
        "add a yes/no column saying who churned to the customers file ([churn] label in cx.toml)",
    ),
    "survey_channels": (
        "the channel of each survey answer",
        "add a 'channel' column to the surveys file (the channel the answer is about)",
    ),
    "stall_segments": (
        "the customer segments the stall analysis splits by",
        "add a country, age_band or acquisition_channel column to the customers file",
    ),
    "survey_triggers": (
        "the touchpoint each survey follows",
        "add a 'touchpoint' column to the surveys file (what each answer is about)",
    ),
    "segments": (
        "customer segments",
        "add columns such as country, plan or age band to the customers file",
    ),
    "revenue": ("revenue", "add a 'revenue' column to the touchpoints (order value)"),
    "conversion": (
        "conversions",
        "set [journey] conversion in cx.toml to the touchpoint that counts as a conversion",
    ),
    "funnel": (
        "a funnel of two or more steps",
        "set [journey] funnel (or [journey] conversion) in cx.toml to touchpoints of the data; "
        "a log of purchases only has no steps before the purchase",
    ),
    "stage_touchpoints": (
        "touchpoints in this stage",
        "map touchpoints of the data to it in [stages.mapping] of cx.toml (cx init lists "
        "the ones it could not place)",
    ),
    "conversion_paths": (
        "touchpoints before the conversions",
        "attribution needs the touches that lead to a conversion (visits, ads, emails); add "
        "them to the touchpoints",
    ),
    "repeat_buyers": (
        "repeat buyers",
        "the value models need customers who convert on two or more days; use a longer period",
    ),
    "repeat_spend": (
        "spend above zero on every repeat buyer's conversions",
        "the spend model needs a revenue above zero on the conversion touchpoints of customers "
        "who buy again; set revenue on them, or leave free orders and refunds out of the data",
    ),
    "channels": ("two or more channels", "add a 'channel' column with each touchpoint's channel"),
    "channel_groups": (
        "touchpoints in two or more channel groups",
        "group the data's channels in [channels.groups] of cx.toml so that two groups have "
        "touchpoints (e.g. online = ['web', 'app'], store = ['store']); a shop on one kind "
        "of channel has no omnichannel customers to compare",
    ),
    "omnichannel_buyers": (
        "buyers in two or more channel groups",
        "no customer converts in two channel groups; check [channels.groups] in cx.toml",
    ),
    "friction": (
        "friction events",
        "set [journey] friction in cx.toml to the touchpoints that mean a bad experience",
    ),
    "stages": (
        "touchpoints in two or more journey stages",
        "map touchpoints to stages in [stages.mapping] of cx.toml",
    ),
    "nps_placed": (
        "NPS answers placed in customers' journeys",
        "the answers' customer_id must be the touchpoints' customers, so that each answer has "
        "a stage and a channel (when the survey tool knows customers by email, link the ids "
        "with [identity] in cx.toml)",
    ),
    "nps_drivers": (
        "NPS answers placed in customers' journeys",
        "key drivers read delivery, friction, support, channel and stage for each answer: the "
        "answers' customer_id must be the touchpoints' customers (when the survey tool knows "
        "customers by email, link the ids with [identity] in cx.toml)",
    ),
    "identity": (
        "the id columns that name one person",
        "list them in [identity] columns of cx.toml (e.g. user_id, anonymous_id, email) to "
        "link a person's anonymous and known ids into one customer",
    ),
}


def _surveys(ds: Dataset) -> pl.DataFrame | None:
    return None if ds.surveys is None else eager(ds.surveys)


def _survey_type(kind: str) -> Callable[[Dataset], bool]:
    def check(ds: Dataset) -> bool:
        surveys = _surveys(ds)
        return surveys is not None and surveys.filter(pl.col("survey") == kind).height > 0

    return check


def _comments(ds: Dataset) -> bool:
    surveys = _surveys(ds)
    return (
        surveys is not None
        and "comment" in surveys.columns
        and surveys.get_column("comment").drop_nulls().len() > 0
    )


def _churn(ds: Dataset) -> bool:
    days = ds.config.churn_inactivity_days
    if days is None:
        return _churn_label(ds)
    # the rule needs history before a snapshot and ``days`` of data after it
    ts = eager(ds.touchpoints).get_column("ts")
    return ts.len() > 0 and (ts.max() - ts.min()).total_seconds() > 2 * days * 86_400


def _customer_column(ds: Dataset, column: str | None) -> bool:
    customers = None if ds.customers is None else eager(ds.customers)
    return (
        customers is not None
        and column is not None
        and column in customers.columns
        and customers.get_column(column).drop_nulls().len() > 0
    )


def _churn_label(ds: Dataset) -> bool:
    return _customer_column(ds, ds.config.churn_label)


def _survey_channels(ds: Dataset) -> bool:
    surveys = _surveys(ds)
    return (
        surveys is not None
        and "channel" in surveys.columns
        and surveys.get_column("channel").drop_nulls().len() > 0
    )


def _stall_segments(ds: Dataset) -> bool:
    customers = None if ds.customers is None else eager(ds.customers)
    return customers is not None and any(c in customers.columns for c in DEFAULT_SEGMENTS)


def _funnel(ds: Dataset) -> bool:
    # a funnel has two or more steps: an order log (every row a purchase) has none
    if ds.config.funnel:
        return len(set(ds.config.funnel)) >= 2 and _occurs(ds, ds.config.funnel[:1])
    distinct = eager(ds.touchpoints).get_column("touchpoint").n_unique()
    return distinct >= 2 and _occurs(ds, [ds.config.conversion])


def stage_has_touchpoints(ds: Dataset, stage: str) -> bool:
    """Whether any touchpoint maps to ``stage`` (a per-stage page needs some)."""
    touchpoints = eager(ds.touchpoints)
    return "stage" in touchpoints.columns and bool(
        touchpoints.select((pl.col("stage") == stage).any()).item()
    )


def _revenue(ds: Dataset) -> bool:
    touchpoints = eager(ds.touchpoints)
    return "revenue" in touchpoints.columns and bool(
        touchpoints.select((pl.col("revenue") > 0).any()).item()
    )


def _repeat_spend(ds: Dataset) -> bool:
    """Every repeat buyer's mean repeat spend is above zero (the Gamma-Gamma model's input),
    computed as :func:`cxlib.value.rfm_summary` does for the conversion touchpoint."""
    if not _revenue(ds):
        return False
    summary = rfm_summary(ds.touchpoints, purchase=ds.config.conversion)
    repeat = summary.filter(pl.col("frequency") > 0)
    return repeat.height > 0 and bool((repeat.get_column("monetary_value") > 0).all())


def _occurs(ds: Dataset, names: tuple[str, ...] | list[str]) -> bool:
    touchpoints = eager(ds.touchpoints)
    return touchpoints.select(pl.col("touchpoint").is_in(list(names)).any()).item() is True


def _repeat_buyers(ds: Dataset) -> bool:
    touchpoints = eager(ds.touchpoints)
    days = (
        touchpoints.filter(pl.col("touchpoint") == ds.config.conversion)
        .group_by("customer_id")
        .agg(pl.col("ts").dt.date().n_unique().alias("days"))
    )
    return days.height > 0 and days.get_column("days").max() >= 2


def _conversion_paths(ds: Dataset) -> bool:
    touchpoints = eager(ds.touchpoints)
    conversion = ds.config.conversion
    first = (
        touchpoints.filter(pl.col("touchpoint") == conversion)
        .group_by("customer_id")
        .agg(pl.col("ts").min().alias("__first"))
    )
    before = touchpoints.join(first, on="customer_id").filter(
        (pl.col("touchpoint") != conversion)
        & pl.col("channel").is_not_null()
        & (pl.col("ts") <= pl.col("__first"))
    )
    return before.height > 0


def _channels(ds: Dataset) -> bool:
    touchpoints = eager(ds.touchpoints)
    return "channel" in touchpoints.columns and touchpoints["channel"].drop_nulls().n_unique() >= 2


def _channel_groups(ds: Dataset) -> bool:
    if "channel" not in eager(ds.touchpoints).columns:
        return False
    used = set(eager(ds.touchpoints).get_column("channel").drop_nulls().unique().to_list())
    return sum(1 for channels in channel_groups(ds).values() if used & set(channels)) >= 2


def _omnichannel_buyers(ds: Dataset) -> bool:
    if not _channel_groups(ds):
        return False
    flags = segments(
        ds.touchpoints, groups=channel_groups(ds), touchpoint=ds.config.conversion, min_groups=2
    )
    return bool(eager(flags).get_column("omnichannel").any())


def _stages(ds: Dataset) -> bool:
    touchpoints = eager(ds.touchpoints)
    return "stage" in touchpoints.columns and touchpoints["stage"].drop_nulls().n_unique() >= 2


def _nps_placed(ds: Dataset) -> bool:
    if ds.surveys is None:
        return False
    answers = journey_answers(ds).filter(pl.col("survey") == "nps")
    return bool(answers.get_column("journey_stage").is_not_null().any())


def _nps_drivers(ds: Dataset) -> bool:
    return ds.surveys is not None and bool(driver_attributes(ds, metric="nps"))


CHECKS: dict[str, Callable[[Dataset], bool]] = {
    "surveys": lambda ds: ds.surveys is not None and _surveys(ds).height > 0,
    "nps": _survey_type("nps"),
    "csat": _survey_type("csat"),
    "ces": _survey_type("ces"),
    "comments": _comments,
    "customers": lambda ds: ds.customers is not None and eager(ds.customers).height > 0,
    "churn": _churn,
    "churn_label": _churn_label,
    "segments": lambda ds: bool(segment_columns(ds)),
    "survey_channels": _survey_channels,
    "stall_segments": _stall_segments,
    "survey_triggers": lambda ds: bool(survey_triggers(ds)),
    "revenue": _revenue,
    "conversion": lambda ds: _occurs(ds, [ds.config.conversion]),
    "funnel": _funnel,
    "conversion_paths": _conversion_paths,
    "repeat_buyers": _repeat_buyers,
    "repeat_spend": _repeat_spend,
    "channels": _channels,
    "channel_groups": _channel_groups,
    "omnichannel_buyers": _omnichannel_buyers,
    "friction": lambda ds: _occurs(ds, ds.config.friction or ()),
    "stages": _stages,
    "identity": lambda ds: getattr(ds, "stitched", None) is not None,
    "nps_drivers": _nps_drivers,
    "nps_placed": _nps_placed,
}


def missing(ds: Dataset, *needs: str) -> list[str]:
    """The needs the data does not meet, in the order given.

    Examples
    --------
    >>> import polars as pl, cxlib as cx
    >>> tp = cx.read_touchpoints(pl.DataFrame({
    ...     "customer_id": ["a", "a"], "ts": ["2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"],
    ...     "touchpoint": ["visit", "purchase"], "channel": ["web", "web"]}))
    >>> ds = cx.Dataset(tp, None, None, cx.stage_model(), pl.DataFrame(), cx.Config(), {})
    >>> missing(ds, "surveys", "channels", "conversion", "repeat_buyers")
    ['surveys', 'channels', 'repeat_buyers']
    """
    unknown = [n for n in needs if n not in CHECKS]
    if unknown:
        raise DataError(f"unknown need {unknown[0]!r}; use one of {sorted(CHECKS)}")
    return [need for need in needs if not CHECKS[need](ds)]


def explain(need: str) -> str:
    """One line: what is missing and how to add it, in the report's language."""
    what, how = NEEDS[need]
    return i18n.t("needs {what}: {how}", what=i18n._(what), how=i18n._(how))


def unavailable(ds: Dataset, *needs: str) -> str | None:
    """An HTML note for a section whose needs the data does not meet, or None when it does.

    The note says "Not available for this data", what is missing and how to add it; a
    notebook shows it (``IPython.display.HTML``) in place of the section.
    """
    lacking = missing(ds, *needs)
    if not lacking:
        return None
    return _note([explain(n) for n in lacking])


def _note(reasons: list[str]) -> str:
    """The "Not available for this data" note with one line per reason."""
    items = "".join(f"<li>{html.escape(reason)}</li>" for reason in reasons)
    title = html.escape(i18n._("Not available for this data"))
    return f'<div class="cx-unavailable"><b>{title}</b><ul>{items}</ul></div>'


def comparable_periods(answers: Any, survey: str) -> str | None:
    """The note for a change table that has no two complete periods of ``survey`` answers
    to compare (:func:`cxlib.voc.with_period` marks the open one), or None when it has.

    Examples
    --------
    >>> import polars as pl
    >>> answers = pl.DataFrame({"survey": ["nps", "nps", "csat"], "period": ["Q1", "Q2", "Q1"],
    ...                         "complete": [True, True, True]})
    >>> comparable_periods(answers, "nps") is None, comparable_periods(answers, "csat") is None
    (True, False)
    """
    frame = to_polars(answers)
    done = frame.filter(pl.col("complete") & (pl.col("survey") == survey))
    if done.get_column("period").n_unique() >= 2:
        return None
    reason = i18n.t(
        "needs two complete periods of {survey} answers to compare (the period the data ends "
        "inside is still open): choose a shorter period",
        survey=survey.upper(),
    )
    return _note([reason])


def holdout_fits(ds: Dataset, holdout: str) -> str | None:
    """The note for the forecast check when the data before the final ``holdout`` has too
    few repeat buyers to fit the purchase model on (a short export), or None when it has.

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> import cxlib as cx
    >>> holdout_fits(cx.load("data/sample"), "13w") is None
    True
    """
    summary = rfm_summary(ds.touchpoints, holdout=holdout, purchase=ds.config.conversion)
    if summary.height >= 10 and bool((summary.get_column("frequency") > 0).any()):
        return None
    reason = i18n.t(
        "needs repeat buyers before the final {holdout} of the data to fit the model on: "
        "choose a shorter holdout",
        holdout=holdout,
    )
    return _note([reason])
