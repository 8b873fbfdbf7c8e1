"""What each customer who reached step k had before their stall point: binary features.

A feature is a (kind, feature, value) triple a customer has or has not:

* ``touchpoint`` — ``("touchpoint", name)``: at least one event of that touchpoint;
* ``property`` — ``(column, value)``: at least one event with that value of a touchpoint
  property (a text, boolean or integer column of the touchpoints with at most
  ``max_levels`` distinct values, ids and ``revenue`` left out);
* ``attribute`` — ``(column, value)``: the customer's value of a column of the customer
  table (same kinds of columns; dates, personal columns and churn outcomes left out: an
  outcome is observed after the stall point);
* ``survey`` — ``(survey, band)``: at least one answer in that band of the survey's
  documented scale (:data:`cxlib.io.SURVEY_SCALES`): NPS detractor 0–6 and promoter 9–10,
  CSAT dissatisfied 1–2 and satisfied 4–5, CES difficult 1–3 and easy 5–7. Other surveys
  are left out.

Touchpoint, property and survey features are observed strictly before the stall point
(an event or an answer at the very same microsecond is not "before"), and never from the
funnel's step events: events whose touchpoint is one of the steps 1..k + 1 are left out
altogether, so the steps themselves, and anything after, cannot leak into the features.
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import polars as pl

from cxlib._engine import CUSTOMER, lazy, to_polars, with_micros
from cxlib.privacy import is_personal

KINDS = ("touchpoint", "property", "attribute", "survey")
_TEXT_TYPES = (nw.String, nw.Boolean, nw.Categorical, nw.Enum)  # (narwhals: any engine)
# survey -> (band, lowest, highest) on its documented scale (cxlib.io.SURVEY_SCALES)
SURVEY_BANDS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "nps": (("detractor", 0, 6), ("promoter", 9, 10)),
    "csat": (("dissatisfied", 1, 2), ("satisfied", 4, 5)),
    "ces": (("difficult", 1, 3), ("easy", 5, 7)),
}
# never features: ids, time, money, the funnel's own columns, churn outcomes
LEFT_OUT = {CUSTOMER, "ts", "touchpoint", "session_id", "order_id", "revenue", "__t"}
OUTCOMES = {"churned", "churn_ts", "churn", "is_churned", "churn_date"}
SCHEMA = {
    CUSTOMER: pl.String,
    "kind": pl.String,
    "feature": pl.String,
    "value": pl.String,
}


def _categorical(frame: pl.DataFrame, column: str, max_levels: int) -> bool:
    dtype = frame.schema[column]
    kind_ok = dtype in (pl.String, pl.Boolean, pl.Categorical, pl.Enum) or dtype.is_integer()
    if not kind_ok or is_personal(column) or column.lower() in OUTCOMES:
        return False
    return 2 <= frame[column].drop_nulls().n_unique() <= max_levels


def property_columns(touchpoints: Any) -> list[str]:
    """The touchpoint columns that may be property features, by name and type alone (their
    number of distinct values is checked on the events before the stall point)."""
    schema = lazy(touchpoints).collect_schema()
    return [
        c
        for c, dtype in schema.items()
        if c not in LEFT_OUT
        and not c.startswith("__")
        and (any(dtype == t for t in _TEXT_TYPES) or dtype.is_integer())
        and not is_personal(c)
        and c.lower() not in OUTCOMES
    ]


def _tidy(frame: pl.DataFrame, kind: str, feature: pl.Expr, value: pl.Expr) -> pl.DataFrame:
    # one row per customer and value: the events before the stall repeat both many times
    return (
        frame.select(
            pl.col(CUSTOMER).cast(pl.String),
            pl.lit(kind).alias("kind"),
            feature.cast(pl.String).alias("feature"),
            value.cast(pl.String).alias("value"),
        )
        .filter(pl.col("value").is_not_null())
        .unique()
    )


def event_features(
    events: pl.DataFrame, reached: pl.DataFrame, steps: set[str], max_levels: int
) -> list[pl.DataFrame]:
    """Touchpoint and property features of the events before each customer's stall point."""
    columns = [c for c in events.columns if c not in LEFT_OUT and not c.startswith("__")]
    properties = [c for c in columns if _categorical(events, c, max_levels)]
    before = (
        events.lazy()
        .filter(~pl.col("touchpoint").is_in(sorted(steps)))
        .select(CUSTOMER, pl.col("ts").dt.epoch("us").alias("__t"), "touchpoint", *properties)
        .join(reached.lazy().select(CUSTOMER, "__stall"), on=CUSTOMER, how="inner")
        .filter(pl.col("__t") < pl.col("__stall"))
        .drop("__t", "__stall")
        .collect()
    )
    parts = [_tidy(before, "touchpoint", pl.lit("touchpoint"), pl.col("touchpoint"))]
    parts += [_tidy(before, "property", pl.lit(c), pl.col(c)) for c in properties]
    return parts


def attribute_features(
    customers: Any, reached: pl.DataFrame, max_levels: int, columns: list[str] | None
) -> list[pl.DataFrame]:
    """Customer-table features of the customers who reached the step."""
    table = to_polars(lazy(customers)).unique(subset=[CUSTOMER], keep="first")
    table = table.join(reached.select(CUSTOMER), on=CUSTOMER, how="inner")
    if columns is None:
        columns = [c for c in table.columns if c != CUSTOMER and _categorical(table, c, max_levels)]
    return [_tidy(table, "attribute", pl.lit(c), pl.col(c)) for c in columns]


def survey_features(surveys: Any, reached: pl.DataFrame) -> list[pl.DataFrame]:
    """Survey bands answered before each customer's stall point."""
    answers = to_polars(
        with_micros(surveys).select(CUSTOMER, "__t", "survey", "score")
    ).with_columns(pl.col("survey").cast(pl.String).str.to_lowercase())
    answers = (
        answers.join(reached.select(CUSTOMER, "__stall"), on=CUSTOMER, how="inner")
        .filter(pl.col("__t") < pl.col("__stall"))
        .filter(pl.col("survey").is_in(list(SURVEY_BANDS)))
    )
    band = pl.lit(None, dtype=pl.String)
    for survey, bands in SURVEY_BANDS.items():
        for name, low, high in bands:
            hit = (pl.col("survey") == survey) & pl.col("score").is_between(low, high)
            band = pl.when(hit).then(pl.lit(name)).otherwise(band)
    return [_tidy(answers, "survey", pl.col("survey"), band)]


def features(
    events: pl.DataFrame,
    reached: pl.DataFrame,
    *,
    steps: set[str],
    customers: Any = None,
    surveys: Any = None,
    attributes: list[str] | None = None,
    max_levels: int = 20,
) -> pl.DataFrame:
    """One row per (customer, kind, feature, value) the customer has: ``customer_id, kind,
    feature, value`` (distinct rows)."""
    parts = event_features(events, reached, steps, max_levels)
    if customers is not None:
        parts += attribute_features(customers, reached, max_levels, attributes)
    if surveys is not None:
        parts += survey_features(surveys, reached)
    parts = [p.cast(SCHEMA) for p in parts]  # type: ignore[arg-type]
    return pl.concat(parts).unique() if parts else pl.DataFrame(schema=SCHEMA)
