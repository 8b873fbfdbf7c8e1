"""Predictive churn: leak-free features and labels, honest CV on any table, drivers, at-risk."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

import cxlib as cx
from cxlib import churn
from cxlib.churn._drivers import _permutation_drop
from cxlib.churn._features import history
from cxlib.io._validate import empty_rejects
from cxlib.sample import PLANTED

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
AS_OF = datetime(2025, 7, 1, tzinfo=UTC)


def _ts(day: float) -> datetime:
    """Days after 2025-06-01 (as_of is day 30)."""
    return datetime(2025, 6, 1, tzinfo=UTC) + timedelta(days=day)


def _dataset(
    touchpoints: list[tuple],
    surveys: list[tuple] = (),
    customers: list[tuple] = (),
    config: cx.Config | None = None,
) -> cx.Dataset:
    """A Dataset from rows: (id, day, touchpoint, channel[, revenue]), (id, day, survey, score),
    (id, signup day, churned, churn day or None, country)."""
    model = cx.stage_model()
    tp = pl.DataFrame(
        [(c, _ts(d), t, ch, r[0] if r else None) for c, d, t, ch, *r in touchpoints],
        schema={
            "customer_id": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "touchpoint": pl.String,
            "channel": pl.String,
            "revenue": pl.Float64,
        },
        orient="row",
    )
    sv = pl.DataFrame(
        [(c, _ts(d), s, float(x)) for c, d, s, x in surveys],
        schema={
            "customer_id": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "survey": pl.String,
            "score": pl.Float64,
        },
        orient="row",
    )
    cu = pl.DataFrame(
        [(c, _ts(s), ch, None if ct is None else _ts(ct), k) for c, s, ch, ct, k in customers],
        schema={
            "customer_id": pl.String,
            "signup_ts": pl.Datetime("us", "UTC"),
            "churned": pl.Boolean,
            "churn_ts": pl.Datetime("us", "UTC"),
            "country": pl.String,
        },
        orient="row",
    )
    return cx.Dataset(
        touchpoints=model.assign(tp),
        surveys=sv,
        customers=cu,
        stages=model,
        rejects=empty_rejects(),
        config=config or cx.Config(),
        read={},
    )


TINY = dict(
    touchpoints=[
        ("A", 1, "visit", "web"),
        ("A", 2, "purchase", "store", 50.0),
        ("A", 3, "purchase", "web", 30.0),
        ("A", 20, "late_delivery", "web"),
        ("A", 25, "payment_failed", "app"),
        ("A", 29, "visit", "app"),
        ("B", -40, "visit", "web"),
        ("B", 5, "product_view", "web"),
        ("C", 10, "visit", "web"),
        ("A", 31, "purchase", "web", 99.0),
        ("B", 45, "visit", "web"),  # after as_of
    ],
    surveys=[("A", 4, "nps", 9), ("A", 26, "nps", 3), ("A", 40, "nps", 0), ("B", 6, "csat", 4)],
    customers=[
        ("A", -100, True, 50, "VN"),
        ("B", -50, False, None, "US"),
        ("C", -10, True, 15, "TH"),
    ],
)


@pytest.fixture(scope="module")
def sample() -> cx.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.load(SAMPLE)


@pytest.fixture(scope="module")
def sample_model(sample) -> churn.ChurnModel:
    return churn.fit(churn.training_table(sample, as_of="2025-07-01", horizon="120d"), folds=3)


# --- leak-free features and labels ------------------------------------------------------------


def test_features_are_computed_from_the_past_by_hand():
    row = churn.features(_dataset(**TINY), as_of=AS_OF).filter(pl.col("customer_id") == "A")
    got = row.to_dicts()[0]
    assert got["recency_days"] == pytest.approx(1.0)
    assert (got["touchpoints"], got["purchases"], got["revenue"]) == (6, 2, 80.0)
    assert (got["friction_90d"], got["friction_total"]) == (2, 2)
    assert got["days_since_friction"] == pytest.approx(5.0)
    assert got["omnichannel"] is True  # bought in store and online
    assert got["furthest_stage"] == "retention"  # late_delivery
    assert (got["nps_latest"], got["nps_trend"]) == (3.0, -6.0)  # the day-40 answer is future
    assert got["tenure_days"] == pytest.approx(130.0)
    # all 6 touchpoints in the last 30 days, none in the 60 before: new engagement
    assert (got["touchpoints_30d"], got["touchpoints_prior_60d"]) == (6, 0)
    assert got["engagement_trend"] == pytest.approx(1.0)
    assert got["country"] == "VN"


def test_engagement_trend_compares_daily_rates_of_the_last_30_and_prior_60_days():
    ds = _dataset(
        [("B", -40, "visit", "web"), ("B", -35, "visit", "web"), ("B", 5, "visit", "web")],
        customers=[("B", -50, False, None, "US")],
    )
    got = churn.features(ds, as_of=AS_OF).row(0, named=True)
    rate_30, rate_60 = 1 / 30, 2 / 60
    assert got["engagement_trend"] == pytest.approx((rate_30 - rate_60) / (rate_30 + rate_60))


def test_customers_who_churned_before_as_of_are_left_out():
    ids = churn.features(_dataset(**TINY), as_of=AS_OF)["customer_id"].to_list()
    assert ids == ["A", "B"]  # C churned on day 15, before as_of (day 30)


def test_features_never_see_outcome_columns():
    past = history(_dataset(**TINY), AS_OF)
    assert "churned" not in past.customers.columns and "churn_ts" not in past.customers.columns
    assert not {"churned", "churn_ts"} & set(churn.features(_dataset(**TINY), as_of=AS_OF).columns)


@pytest.mark.parametrize("seed", range(5))
def test_future_events_change_the_label_but_no_feature(seed):
    """Add random touchpoints and answers on or after as_of and move the churn date: the
    features are identical, the label is not."""
    rng = np.random.default_rng(seed)
    base = _dataset(**TINY)
    extra_tp = [
        (
            str(rng.choice(["A", "B"])),
            float(30 + rng.uniform(0, 60)),
            str(rng.choice(["payment_failed", "purchase", "visit", "support_contact"])),
            str(rng.choice(["web", "app", "store"])),
            10.0,
        )
        for _ in range(20)
    ]
    extra_sv = [
        (
            str(rng.choice(["A", "B"])),
            float(30 + rng.uniform(0, 60)),
            "nps",
            int(rng.integers(0, 11)),
        )
        for _ in range(5)
    ]
    customers = [
        ("A", -100, True, 200, "VN"),
        ("B", -50, True, 35, "US"),
        ("C", -10, True, 15, "TH"),
    ]
    shifted = _dataset(TINY["touchpoints"] + extra_tp, TINY["surveys"] + extra_sv, customers)
    before = churn.features(base, as_of=AS_OF)
    after = churn.features(shifted, as_of=AS_OF)
    assert before.equals(after)
    label_before = churn.label(base, as_of=AS_OF, horizon="30d")
    label_after = churn.label(shifted, as_of=AS_OF, horizon="30d")
    assert label_before["churned"].to_list() == [True, False]  # A churns on day 50
    assert label_after["churned"].to_list() == [False, True]  # A on day 200, B on day 35


def test_label_counts_churn_only_inside_the_horizon():
    ds = _dataset(**TINY)
    assert churn.label(ds, as_of=AS_OF, horizon="10d")["churned"].to_list() == [False, False]
    assert churn.label(ds, as_of=AS_OF, horizon=None)["churned"].to_list() == [True, False]


def test_inactivity_label_is_no_touchpoint_for_n_days_after_as_of():
    ds = _dataset(**TINY)
    labels = churn.label(ds, as_of=AS_OF, inactivity_days=10)
    assert dict(labels.iter_rows()) == {"A": False, "B": True}  # A is seen on day 31
    with pytest.raises(cx.DataError, match="needs data until"):
        churn.label(ds, as_of=AS_OF, inactivity_days=60)


def test_inactivity_definition_comes_from_the_config():
    ds = _dataset(**TINY, config=cx.Config(churn_inactivity_days=10))
    table = churn.training_table(ds, as_of=AS_OF)
    assert dict(table.select("customer_id", "churned").iter_rows()) == {"A": False, "B": True}


def test_training_table_joins_features_and_label_as_of_the_same_date():
    table = churn.training_table(_dataset(**TINY), as_of=AS_OF, horizon="30d")
    assert table.columns[0] == "customer_id" and table.columns[-1] == "churned"
    assert table["customer_id"].to_list() == ["A", "B"]


# --- planted truths, recovered from features computed here ------------------------------------


def test_friction_churn_recovers_the_planted_quarter_rule(sample):
    truth = PLANTED.friction
    rates = dict(churn.friction_churn(sample).select("incidents", "churn_rate").iter_rows())
    assert rates["2+"] >= truth.min_churn_rate
    assert abs(rates["0"] - truth.no_friction_churn_rate) <= truth.no_friction_tolerance
    assert rates["0"] < rates["1"] < rates["2+"]


def test_recent_friction_feature_predicts_churn_after_as_of(sample):
    table = churn.training_table(sample, as_of="2025-07-01", horizon="120d")
    rate = dict(
        table.group_by(pl.col("friction_90d").clip(upper_bound=2))
        .agg(pl.col("churned").mean())
        .iter_rows()
    )
    assert rate[2] >= 0.5 and rate[2] >= 4 * rate[0]


def test_models_beat_chance_on_the_sample_and_friction_drives_them(sample_model):
    summary = sample_model.summary
    assert summary["model"].to_list() == ["logistic", "boosting"]
    assert (summary["roc_auc"] - 2 * summary["roc_auc_std"] > 0.5).all()
    top = sample_model.importance().head(5)["feature"].to_list()
    assert "friction_90d" in top


# --- evaluate on any customer table -----------------------------------------------------------


def _mixed_table(rows: int = 1500, seed: int = 0) -> tuple[pl.DataFrame, float]:
    """Numeric, string, boolean and id columns with missing values; known logistic signal."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    tenure = rng.uniform(0, 60, rows)
    plan = rng.choice(["basic", "plus", "pro"], rows)
    paperless = rng.random(rows) < 0.5
    logit = -1 - 0.05 * tenure + 1.5 * (plan == "basic") + 0.7 * paperless
    truth = 1 / (1 + np.exp(-logit))
    churned = rng.random(rows) < truth
    tenure_seen = np.where(rng.random(rows) < 0.05, np.nan, tenure)
    plan_seen = np.where(rng.random(rows) < 0.05, None, plan)
    return pl.DataFrame(
        {
            "customer_id": [f"K{i:05d}" for i in range(rows)],
            "tenure": tenure_seen,
            "plan": plan_seen.tolist(),
            "paperless": paperless,
            "noise": rng.normal(size=rows),
            "churned": churned,
        }
    ), float(roc_auc_score(churned, truth))


