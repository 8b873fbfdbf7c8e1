"""Inferring a project's settings from its files (``cx.io.infer_project``, ``cx init``), and
the two loader behaviours it relies on: ``[channels.normalize]`` applied at load and
``[churn] label = ""`` meaning no label column."""

from __future__ import annotations

import json
import tomllib
import warnings
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

import cxlib as cx
from cxlib.io._discover import detect_timestamps, profile_file
from cxlib.io._synonyms import canonical_channel, is_friction, normalize_name, role_of

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


# -- vocabulary ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "normalized"),
    [("userId", "user id"), ("user_pseudo_id", "user pseudo id"), ("Total (VND)", "total vnd")],
)
def test_names_are_compared_as_lower_case_words(column, normalized):
    assert normalize_name(column) == normalized


@pytest.mark.parametrize(
    ("raw", "channel"),
    [
        ("WEB", "web"),
        ("Web", "web"),
        ("desktop", "web"),
        ("mobile web", "web"),
        ("Online Store", "web"),
        ("IOS", "app"),
        ("ANDROID", "app"),
        ("mobile app", "app"),
        ("POS", "store"),
        ("offline", "store"),
        ("in-store", "store"),
        ("cửa hàng", "store"),
        ("E-mail", "email"),
        ("Facebook", "social"),
        ("call center", "call_center"),
        ("Zalo", "chat"),
        ("server", None),
    ],
)
def test_raw_channel_values_get_their_report_names(raw, channel):
    assert canonical_channel(raw) == channel


@pytest.mark.parametrize(
    ("event", "role"),
    [
        ("session_start", "visit"),
        ("page_view", "visit"),
        ("view_item_list", "browsing"),
        ("add_to_cart", "browsing"),
        ("Product Added", "browsing"),
        ("begin_checkout", "buying"),
        ("add_payment_info", "buying"),
        ("Order Completed", "buying"),
        ("purchase", "buying"),
        ("refund", "support"),
        ("Order Refunded", "support"),
        ("sign_up", "visit"),
        ("Product Reviewed", "advocacy"),
        ("thêm vào giỏ hàng", "browsing"),
        ("thanh toán", "buying"),
        ("ชำระเงิน", "buying"),
        ("รีวิว", "advocacy"),
        ("ad_impression", "awareness"),
    ],
)
def test_event_names_of_ga4_segment_and_three_languages_have_a_role(event, role):
    assert role_of(event) == role


@pytest.mark.parametrize(
    "event",
    ["payment_failed", "late_delivery", "Order Cancelled", "checkout_error", "card_declined",
     "support_unresolved", "session_timeout", "thanh toán lỗi", "ยกเลิกคำสั่งซื้อ"],
)  # fmt: skip
def test_failure_words_make_friction(event):
    assert is_friction(event)


@pytest.mark.parametrize("event", ["purchase", "view_item", "translate", "calendar_view"])
def test_ordinary_events_are_not_friction(event):
    assert not is_friction(event)


# -- timestamps ---------------------------------------------------------------------------


def test_day_first_text_is_detected_with_its_format():
    guess = detect_timestamps(
        pl.Series(["31/12/2025 14:05", "01/02/2025 09:30", "13/01/2025 08:00"])
    )
    assert (guess.what, guess.date_format, guess.naive, guess.ambiguous) == (
        "day-first text",
        "%d/%m/%Y %H:%M",
        True,
        False,
    )


def test_day_first_without_a_telling_day_is_flagged_ambiguous():
    guess = detect_timestamps(pl.Series(["01/02/2025", "03/04/2025"]))
    assert guess.date_format == "%d/%m/%Y" and guess.ambiguous


def test_month_first_text_gets_the_month_first_format():
    guess = detect_timestamps(pl.Series(["12/31/2025 2:05 PM", "01/15/2025 9:30 AM"]))
    assert guess.date_format == "%m/%d/%Y %I:%M %p"


@pytest.mark.parametrize(
    ("value", "what"),
    [
        (1_740_819_600, "epoch seconds"),
        (1_740_819_600_000, "epoch milliseconds"),
        (1_740_819_600_000_000, "epoch microseconds"),
        ("1740819600000000", "epoch microseconds"),
    ],
)
def test_epoch_numbers_are_told_apart_by_size(value, what):
    guess = detect_timestamps(pl.Series([value]))
    assert guess.what == what and guess.parsed == 1.0 and not guess.naive


def test_epoch_nanoseconds_are_recognized_but_do_not_read():
    guess = detect_timestamps(pl.Series([1_740_819_600_000_000_000]))
    assert guess.what == "epoch nanoseconds" and guess.parsed == 0.0


