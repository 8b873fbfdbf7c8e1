"""Small interval helpers shared by the analyses (vectorized, polars expressions)."""

from __future__ import annotations

from statistics import NormalDist

import polars as pl


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
