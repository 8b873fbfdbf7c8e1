"""``cx report``: run every report notebook headlessly and publish offline HTML.

A run executes each ``notebooks/NN-*.ipynb`` with papermill (a notebook whose parameters
cell defines ``stage`` runs once per stage of the configured model), exports each to HTML
without code, writes ``index.html`` with headline KPIs and links, and publishes the folder
atomically into ``--out``. A failed notebook does not stop the others; the run then exits
non-zero, keeps the failed executed notebook (with its traceback) in
``<out>.failed-<run id>/`` and leaves the last good report untouched.
"""

from cxlib.report._html import export_html, index_page
from cxlib.report._run import Job, Outcome, ReportResult, default_notebooks_dir, plan, run_report

__all__ = [
    "Job",
    "Outcome",
    "ReportResult",
    "default_notebooks_dir",
    "export_html",
    "index_page",
    "plan",
    "run_report",
]
