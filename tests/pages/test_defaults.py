"""What pages use when a parameter is left empty: the configuration, else the data, never
the sample's names; and the needs that guard the sections."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

import cxlib as cx
from cxlib.pages import defaults, health, needs

START = datetime(2024, 3, 1, tzinfo=UTC)


def _shop(
    folder: Path,
    events: list[tuple[str, int, str, str]],
    *,
    customers: dict | None = None,
    surveys: dict | None = None,
    toml: str = "",
) -> cx.Dataset:
    """A tiny dataset on disk: events are (customer, day, touchpoint, channel)."""
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "customer_id": [e[0] for e in events],
            "ts": [START + timedelta(days=e[1], minutes=i) for i, e in enumerate(events)],
            "touchpoint": [e[2] for e in events],
            "channel": [e[3] for e in events],
        }
    ).write_parquet(folder / "touchpoints.parquet")
    data = ['touchpoints = "touchpoints.parquet"']
    if customers is not None:
        pl.DataFrame(customers).write_parquet(folder / "customers.parquet")
        data.append('customers = "customers.parquet"')
    if surveys is not None:
        pl.DataFrame(surveys).write_parquet(folder / "surveys.parquet")
        data.append('surveys = "surveys.parquet"')
    (folder / "cx.toml").write_text("[data]\n" + "\n".join(data) + "\n" + toml, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.load(folder / "cx.toml")


GA4 = [
    (c, d, step, "web" if c < "c" else "app")
    for c in ("a", "b", "c", "d")
    for d in (0, 40)
    for step in ("session_start", "view_item", "add_to_cart", "purchase")
]


def test_funnel_steps_prefer_the_parameter_then_the_config_then_the_data(tmp_path):
    plain = _shop(tmp_path / "plain", GA4)
    assert defaults.funnel_steps(plain) == ["session_start", "view_item", "add_to_cart", "purchase"]
    assert defaults.funnel_steps(plain, " view_item , purchase ") == ["view_item", "purchase"]
    configured = _shop(
        tmp_path / "configured", GA4, toml='[journey]\nfunnel = ["view_item", "purchase"]\n'
    )
    assert defaults.funnel_steps(configured) == ["view_item", "purchase"]


def test_funnel_steps_end_in_the_configured_conversion(tmp_path):
    ds = _shop(tmp_path, GA4, toml='[journey]\nconversion = "add_to_cart"\n')
    assert defaults.funnel_steps(ds)[-1] == "add_to_cart"


def test_without_a_funnel_or_conversion_the_section_says_so(tmp_path):
    ds = _shop(tmp_path, [("a", 0, "open_app", "app"), ("a", 1, "search", "app")])
    assert needs.missing(ds, "funnel") == ["funnel"]
    with pytest.raises(cx.DataError, match="does not occur"):
        defaults.funnel_steps(ds)


def test_channel_groups_come_from_the_config_else_the_data(tmp_path):
    configured = _shop(
        tmp_path / "configured", GA4, toml='[channels.groups]\nweb = ["web"]\napp = ["app"]\n'
    )
    assert defaults.channel_groups(configured) == {"web": ("web",), "app": ("app",)}
    per_channel = _shop(tmp_path / "per", GA4)
    assert set(defaults.channel_groups(per_channel)) == {"web", "app"}
    assert needs.missing(per_channel, "channel_groups") == []
    shops = [
        ("a", 0, "purchase", "store"),
        ("a", 1, "purchase", "web"),
        ("b", 0, "purchase", "app"),
    ]
    built_in = _shop(tmp_path / "built_in", shops)
    assert defaults.channel_groups(built_in) == {"store": ("store",), "online": ("web", "app")}
    assert needs.missing(built_in, "omnichannel_buyers") == []
    # every customer of GA4 stays on one platform: no omnichannel buyer to compare
    assert needs.missing(per_channel, "omnichannel_buyers") == ["omnichannel_buyers"]


def test_segment_columns_are_the_customer_tables_categories(tmp_path):
    customers = {
        "customer_id": ["a", "b", "c", "d"],
        "tier": ["gold", "silver", "gold", "silver"],
        "email": ["a@x", "b@x", "c@x", "d@x"],
        "churned": [True, False, False, False],
        "city": ["Hà Nội", "Bangkok", "Hà Nội", None],
        "constant": ["x"] * 4,
        "spend": [1.0, 2.0, 3.0, 4.0],
    }
    ds = _shop(tmp_path, GA4, customers=customers)
    assert defaults.segment_columns(ds) == ["tier", "city"]
    assert defaults.segment_columns(ds, outcome=True) == ["tier", "city", "churned"]
    assert defaults.segment_columns(ds, max_values=1) == []
    assert needs.missing(ds, "segments", "churn_label") == []
    assert defaults.segment_columns(_shop(tmp_path / "none", GA4)) == []


def test_snapshot_date_is_the_data_end_minus_the_horizon_or_the_rule(tmp_path):
    ds = _shop(tmp_path / "plain", GA4)  # last touchpoint on day 40: 2024-04-10
    assert defaults.snapshot_date(ds, "2024-03-15") == "2024-03-15"
    assert defaults.snapshot_date(ds, "", horizon="10d") == "2024-03-31"
    rule = _shop(tmp_path / "rule", GA4, toml="[churn]\ninactivity_days = 30\n")
    assert defaults.snapshot_date(rule, horizon="10d") == "2024-03-11"


def test_stall_stage_is_the_stage_before_the_conversions(tmp_path):
    ds = _shop(tmp_path, [("a", 0, "visit", "web"), ("a", 1, "purchase", "web")])
    assert defaults.stall_stage(ds) == "consideration"
    assert defaults.stall_stage(ds, "awareness") == "awareness"
    assert defaults.stage(ds) == "consideration"


def test_survey_triggers_come_from_the_answers_else_the_conversion(tmp_path):
    surveys = {
        "customer_id": ["a", "b", "c"],
        "ts": [START + timedelta(days=d) for d in (1, 2, 3)],
        "survey": ["nps", "csat", "csat"],
        "score": [9.0, 4.0, 5.0],
    }
    plain = _shop(tmp_path / "plain", GA4, surveys=surveys)
    assert defaults.survey_triggers(plain) == {"nps": "purchase"}
    assert needs.missing(plain, "survey_triggers", "survey_channels") == ["survey_channels"]
    said = _shop(
        tmp_path / "said", GA4, surveys={**surveys, "touchpoint": ["purchase", "chat", "chat"]}
    )
    assert defaults.survey_triggers(said) == {"csat": "chat", "nps": "purchase"}


def test_claims_parse_metric_equals_uplift():
    assert defaults.claims("value=0.30, orders=0.1") == {"value": 0.3, "orders": 0.1}
    assert defaults.claims("") == {}
    with pytest.raises(cx.DataError, match="metric=uplift"):
        defaults.claims("value")


def test_coverage_names_touchpoints_outside_the_stage_model(tmp_path):
    ds = _shop(tmp_path, [("a", 0, "visit", "web"), ("a", 1, "xyz_42", "web")])
    coverage = health.coverage_by_channel(ds)
    assert set(coverage["stage"]) == {"consideration", health.UNMAPPED}
    assert health.stage_order(ds)[-1] == health.UNMAPPED


def test_touchpoints_the_mapping_does_not_name_are_placed_by_their_names(tmp_path):
    events = [("a", 0, "Page View", "web"), ("a", 1, "Order Completed", "web"),
              ("a", 2, "xyz_42", "web"), ("a", 3, "visit", "web")]  # fmt: skip
    ds = _shop(tmp_path, events, toml='[stages.mapping]\n"Page View" = "awareness"\n')
    stages = dict(ds.touchpoints.lazy().select("touchpoint", "stage").collect().iter_rows())
    assert stages == {"Page View": "awareness", "Order Completed": "conversion",
                      "xyz_42": None, "visit": "consideration"}  # fmt: skip


def test_a_purchases_only_log_has_no_funnel_to_show(tmp_path):
    orders = [(c, d, "purchase", "store") for c in ("a", "b") for d in (0, 30)]
    ds = _shop(tmp_path / "orders", orders, toml='[journey]\nfunnel = ["purchase"]\n')
    assert needs.missing(ds, "funnel", "conversion") == ["funnel"]
    ds = _shop(tmp_path / "orders-no-funnel", orders)
    assert needs.missing(ds, "funnel") == ["funnel"]


def test_the_churn_rule_needs_data_twice_as_long_as_the_rule(tmp_path):
    events = [(c, d, "visit", "web") for c in ("a", "b") for d in (0, 50)]
    assert needs.missing(_shop(tmp_path / "short", events, toml="[churn]\ninactivity_days = 30\n"),
                         "churn") == ["churn"]  # fmt: skip
    assert needs.missing(_shop(tmp_path / "long", events, toml="[churn]\ninactivity_days = 20\n"),
                         "churn") == []  # fmt: skip


def test_friction_not_configured_is_found_by_name_in_the_data(tmp_path):
    events = [("a", 0, "visit", "web"), ("a", 1, "Payment Failed", "web"),
              ("b", 0, "hủy đơn", "app"), ("b", 1, "purchase", "app")]  # fmt: skip
    assert _shop(tmp_path / "found", events).config.friction == ("Payment Failed", "hủy đơn")
    configured = _shop(tmp_path / "set", events, toml='[journey]\nfriction = ["hủy đơn"]\n')
    assert configured.config.friction == ("hủy đơn",)
