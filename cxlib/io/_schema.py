"""Canonical columns of the three tables, their dtypes and the survey scales, and which
column of a source is which canonical column (:func:`resolve_columns`).

Every loader maps its source onto these names; every analysis relies on them.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from cxlib._engine import close_match
from cxlib._errors import DataError
from cxlib.io._read import Raw

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

_ALIASES = {  # usual names of canonical columns, for "did you mean" hints
    "customer_id": ("user_id", "user", "customer", "client_id", "customerid", "uid", "id"),
    "ts": ("timestamp", "time", "event_time", "datetime", "date", "created_at", "occurred_at"),
    "touchpoint": ("event", "event_name", "event_type", "action", "type"),
    "channel": ("source", "medium", "platform", "device"),
    "survey": ("survey_type", "type", "question", "metric"),
    "score": ("rating", "answer", "value", "nps", "csat", "ces"),
}


# The rejects ledger: one row per rejected input row (cxlib.io._validate).
REJECTS_SCHEMA = pl.Schema(
    {
        "source": pl.String,
        "kind": pl.String,
        "row": pl.Int64,
        "column": pl.String,
        "reason": pl.String,
        "value": pl.String,
    }
)


def empty_rejects() -> pl.DataFrame:
    """A rejects ledger with no rows."""
    return pl.DataFrame(schema=REJECTS_SCHEMA)


# -- a source's columns ---------------------------------------------------------------------


def resolve_columns(
    raw: Raw, schema: TableSchema, columns: Mapping[str, str] | None
) -> dict[str, str]:
    """``target -> source column`` for canonical columns and renamed properties.

    Raises ``DataError`` naming the fix when a mapped column is absent or a required
    canonical column cannot be found.
    """
    if columns is not None and not isinstance(columns, Mapping):
        raise DataError(
            f"{raw.label}: columns must be a dict like {{'customer_id': 'user'}}, "
            f"got {type(columns).__name__}"
        )
    mapping = {str(target): str(source) for target, source in (columns or {}).items()}
    found = _names(raw.columns)
    for target, source in mapping.items():
        if source not in raw.columns:
            raise DataError(
                f"{raw.label}: column '{source}' (mapped to {target}) is not in the "
                f"file; {close_match(source, raw.columns)}columns found: {found}"
            )
    for name in schema.columns:
        if name not in mapping and name in raw.columns:
            mapping[name] = name
    missing = [name for name in schema.required if name not in mapping]
    if missing:
        name = missing[0]
        hint = _guess(name, raw.columns)
        guess = hint or "<your column>"
        raise DataError(
            f"{raw.label}: required {schema.kind} column '{name}' is missing (columns found: "
            f"{found}); map it with columns={{'{name}': '{guess}'}} or --map {name}={guess}"
        )
    return mapping


def _names(columns: tuple[str, ...], limit: int = 12) -> str:
    shown = ", ".join(columns[:limit])
    return shown + (f", ... (+{len(columns) - limit} more)" if len(columns) > limit else "")


def _guess(name: str, columns: tuple[str, ...]) -> str | None:
    lowered = {c.lower().strip(): c for c in columns}
    for alias in (name, *_ALIASES.get(name, ())):
        if alias in lowered:
            return lowered[alias]
    close = difflib.get_close_matches(name, list(columns), n=1, cutoff=0.6)
    return close[0] if close else None


def passthrough(raw: Raw, mapping: dict[str, str], schema: TableSchema) -> dict[str, str]:
    """Source columns that are not canonical, with their output names.

    Non-canonical keys of the mapping rename a property. A source column named like a
    canonical column that was mapped from elsewhere keeps its data under ``<name>_source``.
    """
    canonical = {source for target, source in mapping.items() if target in schema.columns}
    renamed = {source: target for target, source in mapping.items() if target not in schema.columns}
    kept = {}
    for source in raw.columns:
        if source in renamed:
            kept[source] = renamed[source]
        elif source not in canonical:
            kept[source] = f"{source}_source" if source in schema.columns else source
    return kept
