"""Which segment differences are real: the sentence and the table column a page shows under a
breakdown by segment, from :func:`cxlib.journey.funnel_difference`,
:func:`cxlib.journey.retention_difference` or :func:`cxlib.voc.score_difference`.

A difference is *real* when its Benjamini–Hochberg q-value (false discovery rate over
every test of that comparison) is below 5%. The page says so in words when the data has only
one segment, or too few customers in them to tell them apart, instead of failing. Private
to :mod:`cxlib.pages`; shown through :mod:`cxlib.pages.findings`.

Examples
--------
>>> import polars as pl
>>> from cxlib.voc import score_difference
>>> nps = pl.DataFrame({"plan": ["basic", "pro"], "responses": [400, 400],
...     "promoters": [200, 120], "passives": [120, 120], "detractors": [80, 160]})
>>> print(segment_difference_sentence(score_difference(nps)))  # doctest: +NORMALIZE_WHITESPACE
Real differences from the rest, by plan (1 of 1 comparison; false discovery rate 5%):
- basic: NPS 30.0 against −10.0 for the rest (+40.0 points, q < 0.001)
"""

from __future__ import annotations

from typing import Any

import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import to_polars
from cxlib.pages._wording import Finding, _number
from cxlib.pages.tables import Table, table

ALPHA = 0.05
_SHOWN = 8  # differences listed in a sentence; the rest are counted
_FIRST = {"funnel": "step_index", "retention": "customers", "score": "metric"}


def _kind(frame: pl.DataFrame) -> str:
    if "hazard_ratio" in frame.columns:
        return "retention"
    if "step_index" in frame.columns:
        return "funnel"
    if "metric" in frame.columns:
        return "score"
    raise ValueError(
        "expected a result of funnel_difference, retention_difference or score_difference"
    )


def _segments(frame: pl.DataFrame, kind: str) -> list[str]:
    return frame.columns[: frame.columns.index(_FIRST[kind])]


def _value(column: str, value: Any) -> str:
    if value is None:
        return i18n._("(missing)")
    if isinstance(value, bool):  # a yes/no column: "churned = yes"
        return f"{column} = {i18n._('yes') if value else i18n._('no')}"
    return str(value)


def _name(row: dict[str, Any], cols: list[str]) -> str:
    return " / ".join(_value(c, row[c]) for c in cols)


def q_text(q: Any) -> str:
    """ "q < 0.001" or "q = 0.012": a q-value as a sentence writes it."""
    value = _number(q)
    if value is None:
        return ""
    if value < 0.001:
        return i18n.t("q < {q}", q=i18n.number(0.001, 3))
    return i18n.t("q = {q}", q=i18n.number(value, 3))


def _signed(value: float, decimals: int = 1) -> str:
    text = i18n.number(abs(value), decimals)
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else text)


def _share(value: Any) -> str:
    number = _number(value)
    return "–" if number is None else i18n.percent(number, 1)


def _item(row: dict[str, Any], kind: str, name: str) -> str:
    q = q_text(row["q_value"])
    if kind == "funnel":
        return i18n.t(
            "{segment}: {rate} reached {step} against {rest} of the rest ({difference} "
            "points, {q})",
            segment=name,
            rate=_share(row["rate"]),
            step=row["step"],
            rest=_share(row["rest_rate"]),
            difference=_signed(100 * row["difference"]),
            q=q,
        )
    if kind == "retention":
        faster = row["hazard_ratio"] > 1
        return i18n.t(
            "{segment}: {share} came back, {pace} than the rest (return rate {ratio} times "
            "the rest's, {low}–{high}; {q})",
            segment=name,
            share=_share(row["return_share"]),
            pace=i18n._("sooner") if faster else i18n._("later"),
            ratio=i18n.number(row["hazard_ratio"], 2),
            low=i18n.number(row["ci_low"], 2),
            high=i18n.number(row["ci_high"], 2),
            q=q,
        )
    if row["metric"] == "nps":
        return i18n.t(
            "{segment}: NPS {score} against {rest} for the rest ({difference} points, {q})",
            segment=name,
            score=_signed(row["score"]).lstrip("+"),
            rest=_signed(row["rest_score"]).lstrip("+"),
            difference=_signed(row["difference"]),
            q=q,
        )
    values = {
        "segment": name,
        "score": _share(row["score"]),
        "rest": _share(row["rest_score"]),
        "difference": _signed(100 * row["difference"]),
        "q": q,
    }
    if row["metric"] == "csat":
        return i18n.t(
            "{segment}: {score} satisfied against {rest} of the rest ({difference} points, {q})",
            **values,
        )
    return i18n.t(
        "{segment}: {score} found it easy against {rest} of the rest ({difference} points, {q})",
        **values,
    )


