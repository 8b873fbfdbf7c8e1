"""Sentences that state what the data says, computed from an analysis's result frame.

A report page never prints a conclusion written in advance: every sentence that states a
finding comes from one of these functions, from the numbers of that run, and says the
opposite when the numbers do. Each returns a :class:`Finding`, plain text (``str(f)``) that
a notebook displays as an escaped HTML paragraph (names of touchpoints, channels and
segments come from the data and are untrusted). Money figures carry their currency
(:func:`money`).

Examples
--------
>>> import polars as pl
>>> funnel = pl.DataFrame({"step_index": [1, 2, 3], "step": ["visit", "cart", "purchase"],
...     "customers": [1000, 400, 300], "conversion": [1.0, 0.4, 0.3],
...     "conversion_low": [1.0, 0.37, 0.27], "conversion_high": [1.0, 0.43, 0.33],
...     "step_conversion": [1.0, 0.4, 0.75]})
>>> print(funnel_sentence(funnel, within="7d"))  # doctest: +NORMALIZE_WHITESPACE
Of 1,000 customers who did visit, 30.0% (27.0–33.0%) reached purchase within 7 days;
the largest drop is visit → cart (−60% of those who reached visit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import to_polars
from cxlib.pages._churn_findings import (
    friction_churn_sentence,
    model_sentence,
    survival_sentence,
    training_sentence,
)
from cxlib.pages._list_findings import (
    at_risk_sentence,
    dropoff_sentence,
    funnel_dropoff_sentence,
    stage_exit_sentence,
)
from cxlib.pages._segment_findings import segment_difference_sentence, segment_difference_table
from cxlib.pages._wording import (
    Finding,
    _interval,
    _listing,
    _number,
    _pct,
    _readable,
    _rows,
    _values,
    duration,
    money,
)

__all__ = [
    "Finding",
    "at_risk_sentence",
    "attribution_sentence",
    "dropoff_sentence",
    "duration",
    "friction_churn_sentence",
    "friction_definition",
    "funnel_dropoff_sentence",
    "funnel_sentence",
    "linking_sentence",
    "listing",
    "model_sentence",
    "money",
    "omnichannel_definition",
    "response_rate_definition",
    "rows_sentence",
    "segment_difference_sentence",
    "segment_difference_table",
    "stage_exit_sentence",
    "stage_heading",
    "stage_sentence",
    "stages_in_data",
    "stall_themes_sentence",
    "stalling_sentence",
    "survival_sentence",
    "training_sentence",
]


def funnel_sentence(funnel: Any, *, within: str | timedelta | None = None) -> Finding:
    """How many entered the funnel, how many reached its last step (with the interval) and
    where the largest drop is, from a :func:`cxlib.funnel` frame."""
    rows = sorted(_rows(funnel), key=lambda r: r["step_index"])
    if not rows:
        return Finding(i18n._("The funnel has no steps."))
    first, last = rows[0], rows[-1]
    entered = int(first["customers"] or 0)
    if entered == 0:
        return Finding(
            i18n.t(
                "No customer did {step} in this data, so nobody entered the funnel.",
                step=first["step"],
            )
        )
    if len(rows) == 1:
        n = i18n.number(entered)
        return Finding(i18n.t("{n} customers did {step}.", n=n, step=first["step"]))
    window = " " + i18n.t("within {window}", window=_readable(within)) if within else ""
    if not last["customers"]:
        reached = i18n.t("none reached {step}", step=last["step"]) + window
    else:
        interval = _interval(last["conversion_low"], last["conversion_high"])
        share = _pct(last["conversion"]) + interval
        reached = i18n.t("{share} reached {step}", share=share, step=last["step"]) + window
    drops = [
        (1 - rate, previous["step"], row["step"])
        for previous, row in zip(rows, rows[1:], strict=False)
        if previous["customers"] and (rate := _number(row["step_conversion"])) is not None
    ]
    worst = max(drops, default=None, key=lambda d: d[0])
    if worst is None or worst[0] <= 0:
        drop = i18n._("no step loses customers")
    else:
        drop = i18n.t(
            "the largest drop is {step} → {next} ({loss} of those who reached {step})",
            step=worst[1],
            next=worst[2],
            loss=i18n.percent(-worst[0], 0),
        )
    return Finding(
        i18n.t(
            "Of {n} customers who did {step}, {reached}; {drop}.",
            n=i18n.number(entered),
            step=first["step"],
            reached=reached,
            drop=drop,
        )
    )


def stage_heading(stage: str, model: str, *, level: int = 2) -> Finding:
    """A heading naming the stage a page or section studies: "Stage: consideration
    (5-stage model)"."""
    return Finding(
        i18n.t("Stage: {stage} ({model} model)", stage=stage, model=model), heading=level
    )


