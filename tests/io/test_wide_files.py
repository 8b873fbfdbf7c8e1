"""Wide and long inputs stay cheap (issue 17, item 2): nothing is quadratic in the column
count. A filter on a 3,000-column expression, pushed into the CSV scan, once took 10 GB and
80 s for a 300 KB file; it now takes about a second (``benchmarks/wide_files.py`` measures
time and memory). These tests check the results; the benchmark checks the cost."""

from __future__ import annotations

import polars as pl

import cxlib as cx


def test_a_csv_with_3000_columns_loads_every_row_and_keeps_the_columns(tmp_path):
    columns = 3000
    header = ["customer_id", "ts", "touchpoint", "channel"] + [f"c{i}" for i in range(columns)]
    rows = [
        [f"u{r}", "2025-01-01T00:00:00Z", "visit", "web"] + [str(r)] * columns for r in range(20)
    ]
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(",".join(line) for line in [header, *rows, []]), encoding="utf-8")
    loaded = cx.read_touchpoints(path, with_rejects=True)
    assert loaded.read == 20 and loaded.rejects.height == 0
    assert loaded.data.width >= columns and loaded.data["c2999"].to_list() == [
        str(r) for r in range(20)
    ]


def test_a_50_mb_line_is_one_row(tmp_path):
    path = tmp_path / "long.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("customer_id,ts,touchpoint,channel,note\n")
        handle.write("a,2025-01-01T00:00:00Z,visit,web," + "x" * 50_000_000 + "\n")
        handle.write("b,2025-01-01T00:00:00Z,visit,web,short\n")
    loaded = cx.read_touchpoints(path)
    assert loaded.height == 2
    assert loaded.filter(pl.col("customer_id") == "a")["note"].str.len_bytes().item() == 50_000_000
