"""What a page shows never reads "null" or "sample": missing categories, empty heatmap
cells and the small-group flag."""

from __future__ import annotations

import json

import polars as pl

from cxlib.pages import charts
from cxlib.pages.tables import table


def test_a_chart_labels_a_missing_category_instead_of_null():
    frame = pl.DataFrame({"channel": ["web", None], "customers": [3, 1]})
    spec = json.dumps(charts.bar_chart(frame, x="channel", y="customers").to_dict())
    assert "(missing)" in spec


def test_a_heatmap_writes_no_label_in_an_empty_cell():
    frame = pl.DataFrame({"stage": ["a", "b"], "channel": ["web", "web"], "nps": [12.0, None]})
    spec = charts.heatmap(frame, x="stage", y="channel", value="nps").to_dict()
    text_layer = spec["layer"][1]
    assert {"filter": "isValid(datum['nps'])"} in text_layer["transform"]


def test_the_small_group_flag_does_not_read_as_the_sample():
    html = table(pl.DataFrame({"nps": [10.0], "small_sample": [True]})).to_html()
    assert "Small group" in html and "sample" not in html.lower().replace("cx-table", "")
