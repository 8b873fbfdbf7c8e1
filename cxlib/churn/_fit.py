"""A fitted churn analysis: cross-validated models and everything read from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import polars as pl

from cxlib._engine import to_polars
from cxlib._errors import DataError
from cxlib._stats import wilson
from cxlib.churn import _drivers as _d
from cxlib.churn import _models as _m


@dataclass
class ChurnModel:
    """Cross-validated churn models on one customer table; see :func:`fit`.

    Attributes
    ----------
    summary : polars.DataFrame
        One row per model: ``model, roc_auc, roc_auc_std, pr_auc, ..., dropped``.
    fold_scores : polars.DataFrame
        ``model, fold, roc_auc, pr_auc, brier``: every fold's score.
    best : str
        The model with the highest mean ROC AUC; used by default below.
    label : str
        The label column.
    id_column : str or None
        The customer id column (``customer_id``, or the first id-like column dropped).
    """

    cv: _m.CrossValidated
    label: str
    id_column: str | None
    summary: pl.DataFrame
    best: str
    random_state: int = 0
    _factories: dict[str, Any] = field(default_factory=dict, repr=False)
    _fitted: dict[str, Any] = field(default_factory=dict, repr=False)
    _importance: dict[tuple[str, int], pl.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def fold_scores(self) -> pl.DataFrame:
        return self.cv.fold_scores

    def fitted(self, model: str | None = None) -> Any:
        """The scikit-learn model refitted on all rows (fitted once, on first use)."""
        name = model or self.best
        if name not in self._factories:
            raise DataError(f"model '{name}' was not fitted; use one of {list(self._factories)}")
        if name not in self._fitted:
            with _m.one_thread():
                self._fitted[name] = self._factories[name]().fit(self.cv.X, self.cv.y)
        return self._fitted[name]

    def calibration(self, *, bins: int = 10) -> pl.DataFrame:
        """Out-of-fold predicted vs observed churn by score bin: ``model, bin, customers,
        churners, predicted, observed, observed_low, observed_high`` (Wilson 95 %)."""
        return calibration(self.cv, bins=bins)

    def lift(self, *, groups: int = 10) -> pl.DataFrame:
        """Out-of-fold lift and gains by decile: ``model, decile`` (1 = riskiest),
        ``customers, churners, mean_score, churn_rate, lift, customers_share,
        churners_captured``."""
        return lift(self.cv, groups=groups)

    def importance(self, *, model: str | None = None, repeats: int = 5) -> pl.DataFrame:
        """Permutation importance (drop in held-out ROC AUC) with a 95 % interval over folds:
        ``feature, importance, importance_low, importance_high, label, folds``."""
        key = (model or self.best, repeats)
        if key not in self._importance:
            with _m.one_thread():
                self._importance[key] = _d.permutation_drivers(
                    self.cv, key[0], repeats=repeats, random_state=self.random_state
                )
        return self._importance[key]

    def partial_dependence(
        self,
        features: Sequence[str] | None = None,
        *,
        top: int = 3,
        model: str | None = None,
        points: int = 20,
    ) -> pl.DataFrame:
        """Average churn probability over a grid of each feature's values (default: the
        ``top`` features by importance, as last computed): ``feature, label, value, x,
        churn_probability, categorical``."""
        if features is None:
            name = model or self.best
            cached = [frame for (which, _), frame in self._importance.items() if which == name]
            ranking = cached[-1] if cached else self.importance(model=name)
            features = ranking.head(top).get_column("feature").to_list()
        unknown = [f for f in features if f not in self.cv.encoding.columns]
        if unknown:
            raise DataError(f"not model features: {unknown}; use {list(self.cv.encoding.columns)}")
        fitted = self.fitted(model)
        with _m.one_thread():
            return _d.partial_dependence(
                fitted,
                self.cv.encoding,
                self.cv.X,
                list(features),
                points=points,
                random_state=self.random_state,
            )

    def _rows(self, features: Any) -> tuple[pl.DataFrame, np.ndarray, list[Any]]:
        table = to_polars(features)
        if self.id_column is None or self.id_column not in table.columns:
            raise DataError(
                f"the table has no id column '{self.id_column}'; scoring needs "
                "one row per customer with their id"
            )
        return table, self.cv.encoding.matrix(table), table.get_column(self.id_column).to_list()

    def score(self, features: Any, *, model: str | None = None) -> pl.DataFrame:
        """Churn probability of each customer of ``features``: ``<id>, churn_probability``."""
        table, X, _ = self._rows(features)
        fitted = self.fitted(model)
        with _m.one_thread():
            proba = fitted.predict_proba(X)[:, 1] if len(X) else np.zeros(0)
        return table.select(self.id_column).with_columns(
            pl.Series("churn_probability", proba, dtype=pl.Float64)
        )

    def reasons(
        self,
        features: Any,
        *,
        top: int = 3,
        model: str | None = None,
        actions: Mapping[str, str] | None = None,
    ) -> pl.DataFrame:
        """Top reasons for each customer's score, in words, with a suggested action:
        ``customer_id, rank, feature, value, typical, effect, reason, action``.

        ``effect``: how much lower the churn probability would be if that column had the
        typical customer's value. Meant for a shortlist (cost: one prediction per column
        per customer).
        """
        _, X, ids = self._rows(features)
        typical = _d.typical_row(self.cv.encoding, self.cv.X)
        fitted = self.fitted(model)
        with _m.one_thread():
            return _d.reasons(fitted, self.cv.encoding, X, typical, ids, top=top, actions=actions)


def fit(
    features: Any,
    *,
    label: str = "churned",
    folds: int = 5,
    models: Sequence[str] = ("logistic", "boosting"),
    random_state: int = 0,
    positive: Any = None,
    C: float = 1.0,
    max_iter: int = 150,
) -> ChurnModel:
    """Cross-validate churn models on any customer table; see :func:`cxlib.churn.evaluate`.

    ``C`` is the logistic regression's inverse L2 strength; ``max_iter`` is the number of
    boosting rounds.

    Examples
    --------
    >>> import polars as pl
    >>> table = pl.DataFrame({"tenure": list(range(40)) * 2,
    ...                       "churned": [t < 10 for t in range(40)] * 2})
    >>> fit(table, folds=2).best in {"logistic", "boosting"}
    True
    """
    unknown = [m for m in models if m not in _m.MODELS]
    if unknown or not models:
        raise DataError(f"models={list(models)}; choose from {list(_m.MODELS)}")
    encoding, X, y, table = _m.prepare(features, label=label, positive=positive)
    options = {"logistic": {"C": C}, "boosting": {"max_iter": max_iter}}
    factories = {
        name: partial(_m.MODELS[name], encoding, random_state=random_state, **options[name])
        for name in models
    }
    cv = _m.cross_validate(encoding, X, y, models=factories, folds=folds, random_state=random_state)
    summary = _m.summary(cv)
    best = summary.sort("roc_auc", descending=True).get_column("model")[0]
    id_column = (
        "customer_id"
        if "customer_id" in table.columns
        else next((c for c, why in encoding.dropped.items() if why.startswith("id-like")), None)
    )
    return ChurnModel(cv, label, id_column, summary, best, random_state, factories)


def _scored(cv: _m.CrossValidated) -> pl.DataFrame:
    return pl.concat(
        [
            pl.DataFrame({"model": name, "score": score, "churned": cv.y.astype(float)})
            for name, score in cv.predictions.items()
        ]
    )


def calibration(cv: _m.CrossValidated, *, bins: int = 10, confidence: float = 0.95) -> pl.DataFrame:
    """Predicted vs observed churn in equal-size bins of out-of-fold scores, with Wilson CIs."""
    binned = _scored(cv).with_columns(
        ((pl.col("score").rank("ordinal").over("model") - 1) * bins // pl.len().over("model") + 1)
        .cast(pl.Int64)
        .alias("bin")
    )
    out = binned.group_by("model", "bin").agg(
        pl.len().alias("customers"),
        pl.col("churned").sum().cast(pl.Int64).alias("churners"),
        pl.col("score").mean().alias("predicted"),
        pl.col("churned").mean().alias("observed"),
    )
    low, high = wilson("churners", "customers", confidence)
    return out.with_columns(low.alias("observed_low"), high.alias("observed_high")).sort(
        "model", "bin"
    )


def lift(cv: _m.CrossValidated, *, groups: int = 10) -> pl.DataFrame:
    """Lift and cumulative gains by score decile (1 = the highest scores), out of fold."""
    ranked = _scored(cv).with_columns(
        (
            (pl.col("score").rank("ordinal", descending=True).over("model") - 1)
            * groups
            // pl.len().over("model")
            + 1
        )
        .cast(pl.Int64)
        .alias("decile")
    )
    out = (
        ranked.group_by("model", "decile")
        .agg(
            pl.len().alias("customers"),
            pl.col("churned").sum().cast(pl.Int64).alias("churners"),
            pl.col("score").mean().alias("mean_score"),
        )
        .sort("model", "decile")
    )
    base = float(cv.y.mean())
    return out.with_columns(
        (pl.col("churners") / pl.col("customers")).alias("churn_rate"),
        (pl.col("churners") / pl.col("customers") / base).alias("lift"),
        (
            pl.col("customers").cum_sum().over("model") / pl.col("customers").sum().over("model")
        ).alias("customers_share"),
        (pl.col("churners").cum_sum().over("model") / pl.col("churners").sum().over("model")).alias(
            "churners_captured"
        ),
    )
