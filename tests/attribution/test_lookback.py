"""The lookback window: only touches close enough to the end of their journey count, for
every model; checked against a brute-force rebuild of the paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from conftest import assert_frame_matches, to_polars
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cxlib as cx
from cxlib import attribution

START = datetime(2025, 4, 1, tzinfo=UTC)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _frame(rows: list[tuple[str, float, str, str]]) -> dict[str, list]:
    """(customer, days after START, touchpoint, channel) rows as a touchpoints dict."""
    return {
        "customer_id": [r[0] for r in rows],
        "ts": [START + timedelta(days=r[1]) for r in rows],
        "touchpoint": [r[2] for r in rows],
        "channel": [r[3] for r in rows],
    }


def _reference(rows, *, window_days, journeys, collapse):
    """Paths rebuilt one customer at a time, in plain Python."""
    out = []
    for customer in sorted({r[0] for r in rows}):
        events = sorted((r for r in rows if r[0] == customer), key=lambda r: (r[1], r[2]))
        cut, current = [], []
        for event in events:
            current.append(event)
            if event[2] == "purchase":
                cut.append(current)
                current = []
        if current:
            cut.append(current)
        if journeys == "first":
            cut = cut[:1]
        for number, journey in enumerate(cut):
            end = journey[-1][1]
            path = [
                e[3]
                for e in journey
                if e[2] != "purchase" and (window_days is None or end - e[1] <= window_days)
            ]
            if collapse:
                path = [c for i, c in enumerate(path) if i == 0 or path[i - 1] != c]
            if path:
                out.append((customer, number, path, journey[-1][2] == "purchase"))
    return out


def test_touches_older_than_the_lookback_leave_the_path():
    rows = [
        ("a", 0, "ad_click", "social"),  # 10 days before the purchase
        ("a", 6, "email_open", "email"),
        ("a", 9, "visit", "web"),
        ("a", 10, "purchase", "web"),
        ("b", 0, "ad_click", "social"),  # never converts: its window ends at its last touch
        ("b", 20, "visit", "app"),
        ("c", 0, "ad_click", "social"),  # only an old touch: nothing left to credit
        ("c", 30, "purchase", "store"),
    ]
    tp = pl.DataFrame(_frame(rows))
    assert attribution.channel_paths(tp, lookback="7d").rows() == [
        ("a", 0, ["email", "web"], True),
        ("b", 0, ["app"], False),
    ]
    assert attribution.channel_paths(tp, lookback=timedelta(days=10)).rows()[0] == (
        "a",
        0,
        ["social", "email", "web"],
        True,
    )  # a touch exactly one window before the conversion still counts
    assert (
        attribution.channel_paths(tp).rows() == attribution.channel_paths(tp, lookback=None).rows()
    )


@SETTINGS
@given(
    events=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from(["ad_click", "visit", "purchase"]),
            st.sampled_from(["web", "app", "email"]),
        ),
        min_size=1,
        max_size=30,
    ),
    gaps=st.lists(st.integers(1, 5), min_size=30, max_size=30),
    window=st.one_of(st.none(), st.integers(1, 15)),
    journeys=st.sampled_from(["first", "all"]),
    collapse=st.booleans(),
)
def test_lookback_paths_match_a_brute_force_rebuild(events, gaps, window, journeys, collapse):
    days = np.cumsum(gaps[: len(events)]).tolist()  # distinct times: no ties to order
    rows = [(c, float(d), t, ch) for (c, t, ch), d in zip(events, days, strict=True)]
    got = attribution.channel_paths(
        pl.DataFrame(_frame(rows)),
        journeys=journeys,
        collapse_repeats=collapse,
        lookback=None if window is None else f"{window}d",
    )
    expected = _reference(rows, window_days=window, journeys=journeys, collapse=collapse)
    assert got.rows() == expected


def test_every_model_sees_the_lookback(constructor):
    rows = [
        ("a", 0, "ad_click", "social"),
        ("a", 5, "email_open", "email"),
        ("a", 6, "purchase", "web"),
        ("b", 0, "email_open", "email"),
        ("b", 1, "purchase", "web"),
        ("c", 0, "ad_click", "social"),
        ("c", 2, "visit", "web"),
    ]
    tp = constructor(_frame(rows))
    windowed = to_polars(attribution.attribution(tp, lookback="3d"))
    paths = attribution.channel_paths(pl.DataFrame(_frame(rows)), lookback="3d")
    assert_frame_matches(windowed, attribution.paths_attribution(paths))
    social = windowed.filter(pl.col("channel") == "social", pl.col("conversions") > 0)
    assert social.height == 0  # social only ever touched 6 days before a purchase
    everything = to_polars(attribution.attribution(tp))
    assert everything.filter(pl.col("channel") == "social").get_column("conversions").sum() > 0


@pytest.mark.parametrize("lookback", ["0d", "soon", "-3d"])
def test_a_lookback_that_is_no_window_is_explained(lookback):
    tp = pl.DataFrame(_frame([("a", 0, "visit", "web"), ("a", 1, "purchase", "web")]))
    with pytest.raises(cx.DataError, match="lookback="):
        attribution.channel_paths(tp, lookback=lookback)
