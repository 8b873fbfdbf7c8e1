"""Day-first and other non-ISO timestamps: ``date_format``, its cx.toml keys, and the hints
that name it when timestamps do not parse."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

import cxlib as cx
from cxlib.io._loaders import RejectedRowsWarning

DAY_FIRST = "%d/%m/%Y %H:%M"


def answers(*timestamps: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [f"u{i}" for i in range(len(timestamps))],
            "ts": list(timestamps),
            "survey": ["nps"] * len(timestamps),
            "score": [9] * len(timestamps),
        }
    )


def write_surveys(folder: Path, *timestamps: str) -> Path:
    path = folder / "surveys.csv"
    answers(*timestamps).write_csv(path)
    return path


def test_day_first_timestamps_are_rejected_without_a_date_format():
    loaded = cx.read_surveys(answers("31/12/2025 14:05", "01/12/2025 09:30"), with_rejects=True)
    assert loaded.data.height == 0
    assert loaded.rejects["reason"].to_list() == ["unparseable timestamp"] * 2


def test_date_format_reads_day_first_local_times_into_utc():
    surveys = cx.read_surveys(
        answers("31/12/2025 14:05", "01/12/2025 09:30"),
        date_format=DAY_FIRST,
        timezone="Asia/Ho_Chi_Minh",
    )
    assert surveys["ts"].to_list() == [
        datetime(2025, 12, 31, 7, 5, tzinfo=UTC),
        datetime(2025, 12, 1, 2, 30, tzinfo=UTC),
    ]


def test_iso_and_epoch_values_still_parse_with_a_date_format():
    surveys = cx.read_surveys(
        answers("31/12/2025 14:05", "2025-12-30T08:00:00Z", "1767139200"), date_format=DAY_FIRST
    )
    assert surveys["ts"].dt.day().to_list() == [31, 30, 31]


def test_values_the_date_format_cannot_read_stay_in_the_ledger():
    loaded = cx.read_surveys(
        answers("31/12/2025 14:05", "31/12/2025", "32/12/2025 10:00", "soon"),
        date_format=DAY_FIRST,
        with_rejects=True,
    )
    assert loaded.data.height + loaded.rejects.height == loaded.read == 4
    assert loaded.rejects["value"].to_list() == ["31/12/2025", "32/12/2025 10:00", "soon"]
    assert set(loaded.rejects["reason"]) == {"unparseable timestamp"}


def test_a_date_format_with_an_offset_honours_each_value_s_offset():
    surveys = cx.read_surveys(
        answers("31/12/2025 14:05 +0700", "31/12/2025 14:05 +0000"),
        date_format="%d/%m/%Y %H:%M %z",
        timezone="Asia/Bangkok",
    )
    assert surveys["ts"].dt.hour().to_list() == [7, 14]


def test_date_format_reads_touchpoints_from_a_file(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("customer_id,ts,touchpoint,channel\nu1,31.12.2025,purchase,web\n")
    touchpoints = cx.read_touchpoints(path, date_format="%d.%m.%Y")
    assert touchpoints.select("ts", "stage").row(0) == (
        datetime(2025, 12, 31, tzinfo=UTC),
        "conversion",
    )


def test_date_format_reads_every_customer_timestamp():
    people = pl.DataFrame(
        {"customer_id": ["u1"], "signup_ts": ["13-01-2025"], "churn_ts": ["14-02-2025"]}
    )
    customers = cx.read_customers(people, date_format="%d-%m-%Y")
    assert customers.select(pl.col("signup_ts", "churn_ts").dt.month()).row(0) == (1, 2)


@pytest.mark.parametrize("date_format", ["DD/MM/YYYY", "%H:%M", "%d/%m", "", 7])
def test_a_date_format_that_cannot_read_a_date_is_a_data_error(date_format):
    with pytest.raises(cx.DataError, match="%d/%m/%Y %H:%M"):
        cx.read_surveys(answers("31/12/2025 14:05"), date_format=date_format)


# -- hints --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamps", "order", "date_format"),
    [
        (("31/12/2025 14:05", "01/12/2025 09:30"), "day-first", "%d/%m/%Y %H:%M"),
        (("31-12-2025", "01-12-2025"), "day-first", "%d-%m-%Y"),
        (("31.12.2025", "01.12.2025"), "day-first", "%d.%m.%Y"),
        (("31/12/2025 14:05:09",), "day-first", "%d/%m/%Y %H:%M:%S"),
        (("12/31/2025 2:05 PM", "12/01/2025 9:30 AM"), "month-first", "%m/%d/%Y %I:%M %p"),
        (("01/02/2025", "03/04/2025"), "day-first or month-first", "%d/%m/%Y"),
    ],
)
def test_explain_rejects_names_the_date_format_of_numeric_dates(timestamps, order, date_format):
    loaded = cx.read_surveys(answers(*timestamps), with_rejects=True)
    explained = cx.io.explain_rejects(loaded.rejects)
    assert explained.select("reason", "rows", "date_format").rows() == [
        ("unparseable timestamp", len(timestamps), date_format)
    ]
    assert explained["hint"][0].startswith(f"values look {order}")
    loaded_again = cx.read_surveys(answers(*timestamps), date_format=date_format)
    assert loaded_again.height == len(timestamps)


def test_explain_rejects_finds_the_day_order_beyond_the_first_days_of_a_month():
    days = [f"{day:02d}/01/2025 10:00" for day in range(1, 29)]  # sorted: days 1-12 first
    loaded = cx.read_surveys(answers(*days), with_rejects=True)
    explained = cx.io.explain_rejects(loaded.rejects, sample=5)
    assert explained["hint"][0].startswith("values look day-first")


def test_explain_rejects_gives_no_date_format_for_text_that_is_no_date():
    loaded = cx.read_surveys(answers("someday", "tomorrow", "31/12/2025"), with_rejects=True)
    explained = cx.io.explain_rejects(loaded.rejects)
    assert explained.select("hint", "date_format").row(0) == (None, None)


@pytest.mark.parametrize(
    ("text", "date_format"),
    [("31/12/2567 14:05", DAY_FIRST), ("29/02/2567 14:05", DAY_FIRST),
     ("2567-12-31T14:05:00+07:00", None), ("2567-12-31 14:05", None)],
)  # fmt: skip
def test_buddhist_era_years_read_as_gregorian(text, date_format):
    loaded = cx.read_surveys(answers(text), date_format=date_format, timezone="Asia/Bangkok")
    ts = loaded["ts"][0]
    assert ts.year == 2024 and ts.hour == 7 and ts.minute == 5  # 14:05 in Bangkok
    assert (ts.month, ts.day) in ((12, 31), (2, 29))  # 2567 is the leap year 2024


def test_explain_rejects_lists_the_known_surveys():
    frame = answers("2025-12-31").with_columns(survey=pl.lit("NPS score"))
    explained = cx.io.explain_rejects(cx.read_surveys(frame, with_rejects=True).rejects)
    assert explained["hint"][0] == "found 'NPS score'; surveys are nps, csat, ces"


def test_explain_rejects_of_an_empty_ledger_is_empty():
    explained = cx.io.explain_rejects(
        cx.read_surveys(answers("2025-12-31"), with_rejects=True).rejects
    )
    assert explained.columns == ["reason", "rows", "hint", "date_format"]
    assert explained.height == 0


def test_the_rejected_rows_warning_names_the_date_format():
    with pytest.warns(RejectedRowsWarning, match="date_format='%d/%m/%Y %H:%M'"):
        cx.read_surveys(answers("31/12/2025 14:05"))


# -- cx.toml ------------------------------------------------------------------------------


def test_cx_toml_date_format_applies_to_every_table(tmp_path):
    write_surveys(tmp_path, "31/12/2025 14:05")
    (tmp_path / "touchpoints.csv").write_text(
        "customer_id,ts,touchpoint,channel\nu0,30/12/2025 10:00,purchase,web\n"
    )
    (tmp_path / "cx.toml").write_text(f'[data]\ndate_format = "{DAY_FIRST}"\n', encoding="utf-8")
    assert cx.read_config(tmp_path).date_format_of("customers") == DAY_FIRST
    ds = cx.load(tmp_path)
    assert (ds.touchpoints.height, ds.surveys.height, ds.rejects.height) == (1, 1, 0)


def test_cx_toml_date_format_per_table(tmp_path):
    write_surveys(tmp_path, "31/12/2025 14:05")
    (tmp_path / "touchpoints.csv").write_text(
        "customer_id,ts,touchpoint,channel\nu0,2025-12-30 10:00,purchase,web\n"
    )
    (tmp_path / "cx.toml").write_text(
        f'[data.date_format]\nsurveys = "{DAY_FIRST}"\n', encoding="utf-8"
    )
    config = cx.read_config(tmp_path)
    assert (config.date_format_of("surveys"), config.date_format_of("touchpoints")) == (
        DAY_FIRST,
        None,
    )
    assert cx.load(tmp_path).surveys.height == 1


def test_cx_load_warning_names_the_cx_toml_fix(tmp_path):
    write_surveys(tmp_path, "31/12/2025 14:05")
    (tmp_path / "touchpoints.csv").write_text(
        "customer_id,ts,touchpoint,channel\nu0,2025-12-30 10:00,purchase,web\n"
    )
    with pytest.warns(RejectedRowsWarning) as caught:
        cx.load(tmp_path)
    assert f'surveys = "{DAY_FIRST}" under [data.date_format]' in str(caught[0].message)


@pytest.mark.parametrize(
    ("toml", "match"),
    [
        ('[data]\ndate_format = "DD/MM/YYYY"\n', r"cx\.toml: \[data\] date format 'DD/MM/YYYY'"),
        ('[data.date_format]\nevents = "%d/%m/%Y"\n', r"events is not a table kind"),
    ],
)
def test_bad_cx_toml_date_format_is_a_data_error(tmp_path, toml, match):
    (tmp_path / "cx.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(cx.DataError, match=match):
        cx.read_config(tmp_path / "cx.toml")


@pytest.mark.parametrize(
    ("policy", "ambiguous_hour", "reasons"),
    [
        ("earliest", 0, [(1, "local time skipped by a daylight-saving change")]),
        ("latest", 1, [(1, "local time skipped by a daylight-saving change")]),
        ("reject", None, [(1, "local time skipped by a daylight-saving change"),
                          (2, "ambiguous local time (occurs twice)")]),
    ],
)  # fmt: skip
def test_wall_times_a_daylight_saving_change_skips_or_repeats(
    tmp_path, policy, ambiguous_hour, reasons
):
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "ts": ["2025-03-30 02:30", "2025-10-26 02:30", "2025-06-01 10:00"],
            "touchpoint": ["visit"] * 3,
            "channel": ["web"] * 3,
        }
    ).write_csv(tmp_path / "touchpoints.csv")
    (tmp_path / "cx.toml").write_text(
        f'[data]\ntimezone = "Europe/Berlin"\nambiguous = "{policy}"\n', encoding="utf-8"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = cx.load(tmp_path / "cx.toml")
    assert ds.rejects.select("row", "reason").rows() == reasons
    loaded = ds.touchpoints.lazy().collect().sort("customer_id")
    repeated = loaded.filter(pl.col("customer_id") == "b")["ts"].dt.hour().to_list()
    assert repeated == ([] if ambiguous_hour is None else [ambiguous_hour])  # UTC hours


def test_ambiguous_must_be_one_of_three_words(tmp_path):
    (tmp_path / "cx.toml").write_text('[data]\nambiguous = "first"\n', encoding="utf-8")
    with pytest.raises(cx.DataError, match='ambiguous must be "earliest", "latest" or "reject"'):
        cx.read_config(tmp_path)
