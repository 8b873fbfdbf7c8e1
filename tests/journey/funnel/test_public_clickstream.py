"""Funnels on public clickstream data no one here wrote, against independent references.

The data are retentioneering's e-commerce demo (``tests/data/retentioneering_ecom/``; source,
licence and the incident's description in ``tests/data/README.md``): 31,106 events of 600
users, January to June 2024, published by the retentioneering authors with incidents they
embedded and documented. One is a payment gateway incident from 19 May to 7 June in which
"conversion at payment_details collapses".

References, none of them cxlib's engine:

* retentioneering 5.2.4's own funnel (a chain of DuckDB queries; no window), per user and
  per session. Its counts are recorded in ``RETENTIONEERING``, printed by
  ``tests/data/retentioneering_ecom/reference_counts.py`` (it needs retentioneering
  installed, so it is not run here);
* the brute-force per-customer reference (``tests/reference.py``) for time windows.

Both are compared on polars, pandas and DuckDB inputs; retentioneering's on PySpark too.
"""

from __future__ import annotations

import functools
from pathlib import Path

import polars as pl
import pytest
import reference
from conftest import to_polars
from test_funnel_properties import assert_matches_reference

import cxlib as cx

DATA = Path(__file__).resolve().parents[2] / "data" / "retentioneering_ecom" / "ecom.csv.gz"
COLUMNS = {"ts": "timestamp", "touchpoint": "event", "channel": "platform"}
FUNNELS = [
    ("product_view", "add_to_cart", "cart", "shipping_details", "payment_details", "purchase"),
    ("home", "catalog", "product_view", "add_to_cart", "purchase"),
    ("search", "filter_results", "product_view", "wishlist_add"),
    ("cart", "shipping_details", "payment_details", "payment_error", "support_chat"),
]
# Printed by reference_counts.py with retentioneering 5.2.4: customers (paths) per step.
RETENTIONEERING = {
    ("user_id", FUNNELS[0]): [598, 517, 429, 329, 222, 114],
    ("user_id", FUNNELS[1]): [586, 579, 571, 454, 231],
    ("user_id", FUNNELS[2]): [594, 549, 532, 279],
    ("user_id", FUNNELS[3]): [489, 385, 267, 54, 29],
    ("session_id", FUNNELS[0]): [2868, 944, 477, 194, 72, 15],
    ("session_id", FUNNELS[1]): [2099, 1518, 1035, 250, 38],
    ("session_id", FUNNELS[2]): [2251, 996, 618, 76],
    ("session_id", FUNNELS[3]): [1022, 512, 220, 23, 13],
}
INCIDENT_WEEKS = ["2024-05-20", "2024-05-27"]  # the Mondays of the weeks inside 19 May - 7 June


@functools.cache
def _touchpoints(path: str, *, ties_in_file_order: bool = False) -> pl.DataFrame:
    """The demo as canonical touchpoints, one path (user or session) as the customer.

    With ``ties_in_file_order``, events of a user at the same second are set 1 µs apart in
    file order: retentioneering orders such ties by its event index (file order) and needs
    each step strictly after the previous one, while cx.funnel counts a step at the same
    time as the previous step as in order.
    """
    source: str | pl.DataFrame = str(DATA)
    if ties_in_file_order:
        raw = pl.read_csv(DATA)
        seconds = pl.col("timestamp").str.to_datetime(time_unit="us")
        apart = pl.duration(microseconds=pl.int_range(pl.len()).over("user_id", "timestamp"))
        source = raw.with_columns((seconds + apart).alias("timestamp"))
    loaded = cx.read_touchpoints(
        source, columns={"customer_id": path, **COLUMNS}, with_rejects=True
    )
    assert loaded.data.height + loaded.rejects.height == loaded.read == 31_106
    duplicates = 0 if ties_in_file_order else 30  # set apart, duplicates differ by 1 µs
    assert loaded.rejects.height == duplicates
    assert set(loaded.rejects["reason"].str.contains("duplicate")) <= {True}
    return loaded.data


