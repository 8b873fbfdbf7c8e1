"""The report's headline figures: one definition per KPI, wherever it appears.

Each :class:`KPI` has a key, a label and a one-line definition (the same words on the
index, in ``summary.json`` and on any page that shows it), a value with its 95% interval,
and the counts behind it, so that the next run can test whether it changed.

Rates that take time to happen (conversion, moving on to a later stage, lapsing, buying
again) count only *settled* customers: first seen at least ``settle_days`` before the end
of the data. Newer customers may still act; counting them would show a false drop each
time new customers arrive, and a run-over-run comparison would flag it.

Examples
--------
>>> import cxlib as cx
>>> from cxlib.pages import kpis
>>> ds = cx.load("data/sample")
>>> [k.key for k in kpis.headline(ds)][:2]
['customers', 'conversion']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import eager
from cxlib._stats import wilson
from cxlib.journey import stage_summary
from cxlib.voc import csat, nps

if TYPE_CHECKING:
    from cxlib.io import Dataset

__all__ = [
    "KPI",
    "Period",
    "data_period",
    "definition",
    "headline",
    "settled",
    "stage_conversion",
]

Kind = Literal["count", "share", "nps"]

# One wording per KPI: the index, summary.json and the pages all use these.
_LABELS = {
    "customers": i18n.N_("Customers"),
    "conversion": i18n.N_("Conversion"),
    "repeat_buyers": i18n.N_("Repeat buyers"),
    "nps": i18n.N_("NPS"),
    "csat": i18n.N_("CSAT"),
    "lapsed": i18n.N_("Lapsed"),
    "churn_label": i18n.N_("Churn (label)"),
}
_DEFINITIONS = {
    "customers": i18n.N_("Customers with at least one touchpoint in the data."),
    "conversion": i18n.N_(
        "Share of customers first seen at least {days} days before the end of the data "
        "who reached {target}."
    ),
    "repeat_buyers": i18n.N_(
        "Share of customers first seen at least {days} days before the end of the data "
        "who bought on two or more days."
    ),
    "nps": i18n.N_(
        "Net Promoter Score: % of answers 9–10 minus % of answers 0–6, all NPS answers in the data."
    ),
    "csat": i18n.N_("Share of CSAT answers that are 4 or 5 (of 5), all CSAT answers in the data."),
    "lapsed": i18n.N_(
        "Share of customers first seen more than {days} days before the end of the data with "
        "no touchpoint in its last {days} days (the churn rule)."
    ),
    "churn_label": i18n.N_("Share of customers marked {label} in the customer table."),
}
# The page (notebook topic, NN- left off) that explains each KPI.
_PAGES = {
    "customers": "data-health",
    "conversion": "journey-map",
    "repeat_buyers": "omnichannel-value",
    "nps": "voice-of-customer",
    "csat": "voice-of-customer",
    "lapsed": "churn",
    "churn_label": "churn",
}


@dataclass(frozen=True)
class KPI:
    """One headline figure with its definition, interval and the counts behind it.

    ``kind`` says how to read and compare it: ``"count"`` (a number of customers, never
    tested), ``"share"`` (``successes`` of ``trials``, 0–1, Wilson interval) or ``"nps"``
    (−100..100, ``counts`` holds ``promoters``, ``detractors`` and ``responses``).
    """

    key: str
    value: float
    kind: Kind
    low: float | None = None
    high: float | None = None
    successes: int | None = None
    trials: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)  # placeholders of the definition

    @property
    def label(self) -> str:
        """The KPI's name in the report's language."""
        return i18n._(_LABELS[self.key])

    @property
    def definition(self) -> str:
        """The one-line definition, in the report's language."""
        return definition(self.key, **self.values)

    @property
    def page(self) -> str:
        """The topic of the page that explains the KPI (``"journey-map"``)."""
        return _PAGES[self.key]

    def shown(self, value: float | None = None) -> str:
        """``value`` (default: the KPI's) as a reader sees it, in the report's locale."""
        value = self.value if value is None else value
        if self.kind == "count":
            return i18n.number(value, decimals=0)
        if self.kind == "nps":
            return ("+" if value > 0 else "") + i18n.number(value, decimals=0)
        return i18n.percent(value, decimals=1)

    def interval(self) -> str:
        """ "95% interval 27.0% to 33.0%", or "" for a count."""
        if self.low is None or self.high is None:
            return ""
        return i18n.t(
            "95% interval {low} to {high}", low=self.shown(self.low), high=self.shown(self.high)
        )

    def to_dict(self) -> dict[str, Any]:
        """The KPI as summary.json holds it (label and definition in the report's language)."""
        out = asdict(self)
        out.pop("values")
        return {**out, "label": self.label, "definition": self.definition, "page": self.page}


def definition(key: str, **values: str) -> str:
    """The one-line definition of KPI ``key``, for a page that shows it (the index's words).

    Examples
    --------
    >>> definition("csat")
    'Share of CSAT answers that are 4 or 5 (of 5), all CSAT answers in the data.'
    """
    return i18n.t(_DEFINITIONS[key], **values)


@dataclass(frozen=True)
class Period:
    """The span of the data: first and last touchpoint (UTC)."""

    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def data_period(ds: Dataset) -> Period:
    """First and last touchpoint of ``ds``."""
    ts = eager(ds.touchpoints).get_column("ts")
    return Period(ts.min(), ts.max())


