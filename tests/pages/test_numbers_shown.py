"""Numbers as a reader sees them: never "null", "NaN", "None", unrounded floats or
scientific notation, in tables or charts; empty cells say why; stages count from 1."""

from __future__ import annotations

import html
import math
import re
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
import vl_convert as vlc
from hypothesis import given
from hypothesis import strategies as st

import cxlib as cx
from cxlib.pages import charts
from cxlib.pages.tables import LEGEND, table

# what a reader must never see: placeholders of missing values, exponents, long decimals
NOT_FOR_READERS = re.compile(
    r"\bnull\b|\bNaN\b|\bnan\b|\bNone\b|\bundefined\b|\binf\b|Infinity|\d[eE][+-]?\d|\d\.\d{4,}"
)
# a number cell: digits with separators, optional decimals and percent; or the dash; or ∞
NUMBER_CELL = re.compile(r"^[-−]?\d{1,3}(,\d{3})*(\.\d+)?%?$|^–$|^[-−]?∞$")


def _cells(markup: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", markup)]


def _notes(markup: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(r'<div class="cx-note">(.*?)</div>', markup)]


# --- tables -------------------------------------------------------------------------------------

floats = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),  # includes 1e308, 5e-324, -0.0
    st.sampled_from([1e21, -1e21, 1e-9, 123456789.123456, 1.29482071713, -0.0001]),
)


@given(
    values=st.lists(floats, min_size=1, max_size=6),
    counts=st.lists(st.one_of(st.none(), st.integers(-(10**15), 10**15)), min_size=6, max_size=6),
    percent=st.booleans(),
    decimals=st.integers(0, 4),
)
def test_table_cells_never_print_null_nan_none_or_exponents(values, counts, percent, decimals):
    frame = pl.DataFrame(
        {
            "value": pl.Series(values, dtype=pl.Float64),
            "customers": pl.Series(counts[: len(values)], dtype=pl.Int64),
        }
    )
    markup = table(frame, percent=["value"] if percent else [], decimals=decimals).to_html()
    cells = _cells(markup)
    assert len(cells) == 2 * len(values)
    for cell in cells:
        assert NUMBER_CELL.match(cell), cell
        assert not re.search(r"\bnull\b|NaN|nan|None|inf|[eE][+-]?\d", cell), cell
    decimal_part = max(decimals - 2, 1) if percent else decimals
    for value, cell in zip(values, cells[::2], strict=True):
        if value is not None and math.isfinite(value):
            assert cell.rstrip("%").rpartition(".")[2] == cell.rstrip("%")[-decimal_part:]
            assert cell.count(".") == (1 if decimal_part else 0)
    missing = any(v is None or v != v for v in values) or None in counts[: len(values)]
    assert (LEGEND in _notes(markup)) is missing


def test_a_missing_cell_reads_as_a_dash_and_the_legend_says_why():
    frame = pl.DataFrame(
        {"stage": ["visit", "buy", None], "conversion_to_next": [0.5, None, float("nan")]}
    )
    markup = table(frame, missing="– : the last stage has no next stage").to_html()
    assert _cells(markup) == ["visit", "50.0%", "buy", "–", "–", "–"]
    assert _notes(markup) == ["– : the last stage has no next stage"]


def test_a_table_without_missing_cells_has_no_legend():
    markup = table(pl.DataFrame({"step": ["a"], "customers": [3]}), note="Read me").to_html()
    assert _notes(markup) == ["Read me"]


def test_a_missing_duration_date_and_list_read_as_dashes():
    frame = pl.DataFrame(
        {
            "time": pl.Series([None, timedelta(hours=2)], dtype=pl.Duration("us")),
            "when": pl.Series([datetime(2025, 1, 2, tzinfo=UTC), None]),
            "path": [["web", None], None],
        }
    )
    cells = _cells(table(frame).to_html())
    assert cells[0] == "–" and "2025" in cells[1] and cells[2] == "web, –"
    assert cells[3:] == ["2h 0m", "–", "–"]


def test_nps_points_get_one_decimal_and_shares_stay_percentages():
    frame = pl.DataFrame(
        {
            "channel": ["web"],
            "nps": [1.29482071713],
            "ci_low": [-12.3456],
            "ci_high": [14.99],
            "conversion": [0.123456],
            "p_value": [0.012345],
        }
    )
    cells = [c.replace("−", "-") for c in _cells(table(frame).to_html())]
    assert cells == ["web", "1.3", "-12.3", "15.0", "12.3%", "0.01"]


