"""Statistics shared by the analyses: intervals and tests of difference.

* intervals — :func:`z_value`, :func:`wilson` (polars expressions);
* tests of difference between two groups or across several (vectorized, NumPy / scipy) —
  :func:`two_proportions` (two-proportion z-test, Newcombe interval), :func:`nps_difference`
  (z-test of two NPS), :func:`chi_square` (Pearson's test of a groups × outcomes table),
  :func:`logrank` (survival curves), and :func:`benjamini_hochberg` (false discovery rate
  across the tests of one analysis).

Used by the run-over-run comparison (``report._summary``), the segment comparisons
(``journey._compare``, ``voc._compare``) and the survival curves (``churn.survival``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import polars as pl
from numpy.typing import ArrayLike
from scipy import stats


def z_value(confidence: float) -> float:
    """Two-sided normal quantile for a confidence level, e.g. 1.96 for 0.95."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence} must be between 0 and 1, e.g. 0.95")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: str, trials: str, confidence: float = 0.95) -> tuple[pl.Expr, pl.Expr]:
    """Wilson score interval for a proportion, as (low, high) polars expressions.

    Null where ``trials`` is 0. Wilson (1927); the interval recommended by Brown, Cai &
    DasGupta (2001) for small samples and proportions near 0 or 1.

    Examples
    --------
    >>> import polars as pl
    >>> low, high = wilson("k", "n")
    >>> frame = pl.DataFrame({"k": [8], "n": [10]})
    >>> frame.select(low.round(4).alias("low"), high.round(4).alias("high")).row(0)
    (0.4902, 0.9433)
    """
    z = z_value(confidence)
    k, n = pl.col(successes).cast(pl.Float64), pl.col(trials).cast(pl.Float64)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)).sqrt()
    valid = n > 0
    # exact edges: no successes -> 0, all successes -> 1 (not 1e-17 from rounding)
    low = (
        pl.when(~valid).then(None).when(k == 0).then(0.0).otherwise((centre - half).clip(0.0, 1.0))
    )
    high = (
        pl.when(~valid).then(None).when(k == n).then(1.0).otherwise((centre + half).clip(0.0, 1.0))
    )
    return low, high


# ------------------------------------------------------------------ tests of difference


def _arrays(*values: ArrayLike) -> list[np.ndarray]:
    return [np.atleast_1d(np.asarray(v, dtype=float)) for v in values]


def _two_sided(statistic: np.ndarray) -> np.ndarray:
    return 2 * stats.norm.sf(np.abs(statistic))


def two_proportions(
    successes_a: ArrayLike,
    trials_a: ArrayLike,
    successes_b: ArrayLike,
    trials_b: ArrayLike,
    *,
    confidence: float = 0.95,
) -> dict[str, np.ndarray]:
    """Two-proportion z-test of ``a`` against ``b`` (independent samples), vectorized.

    ``difference`` = p_a − p_b with Newcombe's (1998) hybrid score interval (his method 10,
    built from the two :func:`wilson` intervals: keeps its coverage for small groups and
    shares near 0 or 1); ``z`` uses the pooled proportion, and ``p_value`` is two-sided (the
    same p-value as a 2 × 2 chi-square test without continuity correction). Where both
    shares are 0 or both 1 the difference is 0 and ``p_value`` 1; where a group has no
    trials everything is NaN.

    Returns
    -------
    dict of numpy arrays
        ``difference, ci_low, ci_high, z, p_value``.

    Examples
    --------
    >>> test = two_proportions(520, 1000, 470, 1000)
    >>> round(float(test["difference"][0]), 3), round(float(test["p_value"][0]), 4)
    (0.05, 0.0253)
    """
    k_a, n_a, k_b, n_b = _arrays(successes_a, trials_a, successes_b, trials_b)
    frame = pl.DataFrame({"k_a": k_a, "n_a": n_a, "k_b": k_b, "n_b": n_b})
    (low_a, high_a), (low_b, high_b) = (
        wilson("k_a", "n_a", confidence),
        wilson("k_b", "n_b", confidence),
    )
    bounds = frame.select(
        low_a.alias("lo_a"), high_a.alias("hi_a"), low_b.alias("lo_b"), high_b.alias("hi_b")
    )
    lo_a, hi_a, lo_b, hi_b = (bounds.to_series(i).to_numpy().astype(float) for i in range(4))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_a, p_b = k_a / n_a, k_b / n_b
        pooled = (k_a + k_b) / (n_a + n_b)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
        difference = p_a - p_b
        z = np.where(se > 0, difference / se, np.where(difference == 0, 0.0, np.nan))
    p_value = np.where(np.isfinite(z), _two_sided(z), np.nan)
    return {
        "difference": difference,
        "ci_low": difference - np.sqrt((p_a - lo_a) ** 2 + (hi_b - p_b) ** 2),
        "ci_high": difference + np.sqrt((hi_a - p_a) ** 2 + (p_b - lo_b) ** 2),
        "z": z,
        "p_value": p_value,
    }


