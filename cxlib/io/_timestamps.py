"""Timestamp text: the built-in formats, a user's ``date_format``, and guessing one.

Text timestamps are parsed in this order, the first that fits wins:

1. the user's ``date_format`` when one is given (a strptime / chrono format such as
   ``"%d/%m/%Y %H:%M"``);
2. ISO 8601-like text (``2025-12-31 14:05``, ``2025/12/31T14:05:00Z``, with or without an
   offset, a date alone meaning midnight);
3. Unix epoch numbers of 9+ digits (seconds, milliseconds or microseconds).

Text without an offset is local time in the configured time zone; everything comes out as
``Datetime("us", "UTC")``, null where nothing fits (the row is then rejected as an
unparseable timestamp). ``guess_date_format`` looks at rejected values and recognizes
day-first and month-first dates (``31/12/2025 14:05``, ``31-12-2025``, ``31.12.2025``) so
that the fix can be named.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from cxlib._errors import DataError

# ISO timestamps tried whole on the raw text by parse_iso_column (an offset or not); the
# general parser gives the same instant for every value these read (compared in
# tests/io/test_load_fast_paths.py).
_FAST_FORMATS = (
    ("%Y-%m-%dT%H:%M:%S%.f%z", True),
    ("%Y-%m-%d %H:%M:%S%.f%z", True),
    ("%Y-%m-%dT%H:%M:%S%.f", False),
    ("%Y-%m-%d %H:%M:%S%.f", False),
)
_AWARE_FORMAT = "%Y-%m-%d %H:%M:%S%.f%z"
_NAIVE_FORMAT = "%Y-%m-%d %H:%M:%S%.f"
_OFFSET = re.compile(r"%[:#]*z")  # chrono's offset directives: %z, %:z, %::z, %#z
BUDDHIST_ERA = 543  # Thai calendar: the Buddhist-era year is the Gregorian year + 543
_PROBE = datetime(2025, 12, 31, 14, 5, 6, tzinfo=UTC)  # day 31, month 12: never ambiguous
# dd/mm/yyyy or mm/dd/yyyy with / . or - (same twice), an optional time, an optional AM/PM.
_NUMERIC_DATE = re.compile(
    r"(?P<first>\d{1,2})(?P<sep>[/.\-])(?P<second>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})"
    r"(?:(?P<t>[ T])\d{1,2}:\d{2}(?P<seconds>:\d{2}(?P<fraction>\.\d+)?)?"
    r"(?P<ampm>\s*[AaPp][Mm])?)?"
)


def normalize_timestamps(text: pl.Expr) -> pl.Expr:
    """Rewrite timestamp text towards ``YYYY-MM-DD HH:MM[:SS[.f]][+HH:MM]``.

    ``T`` becomes a space, ``/`` in the date a ``-``, a ``Z`` / `` UTC`` suffix ``+00:00``.
    (Literal replacements: several times faster than one regular expression.)
    """
    return (
        text.str.strip_chars()
        .str.replace(" UTC", "+00:00", literal=True)  # before the T of UTC goes
        .str.replace("T", " ", literal=True)
        .str.replace("/", "-", literal=True, n=2)
        .str.replace("Z", "+00:00", literal=True)
    )


def pad_timestamps(text: pl.Expr) -> pl.Expr:
    """Give normalized text seconds: a date alone gets midnight, ``HH:MM`` gets ``:00``.

    ``text`` should be a column: it is used several times.
    """
    length, dashed = text.str.len_bytes(), text.str.slice(4, 1) == "-"
    return (
        pl.when(dashed & (length == 10))
        .then(text + " 00:00:00")
        .when(dashed & (length == 16))
        .then(text + ":00")
        .otherwise(text)
    )


def gregorian_years(text: pl.Expr) -> pl.Expr:
    """Buddhist-era years (Thai calendar, 543 years ahead: 2567 is 2024) in the date part of
    timestamp text rewritten as Gregorian years, so ``31/12/2567 14:05`` reads as 2024.

    Years 2400-2699 cannot be Gregorian dates of customer data, so the rewrite is safe; the
    text is changed before parsing, which keeps 29 February of a Buddhist leap year valid.
    Only the first 11 characters are searched: the date, not a fraction of a second.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"t": ["31/12/2567 14:05", "2567-02-29", "2024-12-31 10:00:00.2450"]})
    >>> frame.select(gregorian_years(pl.col("t")))["t"].to_list()
    ['31/12/2024 14:05', '2024-02-29', '2024-12-31 10:00:00.2450']
    """
    found = text.str.slice(0, 11).str.find(r"(?:^|[/.\-\s])2[4-6]\d{2}(?:[/.\-\sT]|$)")
    start = found + text.str.slice(found, 1).str.contains(r"^\D").cast(pl.Int64)
    year = text.str.slice(start, 4).cast(pl.Int32, strict=False)
    gregorian = pl.concat_str(
        [text.str.slice(0, start), (year - BUDDHIST_ERA).cast(pl.String), text.str.slice(start + 4)]
    )
    return pl.when(found.is_not_null()).then(gregorian).otherwise(text)


def parse_timestamps(text: pl.Expr, timezone: str, ambiguous: str = "earliest") -> pl.Expr:
    """Parse normalized timestamp text to ``Datetime("us", "UTC")``; null where it cannot.

    An offset (``+07:00``, ``+0700``) is honoured per value; text without one is local time
    in ``timezone``; numbers of 9+ digits are Unix epoch seconds (or milliseconds /
    microseconds, told apart by size).
    """
    text = gregorian_years(text)
    aware = text.str.to_datetime(
        _AWARE_FORMAT, strict=False, cache=False, time_unit="us", time_zone="UTC"
    )
    naive = text.str.to_datetime(_NAIVE_FORMAT, strict=False, cache=False, time_unit="us")
    epoch = pl.when(text.str.contains(r"^\d{9,}(?:\.\d+)?$")).then(
        from_epoch(text.cast(pl.Float64, strict=False))
    )
    local = localize(naive, timezone, ambiguous).dt.convert_time_zone("UTC")
    return pl.coalesce(aware, local, epoch)


def parse_with_format(
    text: pl.Expr, date_format: str, timezone: str, ambiguous: str = "earliest"
) -> pl.Expr:
    """Parse stripped text with the user's ``date_format`` to UTC; null where it does not fit.

    A format with an offset directive (``%z``) honours each value's offset; otherwise the
    text is local time in ``timezone``. Buddhist-era years are read as Gregorian
    (:func:`gregorian_years`).
    """
    text = gregorian_years(text)
    if _OFFSET.search(date_format):
        return text.str.to_datetime(
            date_format, strict=False, cache=False, time_unit="us", time_zone="UTC"
        )
    naive = text.str.to_datetime(date_format, strict=False, cache=False, time_unit="us")
    return localize(naive, timezone, ambiguous).dt.convert_time_zone("UTC")


def check_date_format(date_format: object) -> None:
    """Raise ``DataError`` unless ``date_format`` can write and read back a full date."""
    if date_format is None:
        return
    example = "e.g. '%d/%m/%Y %H:%M' for 31/12/2025 14:05"
    if not isinstance(date_format, str) or "%" not in date_format:
        raise DataError(
            f"date format {date_format!r} is not a strptime format; write it with % codes, "
            f"{example}"
        )
    probe = pl.Series([_PROBE])
    try:
        text = probe.dt.strftime(date_format)
        back = text.str.to_datetime(
            date_format,
            strict=False,
            cache=False,
            time_unit="us",
            time_zone="UTC" if _OFFSET.search(date_format) else None,
        )
    except pl.exceptions.PolarsError:
        back = pl.Series([None], dtype=pl.Datetime("us"))
    parsed = back.item()
    if parsed is None or parsed.date() != _PROBE.date():
        raise DataError(
            f"date format {date_format!r} cannot read a full date (day, month and year); "
            f"{example}, '%d.%m.%Y' for 31.12.2025"
        )


def localize(naive: pl.Expr, timezone: str, ambiguous: str = "earliest") -> pl.Expr:
    """Naive wall times in ``timezone``.

    A wall time that occurs twice (clocks going back) is the first (``"earliest"``), the
    second (``"latest"``) or null (``"reject"``); one skipped by a daylight-saving jump does
    not exist and is null. The loaders give each null its own ledger reason.
    """
    policy = "null" if ambiguous == "reject" else ambiguous
    return naive.dt.replace_time_zone(timezone, ambiguous=policy, non_existent="null")


def from_epoch(number: pl.Expr) -> pl.Expr:
    """Unix epoch seconds, milliseconds or microseconds (told apart by size) to UTC."""
    micros = (
        pl.when(number.abs() < 1e11)
        .then(number * 1e6)
        .when(number.abs() < 1e14)
        .then(number * 1e3)
        .otherwise(number)
    )
    # Beyond ~year 2262 the int64 microseconds overflow; those are absurd anyway.
    micros = pl.when(micros.abs() < 9e15).then(micros).otherwise(9e15)
    return pl.from_epoch(micros.cast(pl.Int64), time_unit="us").dt.replace_time_zone("UTC")


def parse_iso_column(
    data: pl.DataFrame, source: str, column: str, timezone: str, ambiguous: str = "earliest"
) -> tuple[pl.DataFrame, str | None]:
    """``data`` with the text timestamps of ``source`` parsed to UTC in one ISO format, as
    ``column``, when its first value reads in one of ``_FAST_FORMATS`` and then every value
    does: ``(data, column)``; otherwise ``(data, None)``, the general parser's to read.

    Parsing one format once costs a fraction of the general parser (normalize, pad, read
    Buddhist-era years, try an offset, no offset, epoch). Naive text is local time: it is
    only read so where clocks do not change (no wall time skipped or repeated). Years
    outside 1000-2399 go to the general parser (it reads 2400-2699 as Buddhist era).
    """
    text = pl.col(source).cast(pl.String)
    first = data.select(text.drop_nulls().first()).item()
    if first is None:
        return data, None
    for fmt, aware in _FAST_FORMATS:
        if not aware and changes_clocks(timezone):
            continue
        probe = pl.Series([first]).str.to_datetime(
            fmt, strict=False, cache=False, time_unit="us", time_zone="UTC" if aware else None
        )
        if probe.null_count():
            continue
        parsed = text.str.to_datetime(
            fmt, strict=False, cache=False, time_unit="us", time_zone="UTC" if aware else None
        )
        if not aware:
            parsed = localize(parsed, timezone, ambiguous).dt.convert_time_zone("UTC")
        with_parsed = data.with_columns(parsed.alias(column))  # parsed once, then looked at
        year = pl.col(column).dt.year()
        unread = (year.is_null() | (year < 1000) | (year >= 2400)) & text.is_not_null()
        return (data, None) if with_parsed.select(unread.any()).item() else (with_parsed, column)
    return data, None


@functools.cache
def changes_clocks(timezone: str) -> bool:
    """Whether ``timezone`` has had daylight saving since 1990 (Europe/Berlin yes,
    Asia/Ho_Chi_Minh and Asia/Bangkok no): only then are wall times checked for it."""
    try:
        zone = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    offsets = {datetime(year, month, 1, tzinfo=zone).utcoffset() for year in range(1990, 2031)
               for month in (1, 4, 7, 10)}  # fmt: skip
    return len(offsets) > 1


# -- guessing a format from values that did not parse -------------------------------------


@dataclass(frozen=True)
class DateGuess:
    """What unparsed timestamp text looks like.

    ``order`` is ``"day-first"``, ``"month-first"`` or ``"day-first or month-first"`` (no
    day above 12 tells them apart; ``date_format`` is then the day-first one). ``example``
    is a value showing the order best.
    """

    order: str
    date_format: str
    example: str


def guess_date_format(values: Iterable[str | None]) -> DateGuess | None:
    """Recognize numeric dates with the day or the month first; None when most are not.

    Examples
    --------
    >>> guess_date_format(["01/02/2025 09:05", "31/12/2025 14:05"])
    DateGuess(order='day-first', date_format='%d/%m/%Y %H:%M', example='31/12/2025 14:05')
    >>> guess_date_format(["12.31.2025"]).order
    'month-first'
    >>> guess_date_format(["someday", "tomorrow"]) is None
    True
    """
    texts = [value.strip() for value in values if value is not None and value.strip()]
    matches = [(text, _NUMERIC_DATE.fullmatch(text)) for text in texts]
    dates = [(text, match) for text, match in matches if match is not None]
    if not dates or len(dates) * 2 < len(texts):
        return None
    # A day above 12 tells the order; a value with both parts above 12 is no date at all.
    days = Counter(
        "first" if first > 12 else "second"
        for first, second in ((int(m["first"]), int(m["second"])) for _, m in dates)
        if (first > 12) != (second > 12)
    )
    if min(days["first"], days["second"]) * 9 > max(days["first"], days["second"]):
        return None  # both orders in one column (more than 1 in 10): no single format fits
    day_first = days["first"] > days["second"]
    month_first = days["second"] > days["first"]
    formats = Counter(_format_of(match, month_first=month_first) for _, match in dates)
    date_format = formats.most_common(1)[0][0]
    fitting = [(t, m) for t, m in dates if _format_of(m, month_first=month_first) == date_format]
    day, month = ("second", "first") if month_first else ("first", "second")
    telling = [text for text, m in fitting if int(m[day]) > 12 >= int(m[month])]
    order = (
        "month-first" if month_first else "day-first" if day_first else "day-first or month-first"
    )
    return DateGuess(order, date_format, (telling or [fitting[0][0]])[0])


def _format_of(match: re.Match[str], *, month_first: bool) -> str:
    sep = match["sep"]
    year = "%Y" if len(match["year"]) == 4 else "%y"
    date = f"%m{sep}%d{sep}{year}" if month_first else f"%d{sep}%m{sep}{year}"
    if match["t"] is None:
        return date
    hour = "%I" if match["ampm"] else "%H"
    seconds = (":%S" + ("%.f" if match["fraction"] else "")) if match["seconds"] else ""
    ampm = (" " if match["ampm"][0].isspace() else "") + "%p" if match["ampm"] else ""
    return f"{date}{match['t']}{hour}:%M{seconds}{ampm}"
