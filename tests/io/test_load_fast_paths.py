"""An eager load skips work that cannot change a row (issue 20, "loading"): text steps a
column needs none of, ISO timestamps parsed in their one format, exact copies found by
hash first, the line-by-line ragged-row pass when no row can be short. None of it may change
what is loaded or rejected. The reference is the lazy load, which runs every step on every
row: for the same source, eager and lazy give the same clean frame and the same ledger."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cxlib as cx

CANONICAL = ["customer_id", "ts", "touchpoint", "channel"]


def _both(source: object, **options) -> tuple[cx.Loaded, cx.Loaded]:
    eager = cx.read_touchpoints(source, with_rejects=True, **options)
    lazy = cx.read_touchpoints(source, with_rejects=True, lazy=True, **options)
    return eager, lazy


def assert_same_as_lazy(source: object, **options) -> cx.Loaded:
    """The eager load of ``source`` equals the lazy one (every step on every row)."""
    eager, lazy = _both(source, **options)
    collected = lazy.data.collect()
    assert eager.data.schema == collected.schema
    assert eager.data.rows() == collected.rows()
    assert eager.rejects.rows() == lazy.rejects.rows()
    assert eager.read == lazy.read == eager.data.height + eager.rejects.height
    return eager


def _csv(tmp_path: Path, rows: list[list[str]], name: str = "touchpoints.csv") -> Path:
    path = tmp_path / name
    lines = [",".join(CANONICAL)] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_datetime_column_and_its_iso_text_give_the_same_clean_frame_and_ledger(tmp_path):
    frame = pl.DataFrame(
        {
            "customer_id": ["u1", "u2", "", "u4", "u1"],
            "ts": [
                "2024-05-01T09:00:00+0000",
                "2024-05-01T10:30:00.250000+0000",
                "2024-05-02T08:00:00+0000",
                "1890-01-01T00:00:00+0000",
                "2024-05-01T09:00:00+0000",
            ],
            "touchpoint": ["visit", "purchase", "visit", "visit", "visit"],
            "channel": ["web", "app", "web", "web", "web"],
        }
    )
    typed = frame.with_columns(
        pl.col("ts").str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", time_zone="UTC")
    )
    frame.write_parquet(tmp_path / "text.parquet")
    typed.write_parquet(tmp_path / "typed.parquet")
    text = assert_same_as_lazy(tmp_path / "text.parquet")
    datetime = assert_same_as_lazy(tmp_path / "typed.parquet")
    assert text.data.equals(datetime.data)
    ledger = ["row", "column", "reason"]
    assert text.rejects.select(ledger).rows() == datetime.rejects.select(ledger).rows()
    assert text.rejects.select(ledger).rows() == [
        (3, "customer_id", "missing customer_id"),
        (4, "ts", "absurd timestamp"),
        (5, "*", "duplicate row"),
    ]


@pytest.mark.parametrize(
    "ts",
    [
        "2024-05-01T09:00:00+0000",
        "2024-05-01T09:00:00.123456789+07:00",
        "2024-05-01 09:00:00+07:00",
        "2024-05-01T09:00:00",
        "2024-05-01 09:00:00.5",
        "2567-05-01T09:00:00+0000",  # Buddhist era: 2024
        "2567-02-29 09:00:00",  # a Buddhist leap day
        "0999-05-01T09:00:00+0000",
        "+2024-05-01T09:00:00+0000",
        "2024-05-01T09:00:60+0000",  # a leap second
        "2024-05-01T24:00:00+0000",
        "2024-05-01T09:00:00Z",
        "2024-05-01T09:00:00 UTC",
        " 2024-05-01T09:00:00+0000",
        "2024/05/01 09:00:00",
        "2024-05-01",
        "2024-05-01 09:00",
        "1714554000",
        "NULL",
        "2024-03-31T02:30:00",  # skipped by the clocks in Berlin
        "2024-10-27T02:30:00",  # twice in Berlin
    ],
)
@pytest.mark.parametrize("timezone", ["UTC", "Europe/Berlin", "Asia/Bangkok"])
def test_timestamps_in_one_iso_format_read_as_the_general_parser_does(tmp_path, ts, timezone):
    rows = [["u1", ts, "visit", "web"], ["u2", ts, "visit", "web"]]
    assert_same_as_lazy(_csv(tmp_path, rows), timezone=timezone)
    assert_same_as_lazy(_csv(tmp_path, [["u0", "2024-05-01T09:00:00+0000", "visit", "web"], *rows]))


@pytest.mark.parametrize(
    "customer_id",
    ["u1", " u1", "u1 ", "NULL", "nOnE", "n/A", "13085.0", "a.b@example.com", "u\u200b1",
     "\u200b", "u\x011", "\u00a0u1", '""'],
)  # fmt: skip
def test_text_columns_that_need_a_step_still_get_it(tmp_path, customer_id):
    rows = [["u9", "2024-05-01T09:00:00+0000", "visit", "web"]]
    rows += [[customer_id, "2024-05-01T09:00:00+0000", " visit", "w\x02eb"]]
    assert_same_as_lazy(_csv(tmp_path, rows))


def test_rows_that_differ_only_beyond_the_hashed_columns_are_not_copies():
    base = {c: ["u1", "u1", "u1"] for c in CANONICAL}
    base["ts"] = ["2024-05-01T09:00:00Z"] * 3
    wide = {**base, **{f"p{i}": ["x", "x", "x"] for i in range(10)}, "last": ["a", "b", "a"]}
    loaded = assert_same_as_lazy(pl.DataFrame(wide))
    assert loaded.rejects.select("row", "reason").rows() == [(3, "duplicate row")]


def test_a_short_row_is_found_when_the_last_column_is_empty_and_not_otherwise(tmp_path):
    path = tmp_path / "touchpoints.csv"
    path.write_text(
        "customer_id,ts,touchpoint,channel\n"
        "u1,2024-05-01T09:00:00Z,visit,web\n"
        "u2,2024-05-01T09:00:00Z,visit\n"
        "u3,2024-05-01T09:00:00Z,visit,\n",
        encoding="utf-8",
    )
    loaded = assert_same_as_lazy(path)
    assert loaded.rejects.select("row", "reason").rows() == [
        (2, "ragged row"),
        (3, "missing channel"),
    ]


def test_a_lazy_load_with_its_ledger_counts_only_when_asked(tmp_path):
    path = _csv(tmp_path, [["u1", "2024-05-01T09:00:00Z", "visit", "web"], ["", "x", "y", "z"]])
    loaded = cx.read_touchpoints(path, with_rejects=True, lazy=True)
    assert "not counted yet" in repr(loaded)
    data, rejects, read = loaded
    assert (data.collect().height, rejects.height, read) == (1, 1, 2)
    assert "not counted yet" not in repr(loaded)


CELLS = st.one_of(
    st.none(),
    st.sampled_from(
        ["u1", "NULL", "na", " ", "", "13085.0", "\u200b", "x\x00y", "2024-05-01T09:00:00+0000",
         "2024-05-01 09:00:00", "2567-01-01T00:00:00+0700", "2024-05-01T09:00:00Z", "1714554000",
         "visit", "web", " web ", "ดูสินค้า"]
    ),
    st.text(alphabet=string.printable + "é\u200b\u00a0\x01", max_size=10),
)  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(CELLS, min_size=4, max_size=4), min_size=1, max_size=6))
def test_any_small_table_loads_eagerly_as_it_does_lazily(rows):
    frame = pl.DataFrame(
        {c: [row[i] for row in rows] for i, c in enumerate(CANONICAL)},
        schema={c: pl.String for c in CANONICAL},
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "touchpoints.parquet"
        frame.write_parquet(path)
        try:
            _both(path)
        except cx.DataError:
            return
        assert_same_as_lazy(path)
