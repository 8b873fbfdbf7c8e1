"""Key drivers: which attributes move a score, by Johnson's (2000) relative weights.

Relative weights split the R² of a linear regression of the score on the attributes into one
share per attribute, even when the attributes are correlated (late deliveries bring support
contacts): the attributes are replaced by their closest orthogonal counterparts Z (the
symmetric square root of their correlation matrix, Λ = V √D Vᵀ), the score is regressed on Z
(β = Λ⁻¹ r_xy), and attribute j gets ε_j = Σ_k Λ_jk² β_k². The weights add up to R².
Johnson, J. W. (2000), *A heuristic method for estimating the relative weight of predictor
variables in multiple regression*, Multivariate Behavioral Research 35(1), 1–19; the same
computation as the R package ``rwa`` (Tonidandel & LeBreton 2015), whose documented mtcars
result our tests reproduce. Relative weights approximate the Shapley decomposition of R²
(Lindeman, Merenda & Gold's LMG) closely at a cost of one eigen-decomposition instead of
2^p regressions, which is what makes a bootstrap of a few hundred resamples cheap.

Written here (a few lines of numpy) because no maintained Python package among our
dependencies computes relative weights; scikit-learn and statsmodels do not.

A categorical attribute (channel, stage) enters as indicator columns for its levels but the
most frequent one; its weight is the sum of theirs. Direction comes from the ordinary
least-squares coefficient of a numeric attribute (score change per unit, with all other
attributes held fixed); intervals are bootstrap percentile intervals over answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from cxlib._engine import lazy, require, to_polars
from cxlib._errors import DataError
from cxlib._progress import progress


def _weights(corr: np.ndarray) -> np.ndarray:
    """Raw relative weights from the correlation matrix of [attributes..., score]."""
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    values, vectors = np.linalg.eigh(rxx)
    values = np.clip(values, 0.0, None)
    lam = vectors @ np.diag(np.sqrt(values)) @ vectors.T  # Λ: correlations of X with Z
    beta = np.linalg.lstsq(lam, rxy, rcond=None)[0]  # score on the orthogonal Z
    return (lam**2) @ (beta**2)


def relative_weights(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson's raw relative weights of the columns of ``x`` for ``y``, and the model R².

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 2))
    >>> y = 2 * x[:, 0] + x[:, 1] + rng.normal(size=200)
    >>> weights, r2 = relative_weights(x, y)
    >>> bool(abs(weights.sum() - r2) < 1e-12 and weights[0] > weights[1])
    True
    """
    weights = _weights(np.corrcoef(np.column_stack([x, y]), rowvar=False))
    return weights, float(weights.sum())


def _design(frame: pl.DataFrame, attributes: list[str]) -> tuple[np.ndarray, list[int], list]:
    """Numeric design matrix, the attribute index of each column, and kinds."""
    columns, owner, kinds = [], [], []
    for index, name in enumerate(attributes):
        series = frame.get_column(name)
        if series.dtype.is_numeric() or series.dtype == pl.Boolean:
            values = series.cast(pl.Float64).to_numpy()
            if np.nanstd(values) == 0:
                raise DataError(
                    f"attribute {name!r} has a single value in these answers; "
                    "leave it out of attributes="
                )
            columns.append(values)
            owner.append(index)
            kinds.append("numeric")
            continue
        levels = series.cast(pl.String).value_counts(sort=True, name="__n")
        if levels.height < 2:
            raise DataError(
                f"attribute {name!r} has a single value in these answers; "
                "leave it out of attributes="
            )
        for level in levels.get_column(name).to_list()[1:]:  # most frequent is the reference
            columns.append((series.cast(pl.String) == level).cast(pl.Float64).to_numpy())
            owner.append(index)
        kinds.append("categorical")
    return np.column_stack(columns), owner, kinds


def _fit(
    x: np.ndarray, y: np.ndarray, owner: np.ndarray, n_attributes: int
) -> tuple[np.ndarray, float, np.ndarray]:
    """Weights per attribute, R², and OLS slopes per design column (from the correlations:
    b_j = β_j · sd_y / sd_j with β = R_xx⁻¹ r_xy, far cheaper than a least-squares solve on
    the rows, which matters inside the bootstrap)."""
    data = np.column_stack([x, y])
    corr = np.corrcoef(data, rowvar=False)
    weights = _weights(corr)
    grouped = np.bincount(owner, weights=weights, minlength=n_attributes)
    standardized = np.linalg.lstsq(corr[:-1, :-1], corr[:-1, -1], rcond=None)[0]
    spread = data.std(axis=0)
    return grouped, float(weights.sum()), standardized * spread[-1] / spread[:-1]


