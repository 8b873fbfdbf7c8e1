"""Charts by period draw the periods still open differently: hollow points at the end of a
dashed, lighter segment in ``trend_chart``, pale outlined cells in ``retention_heatmap``,
with a subtitle that says they are not final. Checked on the Vega-Lite spec."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

import cxlib as cx
from cxlib.pages import charts, health


def _weeks(n: int) -> list[datetime]:
    return [datetime(2025, 3, 3, tzinfo=UTC) + timedelta(weeks=k) for k in range(n)]


def _rows(spec: dict) -> list[dict]:
    (values,) = spec["datasets"].values()
    return values


def _layer(spec: dict, mark: str, where: str) -> dict:
    found = [
        layer
        for layer in spec["layer"]
        if layer["mark"]["type"] == mark and {"filter": where} in layer.get("transform", [])
    ]
    assert len(found) == 1, [(la["mark"], la.get("transform")) for la in spec["layer"]]
    return found[0]


TREND = pl.DataFrame(
    {
        "period": _weeks(5),
        "conversion": [0.70, 0.71, 0.69, 0.60, 0.53],  # the last two: a false drop
        "conversion_low": [0.65, 0.66, 0.64, 0.5, 0.4],
        "conversion_high": [0.75, 0.76, 0.74, 0.7, 0.66],
        "complete": [True, True, True, False, False],
    }
)


def test_trend_chart_draws_open_periods_hollow_on_a_dashed_lighter_segment():
    spec = charts.trend_chart(
        TREND, x="period", y="conversion", low="conversion_low", high="conversion_high"
    ).to_dict()
    solid = _layer(spec, "line", "datum.complete")
    dashed = _layer(spec, "line", "!datum.complete || datum.leads_to_open")
    final_points = _layer(spec, "point", "datum.complete")
    open_points = _layer(spec, "point", "!datum.complete")
    band = _layer(spec, "area", "datum.complete")  # no interval drawn for an open period
    assert "strokeDash" not in solid["mark"] and dashed["mark"]["strokeDash"]
    assert dashed["mark"]["opacity"] < 1
    assert final_points["mark"]["filled"] is True and open_points["mark"]["filled"] is False
    assert band["encoding"]["y"]["field"] == "conversion_low"
    assert "not final" in spec["title"]["subtitle"]
    # the dashed segment starts at the last final week and runs through the open ones
    rows = _rows(spec)
    starts = [r["period"] for r in rows if r["leads_to_open"]]
    assert starts == [rows[2]["period"]]


def test_trend_chart_starts_a_dashed_segment_per_line_that_has_open_periods():
    frame = pl.DataFrame(
        {
            "period": _weeks(3) * 2,
            "touchpoints": [5, 6, 2, 9, 8, 9],
            "channel": ["web"] * 3 + ["app"] * 3,
            "complete": [True, True, False, True, True, True],
        }
    )
    spec = charts.trend_chart(frame, x="period", y="touchpoints", color="channel").to_dict()
    leads = [(r["channel"], r["period"]) for r in _rows(spec) if r["leads_to_open"]]
    assert leads == [("web", _rows(spec)[1]["period"])]  # app has no open period
    assert _layer(spec, "point", "!datum.complete")["encoding"]["color"]["field"] == "channel"


def test_trend_chart_without_open_periods_has_no_subtitle_and_without_the_flag_is_unchanged():
    final = charts.trend_chart(TREND.with_columns(complete=True), x="period", y="conversion")
    assert final.to_dict()["title"] == ""
    plain = charts.trend_chart(TREND.drop("complete"), x="period", y="conversion").to_dict()
    assert plain["mark"] == {"type": "line", "point": True}


def test_trend_chart_treats_a_missing_flag_as_open():
    frame = TREND.with_columns(pl.Series("complete", [True, True, True, True, None]))
    rows = _rows(charts.trend_chart(frame, x="period", y="conversion").to_dict())
    assert [r["complete"] for r in rows] == [True] * 4 + [False]


def test_funnel_trend_open_weeks_reach_the_chart():
    sample = cx.load("data/sample")
    trend = cx.funnel_trend(sample.touchpoints, ["checkout", "purchase"], "30d", every="1w")
    last = trend.filter(pl.col("step_index") == 2)
    rows = _rows(charts.trend_chart(last, x="period", y="conversion").to_dict())
    assert sum(not r["complete"] for r in rows) == 5  # 30 days: the last five weeks
    assert all(r["complete"] for r in rows[:-5])


def test_retention_heatmap_pales_and_outlines_the_cells_not_over_yet():
    frame = pl.DataFrame(
        {
            "cohort": [datetime(2025, 1, 1, tzinfo=UTC)] * 3
            + [datetime(2025, 2, 1, tzinfo=UTC)] * 2,
            "period_index": [0, 1, 2, 0, 1],
            "rate": [1.0, 0.6, 0.2, 1.0, 0.3],
            "complete": [True, True, False, True, False],
        }
    )
    spec = charts.retention_heatmap(frame).to_dict()
    cells = spec["layer"][0]
    assert cells["mark"]["type"] == "rect" and "transform" not in cells
    opacity = cells["encoding"]["opacity"]
    assert opacity["condition"]["test"] == "datum.complete"
    assert opacity["value"] < opacity["condition"]["value"] == 1.0
    outline = _layer(spec, "rect", "!datum.complete")
    assert outline["mark"]["filled"] is False and outline["mark"]["strokeDash"]
    assert "not final" in spec["title"]["subtitle"]
    assert [r["rate"] for r in _rows(spec)] == [1.0, 0.6, 0.2, 1.0, 0.3]  # open cells still shown


@pytest.mark.parametrize("every", ["1w", "1mo", "1d", "6h"])
def test_activity_over_time_marks_only_the_period_the_data_ends_inside(every):
    # the data ends on Wednesday 12 March 2025, 15:00: the week and month are open; the
    # day counts as covered; a 6-hour period ends at 18:00, after the last touchpoint
    ts = [datetime(2025, 2, 3, 9, tzinfo=UTC), datetime(2025, 3, 12, 15, tzinfo=UTC)]
    frame = {
        "customer_id": ["a", "b"],
        "ts": ts,
        "touchpoint": ["visit"] * 2,
        "channel": ["web"] * 2,
    }
    touchpoints = cx.read_touchpoints(pl.DataFrame(frame))
    ds = cx.Dataset(touchpoints, None, None, cx.stage_model(), pl.DataFrame(), cx.Config(), {})
    activity = health.activity_over_time(ds, every=every)
    last = activity["period"].max()
    expected = [] if every == "1d" else [last]  # a day is covered whole by its last touchpoint
    assert activity.filter(~pl.col("complete"))["period"].to_list() == expected
    assert activity.filter(pl.col("period") < last)["complete"].all()
