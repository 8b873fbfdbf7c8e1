"""The event-stream export readers: GA4's BigQuery export (``format="ga4"``) and Segment /
RudderStack dumps (``format="segment"``), on small files shaped like the real exports."""

from __future__ import annotations

import json
import tomllib
import warnings
from datetime import UTC, datetime

import polars as pl
import pytest

import cxlib as cx
from cxlib.io import _exports as exports
from cxlib.io._read import read_raw

T0 = 1_735_689_600_000_000  # 2025-01-01 00:00 UTC in microseconds
CANONICAL = ["customer_id", "ts", "touchpoint", "channel", "session_id", "revenue", "order_id"]


def _ts(seconds: int) -> datetime:
    return datetime.fromtimestamp(T0 / 1e6 + seconds, tz=UTC)


# -- GA4 ----------------------------------------------------------------------------------


def _param(key: str, *, s=None, i=None, d=None) -> dict:
    return {"key": key, "value": {"string_value": s, "int_value": i, "float_value": None,
                                  "double_value": d}}  # fmt: skip


def _ga4_events() -> list[dict]:
    """Four events as BigQuery's ``events_YYYYMMDD`` table holds them."""

    def event(name, seconds, pseudo, user, platform, params, ecommerce=None, items=()):
        return {
            "event_date": "20250101",
            "event_timestamp": T0 + seconds * 1_000_000,
            "event_name": name,
            "event_params": params,
            "user_id": user,
            "user_pseudo_id": pseudo,
            "user_properties": [
                {
                    "key": "plan",
                    "value": {
                        "string_value": "gold",
                        "int_value": None,
                        "float_value": None,
                        "double_value": None,
                        "set_timestamp_micros": T0,
                    },
                }  # fmt: skip
            ]
            if user
            else [],
            "device": {
                "category": "desktop" if platform == "WEB" else "mobile",
                "operating_system": {"WEB": "Windows", "IOS": "iOS"}.get(
                    platform, platform.title()
                ),
            },  # fmt: skip
            "traffic_source": {"source": "google", "medium": "organic", "name": "(organic)"},
            "platform": platform,
            "ecommerce": ecommerce,
            "items": list(items),
        }

    no_purchase = {"purchase_revenue": None, "transaction_id": "(not set)"}
    return [
        event(
            "page_view",
            0,
            "p1.111",
            None,
            "WEB",
            [
                _param("ga_session_id", i=1735689600),
                _param("page_location", s="https://shop.example/"),
                _param("page_title", s="Home"),
                _param("session_engaged", s="1"),
                _param("engagement_time_msec", i=120),
            ],
        ),  # fmt: skip
        event(
            "add_to_cart",
            60,
            "p2.222",
            None,
            "ANDROID",
            [
                _param("ga_session_id", i=1735689000),
                _param("value", d=20.0),
                _param("currency", s="USD"),
                _param("session_engaged", s=None),
            ],  # no scalar set
            no_purchase,
            [{"item_id": "sku1", "quantity": 1}],
        ),  # fmt: skip
        event(
            "purchase",
            120,
            "p2.222",
            "u9",
            "IOS",
            [
                _param("ga_session_id", i=1735689000),
                _param("value", d=49.5),
                _param("transaction_id", s="T1"),
                _param("engagement_time_msec", i=5),
            ],
            {"purchase_revenue": 49.5, "transaction_id": "T1"},
            [{"item_id": "sku1", "quantity": 2}, {"item_id": "sku2", "quantity": 1}],
        ),  # fmt: skip
        event("session_start", 180, None, None, "WEB", [_param("ga_session_id", i=1)]),
    ]


