"""Do segments score differently? NPS, CSAT and CES by segment, each tested against the rest.

:func:`cxlib.nps`, :func:`cxlib.csat`, :func:`cxlib.ces` and :func:`cxlib.voc.scores` with
``by=`` give each segment's score with its interval; :func:`score_difference` says which
segments differ from the others by more than chance:

* **NPS** — an omnibus Pearson chi-square test of segment × answer category (promoter,
  passive, detractor): are the segments' answers alike? Then each segment against the rest
  (every other segment pooled): the NPS difference with a z-test, each NPS's variance
  ``(p + d − (p − d)²) / n`` from the adjusted-Wald estimates of Rocks (2016), as
  :func:`cxlib.nps_change` compares two periods.
* **CSAT** — the satisfied share (4–5 of 5): omnibus chi-square of segment × satisfied or
  not, and each segment against the rest with a two-proportion z-test (Newcombe's interval).
* **CES** — the share of easy answers (5–7 of 7), tested like CSAT: a proportion keeps the
  test exact in its assumptions where the 1–7 answers are far from normal; the mean CES of
  each group stays in the breakdown itself.

Every p-value of one call is adjusted with the omnibus one for the false discovery rate
(Benjamini–Hochberg): ``significant`` (``q_value < alpha``) marks the differences to report
as real. The statistics are the shared ones of :mod:`cxlib._stats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from cxlib._engine import like_input, to_polars
from cxlib._errors import DataError
from cxlib._stats import chi_square, nps_difference, versus_rest, with_q_values

# the columns of cx.nps / cx.csat / cx.ces results that are not segments
_SCORE_COLUMNS = {
    "responses", "promoters", "passives", "detractors", "nps", "satisfied", "csat", "easy",
    "easy_share", "ces", "sd", "ci_low", "ci_high", "small_sample", "survey", "metric",
}  # fmt: skip
_OUTPUT = [
    "metric", "responses", "score", "rest_responses", "rest_score", "difference", "ci_low",
    "ci_high", "p_value", "q_value", "significant", "small_sample", "omnibus_chi_square",
    "omnibus_df", "omnibus_p_value", "omnibus_q_value",
]  # fmt: skip


def _metric(columns: list[str]) -> str:
    if {"promoters", "passives", "detractors"} <= set(columns):
        return "nps"
    if "satisfied" in columns:
        return "csat"
    if "easy" in columns:
        return "ces"
    raise DataError(
        "score_difference needs a result of cx.nps, cx.csat or cx.ces with by=... "
        f"(columns promoters/passives/detractors, satisfied or easy); found {columns}"
    )


def _nps_tests(frame: pl.DataFrame, confidence: float) -> pl.DataFrame:
    k = {c: frame[c].cast(pl.Float64).to_numpy() for c in ("promoters", "detractors")}
    n = frame["responses"].cast(pl.Float64).to_numpy()
    rest = {c: v.sum() - v for c, v in k.items()}
    rest_n = n.sum() - n
    test = nps_difference(k["promoters"], k["detractors"], n, rest["promoters"],
                          rest["detractors"], rest_n, confidence=confidence,
                          adjusted=True)  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        score = 100 * (k["promoters"] - k["detractors"]) / n
        rest_score = 100 * (rest["promoters"] - rest["detractors"]) / rest_n
    # the normal approximation: at least 5 answers expected in each category on each side
    pooled = np.array([k["promoters"].sum(), k["detractors"].sum()]) / max(n.sum(), 1)
    smallest = np.minimum(n, rest_n) * min(*pooled, 1 - pooled.sum())
    columns = {"score": score, "rest_responses": rest_n, "rest_score": rest_score}
    return frame.with_columns(
        *(pl.Series(name, values, nan_to_null=True) for name, values in columns.items()),
        *(
            pl.Series(name, test[name], nan_to_null=True)
            for name in ("difference", "ci_low", "ci_high", "p_value")
        ),
        pl.Series("small_sample", ~(smallest >= 5)),
    )


def score_difference(
    scores: Any,
    *,
    by: str | Sequence[str] | None = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> Any:
    """Which segments' NPS, CSAT or CES differ from the rest, with FDR control.

    Parameters
    ----------
    scores : frame
        A score broken down by segment: :func:`cxlib.nps`, :func:`cxlib.csat`,
        :func:`cxlib.ces` or :func:`cxlib.voc.scores` with ``by=`` (the counts columns:
        ``responses`` and ``promoters, passives, detractors``, ``satisfied`` or ``easy``).
    by : str or list of str, optional
        The segment columns; by default every column that is not a score column.
    alpha : float
        False discovery rate: a difference is ``significant`` when its q-value is below it.
    confidence : float
        Level of the interval of each difference.

    Returns
    -------
    frame
        Same library as ``scores``, one row per segment: ``by..., metric`` (``nps``,
        ``csat`` or ``ces_easy``), ``responses``, ``score`` (NPS points, or the satisfied /
        easy share), ``rest_responses``, ``rest_score``, ``difference`` (score −
        rest_score), ``ci_low, ci_high``, ``p_value``, ``q_value`` (Benjamini–Hochberg over
        every test of the call), ``significant``, ``small_sample`` (an expected count below
        5: read with care), and the omnibus test across segments: ``omnibus_chi_square,
        omnibus_df, omnibus_p_value, omnibus_q_value``. With one segment the tests are null.

    Examples
    --------
    >>> import polars as pl
    >>> nps = pl.DataFrame({"plan": ["a", "b"], "responses": [200, 200],
    ...     "promoters": [120, 60], "passives": [50, 60], "detractors": [30, 80]})
    >>> result = score_difference(nps)
    >>> result.select("plan", "score", pl.col("difference").round(1), "significant").rows()
    [('a', 45.0, 55.0, True), ('b', -10.0, -55.0, True)]
    """
    frame = to_polars(scores)
    metric = _metric(frame.columns)
    if "responses" not in frame.columns:
        raise DataError("score_difference: the scores have no 'responses' column")
    known = _SCORE_COLUMNS | {"complete"} if by is None else set()
    cols = [by] if isinstance(by, str) else list(by or [])
    cols = cols or [c for c in frame.columns if c not in known]
    missing = [c for c in cols if c not in frame.columns]
    if not cols or missing:
        raise DataError(
            f"score_difference: no segment column{f' {missing[0]!r}' if missing else ''} in "
            f"the scores; compute them with by=... (e.g. cx.nps(surveys, by='channel'))"
        )
    frame = frame.filter(pl.col("responses") > 0)
    if metric == "nps":
        tested = _nps_tests(frame, confidence)
        table = frame.select("promoters", "passives", "detractors").to_numpy()
    else:
        hits = "satisfied" if metric == "csat" else "easy"
        tested = versus_rest(frame, cols, hits, "responses", confidence=confidence).rename(
            {"rate": "score", "rest_rate": "rest_score", "rest_trials": "rest_responses"}
        )
        k, n = frame[hits].to_numpy(), frame["responses"].to_numpy()
        table = np.column_stack([k, n - k])
    statistic, df, p, _ = chi_square(table)
    tested = tested.with_columns(
        pl.lit("ces_easy" if metric == "ces" else metric).alias("metric"),
        pl.col("rest_responses").cast(pl.Int64),
        pl.lit(None if np.isnan(statistic) else statistic, pl.Float64).alias("omnibus_chi_square"),
        pl.lit(df if frame.height > 1 else None, pl.Int64).alias("omnibus_df"),
        pl.lit(None if np.isnan(p) else p, pl.Float64).alias("omnibus_p_value"),
    )
    result = with_q_values(tested, alpha=alpha, omnibus=[]).select(*cols, *_OUTPUT)
    return like_input(result.sort(cols, nulls_last=True), scores)
