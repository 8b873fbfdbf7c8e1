"""Rebuild the CDNOW test files from the ``lifetimes`` wheel (never imports lifetimes).

Usage (from the repository root; needs network once)::

    .venv/bin/pip download lifetimes==0.11.3 --no-deps -d /tmp/lt
    .venv/bin/python tests/data/make_cdnow.py /tmp/lt/Lifetimes-0.11.3-py3-none-any.whl

Writes ``cdnow_transactions.csv.gz`` (the 1/10 sample's transactions) and
``cdnow_summary.csv`` (per-customer calibration summary in weeks and holdout counts); see
README.md in this folder for the definitions.
"""

from __future__ import annotations

import gzip
import sys
import zipfile
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
CALIBRATION_END = pl.date(1997, 9, 30)  # end of week 39
HOLDOUT_END = pl.date(1998, 6, 30)  # end of week 78


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read("lifetimes/datasets/CDNOW_sample.txt").decode("ascii")
    fields = [line.split() for line in text.splitlines() if line.strip()]
    transactions = pl.DataFrame(
        {
            "customer": [int(f[1]) for f in fields],
            "date": [f[2] for f in fields],
            "spend": [float(f[4]) for f in fields],
        }
    ).with_columns(pl.col("date").str.strptime(pl.Date, "%Y%m%d"))
    target = HERE / "cdnow_transactions.csv.gz"
    with target.open("wb") as out, gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as zipped:
        transactions.write_csv(zipped)

    days = transactions.group_by("customer", "date").agg(pl.col("spend").sum())
    first = days.group_by("customer").agg(pl.col("date").min().alias("first"))
    days = days.join(first, on="customer").filter(pl.col("date") > pl.col("first"))
    calibration = (
        days.filter(pl.col("date") <= CALIBRATION_END)
        .group_by("customer")
        .agg(
            pl.len().alias("frequency"),
            pl.col("date").max().alias("last"),
            pl.col("spend").mean().alias("monetary_value"),
        )
    )
    holdout = days.filter(pl.col("date") > CALIBRATION_END, pl.col("date") <= HOLDOUT_END)
    holdout = holdout.group_by("customer").agg(pl.len().alias("frequency_holdout"))
    weeks = 7.0
    summary = (
        first.join(calibration, on="customer", how="left")
        .join(holdout, on="customer", how="left")
        .select(
            "customer",
            pl.col("frequency").fill_null(0),
            ((pl.col("last").fill_null(pl.col("first")) - pl.col("first")).dt.total_days() / weeks)
            .round(6)
            .alias("recency"),
            ((CALIBRATION_END - pl.col("first")).dt.total_days() / weeks).round(6).alias("T"),
            pl.col("monetary_value").round(4),
            pl.col("frequency_holdout").fill_null(0),
        )
        .sort("customer")
    )
    summary.write_csv(HERE / "cdnow_summary.csv")


if __name__ == "__main__":
    main(sys.argv[1])
