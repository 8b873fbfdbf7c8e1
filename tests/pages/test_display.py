"""What a page shows never reads "null" or "sample": missing categories, empty heatmap
cells and the small-group flag; how charts render live (offline widgets) and in reports
(inline SVG)."""

from __future__ import annotations

import json
import re

import altair as alt
import ipywidgets
import polars as pl
import pytest

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


@pytest.fixture
def renderer_back():
    """The renderer enabled before the test, enabled again after it."""
    active, options = alt.renderers.active, alt.renderers.options
    yield
    alt.renderers.enable(active, **options)


def _rendered(chart: alt.Chart) -> dict:
    """The mime bundle the enabled renderer makes of ``chart`` (without its metadata)."""
    bundle = alt.renderers.get()(chart.to_dict())
    return bundle[0] if isinstance(bundle, tuple) else bundle


def test_interactive_charts_are_widgets_that_need_no_network(renderer_back):
    charts.use("interactive")
    frame = pl.DataFrame({"channel": ["web", "app"], "customers": [3, 1]})
    bundle = _rendered(charts.bar_chart(frame, x="channel", y="customers"))
    view = bundle["application/vnd.jupyter.widget-view+json"]
    widget = ipywidgets.widgets.widget._instances[view["model_id"]]
    assert isinstance(widget, alt.JupyterChart)
    # vl-convert's bundle of Vega, not altair's module importing it from esm.sh
    assert not re.search(r"""from\s*["']https?:""", widget._esm)
    assert "esm.sh" not in widget._esm and "cdn.jsdelivr" not in widget._esm
    assert widget.embed_options == {"renderer": "svg"}
    assert "locale" in widget.spec["config"]  # localized like every chart of the workbench
    assert "text/html" not in bundle  # altair's HTML renderer is the one that loads a CDN


def test_static_charts_stay_inline_svg(renderer_back):
    charts.use("static")
    frame = pl.DataFrame({"channel": ["web", "app"], "customers": [3, 1]})
    bundle = _rendered(charts.bar_chart(frame, x="channel", y="customers"))
    assert set(bundle) == {"image/svg+xml"}
    assert bundle["image/svg+xml"].lstrip().startswith("<svg")