def test_a_float_rounding_to_zero_has_no_minus_sign():
    assert _cells(table(pl.DataFrame({"x": [-0.0001, -0.0]})).to_html()) == ["0.00", "0.00"]


# --- charts -------------------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")
FUNNEL = pl.DataFrame(
    {
        "step_index": [1, 2, 3],
        "step": ["visit", "cart", "buy"],
        "customers": [12_345_678, 0, 0],
        "conversion": [1.0, 0.0, None],
        "step_conversion": [1.0, 0.0, None],
    }
)
CELLS = pl.DataFrame(
    {
        "stage_index": [1, 1, 2],
        "stage": ["s1", "s1", "s2"],
        "channel": ["web", "app", "web"],
        "customers": [1_234_567, 5, 0],
        "touchpoints": [1_000_000, 2, 3],
        "conversion_to_next": [0.5, None, None],
        "responses": [0, 3, 1],
        "nps": [1.29482071713, None, -33.3333333],
        "csat": [None, 0.5, NAN],
    }
)


def _builders() -> dict[str, object]:
    """Every chart builder of charts.py and _model_charts.py (the trend and retention
    charts are tested with their periods) on frames with gaps, huge and long numbers."""
    shares = pl.DataFrame(
        {"c": ["x", "y", None], "v": [0.123456789, None, 1.5], "lo": [0.1234567, None, NAN]}
    ).with_columns(hi=pl.Series([0.2345678, None, INF]))
    return {
        "funnel": charts.funnel_chart(FUNNEL),
        "funnel by group": charts.funnel_chart(FUNNEL.with_columns(g=pl.lit("a")), by="g"),
        "funnel explorer": charts.funnel_explorer_chart(FUNNEL),
        "bars": charts.bar_chart(shares, x="c", y="v", low="lo", high="hi"),
        "bars of shares": charts.bar_chart(
            shares, x="c", y="v", low="lo", high="hi", horizontal=True, percent=True
        ),
        **{
            f"journey {value}": charts.journey_heatmap(CELLS, value=value, stages=["s1", "s2"])
            for value in ("customers", "touchpoints", "conversion_to_next", "nps", "csat")
        },
        "heatmap": charts.heatmap(CELLS, x="stage", y="channel", value="touchpoints"),
        "stage flow": charts.stage_flow(CELLS.filter(pl.col("channel") == "web")),
        "histogram": charts.histogram(
            pl.DataFrame({"clv": [0.000123, 1e7, None, NAN, 123.456789]}), value="clv"
        ),
        "grouped bars": charts.grouped_bar_chart(
            pl.DataFrame(
                {"ch": ["web", "web", "app"], "m": ["a", "b", "a"], "s": [0.1234, None, 5.0]}
            ),
            x="ch",
            y="s",
            group="m",
        ),
        "calibration": charts.calibration_chart(
            pl.DataFrame(
                {
                    "model": ["m"] * 3,
                    "bin": [1, 2, 3],
                    "customers": [10, 20, 30],
                    "predicted": [0.0123456, 0.2, None],
                    "observed": [0.01, None, 0.5],
                    "observed_low": [0.0012345, None, 0.3123456],
                    "observed_high": [0.1123456, None, 0.7123456],
                }
            )
        ),
        "lift": charts.lift_chart(
            pl.DataFrame(
                {
                    "model": ["m", "m"],
                    "decile": [1, 2],
                    "churn_rate": [0.3123, None],
                    "lift": [2.34567, None],
                    "churners_captured": [0.2, None],
                }
            )
        ),
        "importance": charts.importance_chart(
            pl.DataFrame(
                {
                    "label": ["f1", "f2"],
                    "importance": [0.0123456, None],
                    "importance_low": [-0.0012345, None],
                    "importance_high": [0.0212345, None],
                }
            )
        ),
        "partial dependence": charts.partial_dependence_chart(
            pl.DataFrame(
                {
                    "feature": ["f", "f", "g"],
                    "label": ["F", "F", "G"],
                    "value": ["0.12", "10,000,000", "a"],
                    "x": [0.123456, 1e7, None],
                    "churn_probability": [0.1234, None, 0.3],
                    "categorical": [False, False, True],
                }
            )
        ),
        "survival": charts.survival_chart(
            pl.DataFrame(
                {
                    "segment": ["a", "a"],
                    "time": [0.0, 12.3456],
                    "survival": [1.0, 0.87654],
                    "ci_low": [1.0, None],
                    "ci_high": [1.0, 0.9],
                    "at_risk": [100, 50],
                }
            ),
            by="segment",
        ),
        "drivers": charts.drivers_chart(
            pl.DataFrame(
                {
                    "attribute": ["wait_time", "price"],
                    "direction": ["higher", "lower"],
                    "share": [0.123456, None],
                    "share_low": [0.1123456, None],
                    "share_high": [0.2123456, None],
                }
            )
        ),
        "share comparison": charts.share_comparison_chart(
            pl.DataFrame(
                {
                    "theme": ["t1", "t2"],
                    "group": ["g1", "g2"],
                    "share": [0.123456, None],
                    "share_low": [0.1123456, None],
                    "share_high": [0.2123456, None],
                }
            ),
            category="theme",
            group="group",
        ),
    }


