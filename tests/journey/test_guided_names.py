"""Names the data does not have: a typo gets "did you mean", a true absence a warning.

A funnel step, a path's source or target, or a retention filter spelled ``add_to_kart``
matches no event; without a check the answer would be zeros that look real. A name with
close matches in the data raises DataError naming them; a name like nothing in the data
(a step the shop does not have, a week without purchases) warns and the zeros stand.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

import cxlib as cx
from cxlib.journey import FunnelEngine

MONDAY = datetime(2025, 3, 3, tzinfo=UTC)


def _log() -> dict[str, list]:
    rows = [
        ("a", 0, "visit"), ("a", 5, "add_to_cart"), ("a", 9, "purchase"),
        ("b", 0, "visit"), ("b", 3, "add_to_cart"), ("c", 1, "visit"),
    ]  # fmt: skip
    return {
        "customer_id": [r[0] for r in rows],
        "ts": [MONDAY + timedelta(minutes=r[1]) for r in rows],
        "touchpoint": [r[2] for r in rows],
        "channel": ["web"] * len(rows),
    }


def test_a_misspelt_funnel_step_raises_with_the_close_match(constructor):
    with pytest.raises(cx.DataError, match="'add_to_kart'.*did you mean 'add_to_cart'"):
        cx.funnel(constructor(_log()), ["visit", "add_to_kart", "purchase"])


def test_a_step_with_other_case_and_separators_is_matched():
    with pytest.raises(cx.DataError, match="did you mean 'add_to_cart'"):
        cx.funnel(pl.DataFrame(_log()), ["visit", "Add To Cart"])


def test_a_step_like_nothing_in_the_data_warns_and_counts_zero():
    with pytest.warns(cx.MissingNameWarning, match="'refund' does not occur.*the data has 3"):
        result = cx.funnel(pl.DataFrame(_log()), ["visit", "refund"])
    assert result["customers"].to_list() == [3, 0]


def test_correct_steps_are_not_checked_or_warned():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = cx.funnel(pl.DataFrame(_log()), ["visit", "add_to_cart", "purchase"])
    assert result["customers"].to_list() == [3, 2, 1]


def test_a_step_nobody_reached_but_in_the_data_is_a_plain_zero():
    data = _log()
    data["touchpoint"][2] = "purchase"  # a purchase that comes before nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = cx.funnel(pl.DataFrame(data), ["purchase", "visit"], "1m")
    assert result["customers"].to_list() == [1, 0]


def test_funnel_trend_and_dropoffs_check_their_steps_too():
    with pytest.raises(cx.DataError, match="did you mean 'purchase'"):
        cx.funnel_trend(pl.DataFrame(_log()), ["visit", "purchse"], every="1w")
    with pytest.raises(cx.DataError, match="did you mean 'purchase'"):
        cx.dropoffs(pl.DataFrame(_log()), ["visit", "purchse"], at=1)


def test_paths_between_checks_source_and_target(constructor):
    with pytest.raises(cx.DataError, match="target: touchpoint 'purchace'.*did you mean"):
        cx.paths_between(constructor(_log()), "visit", "purchace")


def test_retention_checks_its_touchpoint_filters(constructor):
    with pytest.raises(cx.DataError, match="start: touchpoint 'visits'.*did you mean 'visit'"):
        cx.retention(constructor(_log()), "week", start="visits")


def test_the_explorer_engine_checks_its_steps():
    engine = FunnelEngine(pl.DataFrame(_log()))
    with pytest.raises(cx.DataError, match="did you mean 'add_to_cart'"):
        engine.count(engine.view(), ["visit", "add_to_kart"], None)
    with pytest.warns(cx.MissingNameWarning):
        counted = engine.count(engine.view(), ["visit", "refund"], None)
    assert counted.furthest.max() == 1


def _orders() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "ts": [MONDAY, MONDAY + timedelta(days=2), MONDAY],
            "touchpoint": ["purchase"] * 3,
            "channel": ["store", "web", "app"],
            "revenue": [10.0, 20.0, 5.0],
        }
    )


def test_a_misspelt_channel_in_the_omnichannel_groups_raises_with_the_close_match():
    groups = {"offline": ["stor"], "online": ["web", "app"]}
    with pytest.raises(cx.DataError, match="'stor'.*did you mean 'store'"):
        cx.omnichannel.segments(_orders(), groups=groups)
    with pytest.raises(cx.DataError, match="'stor'.*did you mean 'store'"):
        cx.omnichannel.compare(_orders(), groups=groups)


def test_a_misspelt_purchase_touchpoint_in_the_comparison_raises():
    with pytest.raises(cx.DataError, match="'purchse'.*did you mean 'purchase'"):
        cx.omnichannel.compare(_orders(), purchase="purchse")


def test_a_channel_group_the_data_lacks_warns_and_counts_no_one():
    groups = {"store": ["store"], "call": ["call_centre"], "online": ["web", "app"]}
    with pytest.warns(cx.MissingNameWarning, match="'call_centre' does not occur"):
        flags = cx.omnichannel.segments(_orders(), groups=groups, min_groups=2)
    assert flags.sort("customer_id")["call"].to_list() == [False, False]