def nps_difference(
    promoters_a: ArrayLike,
    detractors_a: ArrayLike,
    responses_a: ArrayLike,
    promoters_b: ArrayLike,
    detractors_b: ArrayLike,
    responses_b: ArrayLike,
    *,
    confidence: float = 0.95,
    adjusted: bool = False,
) -> dict[str, np.ndarray]:
    """z-test of the difference of two NPS (independent samples), vectorized.

    An NPS is the mean of per-answer scores +1 (promoter), 0 (passive), −1 (detractor), so
    its variance is ``(p + d − (p − d)²) / n`` with ``p``, ``d`` the promoter and detractor
    shares; the two variances add. ``adjusted=True`` uses the adjusted-Wald estimates of
    Rocks (2016) for the interval and the test (¾ promoter, ¾ detractor and 3 answers added
    to each group: better coverage for small groups); ``difference`` is always the plain
    NPS difference. Where the variance is 0, ``p_value`` is 1 for no difference and 0 else;
    where a group has no answers everything is NaN.

    Returns
    -------
    dict of numpy arrays
        ``difference`` (NPS points, a − b, on −200..200), ``ci_low, ci_high, z, p_value``.

    Examples
    --------
    >>> test = nps_difference(50, 20, 100, 40, 30, 100)
    >>> round(float(test["difference"][0]), 6), round(float(test["p_value"][0]), 3)
    (20.0, 0.079)
    """
    p_a, d_a, n_a, p_b, d_b, n_b = _arrays(
        promoters_a, detractors_a, responses_a, promoters_b, detractors_b, responses_b
    )
    extra, more = (0.75, 3.0) if adjusted else (0.0, 0.0)

    def score(promoters: np.ndarray, detractors: np.ndarray, n: np.ndarray):  # noqa: ANN202
        with np.errstate(divide="ignore", invalid="ignore"):
            p, d = (promoters + extra) / (n + more), (detractors + extra) / (n + more)
            return p - d, (p + d - (p - d) ** 2) / (n + more)

    (centre_a, var_a), (centre_b, var_b) = score(p_a, d_a, n_a), score(p_b, d_b, n_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        difference = 100 * (p_a / n_a - d_a / n_a - p_b / n_b + d_b / n_b)
        shift, se = centre_a - centre_b, np.sqrt(var_a + var_b)
        z = np.where(se > 0, shift / se, np.where(shift == 0, 0.0, np.copysign(np.inf, shift)))
    half = z_value(confidence) * se
    empty = (n_a <= 0) | (n_b <= 0)  # a side without answers: nothing to test
    out = {
        "difference": difference,
        "ci_low": np.clip(100 * (shift - half), -200, 200),
        "ci_high": np.clip(100 * (shift + half), -200, 200),
        "z": z,
        "p_value": np.where(np.isnan(z), np.nan, _two_sided(z)),
    }
    return {name: np.where(empty, np.nan, values) for name, values in out.items()}


def chi_square(table: ArrayLike) -> tuple[float, int, float, float]:
    """Pearson's chi-square test of independence of a groups × outcomes table of counts.

    scipy's ``chi2_contingency`` without continuity correction, after dropping empty rows
    and columns. When every group has the same single outcome there is nothing to tell
    apart: statistic 0, df 0, p-value 1. With fewer than two non-empty groups: NaN.

    Returns
    -------
    tuple
        ``(statistic, df, p_value, min_expected)``: the smallest expected count says
        whether the approximation holds (Cochran's rule: at least 5 in each cell).

    Examples
    --------
    >>> statistic, df, p, low = chi_square([[10, 20], [20, 10]])
    >>> round(statistic, 3), df, round(p, 4)
    (6.667, 1, 0.0098)
    """
    counts = np.asarray(table, dtype=float)
    counts = counts[counts.sum(axis=1) > 0]
    if counts.shape[0] < 2:
        return math.nan, 0, math.nan, math.nan
    counts = counts[:, counts.sum(axis=0) > 0]
    if counts.shape[1] < 2:
        return 0.0, 0, 1.0, math.nan
    result = stats.chi2_contingency(counts, correction=False)
    return (
        float(result.statistic),
        int(result.dof),
        float(result.pvalue),
        float(result.expected_freq.min()),
    )


def benjamini_hochberg(p_values: ArrayLike) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), controlling the false discovery rate
    across every test given; NaN p-values (tests not run) stay NaN and do not count.

    scipy's ``false_discovery_control(method="bh")``. A difference whose q-value is below
    ``alpha`` is one the data tells apart while, on average, at most ``alpha`` of those
    flagged are false.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, float("nan")]).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    p = np.atleast_1d(np.asarray(p_values, dtype=float))
    q = np.full(p.shape, np.nan)
    tested = np.isfinite(p)
    if tested.any():
        q[tested] = stats.false_discovery_control(np.clip(p[tested], 0.0, 1.0), method="bh")
    return q


