"""Survey metrics with honest intervals: NPS, CSAT and CES, overall or by group.

* **NPS** = % promoters (9–10) − % detractors (0–6) on the 0–10 "how likely are you to
  recommend us" scale, reported on −100..100. Its interval is the adjusted-Wald interval of
  Rocks (2016): add ¾ of a promoter, ¾ of a detractor and 3 responses in all (so 1½
  passives), then use the normal approximation of the difference of two multinomial
  proportions. It keeps its nominal coverage for small groups, where the plain Wald interval
  is too narrow.
* **CSAT** = share of satisfied answers, the top two boxes (4–5) of the 1–5 scale, with a
  Wilson score interval.
* **CES** = mean of the 1–7 "the company made it easy for me" scale (7 = strongly agree,
  easier is higher), with a Student-t interval on the mean; ``easy`` counts answers 5–7.

Counts are computed in the caller's engine (polars, pandas, DuckDB, PySpark) and only the
small per-group result is collected. Groups with fewer than ``min_responses`` answers are
flagged ``small_sample``: shown, never hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw
import polars as pl
from scipy import stats

from cxlib._engine import lazy, like_input, require, to_polars
from cxlib._stats import wilson, z_value

SMALL_GROUP = 30  # fewer answers than this: the group is flagged, not hidden


def _columns(by: str | Sequence[str] | None) -> list[str]:
    return [by] if isinstance(by, str) else list(by or [])


def _counts(
    surveys: Any,
    survey: str,
    cols: list[str],
    flags: dict[str, nw.Expr],
    *,
    squares: bool = False,
) -> pl.DataFrame:
    """Per group: ``responses`` and the sum of each 0/1 flag (and of score, score² for CES),
    computed in the frame's engine; the small result as polars."""
    frame = lazy(surveys)
    require(frame, ["survey", "score", *cols], what="surveys")
    answers = frame.filter(nw.col("survey") == survey)
    if survey != "nps":  # nps keeps its historic behaviour: every answer row counts
        answers = answers.filter(~nw.col("score").is_null())
    answers = answers.with_columns(
        *[flag.cast(nw.Int64).alias(f"__{name}") for name, flag in flags.items()],
        *([(nw.col("score") * nw.col("score")).alias("__sq")] if squares else []),
    )
    aggregations = [
        nw.len().alias("responses"),
        *[nw.col(f"__{name}").sum().alias(name) for name in flags],
        *(
            [nw.col("score").sum().alias("__sum"), nw.col("__sq").sum().alias("__sumsq")]
            if squares
            else []
        ),
    ]
    summary = answers.group_by(*cols).agg(*aggregations) if cols else answers.select(*aggregations)
    # engines type sums differently (DuckDB: HUGEINT / DECIMAL): settle the types here
    return to_polars(summary).with_columns(
        pl.col("responses", *flags).cast(pl.Int64),
        *([pl.col("__sum", "__sumsq").cast(pl.Float64)] if squares else []),
    )


def _finish(result: pl.DataFrame, cols: list[str], surveys: Any) -> Any:
    if cols:
        result = result.sort(cols, nulls_last=True)
    return like_input(result, surveys)


def nps_counts(
    surveys: Any, cols: list[str], confidence: float, min_responses: int
) -> pl.DataFrame:
    """:func:`nps` as polars, for callers inside cxlib."""
    score = nw.col("score")
    counts = _counts(surveys, "nps", cols, {"promoters": score >= 9, "detractors": score <= 6})
    z = z_value(confidence)
    n, p, d = (pl.col(c).cast(pl.Float64) for c in ("responses", "promoters", "detractors"))
    n_adj = n + 3
    p_adj, d_adj = (p + 0.75) / n_adj, (d + 0.75) / n_adj
    centre = p_adj - d_adj
    half = z * ((p_adj + d_adj - centre**2) / n_adj).sqrt()
    return counts.select(
        *cols,
        pl.col("responses").cast(pl.Int64),
        pl.col("promoters").cast(pl.Int64),
        (pl.col("responses") - pl.col("promoters") - pl.col("detractors"))
        .cast(pl.Int64)
        .alias("passives"),
        pl.col("detractors").cast(pl.Int64),
        pl.when(n > 0).then(100 * (p - d) / n).alias("nps"),
        (100 * (centre - half)).clip(-100, 100).alias("ci_low"),
        (100 * (centre + half)).clip(-100, 100).alias("ci_high"),
        (pl.col("responses") < min_responses).alias("small_sample"),
    )


def nps(
    surveys: Any,
    *,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    min_responses: int = SMALL_GROUP,
) -> Any:
    """Net Promoter Score with its adjusted-Wald interval, overall or by group.

    Parameters
    ----------
    surveys : frame
        Canonical surveys (``survey``, ``score``); only ``survey == "nps"`` rows count.
    by : str or list of str, optional
        Grouping columns (stage, channel, month, ...).
    confidence : float
        Interval level.
    min_responses : int
        Groups with fewer answers are flagged ``small_sample`` (shown, not hidden).

    Returns
    -------
    frame
        ``by..., responses, promoters, passives, detractors, nps, ci_low, ci_high,
        small_sample``; NPS and its bounds on −100..100.

    Examples
    --------
    >>> import polars as pl
    >>> answers = pl.DataFrame({"survey": ["nps"] * 4, "score": [10, 9, 7, 3]})
    >>> nps(answers)["nps"].item()
    25.0
    """
    cols = _columns(by)
    return _finish(nps_counts(surveys, cols, confidence, min_responses), cols, surveys)