def _ga4_frame() -> pl.DataFrame:
    value = pl.Struct({"string_value": pl.String, "int_value": pl.Int64,
                       "float_value": pl.Float64, "double_value": pl.Float64})  # fmt: skip
    prop = pl.Struct({**{f.name: f.dtype for f in value.fields}, "set_timestamp_micros": pl.Int64})
    schema = {
        "event_date": pl.String,
        "event_timestamp": pl.Int64,
        "event_name": pl.String,
        "event_params": pl.List(pl.Struct({"key": pl.String, "value": value})),
        "user_id": pl.String,
        "user_pseudo_id": pl.String,
        "user_properties": pl.List(pl.Struct({"key": pl.String, "value": prop})),
        "device": pl.Struct({"category": pl.String, "operating_system": pl.String}),
        "traffic_source": pl.Struct({"source": pl.String, "medium": pl.String, "name": pl.String}),
        "platform": pl.String,
        "ecommerce": pl.Struct({"purchase_revenue": pl.Float64, "transaction_id": pl.String}),
        "items": pl.List(pl.Struct({"item_id": pl.String, "quantity": pl.Int64})),
    }
    return pl.DataFrame(_ga4_events(), schema=schema)


GA4_EXPECTED = [
    ("p1.111", _ts(0), "page_view", "web", "p1.111:1735689600", None, None),
    ("p2.222", _ts(60), "add_to_cart", "app", "p2.222:1735689000", None, None),
    ("u9", _ts(120), "purchase", "app", "p2.222:1735689000", 49.5, "T1"),
]


def _ga4_ndjson(path, events: list[dict]) -> None:
    """BigQuery's JSON export: INT64 values written as strings, as BigQuery does."""

    def bq(value):
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return str(value)
        if isinstance(value, dict):
            return {k: bq(v) for k, v in value.items()}
        if isinstance(value, list):
            return [bq(v) for v in value]
        return value

    path.write_text("".join(json.dumps(bq(e)) + "\n" for e in events))


@pytest.mark.parametrize("kind", ["parquet", "ndjson"])
def test_ga4_nested_export_gives_canonical_touchpoints(tmp_path, kind):
    path = tmp_path / f"events_20250101.{kind}"
    if kind == "parquet":
        _ga4_frame().write_parquet(path)
    else:
        _ga4_ndjson(path, _ga4_events())
    data, rejects, read = cx.read_touchpoints(path, format="ga4", with_rejects=True)
    assert data.select(CANONICAL).rows() == GA4_EXPECTED
    assert data["ts"].dtype == pl.Datetime("us", "UTC")
    # no ids at all: the cookieless ping is in the ledger, not loaded
    assert rejects.select("row", "column", "reason").rows() == [
        (4, "customer_id", "missing customer_id")
    ]
    assert data.height + rejects.height == read == 4


def test_ga4_keeps_both_ids_params_and_user_properties_as_properties(tmp_path):
    path = tmp_path / "events.parquet"
    _ga4_frame().write_parquet(path)
    data = cx.read_touchpoints(path, format="ga4", with_rejects=True).data
    assert data["user_id"].to_list() == [None, None, "u9"]
    assert data["user_pseudo_id"].to_list() == ["p1.111", "p2.222", "p2.222"]
    assert data["param.page_location"].to_list() == ["https://shop.example/", None, None]
    assert data["param.ga_session_id"].to_list() == [1735689600, 1735689000, 1735689000]
    assert data["param.ga_session_id"].dtype == pl.Int64
    assert data["param.value"].to_list() == [None, 20.0, 49.5]
    # a parameter present with no value set is null, never the text of the struct
    assert data["param.session_engaged"].to_list() == ["1", None, None]
    assert data["user_property.plan"].to_list() == [None, None, "gold"]
    assert data["device.category"].to_list() == ["desktop", "mobile", "mobile"]
    assert data["traffic_source.medium"].to_list() == ["organic"] * 3
    assert data["platform"].to_list() == ["WEB", "ANDROID", "IOS"]
    assert data["item_count"].to_list() == [0, 1, 2]
    # lists are dropped, not stringified
    assert not {"event_params", "user_properties", "items"} & set(data.columns)
    assert all(not isinstance(dtype, (pl.List, pl.Struct)) for dtype in data.dtypes)


