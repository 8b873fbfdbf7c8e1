"""Notebook-facing helpers: what a report page shows, never an analysis of its own.

* :mod:`cxlib.pages.charts` — altair charts from aggregated frames, one theme;
* :mod:`cxlib.pages.tables` — HTML tables that escape untrusted text and pseudonymize ids;
* :mod:`cxlib.pages.explore` — the interactive funnel explorer widget;
* :mod:`cxlib.pages.health` — the data-health page's sections;
* :mod:`cxlib.pages.needs` — what a page or section needs from the data, and the note
  shown where the data lacks it;
* :mod:`cxlib.pages.defaults` — what a page uses where its parameters leave the choice to
  the configuration or the data (funnel steps, channel groups, segments, snapshot date);
* :mod:`cxlib.pages.findings` — the sentences that state a finding, computed from a
  result frame (never written in advance);
* :mod:`cxlib.pages.stage_view` — the stage page's sections.

Submodules load on first use (``from cxlib.pages import charts``), so that importing
cxlib does not import altair or ipywidgets.
"""

__all__ = [
    "charts",
    "defaults",
    "explore",
    "findings",
    "health",
    "needs",
    "stage_view",
    "tables",
]
