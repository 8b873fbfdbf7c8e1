"""``cx report``: run every report notebook headlessly and publish offline HTML.

A run executes each ``notebooks/NN-*.ipynb`` with papermill (a notebook whose parameters
cell defines ``stage`` runs once per stage of the configured model), exports each to HTML
without code, writes ``index.html`` (an executive summary: data period, KPIs with
intervals, definitions and changes, the ranked findings, a line per page) and
``summary.json``, and publishes the folder atomically into ``--out``. The next run into the
same folder compares with the published ``summary.json`` and flags credible changes
(:mod:`cxlib.report._summary`); ``[report] notify`` in cx.toml runs a command with the
summary after each publish.

A report always comes out for data that loads: a notebook whose declared needs
(``metadata["cx"]["needs"]``, names of :mod:`cxlib.pages.needs`) the data does not meet is
not run, and a page says "Not available for this data" with what is missing and how to add
it (one page for a per-stage notebook); a notebook named in ``[report] skip`` of cx.toml is
not run and is listed as skipped. Neither fails the run. A notebook that raises does: the
run exits non-zero, keeps the failed executed notebook (with its traceback) in
``<out>.failed-<run id>/`` and leaves the last good report, if any, untouched.

``-p key=value`` reaches every notebook whose cell tagged ``parameters`` declares ``key``; a
key no notebook declares, or one the run sets itself (``data``, ``render``), is refused
before anything runs (:mod:`cxlib.report._params`); ``cx report --list-params`` lists them.
"""

from cxlib.report._html import export_html, unavailable_page
from cxlib.report._index import index_page
from cxlib.report._params import Parameter, check_parameters, describe_parameters, parameters_of
from cxlib.report._plan import (
    Job,
    default_notebooks_dir,
    list_params_command,
    plan,
    report_parameters,
)
from cxlib.report._publish import ReportBusy
from cxlib.report._run import Outcome, ReportResult, run_report

__all__ = [
    "Job",
    "Outcome",
    "Parameter",
    "ReportBusy",
    "ReportResult",
    "check_parameters",
    "default_notebooks_dir",
    "describe_parameters",
    "export_html",
    "index_page",
    "list_params_command",
    "parameters_of",
    "plan",
    "report_parameters",
    "run_report",
    "unavailable_page",
]
