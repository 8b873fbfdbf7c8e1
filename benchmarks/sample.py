"""Time the sample generator (``write_sample``, what ``cx sample`` runs) at several sizes.

Usage (from the repository root)::

    .venv/bin/python benchmarks/sample.py                       # 5,000 and 50,000 customers
    .venv/bin/python benchmarks/sample.py --big                 # and 500,000 (about 3 minutes)
    .venv/bin/python benchmarks/sample.py --customers 5000 --repeat 3 --out sample.json

Every measurement runs in a fresh interpreter (``_measure.child``): it imports cxlib
(untimed), then times ``write_sample(tmp, customers=N, seed=7)`` once, into a temporary
folder removed afterwards, and reports wall seconds, CPU seconds (user + system, all threads)
and its resident-memory high-water mark (``VmHWM``, imports included). Sizes are interleaved
over ``--repeat`` rounds (``_measure.rounds``); the best wall and CPU seconds and the highest
peak are printed, with the rows written per CPU second. The row counts must be the same in
every round (the generator is deterministic); the run fails otherwise. There is no peer to
compare with: the figures are for tracking the generator against itself.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _measure import child, clock, machine, max_rss_mb, rounds  # noqa: E402

SEED = 7
BIG = 500_000


def measure_child(customers: int, seed: int) -> dict:
    """In the child: time ``write_sample`` once; the figures and the rows written."""
    import polars as pl

    from cxlib.sample import write_sample

    with tempfile.TemporaryDirectory(prefix="cx-sample-bench-") as folder:
        paths, seconds, cpu_seconds = clock(
            lambda: write_sample(folder, customers=customers, seed=seed)
        )
        rows = {
            kind: pl.scan_parquet(path).select(pl.len()).collect().item()
            for kind, path in paths.items()
        }
        megabytes = sum(path.stat().st_size for path in paths.values()) / 1e6
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_mb": max_rss_mb(),
        "answer": rows,
        "file_mb": round(megabytes, 1),
    }


def table(results: dict[str, dict]) -> str:
    """One line per size: rows written, best wall and CPU seconds, peak memory, throughput."""
    lines = [
        f"{'customers':>10}{'touchpoints':>13}{'best s':>9}{'cpu s':>9}{'peak MB':>9}"
        f"{'files MB':>10}{'rows/cpu s':>12}{'customers/cpu s':>17}"
    ]
    for customers, result in results.items():
        if "error" in result or "best" not in result:
            lines.append(f"{int(customers):>10,}  {result.get('error', 'not measured')}")
            continue
        rows = sum(result["answer"].values())
        cpu = result["cpu_best"]
        lines.append(
            f"{int(customers):>10,}{result['answer']['touchpoints']:>13,}{result['best']:9.2f}"
            f"{cpu:9.2f}{result['peak_mb']:9.0f}{result['file_mb']:10.1f}"
            f"{rows / cpu:12,.0f}{int(customers) / cpu:17,.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--customers", default="5000,50000", help="sizes, comma-separated (default 5000,50000)"
    )
    parser.add_argument("--big", action="store_true", help=f"also {BIG:,} customers")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved rounds (default 1)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per measurement")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure_child(args.child, args.seed)))
        return 0

    sizes = [str(int(size.replace("_", ""))) for size in args.customers.split(",")]
    if args.big and str(BIG) not in sizes:
        sizes.append(str(BIG))
    before = machine()
    print(f"machine: {json.dumps(before)}", flush=True)

    def measure_one(customers: str) -> dict:
        one = child(__file__, ["--child", customers, "--seed", str(args.seed)], args.timeout)
        if "file_mb" in one:
            results_file_mb[customers] = one["file_mb"]
        return one

    results_file_mb: dict[str, float] = {}
    results = rounds(sizes, measure_one, args.repeat, label="write_sample")
    for customers, result in results.items():
        result["file_mb"] = results_file_mb.get(customers, float("nan"))
    after = machine()["load_average_1m"]
    print()
    print(table(results))
    print(f"load average (1 min): {before['load_average_1m']} before, {after} after")
    if args.out:
        facts = {**before, "load_average_1m_after": after}
        args.out.write_text(json.dumps({"machine": facts, "results": results}, indent=2))
    return 1 if any("error" in result for result in results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
