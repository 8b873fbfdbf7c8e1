"""Malformed input: a one-line DataError naming the file, or a ledger that reconciles."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cxlib as cx
from cxlib.io import _validate as reasons
from cxlib.io._schema import SURVEY_SCALES

HEADER = "customer_id,ts,touchpoint,channel,revenue\n"
GOOD = "u1,2024-05-01 09:00,visit,web,\n"


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def data_error(path: Path, **options) -> str:
    """The DataError message for reading ``path``; checks it is one line naming the file."""
    with pytest.raises(cx.DataError) as caught:
        cx.read_touchpoints(path, **options)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert "Traceback" not in message
    return message


def ledger(source, read=cx.read_touchpoints, **options) -> cx.Loaded:
    """Load with the ledger and check that it reconciles."""
    loaded = read(source, with_rejects=True, **options)
    assert loaded.data.height + loaded.rejects.height == loaded.read
    assert loaded.rejects.schema == reasons.REJECTS_SCHEMA
    assert loaded.rejects["row"].is_unique().all()
    return loaded


def rejected(loaded: cx.Loaded) -> list[tuple[int, str, str]]:
    return loaded.rejects.select("row", "column", "reason").rows()


# -- unusable files -----------------------------------------------------------------------


def test_missing_file(tmp_path):
    assert "file not found" in data_error(tmp_path / "touchpoints.csv")


def test_directory_instead_of_file(tmp_path):
    assert "is a directory" in data_error(tmp_path)


def test_empty_file(tmp_path):
    assert "file is empty" in data_error(write(tmp_path / "tp.csv", ""))


def test_blank_lines_only(tmp_path):
    assert "only blank lines" in data_error(write(tmp_path / "tp.csv", "\n \n\n"))


@pytest.mark.parametrize("text", [HEADER, HEADER + "\n\n", HEADER.rstrip("\n")])
def test_header_only(tmp_path, text):
    assert "no data rows" in data_error(write(tmp_path / "tp.csv", text))


def test_empty_frame_has_no_data_rows():
    with pytest.raises(cx.DataError, match="<polars.DataFrame>: no data rows"):
        cx.read_touchpoints(
            pl.DataFrame(
                schema=dict.fromkeys(["customer_id", "ts", "touchpoint", "channel"], pl.String)
            )
        )


@pytest.mark.parametrize(
    ("content", "hint"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"PK\x03\x04\x14\x00\x00\x00", "zip archive"),
        (b"PAR1\x15\x04\x15", "Parquet file"),
        (b"a,b\n1,\x00\x002\n", "NUL bytes"),
    ],
)
def test_binary_file_renamed_csv(tmp_path, content, hint):
    assert hint in data_error(write(tmp_path / "tp.csv", content))


def test_unsupported_extension(tmp_path):
    message = data_error(write(tmp_path / "tp.xlsx", "x"))
    assert "unsupported file type '.xlsx'" in message
    assert "CSV" in message


def test_text_file_named_parquet(tmp_path):
    assert "not a Parquet file" in data_error(write(tmp_path / "tp.parquet", HEADER + GOOD))


def test_corrupt_gzip(tmp_path):
    assert "not a valid gzip file" in data_error(write(tmp_path / "tp.csv.gz", b"\x1f\x8bjunk"))


def test_invalid_ndjson_line_is_named(tmp_path):
    path = write(tmp_path / "tp.ndjson", '{"customer_id": "u1"}\n{oops\n')
    assert "line 2 is not valid JSON" in data_error(path)


def test_unclosed_quote_is_a_malformed_csv(tmp_path):
    path = write(tmp_path / "tp.csv", HEADER + 'u1,2024-05-01,"visit,web,\n' + GOOD)
    assert "malformed CSV" in data_error(path)


def test_missing_required_column_lists_columns_and_shows_the_fix(tmp_path):
    path = write(tmp_path / "tp.csv", "user,ts,touchpoint,channel\nu1,2024-05-01,visit,web\n")
    message = data_error(path)
    assert "required touchpoints column 'customer_id' is missing" in message
    assert "user, ts, touchpoint, channel" in message
    assert "columns={'customer_id': 'user'}" in message
    assert "--map customer_id=user" in message


def test_mapping_to_an_absent_column(tmp_path):
    path = write(tmp_path / "tp.csv", HEADER + GOOD)
    message = data_error(path, columns={"customer_id": "client"})
    assert "column 'client' (mapped to customer_id) is not in the file" in message


# -- encodings ------------------------------------------------------------------------------

CP1252 = (HEADER + "José,2024-05-01,visit,café,\n").encode("cp1252")


def test_cp1252_without_encoding_suggests_it(tmp_path):
    message = data_error(write(tmp_path / "tp.csv", CP1252))
    assert "not UTF-8" in message
    assert 'encoding="cp1252"' in message
    assert "[data] encoding" in message


def test_cp1252_with_encoding_loads(tmp_path):
    loaded = ledger(write(tmp_path / "tp.csv", CP1252), encoding="cp1252")
    assert loaded.data.select("customer_id", "channel").row(0) == ("José", "café")


def test_invalid_utf8_far_into_the_file_is_still_a_data_error(tmp_path):
    content = (
        HEADER.encode() + GOOD.encode() * 20_000 + "café,2024-05-01,visit,web,\n".encode("cp1252")
    )
    assert 'encoding="cp1252"' in data_error(write(tmp_path / "tp.csv", content))


def test_utf16_without_encoding_suggests_it(tmp_path):
    path = write(tmp_path / "tp.csv", (HEADER + GOOD).encode("utf-16"))
    assert 'encoding="utf-16"' in data_error(path)
    assert ledger(path, encoding="utf-16").data.height == 1


def test_unknown_encoding(tmp_path):
    path = write(tmp_path / "tp.csv", HEADER + GOOD)
    assert "unknown encoding 'klingon'" in data_error(path, encoding="klingon")


def test_ndjson_in_cp1252(tmp_path):
    line = '{"customer_id": "José", "ts": "2024-05-01", "touchpoint": "visit", "channel": "web"}\n'
    path = write(tmp_path / "tp.ndjson", line.encode("cp1252"))
    assert 'encoding="cp1252"' in data_error(path)
    assert ledger(path, encoding="cp1252").data["customer_id"].to_list() == ["José"]


def test_gzip_of_cp1252(tmp_path):
    path = write(tmp_path / "tp.csv.gz", gzip.compress(CP1252))
    assert ledger(path, encoding="cp1252").data["customer_id"].to_list() == ["José"]


# -- row problems ---------------------------------------------------------------------------


def test_ragged_rows_are_rejected_with_their_row_numbers(tmp_path):
    path = write(
        tmp_path / "tp.csv",
        HEADER
        + GOOD
        + "u2,2024-05-01,visit\n"
        + "u3,2024-05-01,visit,web,,surplus\n"
        + "u4,2024-05-01,visit,web,,\n",
    )
    loaded = ledger(path)
    assert rejected(loaded) == [(2, "*", reasons.RAGGED_ROW), (3, "*", reasons.RAGGED_ROW)]
    assert loaded.rejects["value"].to_list() == [
        "3 fields, the header has 5",
        "more than 5 fields, the header has 5",
    ]
    assert loaded.data["customer_id"].to_list() == ["u1", "u4"]  # empty trailing field: fine


def test_row_numbers_count_data_rows_across_quoted_line_breaks(tmp_path):
    path = write(
        tmp_path / "tp.csv",
        HEADER
        + 'u1,2024-05-01,"visit\nagain",web,\n'
        + "u2,2024-05-01,visit\n"
        + "u3,someday,visit,web,\n",
    )
    assert rejected(ledger(path)) == [
        (2, "*", reasons.RAGGED_ROW),
        (3, "ts", reasons.UNPARSEABLE_TIMESTAMP),
    ]


def test_blank_lines_are_skipped_but_keep_row_numbers_in_step(tmp_path):
    path = write(tmp_path / "tp.csv", HEADER + GOOD + "\n" + "u2,never,visit,web,\n\n")
    loaded = ledger(path)
    assert loaded.read == 2
    assert rejected(loaded) == [(3, "ts", reasons.UNPARSEABLE_TIMESTAMP)]


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "2024-02-30 10:00", "01/05/2024"])
def test_unparseable_timestamps(tmp_path, value):
    loaded = ledger(write(tmp_path / "tp.csv", HEADER + GOOD + f"u2,{value},visit,web,\n"))
    assert rejected(loaded) == [(2, "ts", reasons.UNPARSEABLE_TIMESTAMP)]
    assert loaded.rejects["value"].to_list() == [value]


@pytest.mark.parametrize("value", ["1899-12-31", "2150-01-01T00:00:00Z", "1989-12-31 23:59"])
def test_absurd_timestamps(tmp_path, value):
    loaded = ledger(write(tmp_path / "tp.csv", HEADER + GOOD + f"u2,{value},visit,web,\n"))
    assert rejected(loaded) == [(2, "ts", reasons.ABSURD_TIMESTAMP)]


def test_mixed_offsets_are_not_rejected(tmp_path):
    rows = [
        "u1,2024-05-01T09:00:00+07:00,visit,web,",
        "u2,2024-05-01T09:00:00-05:00,visit,web,",
        "u3,2024-05-01T09:00:00Z,visit,web,",
        "u4,2024-05-01 09:00:00,visit,web,",
    ]
    loaded = ledger(write(tmp_path / "tp.csv", HEADER + "\n".join(rows) + "\n"))
    assert loaded.rejects.height == 0
    assert [t.hour for t in loaded.data["ts"]] == [2, 14, 9, 9]


def test_exact_duplicate_rows_keep_the_first(tmp_path):
    other = "u1,2024-05-01 09:00,visit,app,\n"
    loaded = ledger(write(tmp_path / "tp.csv", HEADER + GOOD + other + GOOD + GOOD))
    assert rejected(loaded) == [(3, "*", reasons.DUPLICATE_ROW), (4, "*", reasons.DUPLICATE_ROW)]
    assert loaded.data["channel"].to_list() == ["web", "app"]


def test_duplicate_customers_keep_the_first_clean_row():
    customers = pl.DataFrame(
        {
            "customer_id": ["a", "b", "a", "c", "c"],
            "signup_ts": ["2024-01-01", "2024-01-02", "2024-01-03", "bad", "2024-01-04"],
        }
    )
    loaded = ledger(customers, read=cx.read_customers)
    assert rejected(loaded) == [
        (3, "customer_id", reasons.DUPLICATE_CUSTOMER_ID),
        (4, "signup_ts", reasons.UNPARSEABLE_TIMESTAMP),
    ]
    assert loaded.data["customer_id"].to_list() == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("-5", reasons.NEGATIVE_REVENUE),
        ("-0.01", reasons.NEGATIVE_REVENUE),
        ("abc", reasons.NON_NUMERIC_REVENUE),
        ("12,50 USD", reasons.NON_NUMERIC_REVENUE),
        ("inf", reasons.NON_NUMERIC_REVENUE),
        ("$5", reasons.NON_NUMERIC_REVENUE),
    ],
)
def test_bad_revenue(value, reason):
    frame = pl.DataFrame(
        {
            "customer_id": ["u1", "u2"],
            "ts": ["2024-05-01"] * 2,
            "touchpoint": ["purchase"] * 2,
            "channel": ["web"] * 2,
            "revenue": ["10", value],
        }
    )
    loaded = ledger(frame)
    assert rejected(loaded) == [(2, "revenue", reason)]
    assert loaded.rejects["value"].to_list() == [value]


@pytest.mark.parametrize("value", ["", "NA", "null", "NaN"])
def test_missing_revenue_is_allowed(value):
    frame = pl.DataFrame(
        {
            "customer_id": ["u1"],
            "ts": ["2024-05-01"],
            "touchpoint": ["visit"],
            "channel": ["web"],
            "revenue": [value],
        }
    )
    assert ledger(frame).data["revenue"].to_list() == [None]


def surveys(survey: list[str], score: list) -> pl.DataFrame:
    n = len(survey)
    return pl.DataFrame(
        {
            "customer_id": [f"u{i}" for i in range(n)],
            "ts": ["2024-05-01"] * n,
            "survey": survey,
            "score": score,
        }
    )


def test_scores_outside_each_survey_scale_are_rejected():
    frame = surveys(
        ["nps", "nps", "nps", "csat", "csat", "ces", "ces", "nps"],
        ["0", "10", "11", "0", "5", "8", "1", "-1"],
    )
    loaded = ledger(frame, read=cx.read_surveys)
    assert rejected(loaded) == [
        (3, "score", reasons.SCORE_OUT_OF_SCALE),
        (4, "score", reasons.SCORE_OUT_OF_SCALE),
        (6, "score", reasons.SCORE_OUT_OF_SCALE),
        (8, "score", reasons.SCORE_OUT_OF_SCALE),
    ]
    assert loaded.data["score"].to_list() == [0.0, 10.0, 5.0, 1.0]


def test_non_numeric_and_missing_scores():
    loaded = ledger(surveys(["nps", "nps", "nps"], ["nine", "", "9"]), read=cx.read_surveys)
    assert rejected(loaded) == [
        (1, "score", reasons.NON_NUMERIC_SCORE),
        (2, "score", reasons.MISSING_SCORE),
    ]


def test_unknown_survey_type():
    loaded = ledger(
        surveys([" NPS ", "ces", "net promoter", ""], ["9", "3", "9", "9"]), read=cx.read_surveys
    )
    assert rejected(loaded) == [
        (3, "survey", reasons.UNKNOWN_SURVEY),
        (4, "survey", reasons.MISSING_SURVEY),
    ]
    assert loaded.rejects["value"].to_list() == ["net promoter", ""]


@pytest.mark.parametrize("value", ["", "   "])
def test_missing_ids(tmp_path, value):
    path = write(tmp_path / "tp.csv", HEADER + GOOD + f"{value},2024-05-01,visit,web,\n")
    assert rejected(ledger(path)) == [(2, "customer_id", reasons.MISSING_CUSTOMER_ID)]


def test_missing_touchpoint_and_channel(tmp_path):
    path = write(tmp_path / "tp.csv", HEADER + "u1,2024-05-01,,web,\nu2,2024-05-01,visit,,\n")
    assert rejected(ledger(path)) == [
        (1, "touchpoint", reasons.MISSING_TOUCHPOINT),
        (2, "channel", reasons.MISSING_CHANNEL),
    ]


def test_first_problem_in_schema_order_is_the_reason(tmp_path):
    path = write(
        tmp_path / "tp.csv",
        HEADER
        + ",never,,web,-3\nu2,never,,web,-3\n"
        + "u3,2024-05-01,,web,-3\nu4,2024-05-01,visit,web,-3\n",
    )
    assert [reason for _, _, reason in rejected(ledger(path))] == [
        reasons.MISSING_CUSTOMER_ID,
        reasons.UNPARSEABLE_TIMESTAMP,
        reasons.MISSING_TOUCHPOINT,
        reasons.NEGATIVE_REVENUE,
    ]


def test_ledger_columns_use_canonical_names_and_source_label(tmp_path):
    path = write(
        tmp_path / "events.csv",
        "user,time,touchpoint,channel\nu1,never,visit,web\n" + "u2,2024-05-01,visit,web\n",
    )
    loaded = ledger(path, columns={"customer_id": "user", "ts": "time"})
    assert loaded.rejects.rows() == [
        (str(path), "touchpoints", 1, "ts", reasons.UNPARSEABLE_TIMESTAMP, "never")
    ]


# -- property: random mixtures always reconcile ---------------------------------------------

CELLS = {  # column -> (good values, bad values with the reason they earn)
    "customer_id": (
        ["u1", "u2"],
        {"": reasons.MISSING_CUSTOMER_ID, "  ": reasons.MISSING_CUSTOMER_ID},
    ),
    "ts": (
        ["2024-05-01 09:00", "2024-05-01T09:00:00+07:00", "2024-05-02"],
        {
            "": reasons.MISSING_TS,
            "soon": reasons.UNPARSEABLE_TIMESTAMP,
            "2024-13-01": reasons.UNPARSEABLE_TIMESTAMP,
            "1900-01-01": reasons.ABSURD_TIMESTAMP,
        },
    ),
    "touchpoint": (["visit", "purchase"], {"": reasons.MISSING_TOUCHPOINT}),
    "channel": (["web", "app"], {"": reasons.MISSING_CHANNEL}),
    "revenue": (["", "1.5"], {"abc": reasons.NON_NUMERIC_REVENUE, "-2": reasons.NEGATIVE_REVENUE}),
}
COLUMNS = list(CELLS)


@st.composite
def csv_rows(draw) -> list[list[str]]:
    rows = []
    for _ in range(draw(st.integers(1, 25))):
        row = [draw(st.sampled_from(CELLS[c][0] + list(CELLS[c][1]))) for c in COLUMNS]
        shape = draw(st.sampled_from(["ok"] * 6 + ["short", "long"]))
        if shape == "short":
            row = row[: draw(st.integers(1, len(COLUMNS) - 1))]
        elif shape == "long":
            row = [*row, "surplus"]
        rows.append(row)
    return rows


def expected_ledger(rows: list[list[str]]) -> tuple[int, list[tuple[int, str]]]:
    """Brute-force reference: data rows read, and (row, reason) of each rejected row."""
    read, rejects, seen = 0, [], set()
    for number, row in enumerate(rows, start=1):
        if all(cell == "" for cell in row):
            continue  # a blank line carries no data
        read += 1
        if len(row) != len(COLUMNS):
            rejects.append((number, reasons.RAGGED_ROW))
            continue
        problems = [
            CELLS[c][1][cell] for c, cell in zip(COLUMNS, row, strict=True) if cell in CELLS[c][1]
        ]
        if problems:
            rejects.append((number, problems[0]))
        elif tuple(row) in seen:
            rejects.append((number, reasons.DUPLICATE_ROW))
        else:
            seen.add(tuple(row))
    return read, rejects


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=csv_rows())
def test_random_good_and_bad_csv_rows_reconcile_and_match_a_reference(rows):
    text = ",".join(COLUMNS) + "\n" + "".join(",".join(row) + "\n" for row in rows)
    read, expected = expected_ledger(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder) / "touchpoints.csv", text)
        if read == 0:
            with pytest.raises(cx.DataError, match="no data rows"):
                cx.read_touchpoints(path)
            return
        loaded = ledger(path)
    assert loaded.read == read
    assert loaded.rejects.select("row", "reason").rows() == expected
    assert loaded.data.height == read - len(expected)


@settings(max_examples=40, deadline=None)
@given(
    answers=st.lists(
        st.tuples(
            st.sampled_from(["nps", "NPS ", "csat", "ces", "xyz", ""]),
            st.one_of(st.integers(-2, 12).map(str), st.sampled_from(["", "n/a", "x", "7.5"])),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_random_survey_answers_never_lose_a_row(answers):
    frame = surveys([a for a, _ in answers], [s for _, s in answers])
    loaded = ledger(frame, read=cx.read_surveys)
    assert loaded.read == len(answers)
    kept = set(range(1, len(answers) + 1)) - set(loaded.rejects["row"].to_list())
    assert loaded.data.height == len(kept)
    for survey in loaded.data["survey"].unique().to_list():
        low, high = SURVEY_SCALES[survey]
        scores = loaded.data.filter(pl.col("survey") == survey)["score"]
        assert low <= scores.min() and scores.max() <= high


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        (["1,250.50", "300"], [1250.5, 300.0]),  # Thai / English thousands
        (["1.250.000", "250.000", "99"], [1250000.0, 250000.0, 99.0]),  # VND
        (["12,50", "1.250,00"], [12.5, 1250.0]),  # European decimal comma
        (["1,250", "1,250,000"], [1250.0, 1250000.0]),
        (["1.25", "3.5"], [1.25, 3.5]),  # a lone dot stays a decimal point
    ],
)
def test_revenue_written_with_thousands_separators_or_decimal_commas(amounts, expected):
    frame = pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(len(amounts))],
            "ts": ["2025-01-01T00:00:00Z"] * len(amounts),
            "touchpoint": ["purchase"] * len(amounts),
            "channel": ["web"] * len(amounts),
            "revenue": amounts,
        }
    )
    assert cx.read_touchpoints(frame)["revenue"].to_list() == expected


@pytest.mark.parametrize("value", ["null", "None", "NaN", "N/A", "\u200b", "\u200b\ufeff "])
def test_a_null_word_or_invisible_id_is_a_missing_customer_id(value):
    frame = pl.DataFrame(
        {
            "customer_id": ["a", value],
            "ts": ["2025-01-01T00:00:00Z"] * 2,
            "touchpoint": ["visit"] * 2,
            "channel": ["web"] * 2,
        }
    )
    loaded = cx.read_touchpoints(frame, with_rejects=True)
    assert loaded.data["customer_id"].to_list() == ["a"]
    assert loaded.rejects.select("row", "reason").rows() == [(2, reasons.MISSING_CUSTOMER_ID)]


def test_control_characters_in_text_reject_the_row_but_tabs_and_newlines_do_not():
    frame = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "ts": ["2025-01-01T00:00:00Z"] * 3,
            "survey": ["nps"] * 3,
            "score": ["9"] * 3,
            "comment": ["fine\tand\nfast", "bad\x00byte", "ok\x1b[31m"],
        }
    )
    loaded = cx.read_surveys(frame, with_rejects=True)
    assert loaded.data["comment"].to_list() == ["fine\tand\nfast"]
    assert set(loaded.rejects["reason"]) == {reasons.CONTROL_CHARACTER}


def test_an_nps_that_is_not_a_whole_number_is_rejected_but_csat_decimals_are_not():
    frame = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "ts": ["2025-01-01T00:00:00Z"] * 3,
            "survey": ["nps", "nps", "csat"],
            "score": [8.7, 9.0, 4.5],
        }
    )
    loaded = cx.read_surveys(frame, with_rejects=True)
    assert loaded.data["customer_id"].to_list() == ["b", "c"]
    assert loaded.rejects.select("row", "reason").rows() == [(1, reasons.SCORE_NOT_WHOLE)]


def test_a_column_twice_in_the_header_is_a_one_line_error(tmp_path):
    path = tmp_path / "touchpoints.csv"
    path.write_text("customer_id,ts,touchpoint,channel,ts\na,2025-01-01,x,web,2025-01-02\n")
    assert "column 'ts' appears more than once in the header" in data_error(path)


def test_a_file_that_cannot_be_opened_is_a_one_line_data_error(tmp_path, monkeypatch):
    path = tmp_path / "touchpoints.csv"
    path.write_text("customer_id,ts,touchpoint,channel\na,2025-01-01T00:00:00Z,x,web\n")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Path, "open", denied)  # root ignores file modes: deny by hand
    assert "cannot be read or written (Permission denied)" in data_error(path)


def test_a_canonical_column_of_lists_is_a_one_line_error_and_other_lists_pass(tmp_path):
    base = {"customer_id": ["a", "b"], "ts": ["2025-01-01T00:00:00Z"] * 2, "channel": ["web"] * 2}
    lists = tmp_path / "touchpoints.parquet"
    pl.DataFrame({**base, "touchpoint": [["x"], ["y"]]}).write_parquet(lists)
    assert "column 'touchpoint' (touchpoint) holds lists or objects" in data_error(lists)
    assert "holds lists" in data_error(lists, lazy=True)
    extra = tmp_path / "extra.parquet"
    pl.DataFrame({**base, "touchpoint": ["x", "y"], "tags": [["a"], []]}).write_parquet(extra)
    for lazy in (False, True):
        loaded = cx.read_touchpoints(extra, lazy=lazy)
        assert (loaded.collect() if lazy else loaded).height == 2
