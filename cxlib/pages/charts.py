"""Altair charts for the workbench: one theme, built from aggregated frames.

Every builder takes the small tidy frame an analysis returns (never raw touchpoints) and
returns an ``alt.Chart``; labels are plain language, not column names. One switch decides
how charts render:

* ``use("interactive")`` — each chart is an ``alt.JupyterChart`` widget (tooltips, clicks)
  whose Vega JavaScript comes bundled from vl-convert (``offline=True``), so charts draw in
  JupyterLab without internet access: no CDN (altair's default renderer loads Vega from
  jsDelivr, and JupyterLab's own Vega renderer does not take Vega-Lite 6);
* ``use("static")`` — charts become inline SVG (vl-convert), so an exported HTML page needs
  no JavaScript, no CDN and no network. Scheduled reports use this.

The theme and frame helpers live in :mod:`cxlib.pages._chart_base`, the churn, survival and
driver charts in :mod:`cxlib.pages._model_charts`; all are re-exported here.

Examples
--------
>>> import cxlib as cx
>>> from cxlib.pages import charts
>>> charts.use("static")
'static'
>>> ds = cx.load("data/sample")
>>> chart = charts.funnel_chart(cx.funnel(ds.touchpoints, ["visit", "add_to_cart", "purchase"]))
>>> [layer["mark"]["type"] for layer in chart.to_dict()["layer"]]  # bars, conversion labels
['bar', 'text']
"""

from __future__ import annotations

from typing import Any, Literal

import altair as alt
import polars as pl

from cxlib._engine import to_polars
from cxlib.pages._chart_base import (
    COUNT,
    EMBED,
    FONT,
    PALETTE,
    WIDTH,
    _interval_described,
    _plain,
    _tip,
    _with_text,
    renderer,
)
from cxlib.pages._model_charts import (
    calibration_chart,
    drivers_chart,
    importance_chart,
    lift_chart,
    partial_dependence_chart,
    share_comparison_chart,
    survival_chart,
)

__all__ = [
    "EMBED",
    "FONT",
    "Mode",
    "PALETTE",
    "WIDTH",
    "bar_chart",
    "calibration_chart",
    "drivers_chart",
    "funnel_chart",
    "funnel_explorer_chart",
    "funnel_explorer_data",
    "grouped_bar_chart",
    "heatmap",
    "histogram",
    "importance_chart",
    "journey_heatmap",
    "lift_chart",
    "partial_dependence_chart",
    "retention_heatmap",
    "share_comparison_chart",
    "stage_flow",
    "survival_chart",
    "trend_chart",
    "use",
]

Mode = Literal["interactive", "static"]


def use(mode: Mode = "interactive") -> Mode:
    """Choose how charts render: ``"interactive"`` (JupyterLab, offline) or ``"static"``
    (inline SVG).

    Examples
    --------
    >>> use("static")
    'static'
    """
    if mode == "static":  # both in the report's language (_chart_base.localize)
        alt.renderers.enable(renderer("svg"))
    elif mode == "interactive":
        alt.renderers.enable(renderer("jupyter"), offline=True, embed_options=EMBED)
    else:
        raise ValueError(f"mode={mode!r}; use 'interactive' or 'static'")
    alt.data_transformers.disable_max_rows()
    return mode


def funnel_chart(funnel: Any, *, title: str = "Funnel", by: str | None = None) -> alt.Chart:
    """Bars of customers at each step with the conversion from step 1 as a label.

    With ``by`` (a breakdown column of the funnel frame) the bars are grouped.
    """
    data = _plain(to_polars(funnel)).with_columns(
        (pl.col("step_index").cast(pl.String) + ". " + pl.col("step")).alias("label")
    )
    x = alt.X("label:N", sort=None, title=None, axis=alt.Axis(labelAngle=0))
    tooltip = [
        alt.Tooltip("step:N", title="Step"),
        alt.Tooltip("customers:Q", title="Customers", format=","),
        _tip("conversion", "Conversion from step 1"),
        _tip("step_conversion", "From previous step"),
    ]
    base = _with_text(alt.Chart(data), {"conversion": ".1%", "step_conversion": ".1%"}).encode(x=x)
    y = alt.Y("customers:Q", title="Customers", axis=alt.Axis(format=COUNT))
    if by:
        bars = base.mark_bar().encode(
            y=y,
            xOffset=alt.XOffset(f"{by}:N"),
            color=alt.Color(f"{by}:N", title=by.replace("_", " ")),
            tooltip=[alt.Tooltip(f"{by}:N"), *tooltip],
        )
        return bars.properties(title=title, width=WIDTH)
    bars = base.mark_bar().encode(y=y, tooltip=tooltip)
    labels = (
        base.transform_filter("isValid(datum.conversion)")  # no label on a step nobody began
        .mark_text(dy=-8, fontSize=12, color="#333")
        .encode(y="customers:Q", text=alt.Text("conversion:Q", format=".1%"))
    )
    return (bars + labels).properties(title=title, width=WIDTH)