def settled(touchpoints: Any, settle_days: int) -> pl.DataFrame:
    """Touchpoints of the customers first seen at least ``settle_days`` before the data's end.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> tp = pl.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "ts": [datetime(2025, 1, 1), datetime(2025, 3, 1), datetime(2025, 2, 20)]})
    >>> settled(tp, 30)["customer_id"].unique().to_list()
    ['a']
    """
    touchpoints = eager(touchpoints)
    end = touchpoints.get_column("ts").max()
    cutoff = end - timedelta(days=settle_days)
    first = pl.col("ts").min().over("customer_id")
    return touchpoints.filter(first <= cutoff)


def _share(key: str, successes: int, trials: int, **values: str) -> KPI | None:
    if trials == 0:
        return None
    frame = pl.DataFrame({"k": [successes], "n": [trials]})
    low, high = wilson("k", "n")
    lo, hi = frame.select(low.alias("low"), high.alias("high")).row(0)
    return KPI(key, successes / trials, "share", lo, hi, successes, trials, values=values)


def _conversion(ds: Dataset, touchpoints: pl.DataFrame, days: int) -> KPI | None:
    target = ds.config.conversion
    calm = settled(touchpoints, days)
    reached = calm.filter(pl.col("touchpoint") == target).get_column("customer_id").n_unique()
    return _share("conversion", reached, calm.get_column("customer_id").n_unique(),
                  days=str(days), target=target)  # fmt: skip


def _repeat_buyers(touchpoints: pl.DataFrame, days: int) -> KPI | None:
    calm = settled(touchpoints, days)
    buying_days = calm.group_by("customer_id").agg(pl.col("ts").dt.date().n_unique())
    repeat = buying_days.filter(pl.col("ts") >= 2).height
    return _share("repeat_buyers", repeat, buying_days.height, days=str(days))


def _nps(surveys: Any) -> KPI | None:
    score = nps(surveys)
    if not score.height or not score["responses"][0]:
        return None
    row = score.row(0, named=True)
    counts = {k: int(row[k]) for k in ("promoters", "detractors", "responses")}
    return KPI("nps", row["nps"], "nps", row["ci_low"], row["ci_high"], counts=counts)


def _csat(surveys: Any) -> KPI | None:
    score = csat(surveys)
    if not score.height or not score["responses"][0]:
        return None
    row = score.row(0, named=True)
    return _share("csat", int(row["satisfied"]), int(row["responses"]))


def _lapsed(touchpoints: pl.DataFrame, days: int) -> KPI | None:
    end = touchpoints.get_column("ts").max()
    cutoff = end - timedelta(days=days)
    span = touchpoints.group_by("customer_id").agg(
        pl.col("ts").min().alias("first"), pl.col("ts").max().alias("last")
    )
    eligible = span.filter(pl.col("first") < cutoff)
    gone = eligible.filter(pl.col("last") < cutoff).height
    return _share("lapsed", gone, eligible.height, days=str(days))


def _churn_label(ds: Dataset) -> KPI | None:
    customers, label = eager(ds.customers), ds.config.churn_label
    if customers is None or not label or label not in customers.columns:
        return None
    churned = customers.get_column(label).drop_nulls()
    return _share("churn_label", int(churned.sum()), churned.len(), label=label)


def headline(ds: Dataset, *, settle_days: int | None = None) -> list[KPI]:
    """The index's headline figures, in order: customers, conversion (or repeat buyers for
    an order log, where everyone bought), NPS, CSAT, then the churn rule or label.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    settle_days : int, optional
        Days a customer must have been known before the data's end to count in a rate
        that takes time (default ``[report] settle_days`` of cx.toml, 30).

    Returns
    -------
    list of KPI
        Only the figures the data can support.
    """
    days = ds.config.report_settle_days if settle_days is None else settle_days
    touchpoints = eager(ds.touchpoints)
    customers = touchpoints.get_column("customer_id").n_unique()
    found: list[KPI | None] = [KPI("customers", customers, "count")]
    if touchpoints.get_column("touchpoint").n_unique() > 1:
        found.append(_conversion(ds, touchpoints, days))
    elif customers:  # an order log: everyone converted; how many came back is the news
        found.append(_repeat_buyers(touchpoints, days))
    if ds.surveys is not None:
        found += [_nps(ds.surveys), _csat(ds.surveys)]
    if ds.config.churn_inactivity_days is not None:
        found.append(_lapsed(touchpoints, ds.config.churn_inactivity_days))
    else:
        found.append(_churn_label(ds))
    return [kpi for kpi in found if kpi is not None]


def stage_conversion(ds: Dataset, *, settle_days: int | None = None) -> pl.DataFrame:
    """Moving on from each journey stage, among settled customers (see the module).

    Returns
    -------
    polars.DataFrame
        :func:`cxlib.stage_summary`'s columns (``stage_index`` 1-based, ``stage``,
        ``customers``, ``reached_next``, ``conversion_to_next`` with ``conversion_low`` and
        ``conversion_high``), computed on the touchpoints of settled customers.
    """
    days = ds.config.report_settle_days if settle_days is None else settle_days
    return eager(stage_summary(settled(ds.touchpoints, days), ds.stages))
