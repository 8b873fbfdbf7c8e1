"""Loaders: every source format onto the canonical columns, and the Dataset."""

from __future__ import annotations

import gzip
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

import cxlib as cx
from cxlib.io._loaders import RejectedRowsWarning
from cxlib.io._schema import SCHEMAS, UTC_TS

EVENTS = {
    "customer_id": ["u1", "u1", "u2"],
    "ts": ["2024-05-01 09:00:00", "2024-05-01 09:05:00", "2024-05-02 10:00:00"],
    "touchpoint": ["product_view", "purchase", "ad_click"],
    "channel": ["web", "web", "email"],
    "revenue": ["", "19.90", ""],
    "country": ["VN", "VN", "TH"],
}
EXPECTED_TS = [
    datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
    datetime(2024, 5, 1, 9, 5, tzinfo=UTC),
    datetime(2024, 5, 2, 10, 0, tzinfo=UTC),
]


def events_frame() -> pl.DataFrame:
    return pl.DataFrame(EVENTS)


def write_csv(path: Path, separator: str = ",", *, bom: bool = False) -> Path:
    text = events_frame().write_csv(separator=separator)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def assert_events_loaded(tp: pl.DataFrame) -> None:
    assert tp["customer_id"].to_list() == ["u1", "u1", "u2"]
    assert tp["ts"].to_list() == EXPECTED_TS
    assert tp["revenue"].to_list() == [None, 19.9, None]
    assert tp["country"].to_list() == ["VN", "VN", "TH"]


# -- formats ------------------------------------------------------------------------------


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_csv_separator_is_sniffed(tmp_path, separator):
    path = write_csv(tmp_path / "touchpoints.csv", separator)
    assert_events_loaded(cx.read_touchpoints(path))


def test_csv_separator_can_be_given(tmp_path):
    path = write_csv(tmp_path / "touchpoints.txt", ";")
    assert_events_loaded(cx.read_touchpoints(str(path), separator=";"))


def test_csv_with_byte_order_mark_keeps_first_column_name(tmp_path):
    path = write_csv(tmp_path / "touchpoints.csv", bom=True)
    tp = cx.read_touchpoints(path)
    assert tp.columns[0] == "customer_id"
    assert_events_loaded(tp)


def test_gzip_csv_reads_like_plain_csv(tmp_path):
    path = tmp_path / "touchpoints.csv.gz"
    path.write_bytes(gzip.compress(events_frame().write_csv().encode()))
    assert_events_loaded(cx.read_touchpoints(path))


def test_parquet_with_text_columns(tmp_path):
    path = tmp_path / "touchpoints.parquet"
    events_frame().write_parquet(path)
    assert_events_loaded(cx.read_touchpoints(path))


def test_parquet_with_typed_columns_converts_them(tmp_path):
    path = tmp_path / "touchpoints.parquet"
    pl.DataFrame(
        {
            "customer_id": [101, 102],  # integer ids become text
            "ts": [datetime(2024, 5, 1, 9), datetime(2024, 5, 1, 10)],  # naive: in `timezone`
            "touchpoint": ["visit", "purchase"],
            "channel": ["web", "app"],
            "revenue": [None, 5],
        }
    ).write_parquet(path)
    tp = cx.read_touchpoints(path, timezone="Asia/Ho_Chi_Minh")
    assert tp["customer_id"].to_list() == ["101", "102"]
    assert tp["ts"].to_list() == [
        datetime(2024, 5, 1, 2, tzinfo=UTC),
        datetime(2024, 5, 1, 3, tzinfo=UTC),
    ]
    assert tp["revenue"].to_list() == [None, 5.0]


def test_float_ids_print_without_decimal_point():
    frame = pl.DataFrame(
        {
            "customer_id": [1.0, 2.0],
            "ts": ["2024-05-01", "2024-05-02"],
            "touchpoint": ["visit", "visit"],
            "channel": ["web", "web"],
        }
    )
    assert cx.read_touchpoints(frame)["customer_id"].to_list() == ["1", "2"]


