"""Churn models on any customer table: column typing, two scikit-learn models, honest CV.

:func:`prepare` turns a customer-level frame (polars, pandas, ...; one row per customer) into
a numeric matrix the way an analyst would by hand, and says what it did: id-like columns
(``customer_id``, all-unique strings, unique integer keys), constant columns and dates are
dropped with a note; strings that are numbers ("29.85", " ") become numbers; strings, booleans
and categoricals become category codes (at most 255 per column; values seen in fewer than
10 rows, and the rarest beyond 255, pooled as "(other)"); missing values stay missing
(NaN). :class:`Encoding` replays the same steps on new data, for scoring.

Two models (scikit-learn): a regularized logistic regression (median imputation with missing
indicators, scaling and one-hot encoding in a ``ColumnTransformer``, L2 penalty) and a
histogram gradient-boosted tree model, which handles categories and missing values natively.
Both are scored by stratified k-fold cross-validation (shuffled, fixed seed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from cxlib._engine import CUSTOMER, to_polars
from cxlib._errors import DataError
from cxlib._progress import progress

MAX_CATEGORIES = 255  # HistGradientBoosting's limit (max_bins)
OTHER = "(other)"
_ID_NAME = re.compile(r"(^|[_\s])(id|uuid|guid|key)$|id$|number$|^index$|^unnamed", re.I)
_TRUE = {"1", "true", "t", "yes", "y", "churn", "churned", "left", "exited", "positive"}
_FALSE = {"0", "false", "f", "no", "n", "stayed", "retained", "active", "negative", "joined"}


@dataclass(frozen=True)
class Encoding:
    """How a customer table becomes the model matrix; replays on new data."""

    columns: tuple[str, ...]
    categorical: tuple[bool, ...]
    categories: dict[str, tuple[str, ...]]  # code -> label, per categorical column
    numeric_text: tuple[str, ...] = ()  # string columns read as numbers
    dropped: dict[str, str] = field(default_factory=dict)  # column -> why

    def matrix(self, frame: pl.DataFrame) -> np.ndarray:
        """The float matrix of ``frame``: codes for categories, NaN for missing/unseen."""
        parts = []
        for column, is_cat in zip(self.columns, self.categorical, strict=True):
            if column not in frame.columns:
                parts.append(pl.lit(None, dtype=pl.Float64).alias(column))
            elif is_cat:
                labels = self.categories[column]
                known = {label: float(code) for code, label in enumerate(labels)}
                text = pl.col(column).cast(pl.String)
                fallback = known.get(OTHER)
                coded = text.replace_strict(known, default=fallback, return_dtype=pl.Float64)
                parts.append(pl.when(text.is_null()).then(None).otherwise(coded).alias(column))
            elif column in self.numeric_text:
                parts.append(_numeric_text(pl.col(column)).alias(column))
            else:
                parts.append(pl.col(column).cast(pl.Float64).alias(column))
        values = frame.select(parts).to_numpy().astype(np.float64)
        return values.reshape(frame.height, len(self.columns))

    def note(self) -> str:
        """One line listing dropped columns and why, or ''."""
        return "; ".join(f"{c} ({why})" for c, why in self.dropped.items())


@contextmanager
def one_thread() -> Iterator[None]:
    """Run scikit-learn single-threaded (OpenMP and BLAS).

    On a small table the gradient-boosting threads gain little, and on a shared machine
    whose cores are busy OpenMP's waiting threads slow fitting down 10-30x (measured: 37 s
    against 1.4 s for ``evaluate`` on 7,000 rows, 2 busy cores).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _numeric_text(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)


def label_vector(frame: pl.DataFrame, label: str, positive: Any = None) -> np.ndarray:
    """The label as 0/1 floats (NaN where missing); booleans, 0/1, yes/no and the like."""
    if label not in frame.columns:
        raise DataError(
            f"label column '{label}' not found; columns are {frame.columns[:12]}; "
            "pass label='<your churn column>'"
        )
    column = frame.get_column(label)
    if positive is not None:
        matches = (column == positive).cast(pl.Float64).to_numpy()
        return np.where(column.is_null().to_numpy(), np.nan, matches)
    if column.dtype == pl.Boolean:
        return column.cast(pl.Float64).to_numpy()
    if column.dtype.is_numeric():
        values = set(column.drop_nulls().unique().to_list())
        if values <= {0, 1}:
            return column.cast(pl.Float64).to_numpy()
    text = column.cast(pl.String).str.strip_chars(" .").str.to_lowercase()  # "True." too
    seen = set(text.drop_nulls().unique().to_list())
    if seen and seen <= _TRUE | _FALSE:
        churned = text.is_in(list(_TRUE)).cast(pl.Float64).to_numpy()
        return np.where(text.is_null().to_numpy(), np.nan, churned)
    raise DataError(
        f"label '{label}' has values {sorted(map(str, seen))[:5]}; use a boolean "
        "or 0/1 column, or say which value means churn: positive='<value>'"
    )


