"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV";
Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value"), fitted by maximum likelihood.

Written here for the same reasons as :mod:`cxlib.value._bgnbd` (``lifetimes`` unmaintained, ``btyd``
does not install, ``pymc-marketing`` too heavy), and tested against the published CDNOW
estimates.

Story: a customer's transaction values are Gamma(p, ν) around their own mean p/ν; ν varies
across customers as Gamma(q, γ). What we observe per repeat buyer is ``x`` (repeat
transactions) and ``z̄`` (their mean value); spend is assumed independent of frequency (check
it: the correlation of frequency and monetary value should be near zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy.special import digamma, gammaln

from cxlib._errors import DataError
from cxlib.value._bgnbd import fit_positive, parameter_table

ArrayLike = float | Sequence[float] | np.ndarray | pl.Series


def gamma_gamma_log_likelihood(params: np.ndarray, x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood of the mean spend ``zbar`` over ``x`` transactions.

    f(z̄ | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q · x^(px) · z̄^(px−1) / (γ + x z̄)^(px+q).
    """
    p, q, gamma = params
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + px * np.log(x)
        + (px - 1) * np.log(zbar)
        - (px + q) * np.log(gamma + x * zbar)
    )


def gamma_gamma_gradient(params: np.ndarray, x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
    """Per-customer gradient of :func:`gamma_gamma_log_likelihood` in (p, q, γ), shape (n, 3)."""
    p, q, gamma = params
    px = p * x
    spread = np.log(gamma + x * zbar)
    d_p = x * (digamma(px + q) - digamma(px) + np.log(x) + np.log(zbar) - spread)
    d_q = digamma(px + q) - digamma(q) + np.log(gamma) - spread
    d_gamma = q / gamma - (px + q) / (gamma + x * zbar)
    return np.column_stack([d_p, d_q, d_gamma])


@dataclass(frozen=True)
class GammaGamma:
    """A fitted Gamma-Gamma spend model.

    Attributes
    ----------
    p, q, gamma : float
        Shape of spend around a customer's mean, and the Gamma(q, γ) heterogeneity of the
        customers' rate parameter.
    log_likelihood : float
    n_customers : int
        Repeat buyers in the fit.
    summary : polars.DataFrame
        ``parameter, estimate, std_error, ci_low, ci_high``.
    converged : bool
    """

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n_customers: int
    summary: pl.DataFrame = field(repr=False)
    converged: bool = True

    @property
    def mean_spend(self) -> float:
        """Expected spend per transaction of a customer we know nothing about: pγ/(q−1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")

    def expected_spend(self, frequency: ArrayLike, monetary_value: ArrayLike) -> np.ndarray:
        """Expected spend per transaction given a customer's repeat purchases and their mean.

        E(M | x, z̄) = (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · z̄: a weighted average of the
        population mean and the customer's own mean, trusting the latter more the more often
        they bought. Customers with no repeat purchase get the population mean.
        """
        x = np.asarray(frequency, dtype=float)
        zbar = np.nan_to_num(np.asarray(monetary_value, dtype=float))
        px = self.p * x
        weight = px / (px + self.q - 1)
        return (1 - weight) * self.mean_spend + weight * zbar


def fit(
    frequency: np.ndarray, monetary_value: np.ndarray, *, confidence: float = 0.95
) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma fit on repeat buyers (see
    :func:`cxlib.value.fit_gamma_gamma`)."""
    keep = (frequency > 0) & np.isfinite(monetary_value)
    if (monetary_value[keep] <= 0).any():
        bad = int((monetary_value[keep] <= 0).sum())
        raise DataError(
            f"summary: {bad} repeat buyers have monetary_value <= 0; the Gamma-Gamma model needs "
            "positive spend (drop refunds or zero-value orders before rfm_summary)"
        )
    x, zbar = frequency[keep], monetary_value[keep]
    if len(x) < 10:
        raise DataError(
            f"summary: only {len(x)} customers with a repeat purchase; the Gamma-Gamma model "
            "needs at least 10"
        )

    def negative_ll(params: np.ndarray) -> float:
        value = -gamma_gamma_log_likelihood(params, x, zbar).sum()
        return float(value) if np.isfinite(value) else 1e300

    def gradient(params: np.ndarray) -> np.ndarray:
        return -gamma_gamma_gradient(params, x, zbar).sum(axis=0)

    estimates, ll, errors, converged = fit_positive(
        negative_ll, gradient, np.array([1.0, 1.0, float(np.mean(zbar))]), len(x)
    )
    table = parameter_table(["p", "q", "gamma"], estimates, errors, confidence)
    p, q, gamma = (float(v) for v in estimates)
    return GammaGamma(
        p=p,
        q=q,
        gamma=gamma,
        log_likelihood=ll,
        n_customers=len(x),
        summary=table,
        converged=converged,
    )
