"""Tiny report notebooks for tests of ``cx report``: a parameters cell, a markdown line and
one code cell, so that each run starts at most one short kernel."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def write_notebook(
    path: Path, body: str, *, needs: list[str] | None = None, stage: bool = False
) -> None:
    """Write a report notebook running ``body``; ``needs`` go to ``metadata.cx.needs`` and
    ``stage`` declares the per-stage parameter."""
    parameters = 'data = "."\nrender = "static"' + ('\nstage = "awareness"' if stage else "")
    notebook = new_notebook(
        cells=[
            new_code_cell(parameters, metadata={"tags": ["parameters"]}),
            new_markdown_cell("A tiny page"),
            new_code_cell(body),
        ]
    )
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    if needs is not None:
        notebook.metadata["cx"] = {"needs": needs}
    nbformat.write(notebook, path)
