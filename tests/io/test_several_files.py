"""One table from several files: monthly or daily exports read together.

``[data] touchpoints = "events/2025-*.csv"`` (a glob pattern) reads every matching file as
one table: columns matched by name, each rejected row named by its own file and row,
duplicates found across files, loaded + rejected = read. ``cx init`` finds parts of one
export (same folder, same columns) and writes the pattern.
"""

from __future__ import annotations

import tomllib
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

import cxlib as cx

START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


def _month(folder: Path, month: int, customers: int, *, extra: bool = False) -> pl.DataFrame:
    rows = []
    for c in range(customers):
        ts = START.replace(month=month) + timedelta(days=c % 20, minutes=c)
        rows += [(f"u{c}", ts, "page_view", "WEB"), (f"u{c}", ts + timedelta(minutes=3),
                 "purchase" if c % 3 == 0 else "add_to_cart", "WEB")]  # fmt: skip
    frame = pl.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "event_time": [r[1].strftime("%Y-%m-%d %H:%M:%S") for r in rows],
            "event_name": [r[2] for r in rows],
            "platform": [r[3] for r in rows],
        }
    )
    if extra:  # a column added to the export later
        frame = frame.with_columns(pl.lit("vn").alias("country"))
    frame.write_csv(folder / f"events_2025-{month:02d}.csv")
    return frame


def test_a_pattern_reads_every_matching_file_as_one_table(tmp_path):
    sizes = [_month(tmp_path, m, 30 + m, extra=m == 3).height for m in (1, 2, 3)]
    loaded = cx.read_touchpoints(
        tmp_path / "events_2025-*.csv",
        columns={"customer_id": "user_id", "ts": "event_time", "touchpoint": "event_name",
                 "channel": "platform"},
    )  # fmt: skip
    assert loaded.height == sum(sizes)
    assert loaded["ts"].dt.month().unique().sort().to_list() == [1, 2, 3]


def test_rejects_name_their_own_file_and_row_and_duplicates_span_files(tmp_path):
    _month(tmp_path, 1, 10)
    second = _month(tmp_path, 2, 10)
    broken = second.with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(pl.lit("31/31/2025")).otherwise("event_time")
        .alias("event_time")
    )  # fmt: skip
    # the second file repeats the first file's first row: a duplicate across files
    first_row = pl.read_csv(tmp_path / "events_2025-01.csv").head(1)
    pl.concat([broken, first_row]).write_csv(tmp_path / "events_2025-02.csv")
    (tmp_path / "cx.toml").write_text(
        '[data]\ntouchpoints = "events_2025-*.csv"\n[columns.touchpoints]\n'
        'customer_id = "user_id"\nts = "event_time"\ntouchpoint = "event_name"\n'
        'channel = "platform"\n',
        encoding="utf-8",
    )
    with pytest.warns(cx.io.RejectedRowsWarning):
        ds = cx.load(tmp_path / "cx.toml")
    rejects = ds.rejects.sort("row")
    assert rejects.select("source", "row", "reason").rows() == [
        (str(tmp_path / "events_2025-02.csv"), 5, "unparseable timestamp"),
        (str(tmp_path / "events_2025-02.csv"), 21, "duplicate row"),
    ]
    loaded = ds.touchpoints.lazy().collect().height
    assert loaded + rejects.height == ds.read["touchpoints"] == 41


def test_a_folder_is_not_read_as_one_table_but_the_error_shows_the_pattern(tmp_path):
    with pytest.raises(cx.DataError, match=r"is a directory; pass a file, a pattern .*\*\.csv"):
        cx.read_touchpoints(tmp_path)


def test_a_pattern_matching_nothing_is_a_one_line_error(tmp_path):
    with pytest.raises(cx.DataError, match=r"events_\*\.csv: no file matches this pattern"):
        cx.read_touchpoints(tmp_path / "events_*.csv")


def test_files_whose_columns_do_not_combine_are_a_data_error(tmp_path):
    pl.DataFrame({"user_id": ["a"], "n": [1]}).write_parquet(tmp_path / "p1.parquet")
    pl.DataFrame({"user_id": ["a"], "n": [[1, 2]]}).write_parquet(tmp_path / "p2.parquet")
    with pytest.raises(cx.DataError, match="do not combine into one table"):
        cx.read_touchpoints(tmp_path / "p*.parquet")


def test_cx_init_reads_the_parts_of_one_export_through_a_pattern(tmp_path):
    sizes = [_month(tmp_path, m, 20 + m).height for m in (1, 2, 3)]
    pl.DataFrame({"member": ["u1", "u2"], "tier": ["gold", "silver"]}).write_csv(
        tmp_path / "members.csv"
    )
    draft = cx.io.infer_project(tmp_path)
    assert draft.tables["touchpoints"].path.name == "events_2025-*.csv"
    assert draft.tables["touchpoints"].parts == 3
    cx.io.write_config(draft, tmp_path / "cx.toml")
    text = (tmp_path / "cx.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text)["data"]["touchpoints"] == "events_2025-*.csv"
    assert "3 files with the same columns, read as one table" in text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = cx.load(tmp_path / "cx.toml")
    assert ds.touchpoints.lazy().collect().height == sum(sizes)
    # next month's export matches the same pattern
    _month(tmp_path, 4, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert cx.load(tmp_path / "cx.toml").touchpoints.lazy().collect().height > sum(sizes)