def _kind(series: pl.Series, rows: int) -> tuple[str, str]:
    """('numeric' | 'text-numeric' | 'categorical' | 'drop', why) for one column."""
    dtype = series.dtype
    present = series.drop_nulls()
    distinct = present.n_unique()
    if dtype.is_temporal():
        return "drop", "date or time: derive e.g. tenure in days first"
    if distinct <= 1:
        return "drop", "one value only"
    if dtype == pl.Boolean:
        return "categorical", ""
    if dtype.is_numeric():
        unique_ints = dtype.is_integer() and distinct == rows and rows >= 20
        consecutive = unique_ints and int(present.max()) - int(present.min()) == rows - 1
        if unique_ints and (_ID_NAME.search(series.name) or consecutive):
            return "drop", "id-like: a unique number per row"
        return "numeric", ""
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        # an id named so first: numbers written as text ("13085.0") are ids too
        if _ID_NAME.search(series.name) and distinct >= 0.5 * rows:
            return "drop", "id-like name with mostly distinct values"
        text = present.cast(pl.String).str.strip_chars()
        filled = text.filter(text != "")
        parsed = filled.cast(pl.Float64, strict=False)
        if filled.len() and parsed.null_count() <= 0.05 * filled.len():
            return "text-numeric", ""  # e.g. TotalCharges, distinct on almost every row
        if rows >= 20 and distinct >= 0.95 * rows:
            return "drop", "id-like or free text: almost every row differs"
        return "categorical", ""
    return "drop", f"unsupported type {dtype}"


def prepare(
    frame: Any,
    *,
    label: str,
    positive: Any = None,
) -> tuple[Encoding, np.ndarray, np.ndarray, pl.DataFrame]:
    """Encoding, X, y (0/1) and the kept rows of a customer table with a label column."""
    table = to_polars(frame)
    y = label_vector(table, label, positive)
    keep = ~np.isnan(y)
    dropped: dict[str, str] = {}
    if not keep.all():
        dropped[label] = f"{int((~keep).sum())} rows without a label left out"
    table = table.filter(pl.Series(keep))
    encoding = fit_encoding(table.drop(label), dropped)
    return encoding, encoding.matrix(table), y[keep].astype(int), table


