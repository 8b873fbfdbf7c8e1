"""Stage models and cx.toml."""

import polars as pl
import pytest

import cxlib as cx
from cxlib.io._stages import PRESETS


@pytest.mark.parametrize(
    ("name", "stages"),
    [
        ("5-stage", ("awareness", "consideration", "conversion", "retention", "advocacy")),
        (
            "6-stage",
            ("awareness", "acquisition", "onboarding", "engagement", "retention", "advocacy"),
        ),
        ("4-stage", ("awareness", "engagement", "transaction", "retention")),
    ],
)
def test_presets_have_the_stages_of_the_design(name, stages):
    assert cx.stage_model(name).stages == stages


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_maps_the_same_sample_touchpoints_in_journey_order(name):
    model = cx.stage_model(name)
    assert set(model.mapping) == set(PRESETS["5-stage"][1])
    # the purchase comes no earlier than the first visit in every model
    assert model.index_of(model.stage_of("purchase")) >= model.index_of(model.stage_of("visit"))
    # every stage has at least one touchpoint
    assert set(model.mapping.values()) == set(model.stages)


def test_default_model_is_five_stage():
    assert cx.stage_model().name == "5-stage"


def test_mapping_override_moves_one_touchpoint_only():
    model = cx.stage_model("5-stage", mapping={"review": "retention", "webinar": "consideration"})
    assert model.stage_of("review") == "retention"
    assert model.stage_of("webinar") == "consideration"
    assert model.stage_of("referral") == "advocacy"


def test_custom_model_needs_an_order():
    with pytest.raises(cx.DataError, match="needs its stages in order"):
        cx.stage_model("custom")


def test_mapping_to_a_stage_outside_the_model_is_a_data_error():
    with pytest.raises(cx.DataError, match="not in its order"):
        cx.stage_model("4-stage", mapping={"purchase": "conversion"})


def test_unknown_model_name_lists_the_choices():
    with pytest.raises(cx.DataError, match="4-stage"):
        cx.stage_model("7-stage")


def test_assign_keeps_a_stage_already_in_the_data_and_fills_the_rest():
    touchpoints = pl.DataFrame(
        {
            "touchpoint": ["visit", "purchase", "mystery"],
            "stage": ["awareness", None, None],
        }
    )
    staged = cx.stage_model().assign(touchpoints)
    assert staged["stage"].to_list() == ["awareness", "conversion", None]
    assert touchpoints["stage"].to_list() == ["awareness", None, None]  # input untouched


def test_next_stage_walks_the_journey():
    model = cx.stage_model()
    assert model.next_stage("conversion") == "retention"
    assert model.next_stage("advocacy") is None


def test_config_reads_every_section(tmp_path):
    (tmp_path / "cx.toml").write_text(
        """
[data]
touchpoints = "events.csv"
timezone = "Asia/Bangkok"
encoding = "cp1252"
[columns.touchpoints]
customer_id = "user"
[stages]
model = "custom"
order = ["find", "buy"]
[stages.mapping]
visit = "find"
purchase = "buy"
[journey]
conversion = "order_paid"
friction = ["payment_failed"]
[churn]
inactivity_days = 60
""",
        encoding="utf-8",
    )
    cfg = cx.read_config(tmp_path)
    assert cfg.path_of("touchpoints") == tmp_path / "events.csv"
    assert cfg.path_of("surveys") is None
    assert cfg.columns == {"touchpoints": {"customer_id": "user"}}
    assert (cfg.timezone, cfg.encoding) == ("Asia/Bangkok", "cp1252")
    assert cfg.stage_model().stages == ("find", "buy")
    assert cfg.stage_model().stage_of("purchase") == "buy"
    assert (cfg.conversion, cfg.friction, cfg.churn_inactivity_days) == (
        "order_paid",
        ("payment_failed",),
        60,
    )


def test_directory_without_config_gives_defaults(tmp_path):
    cfg = cx.read_config(tmp_path)
    assert cfg.stages == "5-stage" and cfg.conversion == "purchase"


def test_broken_toml_is_a_one_line_data_error(tmp_path):
    (tmp_path / "cx.toml").write_text("[data\ntouchpoints = 1\n", encoding="utf-8")
    with pytest.raises(cx.DataError) as err:
        cx.read_config(tmp_path / "cx.toml")
    assert "cx.toml" in str(err.value) and "\n" not in str(err.value)


def test_unknown_columns_section_names_the_valid_kinds(tmp_path):
    (tmp_path / "cx.toml").write_text('[columns.events]\ncustomer_id = "u"\n', encoding="utf-8")
    with pytest.raises(cx.DataError, match="touchpoints"):
        cx.read_config(tmp_path / "cx.toml")
