"""One notebook kernel per report worker, kept from one notebook to the next.

Starting a kernel and importing cxlib, polars, altair and scikit-learn into it costs about
5 s of CPU, more than most pages' own work; loading and validating the data costs more
again. So a worker starts its kernel once and runs its notebooks in it one after another.
Between two notebooks the kernel's namespace is emptied (``%reset -f``) and a garbage
collection runs, so a notebook sees none of the previous one's variables; the imported
modules and the dataset :func:`cxlib.io.keep_loaded` keeps stay. A notebook that fails,
times out or kills its kernel gets the kernel shut down, and the next one starts afresh.

The kernel is jupyter_client's ``AsyncKernelManager``, the one nbclient starts itself,
driven on the worker thread's event loop (``jupyter_core.utils.run_sync``) as nbclient
drives it; papermill runs each notebook through :class:`KeptKernelEngine`, which hands
nbclient the kept kernel and closes its client afterwards (nbclient does not close a
client it did not start the kernel for).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("cx.report")

# jsonschema imports rfc3987_syntax, when installed (jupyter-events pulls it in), only to
# check the "iri" string format; that import compiles a Lark grammar: 2 s of CPU in every
# process that imports altair, nbformat or papermill (python-jsonschema issues #1392 and
# #1521; the maintained fork rfc3987-syntax2 loads lazily, but jsonschema imports the old
# name). Nothing a report runs checks IRIs, so the report's processes go without it.
_SLOW_IMPORT = "rfc3987_syntax"

# Run in the kernel before each notebook: an empty namespace, the data kept between notebooks.
_PREPARE = f"""\
get_ipython().run_line_magic("reset", "-f")
import sys as _cx_sys
_cx_sys.modules.setdefault("{_SLOW_IMPORT}", None)
import gc as _cx_gc
_cx_gc.collect()
import cxlib.io as _cx_io
_cx_io.keep_loaded()
del _cx_gc, _cx_io, _cx_sys
"""

_ENGINE = "cx-kept-kernel"
_STARTS = 3  # attempts to start a kernel that dies while starting
_kernel: Any = None  # this worker's AsyncKernelManager, once started


def execute(
    notebook: Path, executed: Path, *, parameters: dict, kernel: str, timeout: int, cwd: Path
) -> Any:
    """Execute ``notebook`` into ``executed`` with papermill in this worker's kept kernel.

    Returns the executed notebook (nbformat); raises what papermill raises.
    """
    import papermill as pm

    km = _ready(kernel, cwd)
    reset_peak()
    try:
        return pm.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            kernel_name=kernel,
            engine_name=_ENGINE,
            km=km,
            execution_timeout=timeout,
            progress_bar=False,
        )
    except BaseException:
        shutdown()  # state unknown after a failure: the next notebook gets a new kernel
        raise


def skip_slow_imports() -> None:
    """Let this process import jsonschema without ``rfc3987_syntax`` (see ``_SLOW_IMPORT``):
    its IRI format check is left out, 2 s of CPU saved per process."""
    sys.modules.setdefault(_SLOW_IMPORT, None)


def cpu_seconds() -> float:
    """CPU seconds (user + system) the worker's kernel has used so far; 0 without one."""
    pid = _kernel_pid()
    if pid is None:
        return 0.0
    import psutil

    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system + times.children_user + times.children_system


def _kernel_pid() -> int | None:
    try:
        return int(_kernel.provisioner.pid) if _kernel is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


def reset_peak() -> None:
    """Start measuring the kernel's memory high-water mark afresh (Linux: writing 5 to
    ``/proc/<pid>/clear_refs`` resets ``VmHWM``); nothing elsewhere."""
    pid = _kernel_pid()
    if pid is not None:
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_mb() -> float | None:
    """The kernel's resident-memory high-water mark since :func:`reset_peak`, MB (Linux
    ``VmHWM``); None where it cannot be read."""
    pid = _kernel_pid()
    if pid is None:
        return None
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def shutdown() -> None:
    """Stop this worker's kernel, if it runs."""
    global _kernel
    if _kernel is None:
        return
    from jupyter_core.utils import run_sync

    km, _kernel = _kernel, None
    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception as err:  # a dead kernel cannot be stopped twice
        log.debug("kernel shutdown: %s", err)


def _ready(kernel: str, cwd: Path) -> Any:
    """The worker's kernel, started when needed, with an emptied namespace."""
    global _kernel
    from jupyter_client import AsyncKernelManager
    from jupyter_core.utils import run_sync

    if _kernel is not None and not run_sync(_kernel.is_alive)():
        shutdown()
    if _kernel is not None:
        run_sync(_run_code)(_kernel, _PREPARE)
        return _kernel
    _register_engine()
    for attempt in range(1, _STARTS + 1):
        km = AsyncKernelManager(kernel_name=kernel)
        # as nbclient starts its kernels: no IPython history database on disk
        run_sync(km.start_kernel)(
            cwd=str(cwd),
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
            env=_kernel_environment(),
        )
        _kernel = km
        try:
            run_sync(_run_code)(_kernel, _PREPARE)
            return _kernel
        except RuntimeError as err:
            # a kernel that died while starting: jupyter_client picks its TCP ports free,
            # and another process can take one before the kernel binds it ("Address
            # already in use"); a new kernel gets new ports
            if run_sync(km.is_alive)() or attempt == _STARTS:
                raise
            log.info("kernel died while starting (%s); starting another", err)
            shutdown()
    raise AssertionError("unreachable")  # the loop returns or raises


def _kernel_environment() -> dict[str, str]:
    """This process's environment with ``CX_PROGRESS=0``: no progress bars in the pages or
    the log of a scheduled run, unless ``CX_PROGRESS=1`` asks for them (cxlib._progress)."""
    asked = os.environ.get("CX_PROGRESS", "").strip() == "1"
    return {**os.environ, "CX_PROGRESS": "1" if asked else "0"}


async def _run_code(km: Any, code: str) -> None:
    client = km.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=120)
        reply = await client.execute_interactive(
            code, store_history=False, timeout=120, output_hook=lambda message: None
        )
    finally:
        client.stop_channels()
    content = reply["content"]
    if content["status"] != "ok":
        raise RuntimeError(f"preparing the kernel: {content.get('ename')}: {content.get('evalue')}")


def _register_engine() -> None:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import Engine, papermill_engines

    class KeptKernelEngine(Engine):
        """papermill's nbclient engine, in a kernel started beforehand (``km``)."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: int | None = None,
            km: Any = None,
            **_: Any,
        ) -> Any:
            client = PapermillNotebookClient(
                nb_man,
                km=km,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logging.getLogger("papermill"),
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register(_ENGINE, KeptKernelEngine)
