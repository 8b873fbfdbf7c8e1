"""What churn means for one dataset, and every customer's outcome under that meaning.

One definition per dataset, read from ``cx.toml`` by :func:`definition`:

1. the **inactivity rule**, when ``[churn] inactivity_days`` is set: a customer has churned
   at their last touchpoint when at least ``inactivity_days`` of the data follow it without
   another touchpoint of theirs. Customers seen more recently than that are not (yet)
   churned: they are *censored* at the data's end, never counted as retained for good;
2. else the **label column** ``[churn] label`` (default ``churned``) on customers, dated by
   ``churn_ts`` when the table has it;
3. else a :class:`~cxlib.DataError` naming the ``cx.toml`` key to set.

The rule wins when both are available: it is only ever there because someone wrote it in
``cx.toml``, while the label has a default name.

Why the last *touchpoint* and not the last purchase: any touchpoint (a visit, a support
contact, an app session) shows a customer who is still there, many shops sell rarely or
record no conversion at all, and the churn features measure recency the same way. The
date of churn is that last touchpoint, as in a label whose ``churn_ts`` follows the last
activity (the sample's): the customer left then, even though the data can only tell
``inactivity_days`` later.

Every churn function that needs a label reads it here: :func:`outcomes` (the whole
history: :func:`~cxlib.churn.friction_churn`, :func:`~cxlib.churn.lifetimes`) and
:func:`churn_label` (after a snapshot: :func:`~cxlib.churn.training_table`). The label
after a snapshot is the same rule seen from ``as_of + inactivity_days``: churned when no
touchpoint falls in ``[as_of, as_of + inactivity_days)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import eager, parse_duration
from cxlib._errors import DataError
from cxlib.churn import _features as _f
from cxlib.churn._models import label_vector

_MICROSECOND = timedelta(microseconds=1)
_NO_TIME = pl.lit(None, dtype=pl.Datetime("us", "UTC"))


@dataclass(frozen=True)
class ChurnDefinition:
    """How a dataset defines churn; see :func:`cxlib.churn.definition`.

    Attributes
    ----------
    kind : str
        ``"inactivity"`` (the rule) or ``"label"`` (a column on customers).
    inactivity_days : float or None
        The rule's days without a touchpoint.
    label : str or None
        The label column.
    dated : bool
        The label comes with ``churn_ts`` (when the customer left).
    """

    kind: str
    inactivity_days: float | None = None
    label: str | None = None
    dated: bool = False

    @property
    def text(self) -> str:
        """The definition in one sentence, for a report page."""
        if self.kind == "inactivity":  # in the report's language (cxlib.i18n)
            return i18n.t(
                "A customer has churned when {days} days pass without a touchpoint ([churn] "
                "inactivity_days in cx.toml); they left at their last touchpoint. Customers seen "
                "in the last {days} days of the data are still active.",
                days=f"{self.inactivity_days:g}",
            )
        if self.dated:
            return i18n.t(
                "Churn is the '{label}' column on customers (dated by churn_ts; [churn] label in "
                "cx.toml).",
                label=self.label,
            )
        return i18n.t(
            "Churn is the '{label}' column on customers (no churn_ts, so a churned customer is "
            "taken to leave at their last touchpoint; [churn] label in cx.toml).",
            label=self.label,
        )


def definition(
    ds: Any, *, inactivity_days: float | None = None, label_column: str | None = None
) -> ChurnDefinition:
    """The churn definition of a dataset: the inactivity rule, else the label column.

    ``inactivity_days`` or ``label_column`` override ``cx.toml`` (``[churn]
    inactivity_days``, ``[churn] label``); see the module docstring of
    ``cxlib.churn._definition`` for the rule.

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> cx.churn.definition(ds)
    ChurnDefinition(kind='label', inactivity_days=None, label='churned', dated=True)
    >>> cx.churn.definition(ds, inactivity_days=60).kind
    'inactivity'
    """
    config = ds.config
    if inactivity_days is None and label_column is None:
        inactivity_days = config.churn_inactivity_days
    if inactivity_days is not None:
        number = isinstance(inactivity_days, int | float) and not isinstance(inactivity_days, bool)
        if not number or inactivity_days <= 0:
            raise DataError(
                f"[churn] inactivity_days = {inactivity_days!r}: use a number of days, e.g. 90"
            )
        return ChurnDefinition("inactivity", inactivity_days=inactivity_days)
    column = label_column or config.churn_label
    rule_hint = "set [churn] inactivity_days (e.g. 90) in cx.toml"
    if column is None:
        raise DataError(f"no churn label: [churn] label is empty in cx.toml; {rule_hint}")
    customers = eager(ds.customers)
    if customers is None:
        raise DataError(
            f"no churn label: there is no customer table, so churn must come from inactivity; "
            f"{rule_hint}"
        )
    if column not in customers.columns:
        raise DataError(
            f"no churn label: customers have no '{column}' column; set [churn] label in "
            "cx.toml to your yes/no churn column, or define churn by inactivity with "
            "[churn] inactivity_days (e.g. 90)"
        )
    if customers.get_column(column).drop_nulls().len() == 0:
        raise DataError(
            f"no churn label: the '{column}' column on customers is empty; fill it in, or "
            f"{rule_hint}"
        )
    return ChurnDefinition("label", label=column, dated="churn_ts" in customers.columns)


def seen_until(ds: Any, rule: ChurnDefinition) -> datetime:
    """The last moment a churn can be seen: the data's end, or under the inactivity rule
    ``inactivity_days`` before it (a later last touchpoint may or may not be the last)."""
    end = _f.data_end(ds)
    return end - timedelta(days=rule.inactivity_days) if rule.kind == "inactivity" else end


def _activity(ds: Any, end: datetime | None) -> pl.DataFrame:
    """``customer_id, first_touch, last_ts`` from the touchpoints up to ``end`` (inclusive)."""
    touchpoints = ds.touchpoints.lazy().select("customer_id", "ts")
    if end is not None:
        touchpoints = touchpoints.filter(pl.col("ts") <= end)
    return (
        touchpoints.group_by("customer_id")
        .agg(first_touch=pl.col("ts").min(), last_ts=pl.col("ts").max())
        .collect()
    )


def _flag(customers: pl.DataFrame, column: str) -> pl.Series:
    """The label column as booleans (yes/no, 1/0, true/false, ...); missing is not churned."""
    try:
        values = label_vector(customers, column)
    except DataError:
        seen = customers.get_column(column).cast(pl.String).drop_nulls().unique().sort()
        raise DataError(
            f"customers column '{column}' ([churn] label in cx.toml) has values "
            f"{seen.head(5).to_list()}; use a yes/no, true/false or 1/0 column"
        ) from None
    return pl.Series("churned", np.nan_to_num(values, nan=0.0) == 1.0, dtype=pl.Boolean)


def outcomes_of(ds: Any, rule: ChurnDefinition, *, end: datetime | None = None) -> pl.DataFrame:
    """:func:`outcomes` under ``rule``, seeing only the data up to ``end`` (default: all).

    Only the inactivity rule looks at ``end``; a label is what the customer table says.
    """
    end = end if end is not None else _f.data_end(ds)
    activity = _activity(ds, end)
    if rule.kind == "inactivity":
        gap = timedelta(days=rule.inactivity_days)
        base = activity.with_columns(
            (pl.col("last_ts") + gap <= end).alias("churned"),
            pl.col("first_touch").alias("first_ts"),
        ).with_columns(pl.when(pl.col("churned")).then(pl.col("last_ts")).alias("churn_ts"))
    else:
        customers = eager(ds.customers)
        dated = pl.col("churn_ts") if rule.dated else _NO_TIME
        signup = pl.col("signup_ts") if "signup_ts" in customers.columns else _NO_TIME
        base = (
            customers.select(
                "customer_id",
                _flag(customers, rule.label),
                dated.alias("_dated"),
                signup.alias("_signup"),
            )
            .join(activity, on="customer_id", how="left")
            .with_columns(
                pl.when(pl.col("churned")).then(pl.coalesce("_dated", "last_ts")).alias("churn_ts"),
                pl.min_horizontal("_signup", "first_touch").alias("first_ts"),
            )
        )
    until = end - timedelta(days=rule.inactivity_days) if rule.kind == "inactivity" else end
    observed = pl.col("churned") & (pl.col("churn_ts") <= until).fill_null(False)
    stop = pl.when(observed).then(pl.col("churn_ts")).otherwise(pl.lit(until))
    days = (stop - pl.col("first_ts")).dt.total_microseconds() / _f.DAY_US
    return base.select(
        "customer_id",
        "churned",
        "churn_ts",
        "first_ts",
        "last_ts",
        days.clip(lower_bound=0.0).alias("duration"),
        observed.alias("observed"),
    ).sort("customer_id")


def outcomes(ds: Any) -> pl.DataFrame:
    """Every customer's churn outcome over the whole history, by the dataset's definition.

    The definition is :func:`cxlib.churn.definition`: the inactivity rule (``[churn]
    inactivity_days``: churned at the last touchpoint when that many days of data follow it
    without another; customers seen more recently are censored) or the label column.

    Returns
    -------
    polars.DataFrame
        ``customer_id``; ``churned`` (bool); ``churn_ts`` (when they left: the label's
        ``churn_ts``, else the last touchpoint; null if not churned); ``first_ts`` (signup or
        first touchpoint, whichever is earlier); ``last_ts`` (last touchpoint); ``duration``
        (days from ``first_ts`` to ``churn_ts`` when observed, else to the censoring time);
        ``observed`` (churned within the data; False = censored). Censoring is at the data's
        end under a label, and ``inactivity_days`` before it under the rule: a churn later
        than that cannot be seen yet, so no one is counted at risk of an event they could
        not show. Under the rule: customers with a touchpoint; under a label: the customer
        table.

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> import cxlib as cx
    >>> out = cx.churn.outcomes(cx.load("data/sample"))
    >>> out.columns
    ['customer_id', 'churned', 'churn_ts', 'first_ts', 'last_ts', 'duration', 'observed']
    """
    return outcomes_of(ds, definition(ds))


def churned_by(ds: Any, as_of: datetime, rule: ChurnDefinition) -> pl.Series | None:
    """Ids the inactivity rule counts as churned at ``as_of`` from the data before it (no
    touchpoint in the ``inactivity_days`` before ``as_of``); None under a label."""
    if rule.kind != "inactivity":
        return None
    seen = outcomes_of(ds, rule, end=as_of - _MICROSECOND)
    return seen.filter(pl.col("churned")).get_column("customer_id")


def churn_label(
    ds: Any,
    as_of: datetime,
    *,
    horizon: str | timedelta | None,
    rule: ChurnDefinition,
) -> pl.DataFrame:
    """``customer_id, churned`` for the customers at risk at ``as_of``, from after it only.

    The inactivity rule as seen from ``as_of + inactivity_days`` (no touchpoint in
    ``[as_of, as_of + inactivity_days)``; the data must reach that far); a dated label with
    ``churn_ts`` in ``[as_of, as_of + horizon)``; an undated label as it is.
    """
    ids = pl.DataFrame({"customer_id": _f.history(ds, as_of).population})
    if rule.kind == "inactivity":
        until = as_of + timedelta(days=rule.inactivity_days)
        if _f.data_end(ds) < until:
            raise DataError(
                f"the data ends on {_f.data_end(ds):%Y-%m-%d}: churn by "
                f"{rule.inactivity_days:g} days of inactivity after as_of={as_of:%Y-%m-%d} "
                f"needs data until {until:%Y-%m-%d}; choose an earlier as_of"
            )
        # seen from `until`, churned <=> last touchpoint before `until` is before as_of
        labels = outcomes_of(ds, rule, end=until - _MICROSECOND).select("customer_id", "churned")
    else:
        seen = outcomes_of(ds, rule)
        flag = pl.col("churned")
        if rule.dated:
            window = pl.col("churn_ts") >= as_of
            micros = parse_duration(horizon, name="horizon")
            if micros is not None:
                window = window & (pl.col("churn_ts") < as_of + timedelta(microseconds=micros))
            flag = flag & window.fill_null(False)
        labels = seen.select("customer_id", flag.alias("churned"))
    return ids.join(labels, on="customer_id", how="left").with_columns(
        pl.col("churned").fill_null(False)
    )
