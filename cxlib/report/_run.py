"""Running the report: leave out the pages the data cannot fill or the configuration
switches off, execute the other notebooks with papermill in worker processes, export HTML
and publish the folder atomically (see :mod:`cxlib.report`)."""

from __future__ import annotations

import gc
import html
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import cxlib.i18n as i18n
from cxlib._engine import is_eager
from cxlib._errors import DataError, os_errors_as_data_errors
from cxlib._progress import progress_bar
from cxlib.io import load
from cxlib.pages import headlines, kpis, needs
from cxlib.pages.headlines import Headline
from cxlib.report import _kernel, _lanes, _summary
from cxlib.report._executive import computed_headlines, write_index
from cxlib.report._html import export_html, unavailable_page
from cxlib.report._notify import notify
from cxlib.report._params import check_parameters
from cxlib.report._plan import (
    Job,
    check_skip,
    default_notebooks_dir,
    list_params_command,
    one_page,
    plan,
    report_notebooks,
    report_parameters,
)
from cxlib.report._publish import exclusive, publish

if TYPE_CHECKING:
    from cxlib.io import Dataset

log = logging.getLogger("cx.report")
KERNEL = "python3"


Status = Literal["ran", "failed", "not available", "skipped"]


@dataclass
class Outcome:
    """What happened to one page.

    ``status`` is ``"ran"`` (executed and exported), ``"failed"`` (``error`` says why, the
    executed notebook keeps the traceback), ``"not available"`` (not run: the data lacks
    ``missing``, needs of :mod:`cxlib.pages.needs`; a page says so) or ``"skipped"`` (not
    run: ``[report] skip`` in cx.toml). ``sections`` are the notes of a page that ran
    without some of its sections ("needs ...: how to add it"). ``seconds`` and
    ``cpu_seconds`` are the page's wall time and the CPU its worker and kernel spent on it
    (the first page of a worker includes starting its kernel and loading the data);
    ``peak_mb`` is the kernel's memory high-water mark during the page (Linux), which
    includes what it keeps between pages (the dataset, the imported modules).
    """

    job: Job
    status: Status
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_mb: float | None = None
    error: str | None = None
    executed: Path | None = None
    missing: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    summary: str = ""
    headlines: tuple[Headline, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the page lets the report publish: anything but a failure."""
        return self.status != "failed"


@dataclass
class ReportResult:
    """The outcome of a report run.

    ``had_report`` says whether a report was already published at ``out`` when the run
    started (the one a failed run leaves in place). ``summary`` is what the run wrote to
    ``summary.json`` (with ``changes`` since the previous published run); ``notify_error``
    says why the ``[report] notify`` command failed, if it did (the publish stands).
    ``seconds`` and ``cpu_seconds`` are the whole run's wall time and the CPU of this
    process, its workers and their kernels.
    """

    out: Path
    outcomes: list[Outcome] = field(default_factory=list)
    failed_dir: Path | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    had_report: bool = False
    summary: dict[str, Any] = field(default_factory=dict)
    notify_error: str | None = None

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def left_out(self) -> list[Outcome]:
        """Pages not run: not available for this data, or skipped by configuration."""
        return [o for o in self.outcomes if o.status in ("not available", "skipped")]


def _log_to_files(folder: str | Path) -> None:
    """In a worker: send library log records (jupyter_client, zmq, papermill) to a file.

    Otherwise Python prints warnings of loggers without handlers to stderr, e.g. a zmq
    callback's traceback while a failed notebook's kernel shuts down; the CLI promises one
    line per error and no tracebacks. The file stays with a failed run's notebooks.
    """
    folder = Path(folder)
    path = folder / f"worker-{os.getpid()}.log"
    root = logging.getLogger()
    if [getattr(h, "baseFilename", None) for h in root.handlers] == [str(path)]:
        return  # set by this worker's previous page
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for old in root.handlers:
        old.close()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def _error_message(err: BaseException) -> str:
    """A notebook's error on one line, whole: ``Name: message``, and the cell it came from.

    papermill's own text is the traceback, whose last line is the message; the message is
    taken from the exception instead, never cut.
    """
    from papermill.exceptions import PapermillExecutionError

    if isinstance(err, PapermillExecutionError):
        text = f"{err.ename}: {err.evalue} (in cell [{err.exec_count}])"
    else:
        text = type(err).__name__ + (f": {err}" if str(err).strip() else "")
    return " ".join(text.split())


_NOTE = re.compile(r'<div class="cx-unavailable">(.*?)</div>', re.DOTALL)
_ITEM = re.compile(r"<li>(.*?)</li>", re.DOTALL)


def _sections_left_out(notebook: Any) -> tuple[str, ...]:
    """The "Not available for this data" notes (:func:`cxlib.pages.needs.unavailable`) an
    executed notebook showed in place of sections: one line per missing need."""
    found: list[str] = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            markup = output.get("data", {}).get("text/html", "")
            markup = markup if isinstance(markup, str) else "".join(markup)
            for note in _NOTE.findall(markup):
                found += [html.unescape(item) for item in _ITEM.findall(note)]
    return tuple(dict.fromkeys(found))


def _execute(job: Job, workdir: Path, timeout: int, language: str) -> Outcome:
    """Run one notebook with papermill in the worker's kept kernel and export it; runs in a
    worker process (:mod:`._lanes`), which logs to a file of the run's folder and speaks
    the report's language (the pages' translated prose)."""
    import nbformat

    _log_to_files(workdir / "worker-logs")
    i18n.use(language)
    executed = workdir / "executed" / f"{job.name}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    start, cpu = time.perf_counter(), _cpu_now()
    try:
        notebook = _kernel.execute(
            job.notebook,
            executed,
            parameters=job.parameters,
            kernel=KERNEL,
            timeout=timeout,
            cwd=job.notebook.parent,
        )
        # the prose of markdown cells in the report's language (outputs already are)
        nbformat.write(i18n.translate_notebook(notebook), str(executed))
        export_html(executed, workdir / "site" / f"{job.name}.html", title=job.title)
    except Exception as err:  # a failed notebook must not stop the others
        seconds, cpu = time.perf_counter() - start, _cpu_now() - cpu
        return Outcome(
            job, "failed", seconds, max(cpu, 0.0), error=_error_message(err), executed=executed
        )
    return Outcome(
        job,
        "ran",
        time.perf_counter() - start,
        _cpu_now() - cpu,
        _kernel.peak_mb(),
        executed=executed,
        sections=_sections_left_out(notebook),
        summary=headlines.page_summary(notebook),
        headlines=tuple(headlines.harvest(notebook, job.name)),
    )


def _cpu_now() -> float:
    """CPU seconds used so far by this worker (all its threads) and its kernel."""
    return time.process_time() + _kernel.cpu_seconds()


def _leave_out(jobs: list[Job], dataset: Dataset) -> tuple[list[Job], list[Outcome]]:
    """Split the plan: the jobs to run, and one outcome per notebook that is not run.

    A notebook named in ``[report] skip`` is skipped; one whose declared needs the data does
    not meet gets a "not available" page (one for all the stages of a per-stage notebook).
    """
    config = dataset.config
    declared = sorted({name for job in jobs for name in job.needs})
    lacking = set(needs.missing(dataset, *declared))
    run, left_out = [], []
    for _, group in groupby(jobs, key=lambda job: job.notebook):
        group = list(group)
        page = one_page(group)
        if page.name in config.report_skip:
            left_out.append(Outcome(page, "skipped"))
            log.info("%s left out: skipped by [report] skip in %s", page.name, config.source)
        elif missing := tuple(n for n in page.needs if n in lacking):
            left_out.append(Outcome(page, "not available", missing=missing))
            reasons = "; ".join(needs.explain(n) for n in missing)
            log.info("%s left out: not available for this data: %s", page.name, reasons)
        else:
            for job in group:
                stage = job.parameters.get("stage")
                if stage is None or needs.stage_has_touchpoints(dataset, stage):
                    run.append(job)
                    continue
                left_out.append(Outcome(job, "not available", missing=("stage_touchpoints",)))
                log.info("%s left out: no touchpoint maps to stage %r", job.name, stage)
    return run, left_out


def _release_tables(dataset: Dataset) -> float:
    """Drop the dataset's tables from this process once every figure the run takes from
    them is computed: each kernel loads its own, and the index needs only the counts
    (``read``, ``rejects``). At 10M touchpoints that is about a gigabyte the run does not
    hold while its kernels run. Returns the tables' in-memory size in MB."""
    tables = (dataset.touchpoints, dataset.surveys, dataset.customers)
    size = sum(t.estimated_size("mb") for t in tables if is_eager(t))
    dataset.touchpoints = dataset.touchpoints.clear()
    dataset.surveys = None if dataset.surveys is None else dataset.surveys.clear()
    dataset.customers = None if dataset.customers is None else dataset.customers.clear()
    gc.collect()
    return size


