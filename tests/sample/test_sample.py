"""The sample generator: determinism, the committed files, their schema, and the planted truths.

Planted truths are measured on the raw committed Parquet with plain polars (not ``cx.load``),
after excluding the planted bad rows the way a loader would. Every threshold comes from
``PLANTED``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cxlib.io._schema import EARLIEST_TS, SCHEMAS, SURVEY_SCALES
from cxlib.io._stages import stage_model
from cxlib.sample import COMMENTS, PLANTED, _frames, make_sample, write_sample
from cxlib.sample._streams import _streams

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
KINDS = ("touchpoints", "surveys", "customers")
CHANNELS = {"web", "app", "store", "email", "social", "call_center", "chat"}
ONLINE = ("web", "app")
LANGUAGE = {"VN": "vi", "TH": "th", "SG": "en", "US": "en"}
YEAR_START, YEAR_END = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
# comment sentence -> (language, theme, sentiment)
SENTENCES = {
    sentence: (language, theme, sentiment)
    for language, themes in COMMENTS.items()
    for theme, sentiments in themes.items()
    for sentiment, sentences in sentiments.items()
    for sentence in sentences
}


def _without_bad_rows(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Drop rows a loader rejects: no id, absurd time, negative revenue, duplicate, bad score."""
    earliest = datetime.fromisoformat(EARLIEST_TS).replace(tzinfo=UTC)
    touchpoints = tables["touchpoints"].filter(
        pl.col("customer_id").is_not_null(),
        pl.col("ts") >= earliest,
        pl.col("revenue").is_null() | (pl.col("revenue") >= 0),
    )
    touchpoints = touchpoints.unique(keep="first", maintain_order=True)
    in_scale = pl.lit(False)
    for survey, (low, high) in SURVEY_SCALES.items():
        in_scale = in_scale | ((pl.col("survey") == survey) & pl.col("score").is_between(low, high))
    surveys = tables["surveys"].filter(in_scale)
    return {**tables, "touchpoints": touchpoints, "surveys": surveys}


@pytest.fixture(scope="module")
def raw() -> dict[str, pl.DataFrame]:
    return {kind: pl.read_parquet(SAMPLE / f"{kind}.parquet") for kind in KINDS}


