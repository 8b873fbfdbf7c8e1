"""How findings write their numbers: shares with intervals, durations, windows, money and
lists in the report's language (:mod:`cxlib.i18n`), and :class:`Finding`, the text a
notebook shows. Private to :mod:`cxlib.pages`; :mod:`cxlib.pages.findings` is the face."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import cxlib.i18n as i18n
from cxlib._engine import to_polars
from cxlib.i18n import N_
from cxlib.privacy import escape

_PERIODS = {  # a period's name, for the catalog
    "day": N_("day"),
    "week": N_("week"),
    "month": N_("month"),
    "quarter": N_("quarter"),
    "year": N_("year"),
}


_UNITS = {  # a window's unit -> its words (one, several)
    "d": (N_("{n} day"), N_("{n} days")),
    "w": (N_("{n} week"), N_("{n} weeks")),
    "h": (N_("{n} hour"), N_("{n} hours")),
    "m": (N_("{n} minute"), N_("{n} minutes")),
    "s": (N_("{n} second"), N_("{n} seconds")),
}


@dataclass(frozen=True)
class Finding:
    """One or more sentences about the data: plain text, shown as an escaped paragraph."""

    text: str
    heading: int | None = None  # shown as a heading of this level instead of a paragraph
    items: tuple[str, ...] = ()  # shown as a bulleted list under the text
    definition: bool = False  # says what a term means (no finding: never a page's summary)

    def __str__(self) -> str:
        return "\n".join([self.text, *(f"- {item}" for item in self.items)]).strip()

    def _repr_html_(self) -> str:
        css = "cx-definition" if self.definition else "cx-finding"
        if self.items:
            lead = f"<p>{escape(self.text)}</p>" if self.text else ""
            rows = "".join(f"<li>{escape(item)}</li>" for item in self.items)
            return f'<div class="{css}">{lead}<ul>{rows}</ul></div>'
        if self.heading:
            return f"<h{self.heading}>{escape(self.text)}</h{self.heading}>"
        return f'<p class="{css}">{escape(self.text)}</p>'


def _number(value: Any) -> float | None:
    """A finite float, or None for nulls and NaN (never printed)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _pct(value: Any, digits: int = 1) -> str:
    number = _number(value)
    return i18n._("an unknown share") if number is None else i18n.percent(number, digits)


def _interval(low: Any, high: Any, digits: int = 1) -> str:
    """ "(27.0–33.0%)", or "" when a bound is missing."""
    lo, hi = _number(low), _number(high)
    if lo is None or hi is None:
        return ""
    return f" ({i18n.number(lo * 100, digits)}–{i18n.percent(hi, digits)})"


def _readable(window: str | timedelta | None) -> str:
    """ "7d" -> "7 days"; other text as it is."""
    if window is None:
        return ""
    if isinstance(window, timedelta):
        return duration(window)
    text = str(window).strip()
    number, unit = text[:-1], text[-1:]
    if number.isdigit() and unit in _UNITS:
        return i18n.nt(*_UNITS[unit], int(number))
    return text


def duration(value: timedelta | None) -> str:
    """A duration in words: "2 days 4 hours", "35 minutes"."""
    if value is None:
        return i18n._("an unknown time")
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60

    def part(n: int, unit: str) -> str:
        return i18n.nt(*_UNITS[unit], n)

    if days:
        return part(days, "d") + (f" {part(hours, 'h')}" if hours else "")
    if hours:
        return part(hours, "h") + (f" {part(minutes, 'm')}" if minutes else "")
    return part(minutes, "m") if minutes else part(seconds, "s")


def money(value: Any, currency: str) -> str:
    """An amount with its currency, as the report's language writes it
    (:func:`cxlib.i18n.money`: the currency's own decimals, none for VND).

    Examples
    --------
    >>> money(1234.5, "EUR"), money(250000, "VND"), money(None, "USD")
    ('€1,234.50', '₫250,000', 'an unknown amount')
    """
    number = _number(value)
    if number is None:
        return i18n._("an unknown amount")
    return i18n.money(number, currency.upper())


def _values(values: Any) -> list[Any]:
    """A series or sequence of values as a list."""
    return values.to_list() if hasattr(values, "to_list") else list(values)


def _rows(frame: Any) -> list[dict[str, Any]]:
    return to_polars(frame).to_dicts()


def _listing(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c" (in the report's language)."""
    return i18n.listing(items)
