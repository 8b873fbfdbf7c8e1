"""Names a user gives (touchpoints, channels, columns) checked against the data.

A funnel step spelled ``add_to_kart`` matches no event and would give a funnel of zeros
that looks like an answer. Analyses call :func:`check_values` when a result is empty or
has zeros, so the check costs nothing when the names are right: one filtered pass to find
which names occur, and, only for a name that does not, one pass for the close matches.

A name with close matches in the data is a typo until shown otherwise: an error with "did
you mean". A name like nothing in the data (``purchase`` in a week without purchases, a
step the shop does not have) may be a true zero: a :class:`MissingNameWarning` says so and
the zeros stand.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import narwhals as nw

from cxlib._engine._frames import lazy, to_polars
from cxlib._errors import DataError


class MissingNameWarning(UserWarning):
    """A name given to an analysis (a touchpoint, say) occurs nowhere in the data."""


def _close(name: str, values: list[str]) -> list[str]:
    close = difflib.get_close_matches(name, values, n=3, cutoff=0.6)
    if not close:  # case and separators differ ("Add To Cart" for "add_to_cart")
        folded = {"".join(c for c in v.lower() if c.isalnum()): v for v in values}
        key = "".join(c for c in name.lower() if c.isalnum())
        close = [folded[k] for k in difflib.get_close_matches(key, list(folded), n=3, cutoff=0.8)]
    return close


def did_you_mean(name: str, known: Sequence[Any]) -> str:
    """``"did you mean 'a' or 'b'?"`` for close matches of ``name``, else a few known values.

    Examples
    --------
    >>> did_you_mean("add_to_kart", ["visit", "add_to_cart", "purchase"])
    "did you mean 'add_to_cart'?"
    >>> did_you_mean("zzz", ["visit", "purchase"])
    "the data has 2: 'purchase', 'visit'"
    """
    values = sorted({str(k) for k in known if k is not None})
    if not values:
        return "the data has no values there"
    close = _close(name, values)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    shown = ", ".join(repr(v) for v in values[:8])
    more = f" and {len(values) - 8} more" if len(values) > 8 else ""
    return f"the data has {len(values)}: {shown}{more}"


def close_match(name: str, known: Sequence[Any]) -> str:
    """``"did you mean 'a'? "`` when ``known`` has close matches of ``name``, else ``""``:
    for messages that list the known names themselves.

    Examples
    --------
    >>> close_match("skipp", ["skip", "notify"]), close_match("zzz", ["skip"])
    ("did you mean 'skip'? ", '')
    """
    hint = did_you_mean(name, known)
    return f"{hint} " if hint.startswith("did you mean") else ""


def check_values(
    frame: Any, column: str, names: Iterable[str], *, argument: str, what: str | None = None
) -> None:
    """Check that each of ``names`` occurs in ``column`` of ``frame``.

    A name that does not occur raises :class:`DataError` when the data has close matches
    (a typo: ``steps: touchpoint 'add_to_kart' does not occur in column 'touchpoint'; did
    you mean 'add_to_cart'?``), and warns with :class:`MissingNameWarning` otherwise.

    Examples
    --------
    >>> import polars as pl
    >>> tp = pl.DataFrame({"touchpoint": ["visit", "add_to_cart", "purchase"]})
    >>> check_values(tp, "touchpoint", ["visit", "purchase"], argument="steps")
    >>> check_values(tp, "touchpoint", ["add_to_kart"], argument="steps")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cxlib._errors.DataError: steps: ... 'add_to_kart' ...; did you mean 'add_to_cart'?
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     check_values(tp, "touchpoint", ["refund"], argument="steps")
    >>> print(seen[0].message)
    steps: touchpoint 'refund' does not occur in column 'touchpoint'; the data has 3: \
'add_to_cart', 'purchase', 'visit' (counted as zero)
    """
    wanted = sorted(set(names))
    if not wanted:
        return
    events = lazy(frame)
    found = to_polars(events.filter(nw.col(column).is_in(wanted)).select(column).unique())
    present = set(found.get_column(column).to_list())
    missing = [n for n in wanted if n not in present]
    if not missing:
        return
    known = to_polars(events.select(column).unique()).get_column(column).to_list()
    report_missing(
        missing,
        known,
        argument=argument,
        where=f"{what or column} {{!r}} does not occur in column {column!r}",
    )


def report_missing(
    missing: Iterable[str], known: Iterable[Any], *, argument: str, where: str
) -> None:
    """Raise or warn about ``missing`` names as :func:`check_values` does, given the values
    the data has; ``where`` is the message with ``{!r}`` for the name."""
    values = sorted({str(k) for k in known if k is not None})
    for name in missing:
        message = f"{argument}: {where.format(name)}; {did_you_mean(name, values)}"
        if _close(name, values):
            raise DataError(message)
        warnings.warn(message + " (counted as zero)", MissingNameWarning, stacklevel=4)
