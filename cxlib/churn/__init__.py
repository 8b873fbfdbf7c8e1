"""Predictive churn: who is at risk, why, and how sure we are.

The workflow, each step one call:

0. :func:`definition` and :func:`outcomes` — what churn means for the dataset, one
   definition for every function below: the inactivity rule when ``[churn]
   inactivity_days`` is set in ``cx.toml`` (churned at the last touchpoint when that many
   days of data follow it without another; customers seen since are censored), else the
   label column on customers (``[churn] label``, default ``churned``, dated by
   ``churn_ts``). No customer table is needed for the rule.
1. :func:`training_table` — journey features as of a date (:func:`features`, computed only
   from data *before* ``as_of``) joined to the churn label (:func:`label`, only from *after*
   it: the label column dated within the horizon, or no touchpoint in the
   ``inactivity_days`` after ``as_of``). Customers whose ``churn_ts`` is before ``as_of``
   are left out.
2. :func:`fit` (or :func:`evaluate` for the scores only) — a regularized logistic regression
   and a gradient-boosted model, stratified k-fold cross-validated, on *any* customer table.
3. :class:`ChurnModel` — calibration, lift by decile, permutation importance, partial
   dependence and per-customer reasons; :func:`at_risk` lists today's customers most likely
   to leave, with reasons and a suggested action; :func:`export_at_risk` writes it safely.

:func:`friction_churn` checks the descriptive link between friction and churn, and
:func:`lifetimes` feeds :mod:`cxlib.churn.survival` (retention curves after ``as_of``), split
by what :func:`survival_segments` finds the data supports.

Examples
--------
>>> import warnings; warnings.simplefilter("ignore")
>>> import cxlib as cx
>>> from cxlib import churn
>>> ds = cx.load("data/sample")
>>> training = churn.training_table(ds, as_of="2025-07-01", horizon="120d")
>>> scores = churn.evaluate(training, folds=3)
>>> scores.columns[:5]
['model', 'roc_auc', 'roc_auc_std', 'pr_auc', 'brier']
>>> bool(scores["roc_auc"].min() > 0.55)
True
"""

from cxlib.churn import survival
from cxlib.churn._churn import (
    at_risk,
    evaluate,
    export_at_risk,
    features,
    label,
    training_table,
)
from cxlib.churn._definition import ChurnDefinition, definition, outcomes
from cxlib.churn._fit import ChurnModel, fit
from cxlib.churn._outcomes import friction_churn, lifetimes
from cxlib.churn._segments import survival_segments

__all__ = [
    "ChurnDefinition",
    "ChurnModel",
    "at_risk",
    "definition",
    "evaluate",
    "export_at_risk",
    "features",
    "fit",
    "friction_churn",
    "label",
    "lifetimes",
    "outcomes",
    "survival",
    "survival_segments",
    "training_table",
]
