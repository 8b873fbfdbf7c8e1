"""Did the score move? NPS, CSAT and CES compared between two periods (or any two groups).

Each comparison takes the per-group counts of :mod:`cxlib.voc._satisfaction` (computed in the
caller's engine) and tests the change:

* **NPS**: difference of the adjusted-Wald NPS of both periods (¾ promoter, ¾ detractor and 3
  answers added to each); the variances of the two adjusted NPS add, which gives the interval
  of the difference and a z-test (Rocks 2016; Sauro & Lewis, *Quantifying the User
  Experience*, 2nd ed., ch. 5).
* **CSAT**: two-proportion z-test with the pooled proportion for the p-value, and Newcombe's
  (1998) hybrid score interval (his method 10, built from the two Wilson intervals) for the
  difference, which keeps its coverage for small groups and shares near 0 or 1.
* **CES**: Welch's t-test on the two means (unequal variances, Satterthwaite degrees of
  freedom).

``difference`` is always *after − before*, in the metric's unit (NPS points, CSAT share,
CES points).

Open periods: :func:`with_period` flags the period the data ends inside ``complete=False``.
Its answers are still coming in, so by default the comparisons leave it out (the last two
*complete* periods); comparing with it on request works, with an :class:`OpenPeriodWarning`
and ``complete=False`` on the result.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import narwhals as nw
import numpy as np
import polars as pl
from scipy import stats

from cxlib._engine import lazy, like_input, require, to_polars
from cxlib._errors import DataError
from cxlib._stats import nps_difference, two_proportions, z_value
from cxlib.voc._satisfaction import SMALL_GROUP, ces_counts, csat_counts, nps_counts

Every = Literal["month", "quarter", "year"]
_TRUNCATE = {"month": "1mo", "quarter": "1q", "year": "1y"}
COMPLETE = "complete"  # with_period's flag: the period was over when the data ends


class OpenPeriodWarning(UserWarning):
    """A comparison uses a period that was still open when the data ends: not final."""


def with_period(
    surveys: Any,
    *,
    every: Every = "month",
    column: str = "ts",
    name: str = "period",
    as_of: date | datetime | str | None = None,
) -> Any:
    """Add ``name``: the start of the calendar month, quarter or year of ``column``, and
    ``complete``: whether that period was over when the data ends.

    The data is taken to cover every day up to the day of its latest answer (``as_of``
    when given: the last day the data covers), that day included. A period is complete
    when its last day is on or before that day; the period the data stops in the middle of
    (and any after it) is open: answers are still coming in and its scores are not final.
    Use ``by=["period", "complete"]`` in :func:`cxlib.nps` to carry the flag to a chart;
    the ``*_change`` functions leave open periods out of their default comparison.

    Computed in the frame's own engine (the latest answer is one small aggregate), so the
    result feeds ``by=`` of :func:`cxlib.nps`, :func:`cxlib.csat`, :func:`cxlib.ces` or
    ``period=`` of the ``*_change`` functions.

    Parameters
    ----------
    surveys : frame
        Survey answers (any supported library).
    every : {"month", "quarter", "year"}
        Calendar period.
    column : str
        Datetime (or date) column to group by; periods follow its time zone (UTC for
        canonical surveys).
    name : str
        Name of the added period column.
    as_of : date, datetime or str, optional
        Last day the data covers (``"2025-06-30"``); default: the day of the latest
        ``column`` value.

    Returns
    -------
    frame
        ``surveys`` with ``name`` (period start) and ``complete`` (bool; null where
        ``column`` is null) added.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> answers = cx.with_period(ds.surveys, every="quarter")
    >>> answers["period"].n_unique()
    4
    >>> bool(answers["complete"].all())  # the sample ends on 31 December
    True
    >>> mid_year = cx.with_period(ds.surveys, every="quarter", as_of="2025-08-15")
    >>> open_periods = mid_year.filter(~mid_year["complete"])["period"].unique().sort()
    >>> open_periods.dt.strftime("%Y-%m").to_list()  # Q3 stops mid-way; Q4 is to come
    ['2025-07', '2025-10']
    """
    if every not in _TRUNCATE:
        raise DataError(f"every={every!r}; use one of {list(_TRUNCATE)}")
    require(lazy(surveys), [column], what="surveys")
    frame = surveys if isinstance(surveys, nw.DataFrame | nw.LazyFrame) else nw.from_native(surveys)
    frame = frame.with_columns(nw.col(column).dt.truncate(_TRUNCATE[every]).alias(name))
    first_open = _first_open(lazy(surveys), column, every, as_of)
    complete = nw.lit(False) if first_open is None else nw.col(name) < nw.lit(first_open)
    flag = nw.when(~nw.col(name).is_null()).then(complete)
    return nw.to_native(frame.with_columns(flag.alias(COMPLETE)))


def _first_open(frame: nw.LazyFrame, column: str, every: str, as_of: Any) -> Any:
    """Start of the first period not over on the data's last day, as a value comparable
    with ``column`` (same time zone, or a date); None when there is no answer."""
    dtype = frame.collect_schema()[column]
    zone = getattr(dtype, "time_zone", None)
    zone = None if zone is None else ZoneInfo(zone)
    latest = to_polars(frame.select(nw.col(column).max())).item()
    if as_of is not None:
        latest = _moment(as_of, zone)
    if latest is None:
        return None
    last_day = latest.date() if isinstance(latest, datetime) else latest
    day = last_day + timedelta(days=1)
    month = {"month": day.month, "quarter": 3 * ((day.month - 1) // 3) + 1, "year": 1}[every]
    if dtype == nw.Date:
        return date(day.year, month, 1)
    return datetime(day.year, month, 1, tzinfo=zone)


def _moment(as_of: Any, zone: ZoneInfo | None) -> date | datetime:
    """``as_of`` as a date or datetime; an aware datetime in the data's time ``zone``."""
    if isinstance(as_of, str):
        try:
            as_of = datetime.fromisoformat(as_of)
        except ValueError:
            raise DataError(f"as_of={as_of!r} is not a date; use e.g. '2025-06-30'") from None
    if not isinstance(as_of, date):
        raise DataError(f"as_of={as_of!r} is not a date; use e.g. '2025-06-30'")
    if isinstance(as_of, datetime) and as_of.tzinfo is not None and zone is not None:
        return as_of.astimezone(zone)
    return as_of