def csat_counts(
    surveys: Any, cols: list[str], confidence: float, min_responses: int
) -> pl.DataFrame:
    """:func:`csat` as polars, for callers inside cxlib."""
    counts = _counts(surveys, "csat", cols, {"satisfied": nw.col("score") >= 4})
    low, high = wilson("satisfied", "responses", confidence)
    return counts.select(
        *cols,
        pl.col("responses").cast(pl.Int64),
        pl.col("satisfied").cast(pl.Int64),
        pl.when(pl.col("responses") > 0)
        .then(pl.col("satisfied") / pl.col("responses"))
        .alias("csat"),
        low.alias("ci_low"),
        high.alias("ci_high"),
        (pl.col("responses") < min_responses).alias("small_sample"),
    )


def csat(
    surveys: Any,
    *,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    min_responses: int = SMALL_GROUP,
) -> Any:
    """Customer satisfaction: the top-two-box share (4–5 on 1–5) with a Wilson interval.

    Parameters
    ----------
    surveys : frame
        Canonical surveys (``survey``, ``score``); only ``survey == "csat"`` rows with a
        score count.
    by : str or list of str, optional
        Grouping columns (touchpoint, channel, month, ...).
    confidence : float
        Interval level.
    min_responses : int
        Groups with fewer answers are flagged ``small_sample`` (shown, not hidden).

    Returns
    -------
    frame
        ``by..., responses, satisfied, csat, ci_low, ci_high, small_sample``; ``csat`` and
        its bounds are shares (0–1).

    Examples
    --------
    >>> import polars as pl
    >>> answers = pl.DataFrame({"survey": ["csat"] * 4, "score": [5, 4, 3, 1]})
    >>> csat(answers)["csat"].item()
    0.5
    """
    cols = _columns(by)
    return _finish(csat_counts(surveys, cols, confidence, min_responses), cols, surveys)


def ces_counts(
    surveys: Any, cols: list[str], confidence: float, min_responses: int
) -> pl.DataFrame:
    """:func:`ces` as polars, for callers inside cxlib."""
    counts = _counts(surveys, "ces", cols, {"easy": nw.col("score") >= 5}, squares=True)
    n = pl.col("responses").cast(pl.Float64)
    mean = pl.col("__sum") / n
    # sample variance from the sums; clipped at 0 against rounding when all answers tie
    variance = ((pl.col("__sumsq") - n * mean**2) / (n - 1)).clip(lower_bound=0.0)
    counts = counts.with_columns(
        pl.when(n > 0).then(mean).alias("ces"),
        pl.when(n > 1).then(variance.sqrt()).alias("sd"),
    )
    # t quantile per group (its own degrees of freedom); groups are few, the data is not
    degrees = counts.get_column("responses").cast(pl.Float64) - 1
    level = 0.5 + confidence / 2
    t = pl.Series(
        "__t", [float(stats.t.ppf(level, k)) if k >= 1 else None for k in degrees], dtype=pl.Float64
    )
    half = pl.col("__t") * pl.col("sd") / n.sqrt()
    return counts.with_columns(t).select(
        *cols,
        pl.col("responses").cast(pl.Int64),
        pl.col("easy").cast(pl.Int64),
        pl.when(n > 0).then(pl.col("easy") / n).alias("easy_share"),
        "ces",
        "sd",
        (pl.col("ces") - half).alias("ci_low"),
        (pl.col("ces") + half).alias("ci_high"),
        (pl.col("responses") < min_responses).alias("small_sample"),
    )


def ces(
    surveys: Any,
    *,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    min_responses: int = SMALL_GROUP,
) -> Any:
    """Customer effort score: the mean of the 1–7 scale with a Student-t interval.

    The CES question reads "the company made it easy for me to ..." (1 = strongly disagree,
    7 = strongly agree), so a higher CES means less effort. ``easy`` counts answers 5–7.
    A group of one answer has no spread: its ``sd`` and interval are null.

    Parameters
    ----------
    surveys : frame
        Canonical surveys (``survey``, ``score``); only ``survey == "ces"`` rows with a
        score count.
    by : str or list of str, optional
        Grouping columns (channel, month, ...).
    confidence : float
        Interval level.
    min_responses : int
        Groups with fewer answers are flagged ``small_sample`` (shown, not hidden).

    Returns
    -------
    frame
        ``by..., responses, easy, easy_share, ces, sd, ci_low, ci_high, small_sample``.

    Examples
    --------
    >>> import polars as pl
    >>> answers = pl.DataFrame({"survey": ["ces"] * 4, "score": [7, 6, 5, 2]})
    >>> ces(answers)["ces"].item()
    5.0
    """
    cols = _columns(by)
    return _finish(ces_counts(surveys, cols, confidence, min_responses), cols, surveys)