def key_drivers(
    frame: Any,
    *,
    target: str = "score",
    attributes: Sequence[str] | None = None,
    n_boot: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Relative importance of attributes for a score, with direction and bootstrap intervals.

    Parameters
    ----------
    frame : frame
        One row per answer: the score and the attributes (numeric, boolean or categorical).
        Rows with a missing value are left out.
    target : str
        The score column.
    attributes : list of str, optional
        Attribute columns; default every other column.
    n_boot : int
        Bootstrap resamples of answers for the intervals (fixed ``seed``: reproducible).
    confidence : float
        Interval level.

    Returns
    -------
    polars.DataFrame
        One row per attribute, most important first: ``attribute, kind, weight, weight_low,
        weight_high`` (share of the score's variance it explains; the weights add up to
        ``r_squared``), ``share`` (of the explained variance), ``direction`` (``higher`` /
        ``lower``: the score rises / falls as a numeric attribute rises; ``by level`` for
        categorical ones), ``coefficient, coefficient_low, coefficient_high`` (score change
        per unit, other attributes fixed), ``responses, r_squared``.

    Examples
    --------
    >>> import polars as pl
    >>> answers = pl.DataFrame({"score": [9, 8, 3, 10, 2, 7, 9, 4],
    ...                         "late_days": [0, 1, 6, 0, 7, 2, 0, 5],
    ...                         "channel": ["app", "web"] * 4})
    >>> key_drivers(answers, n_boot=50)["attribute"].to_list()
    ['late_days', 'channel']
    """
    data = lazy(frame)
    names = data.collect_schema().names()
    attributes = [c for c in names if c != target] if attributes is None else list(attributes)
    require(data, [target, *attributes], what="surveys")
    if not attributes:
        raise DataError("key_drivers needs at least one attribute column besides the score")
    table = to_polars(data.select(target, *attributes)).drop_nulls()
    if table.height < len(attributes) + 3:
        raise DataError(
            f"key_drivers: {table.height} complete answers are too few for "
            f"{len(attributes)} attributes"
        )
    x, owner_list, kinds = _design(table, attributes)
    owner = np.asarray(owner_list)
    y = table.get_column(target).cast(pl.Float64).to_numpy()
    weights, r2, coefficients = _fit(x, y, owner, len(attributes))
    rng = np.random.default_rng(seed)
    boot_w, boot_s, boot_c = [], [], []
    with np.errstate(invalid="ignore", divide="ignore"):
        resamples = progress(range(n_boot), desc="key drivers bootstrap", unit="resample")
        for _ in resamples:  # resamples, not rows: n_boot small fits
            pick = rng.integers(0, len(y), len(y))
            xs, ys = x[pick], y[pick]
            if np.any(xs.std(axis=0) == 0) or ys.std() == 0:
                continue  # a resample without some level: skip it (rare)
            w, r, c = _fit(xs, ys, owner, len(attributes))
            boot_w.append(w)
            boot_s.append(w / r if r > 0 else np.full_like(w, np.nan))
            boot_c.append(c)
    tail = 100 * (1 - confidence) / 2

    def bounds(draws: list[np.ndarray], width: int) -> tuple[np.ndarray, np.ndarray]:
        if not draws:
            return np.full(width, np.nan), np.full(width, np.nan)
        stacked = np.vstack(draws)
        return (
            np.nanpercentile(stacked, tail, axis=0),
            np.nanpercentile(stacked, 100 - tail, axis=0),
        )

    w_low, w_high = bounds(boot_w, len(attributes))
    s_low, s_high = bounds(boot_s, len(attributes))
    c_low, c_high = bounds(boot_c, x.shape[1])
    # a numeric attribute has one design column: its coefficient gives the direction
    numeric_col = {i: j for j, i in enumerate(owner_list) if kinds[i] == "numeric"}

    def per_attribute(values: np.ndarray) -> list[float | None]:
        return [
            float(values[numeric_col[i]]) if i in numeric_col else None
            for i in range(len(attributes))
        ]

    coefficient = per_attribute(coefficients)
    result = pl.DataFrame(
        {
            "attribute": attributes,
            "kind": kinds,
            "weight": weights,
            "weight_low": w_low,
            "weight_high": w_high,
            "share": weights / r2 if r2 > 0 else np.full(len(attributes), np.nan),
            "share_low": s_low,
            "share_high": s_high,
            "direction": [
                None if c is None else ("higher" if c > 0 else "lower") for c in coefficient
            ],
            "coefficient": coefficient,
            "coefficient_low": per_attribute(c_low),
            "coefficient_high": per_attribute(c_high),
        },
        nan_to_null=True,
        strict=False,
    ).with_columns(
        pl.col("direction").fill_null("by level"),
        pl.lit(table.height, dtype=pl.Int64).alias("responses"),
        pl.lit(r2).alias("r_squared"),
    )
    return result.sort("weight", descending=True)
