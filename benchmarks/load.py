"""Time loading touchpoints with every check (``cx.read_touchpoints``) against polars' readers.

Usage (from the repository root)::

    .venv/bin/python benchmarks/load.py                          # 1M and 10M rows, 3 rounds
    .venv/bin/python benchmarks/load.py --sizes 1M --repeat 1    # a quick look
    .venv/bin/python benchmarks/load.py --contenders cxlib-parquet,polars-parquet

The data: ``_synthetic.cached_touchpoints`` (Parquet: customer_id, ts as µs UTC, touchpoint,
channel; clean rows), and a CSV copy written next to it in the cache by ``pl.write_csv``
(timestamps as ``2024-09-06T18:54:16.316264+0000``). Both are made once per size, untimed.

Contenders, each measured in a fresh interpreter that imports cxlib and polars untimed, then
times one call (wall seconds and CPU seconds of all its threads, ``_measure.clock``):

cxlib-parquet        cx.read_touchpoints(parquet): read, validate, rejects ledger, stages
polars-parquet       pl.read_parquet(parquet): the read alone (the reference)
cxlib-csv            cx.read_touchpoints(csv)
polars-csv           pl.read_csv(csv, try_parse_dates=True) (the reference)
cxlib-lazy           cx.read_touchpoints(parquet, lazy=True), until the LazyFrame is back
cxlib-lazy collect   the same process: collecting that LazyFrame

Rounds are interleaved (every contender once per round, ``_measure.rounds``). The frames must
agree: cxlib's must have polars' row count and the same customer_id / ts / touchpoint
content (an order-free sum of row hashes, ts compared as epoch microseconds); the run prints
the check and exits 1 when they differ. Printed: the tables of ``_measure.ratio_table``
(best wall and CPU seconds, and each as a multiple of polars' reader of the same file).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import child, clock, machine, max_rss_mb, ratio_table, rounds  # noqa: E402
from _synthetic import cached_touchpoints, label, parse_size  # noqa: E402

CONTENDERS = ("cxlib-parquet", "polars-parquet", "cxlib-csv", "polars-csv", "cxlib-lazy")
REFERENCE = {"cxlib-parquet": "polars-parquet", "cxlib-csv": "polars-csv"}
COMPARED = ("customer_id", "ts", "touchpoint")


def csv_copy(parquet: Path) -> Path:
    """The CSV copy of ``parquet`` next to it (written once)."""
    import polars as pl

    path = parquet.with_suffix(".csv")
    if not path.exists():
        partial = path.with_suffix(".csv.partial")
        pl.read_parquet(parquet).write_csv(partial)
        partial.replace(path)
    return path


def digest(frame: object) -> list[int]:
    """Row count and an order-free sum of row hashes of the compared columns."""
    import polars as pl

    assert isinstance(frame, pl.DataFrame)
    rows = frame.select(
        pl.col("customer_id"), pl.col("ts").dt.epoch("us"), pl.col("touchpoint")
    ).hash_rows(seed=0)
    return [frame.height, int(rows.cast(pl.Decimal(38, 0)).sum())]


def measure(contender: str, parquet: str, csv: str) -> dict:
    """In the child: time ``contender`` once; the JSON the driver reads."""
    import polars as pl

    import cxlib as cx

    warnings.simplefilter("ignore")  # a RejectedRowsWarning would only mean a wrong file
    calls = {
        "cxlib-parquet": lambda: cx.read_touchpoints(parquet),
        "polars-parquet": lambda: pl.read_parquet(parquet),
        "cxlib-csv": lambda: cx.read_touchpoints(csv),
        "polars-csv": lambda: pl.read_csv(csv, try_parse_dates=True),
        "cxlib-lazy": lambda: cx.read_touchpoints(parquet, lazy=True),
    }
    result, seconds, cpu = clock(calls[contender])
    figures: dict = {"seconds": seconds, "cpu_seconds": cpu}
    if contender == "cxlib-lazy":
        assert isinstance(result, pl.LazyFrame)
        result, collect_seconds, collect_cpu = clock(result.collect)
        figures["collect"] = {"seconds": collect_seconds, "cpu_seconds": collect_cpu}
    figures["peak_mb"] = max_rss_mb()
    figures["answer"] = digest(result)  # untimed
    return figures


def run(
    sizes: list[int],
    repeat: int,
    cache: Path,
    timeout: float,
    contenders: tuple[str, ...] = CONTENDERS,
) -> int:
    """Measure every size; 0 when cxlib agrees with polars everywhere, else 1."""
    print(json.dumps(machine()))
    failed = False
    for rows in sizes:
        parquet = cached_touchpoints(rows, cache)
        csv = csv_copy(parquet)
        collects: dict[str, list[dict]] = {"seconds": [], "cpu_seconds": []}

        def measure_one(
            contender: str, parquet: Path = parquet, csv: Path = csv, collects: dict = collects
        ) -> dict:
            one = child(__file__, ["--child", contender, str(parquet), str(csv)], timeout)
            if "collect" in one:
                collects["seconds"].append(one["collect"]["seconds"])
                collects["cpu_seconds"].append(one["collect"]["cpu_seconds"])
            return one

        results = rounds(contenders, measure_one, repeat, label=label(rows))
        if collects["seconds"]:
            results["cxlib-lazy collect"] = {
                **collects,
                "best": min(collects["seconds"]),
                "cpu_best": min(collects["cpu_seconds"]),
            }
        pairs = [*REFERENCE.items(), ("cxlib-lazy", "cxlib-parquet")]
        for ours, theirs in pairs:
            if ours not in results or theirs not in results:
                continue
            a, b = results[ours].get("answer"), results[theirs].get("answer")
            same = a is not None and a == b
            failed |= not same
            print(f"{label(rows)} {ours} agrees with {theirs}: {same} ({a} vs {b})")
        for reference in ("polars-parquet", "polars-csv"):
            if reference not in results:
                continue
            title = f"\n{label(rows)} rows, {repeat} rounds; x = multiple of {reference}"
            print(ratio_table(results, reference, title=title))
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,10M", help="rows, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--cache", type=Path, default=Path(__file__).parent / ".cache")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per measurement")
    parser.add_argument(
        "--contenders",
        default=",".join(CONTENDERS),
        help="comma-separated, from: " + ", ".join(CONTENDERS),
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(*args.child)))
        return 0
    sizes = [parse_size(size) for size in args.sizes.split(",")]
    contenders = tuple(args.contenders.split(","))
    unknown = sorted(set(contenders) - set(CONTENDERS))
    if unknown:
        parser.error(f"unknown contenders {unknown}; choose from {', '.join(CONTENDERS)}")
    return run(sizes, args.repeat, args.cache, args.timeout, contenders)


if __name__ == "__main__":
    sys.exit(main())
