"""The commerce and survey-tool export readers: Shopify's orders export (``format="shopify"``)
and the Qualtrics, SurveyMonkey, Google Forms and Typeform survey exports, on small files
written here with the real exports' column names and quirks."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

import cxlib as cx
from cxlib._errors import DataError
from cxlib.io import _exports as exports
from cxlib.io._exports._wide import pick, score_text
from cxlib.io._read import read_raw

SURVEY_TOOLS = ("qualtrics", "surveymonkey", "google_forms", "typeform")


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _loaded_plus_rejected_is_read(loaded: cx.io.Loaded) -> None:
    assert loaded.data.height + loaded.rejects.height == loaded.read


# -- Shopify ------------------------------------------------------------------------------

SHOPIFY_HEADER = (
    "Name,Email,Financial Status,Paid at,Created at,Currency,Subtotal,Shipping,Taxes,Total,"
    "Discount Code,Lineitem quantity,Lineitem name,Lineitem price,Source,Location,Id,Customer ID"
)


def _shopify(path: Path) -> Path:
    """Six orders, one row per line item, order fields on each order's first row only."""
    return _write(
        path,
        [
            SHOPIFY_HEADER,
            "#1001,An@Example.com,paid,2025-01-31 14:06:00 +0700,2025-01-31 14:05:00 +0700,VND,"
            "200000,30000,0,230000,TET,1,Ao dai,150000,web,,5001,",
            "#1001,An@Example.com,,,,,,,,,,1,Non la,50000,,,,",
            "#1002,binh@example.com,refunded,,2025-02-01 09:00:00 +0700,VND,90000,0,0,90000,,2,"
            "Tra,45000,pos,Hanoi Store,5002,7002",
            "#1003,chi@example.com,voided,,2025-02-02 10:00:00 +0700,VND,10000,0,0,10000,,1,"
            "Ca phe,10000,iphone,,5003,7003",
            "#1004,,paid,,2025-02-03 10:00:00 +0700,VND,10000,0,0,10000,,1,Ca phe,10000,"
            "shopify_draft_order,,5004,",
            "#1005,dung@example.com,partially_refunded,2025-02-04 08:01:00 +0700,,VND,50000,0,0,"
            "50000,,3,Banh mi,10000,android,,5005,7005",
            "#1005,dung@example.com,,,,,,,,,,2,Banh bao,10000,,,,",
            "#1005,dung@example.com,,,,,,,,,,1,Tra da,0,,,,",
            "#1006,em@example.com,pending,,2025-02-05 10:00:00 +0700,VND,20000,0,0,20000,,1,"
            "Ca phe,20000,4383523,,5006,",
        ],
    )


def test_shopify_line_items_become_one_touchpoint_per_order(tmp_path):
    loaded = cx.read_touchpoints(_shopify(tmp_path / "orders_export.csv"), format="shopify",
                                 with_rejects=True)  # fmt: skip
    columns = ["customer_id", "ts", "touchpoint", "channel", "revenue", "order_id"]
    assert loaded.data.select(columns).rows() == [
        ("an@example.com", _utc(2025, 1, 31, 7, 5), "purchase", "web", 230000.0, "#1001"),
        ("7002", _utc(2025, 2, 1, 2), "refund", "store", None, "#1002"),
        ("7005", _utc(2025, 2, 4, 1, 1), "purchase", "app", 50000.0, "#1005"),
        ("em@example.com", _utc(2025, 2, 5, 3), "purchase", "web", 20000.0, "#1006"),
    ]
    # one order is one row read: 6 orders from 9 line-item rows
    assert loaded.read == 6
    _loaded_plus_rejected_is_read(loaded)
    assert loaded.rejects.select("row", "column", "reason", "value").rows() == [
        (4, "*", "voided order (never paid)", "voided"),  # never paid: not a purchase
        (5, "customer_id", "missing customer_id", None),  # neither Customer ID nor Email
    ]


