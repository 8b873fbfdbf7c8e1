"""Shared by the chart modules: the workbench's one altair theme and frame helpers.

Importing this module registers and enables the ``"cx"`` theme (palette, font, width), so
every chart of :mod:`cxlib.pages.charts` looks the same whichever module built it.
"""

from __future__ import annotations

import altair as alt
import polars as pl

PALETTE = ["#1f5f8b", "#e07a1f", "#2a9d8f", "#c44536", "#7b5ea7", "#8a8a8a", "#e9c46a"]
FONT = "Inter, Segoe UI, Helvetica, Arial, sans-serif"
WIDTH = 560


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


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Durations as hours (Vega-Lite has no duration type); missing text as ``(missing)``."""
    return frame.with_columns(
        (pl.col(pl.Duration).dt.total_seconds(fractional=True) / 3600).name.keep(),
        pl.col(pl.String).fill_null(MISSING),
    )