def test_evaluate_recovers_known_signal_on_a_mixed_table():
    table, oracle = _mixed_table()
    scores = churn.evaluate(table)
    assert scores.columns[:5] == ["model", "roc_auc", "roc_auc_std", "pr_auc", "brier"]
    auc = dict(scores.select("model", "roc_auc").iter_rows())
    # the signal is linear in the logit: the logistic model nearly reaches the true
    # probabilities; trees approximate it in steps on 1,500 rows
    assert oracle - 0.03 <= auc["logistic"] <= oracle + 0.03
    assert oracle - 0.07 <= auc["boosting"] <= auc["logistic"]
    assert (scores["roc_auc_std"] > 0).all() and (scores["folds"] == 5).all()
    assert "customer_id" in scores["dropped"][0]


def test_evaluate_gives_the_same_scores_for_pandas_and_polars():
    table, _ = _mixed_table(600)
    from_polars = churn.evaluate(table, folds=3)
    from_pandas = churn.evaluate(table.to_pandas(), folds=3)
    assert from_polars.equals(from_pandas)


def test_evaluate_does_not_change_its_input():
    table, _ = _mixed_table(300)
    frame = table.to_pandas()
    copy = frame.copy()
    churn.evaluate(frame, folds=2)
    pd.testing.assert_frame_equal(frame, copy)


