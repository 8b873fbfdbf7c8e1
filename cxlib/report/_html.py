"""Stakeholder HTML: executed notebooks without code, in the report's page shell (the
index page is :mod:`cxlib.report._index`).

Pages are self-contained: nbconvert's ``basic`` template (no require.js, no MathJax, no
CDN) inside our own page shell with inline CSS; charts arrive as inline SVG (static
rendering). Every string from the data is escaped before it reaches a page.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import cxlib.i18n as i18n
from cxlib.pages import needs
from cxlib.privacy import escape

_CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:15px/1.55 Inter,Segoe UI,Helvetica,Arial,sans-serif;color:#222;
background:#f6f7f9;overflow-wrap:break-word}
header{background:#1f3b57;color:#fff;padding:14px 28px}
header a{color:#cfe3f5;text-decoration:none;font-size:14px}
header h1{margin:4px 0 0;font-size:22px;font-weight:600;color:#fff}
main{max-width:1040px;margin:0 auto;padding:20px 28px 60px;background:#fff;min-height:90vh}
main h1,main h2,main h3{color:#1f3b57;line-height:1.25}
.anchor-link{display:none}
.jp-Cell,.cell{margin:0 0 10px}
.cell,.output_area,.output_subarea,.jp-Cell,.jp-OutputArea-output{min-width:0;max-width:100%}
.jp-OutputArea-output pre,.output_text pre{background:#f7f7f9;padding:8px;overflow-x:auto;
font-size:13px}
img,svg{max-width:100%;height:auto}
.cx-chart{overflow-x:auto;max-width:100%;margin:4px 0 14px}
.cx-chart svg{display:block}
.cx-table-wrap{overflow-x:auto;max-width:100%}
.rendered_html table:not(.cx-table),.jp-RenderedHTMLCommon table:not(.cx-table){display:block;
overflow-x:auto;max-width:100%;border-collapse:collapse}
.rendered_html table:not(.cx-table) :is(th,td){padding:4px 8px;border-bottom:1px solid #eceff3;
text-align:left}
.kpis{display:flex;flex-wrap:wrap;gap:14px;margin:18px 0 26px}
.kpi{flex:1 1 200px;min-width:0;background:#f3f6fa;border-radius:8px;padding:14px 18px}
.kpi .value{font-size:28px;font-weight:650;color:#1f3b57}
.kpi .label{font-size:13px;color:#555}
.kpi .detail{font-size:12px;color:#777}
ul.pages{list-style:none;padding:0}
ul.pages li{padding:8px 0;border-bottom:1px solid #eee}
ul.pages a{color:#1f5f8b;font-weight:600;text-decoration:none}
.failed{color:#b3261e}
.unavailable,.skipped{color:#6b5900}
.cx-unavailable,.cx-rejected{background:#fff8e1;border-left:4px solid #e0a800;
padding:10px 18px;margin:14px 0;border-radius:4px}
details{margin:14px 0}
summary{cursor:pointer;font-weight:600;color:#1f3b57}
footer{color:#888;font-size:12px;margin-top:30px}
@media (max-width:640px){
header{padding:10px 14px}
header h1{font-size:19px}
main{padding:14px 14px 40px}
main h1{font-size:24px}
main h2{font-size:20px}
.kpis{gap:10px}
.kpi{padding:10px 14px}
.kpi .value{font-size:24px}
}
@page{size:A4;margin:14mm 12mm}
@media print{
body,main{background:none;color:#000}
body{font-size:11pt}
header{background:none;color:#000;padding:0 0 6px;border-bottom:2px solid #1f3b57}
header a{display:none}
header h1{color:#1f3b57}
main{max-width:none;min-height:0;padding:8px 0 0}
main h1,main h2,main h3,caption,figcaption,summary{break-after:avoid}
.kpi,.cx-chart,.cx-unavailable,.cx-rejected,main pre,tr{break-inside:avoid}
.kpi{background:none;border:1px solid #bbb}
.cx-unavailable,.cx-rejected{background:none}
main .cx-chart,main .cx-table-wrap,main table,main pre{overflow:visible}
.rendered_html table:not(.cx-table),.jp-RenderedHTMLCommon table:not(.cx-table){display:table}
.cx-chart svg{min-width:0!important}
main pre{white-space:pre-wrap}
main table{max-width:100%}
main .cx-table-figure,main table{font-size:8pt}
main th,main td,main .cx-table th,main .cx-table td{padding:3px 4px}
main th,main td{overflow-wrap:break-word}
main table:has(th:nth-child(10)){font-size:7pt}
main table:has(th:nth-child(14)){font-size:6.5pt}
details::details-content{content-visibility:visible;display:block}
summary{list-style:none}
summary::-webkit-details-marker{display:none}
}
"""
"""The page shell's style sheet, for any screen. On a 360 px phone nothing widens the page:
tables wider than the card scroll in their ``.cx-table-wrap``, charts scale down to their
card but stop where labels would shrink below 9 px and scroll in their ``.cx-chart`` from
there (:func:`_scalable`), long words and URLs wrap. Printed to A4, nothing scrolls: tables
get a smaller font and wrap, charts fit the page width, cards and charts are not split across
pages, backgrounds are dropped and ``<details>`` sections print open."""


def page(title: str, body: str, *, back: bool = True, css: str = "") -> str:
    """A complete, self-contained HTML page around an already-safe ``body``, in the
    report's language (``lang``); ``css`` is added to the page's own style sheet."""
    nav = f'<a href="index.html">&larr; {escape(i18n._("All report pages"))}</a>' if back else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{i18n.current()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}{css}</style></head><body>"
        f"<header>{nav}<h1>{escape(title)}</h1></header><main>{body}</main></body></html>\n"
    )


