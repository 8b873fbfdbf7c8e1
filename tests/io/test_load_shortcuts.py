"""Shortcuts of the eager load (issue 20, "loading") against the slow way they replace, and a
lazy load that reads nothing until it is collected.

- a text column of printable ASCII is judged from its bytes (``_text._plain_facts``): the same
  facts as searching its text;
- touchpoints that repeat a few names are staged once per name (``_codes.few_distinct``): the
  same stages as mapping every row, and no codes at all when two names share a hash;
- ``lazy=True`` reads the source when the frame is collected, and warns about rejected rows
  then, not before.
"""

from __future__ import annotations

import string
import warnings
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxlib as cx
from cxlib.io import _codes, _stages, _text

# -- text facts from the bytes ------------------------------------------------------------

VALUES = st.one_of(
    st.none(),
    st.text(alphabet=string.printable, max_size=6),
    st.sampled_from(["", " ", " a", "a ", "a b", "1.0", "x\u200by", "\u00a0z", "é", "~", "\x7f"]),
)


def _searched(values: pl.Series, monkeypatch: pytest.MonkeyPatch) -> _text.TextFacts:
    with monkeypatch.context() as patch:
        patch.setattr(_text, "_plain_facts", lambda _values: None)
        return _text.text_facts(values.to_frame("v"), ["v"])["v"]


@settings(max_examples=200, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=30))
def test_facts_from_the_bytes_match_the_searched_text(values):
    series = pl.Series("v", values, dtype=pl.String)
    plain = _text._plain_facts(series)
    with pytest.MonkeyPatch.context() as patch:
        searched = _searched(series, patch)
    if plain is None:  # not printable ASCII: the search decides
        return
    assert plain == searched or (plain.edge_space is False and searched.edge_space is True)
    # the search is conservative about line breaks inside a value; the bytes are exact
    assert plain.control is searched.control is False
    assert plain.dot is searched.dot


def test_facts_from_the_bytes_find_each_edge_space_empty_value_and_dot():
    facts = _text.text_facts(pl.DataFrame({"v": ["a b", "c"]}), ["v"])["v"]
    assert facts == _text.TextFacts(edge_space=False, control=False, invisible=False, dot=False)
    for values in (["a", " b"], ["a", "b "], ["a", ""]):
        assert _text._plain_facts(pl.Series(values)).edge_space
    assert _text._plain_facts(pl.Series(["13085.0"])).dot
    assert _text._plain_facts(pl.Series(["x\ty"])) is None  # a tab: the search decides
    assert _text._plain_facts(pl.Series([None], dtype=pl.String)) is None


def test_facts_from_the_bytes_read_every_slice(monkeypatch):
    monkeypatch.setattr(_text, "_BYTES_SLICE", 3)
    values = pl.Series(["a", "b", "c", "d", "e", "f", "g. "])
    assert _text._plain_facts(values) == _text.TextFacts(True, False, False, True)


# -- stages once per touchpoint name --------------------------------------------------------


def _touchpoints(names: list[str | None], repeat: int) -> pl.DataFrame:
    return pl.DataFrame({"touchpoint": names * repeat}, schema={"touchpoint": pl.String})


def _staged_row_by_row(model: cx.StageModel, frame: pl.DataFrame) -> pl.DataFrame:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_stages, "few_distinct", lambda _values: None)
        return model.assign(frame)


def test_staging_once_per_name_matches_mapping_every_row():
    names = ["visit", "purchase", "Order Completed", "page_view", "webinar", None, "review"]
    frame = _touchpoints(names, 50)
    chunked = pl.concat([frame.slice(0, 120), frame.slice(120)], rechunk=False)
    stage = pl.Series("stage", (["advocacy", None] + [None] * 5) * 50, dtype=pl.String)
    with_stage = frame.with_columns(stage)
    for model in (cx.stage_model("5-stage"), cx.stage_model("custom", stages=["a"])):
        for touchpoints in (frame, chunked, with_stage):
            assert _codes.few_distinct(touchpoints["touchpoint"]) is not None
            fast = model.assign(touchpoints)
            assert fast.equals(_staged_row_by_row(model, touchpoints))
            assert fast.schema["stage"] == pl.String
    assert cx.stage_model().assign(chunked)["stage"].n_chunks() == 2  # no copy of the frame


