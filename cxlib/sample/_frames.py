"""From simulated journeys to tables and files: ``make_sample`` and ``write_sample``.

The simulated journeys become the three canonical tables (touchpoints, surveys, customers),
sorted by customer and time, with the bad rows of :class:`~cxlib.sample.BadRowsTruth`
inserted for the rejects ledger; :func:`write_sample` writes the tables as Parquet files.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from cxlib._errors import DataError, os_errors_as_data_errors
from cxlib.io import SURVEYS, TOUCHPOINTS, UTC_TS, stage_model
from cxlib.sample._simulate import DEFAULT_CUSTOMERS, DEFAULT_SEED, _Counters, _Journey
from cxlib.sample._truths import PLANTED

_DAY_US = 86_400_000_000
_YEAR_START_US = (date(2025, 1, 1) - date(1970, 1, 1)).days * _DAY_US

# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _utc(column: str) -> pl.Expr:
    """Days after 2025-01-01 -> UTC timestamp, rounded to the microsecond."""
    micros = (pl.col(column) * _DAY_US).round().cast(pl.Int64) + _YEAR_START_US
    return micros.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _frames(journeys: list[_Journey]) -> dict[str, pl.DataFrame]:
    stage = pl.col("touchpoint").replace_strict(
        stage_model("5-stage").mapping, return_dtype=pl.String
    )
    touchpoints = pl.DataFrame(
        [(j.customer_id, *e) for j in journeys for e in j.events],
        schema={
            "customer_id": pl.String,
            "ts": pl.Float64,
            "touchpoint": pl.String,
            "channel": pl.String,
            "session_id": pl.String,
            "revenue": pl.Float64,
            "order_id": pl.String,
        },  # fmt: skip
        orient="row",
    ).with_columns(_utc("ts"), stage.alias("stage"))
    surveys = pl.DataFrame(
        [(j.customer_id, *a) for j in journeys for a in j.answers],
        schema={
            "customer_id": pl.String,
            "ts": pl.Float64,
            "survey": pl.String,
            "score": pl.Float64,
            "comment": pl.String,
            "touchpoint": pl.String,
            "channel": pl.String,
        },  # fmt: skip
        orient="row",
    ).with_columns(_utc("ts"), stage.alias("stage"))
    customers = pl.DataFrame(
        [
            (j.customer_id, j.signup, j.country, j.age_band, j.acquisition, j.churn_ts)
            for j in journeys
        ],
        schema={
            "customer_id": pl.String,
            "signup_ts": pl.Float64,
            "country": pl.String,
            "age_band": pl.String,
            "acquisition_channel": pl.String,
            "churn_ts": pl.Float64,
        },  # fmt: skip
        orient="row",
    ).with_columns(_utc("signup_ts"), _utc("churn_ts"), churned=pl.col("churn_ts").is_not_null())
    # Sorted by customer and time; the generation order breaks ties.
    return {
        "touchpoints": touchpoints.with_row_index("_seq")
        .sort("customer_id", "ts", "_seq")
        .select(*TOUCHPOINTS.columns),
        "surveys": surveys.with_row_index("_seq")
        .sort("customer_id", "ts", "_seq")
        .select(*SURVEYS.columns),
        "customers": customers.select(
            "customer_id",
            "signup_ts",
            "country",
            "age_band",
            "acquisition_channel",
            "churned",
            "churn_ts",
        ),
    }


def _insert(frame: pl.DataFrame, extra: list[tuple[pl.DataFrame, np.ndarray]]) -> pl.DataFrame:
    """Insert rows: each extra frame's row i goes after row ``positions[i]`` of ``frame``."""
    keyed = [frame.with_columns(_key=pl.int_range(pl.len(), dtype=pl.Int64) * 2)]
    keyed += [
        rows.with_columns(_key=pl.Series(np.asarray(pos, dtype=np.int64) * 2 + 1))
        for rows, pos in extra
    ]
    return pl.concat(keyed).sort("_key", maintain_order=True).drop("_key")


def _add_bad_rows(tables: dict[str, pl.DataFrame], seed: int) -> dict[str, pl.DataFrame]:
    """Insert the bad rows of :class:`BadRowsTruth` (fewer when a tiny sample lacks rows)."""
    bad, rng = PLANTED.bad_rows, np.random.default_rng([seed, 1])
    touchpoints, surveys = tables["touchpoints"], tables["surveys"]

    def pick(frame: pl.DataFrame, k: int, where: pl.Expr | None = None) -> np.ndarray:
        candidates = frame.with_row_index("_i").filter(True if where is None else where)
        candidates = candidates["_i"].to_numpy()
        return np.sort(rng.choice(candidates, size=min(k, len(candidates)), replace=False))

    def anywhere(rows: np.ndarray) -> np.ndarray:
        return rng.integers(touchpoints.height, size=len(rows))

    dupes = pick(touchpoints, bad.duplicate_touchpoints)
    missing = pick(touchpoints, bad.missing_customer_id)
    negative = pick(touchpoints, bad.negative_revenue, pl.col("touchpoint") == "purchase")
    epoch = pick(touchpoints, bad.epoch_zero_ts)
    no_id, zero = pl.lit(None, pl.String), pl.lit(0).cast(UTC_TS)
    touchpoints = _insert(
        touchpoints,
        [
            (touchpoints[dupes], dupes),
            (touchpoints[missing].with_columns(customer_id=no_id), anywhere(missing)),
            (touchpoints[negative].with_columns(revenue=-pl.col("revenue")), anywhere(negative)),
            (touchpoints[epoch].with_columns(ts=zero), anywhere(epoch)),
        ],
    )
    nps = pick(surveys, bad.nps_out_of_range, pl.col("survey") == "nps")
    surveys = _insert(surveys, [(surveys[nps].with_columns(score=pl.lit(bad.nps_bad_score)), nps)])
    return {**tables, "touchpoints": touchpoints, "surveys": surveys}


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
        ``touchpoints`` (one row per interaction, sorted by customer and time), ``surveys``
        (one row per answer) and ``customers`` (one row per customer), with the canonical
        columns of ``cxlib.io._schema`` and the customer attributes ``country``, ``age_band``
        and ``acquisition_channel``.

    Examples
    --------
    >>> from cxlib.sample import make_sample
    >>> tables = make_sample(customers=50, seed=3)
    >>> tables["touchpoints"].columns
    ['customer_id', 'ts', 'touchpoint', 'channel', 'session_id', 'stage', 'revenue', 'order_id']
    >>> tables["customers"]["customer_id"].head(2).to_list()
    ['C000001', 'C000002']
    """
    if customers < 1:
        raise DataError(f"customers={customers}: the sample needs at least 1 customer")
    counters = _Counters()
    journeys = []
    for index in range(customers):
        journey = _Journey(index, seed, counters)
        journey.simulate()
        journeys.append(journey)
    tables = _frames(journeys)
    return _add_bad_rows(tables, seed) if bad_rows else tables


@os_errors_as_data_errors
def write_sample(
    out: str | Path, *, customers: int = DEFAULT_CUSTOMERS, seed: int = DEFAULT_SEED
) -> dict[str, Path]:
    """Write the sample as ``touchpoints.parquet``, ``surveys.parquet``, ``customers.parquet``.

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
    paths = {}
    for kind, frame in make_sample(customers, seed=seed).items():
        paths[kind] = out / f"{kind}.parquet"
        frame.write_parquet(paths[kind], compression="zstd", compression_level=19)
    return paths
