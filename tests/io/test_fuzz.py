"""Any input, no surprise (issue 17, item 8): whatever bytes a file holds and whatever a
small table contains, every loader either raises ``DataError`` with one line, or returns a
table and a ledger with loaded + rejected = read. Nothing else: no raw polars or OS error,
no traceback, no row lost."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cxlib as cx

LOADERS = {
    "touchpoints": cx.read_touchpoints,
    "surveys": cx.read_surveys,
    "customers": cx.read_customers,
}
COLUMNS = {
    "touchpoints": ["customer_id", "ts", "touchpoint", "channel", "revenue"],
    "surveys": ["customer_id", "ts", "survey", "score", "comment"],
    "customers": ["customer_id", "signup_ts", "churned", "country"],
}
# values that exercise the checks: ids, null words, invisible and control characters,
# timestamps in many shapes, numbers with separators, formula signs, other scripts
CELLS = st.one_of(
    st.none(),
    st.sampled_from(
        ["a", "null", "None", "NaN", "\u200b", " ", "2025-01-01T00:00:00Z", "31/12/2567 14:05",
         "1735689600", "2025-13-45", "9", "8.7", "-5", "1,250.50", "12,50", "nps", "csat",
         "ces", "yes", "no", "=1+1", "ดูสินค้า", "mua hàng", "x\x00y", '"', "a,b", "\n"]
    ),
    st.text(alphabet=string.printable + "éàễข\u200b\x00", max_size=12),
)  # fmt: skip


def _check(kind: str, source: object) -> None:
    try:
        loaded = LOADERS[kind](source, with_rejects=True)
    except cx.DataError as err:
        assert "\n" not in str(err).strip(), str(err)
        return
    assert loaded.data.height + loaded.rejects.height == loaded.read


@pytest.mark.parametrize("kind", sorted(LOADERS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(CELLS, min_size=5, max_size=5), min_size=0, max_size=8))
def test_any_small_table_loads_with_its_ledger_or_is_a_one_line_error(kind, rows):
    columns = COLUMNS[kind]
    frame = pl.DataFrame(
        {c: [row[i] if i < len(row) else None for row in rows] for i, c in enumerate(columns)},
        schema={c: pl.String for c in columns},
    )
    _check(kind, frame)


@pytest.mark.parametrize("kind", sorted(LOADERS))
@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".ndjson", ".parquet", ".tsv"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.binary(max_size=300), header=st.booleans())
def test_any_bytes_in_a_file_load_or_are_a_one_line_error(kind, suffix, content, header):
    prefix = (",".join(COLUMNS[kind]) + "\n").encode() if header else b""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{kind}{suffix}"
        path.write_bytes(prefix + content)
        _check(kind, path)
