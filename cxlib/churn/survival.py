"""Survival curves for customer lifetimes: Kaplan–Meier, median lifetime, log-rank test.

Written here rather than imported: lifelines, the usual Python library, pins pandas < 3, and
the three estimators are short. Each is checked against published results in
``tests/churn/test_survival.py`` (the Freireich et al. 1963 leukaemia remission data).

* **Kaplan–Meier** (1958): S(t) = Π_{t_i ≤ t} (1 − d_i / n_i), with d_i events and n_i
  at risk at each distinct time. Variance by **Greenwood's formula**
  Var S(t) = S(t)² Σ d_i / (n_i (n_i − d_i)). The confidence interval is the **log-log**
  ("exponential Greenwood", Kalbfleisch & Prentice 2002) interval
  S(t)^exp(±z·se), se = sqrt(Σ d_i/(n_i(n_i − d_i))) / |log S(t)|: it stays inside [0, 1]
  (Stata's and lifelines' default). Optional delayed entry (left truncation): a customer is
  at risk at t only if ``entry < t ≤ duration``.
* **Median lifetime**: the first time S(t) ≤ 0.5 (null when the curve never gets there:
  "not reached"), with the Brookmeyer–Crowley style interval read off the pointwise CI:
  from the first time the lower bound is ≤ 0.5 to the first time the upper bound is (null
  when the upper bound never gets there).
* **Log-rank test** (Mantel 1966; Peto & Peto 1972): observed vs expected events per group
  under equal hazards, chi-square with k − 1 degrees of freedom (hypergeometric variance),
  as R's ``survdiff``. The statistic itself is :func:`cxlib._stats.logrank`, shared with
  the journey's segment comparisons; this module counts who is at risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from cxlib._engine import to_polars
from cxlib._errors import DataError
from cxlib._stats import logrank, product_limit, risk_sets, z_value

__all__ = ["kaplan_meier", "logrank_test", "median_lifetime"]


def _columns(
    frame: pl.DataFrame, duration: str, event: str, by: list[str], entry: str | None
) -> pl.DataFrame:
    needed = [duration, event, *by, *([entry] if entry else [])]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"survival data has no column {missing[0]!r}; columns are {frame.columns[:10]}"
        )
    out = frame.select(
        *by,
        pl.col(duration).cast(pl.Float64).alias("_t"),
        pl.col(event).cast(pl.Boolean).fill_null(False).alias("_d"),
        (pl.col(entry).cast(pl.Float64) if entry else pl.lit(-np.inf)).alias("_e"),
    ).filter(pl.col("_t").is_not_null())
    if out.filter(pl.col("_t") < 0).height:
        raise DataError(f"'{duration}' has negative durations; measure time from the origin")
    return out


def _curve(t: np.ndarray, d: np.ndarray, e: np.ndarray, z: float) -> dict[str, np.ndarray]:
    times = np.unique(t)
    n, events, censored = risk_sets(t, d, e, times)
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = product_limit(n, events)
        terms = np.where((n > events) & (n > 0), events / (n * (n - events)), 0.0)
        greenwood = np.cumsum(terms)
        std_error = survival * np.sqrt(greenwood)
        se_loglog = np.sqrt(greenwood) / np.abs(np.log(survival))
        low = survival ** np.exp(z * se_loglog)
        high = survival ** np.exp(-z * se_loglog)
    inside = (survival > 0) & (survival < 1)
    low = np.where(inside, low, survival)
    high = np.where(inside, high, survival)
    start = {
        "time": 0.0,
        "at_risk": int((e <= 0).sum()),
        "events": 0,
        "censored": 0,
        "survival": 1.0,
        "std_error": 0.0,
        "ci_low": 1.0,
        "ci_high": 1.0,
    }
    columns = {
        "time": times,
        "at_risk": n,
        "events": events,
        "censored": censored,
        "survival": survival,
        "std_error": std_error,
        "ci_low": low,
        "ci_high": high,
    }
    return {
        k: np.concatenate([[start[k]], v]) if times.size == 0 or times[0] > 0 else v
        for k, v in columns.items()
    }


def kaplan_meier(
    frame: Any,
    *,
    duration: str = "days",
    event: str = "churned",
    by: str | Sequence[str] | None = None,
    entry: str | None = None,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Kaplan–Meier survival (retention) curves with Greenwood log-log intervals.

    Parameters
    ----------
    frame : frame
        One row per customer (polars, pandas, ...).
    duration : str
        Time from the origin to the event or to censoring (any unit, >= 0).
    event : str
        True when the customer churned at ``duration``, False when still active (censored).
    by : str or list of str, optional
        Segment columns: one curve per segment.
    entry : str, optional
        Time at which a customer enters observation (delayed entry / left truncation).
    confidence : float
        Interval level.

    Returns
    -------
    polars.DataFrame
        ``by..., time, at_risk, events, censored, survival, std_error, ci_low, ci_high``:
        one row per distinct time (and time 0), ``survival`` = S(time) just after it.

    Examples
    --------
    >>> import polars as pl
    >>> data = pl.DataFrame({"days": [1, 2, 2, 3], "churned": [True, True, False, False]})
    >>> kaplan_meier(data)["survival"].round(3).to_list()
    [1.0, 0.75, 0.5, 0.5]
    """
    cols = [by] if isinstance(by, str) else list(by or [])
    data = _columns(to_polars(frame), duration, event, cols, entry)
    z = z_value(confidence)
    groups = data.partition_by(cols, maintain_order=True, as_dict=True) if cols else {(): data}
    frames = []
    for key, part in sorted(groups.items(), key=lambda kv: tuple(map(str, kv[0]))):
        curve = _curve(part["_t"].to_numpy(), part["_d"].to_numpy(), part["_e"].to_numpy(), z)
        block = pl.DataFrame(curve).with_columns(
            pl.col("at_risk", "events", "censored").cast(pl.Int64)
        )
        frames.append(
            block.select(
                *[
                    pl.lit(value, dtype=data.schema[c]).alias(c)
                    for c, value in zip(cols, key, strict=True)
                ],
                pl.all(),
            )
        )
    if not frames:
        raise DataError("no rows to estimate survival from")
    return pl.concat(frames)


