"""Time ``cx report`` end to end at three sizes: the bundled sample, 10x the sample, and
about 10M touchpoints; print wall and CPU seconds and the peak memory of the process tree.

Usage (from the repository root)::

    .venv/bin/python benchmarks/report.py                        # 1x, 10x and 10M
    .venv/bin/python benchmarks/report.py --sizes 1x,10x --repeat 2 --out report.json

What is timed: ``cx report --data DATA --out OUT`` in a fresh process, whole: loading and
validating the data, every notebook in its kernel, the HTML export and the index. CPU
seconds are user + system of the whole tree (the CLI, its workers and their kernels, all
threads), which on a shared machine is the figure to compare; the peak is the largest sum
of the memory of every process of the tree (PSS: pages the workers share with the CLI they
were forked from count once), sampled every 0.5 s; the summed RSS is printed too. The data:
``1x`` is ``data/sample`` itself; larger sizes are made once by ``cx sample --customers N``
(kept in ``benchmarks/.cache/``), with N scaled from the sample's touchpoints per customer.
Per-page timings are the ones ``cx report`` prints at the end of its run.

Targets (issue 20): the sample within 40 s of CPU; 10x the sample within 6x the sample's
CPU; 10M touchpoints completing with the process tree under 6 GB.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _measure import machine, rounds, run_tree  # noqa: E402

SAMPLE = ROOT / "data" / "sample"
CX = str(Path(sys.executable).parent / "cx")
SAMPLE_CUSTOMERS = 5_000
TARGET_SAMPLE_CPU, TARGET_SCALE, TARGET_PEAK_MB = 40.0, 6.0, 6 * 1024


def _sample_rows() -> int:
    import polars as pl

    return pl.scan_parquet(SAMPLE / "touchpoints.parquet").select(pl.len()).collect().item()


def customers_for(size: str, rows_per_customer: float) -> int | None:
    """Customers to generate for ``size`` (``1x``: None, the bundled sample)."""
    if size == "1x":
        return None
    if size.endswith("x"):
        return int(float(size[:-1]) * SAMPLE_CUSTOMERS)
    rows = float(size[:-1]) * {"K": 1e3, "M": 1e6}[size[-1].upper()]
    return int(rows / rows_per_customer)


def data_for(customers: int | None, cache: Path) -> tuple[Path, float]:
    """The data folder for ``customers`` (made once) and how long making it took."""
    if customers is None:
        return SAMPLE, 0.0
    folder = cache / f"sample-{customers}"
    if (folder / "touchpoints.parquet").is_file():
        return folder, 0.0
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([CX, "sample", "--customers", str(customers), "--out", str(folder)], check=True)
    return folder, time.perf_counter() - started


_PAGE = re.compile(r"time per page: (\S+)\s+([\d.]+)\s+([\d.]+)\s+(\S+)")


def measure(data: Path, out: Path, timeout: float) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    result = run_tree([CX, "report", "--data", str(data), "--out", str(out)], timeout=timeout)
    result["pages"] = {
        name: {"seconds": float(wall), "cpu_seconds": float(cpu), "kernel_peak_mb": peak}
        for name, wall, cpu, peak in _PAGE.findall(result.get("output", ""))
    }
    if "error" not in result:
        summary = json.loads((out / "summary.json").read_text())
        # the same data gives the same figures every round
        result["answer"] = json.dumps(summary["kpis"], sort_keys=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1x,10x,10M", help="e.g. 1x,10x,10M")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    args = parser.parse_args(argv)

    facts = machine()
    print(" ".join(f"{k}={v}" for k, v in facts.items()), flush=True)
    per_customer = _sample_rows() / SAMPLE_CUSTOMERS
    measured: dict[str, dict] = {}
    for size in args.sizes.split(","):
        customers = customers_for(size, per_customer)
        data, made = data_for(customers, args.cache)
        rows = _rows(data)
        print(f"{size}: {data} ({rows:,} touchpoints; made in {made:.0f} s)", flush=True)
        out = args.cache / f"report-{size}"
        last: dict = {}

        def once(_: str, data: Path = data, out: Path = out, last: dict = last) -> dict:
            last.update(measure(data, out, args.timeout))
            return last

        results = rounds([size], once, args.repeat, label=size)
        measured[size] = {**results[size], "touchpoints": rows, "customers": customers}
        measured[size]["pages"] = last.get("pages", {})
        for page, figures in sorted(
            measured[size]["pages"].items(), key=lambda p: -p[1]["seconds"]
        ):
            print(
                f"    {page:<28}{figures['seconds']:8.1f} s  cpu {figures['cpu_seconds']:7.1f} s"
                f"  kernel peak {figures['kernel_peak_mb']} MB"
            )
    print()
    print(
        f"{'size':<6}{'touchpoints':>13}{'wall s':>9}{'CPU s':>9}{'CPU x 1x':>10}"
        f"{'peak MB':>9}{'RSS MB':>9}"
    )
    base = measured.get("1x", {}).get("cpu_best")
    for size, row in measured.items():
        if "best" not in row:
            print(f"{size:<6}{row['touchpoints']:>13,}  {row.get('error')}")
            continue
        scale = row["cpu_best"] / base if base else float("nan")
        print(
            f"{size:<6}{row['touchpoints']:>13,}{row['best']:9.1f}{row['cpu_best']:9.1f}"
            f"{scale:10.2f}{row['peak_mb']:9.0f}{row['peak_rss_mb']:9.0f}"
        )
    print()
    marks = {True: "met", False: "NOT met", None: "not measured"}
    one, ten = measured.get("1x", {}), measured.get("10x", {})
    big = next((r for s, r in measured.items() if s.endswith(("M", "m"))), {})
    targets = [
        (f"sample within {TARGET_SAMPLE_CPU:.0f} s of CPU", one.get("cpu_best"), TARGET_SAMPLE_CPU),
        (
            f"10x the sample within {TARGET_SCALE:.0f}x the sample's CPU",
            ten["cpu_best"] / one["cpu_best"] if "cpu_best" in ten and "cpu_best" in one else None,
            TARGET_SCALE,
        ),
        (f"10M touchpoints under {TARGET_PEAK_MB} MB", big.get("peak_mb"), TARGET_PEAK_MB),
    ]
    for text, value, limit in targets:
        met = None if value is None else value <= limit
        shown = "-" if value is None else f"{value:.1f}"
        print(f"- [{marks[met]}] {text}: {shown}")
    if args.out:
        args.out.write_text(json.dumps({"machine": facts, "results": measured}, indent=2))
    return 0 if all("error" not in r for r in measured.values()) else 1


def _rows(data: Path) -> int:
    import polars as pl

    return pl.scan_parquet(data / "touchpoints.parquet").select(pl.len()).collect().item()


if __name__ == "__main__":
    sys.exit(main())
