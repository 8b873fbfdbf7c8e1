"""Quantiles per group: exact on one machine, approximate where the engine is distributed.

narwhals turns ``median()`` and ``quantile()`` into exact aggregates on every engine; on
PySpark those are ``median`` and ``percentile``, which gather every distinct value of a
group in one task (at a billion touchpoints, one step's durations). This module is the one
place that chooses instead:

* polars, pandas and DuckDB run on one machine: the exact quantile, interpolated linearly
  between the two nearest ranks (numpy's default; ``median()`` for q = 0.5), as before;
* PySpark: ``percentile_approx(column, q, ACCURACY)``, whose sketch is built in partial
  aggregates on every executor and merged, so no task holds a group's raw values.

The error on Spark, from its definition of ``percentile_approx``: the result is a value of
the column (never an interpolation between two), and ``1 / ACCURACY`` is the relative error
of its *rank*. With ``ACCURACY = 10_000`` and n values in the group, the returned value's
rank lies within ``n / 10_000`` (0.01 % of n) of the exact rank ``q * n``: among a million
durations, within 100 places of the exact median. Linear interpolation between ranks does
not apply there, so on small groups the Spark value may differ from the one-machine value
by up to the gap between two neighbouring values.

Callers name a quantile with :func:`quantile` and aggregate with :func:`aggregate`, next to
ordinary narwhals aggregates; they never branch on the engine. (A narwhals expression cannot
carry ``percentile_approx``: narwhals has no approximate quantile and no public way to wrap a
native Spark aggregate, so the grouping itself happens here.)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import narwhals as nw
import polars as pl

from cxlib._engine._frames import to_polars

# Spark's percentile_approx accuracy (its default too): rank error at most n / ACCURACY.
ACCURACY = 10_000


@dataclass(frozen=True)
class Quantile:
    """The ``q``-quantile of ``column`` as an aggregate; build it with :func:`quantile`."""

    column: str
    q: float
    name: str

    def alias(self, name: str) -> Quantile:
        """The same quantile under the output name ``name``."""
        return replace(self, name=name)

    def exact(self) -> nw.Expr:
        """The exact narwhals aggregate (linear interpolation; ``median()`` at q = 0.5)."""
        column = nw.col(self.column)
        expr = column.median() if self.q == 0.5 else column.quantile(self.q, interpolation="linear")
        return expr.alias(self.name)


def quantile(column: str, q: float) -> Quantile:
    """The ``q``-quantile of ``column`` (0 <= q <= 1), for :func:`aggregate`.

    Exact with linear interpolation on polars, pandas and DuckDB; on PySpark
    ``percentile_approx`` with :data:`ACCURACY`, whose value's rank is within ``n / ACCURACY``
    of the exact rank (see the module docstring). Named after ``column`` until aliased.

    Examples
    --------
    >>> quantile("__d", 0.9).alias("p90")
    Quantile(column='__d', q=0.9, name='p90')
    """
    if not 0 <= q <= 1:
        raise ValueError(f"quantile q={q} must lie between 0 and 1")
    return Quantile(column, float(q), column)


def aggregate(frame: nw.LazyFrame, by: list[str], *aggregates: nw.Expr | Quantile) -> pl.DataFrame:
    """``frame`` grouped by ``by`` (one row when empty) and aggregated, as a polars frame.

    ``aggregates`` are narwhals aggregate expressions (aliased) and :func:`quantile` s; the
    result has the ``by`` columns, then one column per aggregate in the order given. Groups
    come in no particular order. The result is collected, so it must be small.

    Examples
    --------
    >>> import narwhals as nw, polars as pl
    >>> events = nw.from_native(pl.LazyFrame({"step": [1, 1, 1, 2], "d": [1, 2, 10, 5]}))
    >>> aggregate(
    ...     events, ["step"], nw.len().alias("n"), quantile("d", 0.5).alias("median")
    ... ).sort("step").rows()
    [(1, 3, 2.0), (2, 1, 5.0)]
    """
    impl = frame.implementation
    spark = impl.is_pyspark() or impl.is_pyspark_connect()
    if spark and any(isinstance(a, Quantile) for a in aggregates):
        return _spark_aggregate(frame, by, aggregates)
    exprs = [a.exact() if isinstance(a, Quantile) else a for a in aggregates]
    return to_polars(frame.group_by(*by).agg(*exprs) if by else frame.select(*exprs))


def _quoted(name: str) -> str:
    """A column name as Spark reads it literally (dots, spaces and backticks included)."""
    return "`" + name.replace("`", "``") + "`"


def _spark_aggregate(
    frame: nw.LazyFrame, by: list[str], aggregates: tuple[nw.Expr | Quantile, ...]
) -> pl.DataFrame:
    """Ordinary aggregates through narwhals, quantiles as one ``percentile_approx`` sketch
    per column, joined on the group keys (null keys match) in one Spark query.

    The input is cached for that query only (memory, then disk) so that both sides read it
    once; it is released when the small result has been collected. A frame the caller had
    cached already is left as it was.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F  # noqa: N812 - Spark's convention

    native = frame.to_native()
    plain = [a for a in aggregates if not isinstance(a, Quantile)]
    wanted = [a for a in aggregates if isinstance(a, Quantile)]
    columns = list(dict.fromkeys(a.column for a in wanted))  # one sketch per column
    level = native.storageLevel
    cache = not (level.useMemory or level.useDisk)
    if cache:
        native.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        keys = [F.col(_quoted(k)).alias(f"__cx_k{j}") for j, k in enumerate(by)]
        sketches = [
            F.percentile_approx(
                F.col(_quoted(c)).cast("double"),
                [a.q for a in wanted if a.column == c],
                ACCURACY,
            ).alias(f"__cx_s{i}")
            for i, c in enumerate(columns)
        ]
        keyed = native.select(*keys, *[F.col(_quoted(c)) for c in columns])
        key_names = [f"__cx_k{j}" for j in range(len(by))]
        approx = keyed.groupBy(*key_names).agg(*sketches) if by else keyed.agg(*sketches)
        values = {
            a.name: F.col(f"__cx_s{columns.index(a.column)}")[
                [b.q for b in wanted if b.column == a.column].index(a.q)
            ]
            for a in wanted
        }
        names: list[str] = []
        if plain:
            grouped = frame.group_by(*by).agg(*plain) if by else frame.select(*plain)
            left = grouped.to_native()
            names = left.columns[len(by) :]  # the plain aggregates' names, in order
            if by:
                on = [
                    left[_quoted(k)].eqNullSafe(approx[k2])
                    for k, k2 in zip(by, key_names, strict=True)
                ]
                joined = left.join(approx, on=on, how="inner")
            else:
                joined = left.crossJoin(approx)
            key_columns = [left[_quoted(k)] for k in by]
        else:
            joined = approx
            key_columns = [F.col(k2).alias(k) for k, k2 in zip(by, key_names, strict=True)]
        plain_names = iter(names)
        order = [
            values[a.name].alias(a.name)
            if isinstance(a, Quantile)
            else F.col(_quoted(next(plain_names)))
            for a in aggregates
        ]
        result: Any = joined.select(*key_columns, *order)
        return to_polars(nw.from_native(result))
    finally:
        if cache:
            native.unpersist()
