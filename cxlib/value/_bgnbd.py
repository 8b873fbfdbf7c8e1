"""The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005), fitted by maximum likelihood.

Why written here: ``lifetimes`` (the usual Python implementation) has been unmaintained
since 2020 and breaks on current pandas/scipy; ``btyd`` (its successor, a 2022 beta) does
not install; ``pymc-marketing`` fits these models but pulls in PyMC/PyTensor, far too heavy
for a workbench dependency. The model is four parameters and closed-form expressions, so we
implement the published formulas with scipy and test them against the paper's CDNOW results
(``tests/value/test_value.py``).

Story: while alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after
each purchase they drop out with probability p ~ Beta(a, b). Data per customer:
``frequency`` x (repeat purchases), ``recency`` t_x (time of the last one, from the first
purchase) and ``T`` (time observed since the first purchase), all in one time unit.

The shared maximum-likelihood helpers (numerical Hessian, parameter table) live here too and
are reused by :mod:`cxlib.value._gamma_gamma`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

from cxlib._engine import lazy, require, to_polars
from cxlib._errors import DataError
from cxlib._stats import z_value

ArrayLike = float | Sequence[float] | np.ndarray | pl.Series
LOG_BOUND = 16.0  # parameters are kept within exp(±16), about 1e-7 to 9e6


def columns_as_arrays(summary: Any, columns: list[str], *, what: str) -> dict[str, np.ndarray]:
    """Columns of any supported frame as float64 numpy arrays (the frame is small)."""
    frame = lazy(summary)
    require(frame, columns, what=what)
    collected = to_polars(frame.select(*columns))
    return {c: collected.get_column(c).cast(pl.Float64).to_numpy() for c in columns}


def jacobian_of(gradient: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Hessian as the central-difference Jacobian of an analytic gradient (symmetrized).

    Differencing the gradient is far more accurate than differencing the function twice:
    the log-likelihoods here cancel large log-gamma terms, whose rounding noise a second
    difference of the function would amplify.
    """
    steps = 1e-5 * np.maximum(np.abs(x), 1.0)
    columns = []
    for j, step in enumerate(steps):
        shift = np.zeros_like(x)
        shift[j] = step
        columns.append((gradient(x + shift) - gradient(x - shift)) / (2 * step))
    out = np.column_stack(columns)
    return (out + out.T) / 2


def fit_positive(
    negative_ll: Callable[[np.ndarray], float],
    gradient: Callable[[np.ndarray], np.ndarray],
    start: np.ndarray,
    n: int,
) -> tuple[np.ndarray, float, np.ndarray, bool]:
    """Minimize a negative log-likelihood over positive parameters.

    L-BFGS-B on log-parameters with the analytic ``gradient`` (of the negative
    log-likelihood in the natural parameters); Nelder-Mead from there only if the score is
    not yet small. Standard errors: inverse Hessian on the log scale (the Jacobian of
    the gradient), mapped back by the delta method; NaN where the data do not identify a
    parameter (a flat direction of the likelihood). ``converged``: the largest score on the
    log scale is below 1e-4 per customer. Returns (estimates, log-likelihood, standard
    errors, converged).
    """

    def on_log(theta: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(theta)
        return negative_ll(params), gradient(params) * params

    # Bounded: when the data cannot pin a parameter down (e.g. BG/NBD a, b -> infinity, a
    # drop-out probability that does not vary across customers), the estimate stops before
    # overflowing (at most at the bound) and its standard error is NaN.
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)

    def small_score(theta: np.ndarray) -> bool:
        return bool(np.abs(on_log(theta)[1]).max() < 1e-4 * max(n, 1))

    best = minimize(
        on_log,
        np.log(start),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-14, "gtol": 1e-8, "maxiter": 5000},
    )
    # A line-search "failure" on a flat ridge (unidentified parameters) still ends at a
    # maximum; polish with Nelder-Mead only when the score says it did not.
    if not small_score(best.x):
        polished = minimize(
            lambda theta: on_log(theta)[0],
            best.x,
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": 1e-6, "fatol": 1e-8},
        )
        best = polished if polished.fun <= best.fun else best
    estimates = np.exp(best.x)
    with np.errstate(all="ignore"):
        curvature = jacobian_of(lambda theta: on_log(theta)[1], best.x)
        variance = np.diag(np.linalg.pinv(curvature))
        log_errors = np.sqrt(np.where(variance > 0, variance, np.nan))
    # more than a factor e^5 either way is not an estimate
    log_errors[~(log_errors < 5.0) | (np.abs(best.x) >= LOG_BOUND - 1e-6)] = np.nan
    converged = bool(np.isfinite(best.fun)) and small_score(best.x)
    return estimates, -float(best.fun), estimates * log_errors, converged


