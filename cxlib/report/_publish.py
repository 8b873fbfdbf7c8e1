"""Publishing a report: one run per ``--out`` at a time, and an atomic swap.

Readers of ``--out`` see one complete report at every instant, the old or the new: the
finished site is exchanged with the published folder in one ``renameat2(RENAME_EXCHANGE)``
call on Linux (both names always exist; the old report is removed afterwards). Where the
exchange is not available (another OS, a file system without it) two renames are made and
a reader may, for that instant, find no folder. A second run into the same ``--out`` does
not wait: it stops at once with :class:`ReportBusy` (``cx report`` exits 75) naming the run
that holds the lock. Workers die with their run (Linux ``PR_SET_PDEATHSIG``) and kernels
with their worker; folders a killed run left behind are removed by the next run.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from cxlib._errors import DataError

try:
    import fcntl
except ImportError:  # not a POSIX system: runs are not locked
    fcntl = None

_RENAME_EXCHANGE = 2  # linux/fs.h
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_AT_FDCWD = -100


class ReportBusy(DataError):
    """Another ``cx report`` is publishing to the same ``--out``."""


@contextlib.contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """Hold the lock of ``out`` for a run; :class:`ReportBusy` when another run holds it.

    Under the lock, the hidden run folders of killed runs into ``out`` are removed.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = out.parent / f".{out.name}.lock"
    with open(lock, "a+", encoding="utf-8") as handle:
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another run"
                raise ReportBusy(
                    f"{out}: {holder} is writing this report; wait for it to end, or pass "
                    "another --out"
                ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"cx report pid {os.getpid()} (started {datetime.now(UTC):%H:%M:%S} UTC)")
        handle.flush()
        _remove_stale(out)
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()


def _remove_stale(out: Path) -> None:
    for pattern in (f".{out.name}.run-*", f".{out.name}.new-*", f".{out.name}.old-*"):
        for stale in out.parent.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)


def publish(site: Path, out: Path, run_id: str) -> None:
    """Put the finished ``site`` at ``out`` in one atomic step (see the module docstring)."""
    staged = out.parent / f".{out.name}.new-{run_id}"
    shutil.move(str(site), staged)
    if out.exists() and _exchange(staged, out):
        shutil.rmtree(staged, ignore_errors=True)  # now the old report
        return
    old = out.parent / f".{out.name}.old-{run_id}"
    if out.exists():
        os.replace(out, old)
    os.replace(staged, out)
    shutil.rmtree(old, ignore_errors=True)


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (``PR_SET_PDEATHSIG``), so a
    report run killed with ``kill -9`` leaves no worker behind; the Jupyter kernels a worker
    starts watch their parent and stop with it. Elsewhere nothing is done."""
    prctl = _linux_call("prctl")
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where that is not possible."""
    renameat2 = _linux_call("renameat2")
    if renameat2 is None:
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def _linux_call(name: str):  # noqa: ANN202 - a ctypes function or None
    """The C library function ``name`` on Linux; None elsewhere or when it is missing."""
    library = ctypes.util.find_library("c")
    if library is None or not hasattr(os, "uname") or os.uname().sysname != "Linux":
        return None
    return getattr(ctypes.CDLL(library, use_errno=True), name, None)
