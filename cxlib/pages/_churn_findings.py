"""The findings of the churn page: friction and churn, the training table, the model's
score and the survival curves. Private to :mod:`cxlib.pages`; shown through
:mod:`cxlib.pages.findings`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import to_polars
from cxlib.pages._labels import WORDS
from cxlib.pages._wording import (
    _PERIODS,
    Finding,
    _interval,
    _number,
    _pct,
    _readable,
    _rows,
)


def friction_churn_sentence(by_friction: Any, *, period: str = "quarter") -> Finding:
    """Churn of the customers with the most friction against those with the least, from
    :func:`cxlib.churn.friction_churn`; says whether the intervals tell them apart."""
    rows = [r for r in _rows(by_friction) if r["customers"]]
    if len(rows) < 2:
        return Finding(
            i18n._(
                "Every customer had the same number of friction incidents, so there is nothing "
                "to compare."
            )
        )
    base, worst = rows[0], rows[-1]
    base_name = i18n._("none") if str(base["incidents"]) == "0" else str(base["incidents"])
    head = i18n.t(
        "Customers with {incidents} friction incidents in one {period} churned at {rate}, "
        "against {base_rate} of those with {base}",
        incidents=worst["incidents"],
        period=i18n._(_PERIODS.get(period, period)),
        rate=_pct(worst["churn_rate"])
        + _interval(worst["churn_rate_low"], worst["churn_rate_high"]),
        base_rate=_pct(base["churn_rate"])
        + _interval(base["churn_rate_low"], base["churn_rate_high"]),
        base=base_name,
    )
    lo_w, hi_w = _number(worst["churn_rate_low"]), _number(worst["churn_rate_high"])
    lo_b, hi_b = _number(base["churn_rate_low"]), _number(base["churn_rate_high"])
    gap = (_number(worst["churn_rate"]) or 0.0) - (_number(base["churn_rate"]) or 0.0)
    points = i18n.number(abs(gap) * 100)
    if None not in (lo_w, hi_b) and lo_w > hi_b:
        tail = i18n.t(
            ": {points} points more, and the intervals do not overlap. Repeated friction goes "
            "with leaving, so preventing the next incident, or recovering quickly after the "
            "first, is where retention work is likely to pay.",
            points=points,
        )
    elif None not in (hi_w, lo_b) and hi_w < lo_b:
        tail = i18n.t(
            ": {points} points less, and the intervals do not overlap. Here customers with "
            "more friction churn less often, so friction is not what drives them away (heavy "
            "users meet more incidents and stay).",
            points=points,
        )
    else:
        tail = i18n._(
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
        return Finding(
            i18n.t("No customer was active before {date} and still a customer then.", date=as_of)
        )
    rate = frame.get_column(label).cast(pl.Float64).mean()
    values = {"n": i18n.number(frame.height), "date": as_of, "share": _pct(rate)}
    if inactivity_days is not None:
        text = i18n.t(
            "{n} customers were active before {date} and had not churned by then; {share} of "
            "them churned (no touchpoint in the {days} days after it).",
            days=i18n.number(inactivity_days),
            **values,
        )
    else:
        text = i18n.t(
            "{n} customers were active before {date} and had not churned by then; {share} of "
            "them churned within {window} after it.",
            window=_readable(horizon),
            **values,
        )
    return Finding(text)


def model_sentence(summary: Any, best: str) -> Finding:
    """The best model's cross-validated ROC AUC and what it means, from
    :attr:`cxlib.churn.ChurnModel.summary`."""
    rows = [r for r in _rows(summary) if r["model"] == best]
    if not rows:
        return Finding(i18n.t("No scores for the model {model}.", model=best))
    row = rows[0]
    auc, sd = _number(row["roc_auc"]), _number(row.get("roc_auc_std")) or 0.0
    if auc is None:
        return Finding(i18n.t("The {model} model could not be scored on this data.", model=best))
    folds = row.get("folds")
    name = i18n._(WORDS.get(best, best))  # "logistic regression" in the report's language
    values = {"model": name, "auc": i18n.number(auc, 3), "sd": i18n.number(sd, 3)}
    if folds:
        head = i18n.t(
            "Best model: {model}, cross-validated ROC AUC {auc} ± {sd} (mean ± sd over {folds} "
            "folds).",
            folds=folds,
            **values,
        )
    else:
        head = i18n.t(
            "Best model: {model}, cross-validated ROC AUC {auc} ± {sd} (mean ± sd).", **values
        )
    if auc - 2 * sd <= 0.5:
        tail = i18n._(
            "That is not clearly better than a coin toss: the columns available here do not "
            "separate the customers who leave from those who stay."
        )
    elif auc < 0.7:
        tail = i18n._(
            "It ranks customers better than chance, but weakly: use it to sort, not to decide."
        )
    elif auc < 0.8:
        tail = i18n._("It ranks customers clearly better than chance, but far from perfectly.")
    else:
        tail = i18n._("It ranks customers well: most churners score above most stayers.")
    return Finding(f"{head} {tail}")


def _p_value(p: float) -> str:
    return "p < " + i18n.number(0.001, 3) if p < 0.001 else "p = " + i18n.number(p, 3)


def survival_sentence(logrank: Any, *, by: str | None = None) -> Finding:
    """Whether the retention curves differ, and which group leaves fastest, from
    :func:`cxlib.churn.survival.logrank_test`."""
    rows = [r for r in _rows(logrank) if r["customers"]]
    if len(rows) < 2:
        return Finding(
            i18n._("There is only one group of customers, so there are no curves to compare.")
        )
    p = _number(rows[0]["p_value"])
    if p is None:
        return Finding(i18n._("The curves could not be compared: too few customers churned."))
    paced = [
        (r["observed"] / r["expected"], str(r["group"]))
        for r in rows
        if _number(r["expected"]) and r["expected"] > 0
    ]
    if p >= 0.05 or len(paced) < 2:
        return Finding(
            i18n.t(
                "The curves cannot be told apart from chance (log-rank {p}): by this split, the "
                "groups churn at the same pace.",
                p=_p_value(p),
            )
        )
    (fast_pace, fast), (slow_pace, slow) = max(paced), min(paced)
    if by:
        fast = i18n.t("customers with {column} = {value}", column=by, value=fast)
        slow = i18n.t("those with {column} = {value}", column=by, value=slow)
    else:
        fast = i18n.t("group {value}", value=fast)
        slow = i18n.t("group {value}", value=slow)
    return Finding(
        i18n.t(
            "The groups churn at different paces (log-rank {p}): {fast} leave fastest, with "
            "{fast_pace} times the churns expected if every group churned alike, and {slow} "
            "slowest ({slow_pace} times).",
            p=_p_value(p),
            fast=fast,
            fast_pace=i18n.number(fast_pace, 1),
            slow=slow,
            slow_pace=i18n.number(slow_pace, 1),
        )
    )