def test_ga4_cart_value_is_not_revenue_but_a_purchase_value_is(tmp_path):
    events = _ga4_events()[:3]
    for event in events:
        event["ecommerce"] = None  # an export without the ecommerce record filled
    path = tmp_path / "events.parquet"
    frame = _ga4_frame()
    pl.DataFrame(events, schema=frame.schema).write_parquet(path)
    data = cx.read_touchpoints(path, format="ga4")
    assert data["revenue"].to_list() == [None, None, 49.5]  # add_to_cart's value 20 is no sale
    assert data["order_id"].to_list() == [None, None, "T1"]  # from the transaction_id param


def test_ga4_unreadable_timestamps_go_to_the_ledger_with_a_reason(tmp_path):
    events = _ga4_events()[:3]
    path = tmp_path / "events.ndjson"
    _ga4_ndjson(path, events)
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace(f'"{T0 + 60_000_000}"', '"1.73569E+15"')  # an Excel round trip
    path.write_text("\n".join(lines) + "\n")
    data, rejects, read = cx.read_touchpoints(path, format="ga4", with_rejects=True)
    assert rejects.select("row", "reason", "value").rows() == [
        (2, "event_timestamp not in microseconds since 1970", "1.73569E+15")
    ]
    assert data["touchpoint"].to_list() == ["page_view", "purchase"]
    assert data.height + rejects.height == read == 3


def test_ga4_flattened_csv_is_read_like_the_nested_export(tmp_path):
    path = tmp_path / "ga4_query.csv"
    path.write_text(
        "event_date,event_timestamp,event_name,user_pseudo_id,user_id,platform,ga_session_id,"
        "event_params.page_location,ecommerce.purchase_revenue,ecommerce.transaction_id,"
        "device.category\n"
        f"20250101,{T0},page_view,p1.111,,WEB,1735689600,https://shop.example/,,,desktop\n"
        f"20250101,{T0 + 120_000_000},purchase,p2.222,u9,IOS,1735689000,,49.5,T1,mobile\n"
        f"20250101,{T0 + 180_000_000},add_to_cart,p2.222,u9,IOS,1735689000,,,(not set),mobile\n"
        f"20250101,{T0 + 240_000_000},purchase,p3.333,,ANDROID,1735689999,,-5,T2,mobile\n"
    )
    data, rejects, read = cx.read_touchpoints(path, format="ga4", with_rejects=True)
    assert data.select(CANONICAL).rows() == [
        ("p1.111", _ts(0), "page_view", "web", "p1.111:1735689600", None, None),
        ("u9", _ts(120), "purchase", "app", "p2.222:1735689000", 49.5, "T1"),
        ("u9", _ts(180), "add_to_cart", "app", "p2.222:1735689000", None, None),
    ]
    assert data["param.page_location"].to_list() == ["https://shop.example/", None, None]
    assert data["user_pseudo_id"].to_list() == ["p1.111", "p2.222", "p2.222"]
    assert rejects.select("row", "column", "reason", "value").rows() == [
        (4, "revenue", "negative revenue", "-5")
    ]
    assert data.height + rejects.height == read == 4


# -- Segment / RudderStack ----------------------------------------------------------------

ISO = "2025-01-01T00:0{}:00.000Z"