def test_shopify_keeps_the_email_and_order_details_as_properties(tmp_path):
    path = _shopify(tmp_path / "orders.csv")
    orders = cx.read_touchpoints(path, format="shopify", with_rejects=True).data
    first = orders.row(0, named=True)
    assert first["email"] == "An@Example.com"  # for identity stitching, as written
    assert (first["currency"], first["discount_code"]) == ("VND", "TET")
    assert (first["line_items"], first["quantity"], first["financial_status"]) == (2, 2.0, "paid")
    refund = orders.row(1, named=True)
    assert (refund["order_total"], refund["location"], refund["source_name"]) == (
        "90000", "Hanoi Store", "pos",
    )  # fmt: skip


def test_shopify_daily_exports_read_as_one_table_keep_each_files_orders(tmp_path):
    for day in ("2025-02-01", "2025-02-02"):
        _write(
            tmp_path / f"orders_{day}.csv",
            [
                SHOPIFY_HEADER,
                f"#1001,a@example.com,paid,,{day} 10:00:00 +0700,VND,1,0,0,5,,1,X,1,web,,1,",
                "#1001,a@example.com,,,,,,,,,,1,Y,4,,,,",
            ],
        )
    orders = cx.read_touchpoints(tmp_path / "orders_*.csv", format="shopify")
    assert orders.select("order_id", "revenue", "line_items").rows() == [
        ("#1001", 5.0, 2), ("#1001", 5.0, 2),
    ]  # fmt: skip
    assert orders["ts"].to_list() == [_utc(2025, 2, 1, 3), _utc(2025, 2, 2, 3)]


def test_shopify_order_without_a_number_is_rejected_not_merged(tmp_path):
    path = _write(
        tmp_path / "orders.csv",
        [
            SHOPIFY_HEADER,
            ",a@example.com,paid,,2025-01-31 14:05:00 +0700,VND,1,0,0,1,,1,X,1,web,,1,",
            ",b@example.com,paid,,2025-01-31 15:05:00 +0700,VND,2,0,0,2,,1,Y,2,web,,2,",
        ],
    )
    loaded = cx.read_touchpoints(path, format="shopify", with_rejects=True)
    assert loaded.read == 2
    assert loaded.rejects["reason"].to_list() == ["line item without an order number (Name)"] * 2


# -- Qualtrics ----------------------------------------------------------------------------


def _qualtrics(path: Path) -> Path:
    header = (
        "StartDate,EndDate,Status,Progress,Duration (in seconds),Finished,RecordedDate,"
        "ResponseId,RecipientEmail,ExternalReference,Q1_NPS_GROUP,Q1,Q2,Q3"
    )
    texts = (
        "Start Date,End Date,Response Type,Progress,Duration (in seconds),Finished,Recorded Date,"
        "Response ID,Recipient Email,External Data Reference,"
        "How likely are you to recommend Acme to a friend? - Group,"
        "How likely are you to recommend Acme to a friend?,"
        "What is the main reason for your score?,How satisfied were you with the delivery?"
    )
    ids = ",".join(
        f'"{{""ImportId"":""{i}""}}"'
        for i in ("startDate", "endDate", "status", "progress", "duration", "finished",
                  "recordedDate", "_recordId", "recipientEmail", "externalDataReference",
                  "QID1_NPS_GROUP", "QID1", "QID2_TEXT", "QID3")
    )  # fmt: skip
    return _write(
        path,
        [
            header,
            texts,
            ids,
            "2025-01-31 14:05:00,2025-01-31 14:07:00,IP Address,100,120,True,2025-01-31 14:07:01,"
            'R_1,An@example.com,,Promoter,10 - Extremely likely,"Fast, friendly",5',
            "2025-02-01 09:00:00,2025-02-01 09:02:00,IP Address,100,120,True,2025-02-01 09:02:01,"
            "R_2,,C42,Detractor,3,Late again,9",
            "2025-02-02 09:00:00,2025-02-02 09:02:00,IP Address,100,120,True,2025-02-02 09:02:01,"
            "R_3,,,,,,4",
        ],
    )


