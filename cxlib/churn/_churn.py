"""Features as of a date, the churn label after it, the training table, evaluation and the
at-risk list: the workflow functions of :mod:`cxlib.churn` (see the package docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import parse_duration, to_polars
from cxlib._errors import os_errors_as_data_errors
from cxlib.churn import _definition as _d
from cxlib.churn import _features as _f
from cxlib.churn._drivers import DEFAULT_ACTION
from cxlib.churn._fit import ChurnModel, fit
from cxlib.privacy import pseudonymize, write_csv_safe

DateLike = str | date | datetime


def features(
    ds: Any,
    *,
    as_of: DateLike | None = None,
    friction: Sequence[str] | None = None,
    support: Sequence[str] | None = None,
    store_channels: Sequence[str] = ("store",),
    attributes: bool = True,
    active_only: bool = False,
) -> pl.DataFrame:
    """Journey features per customer, from data strictly before ``as_of`` only.

    Parameters
    ----------
    ds : Dataset
        From :func:`cxlib.load`.
    as_of : str, date or datetime, optional
        The snapshot date (UTC). Default: the day after the last touchpoint (score today).
    friction : list of str, optional
        Friction touchpoints; default the config's ``[journey] friction``.
    support : list of str, optional
        Touchpoints that count as a support contact; default those whose names say so
        (``support_contact``, ``ticket``, ``khiếu nại``, ...), friction excluded.
    store_channels : list of str
        Channels that are physical stores (for the omnichannel flag).
    attributes : bool
        Add the customers' own columns (country, plan, ...); outcome columns, dates other
        than ``signup_ts`` and personal data (name, email, phone) are left out.
    active_only : bool
        Under the inactivity rule (:func:`definition`), also leave out the customers it
        already counts as churned at ``as_of``: no touchpoint in the ``inactivity_days``
        before it. Use it for today's at-risk list (they are gone, not at risk), and in
        :func:`training_table` for a training population that matches. Under a label,
        customers whose ``churn_ts`` is before ``as_of`` are always left out.

    Returns
    -------
    polars.DataFrame
        One row per customer active before ``as_of`` and not churned by then:
        ``customer_id``; RFM ``recency_days, touchpoints, purchases, revenue``;
        ``tenure_days`` (since signup, else first touchpoint); ``furthest_stage`` and
        ``days_since_furthest_stage`` (since the last touchpoint there); touchpoints per
        stage ``stage_<stage>``; channel mix ``channels, omnichannel`` (bought in store
        and online), ``share_<channel>``; friction ``friction_90d, friction_total,
        days_since_friction``; ``support_contacts``; surveys ``survey_answers,
        no_survey_answer`` (bought, never answered), ``nps_latest, nps_trend, csat_latest,
        csat_trend`` (trend: latest minus previous answer); engagement
        ``touchpoints_30d, touchpoints_prior_60d, engagement_trend`` = (r30 − r60)/(r30 + r60)
        of daily rates (−1 stopped, 0 steady, +1 new); then the customer attributes.

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> table = features(ds, as_of="2025-07-01")
    >>> table.select("friction_90d", "recency_days").columns
    ['friction_90d', 'recency_days']
    """
    moment = _f.resolve_as_of(ds, as_of, None)
    return _features(
        ds,
        moment,
        rule=_d.definition(ds) if active_only else None,
        friction=friction,
        support=support,
        store_channels=store_channels,
        attributes=attributes,
    )


def _features(
    ds: Any,
    moment: datetime,
    *,
    rule: _d.ChurnDefinition | None = None,
    friction: Sequence[str] | None = None,
    support: Sequence[str] | None = None,
    store_channels: Sequence[str] = ("store",),
    attributes: bool = True,
) -> pl.DataFrame:
    """:func:`features` at ``moment``; with a ``rule``, without the customers it already
    counts as churned then."""
    return _f.build(
        ds,
        moment,
        friction=friction,
        support=support,
        store_channels=store_channels,
        attributes=attributes,
        gone=None if rule is None else _d.churned_by(ds, moment, rule),
    )


def label(
    ds: Any,
    *,
    as_of: DateLike | None = None,
    horizon: str | timedelta | None = "90d",
    inactivity_days: float | None = None,
    label_column: str | None = None,
) -> pl.DataFrame:
    """Who churned after ``as_of``: ``customer_id, churned`` for the customers at risk then.

    Churn is the dataset's definition (:func:`definition`) unless given here:
    ``inactivity_days`` (the inactivity rule seen from ``as_of``: no touchpoint in
    ``[as_of, as_of + inactivity_days)``; the data must reach that far), else the boolean
    ``label_column`` (``[churn] label``, default ``churned``) with ``churn_ts`` in
    ``[as_of, as_of + horizon)`` (``horizon=None``: any time after). Without a ``churn_ts``
    column the flag is taken as it is: make sure it describes churn after ``as_of``.

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> import cxlib as cx
    >>> labels = label(cx.load("data/sample"), as_of="2025-07-01", horizon="90d")
    >>> labels.columns
    ['customer_id', 'churned']
    """
    rule = _d.definition(ds, inactivity_days=inactivity_days, label_column=label_column)
    micros = parse_duration(horizon, name="horizon")
    moment = _f.resolve_as_of(ds, as_of, _wait(rule, horizon))
    return _d.churn_label(
        ds, moment, horizon=timedelta(microseconds=micros) if micros else None, rule=rule
    )


def _wait(rule: _d.ChurnDefinition, horizon: str | timedelta | None) -> str | timedelta | None:
    """The data a label needs after ``as_of``: the rule's days, else the horizon."""
    return timedelta(days=rule.inactivity_days) if rule.kind == "inactivity" else horizon