def test_logistic_cv_matches_scikit_learn_by_hand():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 3))
    y = rng.random(400) < 1 / (1 + np.exp(-X[:, 0]))
    table = pl.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "churned": y})
    model = churn.fit(table, models=["logistic"])
    reference = cross_val_score(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
        X,
        y,
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
        scoring="roc_auc",
    )
    assert model.fold_scores["roc_auc"].to_list() == pytest.approx(list(reference), abs=1e-9)
    assert model.summary["roc_auc_std"][0] == pytest.approx(np.std(reference, ddof=1))


def test_id_like_constant_and_date_columns_are_dropped_with_a_note():
    rows = 100
    table = pl.DataFrame(
        {
            "RowNumber": list(range(1, rows + 1)),
            "CustomerId": list(range(9000, 9000 + rows)),
            "customerID": [f"x{i}" for i in range(rows)],
            "country": ["VN", "US"] * 50,
            "constant": [1] * rows,
            "joined": [datetime(2025, 1, 1)] * rows,
            "score": [i % 17 for i in range(rows)],
            "Exited": [i % 3 == 0 for i in range(rows)],
        }
    )
    dropped = churn.evaluate(table, label="Exited", folds=2)["dropped"][0]
    for column in ("RowNumber", "CustomerId", "customerID", "constant", "joined"):
        assert column in dropped
    for kept in ("country", "score"):
        assert f"{kept} (" not in dropped


