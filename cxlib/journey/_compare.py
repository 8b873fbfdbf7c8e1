"""Do segments differ? Funnel conversion and returning customers compared across segments.

A breakdown by segment (``cx.funnel(..., by="country")``) shows each segment's rate with its
interval; these functions say which differences the data can tell apart from chance.

* :func:`funnel_difference` — at each step after the first, an **omnibus** Pearson
  chi-square test of "reached the step or not" × segment (are the segments all alike?), and
  each segment **against the rest** (every other segment pooled) with a two-proportion
  z-test and Newcombe's interval of the difference. Against the rest, not against the
  largest segment: every segment gets one comparison with the same meaning ("differs from
  the rest"), whatever the sizes, and a segment and its rest are disjoint groups, as the
  test needs.
* :func:`retention_difference` — time from a customer's first ``start`` touchpoint to their
  first ``returning`` touchpoint after it, with customers who have not come back by the end
  of the data censored there. That is survival data, so the curves are compared with the
  **log-rank** test (omnibus across segments, and each segment against the rest), which uses
  every customer's follow-up, open cohorts included; a chi-square per period of the cohort
  table would instead test each period separately (many tests, and the last periods are
  incomplete). The effect is Peto's hazard ratio of coming back (above 1: the segment comes
  back sooner than the rest) with its interval.

Every p-value of one call (pairwise and omnibus) is adjusted together for the false
discovery rate (Benjamini–Hochberg): ``significant`` is ``q_value < alpha``, the
difference to report as real. The statistics are the shared ones of :mod:`cxlib._stats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import narwhals as nw
import numpy as np
import polars as pl

from cxlib._engine import (
    CUSTOMER,
    check_values,
    lazy,
    like_input,
    require,
    to_polars,
    with_micros,
)
from cxlib._errors import DataError
from cxlib._stats import (
    chi_square,
    logrank,
    product_limit,
    risk_sets,
    versus_rest,
    with_q_values,
    z_value,
)
from cxlib.journey._periods import Moment, Touchpoints, _as_of_micros, _matches

Measure = Literal["conversion", "step_conversion"]
_FUNNEL_COLUMNS = {
    "step_index", "step", "customers", "conversion", "conversion_low", "conversion_high",
    "step_conversion", "median_time_to_step", "p90_time_to_step",
}  # fmt: skip
_DAY = 86_400_000_000  # µs


def _segments(names: list[str], by: str | Sequence[str] | None, known: set[str]) -> list[str]:
    cols = [by] if isinstance(by, str) else list(by or [])
    if not cols:
        cols = [c for c in names if c not in known]
    if not cols:
        raise DataError(
            "the frame has no segment column to compare; compute it with by=... "
            "(e.g. cx.funnel(touchpoints, steps, by='country', customers=customers))"
        )
    missing = [c for c in cols if c not in names]
    if missing:
        raise DataError(f"by={missing[0]!r} is not a column of the frame; columns are {names}")
    return cols


def funnel_difference(
    funnel: Any,
    *,
    by: str | Sequence[str] | None = None,
    measure: Measure = "conversion",
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> Any:
    """Which segments convert differently from the rest, step by step, with FDR control.

    Parameters
    ----------
    funnel : frame
        A funnel broken down by segment: :func:`cxlib.funnel` with ``by=`` (``by...,
        step_index, step, customers``).
    by : str or list of str, optional
        The segment columns; by default every column that is not a funnel column.
    measure : {"conversion", "step_conversion"}
        Compare the share of step-1 customers who reached each step, or the share of the
        previous step's customers who went on to it.
    alpha : float
        False discovery rate: a difference is ``significant`` when its q-value is below it.
    confidence : float
        Level of the interval of each difference.

    Returns
    -------
    frame
        Same library as ``funnel``, one row per step (from step 2) and segment: ``by...,
        step_index, step, customers`` (the segment's customers who could reach the step:
        step 1's, or the previous step's), ``reached``, ``rate``, ``rest_customers``,
        ``rest_rate``, ``difference`` (rate − rest_rate), ``ci_low, ci_high`` (Newcombe),
        ``p_value`` (two-proportion z-test), ``q_value`` (Benjamini–Hochberg over every
        test of the call), ``significant``, ``small_sample`` (an expected count below 5:
        read with care), and the step's omnibus test: ``omnibus_chi_square, omnibus_df,
        omnibus_p_value, omnibus_q_value``. With one segment the tests are null.

    Examples
    --------
    >>> import polars as pl
    >>> funnel = pl.DataFrame({"plan": ["a", "a", "b", "b"], "step_index": [1, 2, 1, 2],
    ...     "step": ["visit", "buy"] * 2, "customers": [400, 200, 400, 100]})
    >>> result = funnel_difference(funnel)
    >>> result.select("plan", "rate", "significant").rows()
    [('a', 0.5, True), ('b', 0.25, True)]
    """
    if measure not in ("conversion", "step_conversion"):
        raise DataError(f"measure={measure!r}: use 'conversion' or 'step_conversion'")
    plan = lazy(funnel)
    require(plan, ["step_index", "step", "customers"], what="funnel")
    cols = _segments(plan.collect_schema().names(), by, _FUNNEL_COLUMNS)
    steps = to_polars(plan.select(*cols, "step_index", "step", "customers"))
    steps = steps.with_columns(pl.col("customers").cast(pl.Int64))
    steps = steps.sort([*cols, "step_index"], nulls_last=True)
    base = pl.col("customers").first() if measure == "conversion" else pl.col("customers").shift(1)
    counts = (
        steps.with_columns(base.over(cols).alias("__n"))
        .filter(pl.col("step_index") > steps["step_index"].min())
        .select(
            *cols,
            "step_index",
            "step",
            pl.col("__n").fill_null(0).alias("customers"),
            pl.col("customers").alias("reached"),
        )  # fmt: skip
    )
    tested = versus_rest(counts, cols, "reached", "customers", within=["step_index"],
                         confidence=confidence)  # fmt: skip
    omnibus = []
    for (index,), part in tested.partition_by("step_index", as_dict=True).items():
        k, n = part["reached"].to_numpy(), part["customers"].to_numpy()
        statistic, df, p, _ = chi_square(np.column_stack([k, n - k]))
        omnibus.append((index, statistic, df, p))
    tests = pl.DataFrame(
        omnibus,
        schema={"step_index": steps.schema["step_index"], "omnibus_chi_square": pl.Float64,
                "omnibus_df": pl.Int64, "omnibus_p_value": pl.Float64},
        orient="row",
    ).fill_nan(None)  # fmt: skip
    result = with_q_values(
        tested.join(tests, on="step_index", how="left", maintain_order="left"),
        alpha=alpha,
        omnibus=["step_index"],
    ).select(
        *cols, "step_index", "step", "customers", "reached", "rate",
        pl.col("rest_trials").alias("rest_customers"), "rest_rate", "difference", "ci_low",
        "ci_high", "p_value", "q_value", "significant", "small_sample", "omnibus_chi_square",
        "omnibus_df", "omnibus_p_value", "omnibus_q_value",
    )  # fmt: skip
    return like_input(result.sort("step_index", *cols, nulls_last=True), funnel)


def _only(events: nw.LazyFrame, touchpoints: Touchpoints, name: str) -> nw.LazyFrame:
    return events if touchpoints is None else events.filter(_matches(touchpoints, name) == 1)


def _first_returns(
    touchpoints: Any,
    cols: list[str],
    customers: Any,
    start: Touchpoints,
    returning: Touchpoints,
    as_of: Moment,
) -> tuple[pl.DataFrame, int]:
    """One row per customer with a ``start`` touchpoint: the segment, ``__s`` (first start,
    µs), ``__r`` (first return after it, µs, or null); and the end of observation (µs)."""
    events = with_micros(touchpoints)
    require(events, [CUSTOMER, "ts", *(["touchpoint"] if start or returning else [])])
    names = events.collect_schema().names()
    props = [c for c in cols if c in names]
    attributes = [c for c in cols if c not in names]
    cutoff = _as_of_micros(as_of)
    if cutoff is not None:
        events = events.filter(nw.col("__t") <= cutoff)
    events = events.filter(~nw.col(CUSTOMER).is_null() & ~nw.col("__t").is_null())
    starts = _only(events, start, "start")
    first = starts.group_by(CUSTOMER).agg(nw.col("__t").min().alias("__s"))
    back = (
        _only(events, returning, "returning")
        .select(CUSTOMER, "__t")
        .join(first, on=CUSTOMER, how="inner")
        .filter(nw.col("__t") > nw.col("__s"))
        .group_by(CUSTOMER)
        .agg(nw.col("__t").min().alias("__r"))
    )
    table = first.join(back, on=CUSTOMER, how="left")
    if props:  # a touchpoint property: its value on the first start touchpoint
        values = (
            starts.join(first, on=CUSTOMER, how="inner")
            .filter(nw.col("__t") == nw.col("__s"))
            .group_by(CUSTOMER)
            .agg(*[nw.col(c).min() for c in props])
        )
        table = table.join(values, on=CUSTOMER, how="left")
    if attributes:
        if customers is None:
            raise DataError(
                f"by={attributes[0]!r} is not a touchpoints column; pass customers=... "
                "holding it, or join it onto the touchpoints first"
            )
        people = lazy(customers)
        require(people, [CUSTOMER, *attributes], what="customers")
        table = table.join(
            people.select(CUSTOMER, *attributes).unique(subset=[CUSTOMER]), on=CUSTOMER,
            how="left",
        )  # fmt: skip
    end = cutoff if cutoff is not None else to_polars(events.select(nw.col("__t").max())).item()
    return to_polars(table.select(*cols, "__s", "__r")), end


def retention_difference(
    touchpoints: Any,
    by: str | Sequence[str],
    *,
    customers: Any = None,
    start: Touchpoints = None,
    returning: Touchpoints = None,
    as_of: Moment = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> Any:
    """Do segments come back at different rates? Log-rank tests of the time to return.

    A customer's clock starts at their first ``start`` touchpoint; the event is their first
    ``returning`` touchpoint after it. Customers who have not come back by ``as_of`` (the
    end of the data) are censored there, so recent customers count for the time they have
    been observed, not as lost.

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints (polars, pandas, DuckDB or PySpark).
    by : str or list of str
        Segment columns: a touchpoint property (its value on the first ``start``
        touchpoint) or a customer attribute (from ``customers``).
    customers : frame, optional
        Customer attributes for ``by``.
    start, returning : str or set of str, optional
        Touchpoints that start the clock and that count as coming back; any when None.
    as_of : datetime, date or ISO str, optional
        End of observation; later rows are ignored. Default: the latest timestamp.
    alpha : float
        False discovery rate for ``significant``.
    confidence : float
        Level of the hazard ratio's interval.

    Returns
    -------
    frame
        Same library as ``touchpoints``, one row per segment: ``by..., customers``,
        ``returned``, ``return_share`` (came back by the end of the data, not adjusted for
        follow-up), ``median_days`` to return (Kaplan–Meier read-off: the first time half
        have returned; null when fewer than half have), ``observed``, ``expected``
        (returns under equal curves), ``hazard_ratio`` (Peto's, against the rest: above 1
        comes back sooner), ``ci_low, ci_high``, ``p_value`` (log-rank against the rest),
        ``q_value``, ``significant``, ``small_sample`` (fewer than 5 returns expected on a
        side), and the omnibus log-rank across all segments: ``omnibus_chi_square,
        omnibus_df, omnibus_p_value, omnibus_q_value``. With one segment the tests are null.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> result = cx.journey.retention_difference(ds.touchpoints, "country",
    ...     customers=ds.customers, start="purchase", returning="purchase")
    >>> bool((result["q_value"] >= result["p_value"]).all())
    True
    """
    cols = [by] if isinstance(by, str) else list(by)
    if not cols:
        raise DataError("retention_difference needs by=...: the segment column(s) to compare")
    table, end = _first_returns(touchpoints, cols, customers, start, returning, as_of)
    for name, value, matched in (
        ("start", start, table.height > 0),
        ("returning", returning, table["__r"].null_count() < table.height),
    ):  # nothing matched: perhaps a misspelt touchpoint
        if value is not None and not matched:
            names = [value] if isinstance(value, str) else sorted(value)
            check_values(touchpoints, "touchpoint", names, argument=name, what="touchpoint")
    table = table.with_columns(
        ((pl.coalesce("__r", pl.lit(end)) - pl.col("__s")) / _DAY).alias("__days"),
        pl.col("__r").is_not_null().alias("__back"),
    )
    groups = table.partition_by(cols, as_dict=True, maintain_order=True)
    keys = sorted(groups, key=lambda key: tuple((v is None, str(v)) for v in key))
    times = np.unique(table.filter("__back")["__days"].to_numpy())
    at_risk, events, medians = [], [], []
    for key in keys:
        part = groups[key]
        t, d = part["__days"].to_numpy(), part["__back"].to_numpy()
        n_t, d_t, _ = risk_sets(t, d, np.full(len(t), -np.inf), times)
        at_risk.append(n_t)
        events.append(d_t)
        # Kaplan–Meier of "not yet returned": the first time it drops to one half or below
        below = np.flatnonzero(product_limit(n_t, d_t) <= 0.5)
        medians.append(float(times[below[0]]) if below.size else None)
    n_j, d_j = (
        np.array(at_risk, float).T.reshape(len(times), len(keys)),
        np.array(events, float).T.reshape(len(times), len(keys)),
    )
    rows = []
    z = z_value(confidence)
    for j, key in enumerate(keys):
        rest_n, rest_d = n_j.sum(axis=1) - n_j[:, j], d_j.sum(axis=1) - d_j[:, j]
        row: dict[str, Any] = dict(zip(cols, key, strict=True))
        size = groups[key].height
        returned = int(d_j[:, j].sum())
        row |= {"customers": size, "returned": returned, "return_share": returned / size,
                "median_days": medians[j]}  # fmt: skip
        if len(keys) > 1 and rest_n.sum() > 0:
            test = logrank(
                np.column_stack([n_j[:, j], rest_n]), np.column_stack([d_j[:, j], rest_d])
            )
            variance = test.covariance[0, 0]
            excess = test.observed[0] - test.expected[0]
            log_ratio = excess / variance if variance > 0 else np.nan
            half = z / np.sqrt(variance) if variance > 0 else np.nan
            row |= {
                "observed": int(test.observed[0]),
                "expected": float(test.expected[0]),
                "hazard_ratio": float(np.exp(log_ratio)),
                "ci_low": float(np.exp(log_ratio - half)),
                "ci_high": float(np.exp(log_ratio + half)),
                "p_value": test.p_value if variance > 0 else None,
                "small_sample": bool(min(test.expected) < 5),
            }
        else:
            row |= {"observed": returned, "expected": None, "hazard_ratio": None,
                    "ci_low": None, "ci_high": None, "p_value": None,
                    "small_sample": True}  # fmt: skip
        rows.append(row)
    schema = {c: table.schema[c] for c in cols} | {
        "customers": pl.Int64, "returned": pl.Int64, "return_share": pl.Float64,
        "median_days": pl.Float64, "observed": pl.Int64, "expected": pl.Float64,
        "hazard_ratio": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64,
        "p_value": pl.Float64, "small_sample": pl.Boolean,
    }  # fmt: skip
    result = pl.DataFrame(rows, schema=schema, orient="row").fill_nan(None)
    if len(keys) > 1:
        overall = logrank(n_j, d_j)
        omnibus = (overall.chi_square, overall.df, overall.p_value)
    else:
        omnibus = (None, None, None)
    result = result.with_columns(
        pl.lit(omnibus[0], pl.Float64).alias("omnibus_chi_square"),
        pl.lit(omnibus[1], pl.Int64).alias("omnibus_df"),
        pl.lit(omnibus[2], pl.Float64).alias("omnibus_p_value"),
    )
    result = with_q_values(result, alpha=alpha, omnibus=[]).select(
        *cols, "customers", "returned", "return_share", "median_days", "observed", "expected",
        "hazard_ratio", "ci_low", "ci_high", "p_value", "q_value", "significant",
        "small_sample", "omnibus_chi_square", "omnibus_df", "omnibus_p_value",
        "omnibus_q_value",
    )  # fmt: skip
    return like_input(result, touchpoints)