def trend_chart(
    frame: Any,
    *,
    x: str,
    y: str,
    low: str | None = None,
    high: str | None = None,
    color: str | None = None,
    title: str = "",
    x_title: str | None = None,
    y_title: str | None = None,
    percent: bool = True,
) -> alt.Chart:
    """A line over time with an optional interval band (``low``/``high`` columns).

    With a ``complete`` column (:func:`cxlib.funnel_trend`, :func:`cxlib.with_period` then
    ``by=["period", "complete"]``, :func:`cxlib.lifecycle`, the data-health activity), a
    period still open (``complete`` False or missing) is drawn as a hollow point at the end
    of a dashed, lighter segment, without a band, and a subtitle says it is not final: its
    customers or answers are still coming in, so a dip there is not a drop.
    """
    data = _plain(to_polars(frame))
    fmt = ".0%" if percent else ",.0f"
    enc = {
        "x": alt.X(f"{x}:T", title=x_title or x.replace("_", " ")),
        "y": alt.Y(f"{y}:Q", title=y_title or y.replace("_", " "), axis=alt.Axis(format=fmt)),
    }
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=color.replace("_", " "))
    tooltip = [alt.Tooltip(f"{x}:T"), alt.Tooltip(f"{y}:Q", format=fmt)]
    if "complete" not in data.columns:
        line = alt.Chart(data).mark_line(point=True).encode(**enc, tooltip=tooltip)
        if low and high:
            band_enc = {"x": enc["x"], "y": alt.Y(f"{low}:Q"), "y2": alt.Y2(f"{high}:Q")}
            if color:
                band_enc["color"] = enc["color"]
            band = alt.Chart(data).mark_area(opacity=0.18).encode(**band_enc)
            band = _interval_described(band, low, high, fmt)
            return (band + line).properties(title=title, width=WIDTH)
        return line.properties(title=title, width=WIDTH)
    data = _with_open_periods(data, x, color)
    final, still_open = alt.Chart(data).transform_filter("datum.complete"), alt.Chart(data)
    still_open = still_open.transform_filter("!datum.complete")
    fixed = {} if color else {"color": PALETTE[0]}  # the theme colours lines, not points
    layers = [
        final.mark_line(**fixed).encode(**enc),
        alt.Chart(data)  # from the last final point on, dashed and lighter
        .transform_filter("!datum.complete || datum.leads_to_open")
        .mark_line(strokeDash=[5, 4], opacity=0.55, **fixed)
        .encode(**enc),
        final.mark_point(filled=True, size=40, opacity=1, **fixed).encode(**enc, tooltip=tooltip),
        still_open.mark_point(filled=False, size=60, strokeWidth=2, opacity=0.8, **fixed).encode(
            **enc, tooltip=tooltip
        ),
    ]
    if low and high:
        band_enc = {"x": enc["x"], "y": alt.Y(f"{low}:Q"), "y2": alt.Y2(f"{high}:Q")}
        if color:
            band_enc["color"] = enc["color"]
        band = final.mark_area(opacity=0.18, **fixed).encode(**band_enc)
        layers.insert(0, _interval_described(band, low, high, fmt))
    if data.get_column("complete").all():
        return alt.layer(*layers).properties(title=title, width=WIDTH)
    heading = alt.Title(
        title, subtitle="Hollow points, dashed: open period, not final, left out of comparisons"
    )
    return alt.layer(*layers).properties(title=heading, width=WIDTH)


