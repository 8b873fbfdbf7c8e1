"""Canonical columns of the three tables, their dtypes and the survey scales.

Every loader maps its source onto these names; every analysis relies on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

UTC_TS = pl.Datetime("us", "UTC")

# Survey name -> (lowest, highest) allowed score, inclusive.
SURVEY_SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}

# Timestamps outside this range are "absurd" and rejected (UTC).
EARLIEST_TS = "1990-01-01"
LATEST_TS = "2100-01-01"


@dataclass(frozen=True)
class TableSchema:
    """Required and optional canonical columns of one table kind."""

    kind: str
    required: dict[str, pl.DataType]
    optional: dict[str, pl.DataType]

    @property
    def columns(self) -> dict[str, pl.DataType]:
        return {**self.required, **self.optional}


TOUCHPOINTS = TableSchema(
    kind="touchpoints",
    required={
        "customer_id": pl.String(),
        "ts": UTC_TS,
        "touchpoint": pl.String(),
        "channel": pl.String(),
    },
    optional={
        "session_id": pl.String(),
        "stage": pl.String(),
        "revenue": pl.Float64(),
        "order_id": pl.String(),
    },
)

SURVEYS = TableSchema(
    kind="surveys",
    required={
        "customer_id": pl.String(),
        "ts": UTC_TS,
        "survey": pl.String(),
        "score": pl.Float64(),
    },
    optional={
        "comment": pl.String(),
        "touchpoint": pl.String(),
        "stage": pl.String(),
        "channel": pl.String(),
    },
)

CUSTOMERS = TableSchema(
    kind="customers",
    required={"customer_id": pl.String()},
    optional={
        "signup_ts": UTC_TS,
        "churned": pl.Boolean(),
        "churn_ts": UTC_TS,
    },
)

SCHEMAS: dict[str, TableSchema] = {s.kind: s for s in (TOUCHPOINTS, SURVEYS, CUSTOMERS)}