def test_qualtrics_header_rows_are_skipped_and_answers_made_long(tmp_path):
    loaded = cx.read_surveys(_qualtrics(tmp_path / "qualtrics.csv"), format="qualtrics",
                             with_rejects=True)  # fmt: skip
    columns = ["customer_id", "ts", "survey", "score", "comment", "response_id"]
    assert loaded.data.select(columns).rows() == [
        ("an@example.com", _utc(2025, 1, 31, 14, 7, 1), "nps", 10.0, "Fast, friendly", "R_1"),
        ("an@example.com", _utc(2025, 1, 31, 14, 7, 1), "csat", 5.0, None, "R_1"),
        ("C42", _utc(2025, 2, 1, 9, 2, 1), "nps", 3.0, "Late again", "R_2"),
        ("R_3", _utc(2025, 2, 2, 9, 2, 1), "csat", 4.0, None, "R_3"),  # anonymous: its response
    ]
    assert loaded.data["question"][0] == "How likely are you to recommend Acme to a friend?"
    # cx init writes the picks by their question text (Q1, Q2 say nothing to a reader)
    assert exports.chosen("qualtrics", read_raw(tmp_path / "qualtrics.csv")) == {
        "nps": "How likely are you to recommend Acme to a friend?",
        "csat": "How satisfied were you with the delivery?",
        "comment": "What is the main reason for your score?",
    }
    # the two header rows are not read; each response is read once per picked question
    assert loaded.read == 3 * 2
    _loaded_plus_rejected_is_read(loaded)
    assert loaded.rejects.select("row", "column", "reason", "value").rows() == [
        (4, "score", "score out of scale", "9"),  # CSAT is 1-5; row 4 = the 2nd response
        (5, "score", "missing score", None),  # R_3 skipped the NPS question
    ]


# -- SurveyMonkey -------------------------------------------------------------------------


def _surveymonkey(path: Path) -> Path:
    nps = "How likely is it that you would recommend this company to a friend or colleague?"
    return _write(
        path,
        [
            "Respondent ID,Collector ID,Start Date,End Date,IP Address,Email Address,First Name,"
            f"Last Name,Custom Data 1,Which of our services did you use?,,,{nps},"
            "What is the primary reason for your score?,"
            "How easy was it to get your issue resolved?",
            ",,,,,,,,,Delivery,Returns,Other (please specify),Response,Open-Ended Response,"
            "Response",
            "114000001,4000001,01/31/2025 02:00:00 PM,01/31/2025 02:05:00 PM,1.2.3.4,"
            "An@example.com,An,Nguyen,,Delivery,,,Extremely likely (10),Great service,6 - Easy",
            "114000002,4000001,02/01/2025 09:00:00 AM,02/01/2025 09:01:00 AM,1.2.3.5,,,,,,"
            "Returns,slow refund,0 - Not at all likely,,Very easy",
        ],
    )


def test_surveymonkey_two_row_header_and_scores_written_with_labels(tmp_path):
    # a question with several answers leaves blank header cells: read as "column 11", ...
    loaded = cx.read_surveys(_surveymonkey(tmp_path / "monkey.csv"), format="surveymonkey",
                             with_rejects=True)  # fmt: skip
    columns = ["customer_id", "ts", "survey", "score", "comment"]
    assert loaded.data.select(columns).rows() == [
        ("an@example.com", _utc(2025, 1, 31, 14, 5), "nps", 10.0, "Great service"),
        ("an@example.com", _utc(2025, 1, 31, 14, 5), "ces", 6.0, None),
        ("114000002", _utc(2025, 2, 1, 9, 1), "nps", 0.0, None),
    ]
    assert loaded.read == 4  # the sub-answer row is a header row, not read
    _loaded_plus_rejected_is_read(loaded)
    assert loaded.rejects.select("row", "reason", "value").rows() == [
        (3, "non-numeric score", "Very easy"),
    ]


def test_surveymonkey_questions_are_picked_with_their_sub_answers(tmp_path):
    raw = read_raw(_surveymonkey(tmp_path / "monkey.csv"))
    assert exports.chosen("surveymonkey", raw) == {
        "nps": "How likely is it that you would recommend this company to a friend or colleague?",
        "ces": "How easy was it to get your issue resolved?",
        "comment": "What is the primary reason for your score?",  # its "Open-Ended Response"
    }