@pytest.fixture(scope="module")
def clean(raw: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    return _without_bad_rows(raw)


@pytest.fixture(scope="module")
def sessions(clean: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """One row per session: its customer, channel (of the visit), checkout time and steps."""
    touchpoint = pl.col("touchpoint")
    return (
        clean["touchpoints"]
        .filter(pl.col("session_id").is_not_null())
        .group_by("session_id")
        .agg(
            pl.col("customer_id").first(),
            channel=pl.col("channel").filter(touchpoint == "visit").first(),
            checkout_ts=pl.col("ts").filter(touchpoint == "checkout").min(),
            cart=(touchpoint == "add_to_cart").any(),
            checkout=(touchpoint == "checkout").any(),
            purchase=(touchpoint == "purchase").any(),
        )
        .join(clean["customers"].select("customer_id", "country"), on="customer_id")
    )


def _rate(frame: pl.DataFrame, column: str) -> float:
    return frame[column].cast(pl.Float64).mean()


# -- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_identical_tables():
    first, second = make_sample(60, seed=3), make_sample(60, seed=3)
    for kind in KINDS:
        assert_frame_equal(first[kind], second[kind])


def test_different_seeds_give_different_tables():
    first, second = make_sample(60, seed=3), make_sample(60, seed=4)
    assert not first["touchpoints"].equals(second["touchpoints"])
    assert not first["customers"].equals(second["customers"])


def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path):
    here = make_sample(40, seed=5)
    code = f"import cxlib.sample as s; s.write_sample({str(tmp_path)!r}, customers=40, seed=5)"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    for kind in KINDS:
        assert_frame_equal(pl.read_parquet(tmp_path / f"{kind}.parquet"), here[kind])


def test_a_customer_does_not_depend_on_how_many_follow():
    small, large = make_sample(20, seed=9, bad_rows=False), make_sample(30, seed=9, bad_rows=False)
    first_twenty = large["customers"].head(20)
    assert_frame_equal(small["customers"], first_twenty)
    ids = first_twenty["customer_id"]
    assert_frame_equal(
        small["touchpoints"],
        large["touchpoints"].filter(pl.col("customer_id").is_in(ids.to_list())),
    )


def test_customer_streams_are_those_of_default_rng():
    # The fast seeding of whole chunks, and the fallback for seeds beyond 32 bits.
    for seed, first, stop in ((7, 0, 40), (0, 995, 1005), (2**32 - 1, 3, 9), (2**32 + 5, 0, 4)):
        for index, rng in enumerate(_streams(seed, first, stop), start=first):
            expected = np.random.default_rng([seed, 0, index])
            assert rng.bit_generator.state == expected.bit_generator.state
            assert rng.random(3).tolist() == expected.random(3).tolist()


def test_chunks_do_not_change_the_tables(monkeypatch: pytest.MonkeyPatch):
    whole = make_sample(23, seed=4)
    monkeypatch.setattr(_frames, "_CHUNK", 5)
    chunked = make_sample(23, seed=4)
    for kind in KINDS:
        assert_frame_equal(chunked[kind], whole[kind])


def test_big_samples_written_with_faster_compression_have_the_same_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(_frames, "_SMALLEST_FILES_UP_TO", 10)
    paths = write_sample(tmp_path, customers=30, seed=2)
    expected = make_sample(30, seed=2)
    for kind, path in paths.items():
        assert_frame_equal(pl.read_parquet(path), expected[kind])


def test_insert_puts_each_row_after_its_position_in_order():
    frame = pl.DataFrame({"x": [0, 1, 2, 3]})
    first = (pl.DataFrame({"x": [10, 11, 12]}), np.array([3, 0, 0]))
    second = (pl.DataFrame({"x": [20, 21]}), np.array([0, 1]))
    inserted = _frames._insert(frame, [first, second])
    # Brute force: every row keyed by its position, the extra rows after it, ties in order.
    keyed = [(2 * i, 0, 0, x) for i, x in enumerate(frame["x"])]
    keyed += [
        (2 * int(p) + 1, k + 1, r, x)
        for k, (rows, positions) in enumerate([first, second])
        for r, (x, p) in enumerate(zip(rows["x"], positions, strict=True))
    ]
    assert inserted["x"].to_list() == [x for *_, x in sorted(keyed)]
    assert inserted["x"].to_list() == [0, 11, 12, 20, 1, 21, 2, 3, 10]


def test_ids_are_zero_padded_and_grow_past_the_padding():
    numbers = pl.DataFrame({"n": pl.Series([1, 42, 9_999_999, 12_345_678, None], dtype=pl.UInt32)})
    ids = numbers.select(_frames._id("n", "S", 7))["literal"].to_list()
    assert ids == ["S0000001", "S0000042", "S9999999", "S12345678", None]
    assert ids[:4] == [f"S{n:07d}" for n in (1, 42, 9_999_999, 12_345_678)]


def test_write_sample_writes_three_parquet_files(tmp_path: Path):
    paths = write_sample(tmp_path / "new", customers=30, seed=2)
    assert sorted(paths) == sorted(KINDS)
    expected = make_sample(30, seed=2)
    for kind, path in paths.items():
        assert path == tmp_path / "new" / f"{kind}.parquet"
        assert_frame_equal(pl.read_parquet(path), expected[kind])


def test_make_sample_rejects_zero_customers():
    with pytest.raises(ValueError, match="at least 1"):
        make_sample(0)


@pytest.mark.slow
def test_committed_files_equal_the_default_sample(raw: dict[str, pl.DataFrame]):
    generated = make_sample()
    for kind in KINDS:
        assert_frame_equal(raw[kind], generated[kind])


def test_committed_files_are_small():
    total = sum((SAMPLE / f"{kind}.parquet").stat().st_size for kind in KINDS)
    assert total < 5_000_000


# -- schema and vocabulary ---------------------------------------------------------------------


def test_tables_have_canonical_columns_and_dtypes(raw: dict[str, pl.DataFrame]):
    for kind in ("touchpoints", "surveys"):
        assert dict(raw[kind].schema) == SCHEMAS[kind].columns
    assert dict(raw["customers"].schema) == {
        **SCHEMAS["customers"].required,
        "signup_ts": SCHEMAS["customers"].optional["signup_ts"],
        "country": pl.String(),
        "age_band": pl.String(),
        "acquisition_channel": pl.String(),
        "churned": pl.Boolean(),
        "churn_ts": SCHEMAS["customers"].optional["churn_ts"],
    }


def test_customers_are_unique_with_readable_ids(clean: dict[str, pl.DataFrame]):
    customers = clean["customers"]
    assert customers.height == 5000
    assert customers["customer_id"].is_unique().all()
    assert customers["customer_id"].str.contains(r"^C\d{6}$").all()
    assert set(customers["country"]) == set(LANGUAGE)
    known = customers["customer_id"]
    for kind in ("touchpoints", "surveys"):
        assert clean[kind]["customer_id"].is_in(known.to_list()).all()


def test_touchpoints_use_the_stage_vocabulary_and_cover_every_stage_and_channel(
    clean: dict[str, pl.DataFrame],
):
    model = stage_model("5-stage")
    touchpoints = clean["touchpoints"]
    assert set(touchpoints["touchpoint"]) == set(model.mapping)
    assert set(touchpoints["stage"]) == set(model.stages)
    expected_stage = pl.col("touchpoint").replace_strict(model.mapping)
    assert touchpoints.select((pl.col("stage") == expected_stage).all()).item()
    assert set(touchpoints["channel"]) == CHANNELS


def test_purchases_carry_revenue_and_order_in_store_or_online(clean: dict[str, pl.DataFrame]):
    purchases = clean["touchpoints"].filter(pl.col("touchpoint") == "purchase")
    assert set(purchases["channel"]) == {"store", *ONLINE}
    assert (purchases["revenue"] > 0).all()
    assert purchases["order_id"].is_not_null().all() and purchases["order_id"].is_unique().all()
    others = clean["touchpoints"].filter(pl.col("touchpoint") != "purchase")
    assert others["revenue"].is_null().all()
    deliveries = clean["touchpoints"].filter(
        pl.col("touchpoint").is_in(["delivery", "late_delivery"])
    )
    online_orders = purchases.filter(pl.col("channel").is_in(ONLINE))["order_id"]
    assert deliveries["order_id"].is_in(online_orders.to_list()).all()
    assert deliveries["order_id"].is_unique().all()


def test_timestamps_fall_in_2025_between_signup_and_churn(clean: dict[str, pl.DataFrame]):
    customers = clean["customers"]
    assert (customers["churned"] == customers["churn_ts"].is_not_null()).all()
    churn = customers["churn_ts"].drop_nulls()
    assert ((churn >= YEAR_START) & (churn < YEAR_END)).all()
    for kind in ("touchpoints", "surveys"):
        rows = clean[kind].join(customers, on="customer_id")
        assert ((rows["ts"] >= YEAR_START) & (rows["ts"] < YEAR_END)).all()
        assert (rows["ts"] >= rows["signup_ts"]).all()
        assert rows.filter(pl.col("ts") > pl.col("churn_ts")).is_empty()


def test_surveys_follow_the_touchpoint_they_ask_about(clean: dict[str, pl.DataFrame]):
    surveys = clean["surveys"]
    pairs = set(surveys.select("survey", "touchpoint").unique().iter_rows())
    assert pairs == {("nps", "purchase"), ("csat", "support_contact"), ("ces", "checkout")}
    mapping = stage_model("5-stage").mapping
    assert surveys.select(
        (pl.col("stage") == pl.col("touchpoint").replace_strict(mapping)).all()
    ).item()
    for survey, (low, high) in SURVEY_SCALES.items():
        scores = surveys.filter(pl.col("survey") == survey)["score"]
        assert scores.is_between(low, high).all() and (scores == scores.round()).all()
    purchases = clean["touchpoints"].filter(pl.col("touchpoint") == "purchase").height
    assert 0.20 <= surveys.filter(pl.col("survey") == "nps").height / purchases <= 0.35


def test_comments_are_in_the_customers_language_with_sentiment_of_the_score(
    clean: dict[str, pl.DataFrame],
):
    comments = clean["surveys"].filter(pl.col("comment").is_not_null())
    assert 0.3 <= comments.height / clean["surveys"].height <= 0.5
    countries = dict(clean["customers"].select("customer_id", "country").iter_rows())
    negative = {"nps": 6, "csat": 2, "ces": 3}  # highest negative score
    neutral = {"nps": 8, "csat": 3, "ces": 4}  # highest neutral score
    languages = set()
    for customer_id, survey, score, comment in comments.select(
        "customer_id", "survey", "score", "comment"
    ).iter_rows():
        language, _theme, sentiment = SENTENCES[comment]
        languages.add(language)
        assert language == LANGUAGE[countries[customer_id]]
        expected = (
            "negative"
            if score <= negative[survey]
            else "neutral"
            if score <= neutral[survey]
            else "positive"
        )
        assert sentiment == expected, (survey, score, comment)
    assert languages == {"en", "vi", "th"}


# -- planted truths ----------------------------------------------------------------------------


def _friction_per_customer(clean: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """customer_id, churned, churn_ts, incidents, worst (most incidents in one quarter), trigger."""
    need = PLANTED.friction.incidents
    incidents = (
        clean["touchpoints"]
        .filter(pl.col("touchpoint").is_in(PLANTED.friction.touchpoints))
        .with_columns(quarter=pl.col("ts").dt.quarter())
        .sort("customer_id", "ts")
        .with_columns(nth_in_quarter=pl.int_range(1, pl.len() + 1).over("customer_id", "quarter"))
    )
    per_customer = incidents.group_by("customer_id").agg(
        incidents=pl.len(),
        worst=pl.col("nth_in_quarter").max(),
        trigger=pl.col("ts").filter(pl.col("nth_in_quarter") == need).min(),
    )
    return (
        clean["customers"]
        .join(per_customer, on="customer_id", how="left")
        .with_columns(pl.col("incidents", "worst").fill_null(0))
    )


def test_friction_in_one_quarter_drives_churn(clean: dict[str, pl.DataFrame]):
    truth = PLANTED.friction
    customers = _friction_per_customer(clean)
    paired = customers.filter(pl.col("worst") >= truth.incidents)
    untouched = customers.filter(pl.col("incidents") == 0)
    assert paired.height >= 200 and untouched.height >= 1000
    assert _rate(paired, "churned") >= truth.min_churn_rate
    assert abs(_rate(untouched, "churned") - truth.no_friction_churn_rate) <= (
        truth.no_friction_tolerance
    )


def test_friction_churn_comes_after_the_triggering_incidents(clean: dict[str, pl.DataFrame]):
    churned = _friction_per_customer(clean).filter(
        pl.col("worst") >= PLANTED.friction.incidents, pl.col("churned")
    )
    assert (churned["churn_ts"] > churned["trigger"]).all()
    low, high = PLANTED.friction.churn_delay_days
    delay_days = (churned["churn_ts"] - churned["trigger"]).dt.total_hours() / 24
    # Most churn follows the trigger within the planted delay (later only when the trigger
    # happened before an order in flight was delivered, or a baseline churn came later).
    assert (delay_days <= high + 14).mean() >= 0.75


def test_omnichannel_buyers_spend_more_per_order_and_per_year(clean: dict[str, pl.DataFrame]):
    truth = PLANTED.omnichannel
    purchases = (
        clean["touchpoints"]
        .filter(pl.col("touchpoint") == "purchase")
        .with_columns(online=pl.col("channel").is_in(ONLINE))
    )
    buyers = (
        purchases.group_by("customer_id")
        .agg(
            online=pl.col("online").any(),
            store=(~pl.col("online")).any(),
            value=pl.col("revenue").sum(),
        )
        .with_columns(omni=pl.col("online") & pl.col("store"))
    )
    assert buyers["omni"].sum() >= 500 and (~buyers["omni"]).sum() >= 1500
    orders = purchases.join(buyers.select("customer_id", "omni"), on="customer_id")

    def uplift(frame: pl.DataFrame, column: str) -> float:
        omni = frame.filter(pl.col("omni"))[column].mean()
        single = frame.filter(~pl.col("omni"))[column].mean()
        return omni / single - 1

    store_uplift = uplift(orders.filter(~pl.col("online")), "revenue")
    online_uplift = uplift(orders.filter(pl.col("online")), "revenue")
    value_uplift = uplift(buyers, "value")
    assert abs(store_uplift - truth.store_order_uplift) <= truth.store_order_tolerance
    assert abs(online_uplift - truth.online_order_uplift) <= truth.online_order_tolerance
    assert abs(value_uplift - truth.value_uplift) <= truth.value_tolerance


def _latest_nps_group(clean: dict[str, pl.DataFrame]) -> pl.DataFrame:
    score = pl.col("score")
    return (
        clean["surveys"]
        .filter(pl.col("survey") == "nps")
        .sort("customer_id", "ts")
        .group_by("customer_id")
        .agg(score.last())
        .with_columns(
            group=pl.when(score >= 9)
            .then(pl.lit("promoter"))
            .when(score >= 7)
            .then(pl.lit("passive"))
            .otherwise(pl.lit("detractor"))
        )
    )


def test_churn_rises_from_promoters_to_passives_to_detractors(clean: dict[str, pl.DataFrame]):
    groups = _latest_nps_group(clean).join(clean["customers"], on="customer_id")
    churn = dict(groups.group_by("group").agg(pl.col("churned").mean()).iter_rows())
    sizes = dict(groups.group_by("group").len().iter_rows())
    assert min(sizes.values()) >= 300
    assert churn["promoter"] < churn["passive"] < churn["detractor"]


def test_promoters_make_most_referrals(clean: dict[str, pl.DataFrame]):
    referrals = (
        clean["touchpoints"]
        .filter(pl.col("touchpoint") == "referral")
        .join(_latest_nps_group(clean), on="customer_id")
    )
    assert referrals.height >= 300
    share = (referrals["group"] == "promoter").mean()
    assert share >= PLANTED.nps.min_promoter_referral_share


def test_app_checkout_outage_collapses_conversion_for_two_weeks(sessions: pl.DataFrame):
    truth = PLANTED.outage
    start = datetime.combine(truth.start, datetime.min.time(), UTC)
    end = datetime.combine(truth.end, datetime.min.time(), UTC) + timedelta(days=1)
    checkouts = sessions.filter(pl.col("checkout")).with_columns(
        during=pl.col("checkout_ts").is_between(start, end, closed="left"),
        week=pl.col("checkout_ts").dt.truncate("1w"),
    )
    app = checkouts.filter(pl.col("channel") == truth.channel)
    web = checkouts.filter(pl.col("channel") != truth.channel)
    assert app.filter("during").height >= 100
    assert _rate(app.filter("during"), "purchase") <= truth.max_outage_conversion
    assert _rate(app.filter(~pl.col("during")), "purchase") >= truth.min_normal_conversion
    assert _rate(web.filter("during"), "purchase") >= truth.min_normal_conversion
    # A weekly trended funnel shows it: the outage weeks are the two worst app weeks.
    weekly = app.group_by("week").agg(pl.col("purchase").mean()).sort("purchase")
    outage_weeks = {start + timedelta(days=7 * i) for i in range(2)}
    assert set(weekly["week"].head(2)) == outage_weeks
    assert weekly.filter(~pl.col("week").is_in(outage_weeks))["purchase"].min() >= 0.85


def test_segment_stalls_between_cart_and_checkout(sessions: pl.DataFrame):
    truth = PLANTED.stall
    carts = sessions.filter(pl.col("cart")).with_columns(
        segment=pl.col(truth.column) == truth.segment
    )
    segment, others = carts.filter("segment"), carts.filter(~pl.col("segment"))
    assert segment.height >= 1000 and others.height >= 1000
    tolerance = truth.checkout_rate_tolerance
    assert abs(_rate(segment, "checkout") - truth.checkout_rate_segment) <= tolerance
    assert abs(_rate(others, "checkout") - truth.checkout_rate_others) <= tolerance
    # Per customer too: fewer of the segment's carting customers ever check out online.
    ever = carts.group_by("customer_id", "segment").agg(pl.col("checkout").any())
    segment_ever = _rate(ever.filter("segment"), "checkout")
    others_ever = _rate(ever.filter(~pl.col("segment")), "checkout")
    assert segment_ever < others_ever - 0.2


def test_segment_comments_blame_shipping_cost_in_their_language(clean: dict[str, pl.DataFrame]):
    truth = PLANTED.stall
    comments = (
        clean["surveys"]
        .filter(
            pl.col("comment").is_not_null(),
            pl.col("survey").is_in(["nps", "ces"]),
            pl.col("channel").is_in(ONLINE),
        )
        .join(clean["customers"].select("customer_id", truth.column), on="customer_id")
        .with_columns(
            segment=pl.col(truth.column) == truth.segment,
            theme=pl.col("comment").replace_strict({s: t for s, (_, t, _) in SENTENCES.items()}),
        )
        .with_columns(blames=pl.col("theme").is_in(truth.comment_themes))
    )
    segment, others = comments.filter("segment"), comments.filter(~pl.col("segment"))
    assert segment.height >= 100
    assert _rate(segment, "blames") >= truth.min_comment_share
    assert _rate(others, "blames") <= truth.max_comment_share_others
    language = LANGUAGE[truth.segment]
    assert all(SENTENCES[comment][0] == language for comment in segment["comment"])


def test_bad_rows_are_exactly_the_planted_ones(
    raw: dict[str, pl.DataFrame], clean: dict[str, pl.DataFrame]
):
    bad = PLANTED.bad_rows
    touchpoints = raw["touchpoints"]
    earliest = datetime.fromisoformat(EARLIEST_TS).replace(tzinfo=UTC)
    assert touchpoints["customer_id"].null_count() == bad.missing_customer_id
    assert (touchpoints["revenue"] < 0).sum() == bad.negative_revenue
    assert (touchpoints["ts"] < earliest).sum() == bad.epoch_zero_ts
    assert touchpoints.is_duplicated().sum() == 2 * bad.duplicate_touchpoints
    out_of_range = raw["surveys"].filter(
        pl.col("survey") == "nps", pl.col("score") == bad.nps_bad_score
    )
    assert out_of_range.height == bad.nps_out_of_range
    removed = bad.duplicate_touchpoints + bad.missing_customer_id + bad.negative_revenue
    assert touchpoints.height - clean["touchpoints"].height == removed + bad.epoch_zero_ts
    assert raw["surveys"].height - clean["surveys"].height == bad.nps_out_of_range


@pytest.mark.slow
def test_removing_bad_rows_gives_the_clean_sample(clean: dict[str, pl.DataFrame]):
    generated = make_sample(bad_rows=False)
    for kind in KINDS:
        assert_frame_equal(clean[kind], generated[kind])