def _with_open_periods(data: pl.DataFrame, x: str, color: str | None) -> pl.DataFrame:
    """``complete`` without nulls (missing: open) and ``leads_to_open``: the last final
    point of each line that goes on into open periods (where the dashed segment starts)."""
    data = data.with_columns(pl.col("complete").fill_null(False))
    last_final = pl.col(x).filter(pl.col("complete")).max()
    any_open = (~pl.col("complete")).any()
    if color:
        last_final, any_open = last_final.over(color), any_open.over(color)
    return data.with_columns(
        (pl.col("complete") & any_open & (pl.col(x) == last_final)).alias("leads_to_open")
    )


def bar_chart(
    frame: Any,
    *,
    x: str,
    y: str,
    color: str | None = None,
    title: str = "",
    x_title: str | None = None,
    y_title: str | None = None,
    horizontal: bool = False,
    percent: bool = False,
    low: str | None = None,
    high: str | None = None,
) -> alt.Chart:
    """Bars of one measure by category, optionally with interval whiskers."""
    data = _plain(to_polars(frame))
    fmt = ".0%" if percent else ",.0f"
    cat = alt.X(f"{x}:N", sort="-y" if not horizontal else None, title=x_title or "")
    val = alt.Y(f"{y}:Q", title=y_title or y.replace("_", " "), axis=alt.Axis(format=fmt))
    if horizontal:
        cat = alt.Y(f"{x}:N", sort="-x", title=x_title or "")
        val = alt.X(f"{y}:Q", title=y_title or y.replace("_", " "), axis=alt.Axis(format=fmt))
    enc = {"x": val, "y": cat} if horizontal else {"x": cat, "y": val}
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=color.replace("_", " "))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(**enc, tooltip=[alt.Tooltip(f"{x}:N"), alt.Tooltip(f"{y}:Q", format=fmt)])
    )
    if low and high:
        if horizontal:
            rule_enc = {"y": cat, "x": alt.X(f"{low}:Q"), "x2": alt.X2(f"{high}:Q")}
        else:
            rule_enc = {"x": cat, "y": alt.Y(f"{low}:Q"), "y2": alt.Y2(f"{high}:Q")}
        rule_enc["tooltip"] = [
            alt.Tooltip(f"{x}:N"),
            alt.Tooltip(f"{low}:Q", title="95% low", format=fmt),
            alt.Tooltip(f"{high}:Q", title="95% high", format=fmt),
        ]
        rule = alt.Chart(data).mark_rule(color="#333").encode(**rule_enc)
        bars = bars + _interval_described(rule, low, high, fmt)
    return bars.properties(title=title, width=WIDTH)


def heatmap(
    frame: Any,
    *,
    x: str,
    y: str,
    value: str,
    title: str = "",
    x_title: str | None = None,
    y_title: str | None = None,
    value_title: str | None = None,
    percent: bool = False,
    x_sort: list[str] | None = None,
    y_sort: list[str] | None = None,
    value_format: str | None = None,
) -> alt.Chart:
    """A labelled heatmap (e.g. stage × channel journey map, cohort × period retention).

    ``value_format`` is the d3 format of the cell labels, tooltips and legend (default:
    ``.0%`` with ``percent``, else ``,.2~f``); cells without a value are left blank.
    """
    data = _plain(to_polars(frame))
    # an explicit format everywhere: without one Vega writes 5e+3 on a gradient legend
    fmt = value_format or (".0%" if percent else ",.2~f")
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:O", title=x_title or x.replace("_", " "), sort=x_sort),
        y=alt.Y(f"{y}:O", title=y_title or y.replace("_", " "), sort=y_sort),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            f"{value}:Q",
            title=value_title or value.replace("_", " "),
            legend=alt.Legend(format=fmt),
        ),
        tooltip=[
            alt.Tooltip(f"{x}:O"),
            alt.Tooltip(f"{y}:O"),
            alt.Tooltip(f"{value}:Q", format=fmt),
        ],
    )
    top = data.get_column(value).max() if data.height else None
    threshold = float(top) * 0.6 if isinstance(top, int | float) else 0.0
    # no label on an empty cell (a stage without a next one, a cell without answers)
    text = (
        base.transform_filter(f"isValid(datum['{value}'])")
        .mark_text(fontSize=11)
        .encode(
            text=alt.Text(f"{value}:Q", format=fmt),
            color=alt.condition(
                f"datum['{value}'] > {threshold}", alt.value("white"), alt.value("#222")
            ),
        )
    )
    return (cells + text).properties(title=title, width=WIDTH)


