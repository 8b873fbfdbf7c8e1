"""Stall drivers: counts against a brute-force per-customer reference, planted drivers rank
first, unrelated features do not pass FDR, and nothing at or after the stall point leaks in."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from conftest import to_polars
from hypothesis import given
from hypothesis import strategies as st

import cxlib as cx
from cxlib.stall import stall_analysis, stall_drivers

T0 = datetime(2025, 1, 1, tzinfo=UTC)
STEPS = ["view", "cart", "buy"]


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _frame(rows: list[tuple[str, float, str]], channel: str = "web") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "ts": [_at(r[1]) for r in rows],
            "touchpoint": [r[2] for r in rows],
            "channel": [r[3] if len(r) > 3 else channel for r in rows],
        }
    )


# ------------------------------------------------------------------ brute-force reference


def _reference(rows, steps: list[str], at: int, window: float | None) -> dict[str, tuple]:
    """Per customer who reached step ``at``: (stall time in hours, stalled), one customer at
    a time: every step-1 event opens an attempt, each later step is its earliest event at or
    after the previous one and within ``window`` hours of step 1."""
    out = {}
    for customer in sorted({r[0] for r in rows}):
        events = sorted((r[1], r[2]) for r in rows if r[0] == customer)
        reached_at, furthest = None, 0
        for start, name in events:
            if name != steps[0]:
                continue
            times, now = [start], start
            for step in steps[1 : at + 1]:
                later = [
                    t
                    for t, n in events
                    if n == step and t >= now and (window is None or t - start <= window)
                ]
                if not later:
                    break
                now = min(later)
                times.append(now)
            furthest = max(furthest, len(times))
            if len(times) >= at and reached_at is None:
                reached_at = times[at - 1]  # earliest attempt reaching step ``at``
        if reached_at is not None:
            out[customer] = (reached_at, furthest < at + 1)
    return out


def _reference_counts(rows, steps, at, window) -> dict[str, tuple[int, int]]:
    """Per touchpoint feature: (customers with it, stalled with it), by brute force."""
    reach = _reference(rows, steps, at, window)
    counts: dict[str, tuple[int, int]] = {}
    for customer, (stall, stalled) in reach.items():
        had = {r[2] for r in rows if r[0] == customer and r[1] < stall and r[2] not in steps}
        for name in had:
            n, s = counts.get(name, (0, 0))
            counts[name] = (n + 1, s + stalled)
    return counts


def _as_counts(drivers: pl.DataFrame) -> dict[str, tuple[int, int]]:
    touch = drivers.filter(pl.col("kind") == "touchpoint")
    return {
        r["value"]: (r["customers_with"], r["stalled_with"]) for r in touch.iter_rows(named=True)
    }


TINY = [
    ("a", 0, "ad"), ("a", 1, "view"), ("a", 2, "cart"), ("a", 3, "buy"),
    ("b", 0, "mail"), ("b", 1, "view"), ("b", 2, "cart"), ("b", 5, "help"),
    ("c", 0, "ad"), ("c", 0.5, "mail"), ("c", 1, "view"), ("c", 2, "cart"),
    ("d", 1, "view"), ("d", 1.5, "help"),
    # e: first attempt reaches cart, a later one converts; the stall point is the first cart
    ("e", 0, "view"), ("e", 1, "cart"), ("e", 2, "ad"), ("e", 300, "view"), ("e", 301, "cart"),
    ("e", 302, "buy"),
    # f: help at the very moment of cart is not "before"
    ("f", 0, "view"), ("f", 4, "help"), ("f", 4, "cart"),
]  # fmt: skip


@pytest.mark.parametrize("window", [None, 48.0])
def test_counts_match_brute_force_per_customer(window):
    tp = _frame(TINY)
    within = None if window is None else timedelta(hours=window)
    drivers = stall_drivers(tp, STEPS, at=2, within=within, min_customers=1)
    reach = _reference(TINY, STEPS, 2, window)
    expected = _reference_counts(TINY, STEPS, 2, window)
    # the support rule with min_customers=1: someone has it and someone does not
    assert _as_counts(drivers) == {k: v for k, v in expected.items() if v[0] < len(reach)}
    assert len(expected) >= 2
    totals = drivers.select(pl.col("customers_with") + pl.col("customers_without")).to_series()
    assert set(totals) <= {len(reach)}


def test_counts_work_on_every_local_backend(constructor):
    tp = _frame(TINY)
    expected = _as_counts(stall_drivers(tp, STEPS, at=2, within=None, min_customers=1))
    frame = constructor({c: tp[c].to_list() for c in tp.columns})
    result = stall_drivers(frame, STEPS, at=2, within=None, min_customers=1)
    assert type(result).__module__.split(".")[0] == type(frame).__module__.split(".")[0]
    assert _as_counts(to_polars(result)) == expected


def test_event_at_or_after_the_stall_point_is_not_a_feature():
    rows = [("x", 0, "view"), ("x", 1, "cart"), ("x", 1, "help"), ("x", 2, "after")]
    rows += [("y", 0, "mail"), ("y", 1, "view"), ("y", 2, "cart"), ("y", 3, "buy")]
    drivers = stall_drivers(_frame(rows), STEPS, at=2, within=None, min_customers=1)
    # help ties with x's stall point and "after" follows it: only y's mail is before
    assert drivers.filter(pl.col("kind") == "touchpoint")["value"].to_list() == ["mail"]


def test_step_touchpoints_are_never_features():
    rows = [("x", 0, "buy"), ("x", 1, "view"), ("x", 2, "cart"), ("y", 0, "view")]
    rows += [("y", 1, "cart"), ("y", 2, "buy")]
    drivers = stall_drivers(_frame(rows), STEPS, at=2, within=None, min_customers=1)
    assert not drivers["value"].is_in(STEPS).any()


# ---------------------------------------------------------------------- planted drivers


def _planted(seed: int = 7, customers: int = 1600):
    """Funnel view -> cart -> buy; stalling at cart is driven by a ``coupon_error`` before
    the cart, by plan ``basic`` and by an NPS detractor answer; ``newsletter``, ``faq``, the
    ``region`` and a ``mobile`` channel are unrelated; ``refund`` only ever comes after the
    stall point and ``unboxing`` after the purchase."""
    rng = np.random.default_rng(seed)
    tp, surveys, people = [], [], []
    for i in range(customers):
        cid = f"c{i:05d}"
        start = float(rng.uniform(0, 24 * 60))
        coupon, basic, detractor = rng.random(3) < [0.25, 0.4, 0.2]
        region = str(rng.choice(["north", "south", "east"]))
        people.append((cid, "basic" if basic else "plus", region))
        for name, share in (("newsletter", 0.4), ("faq", 0.3)):
            if rng.random() < share:
                tp.append((cid, start - 5, name, "mobile" if rng.random() < 0.5 else "web"))
        if coupon:
            tp.append((cid, start - 2, "coupon_error", "web"))
        if detractor or rng.random() < 0.3:
            score = int(rng.integers(0, 7)) if detractor else int(rng.integers(7, 11))
            surveys.append((cid, _at(start - 1), "nps", float(score)))
        tp += [(cid, start, "view", "web"), (cid, start + 1, "cart", "web")]
        stall = 0.2 + 0.45 * coupon + 0.25 * basic + 0.3 * detractor
        if rng.random() < min(stall, 0.95):
            if rng.random() < 0.5:
                tp.append((cid, start + 3, "refund", "web"))
        else:
            tp += [(cid, start + 2, "buy", "web"), (cid, start + 30, "unboxing", "web")]
    touchpoints = _frame(tp)
    survey = pl.DataFrame(surveys, schema=["customer_id", "ts", "survey", "score"], orient="row")
    table = pl.DataFrame(people, schema=["customer_id", "plan", "region"], orient="row")
    return touchpoints, table, survey


@pytest.fixture(scope="module")
def planted() -> pl.DataFrame:
    touchpoints, customers, surveys = _planted()
    return stall_drivers(touchpoints, STEPS, at=2, customers=customers, surveys=surveys)


def _row(drivers: pl.DataFrame, feature: str, value: str) -> dict:
    found = drivers.filter((pl.col("feature") == feature) & (pl.col("value") == value))
    assert found.height == 1, (feature, value)
    return found.row(0, named=True)


def test_planted_drivers_rank_first_with_intervals_excluding_no_effect(planted):
    drivers = {("touchpoint", "coupon_error"), ("plan", "basic"), ("nps", "detractor")}
    top = set(zip(planted["feature"][:3], planted["value"][:3], strict=True))
    assert top == drivers
    for feature, value in drivers:
        row = _row(planted, feature, value)
        assert row["significant"]
        assert row["rd_ci_low"] > 0 and row["or_ci_low"] > 1


def test_unrelated_features_do_not_pass_fdr(planted):
    for feature, value in [
        ("touchpoint", "newsletter"),
        ("touchpoint", "faq"),
        ("channel", "mobile"),
        ("region", "north"),
        ("region", "south"),
        ("region", "east"),
    ]:
        assert _row(planted, feature, value)["q_value"] > 0.05


def test_nothing_after_the_stall_point_leaks_in(planted):
    assert not planted["value"].is_in(["refund", "unboxing", "buy", "cart", "view"]).any()


def test_q_values_are_benjamini_hochberg_of_the_p_values(planted):
    from scipy.stats import false_discovery_control

    expected = false_discovery_control(planted["p_value"].to_numpy(), method="bh")
    assert np.allclose(planted["q_value"].to_numpy(), expected)


def test_rare_features_are_not_tested():
    touchpoints, customers, surveys = _planted(customers=400)
    rare = _frame([("c00000", -100, "rare_thing")])
    tp = pl.concat([touchpoints, rare])
    drivers = stall_drivers(tp, STEPS, at=2, min_customers=20)
    assert "rare_thing" not in drivers["value"].to_list()
    assert (drivers["customers_with"] >= 20).all()
    assert (drivers["customers_without"] >= 20).all()


def test_zero_cells_use_haldane_anscombe():
    rows = []
    for i in range(40):  # everyone with "oops" stalls; nobody without does
        cid = f"k{i}"
        rows += [(cid, 0, "oops")] if i < 20 else []
        rows += [(cid, 1, "view"), (cid, 2, "cart")] + ([] if i < 20 else [(cid, 3, "buy")])
    row = stall_drivers(_frame(rows), STEPS, at=2, min_customers=5).row(0, named=True)
    assert row["stalled_with"] == 20 and row["stalled_without"] == 0
    assert row["odds_ratio"] == pytest.approx((20.5 * 20.5) / (0.5 * 0.5))
    assert row["test"] == "chi-square" and row["significant"]


# ------------------------------------------------------------------------- properties


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["p", "q", "r", "s"]),
            st.integers(0, 12),
            st.sampled_from(["view", "cart", "buy", "ad", "mail", "help"]),
        ),
        min_size=1,
        max_size=30,
    ),
    st.integers(1, 2),
)
def test_with_plus_without_is_everyone_who_reached_the_step(rows, at):
    tp = _frame([(c, float(t), n) for c, t, n in rows])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stall_analysis(tp, STEPS, at=at, within="6h", min_customers=1)
    reach = _reference([(c, float(t), n) for c, t, n in rows], STEPS, at, 6.0)
    assert result.reached == len(reach)
    assert result.stalled == sum(s for _, s in reach.values())
    drivers = result.drivers
    assert (drivers["customers_with"] + drivers["customers_without"] == result.reached).all()
    assert (drivers["stalled_with"] + drivers["stalled_without"] == result.stalled).all()
    assert (drivers["rd_ci_low"] <= drivers["risk_difference"] + 1e-12).all()
    assert (drivers["q_value"] >= drivers["p_value"] - 1e-12).all()


# ---------------------------------------------------------------------- stages, errors


def test_stage_steps_come_from_the_stage_model():
    stages = cx.stage_model("custom", stages=["find", "buy", "love"], mapping={
        "view": "find", "cart": "find", "buy": "buy", "review": "love", "ad": "find"})  # fmt: skip
    rows = [("a", 0, "mail"), ("a", 1, "view"), ("a", 3, "review"), ("b", 1, "cart")]
    result = stall_analysis(_frame(rows), stage="find", stages=stages, within=None,
                            min_customers=1)  # fmt: skip
    assert (result.reached, result.stalled) == (2, 1)  # a moved on (a later stage), b did not
    with pytest.raises(cx.DataError, match="last stage"):
        stall_analysis(_frame(rows), stage="love", stages=stages)
    with pytest.raises(cx.DataError, match="stages=ds.stages"):
        stall_analysis(_frame(rows), stage="find")


def test_nobody_at_the_step_gives_an_empty_frame():
    rows = [("a", 0, "view"), ("b", 0, "view"), ("b", 1, "mail"), ("c", 5, "cart")]
    result = stall_analysis(_frame(rows), STEPS, at=2)
    assert result.reached == 0 and result.drivers.is_empty()
    assert "q_value" in result.drivers.columns


@pytest.mark.parametrize("at", [0, 3])
def test_a_step_without_a_next_step_is_a_data_error(at):
    with pytest.raises(cx.DataError, match="at="):
        stall_drivers(_frame(TINY), STEPS, at=at)


def test_answers_after_the_stall_point_and_churn_outcomes_are_not_features():
    rows, answers, people = [], [], []
    for i in range(40):
        cid, stalls = f"z{i}", i % 2 == 0
        rows += [(cid, 0, "view"), (cid, 1, "cart")] + ([] if stalls else [(cid, 2, "buy")])
        # every staller is a detractor afterwards, and churns: both observed after the stall
        answers.append((cid, _at(5), "nps", 2.0 if stalls else 10.0))
        people.append((cid, stalls, "north" if i % 4 < 2 else "south"))
    surveys = pl.DataFrame(answers, schema=["customer_id", "ts", "survey", "score"], orient="row")
    customers = pl.DataFrame(people, schema=["customer_id", "churned", "region"], orient="row")
    drivers = stall_drivers(
        _frame(rows), STEPS, at=2, customers=customers, surveys=surveys, min_customers=5
    )
    assert drivers["kind"].to_list() == ["attribute", "attribute"]
    assert set(drivers["feature"]) == {"region"}
    assert not drivers["significant"].any()


def test_each_row_statistics_match_scipy_on_its_own_table(planted):
    from scipy import stats

    for row in planted.iter_rows(named=True):
        a, c = row["stalled_with"], row["stalled_without"]
        b, d = row["customers_with"] - a, row["customers_without"] - c
        table = [[a, b], [c, d]]
        if row["test"] == "fisher":
            expected_p = stats.fisher_exact(table).pvalue
        else:
            expected_p = stats.chi2_contingency(table, correction=False).pvalue
        assert row["p_value"] == pytest.approx(expected_p, rel=1e-6, abs=1e-300)
        cells = [x + 0.5 for x in (a, b, c, d)] if 0 in (a, b, c, d) else [a, b, c, d]
        assert row["odds_ratio"] == pytest.approx(cells[0] * cells[3] / (cells[1] * cells[2]))
        assert row["rd_ci_low"] <= row["risk_difference"] <= row["rd_ci_high"]
        assert row["or_ci_low"] <= row["odds_ratio"] <= row["or_ci_high"]


def test_only_columns_that_can_be_features_reach_the_engine():
    from cxlib.stall._features import property_columns

    frame = pl.DataFrame(
        {
            "customer_id": ["a"],
            "ts": [datetime(2025, 1, 1, tzinfo=UTC)],
            "touchpoint": ["visit"],
            "channel": ["web"],
            "session_id": ["s1"],
            "order_id": ["o1"],
            "revenue": [1.5],
            "email": ["a@example.com"],
            "device_tier": [2],
            "churned": [True],
        }
    )
    expected = ["channel", "device_tier"]
    assert property_columns(frame) == expected
    assert property_columns(frame.to_pandas()) == expected