def test_few_distinct_gives_no_codes_for_many_values_or_shared_hashes(monkeypatch):
    assert _codes.few_distinct(pl.Series([str(i) for i in range(1000)])) is None
    values = pl.Series(["a", "b", "c", "d", "e"] * 100)
    distinct, codes = _codes.few_distinct(values)
    assert distinct.gather(codes).equals(values)
    monkeypatch.setattr(_codes, "_window", lambda keys: (0, 1))  # 2 slots for 5 names
    assert _codes.few_distinct(values) is None


def test_few_distinct_reads_every_slice(monkeypatch):
    monkeypatch.setattr(_codes, "_SLICE", 7)
    values = pl.Series(["a", "b", None, "a"] * 40 + ["late"] + ["b"] * 9, dtype=pl.String)
    distinct, codes = _codes.few_distinct(values)
    assert distinct.to_list() == ["a", "b", None, "late"]  # in order of first appearance
    assert distinct.gather(codes).equals(values, null_equal=True)
    assert codes.len() == values.len()
    monkeypatch.setattr(_codes, "_window", lambda keys: (0, 1))  # 2 slots for 4 names
    assert _codes.few_distinct(values) is None  # found wrong in a later slice


# -- a lazy load reads when collected ------------------------------------------------------


def _parquet(path: Path, customer: str) -> Path:
    pl.DataFrame(
        {
            "customer_id": ["u1", customer],
            "ts": ["2024-05-01T09:00:00Z", "2024-05-01T10:00:00Z"],
            "touchpoint": ["visit", "purchase"],
            "channel": ["web", "web"],
        }
    ).write_parquet(path)
    return path


def test_a_lazy_load_reads_nothing_until_collected_and_warns_then(tmp_path):
    path = _parquet(tmp_path / "touchpoints.parquet", "")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ledger pass at the call: nothing to warn about
        lazy = cx.read_touchpoints(path, lazy=True)
    with pytest.warns(cx.io.RejectedRowsWarning, match="1 of 2 touchpoints rows rejected"):
        collected = lazy.collect()
    assert collected["customer_id"].to_list() == ["u1"]
    loaded = cx.read_touchpoints(path, lazy=True, with_rejects=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the ledger is there to ask for: no warning
        assert loaded.data.collect().height + loaded.rejects.height == loaded.read == 2


def test_a_lazy_load_without_rows_fails_when_collected(tmp_path):
    path = tmp_path / "touchpoints.parquet"
    _parquet(path, "u2")
    pl.read_parquet(path).clear().write_parquet(path)
    lazy = cx.read_touchpoints(path, lazy=True)
    with pytest.raises(cx.DataError, match="no data rows"):
        lazy.collect()
    with pytest.raises(cx.DataError, match="no data rows"):
        _ = cx.read_touchpoints(path, lazy=True, with_rejects=True).read


def test_an_eager_load_stages_shared_codes_like_a_lazy_one(tmp_path):
    names = [" visit", "purchase ", "visit", "Order Completed", "webinar"]
    frame = pl.DataFrame(
        {
            "customer_id": [f"u{i}" for i in range(250)],
            "ts": [f"2024-05-01T09:{i % 60:02d}:{i // 60:02d}Z" for i in range(250)],
            "touchpoint": names * 50,
            "channel": ["web"] * 250,
        }
    )
    path = tmp_path / "touchpoints.parquet"
    frame.write_parquet(path)
    eager = cx.read_touchpoints(path, with_rejects=True)
    lazy = cx.read_touchpoints(path, with_rejects=True, lazy=True)
    assert eager.rejects.is_empty()
    assert eager.data.equals(lazy.data.collect())
    assert eager.data["stage"].head(4).to_list() == [
        "consideration",
        "conversion",
        "consideration",
        "conversion",
    ]
