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

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import polars as pl

from cxlib._engine import to_polars
from cxlib.privacy import escape

__all__ = [
    "Finding",
    "attribution_sentence",
    "duration",
    "friction_churn_sentence",
    "friction_definition",
    "funnel_sentence",
    "listing",
    "model_sentence",
    "money",
    "omnichannel_definition",
    "response_rate_definition",
    "stage_heading",
    "stage_sentence",
    "stages_in_data",
    "stall_themes_sentence",
    "stalling_sentence",
    "survival_sentence",
    "training_sentence",
]

# currencies written without decimals (ISO 4217 minor unit 0, the common ones)
_NO_DECIMALS = {"VND", "JPY", "KRW", "IDR", "CLP", "ISK", "HUF", "PYG", "UGX", "XOF", "XAF"}
_UNITS = {"d": "day", "w": "week", "h": "hour", "m": "minute", "s": "second"}


@dataclass(frozen=True)
class Finding:
    """One or more sentences about the data: plain text, shown as an escaped paragraph."""

    text: str
    heading: int | None = None  # shown as a heading of this level instead of a paragraph
    items: tuple[str, ...] = ()  # shown as a bulleted list under the text

    def __str__(self) -> str:
        return "\n".join([self.text, *(f"- {item}" for item in self.items)]).strip()

    def _repr_html_(self) -> str:
        if self.items:
            lead = f"<p>{escape(self.text)}</p>" if self.text else ""
            rows = "".join(f"<li>{escape(item)}</li>" for item in self.items)
            return f'<div class="cx-finding">{lead}<ul>{rows}</ul></div>'
        if self.heading:
            return f"<h{self.heading}>{escape(self.text)}</h{self.heading}>"
        return f'<p class="cx-finding">{escape(self.text)}</p>'


