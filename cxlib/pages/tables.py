"""Tables for reading: formatted, escaped and pseudonymized HTML for notebooks and reports.

``table(frame)`` returns an object that JupyterLab and nbconvert display as a styled HTML
table. Every cell and header is HTML-escaped (survey comments and touchpoint names are
untrusted), personal-data columns are pseudonymized (see :mod:`cxlib.privacy`), numbers
get thousands separators, shares become percentages and durations read as "2d 4h".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from cxlib._engine import to_polars
from cxlib.privacy import escape, is_personal, mask_pii, pseudonymize

__all__ = ["Table", "table"]

_STYLE = """<style>
.cx-table{border-collapse:collapse;font:13px/1.4 Inter,Segoe UI,Helvetica,Arial,sans-serif;
margin:.5em 0 1.2em}
.cx-table caption{text-align:left;font-weight:600;padding:.3em 0;color:#222}
.cx-table th{background:#f3f5f8;color:#333;font-weight:600;text-align:left;
padding:6px 10px;border-bottom:2px solid #d5dbe3}
.cx-table td{padding:5px 10px;border-bottom:1px solid #eceff3;vertical-align:top}
.cx-table td.num{text-align:right;font-variant-numeric:tabular-nums}
.cx-table tr:nth-child(even) td{background:#fafbfc}
.cx-table .cx-note{color:#777;font-size:12px}
</style>"""


_ACRONYMS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "ci": "CI", "p90": "P90", "id": "id"}
# headers that read better in other words ("small sample" would sound like the sample data)
_HEADERS = {"small_sample": "Small group"}


def _label(column: str) -> str:
    if column in _HEADERS:
        return _HEADERS[column]
    words = [_ACRONYMS.get(word, word) for word in column.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{value.total_seconds():.0f}s"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def _cell(value: Any, *, percent: bool, decimals: int) -> tuple[str, bool]:
    """Formatted, escaped text of one cell and whether it is numeric."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        if value != value:  # NaN
            return "", True
        return (f"{value:.{max(decimals - 2, 1)}%}" if percent else f"{value:,.{decimals}f}"), True
    if isinstance(value, timedelta):
        return _duration(value), True
    if isinstance(value, datetime):
        text = (
            value.strftime("%Y-%m-%d %H:%M")
            if (value.hour or value.minute)
            else value.strftime("%Y-%m-%d")
        )
        return text, False
    if isinstance(value, date):
        return value.isoformat(), False
    return escape(value), False


@dataclass(frozen=True)
class Table:
    """A frame ready to show; displays as HTML in JupyterLab and exported reports."""

    frame: pl.DataFrame
    title: str | None = None
    percent: tuple[str, ...] = ()
    decimals: int = 2
    max_rows: int = 30
    note: str | None = None

    def to_html(self) -> str:
        """The table as a self-contained HTML fragment (escaped)."""
        frame = self.frame.head(self.max_rows)
        head = "".join(f"<th>{escape(_label(c))}</th>" for c in frame.columns)
        rows = []
        for record in frame.iter_rows():  # display only: at most max_rows rows
            cells = []
            for column, value in zip(frame.columns, record, strict=True):
                text, numeric = _cell(value, percent=column in self.percent, decimals=self.decimals)
                cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        caption = f"<caption>{escape(self.title)}</caption>" if self.title else ""
        more = self.frame.height - frame.height
        notes = [self.note] if self.note else []
        if self.frame.height == 0:
            notes.append("No rows: nothing in the data matches.")
        if more > 0:
            notes.append(f"{more:,} more rows not shown")
        footer = "".join(f'<div class="cx-note">{escape(n)}</div>' for n in notes)
        return (
            f'{_STYLE}<table class="cx-table">{caption}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>{footer}"
        )

    def _repr_html_(self) -> str:
        return self.to_html()


def table(
    frame: Any,
    *,
    title: str | None = None,
    percent: Sequence[str] | None = None,
    decimals: int = 2,
    max_rows: int = 30,
    note: str | None = None,
    pseudonymize_ids: bool = True,
) -> Table:
    """A frame formatted for reading.

    Parameters
    ----------
    frame : frame
        Any polars, pandas, DuckDB or Spark frame (small: it is collected).
    title : str, optional
        Caption above the table.
    percent : sequence of str, optional
        Columns holding shares (0–1) to show as percentages. By default every float column
        whose name says so (``conversion``, ``rate``, ``share``, ``_low``/``_high`` of those).
    decimals : int
        Decimals for other floats.
    max_rows : int
        Rows shown; the rest are counted in a note.
    note : str, optional
        A line under the table (e.g. how to read it).
    pseudonymize_ids : bool
        Replace ``customer_id``, names, emails and phones with keyed pseudonyms (default).

    Examples
    --------
    >>> import polars as pl
    >>> t = table(pl.DataFrame({"step": ["<b>visit</b>"], "conversion": [0.5]}))
    >>> "&lt;b&gt;visit" in t.to_html() and "50.0%" in t.to_html()
    True
    """
    frame = to_polars(frame)
    if pseudonymize_ids:
        frame = pseudonymize(frame, [c for c in frame.columns if is_personal(c)])
    text = [c for c, dtype in frame.schema.items() if dtype == pl.String and not is_personal(c)]
    frame = frame.with_columns(mask_pii(pl.col(c)) for c in text)  # what comments may hold
    if percent is None:
        words = ("conversion", "rate", "share", "nps_share", "retained_share", "csat")
        percent = [
            c
            for c, dtype in frame.schema.items()
            if dtype.is_float() and any(w in c for w in words)
        ]
    return Table(frame, title, tuple(percent), decimals, max_rows, note)