@dataclass(frozen=True)
class LogRank:
    """A log-rank test: per group ``observed`` and ``expected`` events, their ``covariance``
    (groups × groups), the ``chi_square`` statistic, ``df`` and ``p_value``."""

    observed: np.ndarray
    expected: np.ndarray
    covariance: np.ndarray
    chi_square: float
    df: int
    p_value: float


def logrank(at_risk: ArrayLike, events: ArrayLike) -> LogRank:
    """Log-rank test (Mantel 1966; Peto & Peto 1972) from the numbers at risk and the
    events of each group at each distinct event time (arrays of shape times × groups).

    Observed against expected events per group under equal hazards, with the
    hypergeometric variance; chi-square with k − 1 degrees of freedom, as R's ``survdiff``.
    For two groups, ``(O − E) / V`` of the first group is Peto's log hazard ratio and
    ``1 / sqrt(V)`` its standard error.

    Examples
    --------
    >>> at_risk = [[4, 4], [3, 4], [2, 4], [1, 4], [0, 4], [0, 3], [0, 2], [0, 1]]
    >>> events = [[1, 0], [1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1], [0, 1]]
    >>> test = logrank(at_risk, events)
    >>> test.observed.tolist(), round(test.p_value, 3)
    ([4.0, 4.0], 0.007)
    """
    n_j, d_j = np.asarray(at_risk, dtype=float), np.asarray(events, dtype=float)
    n, d = n_j.sum(axis=1), d_j.sum(axis=1)
    used = n > 0
    n_j, d_j, n, d = n_j[used], d_j[used], n[used], d[used]
    expected = (n_j * (d / n)[:, None]).sum(axis=0)
    observed = d_j.sum(axis=0)
    weight = np.where(n > 1, d * (n - d) / np.maximum(n - 1, 1), 0.0) / n
    share = n_j / n[:, None]
    k = n_j.shape[1]
    covariance = np.einsum("t,tj,jk->jk", weight * n, share, np.eye(k)) - np.einsum(
        "t,tj,tk->jk", weight * n, share, share
    )
    diff = (observed - expected)[: k - 1]
    statistic = float(diff @ np.linalg.pinv(covariance[: k - 1, : k - 1]) @ diff)
    return LogRank(
        observed=observed,
        expected=expected,
        covariance=covariance,
        chi_square=statistic,
        df=k - 1,
        p_value=float(stats.chi2.sf(statistic, k - 1)),
    )


