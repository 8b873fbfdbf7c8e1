"""Survey metrics with honest intervals: NPS (and, with the voice-of-customer work, CSAT, CES).

NPS = % promoters (9–10) − % detractors (0–6) on the 0–10 "how likely are you to recommend"
scale, reported on −100..100. Its interval is the adjusted-Wald interval of Rocks (2016):
add ¾ of a promoter, ¾ of a detractor and 3 responses in all (so 1½ passives), then use
the normal approximation of the difference of two multinomial proportions. It keeps its
nominal coverage for small groups, where the plain Wald interval is too narrow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw
import polars as pl

from cxlib._engine import lazy, like_input, require, to_polars
from cxlib._stats import z_value

SMALL_GROUP = 30  # fewer answers than this: the group is flagged, not hidden


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
    cols = [by] if isinstance(by, str) else list(by or [])
    frame = lazy(surveys)
    require(frame, ["survey", "score", *cols], what="surveys")
    score = nw.col("score")
    answers = frame.filter(nw.col("survey") == "nps").with_columns(
        (score >= 9).cast(nw.Int64).alias("__p"), (score <= 6).cast(nw.Int64).alias("__d")
    )
    aggregations = [
        nw.len().alias("responses"),
        nw.col("__p").sum().alias("promoters"),
        nw.col("__d").sum().alias("detractors"),
    ]
    summary = answers.group_by(*cols).agg(*aggregations) if cols else answers.select(*aggregations)
    counts = to_polars(summary)
    z = z_value(confidence)
    n, p, d = (pl.col(c).cast(pl.Float64) for c in ("responses", "promoters", "detractors"))
    n_adj = n + 3
    p_adj, d_adj = (p + 0.75) / n_adj, (d + 0.75) / n_adj
    centre = p_adj - d_adj
    half = z * ((p_adj + d_adj - centre**2) / n_adj).sqrt()
    result = counts.select(
        *cols,
        pl.col("responses").cast(pl.Int64),
        pl.col("promoters").cast(pl.Int64),
        (pl.col("responses") - pl.col("promoters") - pl.col("detractors"))
        .cast(pl.Int64).alias("passives"),
        pl.col("detractors").cast(pl.Int64),
        pl.when(n > 0).then(100 * (p - d) / n).alias("nps"),
        (100 * (centre - half)).clip(-100, 100).alias("ci_low"),
        (100 * (centre + half)).clip(-100, 100).alias("ci_high"),
        (pl.col("responses") < min_responses).alias("small_sample"),
    )
    if cols:
        result = result.sort(cols, nulls_last=True)
    return like_input(result, surveys)