def stages_in_data(summary: Any) -> tuple[pl.DataFrame, Finding]:
    """The stage summary as a page shows it (:func:`cxlib.stage_summary`), and what it says.

    Stages no touchpoint of the data belongs to are named: after the last stage the data
    reaches, moving on cannot be seen, so that stage's conversion to the next is blank
    rather than a 0% that would read as "nobody stays".

    Examples
    --------
    >>> import polars as pl
    >>> summary = pl.DataFrame({"stage_index": [1, 2, 3], "stage": ["visit", "buy", "stay"],
    ...     "customers": [10, 4, 0], "reached_next": [4, 0, 0],
    ...     "conversion_to_next": [0.4, 0.0, None], "conversion_low": [0.2, 0.0, None],
    ...     "conversion_high": [0.7, 0.5, None]})
    >>> shown, finding = stages_in_data(summary)
    >>> shown["conversion_to_next"].to_list()
    [0.4, None, None]
    >>> print(finding)  # doctest: +NORMALIZE_WHITESPACE
    No touchpoint in this data belongs to stay, so whether customers move on from buy cannot
    be seen: map touchpoints to it in [stages.mapping] of cx.toml. 40.0% of the 10 customers
    who reached visit moved on.
    """
    frame = to_polars(summary)
    reached = frame.filter(pl.col("customers") > 0)
    if reached.height == 0:
        return frame, Finding(i18n._("No touchpoint in this data belongs to a stage of the model."))
    last = reached.get_column("stage_index").max()
    final = frame.get_column("stage_index").max()
    rates = ("conversion_to_next", "conversion_low", "conversion_high")
    shown = frame.with_columns(
        pl.when(pl.col("stage_index") == last).then(None).otherwise(pl.col(c)).alias(c)
        for c in rates
        if c in frame.columns
    )
    empty = frame.filter(pl.col("customers") == 0).get_column("stage").to_list()
    parts = []
    if empty:
        stages, stage = _listing(empty), reached.get_column("stage")[-1]
        if last < final:
            parts.append(
                i18n.nt(
                    "No touchpoint in this data belongs to {stages}, so whether customers "
                    "move on from {stage} cannot be seen: map touchpoints to it in "
                    "[stages.mapping] of cx.toml.",
                    "No touchpoint in this data belongs to {stages}, so whether customers "
                    "move on from {stage} cannot be seen: map touchpoints to them in "
                    "[stages.mapping] of cx.toml.",
                    len(empty),
                    stages=stages,
                    stage=stage,
                )
            )
        else:
            parts.append(
                i18n.nt(
                    "No touchpoint in this data belongs to {stages}: map touchpoints to it "
                    "in [stages.mapping] of cx.toml.",
                    "No touchpoint in this data belongs to {stages}: map touchpoints to them "
                    "in [stages.mapping] of cx.toml.",
                    len(empty),
                    stages=stages,
                )
            )
    moving = reached.filter(pl.col("stage_index") < last).drop_nulls("conversion_to_next")
    if moving.height:
        worst = moving.sort("conversion_to_next").row(0, named=True)
        values = {
            "share": _pct(worst["conversion_to_next"]),
            "n": i18n.number(worst["customers"]),
            "stage": worst["stage"],
        }
        if moving.height > 1:
            parts.append(
                i18n.t(
                    "{share} of the {n} customers who reached {stage} moved on (the stage "
                    "most customers stop at).",
                    **values,
                )
            )
        else:
            parts.append(
                i18n.t("{share} of the {n} customers who reached {stage} moved on.", **values)
            )
    return shown, Finding(" ".join(parts))


