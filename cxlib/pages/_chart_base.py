"""Shared by the chart modules: the workbench's one altair theme and frame helpers.

Importing this module registers and enables the ``"cx"`` theme (palette, font, width), so
every chart of :mod:`cxlib.pages.charts` looks the same whichever module built it.
"""

from __future__ import annotations

import json

import altair as alt
import polars as pl

import cxlib.i18n as i18n
from cxlib.pages._labels import LABELS, WORDS

PALETTE = ["#1f5f8b", "#e07a1f", "#2a9d8f", "#c44536", "#7b5ea7", "#8a8a8a", "#e9c46a"]
FONT = "Inter, Segoe UI, Helvetica, Arial, sans-serif"
WIDTH = 560
EMBED = {"renderer": "svg"}
"""vega-embed's options for live charts: SVG, crisp text and the marks in the page's DOM
(as in the static reports), where a reader's browser and the tests can find them."""


@alt.theme.register("cx", enable=True)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT,
            "view": {"stroke": None, "continuousWidth": WIDTH, "continuousHeight": 300},
            "range": {"category": PALETTE, "heatmap": {"scheme": "blues"}},
            "axis": {
                "labelFontSize": 12,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "titleColor": "#444",
                "gridColor": "#eee",
                "domainColor": "#bbb",
            },
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
            "title": {"fontSize": 15, "anchor": "start", "color": "#222", "subtitleColor": "#666"},
            "bar": {"color": PALETTE[0]},
            "line": {"color": PALETTE[0], "strokeWidth": 2},
        }
    }


MISSING = "(missing)"
"""The label of a missing category: a chart never shows "null"."""


COUNT = ",.2~f"
"""The d3 format of counts and amounts on axes: separators, never exponents (5e+3)."""

DASH = "–"
"""What a chart writes for a missing number: a chart never shows "null" or "NaN"."""


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Durations as hours (Vega-Lite has no duration type); missing text as ``(missing)``;
    NaN and infinite numbers as missing (JSON has neither; marks of missing values are not
    drawn)."""
    floats = [c for c, dtype in frame.schema.items() if dtype.is_float()]
    return frame.with_columns(
        (pl.col(pl.Duration).dt.total_seconds(fractional=True) / 3600).name.keep(),
        pl.col(pl.String).fill_null(MISSING),
        *[pl.when(pl.col(c).is_finite()).then(pl.col(c)).alias(c) for c in floats],
    )


def _shown(field: str, fmt: str) -> str:
    """A Vega expression: ``field`` formatted with the d3 format ``fmt``, or "–" when the
    value is missing."""
    value = f"datum[{json.dumps(field)}]"
    return (
        f"isValid({value}) && isFinite({value}) "
        f"? format({value}, {json.dumps(fmt)}) : {json.dumps(DASH)}"
    )


def _with_text(chart: alt.Chart, formats: dict[str, str]) -> alt.Chart:
    """Add a ``<field>_text`` column per ``{field: d3 format}``: the number as a reader sees
    it, "–" when missing. Tooltips (and the descriptions a screen reader reads, which Vega
    builds from them) use these, so they never read "null"."""
    return chart.transform_calculate(**{f"{f}_text": _shown(f, fmt) for f, fmt in formats.items()})


def _interval_described(chart: alt.Chart, low: str, high: str, fmt: str) -> alt.Chart:
    """Interval whiskers described as "95% interval: 12% – 18%" for screen readers (Vega
    would describe them by their raw positions, unrounded)."""
    lead = json.dumps(i18n._("95% interval") + ": ")
    text = f"{lead} + ({_shown(low, fmt)}) + ' – ' + ({_shown(high, fmt)})"
    return chart.transform_calculate(interval_text=text).encode(
        description=alt.Description("interval_text:N")
    )


def _tip(field: str, title: str) -> alt.Tooltip:
    """The tooltip of a ``<field>_text`` column added by :func:`_with_text`."""
    return alt.Tooltip(f"{field}_text:N", title=title)


def localize(spec: dict) -> dict:
    """A Vega-Lite spec in the report's language (:mod:`cxlib.i18n`): every chart, axis,
    legend and tooltip title that is a msgid translated, numbers and dates formatted with
    the language's separators and month names (``config.locale``). Data are left alone.

    Builders keep English literals; the renderers :func:`renderer` registers apply this to
    every chart a notebook shows, whichever module built it.

    Examples
    --------
    >>> from cxlib import i18n
    >>> _ = i18n.use("vi")
    >>> spec = localize({"title": "Funnel", "encoding": {"y": {"title": "Customers"}}})
    >>> spec["title"], spec["encoding"]["y"]["title"], spec["config"]["locale"]["number"]["decimal"]
    ('Phễu', 'Khách hàng', ',')
    >>> _ = i18n.use("en")
    """

    def walk(node: object, in_title: bool = False) -> object:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key == "datasets":  # the data as written, but for the workbench's own words
                out[key] = {name: [words(row) for row in rows] for name, rows in value.items()}
            elif key == "data":
                out[key] = value
            elif key in ("title", "subtitle") or (in_title and key == "text"):
                out[key] = translate(value)
            else:
                out[key] = walk(value)
        return out

    own = {value: i18n._(msgid) for value, msgid in WORDS.items()}

    def words(row: object) -> object:
        if not isinstance(row, dict):
            return row
        return {k: own.get(v, v) if isinstance(v, str) else v for k, v in row.items()}

    def text(title: str) -> str:
        """A msgid, or a column name a builder wrote as words ("response rate"): then the
        header a table gives it (:data:`cxlib.pages._labels.LABELS`)."""
        translated = i18n._(title)
        if translated == title and title.replace(" ", "_") in LABELS:
            return i18n._(LABELS[title.replace(" ", "_")])
        return translated

    def translate(value: object) -> object:
        if isinstance(value, str):
            return text(value)
        if isinstance(value, list):  # a title of several lines
            return [text(v) if isinstance(v, str) else v for v in value]
        return walk(value, in_title=True)  # {"text": ..., "subtitle": ...}

    out = walk(spec)
    assert isinstance(out, dict)
    config = dict(out.get("config", {}))
    config["locale"] = i18n.vega_locale()
    out["config"] = config
    return out


def renderer(name: str) -> str:
    """The name of an altair renderer that shows charts as ``name`` does (``"svg"``,
    ``"default"``) after :func:`localize`; registered on first use."""
    localized = f"cx-{name}"
    if localized not in alt.renderers.names():
        alt.renderers.enable(name)
        base = alt.renderers.get()

        def render(spec: dict, **metadata: object) -> object:
            return base(localize(spec), **metadata)

        alt.renderers.register(localized, render)
    return localized
