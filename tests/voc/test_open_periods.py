"""Open periods in survey trends: ``with_period``'s ``complete`` flag, and the ``*_change``
comparisons that leave the period the data stops in out of their default comparison.

The data is taken to cover every day up to the day of its last answer: a calendar period
is complete when its last day is on or before that day.
"""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from conftest import to_polars
from hypothesis import given, settings
from hypothesis import strategies as st

import cxlib as cx


def _quarter_end(day: date) -> date:
    """Last day of the calendar quarter holding ``day`` (written out, not computed)."""
    ends = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}
    month, last = ends[(day.month - 1) // 3 + 1]
    return date(day.year, month, last)


def _flags(frame) -> dict[date, bool]:
    """period start -> complete (the flag must be the same on every row of a period)."""
    table = to_polars(frame).group_by("period").agg(pl.col("complete").unique())
    assert all(len(v) == 1 for v in table["complete"]), table
    return {p.date(): v[0] for p, v in table.rows()}


@pytest.mark.parametrize(
    ("last_answer", "third_quarter_complete"),
    [
        (datetime(2025, 9, 29, 18, tzinfo=UTC), False),  # a day of the quarter still to come
        (datetime(2025, 9, 30, 0, 5, tzinfo=UTC), True),  # the data reaches its last day
        (datetime(2025, 10, 1, 0, 0, tzinfo=UTC), False),  # Q3 over, Q4 begun: Q4 open
    ],
)
def test_with_period_flags_the_quarter_the_data_stops_in(
    constructor, last_answer, third_quarter_complete
):
    ts = [datetime(2025, 2, 3, tzinfo=UTC), datetime(2025, 5, 6, tzinfo=UTC), last_answer]
    frame = constructor({"ts": ts, "survey": ["nps"] * 3, "score": [10.0, 9.0, 1.0]})
    flags = _flags(cx.with_period(frame, every="quarter"))
    expected = {date(2025, 1, 1): True, date(2025, 4, 1): True}
    if last_answer.month == 10:
        expected |= {date(2025, 10, 1): False}
    else:
        expected |= {date(2025, 7, 1): third_quarter_complete}
    assert flags == expected


def test_with_period_as_of_is_the_last_day_the_data_covers():
    ts = [datetime(2025, 1, 10, tzinfo=UTC), datetime(2025, 3, 28, 9, tzinfo=UTC)]
    answers = pl.DataFrame({"ts": ts, "survey": ["nps"] * 2, "score": [10.0, 0.0]})
    assert _flags(cx.with_period(answers, every="month")) == {
        date(2025, 1, 1): True,
        date(2025, 3, 1): False,
    }
    # the extract is known to cover March: nobody answered in its last three days
    covered = cx.with_period(answers, every="month", as_of="2025-03-31")
    assert _flags(covered) == {date(2025, 1, 1): True, date(2025, 3, 1): True}
    early = cx.with_period(answers, every="year", as_of=date(2025, 12, 30))
    assert _flags(early) == {date(2025, 1, 1): False}
    with pytest.raises(cx.DataError, match="as_of"):
        cx.with_period(answers, as_of="end of March")


@settings(max_examples=60, deadline=None)
@given(
    days=st.lists(st.dates(date(2023, 1, 1), date(2026, 12, 31)), min_size=1, max_size=20),
    hour=st.integers(0, 23),
)
def test_with_period_complete_matches_a_brute_force_calendar(days, hour):
    ts = [datetime(d.year, d.month, d.day, hour, tzinfo=UTC) for d in days]
    answers = pl.DataFrame({"ts": ts, "survey": ["nps"] * len(ts), "score": [9.0] * len(ts)})
    result = cx.with_period(answers, every="quarter")
    last_day = max(days)
    for day, complete in zip(days, result["complete"], strict=True):
        assert complete == (_quarter_end(day) <= last_day), (day, last_day)


def test_nps_by_period_carries_the_flag_to_the_chart_frame():
    ts = [datetime(2025, 1, 5, tzinfo=UTC), datetime(2025, 2, 5, tzinfo=UTC)]
    answers = cx.with_period(
        pl.DataFrame({"ts": ts, "survey": ["nps"] * 2, "score": [10.0, 3.0]}), every="month"
    )
    trend = cx.nps(answers, by=["period", "complete"]).sort("period")
    assert trend.select("complete", "nps").rows() == [(True, 100.0), (False, -100.0)]


def _planted(constructor) -> object:
    """Two full quarters with the same NPS (+20 of 100 answers each), then the first week
    of a third quarter whose early answers are detractors: a false drop if compared."""
    rows = []
    for start in (date(2025, 1, 1), date(2025, 4, 1)):
        scores = [10] * 40 + [8] * 40 + [2] * 20
        rows += [(start + timedelta(days=i % 85), s) for i, s in enumerate(scores)]
    rows += [(date(2025, 7, 1) + timedelta(days=i % 7), 1) for i in range(40)]
    return constructor(
        {
            "ts": [datetime(d.year, d.month, d.day, 12, tzinfo=UTC) for d, _ in rows],
            "survey": ["nps"] * len(rows),
            "score": [float(s) for _, s in rows],
        }
    )


def test_open_quarter_does_not_show_as_a_drop_in_the_default_comparison(constructor):
    answers = cx.with_period(_planted(constructor), every="quarter")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default comparison has nothing to warn about
        change = to_polars(cx.nps_change(answers)).row(0, named=True)
    assert (change["before"], change["after"]) == ("2025-01-01", "2025-04-01")
    assert change["difference"] == pytest.approx(0.0)
    assert not change["significant"] and change["complete"]


def test_asking_for_the_open_quarter_compares_it_but_says_it_is_not_final():
    answers = cx.with_period(_planted(pl.DataFrame), every="quarter")
    with pytest.warns(cx.voc.OpenPeriodWarning, match="2025-07.*not final"):
        change = cx.nps_change(answers, before="2025-04", after="2025-07").row(0, named=True)
    assert change["difference"] == pytest.approx(-120.0)  # the false drop, flagged
    assert change["significant"] and not change["complete"]


@pytest.mark.parametrize("change", [cx.nps_change, cx.csat_change, cx.ces_change])
def test_every_change_needs_two_complete_periods_and_names_the_open_one(change):
    survey = {cx.nps_change: "nps", cx.csat_change: "csat", cx.ces_change: "ces"}[change]
    ts = [datetime(2025, 3, 3, tzinfo=UTC)] * 3 + [datetime(2025, 4, 9, tzinfo=UTC)] * 3
    answers = cx.with_period(
        pl.DataFrame({"ts": ts, "survey": [survey] * 6, "score": [1.0, 2, 3, 1, 2, 3]})
    )
    with pytest.raises(cx.DataError, match=r"1 complete value.*still open: 2025-04-01"):
        change(answers)


def test_a_flag_that_does_not_describe_the_compared_column_is_ignored():
    # comparing churned against stayed on answers that went through with_period: the
    # "complete" flag varies inside each group, so it says nothing about them
    ts = [datetime(2025, 1, 5, tzinfo=UTC), datetime(2025, 2, 5, tzinfo=UTC)] * 2
    answers = cx.with_period(
        pl.DataFrame(
            {
                "ts": ts,
                "survey": ["nps"] * 4,
                "score": [10.0, 9.0, 2.0, 0.0],
                "churned": [False, False, True, True],
            }
        ),
        every="month",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        change = cx.nps_change(answers, period="churned", before=False, after=True)
    assert change["difference"].item() == -200.0 and change["complete"].item()
