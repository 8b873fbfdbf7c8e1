"""Running the report: plan the notebook jobs, execute them with papermill in worker
processes, export HTML and publish the folder atomically (see :mod:`cxlib.report`)."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cxlib._errors import DataError
from cxlib.io import load
from cxlib.report._html import export_html, index_page

log = logging.getLogger("cx.report")
KERNEL = "python3"


@dataclass(frozen=True)
class Job:
    """One notebook execution: the source notebook, its parameters and its page name."""

    notebook: Path
    parameters: dict[str, Any]
    name: str
    title: str


@dataclass
class Outcome:
    """What happened to one job."""

    job: Job
    ok: bool
    seconds: float
    error: str | None = None
    executed: Path | None = None


@dataclass
class ReportResult:
    """The outcome of a report run."""

    out: Path
    outcomes: list[Outcome] = field(default_factory=list)
    failed_dir: Path | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)


def default_notebooks_dir() -> Path:
    """The repository's ``notebooks/`` next to the package, else ``./notebooks``."""
    here = Path(__file__).resolve().parent.parent / "notebooks"
    return here if here.is_dir() else Path.cwd() / "notebooks"


def _title(notebook: Path) -> str:
    words = notebook.stem.split("-", 1)[-1].replace("-", " ")
    return words[:1].upper() + words[1:]


def plan(
    notebooks_dir: Path, data: Path, parameters: Mapping[str, Any], stages: Sequence[str]
) -> list[Job]:
    """The jobs of a run: every ``NN-*.ipynb``, per-stage notebooks once per stage."""
    import papermill as pm

    jobs = []
    for notebook in sorted(notebooks_dir.glob("[0-9][0-9]-*.ipynb")):
        declared = pm.inspect_notebook(str(notebook))
        given = {k: v for k, v in parameters.items() if k in declared}
        base = {"data": str(data), "render": "static", **given}
        base = {k: v for k, v in base.items() if k in declared}
        if "stage" in declared and "stage" not in parameters:
            for i, stage in enumerate(stages, start=1):
                jobs.append(
                    Job(
                        notebook,
                        {**base, "stage": stage},
                        f"{notebook.stem}-{i}-{stage}",
                        f"Stage: {stage}",
                    )
                )
        else:
            jobs.append(Job(notebook, base, notebook.stem, _title(notebook)))
    return jobs


def _log_to_files(folder: str) -> None:
    """In a worker: send library log records (jupyter_client, zmq, papermill) to a file.

    Otherwise Python prints warnings of loggers without handlers to stderr, e.g. a zmq
    callback's traceback while a failed notebook's kernel shuts down; the CLI promises one
    line per error and no tracebacks. The file stays with a failed run's notebooks.
    """
    Path(folder).mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(Path(folder) / f"worker-{os.getpid()}.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def _execute(job: Job, workdir: Path, timeout: int) -> Outcome:
    """Run one notebook with papermill and export it; runs in a worker process."""
    import papermill as pm

    executed = workdir / "executed" / f"{job.name}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(job.notebook),
            str(executed),
            parameters=job.parameters,
            kernel_name=KERNEL,
            execution_timeout=timeout,
            progress_bar=False,
            cwd=str(job.notebook.parent),
        )
        export_html(executed, workdir / "site" / f"{job.name}.html", title=job.title)
    except Exception as err:  # a failed notebook must not stop the others
        message = " ".join(str(err).split())[:300] or type(err).__name__
        return Outcome(job, False, time.perf_counter() - start, message, executed)
    return Outcome(job, True, time.perf_counter() - start, None, executed)


def _progress(total: int):  # noqa: ANN202 - a tqdm bar or None
    if sys.stderr.isatty():
        from tqdm import tqdm

        return tqdm(total=total, desc="cx report", unit="notebook")
    return None


def _publish(site: Path, out: Path, run_id: str) -> None:
    """Swap the finished site into ``out`` so readers never see half a report."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.parent / f".{out.name}.new-{run_id}"
    shutil.move(str(site), staged)
    old = out.parent / f".{out.name}.old-{run_id}"
    if out.exists():
        os.replace(out, old)
    os.replace(staged, out)
    shutil.rmtree(old, ignore_errors=True)


def run_report(
    data: str | Path = "data/sample",
    out: str | Path = "reports/latest",
    *,
    parameters: Mapping[str, Any] | None = None,
    notebooks_dir: str | Path | None = None,
    jobs: int = 2,
    timeout: int = 600,
) -> ReportResult:
    """Execute every report notebook on ``data`` and publish HTML into ``out``.

    Parameters
    ----------
    data : str or Path
        A data folder or a ``cx.toml``.
    out : str or Path
        Where the report is published (replaced only when every notebook succeeded).
    parameters : mapping, optional
        Extra notebook parameters (``-p key=value``); passed to notebooks declaring them.
    notebooks_dir : str or Path, optional
        Where the ``NN-*.ipynb`` notebooks are (default: the repository's ``notebooks/``).
    jobs : int
        Notebooks executed at once.
    timeout : int
        Seconds a single cell may run.

    Returns
    -------
    ReportResult

    Examples
    --------
    >>> from cxlib.report import run_report
    >>> result = run_report("data/sample", "reports/latest")  # doctest: +SKIP
    >>> result.ok  # doctest: +SKIP
    True
    """
    started = time.perf_counter()
    data, out = Path(data).resolve(), Path(out).resolve()
    notebooks = Path(notebooks_dir).resolve() if notebooks_dir else default_notebooks_dir()
    if not any(notebooks.glob("[0-9][0-9]-*.ipynb")):
        raise DataError(
            f"{notebooks}: no report notebooks (NN-topic.ipynb) found; pass --notebooks DIR"
        )
    dataset = load(data)  # fails fast, with a DataError, on unusable input
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    workdir = out.parent / f".{out.name}.run-{run_id}"
    (workdir / "site").mkdir(parents=True)
    todo = plan(notebooks, data, dict(parameters or {}), dataset.stages.stages)
    log.info("cx report: %d notebooks on %s -> %s", len(todo), data, out)
    result = ReportResult(out)
    bar = _progress(len(todo))
    quiet = (str(workdir / "worker-logs"),)
    with ProcessPoolExecutor(max(1, jobs), initializer=_log_to_files, initargs=quiet) as pool:
        futures = {pool.submit(_execute, job, workdir, timeout): job for job in todo}
        for future in as_completed(futures):
            outcome = future.result()
            result.outcomes.append(outcome)
            status = "ok" if outcome.ok else f"FAILED: {outcome.error}"
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(outcome.job.name)
            log.info("%s (%.1fs) %s", outcome.job.name, outcome.seconds, status)
    if bar is not None:
        bar.close()
    result.outcomes.sort(key=lambda o: o.job.name)
    index_page(workdir / "site" / "index.html", dataset, result.outcomes, run_id=run_id)
    result.seconds = time.perf_counter() - started
    if result.ok:
        _publish(workdir / "site", out, run_id)
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        failed = out.parent / f"{out.name}.failed-{run_id}"
        os.replace(workdir, failed)
        result.failed_dir = failed
    return result