def journey_heatmap(
    journey: Any,
    *,
    value: str = "customers",
    stages: list[str] | None = None,
    title: str = "Journey map: customers by stage and channel",
) -> alt.Chart:
    """Stage × channel heatmap of a :func:`cxlib.journey_map` frame.

    Shares read as whole percentages, NPS in whole points, counts with thousands
    separators; a cell without customers or answers stays blank.
    """
    percent = value in {"conversion_to_next", "csat", "share"}
    return heatmap(
        journey,
        x="stage",
        y="channel",
        value=value,
        title=title,
        x_title="Stage",
        y_title="Channel",
        value_title="NPS" if value == "nps" else value.replace("_", " "),
        percent=percent,
        x_sort=stages,
        value_format=".0%" if percent else ",.0f",
    )


def stage_flow(summary: Any, *, title: str = "Customers reaching each stage") -> alt.Chart:
    """Customers per stage in journey order, labelled with conversion to the next stage."""
    data = _plain(to_polars(summary)).with_columns(  # stage_index is 1-based
        (pl.col("stage_index").cast(pl.String) + ". " + pl.col("stage")).alias("label")
    )
    base = _with_text(alt.Chart(data), {"conversion_to_next": ".1%"}).encode(
        x=alt.X("label:N", sort=None, title=None, axis=alt.Axis(labelAngle=0))
    )
    bars = base.mark_bar().encode(
        y=alt.Y("customers:Q", title="Customers", axis=alt.Axis(format=COUNT)),
        tooltip=[
            alt.Tooltip("stage:N", title="Stage"),
            alt.Tooltip("customers:Q", title="Customers", format=","),
            _tip("conversion_to_next", "Went on"),
        ],
    )
    text = (
        base.transform_filter("isValid(datum.conversion_to_next)")
        .mark_text(dy=-8, fontSize=12)
        .encode(y="customers:Q", text=alt.Text("conversion_to_next:Q", format=".0%"))
    )
    return (bars + text).properties(title=title, width=WIDTH)


def retention_heatmap(retention: Any, *, title: str = "Retention by cohort") -> alt.Chart:
    """Cohort × period heatmap of a :func:`cxlib.retention` frame.

    Cells of a period not over yet (``complete`` False: customers may still come back in
    it) are pale with a dashed outline, and a subtitle says they are not final.
    """
    data = _plain(to_polars(retention)).with_columns(pl.col("cohort").dt.strftime("%Y-%m-%d"))
    final = pl.col("complete").fill_null(False) if "complete" in data.columns else pl.lit(True)
    data = data.with_columns(final.alias("complete"))
    base = alt.Chart(data).encode(
        x=alt.X("period_index:O", title="Periods since first visit"),
        y=alt.Y("cohort:O", title="Cohort"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("rate:Q", title="Retained", legend=alt.Legend(format=".0%")),
        opacity=alt.condition("datum.complete", alt.value(1.0), alt.value(0.35)),
        tooltip=[
            alt.Tooltip("cohort:O", title="Cohort"),
            alt.Tooltip("period_index:O", title="Periods since first visit"),
            alt.Tooltip("rate:Q", title="Retained", format=".0%"),
        ],
    )
    outline = (
        base.transform_filter("!datum.complete")
        .mark_rect(filled=False, stroke="#777", strokeDash=[3, 2], strokeWidth=1)
        .encode()
    )
    top = data.get_column("rate").max() if data.height else None
    threshold = float(top) * 0.6 if isinstance(top, int | float) else 0.0
    text = (
        base.transform_filter("isValid(datum.rate)")
        .mark_text(fontSize=11)
        .encode(
            text=alt.Text("rate:Q", format=".0%"),
            color=alt.condition(
                f"datum.complete && datum.rate > {threshold}", alt.value("white"), alt.value("#222")
            ),
        )
    )
    chart = alt.layer(cells, outline, text)
    if data.get_column("complete").all():
        return chart.properties(title=title, width=WIDTH)
    heading = alt.Title(title, subtitle="Pale, outlined cells: period not over yet, not final")
    return chart.properties(title=heading, width=WIDTH)


def histogram(
    frame: Any,
    *,
    value: str,
    bins: int = 30,
    title: str = "",
    x_title: str | None = None,
    y_title: str = "Customers",
) -> alt.Chart:
    """Distribution of one numeric column (e.g. CLV per customer) as binned bars.

    Only ``value`` goes into the chart, so per-customer frames never carry ids into the page.
    """
    data = _plain(to_polars(frame)).select(pl.col(value).cast(pl.Float64)).drop_nulls()
    label = x_title or value.replace("_", " ")
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                f"{value}:Q",
                bin=alt.Bin(maxbins=bins),
                title=label,
                axis=alt.Axis(format=COUNT),
            ),
            y=alt.Y("count():Q", title=y_title, axis=alt.Axis(format=COUNT)),
            tooltip=[
                alt.Tooltip(f"{value}:Q", bin=alt.Bin(maxbins=bins), title=label, format=COUNT),
                alt.Tooltip("count():Q", title=y_title, format=","),
            ],
        )
        .properties(title=title, width=WIDTH)
    )