def training_table(
    ds: Any,
    *,
    as_of: DateLike | None = None,
    horizon: str | timedelta | None = "90d",
    inactivity_days: float | None = None,
    label_column: str | None = None,
    **options: Any,
) -> pl.DataFrame:
    """:func:`features` as of ``as_of`` with the :func:`label` from after it (``churned``).

    ``options`` go to :func:`features` (e.g. ``active_only=True``). Default ``as_of``: the
    latest date leaving ``horizon`` of data after it (under the inactivity rule,
    ``inactivity_days``). Works without a customer table when churn is the inactivity rule.

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> import cxlib as cx
    >>> table = training_table(cx.load("data/sample"), as_of="2025-07-01")
    >>> table.columns[-1], table["churned"].dtype
    ('churned', Boolean)
    """
    rule = _d.definition(ds, inactivity_days=inactivity_days, label_column=label_column)
    moment = _f.resolve_as_of(ds, as_of, _wait(rule, horizon))
    labels = label(
        ds,
        as_of=moment,
        horizon=horizon,
        inactivity_days=inactivity_days,
        label_column=label_column,
    )
    active_only = options.pop("active_only", False)
    table = _features(ds, moment, rule=rule if active_only else None, **options)
    return table.join(labels, on="customer_id", how="inner")


def evaluate(
    features: Any,
    *,
    label: str = "churned",
    folds: int = 5,
    models: Sequence[str] = ("logistic", "boosting"),
    random_state: int = 0,
    positive: Any = None,
) -> pl.DataFrame:
    """Cross-validated scores of both churn models on any customer table.

    Parameters
    ----------
    features : frame
        polars or pandas, one row per customer: any numeric, string, categorical or boolean
        columns and a label. Id-like columns (``customer_id``, all-unique strings, unique
        integer keys), constant columns and dates are dropped (listed in ``dropped``);
        numbers stored as text are read as numbers; missing values are handled.
    label : str
        The churn column: boolean, 0/1, or yes/no-like text (or name ``positive``).
    folds : int
        Stratified k-fold cross-validation, shuffled with ``random_state``.
    models : list of str
        ``"logistic"`` (L2 logistic regression) and/or ``"boosting"``.

    Returns
    -------
    polars.DataFrame
        One row per model: ``model, roc_auc, roc_auc_std, pr_auc, brier, pr_auc_std,
        brier_std, folds, n, positive_rate, features, dropped``; means and sample standard
        deviations over the folds (``dropped``: columns left out, and why).

    Examples
    --------
    >>> import polars as pl
    >>> table = pl.DataFrame({"tenure": list(range(40)) * 2,
    ...                       "churned": [t < 10 for t in range(40)] * 2})
    >>> evaluate(table, folds=2)["model"].to_list()
    ['logistic', 'boosting']
    """
    return fit(
        features,
        label=label,
        folds=folds,
        models=models,
        random_state=random_state,
        positive=positive,
    ).summary


def at_risk(
    model: ChurnModel,
    features: Any,
    *,
    top: int = 25,
    reasons: int = 3,
    pseudonymize_ids: bool = True,
    key: str | bytes | None = None,
) -> pl.DataFrame:
    """The customers most likely to churn, with their top reasons and a suggested action.

    ``features`` are today's (e.g. :func:`features` with the default ``as_of``), scored by
    ``model.best``. Returns ``customer_id`` (keyed pseudonyms unless
    ``pseudonymize_ids=False``), ``churn_probability, reasons`` (top ``reasons``, in words,
    ``; ``-separated), ``action`` (for the first reason), sorted by risk.

    Examples
    --------
    >>> import polars as pl
    >>> table = pl.DataFrame({"customer_id": [f"C{i}" for i in range(60)],
    ...                       "tickets": [i % 6 for i in range(60)],
    ...                       "churned": [i % 6 > 3 for i in range(60)]})
    >>> m = fit(table, folds=3, models=["logistic"])
    >>> at_risk(m, table, top=2, key="k")["reasons"].str.contains("tickets").all()
    True
    """
    table = to_polars(features)
    shortlist = model.score(table).sort("churn_probability", descending=True).head(top)
    ids = shortlist.get_column(model.id_column)
    why = model.reasons(table.filter(pl.col(model.id_column).is_in(ids.implode())), top=reasons)
    summary = why.group_by("customer_id").agg(
        pl.col("reason").sort_by("rank").str.join("; ").alias("reasons"),
        pl.col("action").sort_by("rank").first().alias("action"),
    )
    out = (
        shortlist.rename({model.id_column: "customer_id"})
        .join(summary, on="customer_id", how="left")
        .with_columns(
            pl.col("reasons").fill_null("no single feature stands out"),
            pl.col("action").fill_null(i18n._(DEFAULT_ACTION)),
        )
        .sort("churn_probability", descending=True)
    )
    return pseudonymize(out, "customer_id", key=key) if pseudonymize_ids else out


@os_errors_as_data_errors
def export_at_risk(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write an at-risk list as CSV, spreadsheet formulas neutralized (``= + - @``).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import polars as pl
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "risk.csv"
    >>> frame = pl.DataFrame({"customer_id": ["cx-1"], "reasons": ["=HYPERLINK(1)"]})
    >>> export_at_risk(frame, out).read_text().splitlines()[1]
    "cx-1,'=HYPERLINK(1)"
    """
    return write_csv_safe(to_polars(frame), path)
