"""Why customers churn: global drivers and per-customer reasons, in words.

* Permutation importance (Breiman 2001; scikit-learn's ``permutation_importance``) on each
  cross-validation fold's *held-out* rows, scored by ROC AUC: how much the AUC drops when a
  column's values are shuffled. Reported as the mean over folds with a 95 % t-interval of the
  fold means, so a driver whose interval includes 0 is not distinguishable from noise.
* Partial dependence (Friedman 2001) of the model fitted on all rows: the average churn
  probability when every customer is given the same value of one column.
* Per-customer reasons: for each column, the drop in that customer's churn probability when
  the column is set to the *typical* value (the median, or the most common category; missing
  when most customers have it missing). The largest drops are the reasons, told in words.
  Model-agnostic, exact for the model at hand, and cheap (one prediction per column).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

import cxlib.i18n as i18n
from cxlib._progress import progress_bar
from cxlib.churn._models import CrossValidated, Encoding

# Plain-language names of the journey features of cxlib.churn.features.
FEATURE_TEXT: dict[str, str] = {
    "recency_days": "days since the last touchpoint",
    "touchpoints": "touchpoints so far",
    "purchases": "purchases so far",
    "revenue": "revenue so far",
    "tenure_days": "days as a customer",
    "furthest_stage": "furthest journey stage",
    "days_since_furthest_stage": "days since last at the furthest stage",
    "channels": "channels used",
    "omnichannel": "buys both in store and online",
    "friction_90d": "friction incidents in the last 90 days",
    "friction_total": "friction incidents so far",
    "days_since_friction": "days since the last friction incident",
    "support_contacts": "support contacts so far",
    "touchpoints_30d": "touchpoints in the last 30 days",
    "touchpoints_prior_60d": "touchpoints in the 60 days before that",
    "engagement_trend": "engagement trend, last 30 vs prior 60 days (-1 stopped, +1 new)",
    "survey_answers": "survey answers given",
    "no_survey_answer": "bought but never answered a survey",
    "nps_latest": "latest NPS answer",
    "nps_trend": "change in NPS since the previous answer",
    "csat_latest": "latest CSAT answer",
    "csat_trend": "change in CSAT since the previous answer",
}


def feature_label(column: str) -> str:
    """Plain-language name of a feature column."""
    if column in FEATURE_TEXT:  # in the report's language (cxlib.i18n)
        return i18n._(FEATURE_TEXT[column])
    if column.startswith("share_"):
        channel = column.removeprefix("share_").replace("_", " ")
        return i18n.t("share of touchpoints on {channel}", channel=channel)
    if column.startswith("stage_"):
        stage = column.removeprefix("stage_").replace("_", " ")
        return i18n.t("touchpoints in the {stage} stage", stage=stage)
    return column.replace("_", " ")


# Suggested action by the reason's column (first matching prefix wins).
ACTIONS: dict[str, str] = {
    "friction": "Service recovery: call, apologise and fix what failed; offer a goodwill credit",
    "days_since_friction": "Service recovery: call, apologise and fix what failed",
    "support": "Close the loop on open support cases with a personal follow-up",
    "nps": "Detractor follow-up: a personal call from the CX team",
    "csat": "Detractor follow-up: a personal call from the CX team",
    "no_survey": "Ask for feedback with a short, personal check-in",
    "survey": "Ask for feedback with a short, personal check-in",
    "recency": "Win-back: a personalised re-engagement offer",
    "engagement": "Win-back: a personalised re-engagement offer",
    "touchpoints": "Win-back: a personalised re-engagement offer",
    "furthest_stage": "Nudge to the next journey stage (first-purchase or onboarding offer)",
    "days_since_furthest": "Nudge to the next journey stage (first-purchase or onboarding offer)",
    "purchases": "Loyalty offer on the next order",
    "revenue": "Loyalty offer on the next order",
    "omnichannel": "Invite to the other channel (store or online)",
    "share_": "Invite to the other channel (store or online)",
    "channels": "Invite to the other channel (store or online)",
    "tenure": "Welcome series for new customers",
    "stage_advocacy": "Thank and reward advocates; ask what changed",
    "stage_": "Win-back: a personalised re-engagement offer",
}
DEFAULT_ACTION = "Review the account and reach out personally"


def _auc_rows(y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of ``scores`` against the 0/1 labels ``y`` (Mann-Whitney, ties
    averaged): the same number as ``roc_auc_score``, for many score vectors at once."""
    ranks = stats.rankdata(scores, axis=1)
    positives = y.astype(bool)
    n1, n0 = positives.sum(), (~positives).sum()
    return (ranks[:, positives].sum(axis=1) - n1 * (n1 + 1) / 2) / (n1 * n0)