def stage_sentence(progress: Any, stage: str, *, last: bool = False) -> Finding:
    """How many reached ``stage`` and how many moved on, from
    :func:`cxlib.journey.stage.progress`; ``last``: no later stage of the model occurs in
    the data (the model's last stage, or no touchpoint maps to the stages after it)."""
    rows = _rows(progress)
    customers = int(rows[0]["customers"] or 0) if rows else 0
    if customers == 0:
        return Finding(i18n.t("No customer reached {stage} in this data.", stage=stage))
    row, n = rows[0], i18n.number(customers)
    if last:
        return Finding(
            i18n.t(
                "{n} customers reached {stage}; no later stage of the model occurs in this "
                "data, so there is no moving on to measure.",
                n=n,
                stage=stage,
            )
        )
    if not row["moved_on"]:
        return Finding(
            i18n.t(
                "Of {n} customers who reached {stage}, none moved on to a later stage.",
                n=n,
                stage=stage,
            )
        )
    return Finding(
        i18n.t(
            "Of {n} customers who reached {stage}, {share} moved on to a later stage; those "
            "who did spent {time} in it (median).",
            n=n,
            stage=stage,
            share=_pct(row["conversion"])
            + _interval(row["conversion_low"], row["conversion_high"]),
            time=duration(row["median_time_in_stage"]),
        )
    )


def stalling_sentence(segments: Any, *, last: bool = False) -> Finding:
    """Which customer segments stall (whole interval below the overall conversion), from
    :func:`cxlib.journey.stage.segments`; ``last``: the model has no later stage."""
    frame = to_polars(segments)
    if frame.height == 0 or "stalls" not in frame.columns:
        return Finding(i18n._("There are no customer segments to compare."))
    if last:
        return Finding(
            i18n._("This is the last stage of the model: no segment can move on, or stall.")
        )
    overall = _pct(frame.item(0, "overall"))
    stalling = frame.filter(pl.col("stalls")).sort("conversion")
    if stalling.height == 0:
        return Finding(
            i18n.t(
                "No segment stalls: every segment's interval reaches the overall conversion "
                "of {overall} (or the segment has too few customers to tell).",
                overall=overall,
            )
        )
    named = [
        f"{r['segment']} = {r['value']} ({_pct(r['conversion'])})"
        for r in stalling.head(5).to_dicts()
    ]
    if stalling.height > 5:
        named = [i18n.t("{items} and {n} more", items=", ".join(named), n=stalling.height - 5)]
    return Finding(
        i18n.nt(
            "{segments} stalls here, against {overall} of all customers who reached the stage.",
            "{segments} stall here, against {overall} of all customers who reached the stage.",
            stalling.height,
            segments=_listing(named),
            overall=overall,
        )
    )


def stall_themes_sentence(stall: Any, stage: str, *, limit: int = 4) -> Finding:
    """The theme each stalling segment mentions more often than everyone else, where the
    intervals tell them apart, from :func:`cxlib.voc.stall_themes`."""
    frame = to_polars(stall)
    if frame.height == 0:
        return Finding(
            i18n.t(
                "No customer segment stalls at {stage}, so there are no stalling segments' "
                "comments to compare.",
                stage=stage,
            )
        )
    others = {r["theme"]: r for r in frame.filter(pl.col("group") == "everyone else").to_dicts()}
    groups = frame.filter(pl.col("group") != "everyone else")
    names = groups.get_column("group").unique(maintain_order=True).to_list()
    standouts = []
    for group in names:  # a few stalling segments
        rows = groups.filter(pl.col("group") == group).to_dicts()
        for row in rows:
            other = others.get(row["theme"], {"share": 0.0, "share_high": 0.0})
            row["gap"] = (row["share"] or 0.0) - (other["share"] or 0.0)
            row["other"] = other["share"]
            row["apart"] = (row["share_low"] or 0.0) > (other["share_high"] or 0.0)
        best = max(rows, key=lambda r: r["gap"])
        if best["apart"]:
            standouts.append(best)
    if not standouts:
        return Finding(
            i18n.t(
                "The segments that stall at {stage} comment on the same themes as everyone "
                "else: no theme stands out beyond its interval.",
                stage=stage,
            )
        )
    parts = [
        i18n.t(
            "customers in {segment} mention {theme} more often than everyone else ({share} of "
            "their comments, against {other})",
            segment=r["group"],
            theme=r["theme"],
            share=_pct(r["share"], 0),
            other=_pct(r["other"], 0),
        )
        for r in sorted(standouts, key=lambda r: -r["gap"])[:limit]
    ]
    if len(standouts) > limit:
        parts[-1] += " " + i18n.t(
            "(and {n} more segments with a theme of their own)", n=len(standouts) - limit
        )
    rest = len(names) - len(standouts)
    if rest == 1:
        parts.append(i18n._("the other stalling segment shows no theme beyond its interval"))
    elif rest > 1:
        parts.append(
            i18n.t("the other {n} stalling segments show no theme beyond their intervals", n=rest)
        )
    return Finding(
        i18n.t(
            "Among those who stall at {stage}, {findings}.", stage=stage, findings="; ".join(parts)
        )
    )