def _number(value: Any) -> float | None:
    """A finite float, or None for nulls and NaN (never printed)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _pct(value: Any, digits: int = 1) -> str:
    number = _number(value)
    return "an unknown share" if number is None else f"{number:.{digits}%}"


def _interval(low: Any, high: Any, digits: int = 1) -> str:
    """ "(27.0–33.0%)", or "" when a bound is missing."""
    lo, hi = _number(low), _number(high)
    if lo is None or hi is None:
        return ""
    return f" ({lo * 100:.{digits}f}–{hi * 100:.{digits}f}%)"


def _readable(window: str | timedelta | None) -> str:
    """ "7d" -> "7 days"; other text as it is."""
    if window is None:
        return ""
    if isinstance(window, timedelta):
        return duration(window)
    text = str(window).strip()
    number, unit = text[:-1], text[-1:]
    if number.isdigit() and unit in _UNITS:
        return f"{int(number)} {_UNITS[unit]}{'' if int(number) == 1 else 's'}"
    return text


def duration(value: timedelta | None) -> str:
    """A duration in words: "2 days 4 hours", "35 minutes"."""
    if value is None:
        return "an unknown time"
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60

    def part(n: int, unit: str) -> str:
        return f"{n} {unit}{'' if n == 1 else 's'}"

    if days:
        return part(days, "day") + (f" {part(hours, 'hour')}" if hours else "")
    if hours:
        return part(hours, "hour") + (f" {part(minutes, 'minute')}" if minutes else "")
    return part(minutes, "minute") if minutes else part(seconds, "second")


def money(value: Any, currency: str) -> str:
    """An amount with its currency: ``money(1234.5, "USD")`` -> ``"1,234.50 USD"``
    (no decimals for currencies without minor units, e.g. VND).

    Examples
    --------
    >>> money(1234.5, "EUR"), money(250000, "VND"), money(None, "USD")
    ('1,234.50 EUR', '250,000 VND', 'an unknown amount')
    """
    number = _number(value)
    if number is None:
        return "an unknown amount"
    decimals = 0 if currency.upper() in _NO_DECIMALS else 2
    return f"{number:,.{decimals}f} {currency}"


def _values(values: Any) -> list[Any]:
    """A series or sequence of values as a list."""
    return values.to_list() if hasattr(values, "to_list") else list(values)


def _rows(frame: Any) -> list[dict[str, Any]]:
    return to_polars(frame).to_dicts()


def _listing(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def funnel_sentence(funnel: Any, *, within: str | timedelta | None = None) -> Finding:
    """How many entered the funnel, how many reached its last step (with the interval) and
    where the largest drop is, from a :func:`cxlib.funnel` frame."""
    rows = sorted(_rows(funnel), key=lambda r: r["step_index"])
    if not rows:
        return Finding("The funnel has no steps.")
    first, last = rows[0], rows[-1]
    entered = int(first["customers"] or 0)
    if entered == 0:
        return Finding(
            f"No customer did {first['step']} in this data, so nobody entered the funnel."
        )
    if len(rows) == 1:
        return Finding(f"{entered:,} customers did {first['step']}.")
    window = f" within {_readable(within)}" if within else ""
    if not last["customers"]:
        reached = f"none reached {last['step']}{window}"
    else:
        interval = _interval(last["conversion_low"], last["conversion_high"])
        reached = f"{_pct(last['conversion'])}{interval} reached {last['step']}{window}"
    drops = [
        (1 - rate, previous["step"], row["step"])
        for previous, row in zip(rows, rows[1:], strict=False)
        if previous["customers"] and (rate := _number(row["step_conversion"])) is not None
    ]
    worst = max(drops, default=None, key=lambda d: d[0])
    if worst is None or worst[0] <= 0:
        drop = "no step loses customers"
    else:
        drop = (
            f"the largest drop is {worst[1]} → {worst[2]} (−{worst[0]:.0%} of those who "
            f"reached {worst[1]})"
        )
    return Finding(f"Of {entered:,} customers who did {first['step']}, {reached}; {drop}.")


def stage_heading(stage: str, model: str, *, level: int = 2) -> Finding:
    """A heading naming the stage a page or section studies: "Stage: consideration
    (5-stage model)"."""
    return Finding(f"Stage: {stage} ({model} model)", heading=level)


