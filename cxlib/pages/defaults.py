"""What a page uses where its parameters leave the choice to the data.

A notebook parameter left empty (``""``) means "from the configuration, else from the
data": these functions make that choice, so that no page names the sample's touchpoints,
channels, stages, segments or dates. Each takes a :class:`~cxlib.io.Dataset` and returns
plain Python values (names, dates, channel groups) to pass to the analyses.

* :func:`funnel_steps` — ``[journey] funnel``, else the most common steps that end in the
  conversion;
* :func:`channel_groups` — ``[channels.groups]``, else the built-in store/online groups
  when the data has them, else one group per channel;
* :func:`segment_columns` — the customer table's categorical columns;
* :func:`snapshot_date` — the churn snapshot: the data's end minus the horizon;
* :func:`stage` and :func:`stall_stage` — a stage to study when none is given;
* :func:`survey_triggers` — the touchpoint each survey follows;
* :func:`dropoff_step` — the funnel step whose drop-offs a page lists;
* :func:`names` and :func:`claims` — comma-separated parameters as lists and mappings.

Examples
--------
>>> import warnings; warnings.simplefilter("ignore")
>>> import cxlib as cx
>>> from cxlib.pages import defaults
>>> ds = cx.load("data/sample")
>>> defaults.funnel_steps(ds, "visit, purchase")
['visit', 'purchase']
>>> defaults.segment_columns(ds)
['country', 'age_band', 'acquisition_channel']
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from cxlib._engine import eager, parse_duration, to_polars
from cxlib._errors import DataError
from cxlib.journey import stage as journey_stage
from cxlib.journey import suggest_steps
from cxlib.omnichannel import DEFAULT_GROUPS
from cxlib.privacy import is_personal

if TYPE_CHECKING:
    from cxlib.io import Dataset

__all__ = [
    "channel_groups",
    "claims",
    "dropoff_step",
    "funnel_steps",
    "names",
    "segment_columns",
    "snapshot_date",
    "stage",
    "stall_stage",
    "survey_triggers",
]

# customer columns that describe an outcome or a moment, never a segment
_NOT_SEGMENTS = ("churned", "churn_ts", "signup_ts")
MAX_SEGMENT_VALUES = 20
"""A customer column with more distinct values than this is not a segment (an id, a city)."""


def names(text: str | Sequence[str] | None) -> list[str]:
    """A comma-separated parameter (``"visit, purchase"``) as a list of names; empty: ``[]``.

    Examples
    --------
    >>> names(" visit ,purchase,, ")
    ['visit', 'purchase']
    >>> names("")
    []
    """
    if text is None:
        return []
    parts = text.split(",") if isinstance(text, str) else list(text)
    return [part.strip() for part in parts if part and part.strip()]


def funnel_steps(
    ds: Dataset, override: str | Sequence[str] = "", *, max_steps: int = 5
) -> list[str]:
    """The funnel a page shows: ``override`` if given, else ``[journey] funnel``, else the
    most common ordered steps that end in the conversion (``[journey] conversion``,
    :func:`cxlib.journey.suggest_steps`).

    Raises
    ------
    DataError
        When nothing is configured and the conversion never occurs (no steps to suggest).
    """
    given = names(override)
    if given:
        return given
    if ds.config.funnel:
        return list(ds.config.funnel)
    touchpoints = eager(ds.touchpoints)
    conversion = ds.config.conversion
    if touchpoints.filter(pl.col("touchpoint") == conversion).height == 0:
        raise DataError(
            f"the conversion touchpoint {conversion!r} does not occur; set [journey] conversion "
            "or [journey] funnel in cx.toml"
        )
    return list(suggest_steps(touchpoints, conversion, max_steps=max_steps))


def channel_groups(ds: Dataset) -> dict[str, tuple[str, ...]]:
    """Channel groups of the omnichannel pages: ``[channels.groups]``; else the built-in
    store / online groups when the data has channels of two of them; else each channel of
    the data its own group (most used first)."""
    if ds.config.channel_groups:
        return {name: tuple(chs) for name, chs in ds.config.channel_groups.items()}
    touchpoints = eager(ds.touchpoints)
    if "channel" not in touchpoints.columns:
        return {}
    counts = touchpoints.get_column("channel").drop_nulls().value_counts(sort=True)
    used = counts.get_column("channel").to_list()
    built_in = {name: tuple(chs) for name, chs in DEFAULT_GROUPS.items()}
    if sum(1 for chs in built_in.values() if set(chs) & set(used)) >= 2:
        return built_in
    return {channel: (channel,) for channel in used}


def segment_columns(
    ds: Dataset, *, outcome: bool = False, max_values: int = MAX_SEGMENT_VALUES
) -> list[str]:
    """Customer columns to split by: text, categorical or yes/no columns with 2 to
    ``max_values`` distinct values, leaving out ids, personal data, dates and the churn
    label (with ``outcome=True`` the label comes last, when the customers have it). Empty
    without a customer table."""
    if ds.customers is None:
        return []
    customers = eager(ds.customers)
    label = ds.config.churn_label or "churned"
    skip = {*_NOT_SEGMENTS, label, *(c for c in customers.columns if is_personal(c))}
    kinds = (pl.String, pl.Categorical, pl.Enum, pl.Boolean)
    columns = []
    for name, dtype in customers.schema.items():
        if name in skip or not isinstance(dtype, kinds):
            continue
        distinct = customers.get_column(name).drop_nulls().n_unique()
        if 2 <= distinct <= max_values:
            columns.append(name)
    if outcome and label in customers.columns:
        columns.append(label)
    return columns


def claims(text: str) -> dict[str, float]:
    """Claims to check against the data, from a parameter such as ``"value=0.30,
    store_order_value=0.04"`` (metric = claimed uplift; ``value:0.30`` also works); ``""``:
    none.

    Examples
    --------
    >>> claims("value=0.3, orders = 0.1")
    {'value': 0.3, 'orders': 0.1}
    >>> claims("value:0.3")
    {'value': 0.3}
    >>> claims("")
    {}
    """
    parsed = {}
    for item in names(text):
        metric, sep, figure = item.partition("=" if "=" in item else ":")
        try:
            parsed[metric.strip()] = float(figure)
        except ValueError:
            sep = ""
        if not sep or not metric.strip():
            raise DataError(
                f"claims: {item!r} is not metric=uplift; use e.g. 'value=0.30, orders=0.10'"
            ) from None
    return parsed


def snapshot_date(ds: Dataset, as_of: str = "", *, horizon: str = "90d") -> str:
    """The churn snapshot date (``YYYY-MM-DD``): ``as_of`` if given, else the latest day
    that leaves ``horizon`` of data after it (``[churn] inactivity_days`` when set).

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> import cxlib as cx
    >>> snapshot_date(cx.load("data/sample"), "2025-07-01")
    '2025-07-01'
    """
    if as_of and as_of.strip():
        return as_of.strip()
    days = ds.config.churn_inactivity_days
    span = parse_duration(f"{days}d" if days is not None else horizon, name="horizon") or 0
    end = eager(ds.touchpoints).get_column("ts").max()
    if end is None:
        raise DataError("touchpoints are empty: no snapshot date to compute")
    return (end - timedelta(microseconds=span)).date().isoformat()


def _reached(ds: Dataset) -> pl.DataFrame:
    """Customers per stage of the model that the data reaches, in model order."""
    touchpoints = eager(ds.touchpoints)
    counts = (
        touchpoints.filter(pl.col("stage").is_not_null())
        .group_by("stage")
        .agg(pl.col("customer_id").n_unique().alias("customers"))
    )
    order = pl.DataFrame({"stage": list(ds.stages.stages)}).with_row_index("__i")
    return order.join(counts, on="stage", how="inner").sort("__i").drop("__i")


def stage(ds: Dataset, given: str = "") -> str:
    """The stage a page studies: ``given`` if set, else the first stage of the model that
    customers reach (the model's first stage when they reach none)."""
    if given and given.strip():
        return given.strip()
    reached = _reached(ds)
    return reached.item(0, "stage") if reached.height else ds.stages.stages[0]


def stall_stage(ds: Dataset, given: str = "") -> str:
    """The stage whose stalls a page explains: ``given`` if set, else the stage just before
    the one where the conversion (``[journey] conversion``) happens, i.e. where customers
    stall before converting; without that, the stage where the most customers stop (never
    reach a later stage)."""
    if given and given.strip():
        return given.strip()
    reached = _reached(ds).get_column("stage").to_list()
    touchpoints = eager(ds.touchpoints)
    converted = (
        touchpoints.filter(pl.col("touchpoint") == ds.config.conversion)
        .get_column("stage")
        .drop_nulls()
    )
    if converted.len() and converted.mode().sort()[0] in reached:
        index = reached.index(converted.mode().sort()[0])
        if index > 0:
            return reached[index - 1]
    candidates = [name for name in reached if name != ds.stages.stages[-1]]
    if not candidates:
        return stage(ds)
    stalled = {}
    for name in candidates:  # a handful of stages
        entered = journey_stage.entries(ds, name)
        stalled[name] = int((~entered.get_column("moved_on")).sum())
    return max(candidates, key=stalled.__getitem__)


def survey_triggers(ds: Dataset) -> dict[str, str]:
    """The touchpoint each survey type follows (its response rate is answers / customers who
    had it): the most common ``touchpoint`` of its answers when the surveys say, else the
    conversion for NPS. Survey types with neither are left out."""
    if ds.surveys is None:
        return {}
    surveys = eager(ds.surveys)
    triggers: dict[str, str] = {}
    if "touchpoint" in surveys.columns:
        common = (
            surveys.filter(pl.col("touchpoint").is_not_null())
            .group_by("survey", "touchpoint")
            .agg(pl.len().alias("n"))
            .sort("survey", "n", "touchpoint", descending=[False, True, False])
            .group_by("survey", maintain_order=True)
            .first()
        )
        triggers = dict(common.select("survey", "touchpoint").iter_rows())
    kinds = surveys.get_column("survey").unique().to_list()
    if "nps" in kinds and "nps" not in triggers:
        triggers["nps"] = ds.config.conversion
    return {k: v for k, v in sorted(triggers.items()) if k in kinds}


def dropoff_step(funnel: Any, at: int = 0) -> int | None:
    """The funnel step whose drop-offs a page lists: ``at`` when given (1-based), else the
    step after which the largest share of customers stops (as the funnel's sentence names
    it: the lowest conversion from one step to the next). None when the funnel has no step
    with a next one that someone reached.

    Examples
    --------
    >>> import polars as pl
    >>> funnel = pl.DataFrame({"step_index": [1, 2, 3], "customers": [1000, 800, 200],
    ...     "step_conversion": [1.0, 0.8, 0.25]})
    >>> dropoff_step(funnel), dropoff_step(funnel, 1)
    (2, 1)
    """
    frame = to_polars(funnel).sort("step_index")
    last = frame.height
    if at:
        if not 1 <= at < last:
            raise DataError(
                f"dropoff_at={at}: use a step from 1 to {last - 1} (the last step has no "
                "drop-off), or 0 for the largest drop"
            )
        return at
    pairs = [
        (rate, previous)
        for (previous, reached), rate in zip(
            frame.select("step_index", "customers").iter_rows(),
            frame.get_column("step_conversion").to_list()[1:],
            strict=False,
        )
        if reached and rate is not None and rate == rate  # NaN: nobody reached the step
    ]
    return min(pairs, default=(None, None))[1]
