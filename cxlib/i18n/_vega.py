"""The language's number and time formats as Vega wants them (d3-format and d3-time-format
locale definitions), built from Babel's CLDR data, so chart axes and labels read as the
rest of the report."""

from __future__ import annotations

import functools
from typing import Any

from babel import Locale
from babel.dates import get_day_names, get_month_names

from cxlib.i18n._language import LOCALES, current


@functools.cache
def _definition(lang: str) -> dict[str, Any]:
    locale = Locale.parse(LOCALES[lang])
    symbols = locale.number_symbols.get("latn", locale.number_symbols)

    def days(width: str) -> list[str]:
        names = get_day_names(width, locale=locale)
        return [names[(i + 6) % 7] for i in range(7)]  # d3 starts on Sunday, CLDR on Monday

    def months(width: str) -> list[str]:
        names = get_month_names(width, locale=locale)
        return [names[i] for i in range(1, 13)]

    periods = locale.day_periods.get("format", {}).get("abbreviated", {})
    return {
        "number": {
            "decimal": symbols["decimal"],
            "thousands": symbols["group"],
            "grouping": [3],
            "currency": ["", ""],
        },
        "time": {
            "dateTime": "%x %X",
            "date": "%d/%m/%Y" if lang != "en" else "%m/%d/%Y",
            "time": "%H:%M:%S",
            "periods": [periods.get("am", "AM"), periods.get("pm", "PM")],
            "days": days("wide"),
            "shortDays": days("abbreviated"),
            "months": months("wide"),
            "shortMonths": months("abbreviated"),
        },
    }


def vega_locale() -> dict[str, Any]:
    """The language in use as a Vega-Lite ``config.locale``: decimal and group separators
    for numbers, month and day names for time axes.

    Examples
    --------
    >>> from cxlib import i18n
    >>> i18n.use("vi"), i18n.vega_locale()["number"]["decimal"]
    ('vi', ',')
    >>> i18n.vega_locale()["time"]["shortMonths"][11]
    'thg 12'
    >>> i18n.use("en"), i18n.vega_locale()["time"]["days"][0]
    ('en', 'Sunday')
    """
    return _definition(current())