def _label(value: Any) -> str:
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, date) else str(value)


def _matches(values: pl.Series, wanted: Any) -> pl.Series:
    if isinstance(wanted, str) and values.dtype != pl.String:
        return values.cast(pl.String).str.slice(0, len(wanted)) == wanted
    if isinstance(wanted, date) and not isinstance(wanted, datetime) and values.dtype.is_temporal():
        return values.cast(pl.Date) == wanted
    return values == wanted


def _open_periods(surveys: Any, period: str) -> pl.Series | None:
    """The values of ``period`` flagged open by :func:`with_period`'s ``complete`` column;
    None when there is no such column or it does not describe ``period`` (it varies
    inside one value, e.g. ``period="churned"``)."""
    frame = lazy(surveys)
    if period == COMPLETE or COMPLETE not in frame.collect_schema().names():
        return None
    flags = to_polars(
        frame.filter(~nw.col(period).is_null())
        .select(period, nw.col(COMPLETE).cast(nw.Int8).alias("__f"))
        .group_by(period)
        .agg(nw.col("__f").min().alias("__lo"), nw.col("__f").max().alias("__hi"))
    )
    if (flags["__lo"] != flags["__hi"]).any():
        return None
    return flags.filter(pl.col("__lo") != 1).get_column(period)


def _pick(
    counts: pl.DataFrame, period: str, before: Any, after: Any, open_periods: pl.Series | None
) -> tuple[Any, Any, bool]:
    """(before, after, both complete): the last two complete periods by default."""
    present = counts.get_column(period).drop_nulls().unique().sort()
    still_open = open_periods if open_periods is not None else present.clear()
    if before is None and after is None:
        complete = present.filter(~present.is_in(still_open.implode()))
        if complete.len() < 2:
            left_out = (
                f" (left out, still open: {', '.join(_label(v) for v in still_open.sort())}; "
                "pass before= and after= to compare with it anyway)"
                if still_open.len()
                else " (pass before= and after=)"
            )
            raise DataError(
                f"period column {period!r} has {complete.len()} complete value(s); two are "
                f"needed to compare{left_out}"
            )
        return complete[-2], complete[-1], True
    if before is None or after is None:
        raise DataError("pass both before= and after= (or neither: the last two periods)")
    for wanted in (before, after):
        if not _matches(present, wanted).any():
            raise DataError(
                f"{period}={wanted!r} is not in the data; it has "
                f"{[str(v) for v in present.to_list()][:12]}"
            )
    opened = [w for w in (before, after) if _matches(still_open, w).any()]
    if opened:
        warnings.warn(
            f"{period}={_label(opened[-1])!r} was still open when the data ends: answers "
            "are still coming in, so its score is not final and the change may be "
            "misleading (the result says complete=False)",
            OpenPeriodWarning,
            stacklevel=4,
        )
    return before, after, not opened