def _segment_calls() -> list[dict]:
    web = {"library": {"name": "analytics.js", "version": "4.1.0"},
           "page": {"url": "https://shop.example/"}, "userAgent": "Mozilla/5.0"}  # fmt: skip
    ios = {"library": {"name": "analytics-ios", "version": "4.1.5"},
           "device": {"type": "ios", "model": "iPhone14,2"}}  # fmt: skip
    server = {"library": {"name": "analytics-node", "version": "6.2.0"}, "channel": "server"}
    return [
        {"type": "page", "name": "Home", "anonymousId": "a1", "userId": None,
         "messageId": "m1", "timestamp": ISO.format(0), "context": web,
         "properties": {"name": "Home", "url": "https://shop.example/"}},
        {"type": "identify", "anonymousId": "a1", "userId": "u1", "messageId": "m2",
         "timestamp": ISO.format(1), "context": web, "traits": {"plan": "gold"}},
        {"type": "track", "event": "Product Added", "anonymousId": "a1", "userId": "u1",
         "messageId": "m3", "timestamp": ISO.format(2), "context": web,
         "properties": {"product_id": "sku1", "price": 20.0}},
        {"type": "track", "event": "Product Added", "anonymousId": "a1", "userId": "u1",
         "messageId": "m3", "timestamp": ISO.format(2), "context": web,
         "properties": {"product_id": "sku1", "price": 20.0}},  # delivered twice
        {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "m4",
         "timestamp": ISO.format(3), "context": server,
         "properties": {"order_id": "o1", "revenue": 25.0,
                        "products": [{"product_id": "sku1", "quantity": 1}]}},
        {"type": "screen", "name": "Cart", "anonymousId": "a2", "messageId": "m5",
         "timestamp": ISO.format(4), "context": ios, "properties": {"name": "Cart"}},
        {"type": "alias", "previousId": "a2", "userId": "u2", "messageId": "m6",
         "timestamp": ISO.format(5), "context": ios},
        {"type": "track", "event": "Checkout Started", "anonymousId": "a2", "messageId": "m7",
         "timestamp": "yesterday", "context": ios, "properties": {"revenue": 5}},
    ]  # fmt: skip


SEGMENT_EXPECTED = [
    ("a1", datetime(2025, 1, 1, 0, 0, tzinfo=UTC), "page_view", "web", None, None),
    ("u1", datetime(2025, 1, 1, 0, 2, tzinfo=UTC), "Product Added", "web", None, None),
    ("u1", datetime(2025, 1, 1, 0, 3, tzinfo=UTC), "Order Completed", "server", 25.0, "o1"),
    ("a2", datetime(2025, 1, 1, 0, 4, tzinfo=UTC), "screen_view", "app", None, None),
]
SEGMENT_REJECTS = [
    (2, "not an event (identify)", "identify"),
    (4, "duplicate messageId", "m3"),
    (7, "not an event (alias)", "alias"),
    (8, "unparseable timestamp", "yesterday"),
]


def test_segment_ndjson_gives_canonical_touchpoints_and_a_ledger(tmp_path):
    path = tmp_path / "segment.ndjson"
    path.write_text("".join(json.dumps(c) + "\n" for c in _segment_calls()))
    data, rejects, read = cx.read_touchpoints(path, format="segment", with_rejects=True)
    columns = ["customer_id", "ts", "touchpoint", "channel", "revenue", "order_id"]
    assert data.select(columns).rows() == SEGMENT_EXPECTED
    assert rejects.select("row", "reason", "value").rows() == SEGMENT_REJECTS
    assert data.height + rejects.height == read == 8
    # both ids kept for stitching; the anonymous page view and the order share a1 -> u1
    assert data.select("user_id", "anonymous_id").rows() == [
        (None, "a1"),
        ("u1", "a1"),
        ("u1", None),
        (None, "a2"),
    ]
    assert data["name"].to_list() == ["Home", None, None, "Cart"]  # the page name is kept
    assert data["context.library.name"][0] == "analytics.js"
    assert "properties.products" not in data.columns  # a list: dropped, not stringified
    assert all(not isinstance(dtype, (pl.List, pl.Struct)) for dtype in data.dtypes)