def _column_batches(n: int, p: int, repeats: int, batch_rows: int = 60_000) -> list[range]:
    """The columns whose shuffled copies share one prediction call (about ``batch_rows``
    rows at once)."""
    per_batch = max(1, batch_rows // (repeats * n))
    return [range(first, min(first + per_batch, p)) for first in range(0, p, per_batch)]


def _permutation_drop(
    fitted: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    repeats: int,
    rng: np.random.Generator,
    batch_rows: int = 60_000,
    bar: Any = None,
) -> np.ndarray:
    """Mean drop in ROC AUC per column when it is shuffled (``repeats`` shuffles each).

    The algorithm of scikit-learn's ``permutation_importance``, batched: the shuffled copies
    of several columns go through one ``predict_proba`` call and one vectorized AUC, because
    on a few hundred rows the per-call overhead dominates (8 s against 1 s here). ``bar``,
    a progress bar, advances by one per batch.
    """
    n, p = X.shape
    baseline = _auc_rows(y, fitted.predict_proba(X)[None, :, 1])[0]
    drops = np.zeros((p, repeats))
    for columns in _column_batches(n, p, repeats, batch_rows):
        copies = np.repeat(X[None, :, :], len(columns) * repeats, axis=0)
        pairs = [(j, r) for j in columns for r in range(repeats)]
        for k, (j, _) in enumerate(pairs):
            copies[k, :, j] = X[rng.permutation(n), j]
        proba = fitted.predict_proba(copies.reshape(-1, p))[:, 1].reshape(len(copies), n)
        auc = _auc_rows(y, proba)
        for k, (j, r) in enumerate(pairs):
            drops[j, r] = baseline - auc[k]
        if bar is not None:
            bar.update()
    return drops.mean(axis=1)


def permutation_drivers(
    cv: CrossValidated,
    model: str,
    *,
    repeats: int = 5,
    random_state: int = 0,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """``feature, importance, importance_low, importance_high, label, folds`` (AUC drop)."""
    rng = np.random.default_rng(random_state)
    fits = cv.fold_models[model]
    batches = sum(len(_column_batches(len(test), cv.X.shape[1], repeats)) for _, test in fits)
    with progress_bar(total=batches, desc="churn drivers", unit="batch") as bar:
        folds = np.vstack(
            [
                _permutation_drop(fitted, cv.X[test], cv.y[test], repeats=repeats, rng=rng, bar=bar)
                for fitted, test in fits  # one pass per fold
            ]
        )
    mean = folds.mean(axis=0)
    k = folds.shape[0]
    half = (
        stats.t.ppf(0.5 + confidence / 2, k - 1) * folds.std(axis=0, ddof=1) / np.sqrt(k)
        if k > 1
        else np.full_like(mean, np.nan)
    )
    return (
        pl.DataFrame(
            {
                "feature": list(cv.encoding.columns),
                "importance": mean,
                "importance_low": mean - half,
                "importance_high": mean + half,
            }
        )
        .with_columns(
            pl.Series("label", [feature_label(c) for c in cv.encoding.columns], dtype=pl.String),
            pl.lit(k).alias("folds"),
        )
        .sort("importance", descending=True)
    )


def _grid(values: np.ndarray, categorical: bool, points: int) -> np.ndarray:
    present = values[~np.isnan(values)]
    if categorical or np.unique(present).size <= points:
        return np.unique(present)
    return np.unique(np.quantile(present, np.linspace(0.05, 0.95, points)))


def partial_dependence(
    fitted: Any,
    encoding: Encoding,
    X: np.ndarray,
    features: Sequence[str],
    *,
    points: int = 20,
    sample: int = 2000,
    random_state: int = 0,
) -> pl.DataFrame:
    """``feature, label, value, x, churn_probability, categorical`` (average over customers)."""
    rng = np.random.default_rng(random_state)
    rows = X if len(X) <= sample else X[rng.choice(len(X), sample, replace=False)]
    frames = []
    for name in features:  # a few columns
        j = encoding.columns.index(name)
        is_cat = encoding.categorical[j]
        grid = _grid(rows[:, j], is_cat, points)
        stacked = np.repeat(rows[None, :, :], len(grid), axis=0)
        stacked[:, :, j] = grid[:, None]
        proba = fitted.predict_proba(stacked.reshape(-1, rows.shape[1]))[:, 1]
        average = proba.reshape(len(grid), len(rows)).mean(axis=1)
        shown = (
            [encoding.categories[name][int(v)] for v in grid]
            if is_cat
            else [f"{v:,.4g}" for v in grid]
        )
        frames.append(
            pl.DataFrame(
                {
                    "feature": name,
                    "label": feature_label(name),
                    "value": shown,
                    "x": grid.astype(float),
                    "churn_probability": average,
                    "categorical": is_cat,
                }
            )
        )
    return pl.concat(frames)


def typical_row(encoding: Encoding, X: np.ndarray) -> np.ndarray:
    """The typical customer: median / most common category; NaN where most are missing."""
    typical = np.full(X.shape[1], np.nan)
    for j, is_cat in enumerate(encoding.categorical):
        column = X[:, j]
        present = column[~np.isnan(column)]
        if present.size * 2 < column.size:
            continue
        if is_cat:
            codes, counts = np.unique(present, return_counts=True)
            typical[j] = codes[np.argmax(counts)]
        else:
            typical[j] = np.median(present)
    return typical


def _shown(value: float, column: str, encoding: Encoding) -> str:
    if np.isnan(value):
        return i18n._("none") if column.startswith("days_since") else i18n._("missing")
    if column in encoding.categories:
        return encoding.categories[column][int(value)]
    return i18n.number(value, 0 if abs(value) >= 10 or value == int(value) else 2)


def action_for(column: str, actions: Mapping[str, str] | None = None) -> str:
    """The suggested action for a reason column (first matching prefix)."""
    table = {**ACTIONS, **(actions or {})}
    for prefix in sorted(table, key=len, reverse=True):
        if column.startswith(prefix):
            return i18n._(table[prefix])
    return i18n._(DEFAULT_ACTION)


def reasons(
    fitted: Any,
    encoding: Encoding,
    X: np.ndarray,
    typical: np.ndarray,
    ids: Sequence[Any],
    *,
    top: int = 3,
    actions: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """``customer_id, rank, feature, value, typical, effect, reason, action`` per customer.

    ``effect`` is how much lower the churn probability would be with the typical value; only
    columns that raise the risk (effect > 0.005) are reasons.
    """
    n, p = X.shape
    base = fitted.predict_proba(X)[:, 1]
    what_if = np.repeat(X[:, None, :], p, axis=1)  # n x p x p: row i with column j typical
    what_if[:, np.arange(p), np.arange(p)] = typical[None, :]
    effect = base[:, None] - fitted.predict_proba(what_if.reshape(n * p, p))[:, 1].reshape(n, p)
    columns = list(encoding.columns)
    long = pl.DataFrame(
        {
            "customer_id": np.repeat(np.asarray(ids, dtype=object), p).tolist(),
            "column": np.tile(np.arange(p), n),
            "effect": effect.ravel(),
            "value": X.ravel(),
            "typical": np.tile(typical, n),
        }
    ).filter(pl.col("effect") > 0.005)
    long = long.with_columns(
        pl.col("effect").rank("ordinal", descending=True).over("customer_id").alias("rank")
    ).filter(pl.col("rank") <= top)
    names = [columns[j] for j in long.get_column("column").to_list()]
    value = [_shown(v, c, encoding) for v, c in zip(long["value"].to_list(), names, strict=True)]
    usual = [_shown(v, c, encoding) for v, c in zip(long["typical"].to_list(), names, strict=True)]
    text = [
        i18n.t(
            "{feature}: {value} (typical {typical})", feature=feature_label(c), value=v, typical=u
        )
        for c, v, u in zip(names, value, usual, strict=True)
    ]
    return long.select(
        "customer_id",
        pl.col("rank").cast(pl.Int64),
        pl.Series("feature", names, dtype=pl.String),
        pl.Series("value", value, dtype=pl.String),
        pl.Series("typical", usual, dtype=pl.String),
        "effect",
        pl.Series("reason", text, dtype=pl.String),
        pl.Series("action", [action_for(c, actions) for c in names], dtype=pl.String),
    ).sort("customer_id", "rank")