def friction_definition(friction: Sequence[str]) -> Finding:
    """What counts as a friction incident (``[journey] friction``)."""
    if not friction:
        return Finding(
            i18n._("No touchpoint is set as friction ([journey] friction in cx.toml)."),
            definition=True,
        )
    return Finding(
        i18n.t(
            "Friction incidents here are the touchpoints {touchpoints} ([journey] friction in "
            "cx.toml).",
            touchpoints=_listing(list(friction)),
        ),
        definition=True,
    )


def listing(sentences: Any, *, lead: str = "") -> Finding:
    """Sentences an analysis already wrote from its numbers (e.g. the ``verdict`` column of
    :func:`cxlib.omnichannel.compare`), shown as a list; nulls are left out."""
    items = tuple(str(s) for s in _values(sentences) if s is not None)
    return Finding(lead, items=items)


def omnichannel_definition(
    groups: Mapping[str, Sequence[str]], conversion: str, *, min_groups: int = 2
) -> Finding:
    """Who counts as an omnichannel buyer, in words, from the channel groups in use."""
    described = [
        name if tuple(chs) == (name,) else f"{name} ({', '.join(chs)})"
        for name, chs in groups.items()
    ]
    if len(described) < 2:
        return Finding(
            i18n._(
                "There is only one channel group, so every buyer is single-channel "
                "([channels.groups] in cx.toml)."
            ),
            definition=True,
        )
    if min_groups >= len(described):
        text = i18n.t(
            "A buyer is omnichannel when their conversions ({conversion}) fall in every channel "
            "group: {groups}; single-channel when they all fall in one group.",
            conversion=conversion,
            groups=_listing(described),
        )
    else:
        text = i18n.t(
            "A buyer is omnichannel when their conversions ({conversion}) fall in at least {n} "
            "of the channel groups {groups}; single-channel when they all fall in one group.",
            conversion=conversion,
            n=min_groups,
            groups=_listing(described),
        )
    return Finding(text, definition=True)


def response_rate_definition(triggers: Mapping[str, str]) -> Finding:
    """How a response rate is computed, naming the touchpoint each survey follows."""
    if not triggers:
        return Finding(
            i18n._("No survey can be tied to a touchpoint, so no response rate is computed."),
            definition=True,
        )
    pairs = [f"{touchpoint} → {survey.upper()}" for survey, touchpoint in triggers.items()]
    return Finding(
        i18n.t(
            "Response rate = customers who answered / customers who had the touchpoint that "
            "the survey follows ({pairs}). Silence is a signal too: compare segments.",
            pairs=", ".join(pairs),
        ),
        definition=True,
    )


def attribution_sentence(credit: Any, *, gap: float = 0.05) -> Finding:
    """Where the Markov model and last touch disagree by ``gap`` or more, and (when the
    table has the ``shapley`` model) whether the Shapley value puts the same channel first
    as the Markov model, from :func:`cxlib.attribution.paths_attribution`."""
    frame = to_polars(credit)
    wide = {
        r["channel"]: r
        for r in frame.filter(pl.col("model").is_in(["markov", "last_touch"]))
        .pivot(on="model", index="channel", values="share")
        .fill_null(0.0)
        .to_dicts()
    }
    if not wide or not {"markov", "last_touch"} <= set(next(iter(wide.values()))):
        return Finding(i18n._("There are no conversions to credit."))
    top = max(wide.values(), key=lambda r: (r["last_touch"], r["channel"]))
    lead = i18n.t(
        "Last touch gives the most credit to {channel} ({share})",
        channel=top["channel"],
        share=_pct(top["last_touch"], 0),
    )
    more = sorted(
        (r for r in wide.values() if r["markov"] - r["last_touch"] >= gap),
        key=lambda r: r["last_touch"] - r["markov"],
    )
    if not more:
        text = i18n.t(
            "{lead}; the Markov model agrees within {points} points for every channel, so "
            "here the channels that close conversions are also those that carry the "
            "journeys before them.",
            lead=lead,
            points=i18n.number(gap * 100),
        )
    else:
        named = [
            i18n.t(
                "{channel} ({share} against {other})",
                channel=r["channel"],
                share=_pct(r["markov"], 0),
                other=_pct(r["last_touch"], 0),
            )
            for r in more
        ]
        text = i18n.t(
            "{lead}; the Markov model credits {channels} more than last touch does: channels "
            "that help earlier in the journey, which budgets set on last-touch numbers would "
            "starve.",
            lead=lead,
            channels=_listing(named),
        )
    shapley = frame.filter(pl.col("model") == "shapley")
    if shapley.height == 0 or not shapley.get_column("share").is_finite().all():
        return Finding(text)
    first = max(shapley.iter_rows(named=True), key=lambda r: (r["share"], r["channel"]))
    markov_first = max(wide.values(), key=lambda r: (r["markov"], r["channel"]))
    if first["channel"] == markov_first["channel"]:
        shared = i18n.t(
            "The Shapley value, which splits each conversion equally among the different "
            "channels of its journey (whatever their order or repeats), puts {channel} first "
            "({share}), as the Markov model does.",
            channel=first["channel"],
            share=_pct(first["share"], 0),
        )
    else:
        shared = i18n.t(
            "The Shapley value, which splits each conversion equally among the different "
            "channels of its journey (whatever their order or repeats), puts {channel} first "
            "({share}) where the Markov model puts {other} first ({other_share}).",
            channel=first["channel"],
            share=_pct(first["share"], 0),
            other=markov_first["channel"],
            other_share=_pct(markov_first["markov"], 0),
        )
    return Finding(f"{text} {shared}")


