"""The report's workers: lanes forked before the data is loaded, as many as memory allows.

A lane is one worker process with its one kept kernel (:mod:`._kernel`); its pages run one
after another in that kernel. Two things decide how the run uses memory:

- **When the workers are forked.** Forked after the run's own process has loaded and
  analysed the data, a worker inherits those pages; once the parent frees them, each worker
  is left holding a private copy of memory it never uses (at 10M touchpoints about 2.5 GB
  per worker). So the lanes are forked first, while the process holds only its imports.
- **How many lanes run.** Each kernel holds its own copy of the data, and a page's working
  memory grows with the data. :func:`plan` estimates a kernel's peak from the size of the
  loaded tables and runs as many lanes as the memory budget holds (at least one; at most
  ``--jobs``). The budget defaults to a quarter of the machine's memory (the cgroup limit,
  where one is set, counts as the machine's); ``cx report --memory`` sets it.

The estimate is calibrated on the report's own pages (``benchmarks/report.py``, 1x, 10x and
10M touchpoints): a kernel's peak was about 500 MB plus 7.5 times the in-memory size of the
loaded tables (polars ``estimated_size``); the run's own process and the workers add about
500 MB. It is an estimate, not a cap: nothing is killed for passing it.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.util
import os
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from cxlib.report import _kernel
from cxlib.report._publish import die_with_parent

log = logging.getLogger("cx.report")

KERNEL_BASE_MB = 500.0  # a kernel with cxlib, polars, altair and scikit-learn imported
KERNEL_PER_DATA_MB = 7.5  # a page's peak, per MB of loaded tables
OWN_MB = 500.0  # the run's own process and its workers (not their kernels)
_CGROUP_LIMIT = Path("/sys/fs/cgroup/memory.max")


def machine_mb() -> float:
    """Memory of this machine in MB: physical memory, or the cgroup's limit when lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    try:
        limit = _CGROUP_LIMIT.read_text().strip()
    except OSError:
        return total
    return min(total, int(limit) / 2**20) if limit.isdigit() else total


def kernel_mb(data_mb: float) -> float:
    """The estimated peak of one kernel running report pages on ``data_mb`` of tables."""
    return KERNEL_BASE_MB + KERNEL_PER_DATA_MB * data_mb


def plan(jobs: int, pages: int, data_mb: float, budget_mb: float | None = None) -> int:
    """How many lanes to run: ``jobs`` at most, one per page at most, as many as the
    budget holds (a quarter of :func:`machine_mb` by default), and always at least one.

    Examples
    --------
    >>> plan(2, 11, data_mb=15, budget_mb=6000)
    2
    >>> plan(2, 11, data_mb=550, budget_mb=6000)
    1
    >>> plan(4, 3, data_mb=1, budget_mb=64000)
    3
    """
    budget = machine_mb() / 4 if budget_mb is None else budget_mb
    fit = int((budget - OWN_MB) // kernel_mb(data_mb))
    lanes = max(1, min(jobs, pages, fit))
    if lanes < min(jobs, pages):
        source = "a quarter of this machine's memory" if budget_mb is None else "--memory"
        log.info(
            "cx report: %d notebook(s) at a time, not %d: each kernel needs about %.1f GB for "
            "this data and the memory budget is %.1f GB (%s)",
            lanes,
            min(jobs, pages),
            kernel_mb(data_mb) / 1024,
            budget / 1024,
            source,
        )
    if fit < 1:
        log.info(
            "cx report: one kernel is estimated to need %.1f GB, more than the memory budget "
            "of %.1f GB; running anyway",
            kernel_mb(data_mb) / 1024,
            budget / 1024,
        )
    return lanes


def _start_worker() -> None:
    """In a worker: die with the run (:func:`cxlib.report._publish.die_with_parent`; the
    notebook kernel a worker starts stops when it does); its kernel is shut down when it
    exits."""
    die_with_parent()
    multiprocessing.util.Finalize(None, _kernel.shutdown, exitpriority=10)


class Lanes:
    """``count`` single-worker pools, forked now; :meth:`run` uses the first ``n``.

    Use as a context manager: the workers, and their kernels, stop on exit.
    """

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("fork")
        self._pools = [
            ProcessPoolExecutor(1, mp_context=context, initializer=_start_worker)
            for _ in range(max(1, count))
        ]
        for started in [pool.submit(os.getpid) for pool in self._pools]:
            started.result()  # forked now, before the caller loads any data

    def __enter__(self) -> Lanes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker and wait for it (its CPU time then counts as a child's)."""
        for pool in self._pools:
            pool.shutdown(wait=True, cancel_futures=True)

    def run(
        self, n: int, function: Callable[..., Any], items: Iterable[Any], *args: Any
    ) -> Iterable[Any]:
        """Yield ``function(item, *args)`` for every item, as each finishes, running on
        the first ``n`` lanes (one item at a time per lane); the other lanes stop first."""
        for pool in self._pools[n:]:
            pool.shutdown(wait=True)
        lanes = self._pools[:n]
        pending = list(items)[::-1]
        running: dict[Future, ProcessPoolExecutor] = {}
        for pool in lanes:
            if pending:
                running[pool.submit(function, pending.pop(), *args)] = pool
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                pool = running.pop(future)
                if pending:
                    running[pool.submit(function, pending.pop(), *args)] = pool
                yield future.result()