def _cpu_tree() -> float:
    """CPU seconds of this process and of its finished children (workers and, through
    them, their kernels)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _log_times(outcomes: list[Outcome]) -> None:
    """The pages that ran, slowest first: wall and CPU seconds (worker and kernel) and the
    kernel's memory high-water mark."""
    ran = sorted((o for o in outcomes if o.seconds), key=lambda o: -o.seconds)
    if not ran:
        return
    width = max(len(o.job.name) for o in ran)
    log.info("time per page: %s  %7s  %7s  %8s", "page".ljust(width), "wall s", "CPU s", "peak MB")
    for o in ran:
        peak = "–" if o.peak_mb is None else f"{o.peak_mb:.0f}"
        log.info(
            "time per page: %s  %7.1f  %7.1f  %8s",
            o.job.name.ljust(width),
            o.seconds,
            o.cpu_seconds,
            peak,
        )


@os_errors_as_data_errors
def run_report(
    data: str | Path = "data/sample",
    out: str | Path = "reports/latest",
    *,
    parameters: Mapping[str, Any] | None = None,
    notebooks_dir: str | Path | None = None,
    jobs: int = 2,
    timeout: int = 600,
    memory_mb: float | None = None,
) -> ReportResult:
    """Execute every report notebook on ``data`` and publish HTML into ``out``.

    A notebook whose declared needs (``metadata["cx"]["needs"]``) the data does not meet is
    not run: a "Not available for this data" page says what is missing and how to add it.
    A notebook named in ``[report] skip`` of cx.toml is not run either; the index lists it
    as skipped. Neither fails the run; a notebook that raises does.

    Parameters
    ----------
    data : str or Path
        A data folder or a ``cx.toml``.
    out : str or Path
        Where the report is published (replaced only when no notebook failed).
    parameters : mapping, optional
        Extra notebook parameters (``-p key=value``); passed to notebooks declaring them.
    notebooks_dir : str or Path, optional
        Where the ``NN-*.ipynb`` notebooks are (default: the repository's ``notebooks/``).
    jobs : int
        Notebooks executed at once, at most: fewer when the kernels would not fit in the
        memory budget (see :mod:`cxlib.report._lanes`).
    timeout : int
        Seconds a single cell may run.
    memory_mb : float, optional
        The memory budget of the run in MB (default: a quarter of the machine's memory).

    Returns
    -------
    ReportResult

    Raises
    ------
    DataError
        Unusable data, no notebooks, an unknown page in ``[report] skip`` or an unknown
        need in a notebook's metadata; nothing is run.

    Examples
    --------
    >>> from cxlib.report import run_report
    >>> result = run_report("data/sample", "reports/latest")  # doctest: +SKIP
    >>> result.ok  # doctest: +SKIP
    True
    """
    started = (time.perf_counter(), _cpu_tree())
    _kernel.skip_slow_imports()
    data, out = Path(data).resolve(), Path(out).resolve()
    notebooks = Path(notebooks_dir).resolve() if notebooks_dir else default_notebooks_dir()
    pages = [notebook.stem for notebook in report_notebooks(notebooks)]
    if not pages:
        raise DataError(
            f"{notebooks}: no report notebooks (NN-topic.ipynb) found; pass --notebooks DIR"
        )
    declared = report_parameters(notebooks)  # -p keys checked before any data is read
    check_parameters(dict(parameters or {}), declared, listing=list_params_command(notebooks))
    # the workers are forked before the data is loaded (see _lanes)
    with _lanes.Lanes(min(max(1, jobs), len(pages))) as lanes:
        dataset = load(data)  # fails fast, with a DataError, on unusable input
        i18n.use(dataset.config.locale)
        check_skip(dataset.config.report_skip, pages, dataset.config.source)
        todo = plan(notebooks, data, dict(parameters or {}), dataset.stages.stages)
        with exclusive(out):
            return _run(
                dataset,
                data,
                out,
                todo,
                pages,
                lanes=lanes,
                jobs=max(1, jobs),
                memory_mb=memory_mb,
                timeout=timeout,
                started=started,
            )


