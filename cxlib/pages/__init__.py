"""Notebook-facing helpers: what a report page shows, never an analysis of its own.

* :mod:`cxlib.pages.charts` — altair charts from aggregated frames, one theme;
* :mod:`cxlib.pages.tables` — HTML tables that escape untrusted text and pseudonymize ids;
* :mod:`cxlib.pages.explore` — the interactive funnel explorer widget;
* :mod:`cxlib.pages.health` — the data-health page's sections;
* :mod:`cxlib.pages.needs` — what a page or section needs from the data, and the note
  shown where the data lacks it;
* :mod:`cxlib.pages.stage_view` — the stage page's sections.

Submodules load on first use (``from cxlib.pages import charts``), so that importing
cxlib does not import altair or ipywidgets.
"""

__all__ = ["charts", "explore", "health", "needs", "stage_view", "tables"]