@pytest.mark.parametrize(
    ("value", "naive"),
    [
        ("2025-03-01T09:00:00Z", False),
        ("2024-01-05 10:23:45 +0700", False),
        ("2025-03-01 09:00", True),
    ],
)
def test_iso_text_is_read_by_the_built_in_formats(value, naive):
    guess = detect_timestamps(pl.Series([value]))
    assert guess.date_format is None and guess.naive is naive and guess.parsed == 1.0


def test_words_are_not_timestamps():
    assert detect_timestamps(pl.Series(["visit", "purchase"])) is None


# -- tables and columns -------------------------------------------------------------------


def test_a_table_is_recognized_by_its_columns_not_its_file_name(tmp_path):
    path = tmp_path / "export_2025.csv"
    pl.DataFrame(
        {
            "respondent": ["a", "b", "c"],
            "answered": ["2025-03-01 09:00"] * 3,
            "nps_score": [9, 3, 10],
            "why": ["good", "slow", "great"],
        }
    ).write_csv(path)
    guess = profile_file(path, tmp_path)
    assert guess.kind == "surveys"
    assert guess.source_of("score") == "nps_score" and guess.source_of("comment") == "why"


def test_survey_answers_with_touchpoint_columns_and_a_bad_score_are_still_surveys(tmp_path):
    path = tmp_path / "answers.parquet"
    pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(40)],
            "ts": [START] * 40,
            "survey": ["nps"] * 40,
            "score": [float(i % 11) for i in range(39)] + [11.0],  # one out of scale
            "touchpoint": ["checkout"] * 40,
            "channel": ["web"] * 40,
        }
    ).write_parquet(path)
    assert profile_file(path, tmp_path).kind == "surveys"


