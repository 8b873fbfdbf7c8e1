"""Tables for reading: formatted, escaped and pseudonymized HTML for notebooks and reports.

``table(frame)`` returns an object that JupyterLab and nbconvert display as a styled HTML
table. Every cell and header is HTML-escaped (survey comments and touchpoint names are
untrusted), personal-data columns are pseudonymized (see :mod:`cxlib.privacy`), numbers
get thousands separators, shares become percentages and durations read as "2d 4h".
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import to_polars
from cxlib.pages._labels import LABELS, WORDS
from cxlib.privacy import escape, is_personal, mask_pii, pseudonymize

__all__ = ["Table", "table"]

_STYLE = """<style>
.cx-table-figure{margin:.5em 0 1.2em;font:13px/1.4 Inter,Segoe UI,Helvetica,Arial,sans-serif}
.cx-table-figure figcaption{font-weight:600;padding:.3em 0;color:#222}
.cx-table{border-collapse:collapse;font:inherit}
.cx-table th{background:#f3f5f8;color:#333;font-weight:600;text-align:left;
padding:6px 10px;border-bottom:2px solid #d5dbe3}
.cx-table td{padding:5px 10px;border-bottom:1px solid #eceff3;vertical-align:top}
.cx-table td.num{text-align:right;font-variant-numeric:tabular-nums}
.cx-table tr:nth-child(even) td{background:#fafbfc}
.cx-note{color:#777;font-size:12px}
.cx-table-wrap{overflow-x:auto;max-width:100%}
</style>"""


_ACRONYMS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "ci": "CI", "p90": "P90", "id": "id"}


def _label(column: str) -> str:
    """A column's header in the report's language: its plain-language label
    (:data:`cxlib.pages._labels.LABELS`), else its words capitalized ("Step index")."""
    if column in LABELS:
        return i18n._(LABELS[column])
    words = [_ACRONYMS.get(word, word) for word in column.split("_")]
    text = " ".join(words)
    return i18n._(text[:1].upper() + text[1:])


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds < 60:
        return i18n.t("{s}s", s=i18n.number(value.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return i18n.t("{d}d {h}h", d=days, h=hours)
    return i18n.t("{h}h {m}m", h=hours, m=minutes) if hours else i18n.t("{m}m", m=minutes)


MISSING = "–"
"""What a cell without a value shows (never "None", "null" or "NaN"); see :data:`LEGEND`."""

LEGEND = i18n.N_(
    "– : no value here (no customers or not enough answers in that group, or not defined, "
    "such as moving on from the last stage)."
)
"""The line under a table with empty cells, saying why they are empty (a msgid: shown in
the report's language)."""


def _number(value: float, *, percent: bool, decimals: int) -> str:
    """A finite float in fixed notation (never 1e+21), rounded, in the language's format;
    no "-0.0"."""
    places = max(decimals - 2, 1) if percent else decimals
    # every digit of a huge value (1e300) in fixed notation: more than decimal's default 28
    with decimal.localcontext(prec=max(28, 330 + places)):
        text = i18n.percent(value, places) if percent else i18n.number(value, places)
    if text[:1] in "-−" and not text.strip("-−0.,%\xa0"):
        text = text[1:]  # rounds to zero: no sign
    return text


def _cell(value: Any, *, percent: bool, decimals: int) -> tuple[str, bool]:
    """Formatted, escaped text of one cell and whether it is numeric.

    Missing values (None, NaN) read "–"; infinities "∞"; floats are rounded and written
    in fixed notation, never scientific.
    """
    if value is None:
        return MISSING, False
    if isinstance(value, bool):
        return (i18n._("yes") if value else i18n._("no")), False
    if isinstance(value, int):
        return i18n.number(value), True
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        if math.isnan(value):
            return MISSING, True
        if math.isinf(value):
            return ("∞" if value > 0 else "-∞"), True
        return _number(value, percent=percent, decimals=decimals), True
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v, percent=percent, decimals=decimals)[0] for v in value), False
    if isinstance(value, timedelta):
        return _duration(value), True
    if isinstance(value, datetime):
        text = i18n.date(value)
        return (f"{text} {value:%H:%M}" if (value.hour or value.minute) else text), False
    if isinstance(value, date):
        return i18n.date(value), False
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
    legend: str | None = None
    rounded: tuple[str, ...] = ()  # columns shown with one decimal (NPS points)

    def to_html(self) -> str:
        """The table as a self-contained HTML fragment (escaped)."""
        frame = self.frame.head(self.max_rows)
        head = "".join(f"<th>{escape(_label(c))}</th>" for c in frame.columns)
        rows = []
        for record in frame.iter_rows():  # display only: at most max_rows rows
            cells = []
            for column, value in zip(frame.columns, record, strict=True):
                decimals = 1 if column in self.rounded else self.decimals
                text, numeric = _cell(value, percent=column in self.percent, decimals=decimals)
                cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        title = i18n._(self.title) if self.title else ""  # a literal of the notebook
        caption = f"<figcaption>{escape(title)}</figcaption>" if title else ""
        more = self.frame.height - frame.height
        notes = [i18n._(n) for n in (self.note, self.legend) if n]
        if self.frame.height == 0:
            notes.append(i18n._("No rows: nothing in the data matches."))
        if more > 0:
            notes.append(i18n.t("{n} more rows not shown", n=i18n.number(more)))
        footer = "".join(f'<div class="cx-note">{escape(n)}</div>' for n in notes)
        # a table wider than its card scrolls in its wrapper; the title and notes stay put
        return (
            f'{_STYLE}<figure class="cx-table-figure">{caption}<div class="cx-table-wrap">'
            f'<table class="cx-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
            f"</tbody></table></div>{footer}</figure>"
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
    missing: str | None = None,
) -> Table:
    """A frame formatted for reading.

    Numbers are rounded and never in scientific notation; NPS points (``nps`` and, next to
    it, ``nps_*``, ``ci_low``, ``ci_high``, ``difference``) get one decimal. A cell without
    a value shows "–", and a table that has one says why under it.

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
    missing : str, optional
        The line under a table with empty cells saying why they are empty (default
        :data:`LEGEND`).

    Examples
    --------
    >>> import polars as pl
    >>> t = table(pl.DataFrame({"step": ["<b>visit</b>"], "conversion": [0.5]}))
    >>> "&lt;b&gt;visit" in t.to_html() and "50.0%" in t.to_html()
    True
    >>> cells = pl.DataFrame({"stage": ["buy", "stay"], "nps": [1.29482071713, None]})
    >>> html = table(cells).to_html()
    >>> "1.3<" in html, "–" in html, "no customers" in html, "None" in html
    (True, True, True, False)
    """
    frame = to_polars(frame)
    if pseudonymize_ids:
        frame = pseudonymize(frame, [c for c in frame.columns if is_personal(c)])
    text = [c for c, dtype in frame.schema.items() if dtype == pl.String and not is_personal(c)]
    frame = frame.with_columns(mask_pii(pl.col(c)) for c in text)  # what comments may hold
    words = {value: i18n._(msgid) for value, msgid in WORDS.items()}  # reasons, categories...
    frame = frame.with_columns(pl.col(c).replace(words) for c in text)
    if percent is None:
        words = ("conversion", "rate", "share", "nps_share", "retained_share", "csat")
        percent = [
            c
            for c, dtype in frame.schema.items()
            if dtype.is_float() and any(w in c for w in words)
        ]
    shown = frame.head(max_rows)
    empty = any(shown.get_column(c).is_null().any() for c in shown.columns) or any(
        shown.get_column(c).is_nan().any() for c, dtype in shown.schema.items() if dtype.is_float()
    )
    return Table(
        frame,
        title,
        tuple(percent),
        decimals,
        max_rows,
        note,
        legend=(missing or LEGEND) if empty else None,
        rounded=_nps_points(frame, percent),
    )


def _nps_points(frame: pl.DataFrame, percent: Sequence[str]) -> tuple[str, ...]:
    """Float columns in NPS points, shown with one decimal: ``nps``, ``nps_*`` and, in a
    table of NPS, its interval and difference."""
    names = [c for c, dtype in frame.schema.items() if dtype.is_float() and c not in percent]
    nps = [c for c in names if c == "nps" or c.startswith("nps_")]
    if not nps:
        return ()
    return tuple(c for c in names if c in nps or c in {"ci_low", "ci_high", "difference"})
