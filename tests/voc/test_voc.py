"""Voice of the customer linked to behaviour: answers in the journey, churn, stalls, response
rates, detractors' journeys, drivers, themes × scores and quotes (escaped in HTML)."""

from __future__ import annotations

import math
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

import cxlib as cx
from cxlib import voc
from cxlib.io._validate import empty_rejects
from cxlib.pages.tables import table

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
HOSTILE = '<script>alert("x")</script>'


def _ts(day: float) -> datetime:
    return datetime(2025, 3, 1, tzinfo=UTC) + timedelta(days=day)


def _dataset() -> cx.Dataset:
    """Three buyers.

    A: web order O1 on day 2, late delivery on day 10 (8 days), support contact day 11 left
       unresolved day 12, NPS 2 on day 13 (churns day 30); an old failed payment on day -60.
    B: store order O2 on day 3, NPS 10 on day 4; nothing after the purchase (stalls at
       conversion).
    C: app order O3 on day 5 (CES 6 between checkout and purchase), delivered day 8, NPS 8
       on day 9, review day 12.
    """
    touchpoints = [
        ("A", -60, "payment_failed", "web", None),
        ("A", 1, "visit", "web", None),
        ("A", 1.1, "add_to_cart", "web", None),
        ("A", 2, "checkout", "web", None),
        ("A", 2.01, "purchase", "web", "O1"),
        ("A", 10, "late_delivery", "web", "O1"),
        ("A", 11, "support_contact", "chat", "O1"),
        ("A", 12, "support_unresolved", "chat", "O1"),
        ("B", 3, "visit", "store", None),
        ("B", 3.01, "purchase", "store", "O2"),
        ("C", 5, "visit", "app", None),
        ("C", 5.01, "checkout", "app", None),
        ("C", 5.02, "purchase", "app", "O3"),
        ("C", 8, "delivery", "app", "O3"),
        ("C", 12, "review", "app", "O3"),
    ]
    model = cx.stage_model()
    tp = pl.DataFrame(
        [(c, _ts(d), t, ch, o) for c, d, t, ch, o in touchpoints],
        schema={
            "customer_id": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "touchpoint": pl.String,
            "channel": pl.String,
            "order_id": pl.String,
        },
        orient="row",
    )
    surveys = pl.DataFrame(
        [
            (
                "A",
                _ts(13),
                "nps",
                2.0,
                HOSTILE + " My order arrived a week late.",
                "purchase",
                "conversion",
                "web",
            ),
            (
                "B",
                _ts(4),
                "nps",
                10.0,
                "Excellent product, I will buy again.",
                "purchase",
                "conversion",
                "store",
            ),
            (
                "C",
                _ts(9),
                "nps",
                8.0,
                "Giao hàng mất vài ngày, bình thường.",
                "purchase",
                "conversion",
                "app",
            ),
            ("C", _ts(5.015), "ces", 6.0, "ชำระเงินง่ายและรวดเร็ว", "checkout", "conversion", "app"),
        ],
        schema=[
            "customer_id",
            "ts",
            "survey",
            "score",
            "comment",
            "touchpoint",
            "stage",
            "channel",
        ],
        orient="row",
    )
    customers = pl.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "churned": [True, False, False],
            "churn_ts": [_ts(30), None, None],
            "country": ["VN", "US", "TH"],
        }
    )
    return cx.Dataset(
        touchpoints=model.assign(tp),
        surveys=surveys,
        customers=customers,
        stages=model,
        rejects=empty_rejects(),
        config=cx.Config(),
        read={},
    )


@pytest.fixture(scope="module")
def sample() -> cx.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.load(SAMPLE)


def test_answers_carry_the_journey_at_the_time_of_the_answer():
    answers = voc.journey_answers(_dataset()).sort("customer_id", "ts")
    rows = {(r["customer_id"], r["survey"]): r for r in answers.iter_rows(named=True)}
    a = rows[("A", "nps")]
    assert a["journey_stage"] == "retention" and a["category"] == "detractor"
    assert a["delivery_days"] == pytest.approx(10 - 2.01)
    assert a["late_delivery"] is True and a["order_channel"] == "web"
    # late delivery + unresolved support in the 30 days before; the day -60 failure is too old
    assert (a["friction_incidents"], a["support_contacts"]) == (2, 1)
    assert a["churned"] is True and a["country"] == "VN"
    b = rows[("B", "nps")]
    assert (b["delivery_days"], b["late_delivery"], b["journey_stage"]) == (
        0.0,
        False,
        "conversion",
    )
    c_nps, c_ces = rows[("C", "nps")], rows[("C", "ces")]
    assert c_nps["delivery_days"] == pytest.approx(8 - 5.02) and c_nps["category"] == "passive"
    # at checkout the order is not bought yet: no order to rate
    assert c_ces["order_channel"] is None and c_ces["delivery_days"] is None
    assert c_ces["category"] == "easy"


def test_scores_by_churn_outcome_and_churn_by_category():
    ds = _dataset()
    by_churn = voc.scores(ds, by="churned")
    assert by_churn["churned"].to_list() == [False, True]
    assert by_churn["nps"].to_list() == [50.0, -100.0]  # B promoter + C passive; A detractor
    assert by_churn["small_sample"].all()
    rates = voc.churn_by_category(ds)
    assert rates.select("category", "customers", "churned").rows() == [
        ("detractor", 1, 1),
        ("passive", 1, 0),
        ("promoter", 1, 0),
    ]