@pytest.mark.parametrize("suffix", [".ndjson", ".jsonl"])
def test_ndjson(tmp_path, suffix):
    path = tmp_path / f"touchpoints{suffix}"
    events_frame().write_ndjson(path)
    assert_events_loaded(cx.read_touchpoints(path))


@pytest.mark.parametrize(
    "make",
    [
        events_frame,
        lambda: events_frame().lazy(),
        lambda: events_frame().to_pandas(),
    ],
    ids=["polars", "polars-lazy", "pandas"],
)
def test_in_memory_frames(make):
    assert_events_loaded(cx.read_touchpoints(make()))


def test_pandas_with_mixed_type_column_passes_it_as_text():
    frame = pd.DataFrame({**{k: v for k, v in EVENTS.items()}, "note": [1, "two", None]})
    tp = cx.read_touchpoints(frame)
    assert tp["note"].to_list() == ["1", "two", None]


def test_pandas_timezone_aware_timestamps_are_converted_to_utc():
    frame = pd.DataFrame(
        {
            "customer_id": ["u1"],
            "touchpoint": ["visit"],
            "channel": ["web"],
            "ts": pd.to_datetime(["2024-05-01 09:00"]).tz_localize("Asia/Bangkok"),
        }
    )
    assert cx.read_touchpoints(frame)["ts"].to_list() == [datetime(2024, 5, 1, 2, tzinfo=UTC)]


# -- columns, dtypes, properties ----------------------------------------------------------


def test_mapped_columns_get_canonical_names():
    frame = events_frame().rename({"customer_id": "user", "ts": "time", "touchpoint": "event"})
    tp = cx.read_touchpoints(
        frame, columns={"customer_id": "user", "ts": "time", "touchpoint": "event"}
    )
    assert tp.columns[:4] == ["customer_id", "ts", "touchpoint", "channel"]
    assert "user" not in tp.columns
    assert_events_loaded(tp)


def test_mapping_may_rename_a_property():
    tp = cx.read_touchpoints(events_frame(), columns={"market": "country"})
    assert tp["market"].to_list() == ["VN", "VN", "TH"]


def test_source_column_shadowed_by_a_mapping_is_kept_with_suffix():
    frame = events_frame().with_columns(pl.lit("server").alias("ts_origin"))
    frame = frame.rename({"ts": "event_time"}).with_columns(pl.lit("junk").alias("ts"))
    tp = cx.read_touchpoints(frame, columns={"ts": "event_time"})
    assert tp["ts"].to_list() == EXPECTED_TS
    assert tp["ts_source"].to_list() == ["junk"] * 3


def test_canonical_columns_come_first_in_schema_order_with_canonical_dtypes():
    frame = events_frame().select(
        "country", "revenue", "channel", "touchpoint", "ts", "customer_id"
    )
    tp = cx.read_touchpoints(frame)
    assert tp.columns == [
        "customer_id",
        "ts",
        "touchpoint",
        "channel",
        "stage",
        "revenue",
        "country",
    ]
    expected = SCHEMAS["touchpoints"].columns
    for name in ("customer_id", "ts", "touchpoint", "channel", "stage", "revenue"):
        assert tp.schema[name] == expected[name], name
    assert tp.schema["ts"] == UTC_TS


def test_pass_through_properties_keep_their_values_and_order():
    frame = events_frame().with_columns(pl.Series("zeta", [3, 2, 1]), pl.Series("alpha", [1.5] * 3))
    tp = cx.read_touchpoints(frame)
    assert tp.columns[-3:] == ["country", "zeta", "alpha"]
    assert tp["zeta"].to_list() == [3, 2, 1]
    assert tp.schema["zeta"] == pl.Int64


def test_csv_properties_stay_text(tmp_path):
    path = tmp_path / "touchpoints.csv"
    path.write_text("customer_id,ts,touchpoint,channel,zip\nu1,2024-05-01,visit,web,00123\n")
    assert cx.read_touchpoints(path)["zip"].to_list() == ["00123"]


def test_polars_input_is_not_mutated():
    frame = events_frame()
    before = frame.clone()
    cx.read_touchpoints(frame, columns={"market": "country"}, timezone="Europe/Berlin")
    assert frame.equals(before)
    assert frame.columns == before.columns