def parameter_table(
    names: list[str], estimates: np.ndarray, errors: np.ndarray, confidence: float = 0.95
) -> pl.DataFrame:
    """``parameter, estimate, std_error, ci_low, ci_high`` (Wald interval on the log scale,
    so that bounds stay positive: estimate · exp(± z · se / estimate); NaN when the
    standard error is)."""
    z = z_value(confidence)
    spread = np.exp(z * errors / estimates)
    return pl.DataFrame(
        {
            "parameter": names,
            "estimate": estimates,
            "std_error": errors,
            "ci_low": estimates / spread,
            "ci_high": estimates * spread,
        }
    )


def check_rfm(frequency: np.ndarray, recency: np.ndarray, t: np.ndarray) -> None:
    """Raise DataError unless 0 <= recency <= T, frequency a count, recency 0 when x = 0."""
    problems = {
        "frequency must be a whole number >= 0": (frequency < 0)
        | (frequency != np.round(frequency)),
        "recency must be between 0 and T": (recency < 0) | (recency > t + 1e-9),
        "T must be >= 0": t < 0,
        "recency must be 0 for customers with frequency 0": (frequency == 0) & (recency > 0),
        "values must not be null": np.isnan(frequency) | np.isnan(recency) | np.isnan(t),
    }
    for message, bad in problems.items():
        if bad.any():
            raise DataError(
                f"summary: {message} ({int(bad.sum())} customers, first at row "
                f"{int(np.argmax(bad))}); build it with cxlib.value.rfm_summary(transactions)"
            )


def bgnbd_log_likelihood(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (FHL 2005 eq. 6) in its numerically stable form.

    ln L = A1 + A2 + ln(exp(A3) + [x > 0] exp(A4)), computed with logaddexp, where
    A1 = lnΓ(r+x) − lnΓ(r) + r ln α, A2 = ln B(a, b+x) − ln B(a, b),
    A3 = −(r+x) ln(α+T), A4 = ln a − ln(b+x−1) − (r+x) ln(α+t_x).
    """
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + t)
    repeat = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            repeat,
            np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return a1 + a2 + np.logaddexp(a3, a4)


def bgnbd_gradient(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per-customer gradient of :func:`bgnbd_log_likelihood` in (r, α, a, b), shape (n, 4).

    d ln L = dA1 + dA2 + w3 dA3 + w4 dA4 with w3 = e^{A3} / (e^{A3} + [x > 0] e^{A4}),
    w4 = 1 − w3, from the terms' digamma and logarithmic derivatives.
    """
    r, alpha, a, b = params
    repeat = x > 0
    b_x1 = np.where(repeat, b + x - 1, 1.0)
    a3 = -(r + x) * np.log(alpha + t)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(repeat, np.log(a) - np.log(b_x1) - (r + x) * np.log(alpha + t_x), -np.inf)
    w4 = np.exp(a4 - np.logaddexp(a3, a4))
    w3 = 1 - w4
    d_r = (
        digamma(r + x)
        - digamma(r)
        + np.log(alpha)
        - w3 * np.log(alpha + t)
        - w4 * np.log(alpha + t_x)
    )
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + t) + w4 / (alpha + t_x))
    d_a = digamma(a + b) - digamma(a + b + x) + w4 / a
    d_b = (
        digamma(b + x)
        - digamma(b)
        + digamma(a + b)
        - digamma(a + b + x)
        - np.where(repeat, w4 / b_x1, 0.0)
    )
    return np.column_stack([d_r, d_alpha, d_a, d_b])