def _as_dict(frame: pl.DataFrame) -> dict[str, list]:
    return frame.select("customer_id", "ts", "touchpoint", "channel").to_dict(as_series=False)


@pytest.mark.parametrize("steps", FUNNELS, ids=lambda s: f"{s[0]}..{s[-1]}")
@pytest.mark.parametrize("path", ["user_id", "session_id"])
def test_funnel_counts_equal_retentioneering(constructor, path, steps):
    touchpoints = _touchpoints(path, ties_in_file_order=True)
    result = to_polars(cx.funnel(constructor(_as_dict(touchpoints)), list(steps), None))
    assert result["customers"].to_list() == RETENTIONEERING[path, steps]


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_funnel_counts_equal_retentioneering_on_spark(local_spark):
    data = _as_dict(_touchpoints("user_id", ties_in_file_order=True))
    frame = local_spark.get().createDataFrame(pl.DataFrame(data).to_arrow())
    for steps in FUNNELS[:2]:
        result = to_polars(cx.funnel(frame, list(steps), None))
        assert result["customers"].to_list() == RETENTIONEERING["user_id", steps]


def test_ties_are_the_only_difference_from_retentioneering():
    """On the raw timestamps the per-session counts differ in two places, by one session
    each: a step at the same second as the previous one (cx.funnel counts it in order)."""
    differences = {}
    for steps in FUNNELS:
        counts = cx.funnel(_touchpoints("session_id"), list(steps), None)["customers"]
        theirs = RETENTIONEERING["session_id", steps]
        differences |= {
            (steps[k - 1], steps[k]): ours - theirs
            for k, (ours, theirs) in enumerate(zip(counts, theirs, strict=True))
            if ours != theirs
        }
    assert differences == {("home", "catalog"): 1, ("filter_results", "product_view"): 1}
    raw = pl.read_csv(DATA)
    tied = raw.group_by("session_id", "timestamp").agg(pl.col("event").unique())
    for pair in differences:
        assert tied.filter(pl.col("event").list.set_intersection(list(pair)).list.len() == 2).height


@functools.cache
def _reference(path: str, steps: tuple[str, ...], within: str | None) -> pl.DataFrame:
    return reference.funnel(_as_dict(_touchpoints(path)), list(steps), within)


@pytest.mark.parametrize("within", ["10m", "1h", "1d", "7d", None])
@pytest.mark.parametrize("steps", FUNNELS[:2], ids=lambda s: f"{s[0]}..{s[-1]}")
def test_windowed_funnels_equal_the_brute_force_reference(constructor, steps, within):
    touchpoints = constructor(_as_dict(_touchpoints("user_id")))
    result = cx.funnel(touchpoints, list(steps), within)
    assert_matches_reference(result, _reference("user_id", steps, within))


def test_the_payment_incident_shows_in_the_weekly_trend():
    """Weekly conversion from payment_details to purchase within an hour: the two weeks
    inside the incident are the two lowest, each well below the usual week."""
    trend = cx.funnel_trend(
        _touchpoints("user_id"), ["payment_details", "purchase"], "1h", every="1w"
    )
    entrants = trend.filter(pl.col("step_index") == 1).select("period", "customers")
    weeks = (
        trend.filter(pl.col("step_index") == 2)
        .join(entrants.rename({"customers": "entrants"}), on="period")
        .filter(pl.col("entrants") >= 20)  # weeks with enough customers to compare
        .with_columns(pl.col("period").dt.strftime("%Y-%m-%d").alias("week"))
        .sort("conversion")
    )
    assert weeks.height >= 12
    assert weeks["week"].head(2).sort().to_list() == INCIDENT_WEEKS
    usual = weeks.filter(~pl.col("week").is_in(INCIDENT_WEEKS))["conversion"].median()
    incident = weeks.filter(pl.col("week").is_in(INCIDENT_WEEKS))
    assert (incident["conversion_high"] < usual).all()  # the dip is beyond its uncertainty