def _noise(output: dict) -> bool:
    """stderr streams: warnings and progress, not for stakeholders."""
    return output.get("output_type") == "stream" and output.get("name") == "stderr"


def _inline_svg(output: dict) -> dict:
    """Charts as inline ``<svg>`` rather than base64 images: searchable, accessible text.

    The SVG comes from vl-convert, which escapes every label it draws.
    """
    data = output.get("data", {})
    svg = data.get("image/svg+xml")
    if svg and "text/html" not in data:
        markup = svg if isinstance(svg, str) else "".join(svg)
        if markup.startswith("<?xml"):
            markup = markup.split("?>", 1)[1]
        output["data"] = {"text/html": f'<div class="cx-chart">{_scalable(markup)}</div>'}
    return output


_MIN_CHART_TEXT_PX = 9
"""No chart label is drawn smaller than this: a chart too wide for the screen at that size
scrolls sideways inside its card instead of shrinking further."""


def _scalable(svg: str) -> str:
    """The chart's ``<svg>`` sized by its card rather than by vl-convert's fixed pixels.

    It takes the card's width, at most its drawn width (labels never grow past their size)
    and at least the width at which its smallest label is still :data:`_MIN_CHART_TEXT_PX`;
    the viewBox keeps its proportions (``height:auto``). The fixed ``width``/``height`` stay
    as a fallback for readers without CSS.
    """
    opening = re.match(r"\s*<svg\b[^>]*>", svg)
    width = re.search(r'\swidth="([\d.]+)(?:px)?"', opening.group(0)) if opening else None
    if opening is None or width is None or "viewbox=" not in opening.group(0).lower():
        return svg
    drawn = float(width.group(1))
    sizes = [float(size) for size in re.findall(r'font-size="([\d.]+)(?:px)?"', svg)]
    smallest = min([size for size in sizes if size > 0], default=_MIN_CHART_TEXT_PX)
    narrowest = min(drawn, drawn * _MIN_CHART_TEXT_PX / smallest)
    style = f"width:100%;height:auto;max-width:{drawn:g}px;min-width:{math.ceil(narrowest)}px"
    tag = opening.group(0)
    sized = (
        tag.replace(' style="', f' style="{style};', 1)
        if ' style="' in tag
        else f'{tag[:-1]} style="{style}">'
    )
    return sized + svg[opening.end() :]


METHODS_TAG = "methods"
"""The cell tag of model internals and diagnostics: shown last, in a collapsed section."""

_METHODS_CSS = """
details.cx-methods{margin:36px 0 10px;border-top:1px solid #dde3ea;padding-top:10px}
details.cx-methods>summary{font-size:17px;padding:4px 0}
details.cx-methods[open]>summary{margin-bottom:10px}
@media print{details.cx-methods>*{display:block}}
"""


def _methods_split(notebook: Any) -> tuple[Any, Any]:
    """The notebook's cells for stakeholders, and its ``methods``-tagged cells (model
    internals, diagnostics, cross-validation), as two notebooks in the original order."""
    import copy

    main, methods = copy.copy(notebook), copy.copy(notebook)
    tagged = [METHODS_TAG in cell.get("metadata", {}).get("tags", []) for cell in notebook.cells]
    main.cells = [c for c, t in zip(notebook.cells, tagged, strict=True) if not t]
    methods.cells = [c for c, t in zip(notebook.cells, tagged, strict=True) if t]
    return main, methods


def export_html(executed: Path, target: Path, *, title: str) -> Path:
    """Export an executed notebook to a stakeholder page: outputs and prose, no code.

    stderr streams (warnings, progress) are dropped; everything else the notebook showed is
    kept as it was rendered (tables are escaped by :mod:`cxlib.pages.tables`, charts are SVG).
    Cells tagged ``methods`` (model internals, diagnostics) leave the flow of the page: they
    come last, in a collapsed ``<details>`` section "How this was computed" (no
    JavaScript), which is left out when none of them showed anything.
    """
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(executed, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [_inline_svg(o) for o in cell.get("outputs", []) if not _noise(o)]
    notebook.metadata.pop("widgets", None)
    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )
    main, methods = _methods_split(notebook)
    body, _ = exporter.from_notebook_node(main)
    if any(cell.cell_type == "code" and cell.get("outputs") for cell in methods.cells):
        details, _ = exporter.from_notebook_node(methods)
        body += (
            f'<details class="cx-methods"><summary>{escape(i18n._("How this was computed"))}'
            f"</summary>{details}</details>"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page(title, body, css=_METHODS_CSS), encoding="utf-8")
    return target


def unavailable_page(target: Path, title: str, missing: tuple[str, ...] | list[str]) -> Path:
    """The page of a notebook that was not run because the data lacks what it needs.

    It says "Not available for this data" and, for each missing need of
    :mod:`cxlib.pages.needs`, what is missing and how to add it; in the same shell as the
    other pages.
    """
    items = "".join(f"<li>{escape(needs.explain(need))}</li>" for need in missing)
    lead = i18n._("This page was not produced because the data lacks what it needs:")
    again = escape(i18n._("Add it and run {command} again.")).format(
        command="<code>cx report</code>"
    )
    body = (
        f'<div class="cx-unavailable"><p><b>{escape(i18n._("Not available for this data."))}'
        f"</b> {escape(lead)}</p><ul>{items}</ul><p>{again}</p></div>"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page(title, body), encoding="utf-8")
    return target