def stages_in_data(summary: Any) -> tuple[pl.DataFrame, Finding]:
    """The stage summary as a page shows it (:func:`cxlib.stage_summary`), and what it says.

    Stages no touchpoint of the data belongs to are named: after the last stage the data
    reaches, moving on cannot be seen, so that stage's conversion to the next is blank
    rather than a 0% that would read as "nobody stays".

    Examples
    --------
    >>> import polars as pl
    >>> summary = pl.DataFrame({"stage_index": [0, 1, 2], "stage": ["visit", "buy", "stay"],
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
        return frame, Finding("No touchpoint in this data belongs to a stage of the model.")
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
        after = last < final
        parts.append(
            f"No touchpoint in this data belongs to {_listing(empty)}"
            + (
                f", so whether customers move on from {reached.get_column('stage')[-1]} "
                "cannot be seen"
                if after
                else ""
            )
            + f": map touchpoints to {'it' if len(empty) == 1 else 'them'} in "
            "[stages.mapping] of cx.toml."
        )
    moving = reached.filter(pl.col("stage_index") < last).drop_nulls("conversion_to_next")
    if moving.height:
        worst = moving.sort("conversion_to_next").row(0, named=True)
        parts.append(
            f"{_pct(worst['conversion_to_next'])} of the {worst['customers']:,} customers who "
            f"reached {worst['stage']} moved on"
            + (" (the stage most customers stop at)." if moving.height > 1 else ".")
        )
    return shown, Finding(" ".join(parts))


def stage_sentence(progress: Any, stage: str, *, last: bool = False) -> Finding:
    """How many reached ``stage`` and how many moved on, from
    :func:`cxlib.journey.stage.progress`; ``last``: no later stage of the model occurs in
    the data (the model's last stage, or no touchpoint maps to the stages after it)."""
    rows = _rows(progress)
    customers = int(rows[0]["customers"] or 0) if rows else 0
    if customers == 0:
        return Finding(f"No customer reached {stage} in this data.")
    row = rows[0]
    if last:
        return Finding(
            f"{customers:,} customers reached {stage}; no later stage of the model occurs in "
            "this data, so there is no moving on to measure."
        )
    if not row["moved_on"]:
        return Finding(
            f"Of {customers:,} customers who reached {stage}, none moved on to a later stage."
        )
    return Finding(
        f"Of {customers:,} customers who reached {stage}, {_pct(row['conversion'])}"
        f"{_interval(row['conversion_low'], row['conversion_high'])} moved on to a later stage;"
        f" those who did spent {duration(row['median_time_in_stage'])} in it (median)."
    )


def stalling_sentence(segments: Any, *, last: bool = False) -> Finding:
    """Which customer segments stall (whole interval below the overall conversion), from
    :func:`cxlib.journey.stage.segments`; ``last``: the model has no later stage."""
    frame = to_polars(segments)
    if frame.height == 0 or "stalls" not in frame.columns:
        return Finding("There are no customer segments to compare.")
    if last:
        return Finding("This is the last stage of the model: no segment can move on, or stall.")
    overall = _pct(frame.item(0, "overall"))
    stalling = frame.filter(pl.col("stalls")).sort("conversion")
    if stalling.height == 0:
        return Finding(
            f"No segment stalls: every segment's interval reaches the overall conversion "
            f"of {overall} (or the segment has too few customers to tell)."
        )
    named = [
        f"{r['segment']} = {r['value']} ({_pct(r['conversion'])})"
        for r in stalling.head(5).to_dicts()
    ]
    more = f" and {stalling.height - 5} more" if stalling.height > 5 else ""
    verb = "stalls" if stalling.height == 1 else "stall"
    return Finding(
        f"{_listing(named)}{more} {verb} here, against {overall} of all customers who "
        "reached the stage."
    )


def stall_themes_sentence(stall: Any, stage: str, *, limit: int = 4) -> Finding:
    """The theme each stalling segment mentions more often than everyone else, where the
    intervals tell them apart, from :func:`cxlib.voc.stall_themes`."""
    frame = to_polars(stall)
    if frame.height == 0:
        return Finding(
            f"No customer segment stalls at {stage}, so there are no stalling segments' "
            "comments to compare."
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
            f"The segments that stall at {stage} comment on the same themes as everyone "
            "else: no theme stands out beyond its interval."
        )
    parts = [
        f"customers in {r['group']} mention {r['theme']} more often than everyone else "
        f"({_pct(r['share'], 0)} of their comments, against {_pct(r['other'], 0)})"
        for r in sorted(standouts, key=lambda r: -r["gap"])[:limit]
    ]
    if len(standouts) > limit:
        parts[-1] += f" (and {len(standouts) - limit} more segments with a theme of their own)"
    rest = len(names) - len(standouts)
    tail = ""
    if rest == 1:
        tail = "; the other stalling segment shows no theme beyond its interval"
    elif rest > 1:
        tail = f"; the other {rest} stalling segments show no theme beyond their intervals"
    return Finding(f"Among those who stall at {stage}, {'; '.join(parts)}{tail}.")


def friction_definition(friction: Sequence[str]) -> Finding:
    """What counts as a friction incident (``[journey] friction``)."""
    if not friction:
        return Finding("No touchpoint is set as friction ([journey] friction in cx.toml).")
    return Finding(
        f"Friction incidents here are the touchpoints {_listing(list(friction))} "
        "([journey] friction in cx.toml)."
    )


def friction_churn_sentence(by_friction: Any, *, period: str = "quarter") -> Finding:
    """Churn of the customers with the most friction against those with the least, from
    :func:`cxlib.churn.friction_churn`; says whether the intervals tell them apart."""
    rows = [r for r in _rows(by_friction) if r["customers"]]
    if len(rows) < 2:
        return Finding(
            "Every customer had the same number of friction incidents, so there is nothing "
            "to compare."
        )
    base, worst = rows[0], rows[-1]
    base_name = "none" if str(base["incidents"]) == "0" else str(base["incidents"])
    head = (
        f"Customers with {worst['incidents']} friction incidents in one {period} churned at "
        f"{_pct(worst['churn_rate'])}{_interval(worst['churn_rate_low'], worst['churn_rate_high'])}"
        f", against {_pct(base['churn_rate'])}"
        f"{_interval(base['churn_rate_low'], base['churn_rate_high'])} of those with {base_name}"
    )
    lo_w, hi_w = _number(worst["churn_rate_low"]), _number(worst["churn_rate_high"])
    lo_b, hi_b = _number(base["churn_rate_low"]), _number(base["churn_rate_high"])
    gap = (_number(worst["churn_rate"]) or 0.0) - (_number(base["churn_rate"]) or 0.0)
    if None not in (lo_w, hi_b) and lo_w > hi_b:
        tail = (
            f": {abs(gap) * 100:.0f} points more, and the intervals do not overlap. Repeated "
            "friction goes with leaving, so preventing the next incident, or recovering "
            "quickly after the first, is where retention work is likely to pay."
        )
    elif None not in (hi_w, lo_b) and hi_w < lo_b:
        tail = (
            f": {abs(gap) * 100:.0f} points less, and the intervals do not overlap. Here "
            "customers with more friction churn less often, so friction is not what drives "
            "them away (heavy users meet more incidents and stay)."
        )
    else:
        tail = (
            ": the intervals overlap, so the data cannot tell the two groups apart; friction "
            "is not a clear sign of churn here."
        )
    return Finding(head + tail)


def training_sentence(
    training: Any,
    *,
    as_of: str,
    horizon: str | timedelta,
    inactivity_days: int | None = None,
    label: str = "churned",
) -> Finding:
    """Customers in the training table and their churn rate: within ``horizon`` after
    ``as_of``, or, under the inactivity rule, with no touchpoint in ``inactivity_days``."""
    frame = to_polars(training)
    if frame.height == 0:
        return Finding(f"No customer was active before {as_of} and still a customer then.")
    rate = frame.get_column(label).cast(pl.Float64).mean()
    rule = (
        f"churned (no touchpoint in the {inactivity_days} days after it)"
        if inactivity_days is not None
        else f"churned within {_readable(horizon)} after it"
    )
    return Finding(
        f"{frame.height:,} customers were active before {as_of} and had not churned by then; "
        f"{_pct(rate)} of them {rule}."
    )


def model_sentence(summary: Any, best: str) -> Finding:
    """The best model's cross-validated ROC AUC and what it means, from
    :attr:`cxlib.churn.ChurnModel.summary`."""
    rows = [r for r in _rows(summary) if r["model"] == best]
    if not rows:
        return Finding(f"No scores for the model {best}.")
    row = rows[0]
    auc, sd = _number(row["roc_auc"]), _number(row.get("roc_auc_std")) or 0.0
    if auc is None:
        return Finding(f"The {best} model could not be scored on this data.")
    folds = row.get("folds")
    over = f" over {folds} folds" if folds else ""
    head = f"Best model: {best}, cross-validated ROC AUC {auc:.3f} ± {sd:.3f} (mean ± sd{over})."
    if auc - 2 * sd <= 0.5:
        tail = (
            "That is not clearly better than a coin toss: the columns available here do not "
            "separate the customers who leave from those who stay."
        )
    elif auc < 0.7:
        tail = "It ranks customers better than chance, but weakly: use it to sort, not to decide."
    elif auc < 0.8:
        tail = "It ranks customers clearly better than chance, but far from perfectly."
    else:
        tail = "It ranks customers well: most churners score above most stayers."
    return Finding(f"{head} {tail}")


def _p_value(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def survival_sentence(logrank: Any, *, by: str | None = None) -> Finding:
    """Whether the retention curves differ, and which group leaves fastest, from
    :func:`cxlib.churn.survival.logrank_test`."""
    rows = [r for r in _rows(logrank) if r["customers"]]
    if len(rows) < 2:
        return Finding("There is only one group of customers, so there are no curves to compare.")
    p = _number(rows[0]["p_value"])
    if p is None:
        return Finding("The curves could not be compared: too few customers churned.")
    paced = [
        (r["observed"] / r["expected"], str(r["group"]))
        for r in rows
        if _number(r["expected"]) and r["expected"] > 0
    ]
    if p >= 0.05 or len(paced) < 2:
        return Finding(
            f"The curves cannot be told apart from chance (log-rank {_p_value(p)}): by this "
            "split, the groups churn at the same pace."
        )
    (fast_pace, fast), (slow_pace, slow) = max(paced), min(paced)
    if by:
        fast, slow = f"customers with {by} = {fast}", f"those with {by} = {slow}"
    else:
        fast, slow = f"group {fast}", f"group {slow}"
    return Finding(
        f"The groups churn at different paces (log-rank {_p_value(p)}): {fast} leave "
        f"fastest, with {fast_pace:.1f} times the churns expected if every group churned "
        f"alike, and {slow} slowest ({slow_pace:.1f} times)."
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
            "There is only one channel group, so every buyer is single-channel "
            "([channels.groups] in cx.toml)."
        )
    if min_groups >= len(described):
        where = f"in every channel group: {_listing(described)}"
    else:
        where = f"in at least {min_groups} of the channel groups {_listing(described)}"
    return Finding(
        f"A buyer is omnichannel when their conversions ({conversion}) fall {where}; "
        "single-channel when they all fall in one group."
    )


def response_rate_definition(triggers: Mapping[str, str]) -> Finding:
    """How a response rate is computed, naming the touchpoint each survey follows."""
    if not triggers:
        return Finding("No survey can be tied to a touchpoint, so no response rate is computed.")
    pairs = [f"{touchpoint} → {survey.upper()}" for survey, touchpoint in triggers.items()]
    return Finding(
        "Response rate = customers who answered / customers who had the touchpoint that the "
        f"survey follows ({', '.join(pairs)}). Silence is a signal too: compare segments."
    )


def attribution_sentence(credit: Any, *, gap: float = 0.05) -> Finding:
    """Where the Markov model and last touch disagree by ``gap`` or more, from
    :func:`cxlib.attribution.paths_attribution`."""
    frame = to_polars(credit)
    wide = {
        r["channel"]: r
        for r in frame.filter(pl.col("model").is_in(["markov", "last_touch"]))
        .pivot(on="model", index="channel", values="share")
        .fill_null(0.0)
        .to_dicts()
    }
    if not wide or not {"markov", "last_touch"} <= set(next(iter(wide.values()))):
        return Finding("There are no conversions to credit.")
    top = max(wide.values(), key=lambda r: (r["last_touch"], r["channel"]))
    lead = f"Last touch gives the most credit to {top['channel']} ({_pct(top['last_touch'], 0)})"
    more = sorted(
        (r for r in wide.values() if r["markov"] - r["last_touch"] >= gap),
        key=lambda r: r["last_touch"] - r["markov"],
    )
    if not more:
        return Finding(
            f"{lead}; the Markov model agrees within {gap * 100:.0f} points for every channel, so "
            "here the channels that close conversions are also those that carry the journeys "
            "before them."
        )
    named = [
        f"{r['channel']} ({_pct(r['markov'], 0)} against {_pct(r['last_touch'], 0)})" for r in more
    ]
    return Finding(
        f"{lead}; the Markov model credits {_listing(named)} more than last touch does: "
        "channels that help earlier in the journey, which budgets set on last-touch numbers "
        "would starve."
    )
