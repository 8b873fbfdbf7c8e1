"""Stakeholder first, methods last: cells tagged ``methods`` (model internals, diagnostics)
end up in a collapsed "How this was computed" section at the end of the exported page."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cxlib.report._html import export_html


def _shown(text: str) -> dict:
    return new_output("display_data", data={"text/html": f"<p>{text}</p>"})


def _executed(path: Path, cells: list) -> Path:
    """A notebook as papermill leaves it: outputs in place, no kernel needed to export it."""
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, path)
    return path


def _methods(**kwargs) -> dict:
    return {"tags": ["methods"], **kwargs}


def test_methods_cells_come_last_inside_a_closed_details_section(tmp_path):
    executed = _executed(
        tmp_path / "page.ipynb",
        [
            new_markdown_cell("## What matters"),
            new_code_cell("", outputs=[_shown("FINDING-ONE")]),
            new_markdown_cell("## Model internals INTRO-TEXT", metadata=_methods()),
            new_code_cell("", outputs=[_shown("CV-SCORES")], metadata=_methods()),
            new_markdown_cell("## Customers at risk"),
            new_code_cell("", outputs=[_shown("AT-RISK-LIST")]),
            new_code_cell("", outputs=[_shown("BGNBD-PARAMS")], metadata=_methods()),
        ],
    )
    html = export_html(executed, tmp_path / "page.html", title="Page").read_text()

    assert html.count("<details") == 1
    details = re.search(r"<details[^>]*>(.*)</details>", html, re.S)
    assert details is not None
    inside, before = details.group(1), html[: details.start()]
    assert "<summary>How this was computed</summary>" in inside
    # the tagged cells, in the notebook's order, and nothing else
    assert inside.index("INTRO-TEXT") < inside.index("CV-SCORES") < inside.index("BGNBD-PARAMS")
    for other in ("What matters", "FINDING-ONE", "Customers at risk", "AT-RISK-LIST"):
        assert other in before and other not in inside
    for method in ("INTRO-TEXT", "CV-SCORES", "BGNBD-PARAMS"):
        assert method not in before
    # after all the other content, collapsed (no "open"), and no script to work it
    assert html.index("AT-RISK-LIST") < details.start()
    assert "<details open" not in html and "<script" not in html
    assert html.index("</details>") < html.index("</main>")


def test_a_page_without_methods_cells_has_no_methods_section(tmp_path):
    executed = _executed(
        tmp_path / "page.ipynb",
        [new_markdown_cell("## Headline"), new_code_cell("", outputs=[_shown("KPI")])],
    )
    html = export_html(executed, tmp_path / "page.html", title="Page").read_text()
    assert "KPI" in html
    assert "<details" not in html and "How this was computed" not in html


def test_methods_that_showed_nothing_leave_no_empty_section(tmp_path):
    """A model the data could not fit (its section said so above): no empty drawer."""
    executed = _executed(
        tmp_path / "page.ipynb",
        [
            new_code_cell("", outputs=[_shown("NOT-AVAILABLE")]),
            new_markdown_cell("How the model was scored", metadata=_methods()),
            new_code_cell("", outputs=[], metadata=_methods()),
        ],
    )
    html = export_html(executed, tmp_path / "page.html", title="Page").read_text()
    assert "NOT-AVAILABLE" in html
    assert "<details" not in html and "How the model was scored" not in html


def test_methods_section_drops_stderr_and_code_like_the_page(tmp_path):
    warning = new_output("stream", name="stderr", text="RuntimeWarning: overflow\n")
    svg = '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>LIFT</text></svg>'
    chart = new_output("display_data", data={"image/svg+xml": svg, "text/plain": "chart"})
    executed = _executed(
        tmp_path / "page.ipynb",
        [
            new_code_cell("SECRET_CODE = 1", outputs=[_shown("BODY")]),
            new_code_cell("MORE_CODE = 2", outputs=[warning, chart], metadata=_methods()),
        ],
    )
    html = export_html(executed, tmp_path / "page.html", title="Page").read_text()
    inside = html[html.index("<details") :]
    assert "RuntimeWarning" not in html
    assert "SECRET_CODE" not in html and "MORE_CODE" not in html
    assert '<div class="cx-chart"><svg' in inside and "LIFT" in inside
    assert "<?xml" not in html