def _run(
    dataset: Dataset,
    data: Path,
    out: Path,
    todo: list[Job],
    pages: list[str],
    *,
    lanes: _lanes.Lanes,
    jobs: int,
    memory_mb: float | None,
    timeout: int,
    started: tuple[float, float],
) -> ReportResult:
    """One run, under the lock of ``out``: execute, write the site, publish or keep."""
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    workdir = out.parent / f".{out.name}.run-{run_id}"
    (workdir / "site").mkdir(parents=True)
    result = ReportResult(out, had_report=(out / "index.html").is_file())
    figures = kpis.headline(dataset)  # computed once: summary.json and the index show them
    summary = _summary.summarize(dataset, run_id=run_id, figures=figures)
    previous = _summary.read_previous(out)
    if previous is not None:
        summary["compared_with"] = {k: previous.get(k) for k in ("run_id", "generated_at")}
        summary["changes"] = _summary.compare(previous, summary)
    result.summary = summary
    log.info("cx report: %d notebooks on %s -> %s", len(pages), data, out)
    todo, result.outcomes = _leave_out(todo, dataset)
    for outcome in result.outcomes:
        if outcome.status == "not available":
            target = workdir / "site" / f"{outcome.job.name}.html"
            unavailable_page(target, outcome.job.title, outcome.missing)
    computed = computed_headlines(dataset, summary.get("stages", []))
    size_mb = _release_tables(dataset)  # the rest of the run needs none of the rows
    n = _lanes.plan(jobs, len(todo), size_mb, memory_mb)
    bar = progress_bar(total=len(todo), desc="cx report", unit="notebook")
    for outcome in lanes.run(n, _execute, todo, workdir, timeout, i18n.current()):
        result.outcomes.append(outcome)
        status = "ok" if outcome.ok else f"FAILED: {outcome.error}"
        bar.update(1)
        bar.set_postfix_str(outcome.job.name)
        log.info("%s (%.1fs) %s", outcome.job.name, outcome.seconds, status)
        for section in outcome.sections:
            log.info(
                "%s: a section left out: not available for this data: %s",
                outcome.job.name,
                section,
            )
    lanes.close()  # the workers and their kernels are done: their CPU time counts from here
    bar.close()
    result.outcomes.sort(key=lambda o: o.job.name)
    if result.left_out:
        left_out = ", ".join(f"{o.job.name} ({o.status})" for o in result.left_out)
        log.info("left out of this report: %s", left_out)
    _log_times(result.outcomes)
    write_index(dataset, workdir / "site", result, figures, computed)
    result.seconds = time.perf_counter() - started[0]
    result.cpu_seconds = _cpu_tree() - started[1]
    if result.ok:
        publish(workdir / "site", out, run_id)
        shutil.rmtree(workdir, ignore_errors=True)
        if dataset.config.report_notify:
            result.notify_error = notify(dataset.config.report_notify, summary, out)
    else:
        failed = out.parent / f"{out.name}.failed-{run_id}"
        os.replace(workdir, failed)
        result.failed_dir = failed
    return result
