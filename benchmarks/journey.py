"""Time ``cx.retention`` and ``cx.transitions`` against DuckDB SQL and hand-written polars.

Usage (from the repository root)::

    .venv/bin/python benchmarks/journey.py                       # 1M and 10M rows, 3 rounds
    .venv/bin/python benchmarks/journey.py --sizes 1M --repeat 1 --analyses transitions
    .venv/bin/python benchmarks/journey.py --sizes 10M --contenders cxlib,duckdb-sql

Two analyses of the synthetic touchpoints of ``_synthetic.py`` (customer_id, ts, touchpoint,
channel; no session_id), each by three contenders:

retention     weekly cohort retention, ``cx.retention(touchpoints, "week")``: a customer's
              cohort is the UTC Monday-week of their first touchpoint; they are retained in
              week N >= 1 when they have any touchpoint in it; every cohort lists every week
              up to the one holding the latest timestamp (zeros included), with the rate, its
              95 % Wilson interval and ``complete`` (the week ended by the latest timestamp).
transitions   the directly-follows graph, ``cx.transitions(touchpoints)``: each customer's
              events ordered by (ts, touchpoint), every consecutive pair counted (plus
              "(start)" -> first and last -> "(end)"), with the distinct customers per pair,
              the share of the source's transitions and the median gap (µs, rounded half to
              even; null for the markers).

cxlib         the cxlib function on a polars DataFrame in memory
duckdb-sql    hand-written SQL on a DuckDB in-memory table (``SET TimeZone='UTC'``)
polars-hand   a hand-written polars query on the same DataFrame

What is timed: the call only. Each measurement runs in a fresh interpreter (``_measure.child``)
that imports everything and loads its input first, untimed (``pl.read_parquet``, or the
Parquet file copied into a DuckDB table), then times one call with ``_measure.clock`` (wall
and CPU seconds of all the process's threads). Rounds are interleaved (``_measure.rounds``)
and the best of ``--repeat`` is reported, with ratio tables for wall and CPU against cxlib.

Every contender must give the same answer as cx (the frames are compared after sorting,
floats within 1e-9): the run exits 1 on a mismatch, since a benchmark of different answers is
worthless.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _measure import child, clock, machine, max_rss_mb, ratio_table, rounds  # noqa: E402
from _synthetic import cached_touchpoints, label, parse_size  # noqa: E402

WEEK_US = 7 * 86_400 * 1_000_000
Z95 = 1.959963984540054  # the standard normal quantile of 0.975 (cxlib._stats.z_value)
TOLERANCE = 1e-9

# --------------------------------------------------------------------------- loading


def _load_polars(path: str) -> Any:
    import polars as pl

    import cxlib  # noqa: F401 - imported before timing

    return pl.read_parquet(path)


def _load_duckdb(path: str) -> Any:
    import duckdb
    import polars  # noqa: F401 - the result is fetched as polars
    import pyarrow.parquet as pq

    connection = duckdb.connect()
    # Monday weeks of UTC days, as cx: date_trunc follows the session's time zone.
    connection.execute("SET TimeZone = 'UTC'")
    arrow = pq.read_table(path)  # noqa: F841 - read by name by DuckDB's replacement scan
    connection.execute("CREATE TABLE touchpoints AS SELECT * FROM arrow")
    return connection


# --------------------------------------------------------------------------- retention


def _retention_cxlib(touchpoints: Any) -> Any:
    import cxlib as cx

    return cx.retention(touchpoints, "week")


# Activity is one row per customer and Monday-week; the cohort is the customer's first week;
# returns are counted per cohort and week offset; the grid lists every week up to the one
# holding the latest timestamp. Wilson interval as in cxlib._stats.wilson (exact edges).
RETENTION_SQL = f"""
WITH active AS (
    SELECT DISTINCT customer_id, date_trunc('week', ts) AS week
    FROM touchpoints WHERE customer_id IS NOT NULL AND ts IS NOT NULL
),
firsts AS (SELECT customer_id, min(week) AS cohort FROM active GROUP BY customer_id),
sizes AS (SELECT cohort, count(*) AS customers FROM firsts GROUP BY cohort),
back AS (
    SELECT f.cohort, (epoch_us(a.week) - epoch_us(f.cohort)) // {WEEK_US} AS period_index,
           count(*) AS retained
    FROM active a JOIN firsts f USING (customer_id)
    WHERE a.week > f.cohort
    GROUP BY ALL
),
observed AS (SELECT max(ts) AS as_of FROM touchpoints WHERE customer_id IS NOT NULL),
grid AS (
    SELECT s.cohort, s.customers,
           unnest(range(0, (epoch_us(date_trunc('week', o.as_of)) - epoch_us(s.cohort))
                           // {WEEK_US} + 1)) AS period_index
    FROM sizes s, observed o
),
counted AS (
    SELECT g.cohort, g.period_index, g.customers,
           CASE WHEN g.period_index = 0 THEN g.customers ELSE coalesce(b.retained, 0) END
               AS retained
    FROM grid g LEFT JOIN back b USING (cohort, period_index)
),
rated AS (
    SELECT *, retained / customers AS rate,
           (retained / customers + {Z95}^2 / (2 * customers)) / (1 + {Z95}^2 / customers)
               AS centre,
           {Z95} / (1 + {Z95}^2 / customers) * sqrt(
               (retained / customers) * (1 - retained / customers) / customers
               + {Z95}^2 / (4 * customers * customers)
           ) AS half
    FROM counted
)
SELECT cohort, period_index, customers, retained, rate,
       CASE WHEN retained = 0 THEN 0.0 ELSE greatest(least(centre - half, 1.0), 0.0) END
           AS rate_low,
       CASE WHEN retained = customers THEN 1.0
            ELSE greatest(least(centre + half, 1.0), 0.0) END AS rate_high,
       epoch_us(cohort) + (period_index + 1) * {WEEK_US} <= epoch_us(o.as_of) AS complete
FROM rated, observed o
ORDER BY cohort, period_index
"""


def _retention_duckdb(connection: Any) -> Any:
    return connection.sql(RETENTION_SQL).to_arrow_table()


def _retention_polars(touchpoints: Any) -> Any:
    import polars as pl

    events = touchpoints.lazy().filter(
        pl.col("customer_id").is_not_null() & pl.col("ts").is_not_null()
    )
    active = events.select("customer_id", pl.col("ts").dt.truncate("1w").alias("week")).unique()
    firsts = active.group_by("customer_id").agg(pl.col("week").min().alias("cohort"))
    sizes = firsts.group_by("cohort").agg(pl.len().alias("customers"))
    back = (
        active.join(firsts, on="customer_id")
        .filter(pl.col("week") > pl.col("cohort"))
        .group_by("cohort", ((pl.col("week") - pl.col("cohort")).dt.total_days() // 7))
        .agg(pl.len().alias("retained"))
        .rename({"week": "period_index"})
    )
    as_of = events.select(pl.col("ts").max()).collect().item()
    last_week = pl.lit(as_of).dt.truncate("1w")
    grid = sizes.with_columns(
        pl.int_ranges(0, (last_week - pl.col("cohort")).dt.total_days() // 7 + 1).alias(
            "period_index"
        )
    ).explode("period_index")
    table = grid.join(back, on=["cohort", "period_index"], how="left").with_columns(
        pl.when(pl.col("period_index") == 0)
        .then(pl.col("customers"))
        .otherwise(pl.col("retained").fill_null(0))
        .alias("retained")
    )
    n, k = pl.col("customers").cast(pl.Float64), pl.col("retained").cast(pl.Float64)
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 / (1 + Z95**2 / n) * (p * (1 - p) / n + Z95**2 / (4 * n * n)).sqrt()
    return (
        table.select(
            "cohort",
            pl.col("period_index").cast(pl.Int64),
            pl.col("customers").cast(pl.Int64),
            pl.col("retained").cast(pl.Int64),
            p.alias("rate"),
            pl.when(k == 0).then(0.0).otherwise((centre - half).clip(0, 1)).alias("rate_low"),
            pl.when(k == n).then(1.0).otherwise((centre + half).clip(0, 1)).alias("rate_high"),
            (pl.col("cohort") + pl.duration(weeks=pl.col("period_index") + 1) <= as_of).alias(
                "complete"
            ),
        )
        .sort("cohort", "period_index")
        .collect()
    )


# --------------------------------------------------------------------------- transitions


def _transitions_cxlib(touchpoints: Any) -> Any:
    import cxlib as cx

    return cx.transitions(touchpoints)


# One window over each customer's events in (ts, touchpoint) order: lead() gives the target
# and the gap of every event's pair ("(end)" after the last); the first event also opens a
# "(start)" pair. The median gap is rounded half to even, as cx rounds it.
TRANSITIONS_SQL = """
WITH events AS (
    SELECT customer_id, ts, touchpoint FROM touchpoints
    WHERE customer_id IS NOT NULL AND ts IS NOT NULL AND touchpoint IS NOT NULL
),
ordered AS (
    SELECT customer_id, touchpoint,
           lead(touchpoint) OVER journey AS next,
           epoch_us(lead(ts) OVER journey) - epoch_us(ts) AS gap,
           row_number() OVER journey = 1 AS first
    FROM events
    WINDOW journey AS (PARTITION BY customer_id ORDER BY ts, touchpoint)
),
pairs AS (
    SELECT customer_id, touchpoint AS source, coalesce(next, '(end)') AS target, gap
    FROM ordered
    UNION ALL
    SELECT customer_id, '(start)', touchpoint, NULL FROM ordered WHERE first
),
counted AS (
    SELECT source, target, count(*) AS transitions,
           count(DISTINCT customer_id) AS customers, median(gap) AS median_gap
    FROM pairs
    GROUP BY source, target
)
SELECT source, target, transitions, customers,
       transitions / sum(transitions) OVER (PARTITION BY source) AS share,
       round_even(median_gap, 0)::BIGINT AS median_gap
FROM counted
ORDER BY source, transitions DESC, target
"""


def _transitions_duckdb(connection: Any) -> Any:
    return connection.sql(TRANSITIONS_SQL).to_arrow_table()


def _transitions_polars(touchpoints: Any) -> Any:
    import polars as pl

    events = (
        touchpoints.lazy()
        .select("customer_id", "ts", "touchpoint")
        .drop_nulls()
        .sort("customer_id", "ts", "touchpoint")
    )
    same_next = pl.col("customer_id").shift(-1) == pl.col("customer_id")
    first = pl.col("customer_id").shift(1).ne_missing(pl.col("customer_id"))
    events = events.with_columns(
        pl.when(same_next)
        .then(pl.col("touchpoint").shift(-1))
        .otherwise(pl.lit("(end)"))
        .alias("target"),
        pl.when(same_next).then(pl.col("ts").shift(-1) - pl.col("ts")).alias("gap"),
        first.alias("first"),
    ).collect()
    starts = events.filter("first").select(
        "customer_id",
        pl.lit("(start)").alias("source"),
        pl.col("touchpoint").alias("target"),
        pl.lit(None, dtype=pl.Duration("us")).alias("gap"),
    )
    pairs = pl.concat(
        [
            events.select("customer_id", pl.col("touchpoint").alias("source"), "target", "gap"),
            starts,
        ]
    )
    return (
        pairs.group_by("source", "target")
        .agg(
            pl.len().alias("transitions"),
            pl.col("customer_id").n_unique().alias("customers"),
            pl.col("gap").dt.total_microseconds().median().alias("median_gap"),
        )
        .select(
            "source",
            "target",
            pl.col("transitions").cast(pl.Int64),
            pl.col("customers").cast(pl.Int64),
            (pl.col("transitions") / pl.col("transitions").sum().over("source")).alias("share"),
            pl.duration(microseconds=pl.col("median_gap").round(0).cast(pl.Int64)).alias(
                "median_gap"
            ),
        )
        .sort("source", -pl.col("transitions"), "target")
    )


# --------------------------------------------------------------------------- contenders

CONTENDERS = {
    "retention": {
        "cxlib": (_load_polars, _retention_cxlib),
        "duckdb-sql": (_load_duckdb, _retention_duckdb),
        "polars-hand": (_load_polars, _retention_polars),
    },
    "transitions": {
        "cxlib": (_load_polars, _transitions_cxlib),
        "duckdb-sql": (_load_duckdb, _transitions_duckdb),
        "polars-hand": (_load_polars, _transitions_polars),
    },
}
KEYS = {
    "retention": ["cohort", "period_index"],
    "transitions": ["source", "target"],
}


def answer(result: Any) -> dict[str, list]:
    """A result as JSON-able columns: datetimes and durations as integer microseconds."""
    import polars as pl

    frame = result if isinstance(result, pl.DataFrame) else pl.from_arrow(result)
    frame = frame.with_columns(
        pl.col(pl.Datetime).dt.epoch("us"), pl.col(pl.Duration).dt.total_microseconds()
    )
    return frame.to_dict(as_series=False)


def same(got: dict[str, list], expected: dict[str, list], keys: list[str]) -> str | None:
    """None when the two answers match after sorting by ``keys``; else what differs."""
    if list(got) != list(expected):
        return f"columns {list(got)} != {list(expected)}"

    def rows(columns: dict[str, list]) -> list[tuple]:
        order = [list(columns).index(k) for k in keys]
        table = list(zip(*columns.values(), strict=True))
        return sorted(table, key=lambda row: tuple(row[i] for i in order))

    got_rows, want_rows = rows(got), rows(expected)
    if len(got_rows) != len(want_rows):
        return f"{len(got_rows)} rows != {len(want_rows)}"
    for mine, theirs in zip(got_rows, want_rows, strict=True):
        for name, a, b in zip(expected, mine, theirs, strict=True):
            if isinstance(a, float) or isinstance(b, float):
                if a is None or b is None:
                    if a is not b:
                        return f"{name}: {a} != {b} in {theirs}"
                elif not math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE):
                    return f"{name}: {a} != {b} in {theirs}"
            elif a != b:
                return f"{name}: {a} != {b} in {theirs}"
    return None


def measure(analysis: str, contender: str, path: str) -> dict:
    """In the child process: load (untimed), then time one call."""
    load, run = CONTENDERS[analysis][contender]
    state = load(path)
    result, seconds, cpu = clock(run, state)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mb": max_rss_mb(),
        "answer": answer(result),
    }


def target(title: str, results: dict[str, dict]) -> list[str]:
    """The issue's target for one analysis and size: cxlib uses >= 1.5x less CPU than SQL."""
    cx, sql = results.get("cxlib", {}), results.get("duckdb-sql", {})
    if "cpu_best" not in cx or "cpu_best" not in sql or "error" in sql:
        return []
    factor = sql["cpu_best"] / cx["cpu_best"]
    return [
        f"  [{'met' if factor >= 1.5 else 'NOT met'}] {title}: duckdb-sql uses {factor:.2f}x the "
        f"CPU of cxlib (target >= 1.5x), wall {sql['best'] / cx['best']:.2f}x"
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,10M", help="rows, e.g. 1M,10M")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--analyses", default="retention,transitions", help="which analyses")
    parser.add_argument("--contenders", help="comma-separated subset (default: all)")
    parser.add_argument(
        "--cache", type=Path, default=HERE / ".cache", help="where generated Parquet files live"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds per measurement")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(measure(*args.child)))
        return 0

    analyses = args.analyses.split(",")
    unknown = set(analyses) - set(CONTENDERS)
    if unknown:
        parser.error(f"unknown analyses {sorted(unknown)}; choose from {list(CONTENDERS)}")
    chosen = args.contenders.split(",") if args.contenders else list(CONTENDERS["retention"])
    if set(chosen) - set(CONTENDERS["retention"]):
        parser.error(f"unknown contenders in {chosen}; choose from {list(CONTENDERS['retention'])}")
    facts = machine()
    print(" ".join(f"{k}={v}" for k, v in facts.items()), flush=True)
    mismatches = []
    tables = []
    for size in map(parse_size, args.sizes.split(",")):
        started = time.perf_counter()
        path = cached_touchpoints(size, args.cache)
        print(f"{label(size)}: {path.name} ready in {time.perf_counter() - started:.1f} s")
        for analysis in analyses:
            names = [c for c in CONTENDERS[analysis] if c in chosen]

            def one(contender: str, analysis: str = analysis, path: Path = path) -> dict:
                return child(__file__, ["--child", analysis, contender, str(path)], args.timeout)

            title = f"{analysis} {label(size)}"
            results = rounds(names, one, args.repeat, label=title)
            expected = results.get("cxlib", {}).get("answer")
            for name, result in results.items():
                if name == "cxlib" or expected is None or "answer" not in result:
                    continue
                problem = same(result["answer"], expected, KEYS[analysis])
                if problem:
                    mismatches.append(f"{title}: {name} differs from cx: {problem}")
                    result["error"] = f"MISMATCH: {problem}"
            block = "\n".join(
                [ratio_table(results, "cxlib", title=f"{title} (x cxlib)"), *target(title, results)]
            )
            tables.append(block)
            print("\n" + block, flush=True)
    facts["load_average_1m_end"] = machine()["load_average_1m"]
    print()
    print(" ".join(f"{k}={v}" for k, v in facts.items()))
    print("\n\n".join(tables))
    for line in mismatches:
        print(line, file=sys.stderr)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
