"""Report text in the reader's language (issue 18, part 6): the catalogs cover every msgid
of cxlib and of the notebooks with the same placeholders, Babel formats numbers, money and
dates for the locale, an unsupported locale is a one-line DataError, and the pieces of a
page (findings, tables, charts, notes, prose) come out translated."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from i18n_msgids import all_msgids, cxlib_msgids, notebook_msgids

import cxlib as cx
from cxlib import i18n
from cxlib.i18n._catalog import catalog
from cxlib.pages import findings, needs
from cxlib.pages._chart_base import localize
from cxlib.pages.tables import table

LANGUAGES = ("vi", "th")
NAMES = {"P(alive)", "gradient boosting"}  # written the same in every language


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.use("en")


def _fields(text: str) -> list[str]:
    return sorted(set(re.findall(r"\{(\w*)\}", text)))


def test_the_extraction_finds_code_notebook_and_needs_msgids():
    """The scan the completeness test relies on sees each kind of msgid."""
    code = cxlib_msgids()
    assert "Of {n} customers who did {step}, {reached}; {drop}." in code  # i18n.t in findings
    assert "Customers reaching each stage" in code  # a chart's default title
    assert "Conversion low" in code  # a column label (N_)
    assert "survey answers" in code  # needs.NEEDS
    notebooks = notebook_msgids()
    assert "Customer journey map" in notebooks["10-journey-map.ipynb"]  # a heading
    assert "Most common journeys" in notebooks["10-journey-map.ipynb"]  # a table title


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_of_the_code_and_the_notebooks_has_a_translation(language):
    translations = catalog(language)
    missing = sorted(m for m in all_msgids() if not translations.get(m))
    assert missing == [], (
        f"{len(missing)} msgids lack a {language} translation (cxlib/i18n/{language}.po)"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_of_their_msgid(language):
    wrong = {
        msgid: text for msgid, text in catalog(language).items() if _fields(msgid) != _fields(text)
    }
    assert wrong == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_are_not_english_left_as_is(language):
    """A translation equal to its msgid is allowed only for names and acronyms."""
    same = {m for m, text in catalog(language).items() if text == m and re.search(r"[a-z]{3}", m)}
    assert same - NAMES == set()


@pytest.mark.parametrize(
    ("locale", "language"),
    [("en", "en"), ("en_US", "en"), ("vi", "vi"), ("vi_VN", "vi"), ("th", "th"), ("th_TH", "th")],
)
def test_use_accepts_the_languages_and_their_locales(locale, language):
    assert i18n.use(locale) == language == i18n.current()


@pytest.mark.parametrize("locale", ["fr", "vi-VN", "", "english"])
def test_an_unsupported_locale_is_a_one_line_data_error(locale):
    with pytest.raises(cx.DataError, match=r"locale .* is not supported; use one of") as err:
        i18n.use(locale)
    assert "\n" not in str(err.value) and '"vi_VN"' in str(err.value)


def test_cx_toml_with_an_unsupported_locale_names_the_file_and_the_values(tmp_path):
    (tmp_path / "cx.toml").write_text('[data]\nlocale = "fr_FR"\n', encoding="utf-8")
    with pytest.raises(cx.DataError) as err:
        cx.read_config(tmp_path / "cx.toml")
    message = str(err.value)
    assert str(tmp_path / "cx.toml") in message and "'fr_FR'" in message
    assert all(f'"{v}"' in message for v in ("en", "vi", "th", "en_US", "vi_VN", "th_TH"))


def test_vietnamese_numbers_use_a_decimal_comma_and_a_dot_for_thousands():
    i18n.use("vi")
    assert i18n.number(1234.5) == "1.235"
    assert i18n.number(1234.5, decimals=1) == "1.234,5"
    assert i18n.percent(0.1234) == "12,3%"


def test_english_and_thai_numbers_use_a_decimal_point():
    for language in ("en", "th"):
        i18n.use(language)
        assert (i18n.number(1234.5), i18n.percent(0.1234, decimals=1)) == ("1,235", "12.3%")


def test_money_follows_the_currency_and_the_language():
    i18n.use("vi")
    assert i18n.money(125000, "VND") == "125.000\xa0₫"  # no decimals for VND
    assert i18n.money(12.5, "USD") == "12,50\xa0US$"
    i18n.use("en")
    assert i18n.money(125000.4, "VND") == "₫125,000"


def test_thai_and_vietnamese_dates_and_periods():
    day = dt.date(2026, 12, 7)
    i18n.use("th")
    assert i18n.date(day) == "7 ธ.ค. 2026"
    assert i18n.period(dt.date(2026, 10, 1), "quarter") == "ไตรมาส 4 2026"
    assert i18n.period(day, "week").startswith("สัปดาห์")
    i18n.use("vi")
    assert i18n.date(day) == "7 thg 12, 2026"
    assert i18n.period(dt.date(2026, 12, 1), "month") == "thg 12 2026"


def test_missing_numbers_never_read_nan_or_none():
    assert {i18n.number(None), i18n.percent(float("nan")), i18n.money(None, "USD")} == {"–"}


def test_findings_are_translated_with_data_values_as_written():
    funnel = pl.DataFrame(
        {
            "step_index": [1, 2],
            "step": ["visit", "purchase"],
            "customers": [1200, 300],
            "conversion": [1.0, 0.25],
            "conversion_low": [1.0, 0.23],
            "conversion_high": [1.0, 0.27],
            "step_conversion": [1.0, 0.25],
        }
    )
    i18n.use("vi")
    text = str(findings.funnel_sentence(funnel, within="7d"))
    assert text.startswith(
        "Trong 1.200 khách hàng đã làm visit, 25,0% (23,0–27,0%) đạt tới purchase"
    )
    assert "trong vòng 7 ngày" in text and "customers" not in text
    i18n.use("th")
    assert "ลูกค้า 1,200 ราย" in str(findings.funnel_sentence(funnel))


def test_tables_translate_headers_notes_and_format_cells():
    frame = pl.DataFrame({"step": ["visit"], "customers": [12345], "conversion": [0.5]})
    i18n.use("vi")
    html = table(frame, title="Most common journeys").to_html()
    assert "Các hành trình phổ biến nhất" in html and "<th>Khách hàng</th>" in html
    assert "12.345" in html and "50,0%" in html
    more = table(pl.DataFrame({"n": list(range(40))}), max_rows=30).to_html()
    assert "10 dòng khác không được hiển thị" in more


def test_charts_translate_titles_and_carry_the_number_locale():
    i18n.use("th")
    spec = localize(
        {
            "title": {"text": "Retention by cohort", "subtitle": "Funnel"},
            "encoding": {"x": {"field": "stage", "title": "Stage"}},
            "data": {"values": [{"stage": "Stage"}]},
        }
    )
    assert spec["title"] == {"text": "การรักษาลูกค้าตามกลุ่มช่วงเริ่มต้น", "subtitle": "ฟันเนล"}
    assert spec["encoding"]["x"]["title"] == "ขั้นตอน"
    assert spec["data"] == {"values": [{"stage": "Stage"}]}  # data as written
    assert spec["config"]["locale"]["number"]["decimal"] == "."


def test_not_available_notes_are_translated():
    i18n.use("vi")
    assert needs.explain("surveys").startswith("cần câu trả lời khảo sát: thêm tệp khảo sát")


def test_notebook_prose_is_translated_blocks_and_headings():
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": "## The conversion funnel\n\nNot a msgid, kept."},
            {"cell_type": "code", "source": "# Customers", "outputs": []},
        ]
    }
    i18n.translate_notebook(notebook, "th")
    assert notebook["cells"][0]["source"] == "## ฟันเนลคอนเวอร์ชัน\n\nNot a msgid, kept."
    assert notebook["cells"][1]["source"] == "# Customers"  # code is not prose


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=False), st.integers(0, 3))
def test_any_finite_number_is_written_in_every_language(value, decimals):
    for language in ("en", "vi", "th"):
        i18n.use(language)
        assert i18n.number(value, decimals=decimals)
        assert i18n.percent(value, decimals=decimals)
        assert i18n.money(value, "VND")
    i18n.use("en")