def test_pandas_input_is_not_mutated():
    frame = events_frame().to_pandas()
    before = frame.copy()
    cx.read_touchpoints(frame, columns={"market": "country"}, timezone="Europe/Berlin")
    pd.testing.assert_frame_equal(frame, before)


def test_text_ids_are_stripped():
    frame = events_frame().with_columns(pl.Series("customer_id", [" u1", "u1 ", "u2"]))
    assert cx.read_touchpoints(frame)["customer_id"].to_list() == ["u1", "u1", "u2"]


# -- timestamps ---------------------------------------------------------------------------


def test_naive_timestamps_are_read_in_the_given_timezone():
    tp = cx.read_touchpoints(events_frame(), timezone="Asia/Ho_Chi_Minh")  # UTC+7
    assert tp["ts"][0] == datetime(2024, 5, 1, 2, 0, tzinfo=UTC)


def test_naive_timestamps_follow_daylight_saving_time():
    frame = events_frame().with_columns(
        pl.Series("ts", ["2024-01-15 12:00", "2024-07-15 12:00", "2024-07-16 12:00"])
    )
    tp = cx.read_touchpoints(frame, timezone="Europe/Berlin")
    assert [t.hour for t in tp["ts"]] == [11, 10, 10]  # CET is UTC+1, CEST UTC+2


def test_mixed_offsets_are_each_converted_to_utc():
    frame = events_frame().with_columns(
        pl.Series(
            "ts", ["2024-05-01T09:00:00+07:00", "2024-05-01T09:00:00Z", "2024-05-01 09:00:00-0500"]
        )
    )
    tp = cx.read_touchpoints(frame, timezone="Europe/Berlin")  # ignored: offsets given
    assert [t.hour for t in tp["ts"]] == [2, 9, 14]


def test_naive_and_offset_timestamps_mix_in_one_column():
    frame = events_frame().with_columns(
        pl.Series("ts", ["2024-05-01T09:00:00+07:00", "2024-05-01 09:00", "2024-05-01"])
    )
    tp = cx.read_touchpoints(frame, timezone="Asia/Ho_Chi_Minh")
    assert tp["ts"].to_list() == [
        datetime(2024, 5, 1, 2, tzinfo=UTC),
        datetime(2024, 5, 1, 2, tzinfo=UTC),
        datetime(2024, 4, 30, 17, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01T09:00:00.250Z",
        "2024/05/01 09:00:00.25",
        "2024-05-01 09:00:00.250000 UTC",
    ],
)
def test_timestamp_text_variants(text):
    frame = events_frame().head(1).with_columns(pl.lit(text).alias("ts"))
    ts = cx.read_touchpoints(frame)["ts"][0]
    assert ts == datetime(2024, 5, 1, 9, 0, 0, 250_000, tzinfo=UTC)


@pytest.mark.parametrize("epoch", ["1714554000", "1714554000000", 1714554000, 1714554000000])
def test_epoch_seconds_and_milliseconds(epoch):
    frame = events_frame().head(1).with_columns(pl.lit(epoch).alias("ts"))
    assert cx.read_touchpoints(frame)["ts"][0] == datetime(2024, 5, 1, 9, tzinfo=UTC)


def test_unknown_timezone_is_a_data_error():
    with pytest.raises(cx.DataError, match="unknown timezone 'Mars/Olympus'"):
        cx.read_touchpoints(events_frame(), timezone="Mars/Olympus")


# -- stages -------------------------------------------------------------------------------


def test_stage_column_comes_from_the_default_model():
    tp = cx.read_touchpoints(events_frame())
    assert tp["stage"].to_list() == ["consideration", "conversion", "awareness"]


def test_stage_column_uses_the_given_model():
    model = cx.stage_model(
        "custom", stages=["find", "buy"], mapping={"product_view": "find", "purchase": "buy"}
    )
    tp = cx.read_touchpoints(events_frame(), stages=model)
    assert tp["stage"].to_list() == ["find", "buy", None]


def test_stage_already_in_the_data_wins():
    frame = events_frame().with_columns(pl.Series("stage", ["retention", None, ""]))
    tp = cx.read_touchpoints(frame)
    assert tp["stage"].to_list() == ["retention", "conversion", "awareness"]


