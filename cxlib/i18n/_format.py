"""Numbers, percentages, money, dates and periods written the way the language in use
writes them (Babel's CLDR formats), rounded half away from zero.

A missing value (None, NaN) is written as an en dash: a reader never sees ``nan``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
from collections.abc import Callable
from typing import Any

from babel import Locale, numbers
from babel.dates import format_date, format_skeleton

from cxlib.i18n._catalog import t
from cxlib.i18n._language import babel_locale, current

MISSING = "–"
"""How a missing number is written."""

# a quarter as each language writes it (Vietnamese spells "Quý 4"; CLDR abbreviates "Q4")
_QUARTER = {"en": "QQQ y", "vi": "QQQQ y", "th": "QQQ y"}


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(value)
    except TypeError:
        return False


def _wide(function: Callable[..., str]) -> Callable[..., str]:
    """Run ``function`` with room for every digit of a float: the default 28 digits make
    Babel's and our rounding fail (``InvalidOperation``) from about 1e25 on."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        with decimal.localcontext(prec=400):
            return function(*args, **kwargs)

    return wrapper


def _decimal(value: float | int | decimal.Decimal, decimals: int) -> decimal.Decimal:
    """``value`` rounded half away from zero (1234.5 -> 1235), as readers expect."""
    exact = value if isinstance(value, decimal.Decimal) else decimal.Decimal(repr(value))
    if isinstance(value, float) and not math.isfinite(value):
        return exact
    return exact.quantize(decimal.Decimal(1).scaleb(-decimals), rounding=decimal.ROUND_HALF_UP)


def _pattern(decimals: int, suffix: str = "") -> str:
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + suffix


@_wide
def number(value: float | int | None, decimals: int = 0) -> str:
    """``value`` with the language's grouping and decimal separators.

    Parameters
    ----------
    value : float, int or None
        The number; None or NaN is written as an en dash.
    decimals : int, default 0
        Digits after the decimal separator.

    Examples
    --------
    >>> from cxlib import i18n
    >>> i18n.use("vi"), i18n.number(1234.5), i18n.number(1234.5, decimals=1)
    ('vi', '1.235', '1.234,5')
    >>> i18n.use("en"), i18n.number(1234.5), i18n.number(None)
    ('en', '1,235', '–')
    """
    if _missing(value):
        return MISSING
    return numbers.format_decimal(
        _decimal(value, decimals), format=_pattern(decimals), locale=babel_locale()
    )


@_wide
def percent(share: float | None, decimals: int = 1, *, sign: bool = False) -> str:
    """``share`` (0.1234) as a percentage ("12.3%"), ``sign=True`` for a change ("+1.5%").

    Examples
    --------
    >>> from cxlib import i18n
    >>> i18n.use("vi"), i18n.percent(0.1234), i18n.percent(-0.05, 0, sign=True)
    ('vi', '12,3%', '−5%')
    >>> i18n.use("en"), i18n.percent(0.1234), i18n.percent(0.015, sign=True)
    ('en', '12.3%', '+1.5%')
    """
    if _missing(share):
        return MISSING
    value = _decimal(decimal.Decimal(repr(share)) * 100, decimals)
    text = numbers.format_percent(
        abs(value) / 100, format=_pattern(decimals, "%"), locale=babel_locale()
    )
    if value < 0:
        return "−" + text
    return ("+" + text) if sign and value > 0 else text


@_wide
def money(amount: float | None, currency: str, decimals: int | None = None) -> str:
    """``amount`` of ``currency`` (ISO 4217) with its symbol where the language puts it,
    and the currency's own decimals (none for VND) unless ``decimals`` says otherwise.

    Examples
    --------
    >>> from cxlib import i18n
    >>> i18n.use("vi"), i18n.money(125000, "VND")
    ('vi', '125.000\xa0₫')
    >>> i18n.use("en"), i18n.money(125000, "VND"), i18n.money(12.5, "USD", decimals=0)
    ('en', '₫125,000', '$13')
    """
    if _missing(amount):
        return MISSING
    digits = numbers.get_currency_precision(currency) if decimals is None else decimals
    pattern = None
    if decimals is not None:  # the language's currency pattern with these decimals
        standard = Locale.parse(babel_locale()).currency_formats["standard"].pattern
        pattern = standard.split(";")[0].replace("#,##0.00", _pattern(decimals))
    return numbers.format_currency(
        _decimal(amount, digits),
        currency,
        format=pattern,
        locale=babel_locale(),
        currency_digits=decimals is None,
    )


def date(day: dt.date | dt.datetime | None, *, length: str = "medium") -> str:
    """A calendar date as the language writes it ("Dec 7, 2026", "7 thg 12, 2026").

    Parameters
    ----------
    day : date or datetime or None
    length : {"short", "medium", "long"}, default "medium"

    Examples
    --------
    >>> import datetime as dt
    >>> from cxlib import i18n
    >>> i18n.use("th"), i18n.date(dt.date(2026, 12, 7))
    ('th', '7 ธ.ค. 2026')
    >>> i18n.use("en"), i18n.date(dt.date(2026, 12, 7))
    ('en', 'Dec 7, 2026')
    """
    if day is None:
        return MISSING
    return format_date(day, format=length, locale=babel_locale())


def period(start: dt.date | dt.datetime | None, unit: str) -> str:
    """The period of ``unit`` that starts on ``start``: "Week of Dec 7, 2026",
    "Dec 2026", "Q4 2026" (or a date for ``"day"``).

    Parameters
    ----------
    start : date or datetime or None
        The first day of the period.
    unit : {"day", "week", "month", "quarter", "year"}

    Examples
    --------
    >>> import datetime as dt
    >>> from cxlib import i18n
    >>> i18n.use("vi"), i18n.period(dt.date(2026, 10, 1), "quarter")
    ('vi', 'Quý 4 2026')
    >>> i18n.use("en"), i18n.period(dt.date(2026, 12, 7), "week")
    ('en', 'Week of Dec 7, 2026')
    >>> i18n.period(dt.date(2026, 12, 1), "month")
    'Dec 2026'
    """
    if start is None:
        return MISSING
    locale = babel_locale()
    if unit == "week":
        return t("Week of {date}", date=date(start))
    if unit == "month":
        return format_skeleton("yMMM", start, locale=locale)
    if unit == "quarter":
        return format_date(start, format=_QUARTER[current()], locale=locale)
    if unit == "year":
        return format_skeleton("y", start, locale=locale)
    return date(start)