def test_numbers_stored_as_text_are_read_as_numbers():
    rows = 200
    charges = [" " if i % 50 == 0 else f"{i * 1.5:.2f}" for i in range(rows)]
    table = pl.DataFrame(
        {"TotalCharges": charges, "Churn": ["Yes" if i < 60 else "No" for i in range(rows)]}
    )
    model = churn.fit(table, label="Churn", folds=2, models=["logistic"])
    assert model.cv.encoding.numeric_text == ("TotalCharges",)
    assert model.summary["roc_auc"][0] > 0.95


@pytest.mark.parametrize(
    ("values", "positive"),
    [
        (["Yes", "No"], None),
        ([1, 0], None),
        (["churned", "active"], None),
        (["gone", "here"], "gone"),
        (["True.", "False."], None),
        (["Churned", "Stayed"], None),
    ],
)
def test_label_spellings(values, positive):
    rows = 80
    signal = [i % 4 == 0 for i in range(rows)]
    table = pl.DataFrame(
        {
            "tickets": [5 * s + i % 2 for i, s in enumerate(signal)],
            "label": [values[0] if s else values[1] for s in signal],
        }
    )
    scores = churn.evaluate(table, label="label", positive=positive, folds=2, models=["logistic"])
    assert scores["positive_rate"][0] == pytest.approx(0.25)


def test_unclear_label_or_too_few_churners_raise_data_errors():
    table = pl.DataFrame({"x": [1, 2, 3, 4], "label": ["a", "b", "a", "b"]})
    with pytest.raises(cx.DataError, match="positive="):
        churn.evaluate(table, label="label")
    with pytest.raises(cx.DataError, match="at least 2 churned"):
        churn.evaluate(pl.DataFrame({"x": [1, 2, 3, 4], "churned": [True, False, False, False]}))
    with pytest.raises(cx.DataError, match="not found"):
        churn.evaluate(table, label="Churn")


def test_many_and_rare_categories_are_pooled_for_the_boosted_model():
    rows = 6000
    city = [f"city{i % 400}" for i in range(rows - 50)] + [f"rare{i}" for i in range(50)]
    table = pl.DataFrame(
        {
            "city": city,
            "tenure": [i % 37 for i in range(rows)],
            "churned": [(i % 37) < 8 for i in range(rows)],
        }
    )
    model = churn.fit(table, folds=2, models=["boosting"])
    labels = model.cv.encoding.categories["city"]
    assert len(labels) == 255 and labels[-1] == "(other)"
    assert not any(label.startswith("rare") for label in labels)
    assert model.summary["roc_auc"][0] > 0.9


# --- calibration, lift, drivers, reasons --------------------------------------------------------


def test_lift_deciles_cover_everyone_and_gains_end_at_one(sample_model):
    lift = sample_model.lift()
    for _, part in lift.group_by("model"):
        assert part["customers"].sum() == len(sample_model.cv.y)
        assert part.sort("decile")["churners_captured"][-1] == pytest.approx(1.0)
        weighted = (part["lift"] * part["customers"]).sum() / part["customers"].sum()
        assert weighted == pytest.approx(1.0)
    assert lift.filter(pl.col("decile") == 1)["lift"].min() > 1


def test_calibration_bins_hold_equal_shares_and_count_churners(sample_model):
    calibration = sample_model.calibration(bins=5)
    part = calibration.filter(pl.col("model") == "logistic")
    assert part["customers"].max() - part["customers"].min() <= 1
    assert part["churners"].sum() == int(sample_model.cv.y.sum())
    assert (part["observed_low"] <= part["observed"]).all()
    assert (part["observed"] <= part["observed_high"]).all()