def test_a_column_with_gaps_loses_to_one_set_on_every_row(tmp_path):
    path = tmp_path / "track.ndjson"
    rows = [
        {"userId": f"u{i}" if i % 2 else None, "anonymousId": f"a{i % 4}", "event": "Signed Up",
         "timestamp": "2025-03-01T09:00:00Z", "channel": "web"}
        for i in range(8)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    guess = profile_file(path, tmp_path)
    assert guess.source_of("customer_id") == "anonymousId"
    assert "userId (50% set)" in guess.choices["customer_id"].evidence


def test_a_nested_field_is_mapped_and_loaded_as_a_dotted_column(tmp_path):
    rows = [
        {"userId": f"u{i}", "event": "Order Completed", "timestamp": "2025-03-01T09:00:00Z",
         "context": {"channel": "web", "page": {"path": "/cart"}},
         "properties": {"revenue": 10.0 + i}}
        for i in range(3)
    ]  # fmt: skip
    (tmp_path / "segment.ndjson").write_text("".join(json.dumps(r) + "\n" for r in rows))
    draft = cx.io.infer_project(tmp_path)
    choices = draft.tables["touchpoints"].choices
    assert choices["channel"].source == "context.channel" and choices["channel"].todo is None
    assert choices["revenue"].source == "properties.revenue"
    cx.io.write_config(draft, tmp_path / "cx.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        touchpoints = cx.load(tmp_path / "cx.toml").touchpoints.lazy().collect()
    assert touchpoints["channel"].to_list() == ["web"] * 3
    assert touchpoints["revenue"].sort().to_list() == [10.0, 11.0, 12.0]


def test_more_files_of_one_kind_are_listed_and_the_event_stream_is_chosen(tmp_path):
    events = {
        "user_id": ["a", "a", "b"],
        "event_time": ["2025-03-01 09:00", "2025-03-01 09:05", "2025-03-02 10:00"],
        "event_name": ["page_view", "purchase", "page_view"],
        "platform": ["web"] * 3,
    }
    pl.DataFrame(events).write_parquet(tmp_path / "events.parquet")
    pl.DataFrame(
        {"customer": ["a", "b"], "order_date": ["2025-03-01", "2025-03-02"], "amount": [10.0, 20.0]}
    ).write_csv(tmp_path / "orders.csv")
    (tmp_path / "notes.xlsx").write_bytes(b"PK\x03\x04")
    draft = cx.io.infer_project(tmp_path)
    assert draft.tables["touchpoints"].path.name == "events.parquet"
    assert [p.name for p in draft.others["touchpoints"]] == ["orders.csv"]
    assert any("notes.xlsx" in note for note in draft.notes)


def test_not_a_folder_is_a_data_error(tmp_path):
    with pytest.raises(cx.DataError, match="not a folder"):
        cx.io.infer_project(tmp_path / "nowhere")


# -- the journey, channels and churn from the loaded rows ---------------------------------


def _clickstream(customers: int = 30) -> pl.DataFrame:
    rows = []
    for c in range(customers):
        for visit in range(3):
            at = START + timedelta(days=c % 5 + 20 * visit)
            steps = ["page_view", "view_item", "add_to_cart", "purchase"][: 2 + (c + visit) % 3]
            if c % 7 == 0:
                steps.append("payment_failed")
            for i, step in enumerate(steps):
                rows.append(
                    (f"c{c}", at + timedelta(minutes=i), step, ["WEB", "IOS", "POS"][c % 3])
                )
    return pl.DataFrame(
        rows, schema=["user_id", "event_time", "event_name", "source"], orient="row"
    )


def test_stages_conversion_friction_and_channels_come_from_the_data(tmp_path):
    _clickstream().write_parquet(tmp_path / "events.parquet")
    draft = cx.io.infer_project(tmp_path)
    assert draft.conversion == "purchase"
    assert draft.friction == ["payment_failed"]
    assert draft.stage_mapping == {
        "page_view": "consideration",
        "view_item": "consideration",
        "add_to_cart": "consideration",
        "purchase": "conversion",
        "payment_failed": "conversion",
    }
    assert draft.channel_map == {"WEB": "web", "IOS": "app", "POS": "store"}
    assert draft.channel_groups == {"online": ["web", "app"], "store": ["store"]}
    assert draft.timezone is None  # native timestamps with a time zone


def test_other_stage_models_place_the_same_roles(tmp_path):
    _clickstream().write_parquet(tmp_path / "events.parquet")
    draft = cx.io.infer_project(tmp_path, model="4-stage")
    assert draft.stage_mapping["view_item"] == "engagement"
    assert draft.stage_mapping["purchase"] == "transaction"


def test_unknown_touchpoints_are_listed_for_the_analyst(tmp_path):
    frame = _clickstream().with_columns(
        pl.col("event_name").replace({"add_to_cart": "zq_widget_42"})
    )
    frame.write_parquet(tmp_path / "events.parquet")
    draft = cx.io.infer_project(tmp_path)
    assert [name for name, _ in draft.unplaced] == ["zq_widget_42"]


def test_without_a_known_conversion_the_event_with_revenue_is_the_guess(tmp_path):
    frame = _clickstream().with_columns(
        pl.col("event_name").replace({"purchase": "zq_done"}),
        pl.when(pl.col("event_name") == "purchase").then(9.5).alias("value"),
    )
    frame.write_parquet(tmp_path / "events.parquet")
    draft = cx.io.infer_project(tmp_path)
    assert draft.conversion == "zq_done"
    assert draft.conversion_note.startswith("a guess")


def _purchases(customers: int, every: int, times: int) -> pl.DataFrame:
    """Customer ``c`` buys ``times`` times, every ``every + c % 5`` days."""
    rows = [
        (f"c{c}", START + timedelta(days=(every + c % 5) * k), "purchase", "web")
        for c in range(customers)
        for k in range(times)
    ]
    return pl.DataFrame(
        rows, schema=["user_id", "event_time", "event_name", "channel"], orient="row"
    )


def test_inactivity_days_are_the_90th_percentile_of_repeat_purchase_gaps_in_whole_weeks(tmp_path):
    _purchases(30, every=10, times=5).write_parquet(tmp_path / "events.parquet")
    draft = cx.io.infer_project(tmp_path)
    gaps = pl.Series([float(10 + c % 5) for c in range(30) for _ in range(4)])
    quantile = gaps.quantile(0.9, interpolation="linear")  # 14 days
    assert draft.inactivity_days == 14
    assert (
        f"120 gaps between consecutive conversion days of repeat customers is {quantile:.1f}"
        in (draft.churn_note)
    )


def test_inactivity_days_leave_half_the_span_to_follow_up(tmp_path):
    _purchases(30, every=40, times=3).write_parquet(tmp_path / "events.parquet")
    draft = cx.io.infer_project(tmp_path)
    span = 2 * 44  # days from the first purchase to the last
    assert draft.inactivity_days == span // 2 // 7 * 7
    assert "capped at" in draft.churn_note


def test_a_churn_column_on_customers_is_the_label(tmp_path):
    _clickstream().write_parquet(tmp_path / "events.parquet")
    pl.DataFrame({"customer_id": ["c1", "c2", "c3"], "is_churned": ["yes", "no", "no"]}).write_csv(
        tmp_path / "crm.csv"
    )
    draft = cx.io.infer_project(tmp_path)
    assert draft.tables["customers"].source_of("churned") == "is_churned"
    assert (draft.churn_label, draft.inactivity_days) == ("churned", None)


def test_currency_from_a_column_name_sets_the_time_zone_guess(tmp_path):
    pl.DataFrame(
        {
            "Customer": ["KH1", "KH2", "KH1"],
            "Order Date": ["31/12/2025 14:05", "01/12/2025 09:00", "02/12/2025 10:00"],
            "Total (VND)": ["100000", "250000", "90000"],
            "Store": ["POS", "POS", "Online"],
        }
    ).write_csv(tmp_path / "orders.csv")
    draft = cx.io.infer_project(tmp_path)
    assert (draft.currency, draft.timezone, draft.locale) == ("VND", "Asia/Ho_Chi_Minh", "vi_VN")
    assert draft.tables["touchpoints"].date_format == "%d/%m/%Y %H:%M"


# -- what the loaders do with the written keys --------------------------------------------


def _project(tmp_path, extra: str) -> None:
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "ts": ["2025-03-01 09:00"] * 3,
            "touchpoint": ["visit"] * 3,
            "channel": ["WEB", "IOS", "kiosk"],
        }
    ).write_csv(tmp_path / "touchpoints.csv")
    (tmp_path / "cx.toml").write_text(extra)


