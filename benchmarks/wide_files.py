"""Time and memory of loading wide and long CSV files: cxlib against plain polars.

Usage (from the repository root)::

    .venv/bin/python benchmarks/wide_files.py                      # 1,000 / 3,000 / 10,000 columns
    .venv/bin/python benchmarks/wide_files.py --columns 3000 --line-mb 50

Each measurement runs in a fresh process (peak memory is that process's maximum resident
set). Engines, on the same file in the same run:

cxlib    cx.read_touchpoints(path, with_rejects=True): read, validate, rejects ledger
polars   pl.read_csv(path, infer_schema=False): the read alone (the lower bound)

Printed: wall seconds, CPU seconds, peak MB, and the cxlib/polars ratios of wall and CPU time
(the CPU ratio is the stable one on a shared machine). Issue 17 asks for 10,000 columns or a
50 MB line "in seconds and well under 1 GB".
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
import polars as pl
import cxlib as cx
start, cpu = time.perf_counter(), time.process_time()  # imports are not timed
if {engine!r} == "cxlib":
    cx.read_touchpoints({path!r}, with_rejects=True)
else:
    pl.read_csv({path!r}, infer_schema=False)
print(json.dumps({{"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu,
                  "mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _wide(folder: Path, columns: int) -> Path:
    path = folder / f"wide-{columns}.csv"
    header = ["customer_id", "ts", "touchpoint", "channel"] + [f"c{i}" for i in range(columns)]
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(header) + "\n")
        for row in range(20):
            cells = [f"u{row}", "2025-01-01T00:00:00Z", "visit", "web"] + ["x"] * columns
            handle.write(",".join(cells) + "\n")
    return path


def _long(folder: Path, megabytes: int) -> Path:
    path = folder / f"line-{megabytes}mb.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("customer_id,ts,touchpoint,channel,note\n")
        handle.write("a,2025-01-01T00:00:00Z,visit,web," + "x" * (megabytes << 20) + "\n")
    return path


def _measure(engine: str, path: Path) -> dict[str, float]:
    code = _CHILD.format(root=str(ROOT), engine=engine, path=str(path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--columns", default="1000,3000,10000")
    parser.add_argument("--line-mb", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = [_wide(Path(folder), int(c)) for c in args.columns.split(",")]
        files.append(_long(Path(folder), args.line_mb))
        print(f"{'file':<22}{'engine':<8}{'wall s':>8}{'cpu s':>8}{'peak MB':>9}")
        for path in files:
            runs = {engine: _measure(engine, path) for engine in ("cxlib", "polars")}
            for engine, run in runs.items():
                print(f"{path.name:<22}{engine:<8}{run['wall']:>8.2f}{run['cpu']:>8.2f}"
                      f"{run['mb']:>9.0f}")  # fmt: skip
            wall = runs["cxlib"]["wall"] / runs["polars"]["wall"]
            cpu = runs["cxlib"]["cpu"] / max(runs["polars"]["cpu"], 1e-9)
            print(f"{'':<22}ratio cxlib/polars: wall {wall:.1f}x, CPU {cpu:.1f}x")


if __name__ == "__main__":
    main()
