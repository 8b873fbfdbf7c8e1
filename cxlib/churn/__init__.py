"""Predictive churn: who is at risk, why, and how sure we are.

The workflow, each step one call:

1. :func:`training_table` — journey features as of a date (:func:`features`, computed only
   from data *before* ``as_of``) joined to the churn label (:func:`label`, only from *after*
   it). Churn is a label column on customers (``churned`` with ``churn_ts``) or, with
   ``inactivity_days``, no touchpoint for that many days after ``as_of`` (``[churn]`` in
   ``cx.toml``). Customers who had already churned before ``as_of`` are left out.
2. :func:`fit` (or :func:`evaluate` for the scores only) — a regularized logistic regression
   and a gradient-boosted model, stratified k-fold cross-validated, on *any* customer table.
3. :class:`ChurnModel` — calibration, lift by decile, permutation importance, partial
   dependence and per-customer reasons; :func:`at_risk` lists today's customers most likely
   to leave, with reasons and a suggested action; :func:`export_at_risk` writes it safely.

:func:`friction_churn` checks the descriptive link between friction and churn, and
:func:`lifetimes` feeds :mod:`cxlib.churn.survival` (retention curves after ``as_of``).

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
from cxlib.churn._fit import ChurnModel, fit
from cxlib.churn._outcomes import friction_churn, lifetimes

__all__ = [
    "ChurnModel",
    "at_risk",
    "evaluate",
    "export_at_risk",
    "features",
    "fit",
    "friction_churn",
    "label",
    "lifetimes",
    "survival",
    "training_table",
]