def test_loading_applies_the_channel_normalization_and_keeps_other_values(tmp_path):
    _project(tmp_path, '[channels.normalize]\nWEB = "web"\nIOS = "app"\n')
    for lazy in (False, True):
        touchpoints = cx.load(tmp_path, lazy=lazy).touchpoints.lazy().collect()
        assert touchpoints["channel"].to_list() == ["web", "app", "kiosk"]


def test_an_empty_churn_label_means_no_label_column(tmp_path):
    _project(tmp_path, '[churn]\nlabel = ""\ninactivity_days = 60\n')
    config = cx.read_config(tmp_path / "cx.toml")
    assert (config.churn_label, config.churn_inactivity_days) == (None, 60)


def test_the_written_config_is_valid_toml_with_evidence_and_todos(tmp_path):
    frame = _clickstream().with_columns(pl.col("source").replace({"POS": "server"}))
    frame.write_parquet(tmp_path / "events.parquet")
    draft = cx.io.infer_project(tmp_path)
    out = cx.io.write_config(draft, tmp_path / "cx.toml", funnel=["view_item", "purchase"])
    text = out.read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    assert doc["columns"]["touchpoints"]["customer_id"] == "user_id"
    assert 'ts = "event_time"' in text and "# e.g." in text
    assert '# server = "<channel>"' in text and "TODO: not recognized" in text
    with pytest.raises(cx.DataError, match="already exists"):
        cx.io.write_config(draft, out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = cx.load(out)
    assert ds.config.funnel == ("view_item", "purchase")


def test_day_and_month_the_first_rows_cannot_tell_apart_are_settled_by_the_whole_file(tmp_path):
    start = datetime(2009, 12, 1, 7, 45)
    times = [start + timedelta(minutes=i) for i in range(6000)]  # the first rows: Dec 1-5
    times += [datetime(2010, 1, 1) + timedelta(hours=i) for i in range(600)]  # then Jan 13+
    pl.DataFrame(
        {
            "InvoiceDate": [f"{t.month}/{t.day}/{t.year} {t.hour}:{t.minute:02d}" for t in times],
            "Customer ID": [f"{13000 + i % 50}.0" for i in range(len(times))],
            "Invoice": [f"{536000 + i // 3}" for i in range(len(times))],
            "Price": [2.5] * len(times),
        }
    ).write_csv(tmp_path / "online_retail.csv")
    draft = cx.io.infer_project(tmp_path)
    assert draft.tables["touchpoints"].date_format == "%m/%d/%Y %H:%M"
    assert any("the whole file can" in note for note in draft.notes)
    cx.io.write_config(draft, tmp_path / "cx.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = cx.load(tmp_path / "cx.toml")
    touchpoints = ds.touchpoints.lazy().collect()
    assert ds.rejects.height == 0 and touchpoints.height == len(times)
    assert touchpoints["ts"].max().month == 1  # January 2010, not month 25
    assert set(touchpoints["customer_id"]) == {str(13000 + i) for i in range(50)}  # no ".0"


def test_a_unit_price_next_to_a_quantity_is_pointed_out(tmp_path):
    pl.DataFrame(
        {
            "Invoice": ["1", "1", "2"],
            "InvoiceDate": ["2025-03-01 09:00", "2025-03-01 09:00", "2025-03-02 10:00"],
            "Customer ID": ["a", "a", "b"],
            "Quantity": [2, 1, 5],
            "Price": [2.5, 10.0, 1.0],
        }
    ).write_csv(tmp_path / "lines.csv")
    draft = cx.io.infer_project(tmp_path)
    assert draft.tables["touchpoints"].source_of("revenue") == "Price"
    assert any("unit price next to 'Quantity'" in note for note in draft.notes)


def test_a_file_not_in_utf8_is_read_with_its_detected_encoding(tmp_path):
    lines = ["Kundennummer;Bestelldatum;Betrag;Kanal;Stadt"] + [
        f"K{i % 40};2024-01-{1 + i % 28:02d} 10:{i % 60:02d};{10 + i % 9},50;"
        f"{'Online' if i % 3 else 'Filiale'};München Köln Düsseldorf Straße"
        for i in range(300)
    ]
    (tmp_path / "bestellungen.csv").write_text("\n".join(lines) + "\n", encoding="cp1252")
    cx.io.write_config(cx.io.infer_project(tmp_path), tmp_path / "cx.toml")
    doc = tomllib.loads((tmp_path / "cx.toml").read_text(encoding="utf-8"))
    assert doc["data"]["encoding"].startswith("cp125")
    assert doc["columns"]["touchpoints"]["customer_id"] == "Kundennummer"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        touchpoints = cx.load(tmp_path / "cx.toml").touchpoints.lazy().collect()
    assert touchpoints.height == 300  # decimal commas read: 10,50 is 10.5
    assert touchpoints["revenue"].min() == 10.5 and set(touchpoints["channel"]) == {"web", "store"}
    assert "München Köln Düsseldorf Straße" in set(touchpoints["Stadt"])


def test_thai_events_with_buddhist_years_are_placed_and_read(tmp_path):
    names = ["เปิดแอป", "ดูสินค้า", "เพิ่มลงตะกร้า", "ชำระเงิน", "ชำระเงินไม่สำเร็จ"]
    rows = [
        (f"u{c}", f"{1 + d:02d}/12/2567 1{step}:05", name, "iOS" if c % 2 else "Android")
        for c in range(30)
        for d in range(3)
        for step, name in enumerate(names[: 3 + (c + d) % 3])
    ]
    pl.DataFrame(rows, schema=["รหัสลูกค้า", "วันที่", "กิจกรรม", "แพลตฟอร์ม"], orient="row").write_csv(
        tmp_path / "events.csv"
    )
    draft = cx.io.infer_project(tmp_path)
    assert draft.tables["touchpoints"].source_of("channel") == "แพลตฟอร์ม"
    assert draft.stage_mapping["เปิดแอป"] == "consideration"
    assert "ชำระเงินไม่สำเร็จ" in draft.friction and draft.conversion == "ชำระเงิน"
    assert draft.channel_map == {"iOS": "app", "Android": "app"}
    assert draft.touchpoints["ts"].dt.year().unique().to_list() == [2024]


def test_segment_context_channel_client_server_is_no_channel(tmp_path):
    rows = [
        {"anonymousId": f"a{i % 9}", "event": "Product Viewed", "timestamp": "2025-03-01T09:00:00Z",
         "context": {"channel": "server" if i % 2 else "client",
                     "device": {"type": "ios" if i % 3 else "android"}}}
        for i in range(30)
    ]  # fmt: skip
    (tmp_path / "tracks.ndjson").write_text("".join(json.dumps(r) + "\n" for r in rows))
    guess = profile_file(tmp_path / "tracks.ndjson", tmp_path)
    assert guess.source_of("channel") == "context.device.type"


def test_the_time_zone_is_not_guessed_from_what_customers_write(tmp_path):
    pl.DataFrame(
        {
            "user_id": ["a", "b"],
            "event_time": ["2024-03-01 10:00:00.123000", "2024-03-01 11:00:00.456000"],
            "event_type": ["page_view", "purchase"],
            "platform": ["Web", "iOS"],
        }
    ).write_csv(tmp_path / "events.csv")
    pl.DataFrame(
        {
            "User ID": ["a", "b"],
            "Submitted At": ["2024-03-02T10:00:00Z"] * 2,
            "How likely are you to recommend us to a friend?": [9, 3],
            "Why?": ["Ứng dụng dễ dùng, giao hàng nhanh và đóng gói cẩn thận lắm"] * 2,
        }
    ).write_csv(tmp_path / "nps.csv")
    draft = cx.io.infer_project(tmp_path)
    assert draft.timezone == "UTC" and "a guess" in draft.timezone_note