@pytest.mark.parametrize(
    ("question", "picked"),
    [
        ("How likely are you to recommend us?", "nps"),
        ("How easily did you find what you needed?", "ces"),
        ("Which of our services did you use?", None),  # "ces" only as a word
        ("Overall, how satisfied are you?", "csat"),
        ("Bạn hài lòng với dịch vụ như thế nào?", "csat"),
        ("Đặt hàng có dễ dàng không?", "ces"),
        ("การสั่งซื้อง่ายไหม", "ces"),
        ("คุณจะแนะนำเราให้เพื่อนไหม", "nps"),
        ("ข้อเสนอแนะเพิ่มเติม", "comment"),  # suggestions, not "แนะนำ" (recommend)
        ("Why did you give this score?", "comment"),
        ("What is your postcode?", None),
    ],
)
def test_questions_are_picked_by_their_words_in_three_languages(question, picked):
    assert list(pick("form.csv", {question: question})) == ([picked] if picked else [])


# -- Google Forms -------------------------------------------------------------------------

GF_NPS = "Bạn có sẵn lòng giới thiệu cửa hàng cho bạn bè không?"
GF_CSAT = "คุณพอใจกับบริการของเรามากแค่ไหน"
GF_COMMENT = "Bạn có góp ý gì thêm không?"


def _google_forms(path: Path, more: int = 0) -> Path:
    """Three responses (one NPS of 11), and ``more`` plain ones after them."""
    return _write(
        path,
        [
            f"Timestamp,Email address,{GF_NPS},{GF_CSAT},{GF_COMMENT}",
            "31/01/2025 14:05:00,an@example.com,9,4,Rất tốt",
            "01/02/2025 09:00:00,binh@example.com,11,5,ดีมาก",
            "13/02/2025 09:00:00,Chi@Example.com,6 - Có thể,3,",
            *(f"{14 + i % 10}/02/2025 10:00:00,p{i}@example.com,{i % 11},{1 + i % 5},"
              for i in range(more)),
        ],
    )  # fmt: skip


def test_google_forms_questions_in_vietnamese_and_thai_are_picked(tmp_path):
    loaded = cx.read_surveys(_google_forms(tmp_path / "form.csv"), format="google_forms",
                             date_format="%d/%m/%Y %H:%M:%S", with_rejects=True)  # fmt: skip
    columns = ["customer_id", "ts", "survey", "score", "comment", "question"]
    assert loaded.data.select(columns).rows() == [
        ("an@example.com", _utc(2025, 1, 31, 14, 5), "nps", 9.0, "Rất tốt", GF_NPS),
        ("an@example.com", _utc(2025, 1, 31, 14, 5), "csat", 4.0, None, GF_CSAT),
        ("binh@example.com", _utc(2025, 2, 1, 9), "csat", 5.0, "ดีมาก", GF_CSAT),
        ("chi@example.com", _utc(2025, 2, 13, 9), "nps", 6.0, None, GF_NPS),
        ("chi@example.com", _utc(2025, 2, 13, 9), "csat", 3.0, None, GF_CSAT),
    ]
    assert loaded.read == 6
    _loaded_plus_rejected_is_read(loaded)
    assert loaded.rejects.select("row", "reason", "value").rows() == [
        (2, "score out of scale", "11"),  # NPS is 0-10
    ]


def test_picked_questions_are_overridden_by_the_column_mapping(tmp_path):
    path = _google_forms(tmp_path / "form.csv")
    surveys = cx.read_surveys(
        path, format="google_forms", date_format="%d/%m/%Y %H:%M:%S",
        columns={"nps": "", "ces": GF_CSAT, "comment": ""},
    )  # fmt: skip
    assert surveys["survey"].to_list() == ["ces"] * 3
    assert surveys["score"].to_list() == [4.0, 5.0, 3.0]
    assert surveys["comment"].null_count() == 3
    with pytest.raises(DataError, match=r"nps = 'How likely' \(in \[columns.surveys\]\) is not a"):
        cx.read_surveys(path, format="google_forms", columns={"nps": "How likely"})


def test_a_form_without_a_score_question_is_a_data_error(tmp_path):
    path = _write(tmp_path / "form.csv", ["Timestamp,What did you buy?", "2025-01-31 14:05:00,tea"])
    with pytest.raises(DataError, match=r"no NPS, CSAT or CES question found.*nps = "):
        cx.read_surveys(path, format="google_forms")


# -- Typeform -----------------------------------------------------------------------------