def rows_sentence(summary: Any) -> Finding:
    """How many rows of each table loaded, from ``Dataset.summary()``; rejected rows are in
    no figure.

    Examples
    --------
    >>> import polars as pl
    >>> rows = pl.DataFrame({"kind": ["touchpoints", "surveys"], "read": [1000, 50],
    ...                      "loaded": [990, 50], "rejected": [10, 0]})
    >>> print(rows_sentence(rows))  # doctest: +NORMALIZE_WHITESPACE
    Rows loaded: touchpoints 990 of 1,000, surveys 50 of 50. The 10 rejected rows are in no
    figure of the report; below, each reason with examples.
    """
    rows = _rows(summary)
    parts = ", ".join(
        i18n.t(
            "{kind} {loaded} of {read}",
            kind=i18n._(r["kind"]),
            loaded=i18n.number(r["loaded"]),
            read=i18n.number(r["read"]),
        )
        for r in rows
    )
    rejected = sum(int(r["rejected"]) for r in rows)
    if not rejected:
        return Finding(i18n.t("Every row loaded: {parts}.", parts=parts))
    return Finding(
        i18n.t(
            "Rows loaded: {parts}. The {rejected} rejected rows are in no figure of the "
            "report; below, each reason with examples.",
            parts=parts,
            rejected=i18n.number(rejected),
        )
    )


def linking_sentence(effect: Any, columns: Sequence[str]) -> Finding:
    """What linking a person's ids changed in the omnichannel picture, from
    :func:`cxlib.omnichannel.linking_effect`.

    Examples
    --------
    >>> import polars as pl
    >>> effect = pl.DataFrame({"ids": ["as in the data", "linked"], "buyers": [120, 100],
    ...     "omnichannel": [10, 25], "omnichannel_share": [10 / 120, 0.25],
    ...     "linked_across_channels": [None, 15]})
    >>> ids = ["user_id", "anonymous_id"]
    >>> print(linking_sentence(effect, ids))  # doctest: +NORMALIZE_WHITESPACE
    Linking the ids user_id and anonymous_id turns 120 buyers into 100 customers: 25 of them
    (25.0%) are omnichannel, against 10 (8.3%) with the ids as the data gave them; 15 are
    omnichannel only once their ids are linked.
    """
    before, after = _rows(effect)
    return Finding(
        i18n.t(
            "Linking the ids {columns} turns {before} buyers into {after} customers: {omni} of "
            "them ({share}) are omnichannel, against {omni_before} ({share_before}) with the ids "
            "as the data gave them; {linked} are omnichannel only once their ids are linked.",
            columns=_listing(list(columns)),
            before=i18n.number(before["buyers"]),
            after=i18n.number(after["buyers"]),
            omni=i18n.number(after["omnichannel"]),
            share=_pct(after["omnichannel_share"]),
            omni_before=i18n.number(before["omnichannel"]),
            share_before=_pct(before["omnichannel_share"]),
            linked=i18n.number(after["linked_across_channels"]),
        )
    )
