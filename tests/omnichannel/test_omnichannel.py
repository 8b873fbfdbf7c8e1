"""cxlib.omnichannel: channel mix, switching, coverage, and the omnichannel comparison.

The comparison is checked on hand-computed tiny inputs and against the sample's planted
truth (``PLANTED.omnichannel``: omnichannel buyers spend +4% per store order, +10% per online
order and are worth +30% a year, each within its tolerance).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from conftest import assert_frame_matches, to_polars

import cxlib as cx
from cxlib import omnichannel
from cxlib.sample import PLANTED

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


@pytest.fixture(scope="module")
def sample() -> cx.Dataset:
    with pytest.warns(UserWarning, match="rejected"):
        return cx.load(SAMPLE)


@pytest.fixture(scope="module")
def verdicts(sample: cx.Dataset) -> pl.DataFrame:
    return omnichannel.compare(sample.touchpoints, claims=omnichannel.SEED_CLAIMS)


# ---------------------------------------------------------------- planted truth on the sample


def test_compare_recovers_the_planted_omnichannel_uplifts(verdicts: pl.DataFrame):
    truth = PLANTED.omnichannel
    uplift = dict(verdicts.select("metric", "uplift").iter_rows())
    assert (
        abs(uplift["store_order_value"] - truth.store_order_uplift) <= truth.store_order_tolerance
    )
    assert (
        abs(uplift["online_order_value"] - truth.online_order_uplift)
        <= truth.online_order_tolerance
    )
    assert abs(uplift["value"] - truth.value_uplift) <= truth.value_tolerance


def test_compare_intervals_contain_the_estimate_and_the_seed_claims(verdicts: pl.DataFrame):
    assert verdicts.get_column("metric").to_list() == [
        "store_order_value",
        "online_order_value",
        "orders",
        "retention",
        "value",
    ]
    assert (verdicts["ci_low"] < verdicts["uplift"]).all()
    assert (verdicts["uplift"] < verdicts["ci_high"]).all()
    claimed = verdicts.filter(pl.col("claim").is_not_null())
    assert claimed.get_column("claim_in_interval").all()
    assert claimed.get_column("distinguishable").all()
    # the data card's buyer counts: 1,080 omnichannel, 1,073 + 1,825 single-channel
    value_row = verdicts.filter(pl.col("metric") == "value").row(0, named=True)
    assert (value_row["omnichannel_customers"], value_row["single_channel_customers"]) == (
        1080,
        2898,
    )


def test_compare_verdicts_are_plain_sentences_with_the_interval(verdicts: pl.DataFrame):
    store = verdicts.filter(pl.col("metric") == "store_order_value").row(0, named=True)
    assert store["verdict"].startswith(
        f"Omnichannel customers spend {store['uplift']:.1%} more per store order than "
        "single-channel customers (95% CI "
    )
    assert "the difference is distinguishable from zero" in store["verdict"]
    assert "The claimed +4% is within the interval." in store["verdict"]


def test_compare_is_reproducible_with_its_fixed_seed(sample: cx.Dataset, verdicts):
    again = omnichannel.compare(sample.touchpoints, claims=omnichannel.SEED_CLAIMS)
    assert again.equals(verdicts)


# ------------------------------------------------------------------ hand-computed comparison


def _shop() -> dict[str, list]:
    """o1, o2 buy in store and online (omnichannel); s1 store only; w1 online only."""
    rows = [
        ("o1", 1, "purchase", "store", 110.0),
        ("o1", 2, "purchase", "web", 60.0),
        ("o2", 1, "purchase", "store", 90.0),
        ("o2", 3, "purchase", "app", 40.0),
        ("o2", 4, "purchase", "app", 50.0),
        ("s1", 1, "purchase", "store", 80.0),
        ("s1", 2, "purchase", "store", 120.0),
        ("w1", 1, "purchase", "web", 45.0),
        ("w1", 30, "visit", "web", None),
        ("n1", 2, "visit", "web", None),
    ]
    return {
        "customer_id": [r[0] for r in rows],
        "ts": [_at(r[1]) for r in rows],
        "touchpoint": [r[2] for r in rows],
        "channel": [r[3] for r in rows],
        "revenue": [r[4] for r in rows],
    }


def test_compare_matches_hand_computed_metrics():
    got = omnichannel.compare(pl.DataFrame(_shop()), active_window="7d", n_boot=200)
    values = {row["metric"]: row for row in got.iter_rows(named=True)}
    # store orders: omni (110 + 90) / 2 = 100; single (80 + 120) / 2 = 100
    assert values["store_order_value"]["omnichannel"] == pytest.approx(100.0)
    assert values["store_order_value"]["uplift"] == pytest.approx(0.0)
    # online orders: omni (60 + 40 + 50) / 3 = 50; single 45 / 1
    assert values["online_order_value"]["uplift"] == pytest.approx(50 / 45 - 1)
    # orders per buyer: omni 5 / 2; single 3 / 2
    assert values["orders"]["uplift"] == pytest.approx(2.5 / 1.5 - 1)
    # value per buyer: omni (170 + 180) / 2 = 175; single (200 + 45) / 2 = 122.5
    assert values["value"]["omnichannel"] == pytest.approx(175.0)
    assert values["value"]["single_channel"] == pytest.approx(122.5)
    # active in the last 7 days (period ends 2025-03-30 12:00): only w1
    assert values["retention"]["omnichannel"] == 0.0
    assert values["retention"]["single_channel"] == 0.5
    assert values["store_order_value"]["single_channel_customers"] == 1
    assert values["value"]["single_channel_customers"] == 2  # n1 never bought: not a buyer


def test_compare_bootstrap_interval_matches_a_plain_resampling_loop():
    """Percentile interval of the value uplift, against a loop over resamples."""
    shop = pl.DataFrame(_shop())
    got = omnichannel.compare(shop, n_boot=300, seed=5)
    row = got.filter(pl.col("metric") == "value").row(0, named=True)
    omni_values, single_values = np.array([170.0, 180.0]), np.array([200.0, 45.0])
    rng = np.random.default_rng(5)
    # compare() draws omnichannel then single-channel indices for each metric in turn:
    # store and online order value (2 and 1 customers), orders and retention (2 and 2)
    for omni_n, single_n in [(2, 1), (2, 1), (2, 2), (2, 2)]:
        rng.integers(0, omni_n, size=(300, omni_n))
        rng.integers(0, single_n, size=(300, single_n))
    omni = rng.integers(0, 2, size=(300, 2))
    single = rng.integers(0, 2, size=(300, 2))
    replicates = [
        omni_values[o].mean() / single_values[s].mean() - 1
        for o, s in zip(omni, single, strict=True)
    ]
    low, high = np.quantile(replicates, [0.025, 0.975])
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))


def test_compare_explains_bad_options():
    with pytest.raises(cx.DataError, match="n_boot"):
        omnichannel.compare(pl.DataFrame(_shop()), n_boot=10)
    with pytest.raises(cx.DataError, match="groups"):
        omnichannel.compare(pl.DataFrame(_shop()), groups={"store": ["store"]})


# ------------------------------------------------------------------------- mix and segments


def test_segments_flag_omnichannel_buyers(constructor):
    got = omnichannel.segments(constructor(_shop()))
    expected = pl.DataFrame(
        {
            "customer_id": ["o1", "o2", "s1", "w1"],
            "store": [True, True, True, False],
            "online": [True, True, False, True],
            "groups": [2, 2, 1, 1],
            "segment": ["omnichannel", "omnichannel", "store only", "online only"],
            "omnichannel": [True, True, False, False],
        }
    )
    assert_frame_matches(got, expected)


def test_segments_take_custom_groups_and_any_touchpoint():
    shop = pl.DataFrame(_shop())
    groups = {"web": ["web"], "app": ["app"], "store": ["store"]}
    got = omnichannel.segments(shop, groups=groups, touchpoint=None, min_groups=2)
    segment = dict(got.select("customer_id", "segment").iter_rows())
    assert segment == {
        "o1": "omnichannel",
        "o2": "omnichannel",
        "s1": "store only",
        "w1": "web only",
        "n1": "web only",
    }
    all_three = omnichannel.segments(shop, groups=groups)
    assert dict(all_three.select("customer_id", "segment").iter_rows())["o1"] == "web + store"


def test_channel_mix_shares_sum_to_one_per_customer(constructor):
    frame = to_polars(cx.omnichannel.channel_mix(constructor(_shop())))
    totals = frame.group_by("customer_id").agg(pl.col("share").sum())
    assert np.allclose(totals.get_column("share").to_numpy(), 1.0)
    o2 = frame.filter(pl.col("customer_id") == "o2")
    assert o2.select("channel", "touchpoints").rows() == [("app", 2), ("store", 1)]


def test_channel_summary_counts_customers_and_touchpoints():
    got = omnichannel.channel_summary(pl.DataFrame(_shop()))
    web = got.filter(pl.col("channel") == "web").row(0, named=True)
    assert web["customers"] == 3  # o1, w1, n1
    assert web["customer_share"] == pytest.approx(3 / 5)
    assert web["touchpoints"] == 4
    assert got.get_column("touchpoint_share").sum() == pytest.approx(1.0)


# ------------------------------------------------------------------------------- switching


def _journeys() -> dict[str, list]:
    rows = [
        ("a", 1, "ad_click", "social"),
        ("a", 2, "visit", "web"),
        ("a", 3, "product_view", "web"),
        ("a", 4, "purchase", "store"),
        ("b", 1, "email_open", "email"),
        ("b", 2, "visit", "app"),
        ("b", 2, "checkout", "app"),
    ]
    return {
        "customer_id": [r[0] for r in rows],
        "ts": [_at(r[1]) for r in rows],
        "touchpoint": [r[2] for r in rows],
        "channel": [r[3] for r in rows],
    }


def test_switching_counts_consecutive_pairs_by_channel(constructor):
    got = omnichannel.switching(constructor(_journeys()))
    # ties in time: by touchpoint name, so b's checkout comes before its visit
    expected = pl.DataFrame(
        {
            "source_channel": ["app", "email", "social", "web", "web"],
            "target_channel": ["app", "app", "web", "store", "web"],
            "transitions": [1, 1, 1, 1, 1],
            "customers": [1, 1, 1, 1, 1],
            "share": [1.0, 1.0, 1.0, 0.5, 0.5],
            "switched": [False, True, True, True, False],
        }
    )
    assert_frame_matches(got, expected)


def test_switching_across_stages_keeps_only_stage_changes():
    got = omnichannel.switching(pl.DataFrame(_journeys()), across="stages")
    # b's checkout and visit share a timestamp, so by name: email_open -> checkout -> visit
    assert got.select(
        "source_stage", "target_stage", "source_channel", "target_channel", "switched"
    ).rows() == [
        ("awareness", "consideration", "social", "web", True),
        ("awareness", "conversion", "email", "app", True),
        ("consideration", "conversion", "web", "store", True),
        ("conversion", "consideration", "app", "app", False),
    ]


def test_stage_coverage_shares_reach_per_stage(sample: cx.Dataset):
    got = omnichannel.stage_coverage(sample.touchpoints, sample.stages)
    assert got.columns == [
        "stage_index",
        "stage",
        "channel",
        "customers",
        "coverage",
        "touchpoints",
        "touchpoint_share",
    ]
    shares = got.group_by("stage").agg(pl.col("touchpoint_share").sum())
    assert np.allclose(shares.get_column("touchpoint_share").to_numpy(), 1.0)
    assert (got.get_column("coverage") <= 1.0).all()
    conversion = got.filter(pl.col("stage") == "conversion")
    assert set(conversion.get_column("channel")) == {"web", "app", "store"}


def test_compare_gives_the_same_answer_on_every_engine(constructor):
    expected = omnichannel.compare(pl.DataFrame(_shop()), n_boot=200)
    got = omnichannel.compare(constructor(_shop()), n_boot=200)
    assert_frame_matches(got, expected)


def test_segment_summary_counts_customers_and_revenue():
    got = omnichannel.segment_summary(pl.DataFrame(_shop()))
    assert got.rows() == [
        ("omnichannel", 2, 0.5, 350.0, pytest.approx(350 / 595)),
        ("online only", 1, 0.25, 45.0, pytest.approx(45 / 595)),
        ("store only", 1, 0.25, 200.0, pytest.approx(200 / 595)),
    ]


def test_switching_summary_gives_the_switch_rate_per_stage_pair():
    got = omnichannel.switching_summary(pl.DataFrame(_journeys()))
    assert got.rows() == [
        ("awareness", "consideration", 1, 1, 1.0, "social → web"),
        ("awareness", "conversion", 1, 1, 1.0, "email → app"),
        ("consideration", "conversion", 1, 1, 1.0, "web → store"),
        ("conversion", "consideration", 1, 1, 0.0, None),
    ]