def segment_difference_sentence(difference: Any, *, alpha: float = ALPHA) -> Finding:
    """Which segments differ from the rest beyond chance, listed with their q-values; or that
    none does, that there is only one segment, or too few customers to tell.

    Parameters
    ----------
    difference : frame
        A result of :func:`cxlib.journey.funnel_difference`,
        :func:`cxlib.journey.retention_difference` or :func:`cxlib.voc.score_difference`.
    alpha : float
        The false discovery rate that comparison used (its ``alpha``), for the wording.

    Returns
    -------
    Finding
        A lead sentence and, when some differences are real, one item per difference (the
        smallest q-values first, at most eight, the rest counted). With two segments the
        one comparison is listed once.

    Examples
    --------
    >>> import polars as pl
    >>> from cxlib.journey import funnel_difference
    >>> funnel = pl.DataFrame({"plan": ["a", "a"], "step_index": [1, 2],
    ...     "step": ["visit", "buy"], "customers": [400, 200]})
    >>> print(segment_difference_sentence(funnel_difference(funnel)))
    The data has only one plan, so there are no segments to compare.
    """
    frame = to_polars(difference)
    kind = _kind(frame)
    cols = _segments(frame, kind)
    what = " / ".join(cols)
    segments = frame.select(cols).unique().height
    if segments < 2:
        return Finding(
            i18n.t(
                "The data has only one {segment}, so there are no segments to compare.",
                segment=what,
            )
        )
    if segments == 2:  # one segment against the rest is the other against its rest
        first = frame.select(cols).unique(maintain_order=True).head(1)
        frame = frame.join(first, on=cols, how="semi", nulls_equal=True)
    tested = frame.filter(pl.col("p_value").is_not_null())
    if tested.is_empty() or (tested["small_sample"].all() and not tested["significant"].any()):
        return Finding(
            i18n.t(
                "Too few customers in each {segment} to tell the segments apart.",
                segment=what,
            )
        )
    real = frame.filter(pl.col("significant")).sort("q_value")
    rate = i18n.percent(alpha, 0)
    if real.is_empty():
        return Finding(
            i18n.t(
                "No {segment} differs from the rest beyond chance (false discovery rate "
                "{alpha}): the gaps between segments are within what random variation gives.",
                segment=what,
                alpha=rate,
            )
        )
    rows = list(real.iter_rows(named=True))
    items = [_item(row, kind, _name(row, cols)) for row in rows[:_SHOWN]]
    if len(rows) > _SHOWN:
        items.append(i18n.t("and {n} more", n=i18n.number(len(rows) - _SHOWN)))
    tally = i18n.nt(
        "{count} of {n} comparison",
        "{count} of {n} comparisons",
        tested.height,
        count=i18n.number(len(rows)),
    )
    head = i18n.t(
        "Real differences from the rest, by {segment} ({tally}; false discovery rate {alpha}):",
        segment=what,
        tally=tally,
        alpha=rate,
    )
    return Finding(head, items=tuple(items))


def segment_difference_table(difference: Any, *, title: str | None = None) -> Table:
    """The comparison as a table: each segment's figure, the rest's, the difference with its
    interval, and *Differs from the rest*: "yes (q < 0.001)" or "no (q = 0.43)" (empty
    where nothing could be tested), in the report's language. Shares are shown as
    percentages; NPS differences in points.

    Examples
    --------
    >>> import polars as pl
    >>> from cxlib.journey import funnel_difference
    >>> funnel = pl.DataFrame({"plan": ["a", "a", "b", "b"], "step_index": [1, 2, 1, 2],
    ...     "step": ["visit", "buy"] * 2, "customers": [400, 200, 400, 100]})
    >>> "yes (q &lt; 0.001)" in segment_difference_table(funnel_difference(funnel)).to_html()
    True
    """
    frame = to_polars(difference)
    kind = _kind(frame)
    cols = _segments(frame, kind)
    yes, no = i18n._("yes"), i18n._("no")
    verdict = (
        pl.when(pl.col("q_value").is_null())
        .then(None)
        .otherwise(
            pl.format(
                "{} ({})",
                pl.when(pl.col("significant")).then(pl.lit(yes)).otherwise(pl.lit(no)),
                pl.col("q_value").map_elements(q_text, return_dtype=pl.String),
            )
        )
        .alias("differs_from_the_rest")
    )
    if kind == "funnel":
        shown = [*cols, "step", "customers", "rate", "rest_rate", "difference", "ci_low",
                 "ci_high"]  # fmt: skip
        percent = ["rate", "rest_rate", "difference", "ci_low", "ci_high"]
    elif kind == "retention":
        shown = [*cols, "customers", "return_share", "median_days", "hazard_ratio", "ci_low",
                 "ci_high"]  # fmt: skip
        percent = ["return_share"]
    else:
        shown = [*cols, "responses", "score", "rest_score", "difference", "ci_low", "ci_high"]
        share = frame["metric"].first() != "nps" if frame.height else False
        percent = ["score", "rest_score", "difference", "ci_low", "ci_high"] if share else []
    return table(frame.select(*shown, verdict), title=title, percent=percent, max_rows=60)
