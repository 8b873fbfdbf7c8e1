"""Findings above lists, re-exported by :mod:`cxlib.pages.findings`: what a list of
customers or touchpoints is for and what to do with it (the at-risk list, drop-off lists),
each a sentence computed from the list's own frame."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import cxlib.i18n as i18n
from cxlib.pages._wording import Finding, _number, _pct, _readable, _rows

__all__ = [
    "at_risk_sentence",
    "dropoff_sentence",
    "funnel_dropoff_sentence",
    "stage_exit_sentence",
]


_NOTHING, _OTHER = "(nothing)", "(other)"  # the labels of cxlib's next-touchpoint lists


def at_risk_sentence(
    at_risk: Any, *, scored: int | None = None, horizon: str | timedelta | None = None
) -> Finding:
    """What the at-risk list is for and what to do with it, from
    :func:`cxlib.churn.at_risk`: how many customers, their range of predicted risk, and the
    action suggested most often; ``scored``: how many customers the model scored.

    Examples
    --------
    >>> import polars as pl
    >>> risk = pl.DataFrame({"customer_id": ["a", "b", "c"],
    ...     "churn_probability": [0.82, 0.64, 0.51],
    ...     "action": ["Call them", "Call them", "Send an offer"]})
    >>> print(at_risk_sentence(risk, scored=1200, horizon="120d"))  # doctest: +NORMALIZE_WHITESPACE
    These 3 customers (of 1,200 scored) are the most likely to leave within 120 days
    (predicted risk 82.0% down to 51.0%), ranked by risk: contact them first, from the top,
    with the action suggested for each. The most common action here: Call them (2 of 3).
    """
    rows = [r for r in _rows(at_risk) if _number(r.get("churn_probability")) is not None]
    if not rows:
        return Finding(i18n._("No customer could be scored, so there is no one to contact yet."))
    risks = [float(r["churn_probability"]) for r in rows]
    of = (
        " " + i18n.t("(of {scored} scored)", scored=i18n.number(scored))
        if scored is not None
        else ""
    )
    within = " " + i18n.t("within {window}", window=_readable(horizon)) if horizon else ""
    text = i18n.nt(
        "This customer{of} is the most likely to leave{within} (predicted risk {high}): "
        "contact them first, with the action suggested.",
        "These {n} customers{of} are the most likely to leave{within} (predicted risk {high} "
        "down to {low}), ranked by risk: contact them first, from the top, with the action "
        "suggested for each.",
        len(rows),
        of=of,
        within=within,
        high=_pct(max(risks)),
        low=_pct(min(risks)),
    )
    actions = [str(r["action"]) for r in rows if r.get("action")]
    if actions:
        common = max(sorted(set(actions)), key=actions.count)
        text += " " + i18n.t(
            "The most common action here: {action} ({k} of {n}).",
            action=common,
            k=i18n.number(actions.count(common)),
            n=i18n.number(len(rows)),
        )
    return Finding(text)


def _top_next(rows: list[dict[str, Any]], column: str) -> dict[str, Any] | None:
    """The most common named next touchpoint of a next-touchpoint list ("(other)" is not
    one), or None."""
    named = [r for r in rows if r[column] not in (_NOTHING, _OTHER) and r["customers"]]
    return max(named, key=lambda r: r["customers"], default=None)


def dropoff_sentence(next_steps: Any, *, step: str, next_step: str, reached: int) -> Finding:
    """What a drop-off list is for and what to do with it: how many customers did ``step``
    and not ``next_step``, and where most of them went instead, from
    :func:`cxlib.next_touchpoints` (``next_touchpoint, customers, share``); ``reached``:
    customers who did ``step``.

    Examples
    --------
    >>> import polars as pl
    >>> after = pl.DataFrame({"next_touchpoint": ["(nothing)", "support_call", "(other)"],
    ...     "customers": [300, 120, 80], "share": [0.6, 0.24, 0.16]})
    >>> print(dropoff_sentence(after, step="cart", next_step="checkout", reached=2000))
    ... # doctest: +NORMALIZE_WHITESPACE
    These 500 customers did cart but not checkout (25.0% of the 2,000 who did cart); the list
    is what they did instead. Most did nothing more (60.0%): they left here, so a reminder
    (an e-mail, an ad) is the way back; next comes support_call (24.0%).
    """
    rows = _rows(next_steps)
    left = sum(int(r["customers"] or 0) for r in rows)
    if left == 0:
        return Finding(
            i18n.t(
                "Everyone who did {step} went on to {next}: no one to follow up here.",
                step=step,
                next=next_step,
            )
        )
    share = _pct(left / reached) if reached else _pct(None)
    text = i18n.nt(
        "This customer did {step} but not {next} ({share} of the {reached} who did {step}); "
        "the list is what they did instead.",
        "These {n} customers did {step} but not {next} ({share} of the {reached} who did "
        "{step}); the list is what they did instead.",
        left,
        step=step,
        next=next_step,
        share=share,
        reached=i18n.number(reached),
    )
    nothing = next((r for r in rows if r["next_touchpoint"] == _NOTHING), None)
    top = _top_next(rows, "next_touchpoint")
    nothing_count = int(nothing["customers"]) if nothing else 0
    if nothing_count and (top is None or nothing_count >= top["customers"]):
        text += " " + i18n.t(
            "Most did nothing more ({share}): they left here, so a reminder (an e-mail, an ad) "
            "is the way back",
            share=_pct(nothing_count / left),
        )
        if top is not None:
            text += i18n.t(
                "; next comes {touchpoint} ({share})",
                touchpoint=top["next_touchpoint"],
                share=_pct(top["customers"] / left),
            )
        text += "."
    elif top is not None and top["next_touchpoint"] == step:
        text += " " + i18n.t(
            "Most did {step} again ({share}): they keep at it without going on to {next}, so "
            "what stops them is in {step} itself; look there first.",
            share=_pct(top["customers"] / left),
            step=step,
            next=next_step,
        )
    elif top is not None:
        text += " " + i18n.t(
            "Most went to {touchpoint} ({share}): look at it first, it is where {step} sends "
            "customers instead of {next}.",
            touchpoint=top["next_touchpoint"],
            share=_pct(top["customers"] / left),
            step=step,
            next=next_step,
        )
    return Finding(text)


def funnel_dropoff_sentence(funnel: Any, next_steps: Any, *, at: int) -> Finding:
    """:func:`dropoff_sentence` for the customers who dropped off after step ``at``
    (1-based) of a :func:`cxlib.funnel` frame.

    Examples
    --------
    >>> import polars as pl
    >>> funnel = pl.DataFrame({"step_index": [1, 2], "step": ["visit", "buy"],
    ...     "customers": [1000, 400]})
    >>> after = pl.DataFrame({"next_touchpoint": ["search"], "customers": [600], "share": [1.0]})
    >>> print(funnel_dropoff_sentence(funnel, after, at=1))  # doctest: +NORMALIZE_WHITESPACE
    These 600 customers did visit but not buy (60.0% of the 1,000 who did visit); the list is
    what they did instead. Most went to search (100.0%): look at it first, it is where visit
    sends customers instead of buy.
    """
    rows = {r["step_index"]: r for r in _rows(funnel)}
    if at not in rows or at + 1 not in rows:
        return Finding(i18n.t("The funnel has no step after step {at}.", at=at))
    return dropoff_sentence(
        next_steps,
        step=str(rows[at]["step"]),
        next_step=str(rows[at + 1]["step"]),
        reached=int(rows[at]["customers"] or 0),
    )


def stage_exit_sentence(destinations: Any, stage: str, *, last: bool = False) -> Finding:
    """What the list of first touchpoints after a stage is for and what to do with it, from
    :func:`cxlib.journey.stage.went_to` (``touchpoint, customers, share``): how many did
    nothing more after entering the stage (its drop-offs) and where most went; ``last``: no
    later stage occurs in the data, so doing nothing more is not dropping off.

    Examples
    --------
    >>> import polars as pl
    >>> went = pl.DataFrame({"stage": ["conversion", "–"], "touchpoint": ["checkout", "(nothing)"],
    ...     "customers": [700, 300], "share": [0.7, 0.3]})
    >>> print(stage_exit_sentence(went, "consideration"))  # doctest: +NORMALIZE_WHITESPACE
    This list is where the 1,000 customers who entered consideration went next. 300 (30.0%)
    did nothing more: they are this stage's drop-offs, the customers to follow up first
    (a reminder or an offer). The most common next touchpoint was checkout (70.0%).
    """
    rows = _rows(destinations)
    total = sum(int(r["customers"] or 0) for r in rows)
    if total == 0:
        return Finding(i18n.t("No customer entered {stage} in this data.", stage=stage))
    text = i18n.t(
        "This list is where the {n} customers who entered {stage} went next.",
        n=i18n.number(total),
        stage=stage,
    )
    nothing = sum(int(r["customers"] or 0) for r in rows if r["touchpoint"] == _NOTHING)
    if nothing and last:
        text += " " + i18n.t(
            "{k} ({share}) did nothing more after it.",
            k=i18n.number(nothing),
            share=_pct(nothing / total),
        )
    elif nothing:
        text += " " + i18n.t(
            "{k} ({share}) did nothing more: they are this stage's drop-offs, the customers to "
            "follow up first (a reminder or an offer).",
            k=i18n.number(nothing),
            share=_pct(nothing / total),
        )
    else:
        text += " " + i18n._("Every one of them did something more: this stage loses no one.")
    top = _top_next(rows, "touchpoint")
    if top is not None:
        text += " " + i18n.t(
            "The most common next touchpoint was {touchpoint} ({share}).",
            touchpoint=top["touchpoint"],
            share=_pct(top["customers"] / total),
        )
    return Finding(text)