def test_segment_flattened_csv_and_rudderstack_libraries(tmp_path):
    path = tmp_path / "rudderstack.csv"
    path.write_text(
        "messageId,type,event,userId,anonymousId,timestamp,context.channel,"
        "context.library.name,context.device.type,properties.revenue,properties.order_id\n"
        "r1,track,Product Viewed,,anon-1,2025-01-01T00:00:00Z,web,RudderLabs JavaScript SDK,,,\n"
        "r2,track,Order Completed,u7,anon-1,2025-01-01T00:05:00Z,mobile,"
        "com.rudderstack.android.sdk.core,android,30.5,o9\n"
        "r3,track,Order Completed,u7,,2025-01-01T00:06:00Z,server,rudder-sdk-python,,abc,o10\n"
        "r4,group,,u7,,2025-01-01T00:07:00Z,server,rudder-sdk-python,,,\n"
        "r5,track,Product Viewed,,,2025-01-01T00:08:00Z,web,RudderLabs JavaScript SDK,,,\n"
        "r6,flush,,u7,,2025-01-01T00:09:00Z,server,rudder-sdk-python,,,\n"
        "r7,track,Order Completed,u8,,2025-01-01T00:10:00Z,,analytics-python,,12,o11\n"
    )
    data, rejects, read = cx.read_touchpoints(path, format="segment", with_rejects=True)
    assert data.select("customer_id", "touchpoint", "channel", "revenue", "order_id").rows() == [
        ("anon-1", "Product Viewed", "web", None, None),
        ("u7", "Order Completed", "app", 30.5, "o9"),
        ("u8", "Order Completed", "server", 12.0, "o11"),  # a server library, no context.channel
    ]
    assert rejects.select("row", "column", "reason", "value").rows() == [
        (3, "revenue", "non-numeric revenue", "abc"),
        (4, "*", "not an event (group)", "group"),
        (5, "customer_id", "missing customer_id", None),
        (6, "*", "unknown call type", "flush"),
    ]
    assert data.height + rejects.height == read == 7


# -- detection and cx init -----------------------------------------------------------------


def test_each_export_is_recognized_and_nothing_else_is(tmp_path):
    _ga4_frame().write_parquet(tmp_path / "ga4.parquet")
    _ga4_ndjson(tmp_path / "ga4.ndjson", _ga4_events())
    (tmp_path / "segment.ndjson").write_text(
        "".join(json.dumps(c) + "\n" for c in _segment_calls())
    )
    found = {
        name: exports.detect("touchpoints", read_raw(tmp_path / name).columns)
        for name in ("ga4.parquet", "ga4.ndjson", "segment.ndjson")
    }
    assert found == {"ga4.parquet": "ga4", "ga4.ndjson": "ga4", "segment.ndjson": "segment"}
    for table in ("touchpoints", "surveys", "customers"):
        columns = read_raw(f"data/sample/{table}.parquet").columns
        assert not exports.FORMATS["ga4"].detect(columns)
        assert not exports.FORMATS["segment"].detect(columns)
    tidy = ("userId", "event", "timestamp", "context.channel")  # no messageId: plain columns
    assert not exports.FORMATS["segment"].detect(tidy)