def test_surveys_and_customers_get_no_stage_column():
    surveys = pl.DataFrame(
        {"customer_id": ["u1"], "ts": ["2024-05-01"], "survey": ["nps"], "score": [9]}
    )
    assert "stage" not in cx.read_surveys(surveys).columns
    assert "stage" not in cx.read_customers(pl.DataFrame({"customer_id": ["u1"]})).columns


# -- surveys and customers ----------------------------------------------------------------


def test_survey_names_are_stripped_and_lower_cased():
    surveys = pl.DataFrame(
        {
            "customer_id": ["u1", "u2", "u3"],
            "ts": ["2024-05-01"] * 3,
            "survey": [" NPS", "CSat", "ces "],
            "score": ["9", "5", "7"],
            "comment": ["  Rất tốt! ", "ดีมาก", None],
        }
    )
    loaded = cx.read_surveys(surveys)
    assert loaded["survey"].to_list() == ["nps", "csat", "ces"]
    assert loaded["score"].to_list() == [9.0, 5.0, 7.0]
    assert loaded["comment"].to_list() == ["  Rất tốt! ", "ดีมาก", None]  # kept as written


def test_customers_optional_columns_are_parsed():
    customers = pl.DataFrame(
        {
            "customer_id": ["u1", "u2", "u3"],
            "signup_ts": ["2024-01-01", "", "2024-03-01T10:00:00Z"],
            "churned": ["yes", "0", "TRUE"],
            "plan": ["free", "pro", "pro"],
        }
    )
    loaded = cx.read_customers(customers)
    assert loaded.columns == ["customer_id", "signup_ts", "churned", "plan"]
    assert loaded["churned"].to_list() == [True, False, True]
    assert loaded["signup_ts"].to_list()[1] is None
    assert loaded.schema["signup_ts"] == UTC_TS


# -- laziness and the ledger ----------------------------------------------------------------


def test_lazy_returns_a_lazyframe_with_the_same_rows(tmp_path):
    path = tmp_path / "touchpoints.parquet"
    events_frame().write_parquet(path)
    lazy = cx.read_touchpoints(path, lazy=True)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(cx.read_touchpoints(path))


def test_with_rejects_returns_data_ledger_and_count():
    frame = events_frame().with_columns(pl.Series("revenue", ["", "-5", ""]))
    loaded = cx.read_touchpoints(frame, with_rejects=True)
    assert isinstance(loaded, cx.Loaded)
    assert loaded.read == 3
    assert loaded.data.height == 2
    assert loaded.rejects.columns == ["source", "kind", "row", "column", "reason", "value"]
    assert loaded.rejects.row(0) == (
        "<polars.DataFrame>",
        "touchpoints",
        2,
        "revenue",
        "negative revenue",
        "-5",
    )


def test_lazy_with_rejects_still_returns_the_ledger_eagerly():
    frame = events_frame().with_columns(pl.Series("revenue", ["", "-5", ""]))
    loaded = cx.read_touchpoints(frame, with_rejects=True, lazy=True)
    assert isinstance(loaded.data, pl.LazyFrame)
    assert isinstance(loaded.rejects, pl.DataFrame)
    assert (loaded.read, loaded.rejects.height, loaded.data.collect().height) == (3, 1, 2)


def test_rejected_rows_raise_one_warning_with_count_and_how_to_see_them():
    frame = events_frame().with_columns(pl.Series("revenue", ["", "-5", "abc"]))
    with pytest.warns(RejectedRowsWarning) as caught:
        tp = cx.read_touchpoints(frame)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "2 of 3 touchpoints rows rejected" in message
    assert "with_rejects=True" in message
    assert tp.height == 1


def test_clean_input_raises_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cx.read_touchpoints(events_frame())


# -- Dataset --------------------------------------------------------------------------------


def write_project(folder: Path) -> Path:
    events_frame().write_csv(folder / "touchpoints.csv")
    pl.DataFrame(
        {
            "customer_id": ["u1", "u2"],
            "ts": ["2024-05-03", "2024-05-03"],
            "survey": ["nps", "nps"],
            "score": [9, 11],
        }
    ).write_parquet(folder / "surveys.parquet")
    return folder


