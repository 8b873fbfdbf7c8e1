"""The customers who dropped off at a funnel step, as a CSV a CRM can act on.

One row per customer who reached step k and not step k + 1 (the customers
:func:`cxlib.dropoffs` lists): ``customer`` (a keyed pseudonym, never the id), the breakdown
value when a group was chosen, ``step`` (k's name), ``reached_at`` (when they reached it,
UTC), ``next_touchpoint``, ``next_channel`` and ``next_at`` (their first touchpoint strictly
after, empty when they did nothing after).

* **Re-identifiable by the key holder only.** ``customer`` is
  :func:`cxlib.privacy.pseudonym` of the id with the pseudonym key (``[privacy]
  pseudonym_key_env`` of ``cx.toml``, default ``CX_PSEUDONYM_KEY``): a CRM holding the key
  computes the same pseudonym for its ids and matches them. Without a key, privacy's rule
  holds (a random key per process): the file is still pseudonymous, but nobody can match
  it; :attr:`DropOffExport.keyed` says which.
* **Safe to open in a spreadsheet.** Written by :func:`cxlib.privacy.write_csv_safe`: text
  starting with ``= + - @`` (touchpoint names are untrusted) cannot run as a formula.

>>> import pathlib, tempfile
>>> import cxlib as cx
>>> from cxlib.pages.explore import export_drop_offs
>>> ds = cx.load("data/sample")
>>> out = pathlib.Path(tempfile.mkdtemp()) / "left.csv"
>>> export = export_drop_offs(ds.touchpoints, ["add_to_cart", "purchase"], "7d", at=1,
...                          path=out, key="secret")
>>> export.rows == cx.dropoffs(ds.touchpoints, ["add_to_cart", "purchase"], "7d", at=1).height
True
>>> out.read_text().splitlines()[0]
'customer,step,reached_at,next_touchpoint,next_channel,next_at'
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from cxlib._engine import CUSTOMER, parse_duration
from cxlib._errors import DataError
from cxlib.journey import FunnelEngine, normalize_steps
from cxlib.privacy import KEY_ENV, pseudonymize, write_csv_safe

__all__ = [
    "DropOffExport",
    "drop_off_rows",
    "export_drop_offs",
    "export_from",
    "file_name",
    "in_group",
    "keyed",
    "write_drop_offs",
]

MISSING = "(missing)"  # how a null breakdown value is shown (and chosen)


@dataclass(frozen=True)
class DropOffExport:
    """A written drop-off CSV: where, how many customers, and whether a CRM can match it
    (``keyed``: the pseudonyms come from a configured key, not a per-process random one)."""

    path: Path
    rows: int
    keyed: bool


def in_group(lost: pl.DataFrame, by: str | None, group: str | None) -> pl.DataFrame:
    """The rows of ``group`` (a breakdown value as the chart shows it: text, nulls as
    ``"(missing)"``); all rows without ``by`` or ``group``."""
    if by is None or group is None:
        return lost
    return lost.filter(pl.col(by).cast(pl.String).fill_null(MISSING) == group)


def drop_off_rows(lost: pl.DataFrame, *, step: str, key: str | bytes | None = None) -> pl.DataFrame:
    """The CSV's rows from :func:`cxlib.dropoffs`' columns: ids replaced by pseudonyms.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, UTC
    >>> lost = pl.DataFrame({"customer_id": ["C1"],
    ...                      "reached_at": [datetime(2025, 1, 1, tzinfo=UTC)],
    ...                      "next_touchpoint": [None], "next_channel": [None],
    ...                      "next_at": [None]})
    >>> drop_off_rows(lost, step="checkout", key="k").row(0)[:2]
    ('cx-f6ab9ade5b', 'checkout')
    """
    by = [c for c in lost.columns if c not in _COLUMNS]
    rows = pseudonymize(lost, CUSTOMER, key=key).select(
        pl.col(CUSTOMER).alias("customer"),
        *[pl.col(c).cast(pl.String) for c in by],
        pl.lit(step, pl.String).alias("step"),
        "reached_at",
        pl.col("next_touchpoint").cast(pl.String),
        pl.col("next_channel").cast(pl.String),
        "next_at",
    )
    return rows.sort("reached_at", "customer")


_COLUMNS = (CUSTOMER, "reached_at", "next_touchpoint", "next_channel", "next_at")


def keyed(key: str | bytes | None) -> bool:
    """Whether pseudonyms made with ``key`` (None: privacy's default) can be matched by a
    CRM: a key was given or ``CX_PSEUDONYM_KEY`` is set."""
    return key is not None or os.environ.get(KEY_ENV) is not None


def write_drop_offs(
    lost: pl.DataFrame, path: str | Path, *, step: str, key: str | bytes | None = None
) -> DropOffExport:
    """Write :func:`drop_off_rows` with :func:`cxlib.privacy.write_csv_safe`."""
    rows = drop_off_rows(lost, step=step, key=key)
    return DropOffExport(write_csv_safe(rows, path), rows.height, keyed(key))


def file_name(step_index: int, step: str, group: str | None = None) -> str:
    """``dropoffs-step2-add_to_cart[-VN]-20250101-120000.csv``: names and groups reduced to
    letters, digits, ``-`` and ``_`` (touchpoint names are untrusted: no ``/`` or ``..``)."""

    def slug(text: str) -> str:
        return re.sub(r"[^\w-]+", "_", text, flags=re.UNICODE).strip("_")[:40] or "_"

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    where = f"-{slug(group)}" if group is not None else ""
    return f"dropoffs-step{step_index}-{slug(step)}{where}-{stamp}.csv"


def export_drop_offs(
    touchpoints: Any,
    steps: Sequence[Any],
    within: str | None = "7d",
    *,
    at: int,
    path: str | Path,
    order: str = "sequential",
    by: str | None = None,
    group: str | None = None,
    customers: Any = None,
    key: str | bytes | None = None,
) -> DropOffExport:
    """Write the customers who reached step ``at`` and not step ``at + 1`` to ``path``.

    Parameters
    ----------
    touchpoints, steps, within, order, by, customers
        As in :func:`cxlib.funnel` (``by``: a touchpoint property, its value on the step-1
        event, or a customer attribute); the same customers are counted.
    at : int
        1-based step after which they left (``1 <= at < len(steps)``).
    path : str or Path
        The CSV to write (its folder is made).
    group : str, optional
        Only the customers of this ``by`` value (as text; ``"(missing)"`` for none).
    key : str or bytes, optional
        The pseudonym key; default ``CX_PSEUDONYM_KEY`` (see the module docstring).
    """
    engine = FunnelEngine(touchpoints, customers)
    window = parse_duration(within)
    return export_from(
        engine,
        engine.view(),
        steps,
        window,
        at=at,
        path=path,
        order=order,
        by=by,
        group=group,
        key=key,
    )


def export_from(
    engine: FunnelEngine,
    view: Any,
    steps: Sequence[Any],
    window: int | None,
    *,
    at: int,
    path: str | Path,
    order: str = "sequential",
    by: str | None = None,
    group: str | None = None,
    key: str | bytes | None = None,
) -> DropOffExport:
    """:func:`export_drop_offs` on the explorer's engine and view (period and segment)."""
    _, labels = normalize_steps(steps)
    if not 1 <= at < len(labels):
        raise DataError(
            f"at={at}: use a step from 1 to {len(labels) - 1} (the last step has no drop-off)"
        )
    lost = engine.dropoffs(view, steps, window, at=at, order=order, by=by)
    return write_drop_offs(in_group(lost, by, group), path, step=labels[at - 1], key=key)