class _OnlyFirstColumn:
    """A stand-in model whose score is its first column."""

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-X[:, 0]))
        return np.column_stack([1 - p, p])


def test_batched_permutation_importance_matches_a_hand_computation():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] + rng.normal(size=200) > 0).astype(int)
    drops = _permutation_drop(
        _OnlyFirstColumn(), X, y, repeats=3, rng=np.random.default_rng(7), batch_rows=200
    )
    replay = np.random.default_rng(7)
    base = roc_auc_score(y, X[:, 0])
    expected = np.mean([base - roc_auc_score(y, X[replay.permutation(200), 0]) for _ in range(3)])
    assert drops[0] == pytest.approx(expected)
    assert drops[1] == 0.0  # the model ignores column 2


def test_importance_interval_separates_signal_from_noise():
    table, _ = _mixed_table(1500)
    importance = churn.fit(table, folds=5).importance(model="logistic")
    by_name = {row["feature"]: row for row in importance.iter_rows(named=True)}
    assert importance["feature"][0] in {"tenure", "plan"}
    assert by_name["tenure"]["importance_low"] > 0
    assert by_name["noise"]["importance_low"] <= 0 <= by_name["noise"]["importance_high"]


def test_partial_dependence_is_the_average_prediction():
    table, _ = _mixed_table(500)
    model = churn.fit(table, folds=2, models=["logistic"])
    curve = model.partial_dependence(["tenure"], points=5)
    X = model.cv.X.copy()
    j = model.cv.encoding.columns.index("tenure")
    X[:, j] = curve["x"][0]
    assert curve["churn_probability"][0] == pytest.approx(
        model.fitted().predict_proba(X)[:, 1].mean()
    )
    assert curve["churn_probability"][0] > curve["churn_probability"][-1]  # tenure protects
    plan = model.partial_dependence(["plan"])
    assert set(plan["value"]) == {"basic", "plus", "pro"} and plan["categorical"].all()


def test_reasons_are_the_what_if_drops_in_words():
    rows = 300
    table = pl.DataFrame(
        {
            "customer_id": [f"K{i}" for i in range(rows)],
            "tickets": [i % 5 for i in range(rows)],
            "plan": ["basic", "pro", "plus"] * 100,
            "churned": [i % 5 >= 3 for i in range(rows)],
        }
    )
    model = churn.fit(table, folds=3, models=["logistic"])
    one = table.filter(pl.col("customer_id") == "K4")  # 4 tickets
    why = model.reasons(one)
    first = why.row(0, named=True)
    assert first["feature"] == "tickets"
    assert first["reason"] == "tickets: 4 (typical 2)"
    X = model.cv.encoding.matrix(one)
    X_typical = X.copy()
    X_typical[0, 0] = 2.0
    proba = model.fitted().predict_proba
    assert first["effect"] == pytest.approx(proba(X)[0, 1] - proba(X_typical)[0, 1])
    assert first["action"]


def test_at_risk_list_is_sorted_pseudonymized_and_explained(sample, sample_model):
    today = churn.features(sample)
    risk = churn.at_risk(sample_model, today, top=15, key="test-key")
    assert risk.columns == ["customer_id", "churn_probability", "reasons", "action"]
    assert risk.height == 15
    assert risk["churn_probability"].is_sorted(descending=True)
    assert risk["customer_id"].str.starts_with("cx-").all()
    assert not set(risk["customer_id"]) & set(today["customer_id"])
    assert risk["reasons"].null_count() == 0 and risk["action"].null_count() == 0
    raw = churn.at_risk(sample_model, today, top=15, pseudonymize_ids=False)
    assert raw["customer_id"].is_in(today["customer_id"].implode()).all()


def test_export_neutralizes_spreadsheet_formulas(tmp_path):
    risk = pl.DataFrame(
        {
            "customer_id": ["cx-1"],
            "churn_probability": [0.9],
            "reasons": ['=HYPERLINK("http://x")'],
            "action": ["@SUM(A1)"],
        }
    )
    text = churn.export_at_risk(risk, tmp_path / "risk.csv").read_text()
    assert "'=HYPERLINK" in text and "'@SUM" in text