def fit_encoding(table: pl.DataFrame, dropped: dict[str, str] | None = None) -> Encoding:
    """Decide each column's treatment from the data (see the module docstring)."""
    dropped = dict(dropped or {})
    columns, categorical, numeric_text = [], [], []
    categories: dict[str, tuple[str, ...]] = {}
    for name in table.columns:
        if name == CUSTOMER:  # who a customer is never predicts whether they leave
            dropped[name] = "the customer id"
            continue
        kind, why = _kind(table.get_column(name), table.height)
        if kind == "drop":
            dropped[name] = why
            continue
        columns.append(name)
        categorical.append(kind == "categorical")
        if kind == "text-numeric":
            numeric_text.append(name)
        if kind == "categorical":
            counts = (
                table.get_column(name)
                .cast(pl.String)
                .drop_nulls()
                .value_counts()
                .sort(["count", name], descending=[True, False])
            )
            # rare values cannot be learned: pool them (fewer than 10 rows, or 1 % of
            # small tables), and keep at most MAX_CATEGORIES codes in all
            rare = min(10, max(2, table.height // 100))
            labels = counts.filter(pl.col("count") >= rare).get_column(name).to_list()
            if len(labels) >= MAX_CATEGORIES:
                labels = labels[: MAX_CATEGORIES - 1]
            if len(labels) < counts.height:
                labels.append(OTHER)
            categories[name] = tuple(labels)
    if not columns:
        raise DataError(
            "no usable feature columns: every column was dropped "
            f"({'; '.join(f'{c}: {w}' for c, w in dropped.items())})"
        )
    return Encoding(tuple(columns), tuple(categorical), categories, tuple(numeric_text), dropped)


def logistic_model(encoding: Encoding, *, C: float = 1.0, random_state: int = 0) -> Any:
    """L2-regularized logistic regression with imputation, scaling and one-hot encoding."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [i for i, c in enumerate(encoding.categorical) if not c]
    cats = [i for i, c in enumerate(encoding.categorical) if c]
    parts = []
    if numeric:
        parts.append(
            (
                "numeric",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                    StandardScaler(),
                ),
                numeric,
            )
        )
    if cats:
        parts.append(
            (
                "categories",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value=-1.0),
                    OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5),
                ),
                cats,
            )
        )
    return make_pipeline(
        ColumnTransformer(parts), LogisticRegression(C=C, max_iter=5000, random_state=random_state)
    )


def boosting_model(encoding: Encoding, *, max_iter: int = 150, random_state: int = 0) -> Any:
    """Histogram gradient boosting; categories and missing values handled natively.

    Shallow trees (depth 3), a small learning rate (0.05), ``max_iter`` rounds, L2 1.0: on
    tables of 1,500-7,000 customers this beat scikit-learn's defaults and early stopping by
    0.005-0.02 ROC AUC in our checks (see benchmarks/churn_evaluate.py), and cannot stop on
    a noisy validation split.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    mask = np.array(encoding.categorical)
    return HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=max_iter,
        max_depth=3,
        min_samples_leaf=20,
        l2_regularization=1.0,
        early_stopping=False,
        categorical_features=mask if mask.any() else None,
        random_state=random_state,
    )


MODELS: dict[str, Callable[..., Any]] = {"logistic": logistic_model, "boosting": boosting_model}


@dataclass
class CrossValidated:
    """Out-of-fold predictions and per-fold scores of each model."""

    encoding: Encoding
    X: np.ndarray
    y: np.ndarray
    folds: int
    fold_scores: pl.DataFrame  # model, fold, roc_auc, pr_auc, brier
    predictions: dict[str, np.ndarray]  # model -> out-of-fold churn probability
    fold_models: dict[str, list[tuple[Any, np.ndarray]]]  # model -> [(fitted, test rows)]


def cross_validate(
    encoding: Encoding,
    X: np.ndarray,
    y: np.ndarray,
    *,
    models: dict[str, Any],
    folds: int,
    random_state: int,
) -> CrossValidated:
    """Stratified k-fold CV of each model factory (shuffled, fixed seed)."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    smallest = int(min(y.sum(), len(y) - y.sum()))
    if smallest < 2:
        raise DataError(
            f"the label needs at least 2 churned and 2 retained customers for "
            f"cross-validation; found {int(y.sum())} churned of {len(y)}"
        )
    folds = min(folds, smallest)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    predictions = {name: np.full(len(y), np.nan) for name in models}
    fitted: dict[str, list[tuple[Any, np.ndarray]]] = {name: [] for name in models}
    rows = []
    fits = [  # folds x models, in the order they always ran
        (fold, train, test, name, make)
        for fold, (train, test) in enumerate(splitter.split(X, y), start=1)
        for name, make in models.items()
    ]
    for fold, train, test, name, make in progress(fits, desc="cross-validation", unit="fit"):
        with one_thread():
            model = make().fit(X[train], y[train])
            score = model.predict_proba(X[test])[:, 1]
        predictions[name][test] = score
        fitted[name].append((model, test))
        rows.append(
            (
                name,
                fold,
                roc_auc_score(y[test], score),
                average_precision_score(y[test], score),
                brier_score_loss(y[test], score),
            )
        )
    scores = pl.DataFrame(
        rows, schema=["model", "fold", "roc_auc", "pr_auc", "brier"], orient="row"
    )
    return CrossValidated(encoding, X, y, folds, scores, predictions, fitted)


def summary(cv: CrossValidated) -> pl.DataFrame:
    """One row per model: mean and sd over folds of ROC AUC, PR AUC and Brier score."""
    out = cv.fold_scores.group_by("model", maintain_order=True).agg(
        pl.col("roc_auc").mean(),
        pl.col("roc_auc").std().alias("roc_auc_std"),
        pl.col("pr_auc").mean(),
        pl.col("brier").mean(),
        pl.col("pr_auc").std().alias("pr_auc_std"),
        pl.col("brier").std().alias("brier_std"),
    )
    return out.with_columns(
        pl.lit(cv.folds).alias("folds"),
        pl.lit(len(cv.y)).alias("n"),
        pl.lit(float(cv.y.mean())).alias("positive_rate"),
        pl.lit(len(cv.encoding.columns)).alias("features"),
        pl.lit(cv.encoding.note()).alias("dropped"),
    )