def median_lifetime(
    frame: Any,
    *,
    duration: str = "days",
    event: str = "churned",
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Median lifetime per segment with its interval: ``by..., customers, churned, median,
    ci_low, ci_high`` (null = not reached: more than half are still active at the end).

    Examples
    --------
    >>> import polars as pl
    >>> data = pl.DataFrame({"days": [1, 2, 3, 4], "churned": [True] * 4})
    >>> median_lifetime(data)["median"].item()
    2.0
    """
    cols = [by] if isinstance(by, str) else list(by or [])
    curves = kaplan_meier(
        frame, duration=duration, event=event, by=cols or None, confidence=confidence
    )

    def first_time(condition: pl.Expr) -> pl.Expr:
        return pl.col("time").filter(condition).min()

    aggregations = [
        pl.col("events").sum().alias("churned"),
        first_time(pl.col("survival") <= 0.5).alias("median"),
        first_time(pl.col("ci_low") <= 0.5).alias("ci_low"),
        first_time(pl.col("ci_high") <= 0.5).alias("ci_high"),
        pl.col("at_risk").first().alias("customers"),
    ]
    out = (
        curves.group_by(cols, maintain_order=True).agg(aggregations)
        if cols
        else curves.select(aggregations)
    )
    return out.select(*cols, "customers", "churned", "median", "ci_low", "ci_high")


def logrank_test(
    frame: Any,
    *,
    group: str,
    duration: str = "days",
    event: str = "churned",
    groups: Sequence[Any] | None = None,
) -> pl.DataFrame:
    """Log-rank test that survival is the same in every group (or in ``groups`` only).

    Returns one row per group: ``group, customers, observed, expected, chi_square, df,
    p_value`` (the test statistic repeats on each row, as R's ``survdiff`` prints it).

    Examples
    --------
    >>> import polars as pl
    >>> data = pl.DataFrame({"days": [1, 2, 3, 4, 5, 6, 7, 8],
    ...                      "churned": [True] * 8, "segment": ["a"] * 4 + ["b"] * 4})
    >>> round(logrank_test(data, group="segment")["p_value"][0], 3)
    0.007
    """
    data = _columns(to_polars(frame), duration, event, [group], None)
    if groups is not None:
        data = data.filter(pl.col(group).is_in(list(groups)))
    labels = data.get_column(group).unique(maintain_order=True).sort().to_list()
    if len(labels) < 2:
        raise DataError(f"the log-rank test needs at least two groups in '{group}'")
    times = np.unique(data.filter(pl.col("_d")).get_column("_t").to_numpy())
    at_risk, events = [], []
    for label in labels:  # a few groups
        part = data.filter(pl.col(group) == label)
        n, d, _ = risk_sets(
            part["_t"].to_numpy(), part["_d"].to_numpy(), part["_e"].to_numpy(), times
        )
        at_risk.append(n)
        events.append(d)
    test = logrank(np.array(at_risk).T, np.array(events).T)  # times x groups
    customers = [data.filter(pl.col(group) == label).height for label in labels]
    return pl.DataFrame(
        {
            "group": [str(label) for label in labels],
            "customers": customers,
            "observed": test.observed.astype(int),
            "expected": test.expected,
            "chi_square": test.chi_square,
            "df": test.df,
            "p_value": test.p_value,
        }
    ).with_columns(pl.col("customers", "observed", "df").cast(pl.Int64))