def test_response_rate_is_answering_customers_over_customers_with_the_trigger():
    rates = voc.response_rates(_dataset(), by=["country"])
    nps = rates.filter(pl.col("survey") == "nps").sort("value")
    assert nps.select("value", "eligible", "responded").rows() == [
        ("TH", 1, 1),
        ("US", 1, 1),
        ("VN", 1, 1),
    ]
    ces = rates.filter(pl.col("survey") == "ces").sort("value")
    # A and C checked out; only C answered the CES survey
    assert ces.select("value", "eligible", "responded", "response_rate").rows() == [
        ("TH", 1, 1, 1.0),
        ("VN", 1, 0, 0.0),
    ]
    csat = rates.filter(pl.col("survey") == "csat")
    assert csat.select("value", "eligible", "responded").rows() == [("VN", 1, 0)]
    assert rates["small_sample"].all()


def test_stalled_comments_come_from_customers_who_did_not_move_on():
    comments = voc.stalled_comments(_dataset(), "conversion")
    # B bought in store and never reached retention or advocacy
    assert comments.select("survey", "score", "theme").rows() == [("nps", 10.0, "product_quality")]
    assert "customer_id" not in comments.columns


def test_detractors_journeys_show_what_they_went_through():
    before = voc.touchpoints_before(_dataset())
    late = before.filter(pl.col("touchpoint") == "late_delivery")
    shares = dict(zip(late["category"], late["share"], strict=True))
    assert shares == {"detractor": 1.0, "passive": 0.0, "promoter": 0.0}
    # promoters had no late delivery: no ratio (null), ranked first with the other such rows
    assert late.filter(pl.col("category") == "detractor")["lift"][0] is None
    detractors = before.filter(pl.col("category") == "detractor")
    finite = detractors["lift"].drop_nulls().to_list()
    assert (
        detractors["lift"].is_null().to_list()[: detractors["lift"].null_count()]
        == [True] * detractors["lift"].null_count()
    )
    assert finite == sorted(finite, reverse=True)


def test_theme_matrix_and_quotes_of_the_tiny_answers():
    themed = voc.comment_themes(voc.journey_answers(_dataset()))
    assert themed.sort("customer_id", "ts")["theme"].to_list() == [
        "delivery_speed",
        "product_quality",
        "app_checkout",
        "delivery_speed",
    ]
    matrix = voc.theme_matrix(themed)
    delivery = matrix.filter(pl.col("theme") == "delivery_speed")
    assert delivery.select("category", "comments", "share").rows() == [
        ("detractor", 1, 0.5),
        ("passive", 1, 0.5),
        ("promoter", 0, 0.0),
    ]
    worst = voc.quotes(themed, category="detractor")
    assert worst.select("theme", "language", "times").rows() == [("delivery_speed", "en", 1)]


def test_hostile_comments_are_escaped_when_shown():
    ds = _dataset()
    themed = voc.comment_themes(voc.journey_answers(ds))
    pages = [
        table(voc.quotes(themed)).to_html(),
        table(voc.stalled_comments(ds, "retention")).to_html(),
        table(themed.select("theme", "comment")).to_html(),
    ]
    for html in pages:
        assert "<script>" not in html
    assert any("&lt;script&gt;" in html for html in pages)
    assert HOSTILE in themed["comment"].to_list()[0]  # the data itself is left as written


def test_sample_vietnamese_stall_at_consideration_is_explained_by_shipping_cost(sample):
    # planted truth 5: VN customers stall between cart and checkout; their online comments
    # are about shipping cost or price 64 % of the time (others 19 %)
    themes = voc.stall_themes(sample, "consideration", channels=["web", "app"])
    vn = themes.filter(pl.col("group") == "country = VN")
    others = themes.filter(pl.col("group") == "everyone else")
    assert vn["theme"][0] == "shipping_cost"
    money = pl.col("theme").is_in(["shipping_cost", "price"])
    assert vn.filter(money)["share"].sum() >= 0.5
    assert others.filter(money)["share"].sum() <= 0.35
    shipping_vn = vn.filter(pl.col("theme") == "shipping_cost").row(0, named=True)
    shipping_others = others.filter(pl.col("theme") == "shipping_cost").row(0, named=True)
    assert shipping_vn["share_low"] > shipping_others["share_high"]


def test_sample_drivers_find_friction_and_late_delivery(sample):
    # planted truth 3: NPS falls with late delivery, unresolved support and failed payments
    drivers = voc.drivers(sample, n_boot=50)
    assert set(drivers["attribute"][:2]) == {"friction_incidents", "delivery_days"}
    top = drivers.filter(pl.col("attribute").is_in(["friction_incidents", "delivery_days"]))
    assert (top["direction"] == "lower").all()
    assert (top["coefficient_high"] < 0).all()
    assert drivers["weight"].sum() == pytest.approx(drivers["r_squared"][0])


def test_sample_nps_is_lower_for_customers_who_later_churned(sample):
    by_churn = voc.scores(sample, by="churned").sort("churned")
    stayed, churned = by_churn.rows(named=True)
    assert churned["ci_high"] < stayed["ci_low"]
    answers = voc.journey_answers(sample)
    change = cx.nps_change(answers, period="churned", before=False, after=True)
    assert change["difference"][0] < 0 and change["p_value"][0] < 1e-6
    rates = voc.churn_by_category(sample)
    assert rates["churn_rate"].to_list() == sorted(rates["churn_rate"].to_list(), reverse=True)
    assert math.isclose(
        rates.filter(pl.col("category") == "promoter")["churn_rate"][0], 0.105, abs_tol=0.01
    )  # 10.5 % in the data card
