"""Stall drivers: what customers who stall at a step had before it, tested feature by feature.

For every feature (:mod:`cxlib.stall._features`) the customers who reached step k split into
a 2 × 2 table: with or without the feature, stalled (did not reach step k + 1) or not. Each
table gives the stall rate with and without, their difference with Newcombe's hybrid score
interval, the odds ratio with Woolf's (log) interval, and a p-value: Fisher's exact test
when an expected count is below 5, else Pearson's chi-square (no continuity correction).
Benjamini–Hochberg control runs across every feature tested in one call. A feature is
tested only when at least ``min_customers`` customers have it *and* at least
``min_customers`` do not, so that rare noise cannot rank first.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from scipy import stats

from cxlib._engine import CUSTOMER, like_input
from cxlib._errors import DataError
from cxlib._stats import benjamini_hochberg, two_proportions, z_value
from cxlib.stall._features import features, property_columns
from cxlib.stall._reach import engine_for, reach, stage_steps

if TYPE_CHECKING:
    from cxlib.io import StageModel
    from cxlib.journey import FunnelEngine

Step = str | Collection[str]
COLUMNS: dict[str, pl.DataType] = {
    "rank": pl.Int64(),
    "kind": pl.String(),
    "feature": pl.String(),
    "value": pl.String(),
    "customers_with": pl.Int64(),
    "stalled_with": pl.Int64(),
    "customers_without": pl.Int64(),
    "stalled_without": pl.Int64(),
    "stall_rate_with": pl.Float64(),
    "stall_rate_without": pl.Float64(),
    "risk_difference": pl.Float64(),
    "rd_ci_low": pl.Float64(),
    "rd_ci_high": pl.Float64(),
    "odds_ratio": pl.Float64(),
    "or_ci_low": pl.Float64(),
    "or_ci_high": pl.Float64(),
    "test": pl.String(),
    "p_value": pl.Float64(),
    "q_value": pl.Float64(),
    "significant": pl.Boolean(),
}
FISHER_BELOW = 5  # smallest expected count for the chi-square test


@dataclass(frozen=True)
class StallAnalysis:
    """The result of :func:`stall_analysis`.

    Attributes
    ----------
    drivers : polars.DataFrame
        The tested features, ranked (the columns of :func:`stall_drivers`).
    step, next_step : str
        Labels of step k and step k + 1.
    reached, stalled : int
        Customers who reached step k, and those of them who did not reach step k + 1.
    candidates : int
        Distinct features seen before the stall point; those without ``min_customers``
        customers with and without them are not tested.
    min_customers, confidence, alpha
        The options the analysis ran with (a page's sentences repeat them).
    """

    drivers: pl.DataFrame
    step: str
    next_step: str
    reached: int
    stalled: int
    candidates: int
    min_customers: int = 30
    confidence: float = 0.95
    alpha: float = 0.05

    @property
    def tested(self) -> int:
        """How many features were tested (the size of the false-discovery family)."""
        return self.drivers.height


def _odds_ratio(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, z: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Odds ratio (a·d)/(b·c) with Woolf's interval; Haldane–Anscombe: a table with a zero
    cell gets 0.5 added to each of its four cells."""
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    a, b, c, d = (np.where(zero, x + 0.5, x).astype(float) for x in (a, b, c, d))
    log_or = np.log(a * d / (b * c))
    se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return np.exp(log_or), np.exp(log_or - z * se), np.exp(log_or + z * se)


def _p_values(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> tuple[Any, Any]:
    """Two-sided p-values: Fisher's exact test where an expected count is below 5, else
    Pearson's chi-square; and the name of the test used."""
    n = a + b + c + d
    rows, cols = np.stack([a + b, c + d]), np.stack([a + c, b + d])
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = rows.min(axis=0) * cols.min(axis=0) / n  # the smallest expected count
    fisher = expected < FISHER_BELOW
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = n * (a * d - b * c) ** 2 / (rows[0] * rows[1] * cols[0] * cols[1])
    p = np.where(np.isfinite(chi2), stats.chi2.sf(np.nan_to_num(chi2), 1), 1.0)
    for i in np.flatnonzero(fisher):
        table = [[int(a[i]), int(b[i])], [int(c[i]), int(d[i])]]
        p[i] = stats.fisher_exact(table).pvalue
    return np.clip(p, 0.0, 1.0), np.where(fisher, "fisher", "chi-square")


def _test(
    counts: pl.DataFrame, reached: int, stalled: int, *, confidence: float, alpha: float
) -> pl.DataFrame:
    """The statistics of every feature's 2 × 2 table, ranked."""
    a = counts["stalled_with"].to_numpy().astype(float)
    n_with = counts["customers_with"].to_numpy().astype(float)
    b, c = n_with - a, stalled - a
    d = (reached - n_with) - c
    diff = two_proportions(a, n_with, c, reached - n_with, confidence=confidence)
    odds, or_low, or_high = _odds_ratio(a, b, c, d, z_value(confidence))
    p, test = _p_values(a, b, c, d)
    q = benjamini_hochberg(p)
    table = counts.with_columns(
        customers_without=pl.lit(reached) - pl.col("customers_with"),
        stalled_without=pl.lit(stalled) - pl.col("stalled_with"),
        stall_rate_with=pl.col("stalled_with") / pl.col("customers_with"),
        stall_rate_without=(pl.lit(stalled) - pl.col("stalled_with"))
        / (pl.lit(reached) - pl.col("customers_with")),
        risk_difference=pl.Series(diff["difference"]),
        rd_ci_low=pl.Series(diff["ci_low"]),
        rd_ci_high=pl.Series(diff["ci_high"]),
        odds_ratio=pl.Series(odds),
        or_ci_low=pl.Series(or_low),
        or_ci_high=pl.Series(or_high),
        test=pl.Series(test, dtype=pl.String),
        p_value=pl.Series(p, dtype=pl.Float64),
        q_value=pl.Series(q, dtype=pl.Float64),
    ).with_columns(significant=pl.col("q_value") <= alpha)
    ranked = table.sort(
        ["significant", "risk_difference", "q_value", "kind", "feature", "value"],
        descending=[True, True, False, False, False, False],
        nulls_last=True,
    ).with_row_index("rank", offset=1)
    return ranked.with_columns(pl.col("rank").cast(pl.Int64)).select(list(COLUMNS))


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=COLUMNS)


def _check_options(min_customers: int, confidence: float, alpha: float) -> None:
    if not isinstance(min_customers, int) or min_customers < 1:
        raise DataError(f"min_customers={min_customers!r}; use a whole number of at least 1")
    if not 0 < confidence < 1:
        raise DataError(f"confidence={confidence!r}; use a level between 0 and 1, e.g. 0.95")
    if not 0 < alpha < 1:
        raise DataError(f"alpha={alpha!r}; use a false discovery rate between 0 and 1, e.g. 0.05")


def stall_analysis(
    touchpoints: Any,
    steps: Sequence[Step] | None = None,
    *,
    stage: str | None = None,
    stages: StageModel | None = None,
    at: int = 1,
    within: str | timedelta | None = "7d",
    customers: Any = None,
    surveys: Any = None,
    attributes: Sequence[str] | None = None,
    min_customers: int = 30,
    max_levels: int = 20,
    confidence: float = 0.95,
    alpha: float = 0.05,
    engine: FunnelEngine | None = None,
    view: Any = None,
) -> StallAnalysis:
    """Stall drivers with the counts behind them; see :func:`stall_drivers`.

    ``engine`` and ``view``: a :class:`cxlib.journey.FunnelEngine` already built over
    ``touchpoints`` and one of its views (the funnel explorer's), used instead of preparing
    the events again; the counts are then those of the engine's funnel on that view.

    Returns
    -------
    StallAnalysis
        ``drivers`` (a polars frame, the columns of :func:`stall_drivers`), ``step``,
        ``next_step``, ``reached``, ``stalled``, ``candidates`` and ``tested``: what a page
        needs to say why there is nothing to show (nobody reached the step, or no feature
        had the support to be tested).

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib.stall import stall_analysis
    >>> ds = cx.load("data/sample")
    >>> result = stall_analysis(
    ...     ds.touchpoints, ["add_to_cart", "checkout"], customers=ds.customers
    ... )
    >>> result.reached >= result.stalled >= 0, result.step
    (True, 'add_to_cart')
    """
    _check_options(min_customers, confidence, alpha)
    if engine is None:
        engine = engine_for(touchpoints, property_columns(touchpoints))
    view = engine.view() if view is None else view
    if stage is not None:
        if steps is not None:
            raise DataError("pass steps= or stage=, not both")
        if stages is None:
            raise DataError(f"stage={stage!r} needs the stage model: pass stages=ds.stages")
        names = [n for n in engine.touchpoint.values.to_list() if n is not None]
        steps, at = stage_steps(names, stages, stage), 1
    if steps is None:
        raise DataError("pass the funnel steps= (e.g. ['add_to_cart', 'checkout']) or a stage=")
    found = reach(engine, view, steps, at=at, within=within)
    step, next_step = found.labels[at - 1], found.labels[at]
    if stage is not None and stages is not None:  # name the stages, not their touchpoints
        later = stages.stages[stages.index_of(stage) + 1 :]
        step, next_step = stage, " | ".join(later)
    options = {"min_customers": min_customers, "confidence": confidence, "alpha": alpha}
    if found.customers.height == 0:
        return StallAnalysis(_empty(), step, next_step, 0, 0, 0, **options)
    reached = found.customers.height
    stalled = int(found.customers["stalled"].sum())
    events = engine.view_frame(view)
    columns = None if attributes is None else list(attributes)
    had = features(
        events,
        found.customers,
        steps=set().union(*found.steps),
        customers=customers,
        surveys=surveys,
        attributes=columns,
        max_levels=max_levels,
    )
    counts = (
        had.join(found.customers.select(CUSTOMER, "stalled"), on=CUSTOMER, how="inner")
        .group_by("kind", "feature", "value")
        .agg(
            pl.len().cast(pl.Int64).alias("customers_with"),
            pl.col("stalled").sum().cast(pl.Int64).alias("stalled_with"),
        )
    )
    candidates = counts.height
    supported = counts.filter(
        (pl.col("customers_with") >= min_customers)
        & (reached - pl.col("customers_with") >= min_customers)
    ).sort("kind", "feature", "value")
    drivers = _test(supported, reached, stalled, confidence=confidence, alpha=alpha)
    drivers = drivers if supported.height else _empty()
    return StallAnalysis(drivers, step, next_step, reached, stalled, candidates, **options)


def stall_drivers(
    touchpoints: Any,
    steps: Sequence[Step] | None = None,
    *,
    stage: str | None = None,
    stages: StageModel | None = None,
    at: int = 1,
    within: str | timedelta | None = "7d",
    customers: Any = None,
    surveys: Any = None,
    attributes: Sequence[str] | None = None,
    min_customers: int = 30,
    max_levels: int = 20,
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> Any:
    """Among customers who reached step ``at``, what they had before it that goes with not
    reaching the next step.

    A customer *reached* step k (``at``) when some attempt of the sequential funnel
    ``steps`` reaches it (``cx.funnel``'s semantics, window ``within`` from step 1); their
    *stall point* is the time of step k in the earliest attempt that reaches it, the same
    moment whether they go on or not; they *stalled* when no attempt reaches step k + 1.
    Features are what the customer had strictly before the stall point: touchpoints,
    touchpoint properties (e.g. a channel) and survey answers in the bands of their scale
    (NPS detractor 0–6 / promoter 9–10, CSAT 1–2 / 4–5, CES 1–3 / 5–7), plus customer
    attributes. The steps' own touchpoints are never features, and nothing at or after the
    stall point is used.

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints (polars, pandas, DuckDB or PySpark; collected to polars).
    steps : sequence of str or of sets of str, optional
        The funnel steps (at least two); a set of touchpoints is one step.
    stage : str, optional
        Instead of ``steps``: customers who entered this stage of ``stages`` (any of its
        touchpoints) and did not move on to a later stage (any touchpoint of any later
        stage), as on the stage page; pass ``within=None`` to match its numbers exactly.
    stages : StageModel, optional
        The stage model (``ds.stages``); required with ``stage``.
    at : int
        Step k, 1-based (``1 <= at < len(steps)``); ignored with ``stage``.
    within : str, timedelta or None
        The funnel window from step 1 (``"7d"``); None: no window.
    customers : frame, optional
        The customer table; its text, boolean and integer columns with 2 to ``max_levels``
        values become attribute features (dates, personal columns and churn outcomes never).
    surveys : frame, optional
        Survey answers (``customer_id, ts, survey, score``).
    attributes : sequence of str, optional
        The customer columns to use, instead of choosing them by type.
    min_customers : int
        Minimum support: a feature is tested only when at least this many customers who
        reached the step have it and at least this many do not.
    max_levels : int
        Most distinct values a property or attribute column may have to be used.
    confidence : float
        Level of the intervals.
    alpha : float
        False discovery rate: ``significant`` is ``q_value <= alpha``.

    Returns
    -------
    frame
        One row per tested feature, in the caller's library: ``rank``; ``kind``
        (touchpoint, property, attribute, survey), ``feature`` (``"touchpoint"``, a column
        or a survey) and ``value``; ``customers_with``, ``stalled_with``,
        ``customers_without``, ``stalled_without`` (with + without = customers who reached
        the step); ``stall_rate_with``, ``stall_rate_without``; ``risk_difference`` (with −
        without) and ``rd_ci_low``, ``rd_ci_high`` (Newcombe's hybrid score interval);
        ``odds_ratio``, ``or_ci_low``, ``or_ci_high`` (Woolf's interval; with a zero cell,
        0.5 is added to every cell: Haldane–Anscombe); ``test`` (``"fisher"`` when an
        expected count is below 5, else ``"chi-square"``), ``p_value`` (two-sided),
        ``q_value`` (Benjamini–Hochberg across every row, scipy's
        ``false_discovery_control``) and ``significant`` (``q_value <= alpha``). Ranked:
        significant first, then by risk difference (features that raise the stall rate
        most first), then q-value.
        Empty (same columns) when nobody reached the step or no feature had the support.

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib.stall import stall_drivers
    >>> ds = cx.load("data/sample")
    >>> drivers = stall_drivers(
    ...     ds.touchpoints, ["add_to_cart", "checkout", "purchase"], at=2, surveys=ds.surveys
    ... )
    >>> drivers.columns[:4]
    ['rank', 'kind', 'feature', 'value']
    >>> bool((drivers["customers_with"] + drivers["customers_without"]).n_unique() <= 1)
    True
    """
    result = stall_analysis(
        touchpoints,
        steps,
        stage=stage,
        stages=stages,
        at=at,
        within=within,
        customers=customers,
        surveys=surveys,
        attributes=attributes,
        min_customers=min_customers,
        max_levels=max_levels,
        confidence=confidence,
        alpha=alpha,
    )
    return like_input(result.drivers, touchpoints)