def test_load_finds_the_files_in_a_folder(tmp_path):
    with pytest.warns(RejectedRowsWarning, match="1 row rejected"):
        ds = cx.load(write_project(tmp_path))
    assert_events_loaded(ds.touchpoints)
    assert ds.surveys["score"].to_list() == [9.0]
    assert ds.customers is None
    assert ds.stages.name == "5-stage"
    assert ds.read == {"touchpoints": 3, "surveys": 2}
    assert ds.rejects["reason"].to_list() == ["score out of scale"]


def test_dataset_summary_reconciles(tmp_path):
    with pytest.warns(RejectedRowsWarning):
        ds = cx.load(write_project(tmp_path))
    summary = ds.summary()
    assert summary.rows() == [("touchpoints", 3, 3, 0), ("surveys", 2, 1, 1)]
    assert summary.select((pl.col("loaded") + pl.col("rejected") == pl.col("read")).all()).item()


def test_dataset_repr_names_each_table(tmp_path):
    with pytest.warns(RejectedRowsWarning):
        text = repr(cx.load(write_project(tmp_path)))
    assert "5-stage" in text
    assert "touchpoints" in text and "3 rows" in text
    assert "1 rejected" in text
    assert "customers" in text and "no file" in text


def test_load_uses_cx_toml_columns_timezone_and_stages(tmp_path):
    events_frame().rename({"customer_id": "user"}).write_csv(tmp_path / "events.csv")
    (tmp_path / "cx.toml").write_text(
        '[data]\ntouchpoints = "events.csv"\ntimezone = "Asia/Ho_Chi_Minh"\n'
        '[columns.touchpoints]\ncustomer_id = "user"\n'
        '[stages]\nmodel = "4-stage"\n'
    )
    for source in (tmp_path, tmp_path / "cx.toml", cx.read_config(tmp_path)):
        ds = cx.load(source)
        assert ds.touchpoints["customer_id"].to_list() == ["u1", "u1", "u2"]
        assert ds.touchpoints["ts"][0] == datetime(2024, 5, 1, 2, tzinfo=UTC)
        assert ds.stages.name == "4-stage"
        assert ds.touchpoints["stage"][1] == "transaction"
        assert ds.config.timezone == "Asia/Ho_Chi_Minh"


def test_load_lazy_keeps_tables_lazy(tmp_path):
    with pytest.warns(RejectedRowsWarning):
        ds = cx.load(write_project(tmp_path), lazy=True)
    assert isinstance(ds.touchpoints, pl.LazyFrame)
    assert ds.summary()["rejected"].to_list() == [0, 1]


def test_load_without_touchpoints_is_a_data_error(tmp_path):
    pl.DataFrame({"customer_id": ["u1"]}).write_csv(tmp_path / "customers.csv")
    with pytest.raises(cx.DataError, match="no touchpoints file"):
        cx.load(tmp_path)


def test_load_refuses_two_candidate_files(tmp_path):
    write_csv(tmp_path / "touchpoints.csv")
    events_frame().write_parquet(tmp_path / "touchpoints.parquet")
    with pytest.raises(cx.DataError, match="several touchpoints files"):
        cx.load(tmp_path)


def test_load_of_a_missing_folder_is_a_data_error(tmp_path):
    with pytest.raises(cx.DataError, match="not found"):
        cx.load(tmp_path / "nowhere")


def test_dataset_rejects_concatenate_all_tables(tmp_path):
    events_frame().with_columns(pl.Series("revenue", ["", "-1", ""])).write_csv(
        tmp_path / "touchpoints.csv"
    )
    pl.DataFrame({"customer_id": ["u1", "u1"], "plan": ["free", "pro"]}).write_csv(
        tmp_path / "customers.csv"
    )
    with pytest.warns(RejectedRowsWarning, match="2 rows rejected"):
        ds = cx.load(tmp_path)
    assert ds.rejects.select("kind", "row", "reason").rows() == [
        ("touchpoints", 2, "negative revenue"),
        ("customers", 2, "duplicate customer_id"),
    ]
    assert ds.rejects.schema["row"] == pl.Int64