def _compare(
    surveys: Any,
    counts_of: Callable[..., pl.DataFrame],
    stats_of: Callable[..., pl.DataFrame],
    *,
    period: str,
    before: Any,
    after: Any,
    by: str | Sequence[str] | None,
    confidence: float,
    min_responses: int,
    value: str,
) -> Any:
    cols = [by] if isinstance(by, str) else list(by or [])
    counts = counts_of(surveys, [*cols, period], confidence, min_responses)
    before, after, complete = _pick(counts, period, before, after, _open_periods(surveys, period))
    sides = []
    for label, wanted in (("before", before), ("after", after)):
        side = counts.filter(_matches(counts.get_column(period), wanted)).drop(period)
        keep = [c for c in side.columns if c not in cols]
        sides.append(side.rename({c: f"{c}_{label}" for c in keep}))
    if cols:
        joined = sides[0].join(sides[1], on=cols, how="full", coalesce=True, nulls_equal=True)
    else:
        joined = pl.concat(sides, how="horizontal")
    result = stats_of(joined, z_value(confidence), confidence)
    result = joined.select(
        *cols,
        pl.lit(_label(before)).alias("before"),
        pl.lit(_label(after)).alias("after"),
        pl.col("responses_before").fill_null(0).cast(pl.Int64),
        pl.col("responses_after").fill_null(0).cast(pl.Int64),
        pl.col(f"{value}_before"),
        pl.col(f"{value}_after"),
    ).hstack(result)
    result = result.with_columns(
        (pl.col("p_value") < 1 - confidence).fill_null(False).alias("significant"),
        (
            (pl.col("responses_before") < min_responses)
            | (pl.col("responses_after") < min_responses)
        ).alias("small_sample"),
        pl.lit(complete).alias(COMPLETE),
    )
    if cols:
        result = result.sort(cols, nulls_last=True)
    return like_input(result, surveys)


def _counts(joined: pl.DataFrame, *names: str) -> list[np.ndarray]:
    return [joined[name].fill_null(0).to_numpy().astype(float) for name in names]


def _nps_stats(joined: pl.DataFrame, z: float, confidence: float) -> pl.DataFrame:
    # adjusted Wald (Rocks 2016), the test every NPS difference in cxlib uses (_stats)
    before = _counts(joined, "promoters_before", "detractors_before", "responses_before")
    after = _counts(joined, "promoters_after", "detractors_after", "responses_after")
    test = nps_difference(*after, *before, confidence=confidence, adjusted=True)
    test["difference"] = (joined["nps_after"] - joined["nps_before"]).to_numpy().astype(float)
    return pl.DataFrame(test, nan_to_null=True)


def _csat_stats(joined: pl.DataFrame, z: float, confidence: float) -> pl.DataFrame:
    # Newcombe (1998) method 10 interval and the pooled z-test, shared with _stats
    after = _counts(joined, "satisfied_after", "responses_after")
    before = _counts(joined, "satisfied_before", "responses_before")
    test = two_proportions(*after, *before, confidence=confidence)
    return pl.DataFrame(test, nan_to_null=True)


