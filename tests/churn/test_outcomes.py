"""One churn definition per dataset: the label column or the inactivity rule, used by every
churn function; shops without a label or a customer table; survival splits that fall back to
what the data has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cxlib as cx
from cxlib import churn
from cxlib.churn import survival
from cxlib.io._validate import empty_rejects

START = datetime(2025, 1, 1, tzinfo=UTC)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _at(day: float) -> datetime:
    return START + timedelta(days=day)


def _shop(
    touchpoints: list[tuple],
    customers: dict[str, list] | None = None,
    **config,
) -> cx.Dataset:
    """A Dataset from ``(customer, day, touchpoint, channel)`` rows (days after START) and an
    optional customer table given as columns; ``config`` are :class:`cx.Config` fields."""
    model = cx.stage_model()
    tp = pl.DataFrame(
        [(c, _at(d), t, ch) for c, d, t, ch in touchpoints],
        schema={
            "customer_id": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "touchpoint": pl.String,
            "channel": pl.String,
        },
        orient="row",
    )
    return cx.Dataset(
        touchpoints=model.assign(tp),
        surveys=None,
        customers=None if customers is None else pl.DataFrame(customers),
        stages=model,
        rejects=empty_rejects(),
        config=cx.Config(**config),
        read={},
    )


# --- the inactivity rule ------------------------------------------------------------------------

GAPS = [
    ("gone", 0, "visit", "web"),
    ("gone", 10, "purchase", "web"),  # then 90 silent days: churned at day 10
    ("exact", 0, "visit", "web"),
    ("exact", 70, "visit", "web"),  # exactly 30 days before the end: churned
    ("recent", 0, "visit", "web"),
    ("recent", 80, "visit", "app"),  # 20 days before the end: censored
    ("back", 5, "visit", "web"),
    ("back", 60, "visit", "web"),  # a long gap in the middle, then back: censored
    ("back", 100, "visit", "web"),  # the data's end
]


def test_inactivity_rule_churns_a_long_final_gap_at_the_last_touchpoint():
    out = churn.outcomes(_shop(GAPS, churn_inactivity_days=30))
    rows = {row["customer_id"]: row for row in out.iter_rows(named=True)}
    assert (rows["gone"]["churned"], rows["gone"]["churn_ts"]) == (True, _at(10))
    assert rows["gone"]["observed"] and rows["gone"]["duration"] == pytest.approx(10.0)
    assert (rows["exact"]["churned"], rows["exact"]["churn_ts"]) == (True, _at(70))


def test_inactivity_rule_censors_customers_seen_recently_instead_of_calling_them_retained():
    out = churn.outcomes(_shop(GAPS, churn_inactivity_days=30))
    rows = {row["customer_id"]: row for row in out.iter_rows(named=True)}
    for name, first in (("recent", 0), ("back", 5)):
        assert rows[name]["churned"] is False and rows[name]["observed"] is False
        assert rows[name]["churn_ts"] is None
        # censored 30 days before the data's end: a churn after day 70 cannot be seen yet
        assert rows[name]["duration"] == pytest.approx(70.0 - first)
    assert rows["back"]["last_ts"] == _at(100)


@st.composite
def _histories(draw) -> tuple[list[tuple], int]:
    """Touchpoints of up to 5 customers on whole or half days, and a rule of 1-60 days."""
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from("abcde"),
                st.integers(0, 400).map(lambda half_days: half_days / 2),
                st.sampled_from(["visit", "purchase"]),
                st.sampled_from(["web", "app"]),
            ),
            min_size=1,
            max_size=30,
        )
    )
    return rows, draw(st.integers(1, 60))


def _reference_outcomes(rows: list[tuple], days: int) -> dict[str, tuple]:
    """The rule by hand: (churned, churn day, first day, last day, duration, observed)."""
    end = max(day for _, day, _, _ in rows)
    per_customer: dict[str, list[float]] = {}
    for customer, day, _, _ in rows:
        per_customer.setdefault(customer, []).append(day)
    out = {}
    for customer, times in per_customer.items():
        churn_day = None
        for t in times:  # the touchpoint no other follows, with `days` of data after it
            if not any(u > t for u in times) and end - t >= days:
                churn_day = t
        first, last = min(times), max(times)
        stop = churn_day if churn_day is not None else end - days  # censored: last visible day
        stop = max(stop, first)
        out[customer] = (churn_day is not None, churn_day, first, last, stop - first)
    return out


@SETTINGS
@given(_histories())
def test_inactivity_rule_matches_a_per_customer_loop(history):
    rows, days = history
    got = churn.outcomes(_shop(rows, churn_inactivity_days=days))
    expected = _reference_outcomes(rows, days)
    assert sorted(got["customer_id"]) == sorted(expected)
    for row in got.iter_rows(named=True):
        churned, churn_day, first, last, duration = expected[row["customer_id"]]
        assert row["churned"] is churned and row["observed"] is churned
        assert row["churn_ts"] == (None if churn_day is None else _at(churn_day))
        assert (row["first_ts"], row["last_ts"]) == (_at(first), _at(last))
        assert row["duration"] == pytest.approx(duration)


@SETTINGS
@given(_histories(), st.integers(0, 200).map(lambda half_days: half_days / 2))
def test_label_after_as_of_is_the_rule_seen_inactivity_days_later(history, as_of_day):
    """Churned after as_of: no touchpoint in [as_of, as_of + days); those the rule already
    counts as gone at as_of (nothing in the days before it) leave with active_only."""
    rows, days = history
    ds = _shop(rows, churn_inactivity_days=days)
    as_of, end = _at(as_of_day), max(day for _, day, _, _ in rows)
    before = {c for c, day, _, _ in rows if day < as_of_day}
    if not before:
        return
    if end < as_of_day + days:
        with pytest.raises(cx.DataError, match="needs data until"):
            churn.label(ds, as_of=as_of)
        return
    labels = dict(churn.label(ds, as_of=as_of).iter_rows())
    assert labels == {
        c: not any(as_of_day <= day < as_of_day + days for k, day, _, _ in rows if k == c)
        for c in before
    }
    active = churn.features(ds, as_of=as_of, active_only=True)["customer_id"].to_list()
    assert active == sorted(
        c
        for c in before
        if any(as_of_day - days <= day < as_of_day for k, day, *_ in rows if k == c)
    )


# --- one definition, or a DataError naming the cx.toml key -------------------------------------


def test_a_missing_label_without_a_rule_names_the_cx_toml_key():
    no_table = _shop(GAPS)
    no_column = _shop(GAPS, customers={"customer_id": ["gone", "recent"], "tier": ["a", "b"]})
    empty = _shop(GAPS, customers={"customer_id": ["gone"], "churned": [None]})
    no_label = _shop(GAPS, customers={"customer_id": ["gone"], "tier": ["a"]}, churn_label=None)
    for ds in (no_table, no_column, empty, no_label):
        for call in (
            lambda ds: churn.outcomes(ds),
            lambda ds: churn.friction_churn(ds),
            lambda ds: churn.lifetimes(ds, as_of=_at(50)),
            lambda ds: churn.training_table(ds, as_of=_at(50), horizon="30d"),
        ):
            with pytest.raises(cx.DataError, match=r"\[churn\] inactivity_days") as error:
                call(ds)
            assert "cx.toml" in str(error.value)
    with pytest.raises(cx.DataError, match=r"no 'churned' column; set \[churn\] label"):
        churn.outcomes(no_column)


def test_the_rule_in_cx_toml_wins_over_a_label_column_and_an_explicit_label_over_the_rule():
    customers = {"customer_id": ["gone", "recent"], "churned": [False, True]}
    ds = _shop(GAPS, customers=customers, churn_inactivity_days=30)
    assert churn.definition(ds).kind == "inactivity"
    assert dict(churn.outcomes(ds).select("customer_id", "churned").iter_rows())["gone"] is True
    explicit = churn.definition(ds, label_column="churned")
    assert (explicit.kind, explicit.label, explicit.dated) == ("label", "churned", False)


def test_an_explicit_rule_decides_both_the_label_and_who_has_already_gone():
    customers = {"customer_id": ["gone", "exact", "recent", "back"], "churned": [False] * 4}
    ds = _shop(GAPS, customers=customers)  # a label in the data, no rule in cx.toml
    table = churn.training_table(ds, as_of=_at(40), inactivity_days=30, active_only=True)
    # only "gone" was seen in the 30 days before day 40; nothing of theirs in [40, 70)
    assert dict(table.select("customer_id", "churned").iter_rows()) == {"gone": True}


def test_an_undated_yes_no_label_churns_at_the_last_touchpoint():
    customers = {"customer_id": ["gone", "recent", "exact"], "Exited": ["Yes", "No", None]}
    ds = _shop(GAPS, customers=customers, churn_label="Exited")
    out = churn.outcomes(ds)
    assert out["customer_id"].to_list() == ["exact", "gone", "recent"]  # the customer table
    assert out["churned"].to_list() == [False, True, False]
    assert out["churn_ts"].to_list() == [None, _at(10), None]
    assert "Exited" not in churn.features(ds, as_of=_at(50)).columns  # never a feature


def test_a_dated_label_is_used_as_it_is_and_churn_after_the_data_is_censored():
    customers = {
        "customer_id": ["gone", "recent"],
        "signup_ts": [_at(-5), _at(0)],
        "churned": [True, True],
        "churn_ts": [_at(12), _at(150)],  # "recent" leaves after the data ends
    }
    out = churn.outcomes(_shop(GAPS, customers=customers))
    rows = {row["customer_id"]: row for row in out.iter_rows(named=True)}
    assert rows["gone"]["churn_ts"] == _at(12) and rows["gone"]["duration"] == pytest.approx(17)
    assert rows["recent"]["churned"] and not rows["recent"]["observed"]
    assert rows["recent"]["duration"] == pytest.approx(100.0)


def test_friction_churn_counts_the_rule_s_churners():
    rows = [*GAPS, ("gone", 3, "payment_failed", "web"), ("gone", 4, "late_delivery", "web")]
    table = churn.friction_churn(_shop(rows, churn_inactivity_days=30))
    got = table.select("incidents", "customers", "churned").rows()
    assert got == [("0", 3, 1), ("2+", 1, 1)]  # exact churned; recent and back censored


def test_lifetimes_under_the_rule_run_from_as_of_to_the_last_touchpoint_or_the_end():
    ds = _shop(GAPS, churn_inactivity_days=30)
    life = churn.lifetimes(ds, as_of=_at(50))
    got = {row["customer_id"]: (row["days"], row["churned"]) for row in life.iter_rows(named=True)}
    # "gone" left at day 10, before the snapshot: not followed; the others are censored on
    # day 70, the last day a churn can be seen
    assert got == {"exact": (20.0, True), "recent": (20.0, False), "back": (20.0, False)}
    with pytest.raises(cx.DataError, match="the last day a churn can be seen"):
        churn.lifetimes(ds, as_of=_at(75))


# --- no customer table, end to end ----------------------------------------------------------------


def _clickstream(customers: int = 60) -> list[tuple]:
    """Customers who come every few days from their start; some stop, some stay to the end."""
    rows = []
    for i in range(customers):
        start, every = i % 20, 3 + i % 4
        stop = 40 + 5 * (i % 7) if i % 3 else 200  # every third stays to the end
        channel = ["web", "app"][i % 2]
        for day in range(start, min(stop, 200) + 1, every):
            rows.append((f"K{i:03d}", day + 0.1 * (i % 5), "visit", channel))
            if day % 4 == 0:
                rows.append((f"K{i:03d}", day + 0.2, "purchase", channel))
    return rows


def test_a_shop_without_a_customer_table_goes_from_training_to_survival_curves():
    ds = _shop(_clickstream(), churn_inactivity_days=30)
    assert ds.customers is None
    training = churn.training_table(ds, as_of=_at(45), active_only=True)
    assert training.height > 20 and 0 < training["churned"].mean() < 1
    scores = churn.evaluate(training, folds=3)
    assert scores["model"].to_list() == ["logistic", "boosting"]
    model = churn.fit(training, folds=3, models=["logistic"])
    today = churn.features(ds, active_only=True)
    assert (today["recency_days"] < 30).all()  # those gone for 30 days are not at risk
    risk = churn.at_risk(model, today, top=5, key="k")
    assert risk.height == 5 and risk["churn_probability"].is_sorted(descending=True)
    column, reason = churn.survival_segments(ds, preferred="friction_90d", as_of=_at(45))
    assert column == "first_channel" and "first channel" in reason
    life = churn.lifetimes(ds, as_of=_at(45), by=column)
    curves = survival.kaplan_meier(life, by="segment")
    assert set(curves["segment"]) == {"web", "app"}
    assert survival.logrank_test(life, group="segment")["df"][0] == 1


# --- survival segments fall back to what the data has -------------------------------------------


def test_the_preferred_segment_is_kept_when_it_has_two_groups():
    rows = [*GAPS, ("recent", 60, "payment_failed", "web")]
    column, reason = churn.survival_segments(
        _shop(rows, churn_inactivity_days=30), preferred="friction_90d", as_of=_at(65), bins=[1]
    )
    assert column == "friction_90d" and reason.startswith("Split by friction incidents")


def test_segments_fall_back_to_a_customer_attribute_with_two_to_six_groups():
    customers = {
        "customer_id": ["gone", "exact", "recent", "back"],
        "segment_code": ["x"] * 4,  # one group: skipped
        "city": [f"city {i}" for i in range(4)],  # "gone" left before as_of: 3 groups
        "plan": ["basic", "pro", "basic", "pro"],  # also fits, but comes later
    }
    ds = _shop(GAPS, customers=customers, churn_inactivity_days=30)
    column, reason = churn.survival_segments(ds, preferred="friction_90d", as_of=_at(50))
    assert column == "city"  # the first attribute with 2 to 6 groups among those at risk
    assert "same friction incidents" in reason and "split by city instead (3 groups)" in reason
    life = churn.lifetimes(ds, as_of=_at(50), by=column, bins=[1, 2])  # bins ignore text
    assert sorted(life["segment"]) == ["city 1", "city 2", "city 3"]


def test_segments_fall_back_to_the_first_purchase_channel_then_to_one_curve():
    bought_apart = [
        ("a", 0, "visit", "web"),
        ("a", 1, "purchase", "store"),
        ("b", 0, "visit", "web"),
        ("b", 1, "purchase", "app"),
        ("a", 50, "visit", "web"),
        ("b", 60, "visit", "web"),
    ]
    column, _ = churn.survival_segments(_shop(bought_apart, churn_inactivity_days=30), as_of=_at(2))
    assert column == "first_purchase_channel"
    alike = [(c, d, "visit", "web") for c, d, _, _ in bought_apart]
    ds = _shop(alike, churn_inactivity_days=30)
    column, reason = churn.survival_segments(ds, preferred="friction_90d", as_of=_at(2))
    assert column is None and "one curve for everyone, no log-rank test" in reason
    life = churn.lifetimes(ds, as_of=_at(2), by=column)
    assert life["segment"].unique().to_list() == ["all"]
    assert survival.kaplan_meier(life, by="segment")["segment"].unique().to_list() == ["all"]


def test_an_unknown_preferred_segment_falls_back_with_the_reason():
    column, reason = churn.survival_segments(
        _shop(_clickstream(), churn_inactivity_days=30), preferred="plan", as_of=_at(45)
    )
    assert column == "first_channel" and reason.startswith("This data has no 'plan'")