def grouped_bar_chart(
    frame: Any,
    *,
    x: str,
    y: str,
    group: str,
    title: str = "",
    x_title: str | None = None,
    y_title: str | None = None,
    group_title: str | None = None,
    percent: bool = False,
) -> alt.Chart:
    """Side-by-side bars of one measure by category and group (e.g. channel × attribution
    model), in the frame's order."""
    data = _plain(to_polars(frame))
    fmt = ".0%" if percent else ",.0f"
    categories = data.get_column(x).unique(maintain_order=True).to_list()
    groups = data.get_column(group).unique(maintain_order=True).to_list()
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:N", sort=categories, title=x_title or "", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset(f"{group}:N", sort=groups),
            y=alt.Y(f"{y}:Q", title=y_title or y.replace("_", " "), axis=alt.Axis(format=fmt)),
            color=alt.Color(
                f"{group}:N", sort=groups, title=group_title or group.replace("_", " ")
            ),
            tooltip=[
                alt.Tooltip(f"{x}:N"),
                alt.Tooltip(f"{group}:N"),
                alt.Tooltip(f"{y}:Q", format=fmt),
            ],
        )
        .properties(title=title, width=WIDTH)
    )


def funnel_explorer_data(funnel: Any) -> pl.DataFrame:
    """The rows :func:`funnel_explorer_chart` draws: durations in hours, a step label."""
    return _plain(to_polars(funnel)).with_columns(
        (pl.col("step_index").cast(pl.String) + ". " + pl.col("step")).alias("label")
    )


def funnel_explorer_chart(
    funnel: Any, *, by: str | None = None, title: str = "Funnel", selection: str = "step"
) -> alt.LayerChart:
    """Clickable funnel bars for ``alt.JupyterChart``, labelled with conversion from step 1.

    A point selection named ``selection`` holds the clicked bar's ``step_index`` (and its
    ``by`` group); double-click clears it. With ``by`` the bars are grouped, each labelled.
    The chart draws :func:`funnel_explorer_data` of ``funnel``, so a live view can swap in
    new rows without rebuilding the chart.
    """
    data = funnel_explorer_data(funnel)
    pick = alt.selection_point(name=selection, fields=["step_index", *([by] if by else [])])
    tooltip = [
        alt.Tooltip("step:N", title="Step"),
        alt.Tooltip("customers:Q", title="Customers", format=","),
        _tip("conversion", "Conversion from step 1"),
        _tip("step_conversion", "From previous step"),
    ]
    base = _with_text(alt.Chart(data), {"conversion": ".1%", "step_conversion": ".1%"}).encode(
        x=alt.X("label:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("customers:Q", title="Customers", axis=alt.Axis(format=COUNT)),
    )
    if by:
        base = base.encode(
            xOffset=alt.XOffset(f"{by}:N"), color=alt.Color(f"{by}:N", title=by.replace("_", " "))
        )
        tooltip = [alt.Tooltip(f"{by}:N", title=by.replace("_", " ")), *tooltip]
    bars = (
        base.mark_bar(cursor="pointer")
        .encode(opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)), tooltip=tooltip)
        .add_params(pick)
    )
    labels = (
        base.transform_filter("isValid(datum.conversion)")
        .mark_text(dy=-8, fontSize=10 if by else 12, color="#333")
        .encode(text=alt.Text("conversion:Q", format=".0%" if by else ".1%"))
    )
    subtitle = "Click a bar to see who dropped off after that step"
    return (bars + labels).properties(title=alt.Title(title, subtitle=subtitle), width=WIDTH)
