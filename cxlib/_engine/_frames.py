"""Backend plumbing shared by the analyses: one code path, several engines.

Analyses are written once with narwhals. This module does the few things narwhals cannot
do portably (docs/architecture.md, "Engines"):

* time as int64 epoch-microseconds, converted per backend at entry;
* materializing an intermediate that is used twice (polars collect, DuckDB temp table,
  Spark reliable checkpoint or cache), so lazy backends do not recompute it;
* handing the small tidy result back in the caller's own library.
"""

from __future__ import annotations

import re
import sys
import uuid
from datetime import timedelta
from typing import Any

import narwhals as nw
import polars as pl

from cxlib._errors import DataError

MICROS = {"us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000}
MICROS["d"] = 24 * MICROS["h"]
MICROS["w"] = 7 * MICROS["d"]
# 1970-01-01 was a Thursday: shifting by 3 days makes weeks start on Monday.
MONDAY_SHIFT = 3 * MICROS["d"]
# Larger than any epoch-microsecond timestamp we accept: stands for "never".
NEVER = 2**62
CUSTOMER = "customer_id"


def period_start(start: Any, width: int) -> Any:
    """Start (µs) of the ``width``-long period holding ``start`` (µs); weeks begin Monday, UTC.

    Floor division only, so it works on narwhals/polars expressions and NumPy arrays alike.
    """
    if width % MICROS["w"] == 0:
        return ((start + MONDAY_SHIFT) // width) * width - MONDAY_SHIFT
    return (start // width) * width


def parse_duration(value: str | timedelta | int | None, *, name: str = "within") -> int | None:
    """A window or period as microseconds: ``"30m"``, ``"1h"``, ``"7d"``, ``"2w"``, a timedelta.

    ``None`` means no window. Integers are taken as microseconds.

    Examples
    --------
    >>> parse_duration("7d") == 7 * 24 * 3600 * 10**6
    True
    """
    if value is None:
        return None
    if isinstance(value, timedelta):
        micros = int(value / timedelta(microseconds=1))
    elif isinstance(value, int) and not isinstance(value, bool):
        micros = value
    else:
        match = re.fullmatch(r"\s*(\d+)\s*(us|ms|s|m|h|d|w)\s*", str(value))
        if not match:
            raise DataError(
                f"{name}={value!r} is not a duration; use e.g. '30m', '1h', '7d', '2w' or None"
            )
        micros = int(match.group(1)) * MICROS[match.group(2)]
    if micros < 0:
        raise DataError(f"{name}={value!r} is negative; use a positive duration such as '7d'")
    return micros


def lazy(frame: Any) -> nw.LazyFrame:
    """Any supported frame as a narwhals LazyFrame (never mutates the input)."""
    if isinstance(frame, nw.LazyFrame):
        return frame
    if isinstance(frame, nw.DataFrame):
        return frame.lazy()
    try:
        wrapped = nw.from_native(frame)
    except TypeError:
        raise DataError(
            f"cannot analyse a {type(frame).__name__}; pass a polars, pandas, DuckDB or "
            "PySpark frame (cx.read_touchpoints loads files)"
        ) from None
    return wrapped.lazy() if isinstance(wrapped, nw.DataFrame) else wrapped


def require(frame: nw.LazyFrame, columns: list[str], *, what: str = "touchpoints") -> None:
    """Raise DataError when canonical columns are missing."""
    names = frame.collect_schema().names()
    missing = [c for c in columns if c not in names]
    if missing:
        raise DataError(
            f"{what}: required column {missing[0]!r} is missing (found {names}); load with "
            f"cx.read_{what}(..., columns={{{missing[0]!r}: '<your column>'}})"
        )


def with_micros(frame: Any, column: str = "ts", out: str = "__t") -> nw.LazyFrame:
    """Add ``out``: ``column`` as int64 epoch-microseconds, converted in the frame's engine.

    An integer ``column`` is taken as microseconds already.
    """
    lf = lazy(frame)
    require(lf, [column])
    dtype = lf.collect_schema()[column]
    if dtype.is_integer():
        return lf.with_columns(nw.col(column).cast(nw.Int64).alias(out))
    impl = lf.implementation
    if impl.is_polars() or impl.is_pandas_like() or impl.is_pyarrow():
        return lf.with_columns(nw.col(column).dt.timestamp("us").cast(nw.Int64).alias(out))
    native = lf.to_native()
    if impl.is_duckdb():
        rel = native.select(f'*, epoch_us("{column}")::BIGINT AS "{out}"')
        return nw.from_native(rel)
    if impl.is_pyspark() or impl.is_pyspark_connect():
        from pyspark.sql import functions as F  # noqa: N812 - Spark's convention

        return nw.from_native(native.withColumn(out, F.unix_micros(F.col(column))))
    raise DataError(
        f"cannot convert timestamps for a {impl} frame; use polars, pandas, DuckDB or PySpark"
    )


def materialize(frame: nw.LazyFrame) -> nw.LazyFrame:
    """Compute an intermediate once so that reusing it does not recompute it.

    polars collects it, DuckDB writes a temporary table, pandas is eager already. On Spark
    the choice must survive the loss of an executor:

    * when the SparkContext has a checkpoint directory (``sc.setCheckpointDir``, on storage
      every executor reaches: HDFS, S3, ...), a reliable ``checkpoint(eager=True)``: the
      rows are written there and the lineage cut;
    * otherwise ``persist(MEMORY_AND_DISK)`` and a ``count`` to fill the cache: a lost
      executor's blocks are recomputed from the lineage, which is kept.

    ``localCheckpoint`` is not used: it keeps the only copy of each block on the executor
    that computed it and cuts the lineage, so one lost executor fails the job. The cached
    blocks live until the session stops (Spark evicts them to disk under memory pressure;
    ``spark.catalog.clearCache()`` frees them); checkpoint files stay in the directory unless
    ``spark.cleaner.referenceTracking.cleanCheckpoints`` is on.
    """
    impl = frame.implementation
    native = frame.to_native()
    if impl.is_polars():
        return nw.from_native(native.collect().lazy())
    if impl.is_duckdb():
        name = f"__cx_{uuid.uuid4().hex}"
        # a temporary table in the relation's own connection (gone when it closes)
        native.query("__cx_source", f'CREATE TEMP TABLE "{name}" AS SELECT * FROM __cx_source')
        return nw.from_native(native.query("__cx_source", f'SELECT * FROM "{name}"'))
    if impl.is_pyspark() or impl.is_pyspark_connect():
        return nw.from_native(_spark_materialized(native, connect=impl.is_pyspark_connect()))
    if impl.is_pandas_like():
        return frame  # eager already
    return frame


def _spark_materialized(native: Any, *, connect: bool) -> Any:
    """A reliable checkpoint when a checkpoint directory is set, else a filled cache.

    (Spark Connect reaches no SparkContext here: the cache.)
    """
    directory = None if connect else native.sparkSession.sparkContext.getCheckpointDir()
    if directory:
        return native.checkpoint(eager=True)
    from pyspark import StorageLevel

    cached = native.persist(StorageLevel.MEMORY_AND_DISK)
    cached.count()
    return cached


def polars_lazy(frame: nw.LazyFrame) -> pl.LazyFrame | None:
    """The polars LazyFrame behind ``frame`` when polars runs it, else None.

    For the polars fast paths of :mod:`cxlib.journey` (``transitions``, ``retention``): other
    engines run the portable narwhals plan, which the tests hold to the same answer.
    """
    native = frame.to_native()
    return native if isinstance(native, pl.LazyFrame) else None


def is_eager(frame: object) -> bool:
    """Whether ``frame`` is a polars DataFrame (in memory), not a LazyFrame or another kind."""
    return isinstance(frame, pl.DataFrame)


def eager(frame: pl.DataFrame | pl.LazyFrame | None) -> pl.DataFrame | None:
    """A Dataset table as a polars DataFrame: LazyFrames collected, None kept as None."""
    return frame.collect() if isinstance(frame, pl.LazyFrame) else frame


def lazy_like(result: pl.LazyFrame, original: pl.DataFrame | pl.LazyFrame) -> Any:
    """A polars query ``result`` as lazy as ``original``: collected when it was a DataFrame."""
    return result if isinstance(original, pl.LazyFrame) else result.collect()


def to_polars(frame: Any) -> pl.DataFrame:
    """Any frame as a polars DataFrame: a narwhals frame (a small result) or a user's
    eager or lazy frame (polars, pandas, pyarrow, DuckDB, PySpark, ...), collected."""
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if isinstance(frame, pl.DataFrame):
        return frame
    if not isinstance(frame, nw.DataFrame | nw.LazyFrame):
        try:
            frame = nw.from_native(frame)
        except TypeError:
            raise DataError(
                f"cannot analyse a {type(frame).__name__}; pass a polars, pandas, DuckDB or "
                "PySpark frame"
            ) from None
    if isinstance(frame, nw.DataFrame):
        frame = frame.lazy()
    return frame.collect(backend="polars").to_native()


def like_input(result: pl.DataFrame, original: Any) -> Any:
    """Return a small polars result in the library the caller passed in."""
    if isinstance(original, pl.DataFrame | pl.LazyFrame):
        return result
    wrapped = (
        original if isinstance(original, nw.DataFrame | nw.LazyFrame) else nw.from_native(original)
    )
    impl = wrapped.implementation
    if impl.is_pandas():
        return result.to_pandas()
    if impl.is_duckdb():
        import duckdb

        return duckdb.from_arrow(result.to_arrow())
    if impl.is_pyspark() or impl.is_pyspark_connect():
        session = wrapped.to_native().sparkSession
        return session.createDataFrame(result.to_arrow())
    if impl.is_pyarrow():
        return result.to_arrow()
    return result


def user_frame(src: Any) -> tuple[str, pl.LazyFrame] | None:
    """A user's in-memory table (polars, or pandas when pandas is imported) as a label and a
    polars LazyFrame; None when ``src`` is neither. Mixed-type pandas object columns are
    read as text."""
    pandas = sys.modules.get("pandas")  # a pandas frame implies pandas is imported
    if isinstance(src, pl.DataFrame):
        return "<polars.DataFrame>", src.lazy()
    if isinstance(src, pl.LazyFrame):
        return "<polars.LazyFrame>", src
    if pandas is not None and isinstance(src, pandas.DataFrame):
        return "<pandas.DataFrame>", _from_pandas(src, pandas).lazy()
    return None


def _from_pandas(frame: Any, pandas: Any) -> pl.DataFrame:
    try:
        return pl.from_pandas(frame)
    except Exception:  # noqa: BLE001 - mixed-type object columns; retry with them as text
        objects = [
            c for c, dtype in frame.dtypes.items() if pandas.api.types.is_object_dtype(dtype)
        ]
        try:
            return pl.from_pandas(frame.astype({c: pandas.StringDtype() for c in objects}))
        except Exception as err:  # noqa: BLE001
            message = " ".join(str(err).split())
            raise DataError(
                f"<pandas.DataFrame>: cannot convert to polars ({message}); "
                "make each column a single type"
            ) from None