def _ces_stats(joined: pl.DataFrame, z: float, confidence: float) -> pl.DataFrame:
    m_b, m_a = joined["ces_before"].to_numpy(), joined["ces_after"].to_numpy()
    s_b, s_a = joined["sd_before"].to_numpy(), joined["sd_after"].to_numpy()
    n_b = joined["responses_before"].fill_null(0).to_numpy().astype(float)
    n_a = joined["responses_after"].fill_null(0).to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        v_b, v_a = s_b.astype(float) ** 2 / n_b, s_a.astype(float) ** 2 / n_a
        se = np.sqrt(v_a + v_b)
        # Welch–Satterthwaite degrees of freedom
        df = (v_a + v_b) ** 2 / (v_a**2 / (n_a - 1) + v_b**2 / (n_b - 1))
        diff = m_a.astype(float) - m_b.astype(float)
        statistic = diff / se
    t = stats.t.ppf(0.5 + confidence / 2, df)
    return pl.DataFrame(
        {
            "difference": diff,
            "ci_low": diff - t * se,
            "ci_high": diff + t * se,
            "t": statistic,
            "df": df,
            "p_value": 2 * stats.t.sf(np.abs(statistic), df),
        },
        nan_to_null=True,
    )


def nps_change(
    surveys: Any,
    *,
    period: str = "period",
    before: Any = None,
    after: Any = None,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    min_responses: int = SMALL_GROUP,
) -> Any:
    """Change in NPS between two values of ``period``, with its interval and a z-test.

    Parameters
    ----------
    surveys : frame
        Canonical surveys with a ``period`` column (see :func:`cxlib.with_period`); any
        two-valued column works too (e.g. ``churned`` with ``before=False, after=True``).
    period : str
        Column holding the period (or group) to compare.
    before, after : optional
        The two values to compare; a string matches the start of the value's text
        (``"2025-04"``). Default: the last two *complete* periods: a period that
        :func:`cxlib.with_period` flags open (``complete`` False: the data ends inside
        it) is left out, as its answers are still coming in. Naming an open period
        compares it anyway, with an :class:`OpenPeriodWarning` and ``complete=False``.
    by : str or list of str, optional
        Compare within each group (channel, country, ...).
    confidence : float
        Interval level; ``significant`` means ``p_value < 1 − confidence``.
    min_responses : int
        Either side with fewer answers flags the row ``small_sample``.

    Returns
    -------
    frame
        ``by..., before, after, responses_before, responses_after, nps_before, nps_after,
        difference, ci_low, ci_high, z, p_value, significant, small_sample, complete``; NPS
        points. ``complete`` is False when one of the two periods is still open.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> change = cx.nps_change(cx.with_period(ds.surveys, every="quarter"))
    >>> change.select("before", "after").row(0)
    ('2025-07-01', '2025-10-01')
    """
    return _compare(
        surveys,
        nps_counts,
        _nps_stats,
        period=period,
        before=before,
        after=after,
        by=by,
        confidence=confidence,
        min_responses=min_responses,
        value="nps",
    )


def csat_change(
    surveys: Any,
    *,
    period: str = "period",
    before: Any = None,
    after: Any = None,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    min_responses: int = SMALL_GROUP,
) -> Any:
    """Change in CSAT (top-two-box share) between two periods: two-proportion z-test and
    Newcombe's interval for the difference.

    Parameters are those of :func:`nps_change`.

    Returns
    -------
    frame
        ``by..., before, after, responses_before, responses_after, csat_before, csat_after,
        difference, ci_low, ci_high, z, p_value, significant, small_sample, complete``;
        shares (0–1).

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> change = cx.csat_change(cx.with_period(ds.surveys, every="quarter"))
    >>> bool(change["ci_low"].item() < change["difference"].item() < change["ci_high"].item())
    True
    """
    return _compare(
        surveys,
        csat_counts,
        _csat_stats,
        period=period,
        before=before,
        after=after,
        by=by,
        confidence=confidence,
        min_responses=min_responses,
        value="csat",
    )


def ces_change(
    surveys: Any,
    *,
    period: str = "period",
    before: Any = None,
    after: Any = None,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    min_responses: int = SMALL_GROUP,
) -> Any:
    """Change in mean CES between two periods: Welch's t-test and its interval.

    Parameters are those of :func:`nps_change`.

    Returns
    -------
    frame
        ``by..., before, after, responses_before, responses_after, ces_before, ces_after,
        difference, ci_low, ci_high, t, df, p_value, significant, small_sample, complete``.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> change = cx.ces_change(cx.with_period(ds.surveys, every="quarter"))
    >>> change.columns[-4:]
    ['p_value', 'significant', 'small_sample', 'complete']
    """
    return _compare(
        surveys,
        ces_counts,
        _ces_stats,
        period=period,
        before=before,
        after=after,
        by=by,
        confidence=confidence,
        min_responses=min_responses,
        value="ces",
    )