def risk_sets(
    durations: np.ndarray, events: np.ndarray, entries: np.ndarray, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At risk, events and censorings at each of ``times`` for one group (sorted search).

    A subject is at risk at ``t`` when ``entry < t <= duration``; ``events`` is boolean
    (True: the event happened at ``duration``, False: censored there).

    Examples
    --------
    >>> import numpy as np
    >>> t, d = np.array([1.0, 2.0, 2.0, 3.0]), np.array([True, True, False, False])
    >>> [a.tolist() for a in risk_sets(t, d, np.full(4, -np.inf), np.array([1.0, 2.0]))]
    [[4, 3], [1, 1], [0, 1]]
    """
    exits = np.sort(durations)
    starts = np.sort(entries)
    at_risk = (len(durations) - np.searchsorted(exits, times, "left")) - (
        len(entries) - np.searchsorted(starts, times, "left")
    )
    event_times = np.sort(durations[events])
    censor_times = np.sort(durations[~events])
    happened = np.searchsorted(event_times, times, "right") - np.searchsorted(
        event_times, times, "left"
    )
    censored = np.searchsorted(censor_times, times, "right") - np.searchsorted(
        censor_times, times, "left"
    )
    return at_risk, happened, censored


def product_limit(at_risk: ArrayLike, events: ArrayLike) -> np.ndarray:
    """Kaplan–Meier (1958) survival just after each time: S(t) = Π (1 − d_i / n_i) over the
    times so far (a time with nobody at risk leaves it unchanged).

    Examples
    --------
    >>> product_limit([4, 3, 1], [1, 1, 0]).tolist()
    [0.75, 0.5, 0.5]
    """
    n, d = np.asarray(at_risk, dtype=float), np.asarray(events, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.cumprod(np.where(n > 0, 1 - d / np.maximum(n, 1), 1.0))


# ------------------------------------------------------- segments against the rest


def versus_rest(
    frame: pl.DataFrame,
    segment: list[str],
    successes: str,
    trials: str,
    *,
    within: list[str] | None = None,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Each segment's share ``successes / trials`` tested against the rest (every other
    segment pooled) with :func:`two_proportions`, separately inside each ``within`` group
    (e.g. each funnel step).

    Adds ``rate``, ``rest_trials``, ``rest_rate``, ``difference`` (segment − rest),
    ``ci_low``, ``ci_high``, ``p_value`` (NaN where a side has no trials, so with one
    segment) and ``small_sample`` (an expected count of the 2 × 2 table below 5, where the
    normal approximation is rough).

    Examples
    --------
    >>> frame = pl.DataFrame({"plan": ["a", "b", "c"], "k": [30, 10, 10], "n": [50, 50, 50]})
    >>> versus_rest(frame, ["plan"], "k", "n")["rest_rate"].to_list()
    [0.2, 0.4, 0.4]
    """
    keys = within or []
    total = (lambda c: pl.col(c).sum().over(keys)) if keys else (lambda c: pl.col(c).sum())
    counts = frame.with_columns(
        (total(successes) - pl.col(successes)).alias("__rest_k"),
        (total(trials) - pl.col(trials)).alias("rest_trials"),
    )
    k, n = counts[successes].to_numpy(), counts[trials].to_numpy()
    rest_k, rest_n = counts["__rest_k"].to_numpy(), counts["rest_trials"].to_numpy()
    test = two_proportions(k, n, rest_k, rest_n, confidence=confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (k + rest_k) / (n + rest_n)
        smallest = np.minimum(n, rest_n) * np.minimum(pooled, 1 - pooled)
    return counts.drop("__rest_k").with_columns(
        pl.Series("rate", k / np.where(n > 0, n, np.nan), nan_to_null=True),
        pl.Series("rest_rate", rest_k / np.where(rest_n > 0, rest_n, np.nan), nan_to_null=True),
        *(
            pl.Series(name, test[name], nan_to_null=True)
            for name in ("difference", "ci_low", "ci_high", "p_value")
        ),
        pl.Series("small_sample", ~(smallest >= 5)),
    )


def with_q_values(
    frame: pl.DataFrame, *, alpha: float = 0.05, omnibus: list[str] | None = None
) -> pl.DataFrame:
    """Add ``q_value``, ``significant`` (``q_value < alpha``) and, with ``omnibus``, the
    ``omnibus_q_value`` of the ``omnibus_p_value`` column.

    Benjamini–Hochberg across one family: every ``p_value`` of ``frame`` and, with
    ``omnibus`` (the columns that tell the omnibus tests apart: ``[]`` for one test over
    the whole frame, ``["step_index"]`` for one per step), each omnibus test once.

    Examples
    --------
    >>> frame = pl.DataFrame({"p_value": [0.01, 0.5], "omnibus_p_value": [0.02, 0.02]})
    >>> with_q_values(frame, omnibus=[])["q_value"].round(3).to_list()
    [0.03, 0.5]
    """
    pairwise = frame["p_value"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    tests = pl.DataFrame()
    if omnibus is not None:
        tests = frame.select(*omnibus, pl.col("omnibus_p_value").cast(pl.Float64))
        tests = (
            tests.unique(subset=omnibus, keep="first", maintain_order=True)
            if omnibus
            else tests.head(1)
        )
    overall = tests["omnibus_p_value"].fill_null(np.nan).to_numpy() if tests.width else []
    q = benjamini_hochberg(np.concatenate([pairwise, overall]))
    out = frame.with_columns(pl.Series("q_value", q[: len(pairwise)], nan_to_null=True))
    if omnibus is not None:
        adjusted = pl.Series("omnibus_q_value", q[len(pairwise) :], nan_to_null=True)
        if omnibus:
            lookup = tests.select(*omnibus).with_columns(adjusted)
            out = out.join(lookup, on=omnibus, how="left", nulls_equal=True,
                           maintain_order="left")  # fmt: skip
        else:
            first = adjusted[0] if len(adjusted) else None
            out = out.with_columns(pl.lit(first, pl.Float64).alias("omnibus_q_value"))
    return out.with_columns((pl.col("q_value") < alpha).fill_null(False).alias("significant"))