def test_cx_init_on_a_ga4_export_writes_the_format_and_loads(tmp_path):
    events = [
        {**event, "event_timestamp": event["event_timestamp"] + day * 86_400_000_000,
         "user_pseudo_id": f"p{(day + k) % 12}.{day}", "user_id": f"u{day % 5}" if k == 2 else None}
        for day in range(20)
        for k, event in enumerate(_ga4_events()[:3])
    ]  # fmt: skip
    pl.DataFrame(events, schema=_ga4_frame().schema).write_parquet(tmp_path / "events.parquet")
    cx.io.write_config(cx.io.infer_project(tmp_path), tmp_path / "cx.toml")
    doc = tomllib.loads((tmp_path / "cx.toml").read_text(encoding="utf-8"))
    assert doc["formats"] == {"touchpoints": "ga4"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing rejected
        touchpoints = cx.load(tmp_path / "cx.toml").touchpoints.lazy().collect()
    assert touchpoints.height == 60
    assert set(touchpoints["channel"]) == {"web", "app"}
    assert touchpoints.filter(pl.col("touchpoint") == "purchase")["revenue"].sum() == 20 * 49.5
    assert {"user_id", "user_pseudo_id", "param.page_location"} <= set(touchpoints.columns)


def test_cx_init_on_a_segment_dump_leaves_server_calls_for_a_person_to_map(tmp_path):
    calls = [
        {
            **call,
            "messageId": f"{call['messageId']}-{day}",
            "timestamp": call["timestamp"].replace("2025-01-01", f"2025-01-{day + 1:02d}"),
            "anonymousId": call.get("anonymousId") and f"{call['anonymousId']}-{day % 7}",
        }
        for day in range(20)
        for call in _segment_calls()[:6]
    ]  # fmt: skip (identify calls included: they reach the ledger, not the mapping)
    path = tmp_path / "segment.ndjson"
    path.write_text("".join(json.dumps(c) + "\n" for c in calls))
    cx.io.write_config(cx.io.infer_project(tmp_path), tmp_path / "cx.toml")
    text = (tmp_path / "cx.toml").read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    assert doc["formats"] == {"touchpoints": "segment"}
    assert doc["columns"]["touchpoints"] == {}  # the reader's columns, not 'type' for touchpoint
    assert "server" in text.split("[channels.normalize]")[1].split("[")[0]  # named for a person
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the copies of m3 are rejected
        dataset = cx.load(tmp_path / "cx.toml")
    touchpoints = dataset.touchpoints.lazy().collect()
    assert touchpoints.height == 20 * 4
    assert set(dataset.rejects["reason"]) == {"duplicate messageId", "not an event (identify)"}


def test_daily_ga4_files_read_as_one_table_through_a_pattern(tmp_path):
    frame = _ga4_frame()
    frame[:2].write_parquet(tmp_path / "events_20250101.parquet")
    frame[2:].write_parquet(tmp_path / "events_20250102.parquet")
    data, rejects, read = cx.read_touchpoints(
        tmp_path / "events_*.parquet", format="ga4", with_rejects=True
    )
    assert data.select(CANONICAL).rows() == GA4_EXPECTED
    assert rejects.select("source", "row", "reason").rows() == [
        (str(tmp_path / "events_20250102.parquet"), 2, "missing customer_id")
    ]
    assert data.height + rejects.height == read


@pytest.mark.parametrize(("format", "title"), [("ga4", "GA4"), ("segment", "Segment")])
def test_another_file_read_as_an_export_is_refused_in_one_line(format, title):
    with pytest.raises(cx.DataError, match=f"not a {title}.* export: no .* column"):
        cx.read_touchpoints("data/sample/touchpoints.parquet", format=format)


def test_a_ga4_csv_without_platform_asks_for_the_channel_column(tmp_path):
    path = tmp_path / "ga4.csv"
    path.write_text(
        f"event_timestamp,event_name,user_pseudo_id,device.category\n{T0},page_view,p1,desktop\n"
    )
    with pytest.raises(cx.DataError, match="required touchpoints column 'channel' is missing"):
        cx.read_touchpoints(path, format="ga4")
    data = cx.read_touchpoints(path, format="ga4", columns={"channel": "device.category"})
    assert data.select("customer_id", "touchpoint", "channel").rows() == [
        ("p1", "page_view", "desktop")
    ]


def test_a_ga4_frame_in_memory_reads_like_the_file_and_is_not_modified():
    frame = _ga4_frame()
    before = frame.clone()
    lazy = cx.read_touchpoints(frame, format="ga4", lazy=True)
    assert isinstance(lazy, pl.LazyFrame)
    with pytest.warns(cx.io.RejectedRowsWarning, match="1 missing customer_id"):
        collected = lazy.collect()  # a lazy load warns when it is collected
    assert collected.select(CANONICAL).rows() == GA4_EXPECTED
    assert frame.equals(before)
