"""Fitting BG/NBD and Gamma-Gamma, discounted CLV, value tiers and the holdout check: the
functions of :mod:`cxlib.value` (see the package docstring for the recipe)."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import lazy, like_input, require, to_polars
from cxlib._errors import DataError
from cxlib.value import _bgnbd, _gamma_gamma
from cxlib.value._bgnbd import BGNBD, columns_as_arrays
from cxlib.value._gamma_gamma import GammaGamma

RFM = ["frequency", "recency", "T"]


def fit_bgnbd(summary: Any, *, confidence: float = 0.95) -> BGNBD:
    """Fit the BG/NBD model of repeat buying by maximum likelihood.

    Parameters
    ----------
    summary : frame
        ``frequency`` (repeat purchases), ``recency`` and ``T`` in one time unit, one row per
        customer (:func:`rfm_summary`).
    confidence : float
        Level of the parameter intervals in ``m.summary``.

    Returns
    -------
    BGNBD
        ``m.r, m.alpha, m.a, m.b, m.log_likelihood``, ``m.summary`` (parameter, estimate,
        std_error, ci_low, ci_high; standard errors from the Hessian of the log-likelihood,
        NaN for a parameter the data do not pin down), ``m.mean_purchase_rate`` (r/α),
        ``m.mean_dropout`` (a/(a+b)), and ``m.expected_purchases(t, frequency, recency, T)``,
        ``m.p_alive(frequency, recency, T)``, ``m.expected_purchases_new(t)``,
        ``m.probability_of_purchases(n, t)``.

    Notes
    -----
    Very large ``a`` and ``b`` with NaN standard errors mean that the chance to drop out
    after a purchase is about the same for every customer (``m.mean_dropout``); forecasts are
    still fine (the sample data behaves this way).

    Examples
    --------
    >>> import cxlib as cx
    >>> summary = cx.value.rfm_summary(cx.load("data/sample").touchpoints)
    >>> m = fit_bgnbd(summary)
    >>> m.converged, round(m.r, 2)
    (True, 2.18)
    """
    arrays = columns_as_arrays(summary, RFM, what="summary")
    return _bgnbd.fit(arrays["frequency"], arrays["recency"], arrays["T"], confidence=confidence)


def fit_gamma_gamma(summary: Any, *, confidence: float = 0.95) -> GammaGamma:
    """Fit the Gamma-Gamma model of spend per transaction on the repeat buyers.

    Parameters
    ----------
    summary : frame
        ``frequency`` and ``monetary_value`` (mean spend of the repeat purchases), one row per
        customer (:func:`rfm_summary`); customers with ``frequency == 0`` are left out.
    confidence : float
        Level of the parameter intervals in ``g.summary``.

    Returns
    -------
    GammaGamma
        ``g.p, g.q, g.gamma, g.log_likelihood, g.summary``, ``g.mean_spend`` (expected spend
        per purchase of an unknown customer) and ``g.expected_spend(frequency,
        monetary_value)`` (per customer, shrunk towards the mean for rare buyers).

    Examples
    --------
    >>> import cxlib as cx
    >>> summary = cx.value.rfm_summary(cx.load("data/sample").touchpoints)
    >>> spend = fit_gamma_gamma(summary)
    >>> round(spend.mean_spend)
    55
    """
    arrays = columns_as_arrays(summary, ["frequency", "monetary_value"], what="summary")
    return _gamma_gamma.fit(arrays["frequency"], arrays["monetary_value"], confidence=confidence)


def customer_value(
    summary: Any,
    transactions_model: BGNBD,
    spend_model: GammaGamma,
    *,
    horizon: float = 52.0,
    periods: int = 12,
    discount_rate: float = 0.01,
) -> Any:
    """Discounted customer lifetime value over a horizon, per customer.

    CLV = Σᵢ E[purchases in period i] · E[spend per purchase] / (1 + d)ⁱ over ``periods``
    equal periods of the ``horizon``, with the BG/NBD conditional expectations and the
    Gamma-Gamma expected spend.

    Parameters
    ----------
    summary : frame
        :func:`rfm_summary` output (``frequency, recency, T, monetary_value``).
    transactions_model, spend_model
        Fitted :func:`fit_bgnbd` and :func:`fit_gamma_gamma` models.
    horizon : float
        How far ahead, in the summary's time unit (52 weeks by default).
    periods : int
        Discounting periods in the horizon (12: monthly over a year).
    discount_rate : float
        Discount rate per period (0.01 a month is about 12.7% a year).

    Returns
    -------
    frame
        Same library as ``summary``, one row per customer, highest value first:
        ``customer_id`` (if present), ``frequency, recency, T, monetary_value, p_alive,
        expected_purchases`` (over the horizon), ``expected_spend`` (per purchase), ``clv``.

    Examples
    --------
    >>> import cxlib as cx
    >>> summary = cx.value.rfm_summary(cx.load("data/sample").touchpoints)
    >>> values = customer_value(summary, fit_bgnbd(summary), fit_gamma_gamma(summary))
    >>> values.height == summary.height and values["clv"].is_sorted(descending=True)
    True
    """
    if periods < 1 or horizon <= 0 or discount_rate <= -1:
        raise DataError("customer_value: need periods >= 1, horizon > 0, discount_rate > -1")
    frame = lazy(summary)
    require(frame, [*RFM, "monetary_value"], what="summary")
    names = frame.collect_schema().names()
    keep = [c for c in ["customer_id", *RFM, "monetary_value"] if c in names]
    data = to_polars(frame.select(*keep))
    x, t_x, big_t = (data.get_column(c).cast(pl.Float64).to_numpy() for c in RFM)
    zbar = data.get_column("monetary_value").cast(pl.Float64).fill_null(np.nan).to_numpy()
    edges = horizon * np.arange(periods + 1) / periods
    cumulative = np.stack(
        [
            transactions_model.expected_purchases(edge, x, t_x, big_t)
            if edge > 0
            else np.zeros_like(x)
            for edge in edges
        ]
    )
    per_period = np.diff(cumulative, axis=0)
    discount = (1 + discount_rate) ** -np.arange(1, periods + 1)
    spend = spend_model.expected_spend(x, zbar)
    out = data.with_columns(
        pl.Series("p_alive", transactions_model.p_alive(x, t_x, big_t)),
        pl.Series("expected_purchases", cumulative[-1]),
        pl.Series("expected_spend", spend),
        pl.Series("clv", spend * (discount @ per_period)),
    ).sort("clv", descending=True)
    return like_input(out, summary)


def value_tiers(values: Any, *, cuts: tuple[float, ...] = (0.1, 0.3, 0.6)) -> Any:
    """Customers grouped into value tiers (top 10%, next 20%, ...) with their share of value.

    Parameters
    ----------
    values : frame
        :func:`customer_value` output (``clv``, ``p_alive``, ``expected_purchases``,
        ``expected_spend``).
    cuts : tuple of float
        Cumulative shares of customers, ranked by CLV, that end each tier; the last tier
        takes the rest.

    Returns
    -------
    frame
        ``tier`` ("top 10%", "next 20%", ..., "bottom 40%"), ``customers``, ``clv`` (total),
        ``share_of_clv``, ``mean_clv``, ``mean_p_alive``, ``mean_expected_purchases``,
        ``mean_expected_spend``.

    Examples
    --------
    >>> import polars as pl
    >>> values = pl.DataFrame({"clv": [50.0, 30.0, 10.0, 10.0], "p_alive": [0.9] * 4,
    ...                        "expected_purchases": [1.0] * 4, "expected_spend": [9.0] * 4})
    >>> value_tiers(values, cuts=(0.25,)).select("tier", "customers", "share_of_clv").rows()
    [('top 25%', 1, 0.5), ('bottom 75%', 3, 0.5)]
    """
    bounds = [0.0, *cuts, 1.0]
    if any(b >= c for b, c in zip(bounds, bounds[1:], strict=False)):
        raise DataError(f"cuts={cuts}: use increasing shares between 0 and 1, e.g. (0.1, 0.3)")
    data = to_polars(
        lazy(values).select("clv", "p_alive", "expected_purchases", "expected_spend")
    ).sort("clv", descending=True)
    n = data.height
    labels = [i18n.t("top {share}", share=i18n.percent(cuts[0], 0))] + [
        i18n.t("next {share}", share=i18n.percent(c - b, 0))
        for b, c in zip(cuts, cuts[1:], strict=False)
    ]  # in the report's language (cxlib.i18n)
    labels.append(i18n.t("bottom {share}", share=i18n.percent(1 - cuts[-1], 0)))
    rank = (pl.int_range(pl.len()) + 1) / max(n, 1)
    tier = pl.lit(len(cuts), dtype=pl.Int64)
    for i, cut in reversed(list(enumerate(cuts))):
        tier = pl.when(rank <= cut + 1e-12).then(pl.lit(i, dtype=pl.Int64)).otherwise(tier)
    total = data.get_column("clv").sum()
    out = (
        data.with_columns(tier.alias("__tier"))
        .group_by("__tier")
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("clv").sum(),
            pl.col("clv").mean().alias("mean_clv"),
            pl.col("p_alive").mean().alias("mean_p_alive"),
            pl.col("expected_purchases").mean().alias("mean_expected_purchases"),
            pl.col("expected_spend").mean().alias("mean_expected_spend"),
        )
        .join(
            pl.DataFrame(
                {"__tier": range(len(labels)), "tier": labels},
                schema={"__tier": pl.Int64, "tier": pl.String},
            ),
            on="__tier",
        )
        .sort("__tier")
        .with_columns(
            (pl.col("clv") / total if total else pl.lit(None, dtype=pl.Float64)).alias(
                "share_of_clv"
            ),
        )
    )
    out = out.select(
        "tier",
        "customers",
        "clv",
        "share_of_clv",
        "mean_clv",
        "mean_p_alive",
        "mean_expected_purchases",
        "mean_expected_spend",
    )
    return like_input(out, values)


def holdout_comparison(summary: Any, transactions_model: BGNBD, *, cap: int = 7) -> Any:
    """Predicted vs actual holdout purchases by calibration frequency (FHL 2005, Figure 4).

    Parameters
    ----------
    summary : frame
        :func:`rfm_summary` with ``holdout_end`` (``frequency_holdout``, ``duration_holdout``).
    transactions_model : BGNBD
        Fitted on the calibration columns of the same summary.
    cap : int
        Customers with ``cap`` or more calibration repeat purchases are pooled ("7+").

    Returns
    -------
    frame
        ``frequency`` (label "0", "1", ..., "7+"), ``customers``, ``actual`` and
        ``predicted`` (mean holdout repeat purchases per customer), ``actual_total``,
        ``predicted_total``; plus a final "all" row.

    Examples
    --------
    >>> import cxlib as cx
    >>> summary = cx.value.rfm_summary(cx.load("data/sample").touchpoints, holdout="13w")
    >>> table = holdout_comparison(summary, fit_bgnbd(summary))
    >>> table.get_column("frequency").to_list()[-2:]
    ['7+', 'all']
    """
    frame = lazy(summary)
    require(frame, [*RFM, "frequency_holdout", "duration_holdout"], what="summary")
    data = to_polars(frame.select(*RFM, "frequency_holdout", "duration_holdout"))
    x, t_x, big_t, duration = (
        data.get_column(c).cast(pl.Float64).to_numpy() for c in [*RFM, "duration_holdout"]
    )
    data = data.with_columns(
        pl.Series("__pred", transactions_model.expected_purchases(duration, x, t_x, big_t)),
        pl.col("frequency").clip(0, cap).alias("__group"),
    )
    aggregations = [
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("frequency_holdout").mean().alias("actual"),
        pl.col("__pred").mean().alias("predicted"),
        pl.col("frequency_holdout").sum().cast(pl.Float64).alias("actual_total"),
        pl.col("__pred").sum().alias("predicted_total"),
    ]
    groups = (
        data.group_by("__group")
        .agg(aggregations)
        .sort("__group")
        .with_columns(
            pl.when(pl.col("__group") == cap)
            .then(pl.format("{}+", pl.col("__group")))
            .otherwise(pl.col("__group").cast(pl.String))
            .alias("frequency")
        )
    )
    overall = data.select(aggregations).with_columns(pl.lit("all").alias("frequency"))
    columns = ["frequency", "customers", "actual", "predicted", "actual_total", "predicted_total"]
    out = pl.concat([groups.select(columns), overall.select(columns)])
    return like_input(out, summary)