def test_typeform_uses_the_hidden_email_and_the_submit_time(tmp_path):
    path = _write(
        tmp_path / "typeform.csv",
        [
            "#,How likely are you to recommend us to a friend?,How easy was it to place your order?"
            ",Anything else you'd like to tell us?,email,Start Date (UTC),Submit Date (UTC),"
            "Network ID,Tags",
            "abc123,8,5,Nice shop,An@example.com,2025-01-31 14:00:00,2025-01-31 14:05:00,f00,",
            "def456,10,,,,2025-02-01 09:00:00,2025-02-01 09:01:00,f01,",
        ],
    )
    loaded = cx.read_surveys(path, format="typeform", with_rejects=True)
    columns = ["customer_id", "ts", "survey", "score", "comment", "email", "response_id"]
    assert loaded.data.select(columns).rows() == [
        ("an@example.com", _utc(2025, 1, 31, 14, 5), "nps", 8.0, "Nice shop", "An@example.com",
         "abc123"),
        ("an@example.com", _utc(2025, 1, 31, 14, 5), "ces", 5.0, None, "An@example.com", "abc123"),
        ("def456", _utc(2025, 2, 1, 9, 1), "nps", 10.0, None, None, "def456"),
    ]  # fmt: skip
    assert loaded.rejects.select("row", "reason").rows() == [(2, "missing score")]
    _loaded_plus_rejected_is_read(loaded)


# -- scores, detection, cx init -----------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "number"),
    [("9", "9"), ("9 - Very likely", "9"), ("Extremely likely (10)", "10"),
     ("0 - Not at all likely", "0"), ("4,5", "4,5"), ("Very easy", "Very easy"), ("", "")],
)  # fmt: skip
def test_scores_written_with_their_label_are_read_as_their_number(answer, number):
    frame = pl.DataFrame({"answer": [answer]})
    assert frame.select(score_text("answer")).item() == number


def test_each_export_is_recognized_and_nothing_else_is(tmp_path):
    files = {
        "shopify": _shopify(tmp_path / "orders.csv"),
        "qualtrics": _qualtrics(tmp_path / "qualtrics.csv"),
        "surveymonkey": _surveymonkey(tmp_path / "monkey.csv"),
        "google_forms": _google_forms(tmp_path / "form.csv"),
    }
    for name, path in files.items():
        columns = read_raw(path).columns
        kind = exports.FORMATS[name].kind
        assert exports.detect(kind, columns) == name
        others = [f for f in ("shopify", *SURVEY_TOOLS) if f != name]
        assert not any(exports.FORMATS[other].detect(columns) for other in others), name
    typeform = ("#", "How likely are you to recommend us?", "email", "Submit Date (UTC)",
                "Network ID")  # fmt: skip
    assert exports.detect("surveys", typeform) == "typeform"
    for table in ("touchpoints", "surveys", "customers"):
        columns = read_raw(f"data/sample/{table}.parquet").columns
        assert not any(exports.FORMATS[name].detect(columns) for name in ("shopify", *SURVEY_TOOLS))


def test_cx_init_on_shopify_orders_and_a_google_form_writes_formats_and_loads(tmp_path):
    _shopify(tmp_path / "orders_export.csv")
    _google_forms(tmp_path / "form_responses.csv", more=30)  # one NPS of 11 in 33 answers
    cx.io.write_config(cx.io.infer_project(tmp_path), tmp_path / "cx.toml")
    doc = tomllib.loads((tmp_path / "cx.toml").read_text(encoding="utf-8"))
    assert doc["formats"] == {"touchpoints": "shopify", "surveys": "google_forms"}
    # the picked questions are written as settings, to be confirmed
    assert doc["columns"]["surveys"] == {"nps": GF_NPS, "csat": GF_CSAT, "comment": GF_COMMENT}
    with pytest.warns(cx.io.RejectedRowsWarning):
        dataset = cx.load(tmp_path / "cx.toml")
    touchpoints = dataset.touchpoints.lazy().collect()
    surveys = dataset.surveys.lazy().collect()
    assert touchpoints["order_id"].to_list() == ["#1001", "#1002", "#1005", "#1006"]
    assert surveys.height == 5 + 2 * 30
    assert surveys["comment"].drop_nulls().to_list() == ["Rất tốt", "ดีมาก"]
    assert sorted(dataset.rejects["reason"]) == [
        "missing customer_id", "score out of scale", "voided order (never paid)",
    ]  # fmt: skip
