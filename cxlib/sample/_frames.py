"""From simulated journeys to tables and files: ``make_sample`` and ``write_sample``.

The simulated journeys become the three canonical tables (touchpoints, surveys, customers),
sorted by customer and time, with the bad rows of :class:`~cxlib.sample.BadRowsTruth`
inserted for the rejects ledger; :func:`write_sample` writes the tables as Parquet files.

Customers are simulated ``_CHUNK`` at a time and each chunk becomes a compact frame at once
(customer, session and order numbers as integers, touchpoints and channels as enums), so
memory follows the size of the tables, not the number of Python objects of the journeys. The
readable ids (``C000001``, ``S0000001``, ``O0000001``), the timestamps and the stages are made
column by column in one lazy ``select`` at the end, which :func:`write_sample` streams to
Parquet.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from cxlib._errors import DataError, os_errors_as_data_errors
from cxlib.io import SURVEYS, TOUCHPOINTS, stage_model
from cxlib.sample._simulate import (
    _CHANNELS,
    _TOUCHPOINTS,
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    _Counters,
    _Journey,
)
from cxlib.sample._streams import _streams
from cxlib.sample._truths import PLANTED

_DAY_US = 86_400_000_000
_YEAR_START_US = (date(2025, 1, 1) - date(1970, 1, 1)).days * _DAY_US
_CHUNK = 10_000  # customers simulated before their rows become a frame
# zstd level of the Parquet files: 19 (the smallest files, for a sample committed to git) up to
# this many customers, 3 above (about ten times faster to compress, files about 20 % larger).
_SMALLEST_FILES_UP_TO = 10_000
_ENUMS = {"touchpoint": pl.Enum(_TOUCHPOINTS), "channel": pl.Enum(_CHANNELS)}
# The compact tables: integer ids (customer index from 0, session and order numbers from 1);
# ``ts`` in days after 2025-01-01 as simulated, microseconds since 1970-01-01 UTC once compact.
_COMPACT_TOUCHPOINTS = {
    "customer": pl.UInt32,
    "ts": pl.Float64,
    "touchpoint": _ENUMS["touchpoint"],
    "channel": _ENUMS["channel"],
    "session": pl.UInt32,
    "revenue": pl.Float64,
    "order": pl.UInt32,
}  # fmt: skip
_COMPACT_SURVEYS = {
    "customer": pl.UInt32,
    "ts": pl.Float64,
    "survey": pl.String,
    "score": pl.Float64,
    "comment": pl.String,
    "touchpoint": pl.String,
    "channel": pl.String,
}  # fmt: skip
_COMPACT_CUSTOMERS = {
    "customer": pl.UInt32,
    "signup_ts": pl.Float64,
    "country": pl.String,
    "age_band": pl.String,
    "acquisition_channel": pl.String,
    "churn_ts": pl.Float64,
}  # fmt: skip

# --------------------------------------------------------------------------------------------
# Compact tables, a chunk of customers at a time
# --------------------------------------------------------------------------------------------


def _micros(days: pl.Expr) -> pl.Expr:
    """Days after 2025-01-01 -> microseconds since 1970-01-01, rounded."""
    return (days * _DAY_US).round().cast(pl.Int64) + _YEAR_START_US


def _compact(rows: list[tuple], customers: np.ndarray, schema: Mapping[str, Any]) -> pl.DataFrame:
    """One chunk's rows (without the customer), sorted by customer and time.

    The generation order breaks ties, as in the journey.
    """
    names = [name for name in schema if name != "customer"]
    frame = pl.DataFrame(
        [pl.Series("customer", customers, dtype=pl.UInt32)]
        + [
            pl.Series(name, list(map(itemgetter(i), rows)), dtype=schema[name])
            for i, name in enumerate(names)
        ]
    )
    return (
        frame.with_columns(ts=_micros(pl.col("ts")))
        .with_row_index("_seq")
        .sort("customer", "ts", "_seq")
        .drop("_seq")
    )


def _chunks(
    customers: int, seed: int
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame, dict[str, object]]]:
    """Simulate the customers ``_CHUNK`` at a time: compact touchpoints, surveys, customers."""
    counters = _Counters()
    for first in range(0, customers, _CHUNK):
        journeys, stop = [], min(first + _CHUNK, customers)
        for index, rng in enumerate(_streams(seed, first, stop), start=first):
            journey = _Journey(index, rng, counters)
            journey.simulate()
            journeys.append(journey)
        indices = np.array([j.index for j in journeys], dtype=np.uint32)
        events = np.array([len(j.events) for j in journeys], dtype=np.int64)
        answers = np.array([len(j.answers) for j in journeys], dtype=np.int64)
        touchpoints = _compact(
            [e for j in journeys for e in j.events],
            np.repeat(indices, events),
            _COMPACT_TOUCHPOINTS,
        )
        surveys = _compact(
            [a for j in journeys for a in j.answers],
            np.repeat(indices, answers),
            _COMPACT_SURVEYS,
        )
        attributes = {
            "customer": indices,
            "signup_ts": [j.signup for j in journeys],
            "country": [j.country for j in journeys],
            "age_band": [j.age_band for j in journeys],
            "acquisition_channel": [j.acquisition for j in journeys],
            "churn_ts": [j.churn_ts for j in journeys],
        }
        yield touchpoints, surveys, attributes


# --------------------------------------------------------------------------------------------
# Bad rows
# --------------------------------------------------------------------------------------------


def _insert(frame: pl.DataFrame, extra: list[tuple[pl.DataFrame, np.ndarray]]) -> pl.DataFrame:
    """Insert rows: each extra frame's row i goes after row ``positions[i]`` of ``frame``.

    Rows for the same position keep the order of ``extra``, then their own order.
    """
    inserts = sorted(
        (int(position), which, row)
        for which, (_, positions) in enumerate(extra)
        for row, position in enumerate(positions)
    )
    pieces, done = [], 0
    for position, which, row in inserts:
        pieces.append(frame.slice(done, position + 1 - done))
        pieces.append(extra[which][0].slice(row, 1))
        done = position + 1
    pieces.append(frame.slice(done))
    return pl.concat(pieces, rechunk=True)


def _add_bad_rows(tables: dict[str, pl.DataFrame], seed: int) -> dict[str, pl.DataFrame]:
    """Insert the bad rows of :class:`BadRowsTruth` (fewer when a tiny sample lacks rows)."""
    bad, rng = PLANTED.bad_rows, np.random.default_rng([seed, 1])
    touchpoints, surveys = tables["touchpoints"], tables["surveys"]

    def pick(frame: pl.DataFrame, k: int, where: pl.Expr | None = None) -> np.ndarray:
        if where is None:
            candidates = np.arange(frame.height)
        else:
            candidates = frame.select(pl.arg_where(where)).to_series().to_numpy()
        return np.sort(rng.choice(candidates, size=min(k, len(candidates)), replace=False))

    def anywhere(rows: np.ndarray) -> np.ndarray:
        return rng.integers(touchpoints.height, size=len(rows))

    dupes = pick(touchpoints, bad.duplicate_touchpoints)
    missing = pick(touchpoints, bad.missing_customer_id)
    negative = pick(touchpoints, bad.negative_revenue, pl.col("touchpoint") == "purchase")
    epoch = pick(touchpoints, bad.epoch_zero_ts)
    no_id = pl.lit(None, pl.UInt32)
    touchpoints = _insert(
        touchpoints,
        [
            (touchpoints[dupes], dupes),
            (touchpoints[missing].with_columns(customer=no_id), anywhere(missing)),
            (touchpoints[negative].with_columns(revenue=-pl.col("revenue")), anywhere(negative)),
            (touchpoints[epoch].with_columns(ts=pl.lit(0, pl.Int64)), anywhere(epoch)),
        ],
    )
    nps = pick(surveys, bad.nps_out_of_range, pl.col("survey") == "nps")
    surveys = _insert(surveys, [(surveys[nps].with_columns(score=pl.lit(bad.nps_bad_score)), nps)])
    return {**tables, "touchpoints": touchpoints, "surveys": surveys}


# --------------------------------------------------------------------------------------------
# Canonical tables
# --------------------------------------------------------------------------------------------


def _id(column: str, prefix: str, digits: int, *, plus: int = 0) -> pl.Expr:
    """A number as a readable id: ``prefix`` and at least ``digits`` digits (null stays null)."""
    number = (pl.col(column).cast(pl.Int64) + plus).cast(pl.String).str.zfill(digits)
    return pl.concat_str(pl.lit(prefix), number)


def _utc(column: str) -> pl.Expr:
    """Microseconds since 1970-01-01 -> UTC timestamp."""
    return pl.col(column).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _canonical(compact: dict[str, pl.DataFrame]) -> dict[str, pl.LazyFrame]:
    """The canonical tables, as lazy selects on the compact ones."""
    stage = (
        pl.col("touchpoint")
        .cast(pl.String)
        .replace_strict(stage_model("5-stage").mapping, return_dtype=pl.String)
    )
    customer_id = _id("customer", "C", 6, plus=1).alias("customer_id")
    touchpoints = (
        compact["touchpoints"]
        .lazy()
        .select(
            customer_id,
            _utc("ts").alias("ts"),
            pl.col("touchpoint").cast(pl.String),
            pl.col("channel").cast(pl.String),
            _id("session", "S", 7).alias("session_id"),
            stage.alias("stage"),
            "revenue",
            _id("order", "O", 7).alias("order_id"),
        )
    )
    surveys = (
        compact["surveys"]
        .lazy()
        .select(
            customer_id, _utc("ts").alias("ts"), pl.exclude("customer", "ts"), stage.alias("stage")
        )
    )
    customers = (
        compact["customers"]
        .lazy()
        .select(
            customer_id,
            _utc("signup_ts").alias("signup_ts"),
            "country",
            "age_band",
            "acquisition_channel",
            churned=pl.col("churn_ts").is_not_null(),
            churn_ts=_utc("churn_ts"),
        )
    )
    return {
        "touchpoints": touchpoints.select(*TOUCHPOINTS.columns),
        "surveys": surveys.select(*SURVEYS.columns),
        "customers": customers,
    }


def _lazy_sample(customers: int, seed: int, bad_rows: bool) -> dict[str, pl.LazyFrame]:
    """The canonical tables of :func:`make_sample`, lazy on the compact ones in memory."""
    if customers < 1:
        raise DataError(f"customers={customers}: the sample needs at least 1 customer")
    touchpoints, surveys, attributes = [], [], []
    for chunk_touchpoints, chunk_surveys, chunk_customers in _chunks(customers, seed):
        touchpoints.append(chunk_touchpoints)
        surveys.append(chunk_surveys)
        attributes.append(pl.DataFrame(chunk_customers, schema=_COMPACT_CUSTOMERS))
    # No copy of the chunks here: inserting the bad rows makes the one contiguous copy.
    compact = {
        "touchpoints": pl.concat(touchpoints, rechunk=False),
        "surveys": pl.concat(surveys, rechunk=False),
        "customers": pl.concat(attributes, rechunk=True).with_columns(
            _micros(pl.col("signup_ts")), _micros(pl.col("churn_ts"))
        ),
    }
    del touchpoints, surveys
    return _canonical(_add_bad_rows(compact, seed) if bad_rows else compact)


def make_sample(
    customers: int = DEFAULT_CUSTOMERS, *, seed: int = DEFAULT_SEED, bad_rows: bool = True
) -> dict[str, pl.DataFrame]:
    """Simulate a year of customer journeys with the planted truths of :data:`PLANTED`.

    Parameters
    ----------
    customers : int, default 5000
        Number of customers (ids ``C000001``, ``C000002``, ...).
    seed : int, default 7
        Random seed (numpy ``default_rng``). The same seed and size give identical tables on
        every run and machine; customer ``i`` does not depend on how many follow it.
    bad_rows : bool, default True
        Add the bad rows of :class:`BadRowsTruth` (duplicates, a missing id, negative revenue,
        an epoch-zero timestamp, NPS of 11) for the rejects ledger.

    Returns
    -------
    dict of str to polars.DataFrame
        ``touchpoints`` (one row per interaction, sorted by customer number and time),
        ``surveys`` (one row per answer) and ``customers`` (one row per customer), with the
        canonical columns of ``cxlib.io._schema`` and the customer attributes ``country``,
        ``age_band`` and ``acquisition_channel``.

    Examples
    --------
    >>> from cxlib.sample import make_sample
    >>> tables = make_sample(customers=50, seed=3)
    >>> tables["touchpoints"].columns
    ['customer_id', 'ts', 'touchpoint', 'channel', 'session_id', 'stage', 'revenue', 'order_id']
    >>> tables["customers"]["customer_id"].head(2).to_list()
    ['C000001', 'C000002']
    """
    tables = _lazy_sample(customers, seed, bad_rows)
    return {kind: frame.collect() for kind, frame in tables.items()}


@os_errors_as_data_errors
def write_sample(
    out: str | Path, *, customers: int = DEFAULT_CUSTOMERS, seed: int = DEFAULT_SEED
) -> dict[str, Path]:
    """Write the sample as ``touchpoints.parquet``, ``surveys.parquet``, ``customers.parquet``.

    The tables are streamed to the files, so writing needs less memory than
    :func:`make_sample`. Files of up to 10,000 customers are compressed hard (zstd level 19,
    the smallest files, for a sample committed to git), bigger ones at zstd level 3 (about ten
    times faster to write, files about 20 % larger).

    Parameters
    ----------
    out : str or Path
        Directory to write into; created if needed. Existing files of the same names are
        replaced; other files (such as the data card ``README.md``) are left alone.
    customers, seed : int
        As for :func:`make_sample`.

    Returns
    -------
    dict of str to Path
        Table name -> the Parquet file written (zstd-compressed).

    Examples
    --------
    >>> import tempfile
    >>> from cxlib.sample import write_sample
    >>> paths = write_sample(tempfile.mkdtemp(), customers=50)
    >>> sorted(p.name for p in paths.values())
    ['customers.parquet', 'surveys.parquet', 'touchpoints.parquet']
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths, level = {}, 19 if customers <= _SMALLEST_FILES_UP_TO else 3
    for kind, frame in _lazy_sample(customers, seed, bad_rows=True).items():
        paths[kind] = out / f"{kind}.parquet"
        frame.sink_parquet(paths[kind], compression="zstd", compression_level=level)
    return paths
