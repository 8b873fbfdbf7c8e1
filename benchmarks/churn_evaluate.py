"""Time ``cxlib.churn.evaluate`` on a 7,000-row customer table; print seconds and AUCs.

Usage (from the repository root)::

    .venv/bin/python benchmarks/churn_evaluate.py              # 7,043 rows, 5 folds
    .venv/bin/python benchmarks/churn_evaluate.py --rows 20000 --repeat 3

The table imitates the public IBM Telco customer-churn table (7,043 rows, 21 columns),
which cannot be downloaded here: a unique ``customerID``; yes/no and 3-4 level string
columns (contract, internet service, payment method, ...); ``SeniorCitizen`` as 0/1
integers; ``tenure`` and ``MonthlyCharges`` numbers; ``TotalCharges`` as *text* with blanks
(as in the real file); a ``Churn`` label spelled Yes/No with ~26.5 % churners. On top, 3 %
of two columns are missing. Churn follows a logistic model with Telco-like effects
(month-to-month contracts, fibre, electronic checks and short tenure raise churn), scaled so
the best achievable ROC AUC (the true probabilities) is about 0.85, close to what is
commonly reported for logistic regression on the real table (0.84-0.85).

Peer, in the same run: the same two scikit-learn models cross-validated by hand on a table
already encoded (one-hot, numbers parsed) — what ``evaluate`` adds is the typing, notes and
summary. Printed: seconds (best of ``--repeat``), the ratio, and each model's AUC ± sd next
to the oracle AUC.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl


def telco_like(rows: int = 7043, *, seed: int = 0) -> tuple[pl.DataFrame, float]:
    """A Telco-shaped customer table and the oracle ROC AUC of its true probabilities."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)

    def pick(values: list[str], p: list[float]) -> np.ndarray:
        return rng.choice(np.array(values, dtype=object), size=rows, p=p)

    contract = pick(["Month-to-month", "One year", "Two year"], [0.55, 0.21, 0.24])
    internet = pick(["DSL", "Fiber optic", "No"], [0.34, 0.44, 0.22])
    payment = pick(
        [
            "Electronic check",
            "Mailed check",
            "Bank transfer (automatic)",
            "Credit card (automatic)",
        ],
        [0.34, 0.23, 0.22, 0.21],
    )
    long_contract = np.where(contract == "Month-to-month", 0.0, 1.0)
    tenure = np.clip(rng.gamma(1.2 + 2.5 * long_contract, 12.0), 0, 72).round().astype(int)
    senior = (rng.random(rows) < 0.16).astype(int)
    yes_no = {
        name: pick(["Yes", "No"], [share, 1 - share])
        for name, share in [
            ("Partner", 0.48),
            ("Dependents", 0.30),
            ("PhoneService", 0.90),
            ("PaperlessBilling", 0.59),
            ("OnlineSecurity", 0.29),
            ("TechSupport", 0.29),
            ("StreamingTV", 0.38),
        ]
    }
    no_internet = internet == "No"
    for name in ("OnlineSecurity", "TechSupport", "StreamingTV"):
        yes_no[name] = np.where(no_internet, "No internet service", yes_no[name])
    monthly = (
        20
        + 25 * (internet == "DSL")
        + 50 * (internet == "Fiber optic")
        + 10 * (yes_no["StreamingTV"] == "Yes")
        + rng.normal(0, 5, rows)
    ).round(2)
    total = np.where(tenure == 0, " ", (monthly * np.maximum(tenure, 1)).round(2).astype(str))
    logit = (
        -1.5
        + 1.5 * (contract == "Month-to-month")
        - 1.0 * (contract == "Two year")
        + 0.8 * (internet == "Fiber optic")
        - 0.6 * no_internet
        + 0.5 * (payment == "Electronic check")
        - 0.045 * tenure
        + 0.3 * senior
        + 0.3 * (yes_no["PaperlessBilling"] == "Yes")
        - 0.4 * (yes_no["TechSupport"] == "Yes")
        - 0.3 * (yes_no["OnlineSecurity"] == "Yes")
        - 0.2 * (yes_no["Partner"] == "Yes")
    )
    truth = 1 / (1 + np.exp(-logit))
    churn = rng.random(rows) < truth
    gender = pick(["Female", "Male"], [0.5, 0.5]).astype(object)
    gender[rng.random(rows) < 0.03] = None  # some missing values
    monthly_missing = np.where(rng.random(rows) < 0.03, np.nan, monthly)
    table = pl.DataFrame(
        {
            "customerID": [
                f"{i:04d}-{code}" for i, code in enumerate(rng.integers(10**4, 10**5, rows))
            ],
            "gender": pl.Series(gender.tolist(), dtype=pl.String),
            "SeniorCitizen": senior,
            **{k: v.tolist() for k, v in yes_no.items()},
            "tenure": tenure,
            "InternetService": internet.tolist(),
            "Contract": contract.tolist(),
            "PaymentMethod": payment.tolist(),
            "MonthlyCharges": monthly_missing,
            "TotalCharges": total.tolist(),
            "Churn": np.where(churn, "Yes", "No").tolist(),
        }
    )
    return table, float(roc_auc_score(churn, truth))


def _by_hand(table: pl.DataFrame) -> float:
    """The peer: both models cross-validated on a table encoded by hand; returns seconds."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from cxlib.churn._models import one_thread

    start = time.perf_counter()
    frame = table.drop("customerID").with_columns(
        pl.col("TotalCharges").str.strip_chars().cast(pl.Float64, strict=False)
    )
    y = (frame.get_column("Churn") == "Yes").to_numpy()
    X = (
        frame.drop("Churn")
        .to_dummies([c for c, t in frame.drop("Churn").schema.items() if t == pl.String])
        .to_numpy()
    )
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    logistic = make_pipeline(
        SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=5000)
    )
    with one_thread():  # as evaluate does: compare the code, not thread contention
        cross_val_score(logistic, X, y, cv=folds, scoring="roc_auc")
        cross_val_score(
            HistGradientBoostingClassifier(early_stopping=True), X, y, cv=folds, scoring="roc_auc"
        )
    return time.perf_counter() - start


def main() -> None:
    from cxlib import churn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=7043)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    table, oracle = telco_like(args.rows)
    timings, result = [], None
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = churn.evaluate(table.to_pandas(), label="Churn")
        timings.append(time.perf_counter() - start)
    peer = min(_by_hand(table) for _ in range(args.repeat))
    best = min(timings)
    print(
        f"rows={args.rows:,} columns={table.width} churn rate="
        f"{(table['Churn'] == 'Yes').mean():.1%} oracle ROC AUC={oracle:.3f}"
    )
    for model, auc, sd, pr, brier in result.select(
        "model", "roc_auc", "roc_auc_std", "pr_auc", "brier"
    ).iter_rows():
        print(f"  {model:<9} ROC AUC {auc:.3f} ± {sd:.3f}  PR AUC {pr:.3f}  Brier {brier:.3f}")
    print(f"  dropped: {result['dropped'][0]}")
    print(f"cxlib.churn.evaluate: {best:.2f} s   by hand: {peer:.2f} s   ratio {best / peer:.2f}x")


if __name__ == "__main__":
    main()
