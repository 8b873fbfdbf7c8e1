"""Progress bars with an ETA on the loops that take seconds (cross-validation, bootstraps,
key drivers), shown only where someone watches.

A bar is ``tqdm.auto``'s: a widget in a Jupyter notebook, text on stderr in a terminal. It
appears only after :data:`DELAY` seconds, so quick calls stay silent. Whether bars show,
first rule that applies:

1. :func:`show_progress` (``cx.show_progress(False)`` in a notebook): on or off for this
   process; ``show_progress(None)`` goes back to the rules below.
2. The environment variable ``CX_PROGRESS``: ``0`` off, ``1`` on.
3. Interactive use: on in a Jupyter kernel and when stderr is a terminal; off otherwise
   (cron, Airflow, output piped to a file).

``cx report`` starts its notebooks' kernels with ``CX_PROGRESS=0``, so the report pages and
its log carry no bars; ``CX_PROGRESS=1`` in the environment of ``cx report`` passes
through to the kernels (bars then land in the executed notebooks).

Bars never change results: they only observe the iteration, in the same order.

Examples
--------
>>> show_progress(False)
>>> [n * n for n in progress(range(4), desc="squares")]
[0, 1, 4, 9]
>>> show_progress(None)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any, TypeVar

T = TypeVar("T")

ENVIRONMENT = "CX_PROGRESS"
DELAY = 0.5  # seconds before a bar appears: quick calls show nothing
_switch: bool | None = None  # set by show_progress


def show_progress(on: bool | None = True) -> None:
    """Show progress bars on long computations (or not) for the rest of this session.

    Parameters
    ----------
    on : bool or None
        ``True`` shows bars, ``False`` hides them; ``None`` goes back to the default: the
        environment variable ``CX_PROGRESS`` (``0`` off, ``1`` on), else bars in notebooks
        and terminals only.

    Examples
    --------
    >>> import cxlib as cx
    >>> cx.show_progress(False)  # no bars in this notebook
    >>> cx.show_progress(None)  # back to the default
    """
    global _switch
    if on is not None and not isinstance(on, bool):
        raise TypeError(f"show_progress(on={on!r}): use True, False or None")
    _switch = on


def enabled() -> bool:
    """Whether a long loop shows a bar now (see the module docstring for the rules)."""
    if _switch is not None:
        return _switch
    setting = os.environ.get(ENVIRONMENT, "").strip()
    if setting in ("0", "1"):
        return setting == "1"
    return _in_jupyter_kernel() or _stderr_is_terminal()


def progress(
    iterable: Iterable[T], *, total: int | None = None, desc: str, unit: str = "it"
) -> Iterable[T]:
    """``iterable`` itself, or wrapped in a ``tqdm.auto`` bar with an ETA when bars show.

    Examples
    --------
    >>> show_progress(False)
    >>> items = [1, 2, 3]
    >>> progress(items, desc="counting") is items
    True
    >>> show_progress(None)
    """
    if not enabled():
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, delay=DELAY, dynamic_ncols=True)


def progress_bar(*, total: int, desc: str, unit: str = "it") -> Any:
    """A bar to advance by hand (``bar.update()``; use it as a context manager), or one
    that does nothing when bars do not show; for loops nested in several functions.

    Examples
    --------
    >>> show_progress(False)
    >>> with progress_bar(total=2, desc="folds") as bar:
    ...     bar.update()
    >>> show_progress(None)
    """
    if not enabled():
        return _Silent()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, delay=DELAY, dynamic_ncols=True)


class _Silent:
    """The bar of a run without bars: every call does nothing."""

    def update(self, n: int = 1) -> None:
        """Nothing to advance."""

    def set_postfix_str(self, text: str) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _in_jupyter_kernel() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()
    except AttributeError:
        return False
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def _stderr_is_terminal() -> bool:
    try:
        return bool(sys.stderr and sys.stderr.isatty())
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False