def test_vectorized_auc_equals_scikit_learn_with_ties():
    from sklearn.metrics import roc_auc_score

    from cxlib.churn._drivers import _auc_rows

    rng = np.random.default_rng(1)
    y = rng.random(50) < 0.3
    scores = rng.integers(0, 5, size=(4, 50)).astype(float)  # many ties
    expected = [roc_auc_score(y, row) for row in scores]
    assert _auc_rows(y.astype(int), scores) == pytest.approx(expected)


def test_churn_charts_build_from_the_model_frames(sample_model):
    from cxlib.churn import survival
    from cxlib.pages import charts

    charts.use("static")
    life = pl.DataFrame(
        {
            "days": [1.0, 2, 3, 4],
            "churned": [True, False, True, False],
            "segment": ["a", "a", "b", "b"],
        }
    )
    built = [
        charts.calibration_chart(sample_model.calibration()),
        charts.lift_chart(sample_model.lift()),
        charts.importance_chart(sample_model.importance()),
        charts.partial_dependence_chart(sample_model.partial_dependence(top=2)),
        charts.survival_chart(survival.kaplan_meier(life, by="segment"), by="segment"),
    ]
    for chart in built:
        assert chart.to_dict()["$schema"].startswith("https://vega.github.io/schema/vega-lite")


def test_evaluate_handles_pandas_nullable_and_categorical_dtypes():
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "id": np.arange(n) + 1000,
            "plan": pd.Categorical(rng.choice(["a", "b", "c"], n)),
            "count": pd.array(
                np.where(rng.random(n) < 0.1, None, rng.integers(0, 5, n)), dtype="Int64"
            ),
            "flag": pd.array(
                np.where(rng.random(n) < 0.1, None, rng.random(n) < 0.5), dtype="boolean"
            ),
            "x": x,
            "label": (x + rng.normal(size=n)) > 0.5,
        }
    )
    model = churn.fit(frame, label="label", folds=3)
    assert model.cv.encoding.columns == ("plan", "count", "flag", "x")
    assert model.cv.encoding.categorical == (True, False, True, False)
    assert (model.summary["roc_auc"] > 0.7).all()
    assert model.id_column == "id"


def test_personal_columns_never_become_features():
    ds = _dataset(**TINY)
    ds.customers = ds.customers.with_columns(
        pl.lit("a@b.c").alias("email"), pl.lit("Ann").alias("name")
    )
    columns = churn.features(ds, as_of=AS_OF).columns
    assert "email" not in columns and "name" not in columns and "country" in columns


def test_missing_categories_stay_missing_and_unseen_ones_become_other():
    from cxlib.churn._models import fit_encoding

    train = pl.DataFrame({"plan": ["a"] * 30 + ["b"] * 30 + ["rare"] + [None] * 5})
    encoding = fit_encoding(train)
    assert encoding.categories["plan"] == ("a", "b", "(other)")
    coded = encoding.matrix(pl.DataFrame({"plan": ["b", None, "rare", "new"]}))[:, 0]
    assert coded[0] == 1.0 and np.isnan(coded[1]) and coded[2] == coded[3] == 2.0


def test_the_customer_id_is_never_a_model_feature_even_when_it_looks_numeric():
    from cxlib.churn._models import fit_encoding

    ids = [f"{100055982 + i}.{1726927089 + i}" for i in range(40)]  # GA4 user_pseudo_id
    train = pl.DataFrame({"customer_id": ids, "visits": [i % 7 for i in range(40)], "crm_id": ids})
    encoding = fit_encoding(train)
    assert list(encoding.columns) == ["visits"]
    assert encoding.dropped["customer_id"] == "the customer id"
    assert encoding.dropped["crm_id"].startswith("id-like")


def test_support_contacts_default_to_touchpoints_whose_names_say_support():
    ds = _dataset(**TINY)
    ds.touchpoints = pl.concat(
        [
            ds.touchpoints,
            ds.touchpoints.head(2).with_columns(pl.lit("Ticket Opened").alias("touchpoint")),
        ],
        how="diagonal_relaxed",
    )
    row = churn.features(ds, as_of=AS_OF).filter(pl.col("customer_id") == "A").row(0, named=True)
    assert row["support_contacts"] == 2