@dataclass(frozen=True)
class BGNBD:
    """A fitted BG/NBD model: parameters, fit, and predictions per customer.

    Attributes
    ----------
    r, alpha : float
        Gamma heterogeneity of the purchase rate while alive (shape, scale in time units).
    a, b : float
        Beta heterogeneity of the drop-out probability after each purchase.
    log_likelihood : float
        Maximized log-likelihood of the calibration data.
    n_customers : int
        Customers in the fit.
    summary : polars.DataFrame
        ``parameter, estimate, std_error, ci_low, ci_high``.
    converged : bool
        Whether the optimizer reported convergence.
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    summary: pl.DataFrame = field(repr=False)
    converged: bool = True

    @property
    def params(self) -> np.ndarray:
        """``[r, alpha, a, b]``."""
        return np.array([self.r, self.alpha, self.a, self.b])

    @property
    def mean_purchase_rate(self) -> float:
        """Average purchase rate of an active customer, per time unit: r/α."""
        return self.r / self.alpha

    @property
    def mean_dropout(self) -> float:
        """Average chance of dropping out after a purchase: a/(a+b)."""
        return self.a / (self.a + self.b)

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:  # noqa: N803 - the model's own name
        """Expected repeat purchases in the next ``t`` time units, given a customer's history.

        FHL 2005 eq. 10: E[Y(t) | x, t_x, T] =
        (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
        / (1 + [x > 0] · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
        """
        r, alpha, a, b = self.params
        t, x, t_x, big_t = (np.asarray(v, dtype=float) for v in (t, frequency, recency, T))
        z = t / (alpha + big_t + t)
        ratio = (alpha + big_t) / (alpha + big_t + t)
        term = 1 - ratio ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
        return (a + b + x - 1) / (a - 1) * term * self.p_alive(x, t_x, big_t)

    def p_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:  # noqa: N803 - the model's own name
        """Probability that a customer with this history is still alive (still buying).

        P(alive | x, t_x, T) = 1 / (1 + [x > 0] · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x));
        1 for customers who never bought again (the model lets drop-out happen only right
        after a purchase).
        """
        r, alpha, a, b = self.params
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = np.where(
                x > 0,
                a
                / np.where(x > 0, b + x - 1, 1.0)
                * np.exp((r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))),
                0.0,
            )
        return 1.0 / (1.0 + odds)

    def expected_purchases_new(self, t: ArrayLike) -> np.ndarray:
        """Expected repeat purchases in (0, t] of a new customer (no history), FHL eq. 9."""
        r, alpha, a, b = self.params
        t = np.asarray(t, dtype=float)
        term = (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return (a + b - 1) / (a - 1) * (1 - term)

    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> np.ndarray:
        """P(X(t) = n): probability of exactly ``n`` repeat purchases in (0, t], FHL eq. 8.

        Used for the fit histogram (predicted vs actual customers by frequency).
        """
        r, alpha, a, b = self.params
        n, t = np.asarray(n, dtype=float), np.asarray(t, dtype=float)
        log_nbd = (
            gammaln(r + n)
            - gammaln(r)
            - gammaln(n + 1)
            + r * np.log(alpha / (alpha + t))
            + n * np.log(t / (alpha + t))
        )
        first = np.exp(betaln(a, b + n) - betaln(a, b) + log_nbd)
        # Second term: drop-out after the n-th purchase (n >= 1); the finite sum of the
        # paper written as 1 − (NBD CDF up to n−1).
        j = np.arange(int(np.max(n)) if np.size(n) else 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_j = (
                gammaln(r + j[:, None])
                - gammaln(r)
                - gammaln(j[:, None] + 1)
                + r * np.log(alpha / (alpha + t))
                + j[:, None] * np.log(t / (alpha + t))
            )
            below = np.where(j[:, None] < n, np.exp(log_j), 0.0).sum(axis=0)
            second = np.where(
                n > 0,
                np.exp(betaln(a + 1, b + np.maximum(n, 1) - 1) - betaln(a, b)) * (1 - below),
                0.0,
            )
        return first + second


def fit(
    frequency: np.ndarray, recency: np.ndarray, t: np.ndarray, *, confidence: float = 0.95
) -> BGNBD:
    """Maximum-likelihood BG/NBD fit on arrays (see :func:`cxlib.value.fit_bgnbd`)."""
    check_rfm(frequency, recency, t)
    if len(frequency) < 10 or not (frequency > 0).any():
        raise DataError(
            f"summary: {len(frequency)} customers, {int((frequency > 0).sum())} with a repeat "
            "purchase; the BG/NBD model needs repeat buyers to estimate anything"
        )
    # Group identical histories: same likelihood, fewer evaluations.
    keys, counts = np.unique(np.column_stack([frequency, recency, t]), axis=0, return_counts=True)
    x, t_x, big_t = keys.T
    n = len(frequency)

    def negative_ll(params: np.ndarray) -> float:
        value = -(counts * bgnbd_log_likelihood(params, x, t_x, big_t)).sum()
        return float(value) if np.isfinite(value) else 1e300

    def gradient(params: np.ndarray) -> np.ndarray:
        return -(counts[:, None] * bgnbd_gradient(params, x, t_x, big_t)).sum(axis=0)

    scale = float(np.mean(t))
    estimates, ll, errors, converged = fit_positive(
        negative_ll, gradient, np.array([1.0, scale / 10, 1.0, 1.0]), n
    )
    table = parameter_table(["r", "alpha", "a", "b"], estimates, errors, confidence)
    r, alpha, a, b = (float(v) for v in estimates)
    return BGNBD(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=ll,
        n_customers=n,
        summary=table,
        converged=converged,
    )