def _read(svg: str) -> list[str]:
    """What a reader sees or hears of a chart: its text and the marks' descriptions."""
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg)
    described = re.findall(r'aria-(?:label|description)="([^"]*)"', svg)
    return [html.unescape(t) for t in texts + described]


BUILDERS = _builders()


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_chart_reads_no_null_nan_exponent_or_unrounded_number(name):
    svg = vlc.vegalite_to_svg(BUILDERS[name].to_dict())
    read = _read(svg)
    assert read, "the chart drew no text"
    assert [t for t in read if NOT_FOR_READERS.search(t)] == []


def _encodings(spec: object):
    """Every encoding channel definition in a (layered, concatenated) Vega-Lite spec."""
    if isinstance(spec, dict):
        for channel, definition in (spec.get("encoding") or {}).items():
            for one in definition if isinstance(definition, list) else [definition]:
                yield channel, one
        for value in spec.values():
            yield from _encodings(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _encodings(value)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_quantitative_axes_legends_and_tooltips_carry_a_format_string(name):
    for channel, definition in _encodings(BUILDERS[name].to_dict()):
        if not isinstance(definition, dict) or definition.get("type") != "quantitative":
            continue
        if channel in {"x", "y"} and "axis" in definition:
            assert definition["axis"].get("format"), (channel, definition)
        if channel == "color":
            assert definition.get("legend", {}).get("format"), definition
        if channel in {"tooltip", "text"}:
            fmt = definition.get("format", "")
            assert fmt and "e" not in fmt and "g" not in fmt, definition


def test_the_journey_map_shows_nps_in_whole_points_and_shares_as_percentages():
    nps = BUILDERS["journey nps"].to_dict()
    assert nps["layer"][0]["encoding"]["color"]["legend"]["format"] == ",.0f"
    svg = vlc.vegalite_to_svg(nps)
    assert {"1", "−33"} <= set(re.findall(r"<text[^>]*>([-−]?\d+)</text>", svg))
    shares = BUILDERS["journey conversion_to_next"].to_dict()
    assert shares["layer"][0]["encoding"]["color"]["legend"]["format"] == ".0%"


# --- stage numbers ------------------------------------------------------------------------------


def _tiny_journey() -> pl.DataFrame:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return pl.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "ts": [start, start + timedelta(hours=1), start],
            "touchpoint": ["ad_click", "purchase", "ad_click"],
            "channel": ["web", "web", "app"],
        }
    )


def test_stage_numbers_count_from_one_in_every_stage_table():
    model = cx.stage_model("5-stage")
    summary = cx.stage_summary(_tiny_journey(), model)
    assert summary["stage_index"].to_list() == [1, 2, 3, 4, 5]
    cells = cx.journey_map(_tiny_journey(), model)
    by_stage = dict(zip(cells["stage"], cells["stage_index"], strict=False))
    assert by_stage == {s: model.stages.index(s) + 1 for s in by_stage}
    mapping = model.to_frame()
    assert mapping["stage_index"].min() == 1
    first = mapping.filter(pl.col("stage") == model.stages[0])
    assert first["stage_index"].unique().to_list() == [1]


def test_the_stage_flow_chart_labels_stage_one_as_1():
    summary = cx.stage_summary(_tiny_journey(), cx.stage_model("5-stage"))
    svg = vlc.vegalite_to_svg(charts.stage_flow(summary).to_dict())
    assert "1. awareness" in svg and "0. awareness" not in svg
