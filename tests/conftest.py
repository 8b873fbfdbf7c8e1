"""Shared fixtures: one analysis, every backend.

Tests build their input as a plain ``dict[str, list]`` and ask a constructor fixture for a
frame of one backend (the narwhals way). ``constructor`` covers the local engines;
``constructor_all`` adds PySpark and is meant for a small set of parity tests, because a Spark
job costs seconds. Spark tests are marked ``spark`` and never skip: a missing PySpark or Java
makes them fail.

``assert_frame_matches(result, expected)`` turns any backend's result into polars and compares
it with an expected polars frame: same columns in the same order, same rows in any order,
floats and durations with a small tolerance.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl
import pytest
from hypothesis import settings

Constructor = Callable[[dict[str, list]], Any]

# Hypothesis: `make test` (and CI) replays the same examples every run, so a red build always
# points at a change, never at luck. Explore new examples with HYPOTHESIS_PROFILE=explore.
settings.register_profile("repeatable", derandomize=True, deadline=None)
settings.register_profile("explore", derandomize=False, deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


def _polars_eager(data: dict[str, list]) -> pl.DataFrame:
    return pl.DataFrame(data)


def _polars_lazy(data: dict[str, list]) -> pl.LazyFrame:
    return pl.DataFrame(data).lazy()


def _pandas(data: dict[str, list]) -> Any:
    import pandas as pd

    return pd.DataFrame(data)


def _duckdb(data: dict[str, list]) -> Any:
    import duckdb

    return duckdb.from_arrow(pl.DataFrame(data).to_arrow())


CONSTRUCTORS: dict[str, Constructor] = {
    "polars[eager]": _polars_eager,
    "polars[lazy]": _polars_lazy,
    "pandas": _pandas,
    "duckdb": _duckdb,
}


class _LocalSpark:
    """Starts one local Spark on first use; the session fixture stops it at the end."""

    def __init__(self) -> None:
        self.session = None

    def get(self) -> Any:
        if self.session is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError as error:
                pytest.fail(f"PySpark is not installed ({error}); run `make setup`")
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            try:
                self.session = (
                    SparkSession.builder.master("local[2]")
                    .appName("cxlib-tests")
                    .config("spark.sql.session.timeZone", "UTC")
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.default.parallelism", "2")
                    .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
                    .getOrCreate()
                )
            except Exception as error:  # Java missing or broken: fail loudly, never skip
                pytest.fail(f"cannot start local Spark ({error}); is Java 17 installed?")
            self.session.sparkContext.setLogLevel("ERROR")
        return self.session


@pytest.fixture(scope="session")
def local_spark():
    """One local Spark for the whole test session (UTC, two shuffle partitions).

    Started lazily inside the first Spark test, so that a missing PySpark or Java makes that
    test fail (a fixture error or a skip would be easier to overlook).
    """
    spark = _LocalSpark()
    yield spark
    if spark.session is not None:
        spark.session.stop()


@pytest.fixture(params=list(CONSTRUCTORS))
def constructor(request) -> Constructor:
    """dict of lists -> polars (eager, lazy), pandas or DuckDB frame."""
    return CONSTRUCTORS[request.param]


@pytest.fixture(
    params=[
        *CONSTRUCTORS,
        # xdist_group keeps every Spark test on one worker under `pytest -n 2 --dist loadgroup`
        pytest.param("pyspark", marks=[pytest.mark.spark, pytest.mark.xdist_group("spark")]),
    ]
)
def constructor_all(request) -> Constructor:
    """Like ``constructor``, plus PySpark (``local[2]``)."""
    if request.param != "pyspark":
        return CONSTRUCTORS[request.param]
    spark = request.getfixturevalue("local_spark")

    def _pyspark(data: dict[str, list]) -> Any:
        return spark.get().createDataFrame(pl.DataFrame(data).to_arrow())

    return _pyspark


# --------------------------------------------------------------------------- comparing results


def _from_arrow(table: Any) -> pl.DataFrame:
    """pyarrow Table -> polars, with SQL intervals (DuckDB's durations) as polars Durations."""
    import pyarrow as pa

    for index, field in enumerate(table.schema):
        if pa.types.is_interval(field.type):
            values = []
            for value in table.column(index).to_pylist():
                if value is not None:
                    months, days, nanoseconds = value
                    assert months == 0, f"column {field.name!r}: a duration in months"
                    value = timedelta(days=days, microseconds=nanoseconds / 1000)
                values.append(value)
            column = pa.array(values, type=pa.duration("us"))
            table = table.set_column(index, field.name, column)
    return pl.from_arrow(table)


def to_polars(result: Any) -> pl.DataFrame:
    """Any supported backend's frame (eager or lazy) as a polars DataFrame."""
    if isinstance(result, pl.LazyFrame):
        return result.collect()
    if isinstance(result, pl.DataFrame):
        return result
    if type(result).__module__.startswith("duckdb"):
        return _from_arrow(result.to_arrow_table())
    frame = nw.from_native(result)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect(backend="polars")
    return frame.to_polars()


def _kind(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    if isinstance(dtype, pl.Duration):
        return "duration"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype == pl.Null:
        return "null"
    return str(dtype.base_type())


def _normalise(frame: pl.DataFrame) -> pl.DataFrame:
    """Comparable values: datetimes as UTC microseconds, durations in microseconds."""
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone is None:
                column = column.dt.replace_time_zone("UTC")
            column = column.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        elif isinstance(dtype, pl.Duration):
            column = column.dt.total_microseconds()
        columns.append(column)
    return frame.select(columns)


def _same(got: Any, want: Any, tolerance: float) -> bool:
    if isinstance(got, float) and math.isnan(got):
        got = None
    if isinstance(want, float) and math.isnan(want):
        want = None
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, float | int) and isinstance(got, float | int):
        return math.isclose(got, want, rel_tol=tolerance, abs_tol=tolerance)
    return got == want


def assert_frame_matches(
    result: Any,
    expected: pl.DataFrame,
    *,
    tolerance: float = 1e-9,
    duration_tolerance: timedelta = timedelta(microseconds=1),
) -> None:
    """Assert that ``result`` (any backend) equals ``expected`` up to row order.

    Columns must be the same, in the same order, of the same kind (integer, float, duration,
    datetime, string, ...). Floats match within ``tolerance``; NaN and null are the same
    missing value; durations match within ``duration_tolerance``.
    """
    got = to_polars(result)
    assert got.columns == expected.columns, f"columns {got.columns} != {expected.columns}"
    for name in expected.columns:
        want_kind, got_kind = _kind(expected.schema[name]), _kind(got.schema[name])
        if "null" not in (want_kind, got_kind):
            assert got_kind == want_kind, f"column {name!r}: {got.schema[name]} is not {want_kind}"
    assert got.height == expected.height, (
        f"{got.height} rows, expected {expected.height}\ngot:\n{got}\nexpected:\n{expected}"
    )
    keys = [c for c in expected.columns if _kind(expected.schema[c]) not in ("float", "duration")]
    got_rows = _normalise(got).sort(keys, nulls_last=True).rows(named=True)
    want_rows = _normalise(expected).sort(keys, nulls_last=True).rows(named=True)
    micro = duration_tolerance / timedelta(microseconds=1)
    for index, (got_row, want_row) in enumerate(zip(got_rows, want_rows, strict=True)):
        for name in expected.columns:
            allowed = micro if _kind(expected.schema[name]) == "duration" else tolerance
            assert _same(got_row[name], want_row[name], allowed), (
                f"row {index}, column {name!r}: got {got_row[name]!r}, expected "
                f"{want_row[name]!r}\ngot row:      {got_row}\nexpected row: {want_row}"
                f"\ngot:\n{got}\nexpected:\n{expected}"
            )


# --------------------------------------------------------------- the report tests
# The sample report, made once per test session (a minute or more), and the headless
# Chromium that browser tests open pages in. Tests that use ``sample_report`` carry
# ``pytest.mark.xdist_group("report")``, so that under ``pytest -n`` they share one worker
# and therefore one report. (Here, not in tests/report/conftest.py: a second module named
# ``conftest`` would shadow this one for the tests that import helpers from it.)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
CX = str(Path(sys.executable).parent / "cx")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory) -> Path:
    """The published report of ``cx report`` on data/sample."""
    out = tmp_path_factory.mktemp("report") / "latest"
    done = subprocess.run(
        [CX, "report", "--data", str(SAMPLE), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium (the system's, which `make test` installs) for a test module."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium missing: `make test` installs it (apt-get)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
