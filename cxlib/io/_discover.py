"""Find a shop's tables among its files and map their columns, from names and values.

Each supported file in a folder (CSV, gzip CSV, Parquet, NDJSON; subfolders one level
deep) is read the way the loaders read it (``_read.read_raw``) and its first
:data:`SAMPLE_ROWS` rows profiled: for every column the share of rows with a value, the
number of distinct values, a few examples, whether the values are numbers, yes/no words or
timestamps (and which: a native datetime, epoch seconds / milliseconds / microseconds, ISO
text with or without an offset, or day-first / month-first text with the ``date_format``
that reads it). Nested objects are read as dotted fields (``context.channel``).

A canonical column is matched by name (``_synonyms.COLUMN_SYNONYMS``, then words inside a
longer name) and kept only when the values fit it (a ``ts`` parses, a ``revenue`` is a
number, a ``channel`` has few distinct values, ...). Among names that fit, a column with a
value on nearly every row wins over a better name with gaps (Segment's ``anonymousId`` over
a ``userId`` set after sign-in). A file is a touchpoints, surveys or customers table by the
columns it has, not by its name (the name only breaks ties).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import charset_normalizer
import polars as pl

from cxlib._errors import DataError
from cxlib.io import _exports as exports
from cxlib.io._numbers import text_number
from cxlib.io._read import INTERNAL, Raw, file_format, read_raw
from cxlib.io._schema import EARLIEST_TS, LATEST_TS, SCHEMAS, SURVEY_SCALES
from cxlib.io._synonyms import COLUMN_SYNONYMS, COLUMN_WORDS, normalize_name
from cxlib.io._timestamps import (
    guess_date_format,
    normalize_timestamps,
    pad_timestamps,
    parse_timestamps,
    parse_with_format,
)

SAMPLE_ROWS = 5000
# Formats tried when text timestamps are neither ISO nor numeric day/month-first dates.
_MORE_FORMATS = (
    "%Y%m%d",
    "%Y%m%d%H%M%S",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y",
    "%d-%b-%Y %H:%M",
    "%d-%b-%Y",
)
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2}|\bUTC|\bGMT)$")
_EARLIEST, _LATEST = pl.lit(EARLIEST_TS).str.to_datetime(), pl.lit(LATEST_TS).str.to_datetime()
_TRUE_FALSE = {"true", "false", "t", "f", "yes", "no", "y", "n", "1", "0", "1.0", "0.0"}
_KIND_WORDS = {
    "touchpoints": ("event", "touchpoint", "order", "transaction", "click", "track", "hit"),
    "surveys": ("survey", "nps", "csat", "ces", "feedback", "response", "answer"),
    "customers": ("customer", "member", "user", "crm", "profile", "account", "contact"),
}
_CANONICAL_ORDER = {
    "touchpoints": ("customer_id", "ts", "touchpoint", "channel", "revenue", "order_id",
                    "session_id"),
    "surveys": ("customer_id", "ts", "survey", "score", "comment", "touchpoint", "channel"),
    "customers": ("customer_id", "signup_ts", "churned", "churn_ts"),
}  # fmt: skip


@dataclass(frozen=True)
class TimeGuess:
    """How a column's timestamps read: ``what`` they are, the share that reads, the format.

    ``naive`` is True for wall times without an offset (they need ``[data] timezone``);
    ``ambiguous`` when no day above 12 tells day-first from month-first.
    """

    what: str
    parsed: float
    date_format: str | None = None
    naive: bool = False
    ambiguous: bool = False


@dataclass
class Profile:
    """One source column in the sampled rows."""

    name: str
    values: pl.Series  # the non-null sampled values
    rows: int

    @cached_property
    def text(self) -> pl.Series:
        values = self.values
        if values.dtype == pl.String:
            values = values.str.strip_chars()
            return values.filter(values != "")
        return values.cast(pl.String, strict=False).drop_nulls()

    @property
    def present(self) -> float:
        return self.text.len() / self.rows if self.rows else 0.0

    @cached_property
    def distinct(self) -> int:
        return self.text.n_unique()

    @property
    def is_text(self) -> bool:
        return self.values.dtype in (pl.String, pl.Categorical) or isinstance(
            self.values.dtype, pl.Enum
        )

    @cached_property
    def numbers(self) -> pl.Series:
        if self.values.dtype.is_numeric():
            return self.values.cast(pl.Float64).drop_nulls().drop_nans()
        if self.values.dtype == pl.Boolean:
            return self.values.cast(pl.Float64).drop_nulls()
        # as the loaders read them: "1,250.50", "1.250.000" and "12,50" are numbers
        frame = pl.DataFrame({"t": self.text})
        return frame.select(text_number(pl.col("t"))).get_column("t").drop_nulls()

    @property
    def numeric(self) -> float:
        return self.numbers.len() / self.text.len() if self.text.len() else 0.0

    @property
    def yes_no(self) -> float:
        if self.values.dtype == pl.Boolean:
            return 1.0
        words = self.text.str.to_lowercase()
        return words.is_in(list(_TRUE_FALSE)).mean() if words.len() else 0.0

    @property
    def mean_length(self) -> float:
        return float(self.text.str.len_chars().mean() or 0.0) if self.text.len() else 0.0

    @cached_property
    def time(self) -> TimeGuess | None:
        return detect_timestamps(self.values)

    def examples(self, count: int = 3, *, mask: bool = False) -> str:
        """A few distinct values, quoted, for a comment (masked for personal ids)."""
        seen = self.text.unique(maintain_order=True).head(count).to_list()
        shown = ", ".join(dict.fromkeys(_quote(_mask(v) if mask else v) for v in seen))
        more = f" ({self.distinct:,} distinct)" if self.distinct > count else ""
        return f"e.g. {shown}{more}" if shown else "no values in the first rows"


@dataclass
class Choice:
    """Where one canonical column comes from: a source column, a constant, or a TODO."""

    canonical: str
    source: str | None = None
    evidence: str = ""
    todo: str | None = None
    constant: str | None = None


@dataclass
class FileGuess:
    """One file: what kind of table it looks like and how its columns map."""

    path: Path
    columns: tuple[str, ...] = ()
    rows: int = 0
    kind: str | None = None
    score: int = 0
    choices: dict[str, Choice] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    date_format: str | None = None
    naive: bool = False
    problem: str | None = None
    parts: int = 1  # files read as one table through the glob pattern ``path``
    encoding: str | None = None  # detected when the file is not UTF-8
    export: str | None = None  # a known export (cxlib.io._exports), read by its reader

    @property
    def size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def source_of(self, canonical: str) -> str | None:
        choice = self.choices.get(canonical)
        return None if choice is None else choice.source


# -- timestamps ---------------------------------------------------------------------------


def detect_timestamps(values: pl.Series) -> TimeGuess | None:
    """How the loaders would read these values as timestamps, or None when they do not.

    Examples
    --------
    >>> import polars as pl
    >>> guess = detect_timestamps(pl.Series(["31/12/2025 14:05", "01/02/2025 09:30"]))
    >>> guess.what, guess.date_format, guess.naive
    ('day-first text', '%d/%m/%Y %H:%M', True)
    >>> detect_timestamps(pl.Series([1_735_689_600_000_000])).what
    'epoch microseconds'
    """
    values = values.drop_nulls()
    if values.dtype == pl.String:
        values = values.str.strip_chars().filter(values.str.strip_chars() != "")
    if values.len() == 0:
        return None
    dtype = values.dtype
    if isinstance(dtype, pl.Datetime):
        naive = dtype.time_zone is None
        return TimeGuess("timestamps" + (" without a time zone" if naive else ""), 1.0, None, naive)
    if dtype == pl.Date:
        return TimeGuess("dates", 1.0, None, naive=True)
    if dtype.is_numeric():
        return _epoch(values.cast(pl.Float64))
    if dtype != pl.String:
        return None
    return _text_timestamps(values)


def _epoch(numbers: pl.Series) -> TimeGuess | None:
    size = float(numbers.abs().median() or 0.0)
    unit = (
        "seconds"
        if size < 1e11
        else "milliseconds"
        if size < 1e14
        else "microseconds"
        if size < 1e17
        else "nanoseconds"
    )
    if unit == "nanoseconds":  # the loaders read s, ms and µs; ns come out absurd
        return TimeGuess("epoch nanoseconds", 0.0)
    scale = {"seconds": 1e6, "milliseconds": 1e3, "microseconds": 1.0}[unit]
    micros = (numbers * scale).filter((numbers * scale).abs() < 9e15).cast(pl.Int64)
    moments = pl.from_epoch(micros, time_unit="us")
    sane = ((moments >= pl.select(_EARLIEST).item()) & (moments < pl.select(_LATEST).item())).sum()
    return TimeGuess(f"epoch {unit}", sane / numbers.len()) if sane else None


def _share_read(text: pl.Series, parsed: pl.Expr) -> float:
    frame = pl.DataFrame({"t": text}).select(parsed.alias("v"))
    good = frame.filter(
        pl.col("v").is_not_null()
        & (pl.col("v").dt.replace_time_zone(None) >= _EARLIEST)
        & (pl.col("v").dt.replace_time_zone(None) < _LATEST)
    )
    return good.height / text.len()


def _text_timestamps(text: pl.Series) -> TimeGuess | None:
    sample = text.head(2000)
    built_in = parse_timestamps(pad_timestamps(normalize_timestamps(pl.col("t"))), "UTC")
    share = _share_read(sample, built_in)
    if share >= 0.5:
        numeric = sample.str.contains(r"^\d{9,}(?:\.\d+)?$").mean() or 0.0
        if numeric >= 0.5:
            return _epoch(sample.cast(pl.Float64, strict=False).drop_nulls())
        aware = (sample.str.contains(_OFFSET.pattern).mean() or 0.0) >= 0.5
        what = "ISO text with an offset" if aware else "ISO text without an offset"
        return TimeGuess(what, share, None, naive=not aware)
    guess = guess_date_format(sample.to_list())
    candidates = ([guess.date_format] if guess else []) + list(_MORE_FORMATS)
    best: TimeGuess | None = None
    for date_format in candidates:
        read = _share_read(sample, parse_with_format(pl.col("t"), date_format, "UTC"))
        if read > (best.parsed if best else 0.0):
            if guess is not None and date_format == guess.date_format:
                ambiguous = guess.order == "day-first or month-first"
                what = ("month-first" if guess.order == "month-first" else "day-first") + " text"
            else:
                ambiguous, what = False, "text"
            best = TimeGuess(what, read, date_format, naive="%z" not in date_format,
                             ambiguous=ambiguous)  # fmt: skip
        if best is not None and best.parsed >= 0.95:
            break
    return best if best is not None and best.parsed >= 0.5 else None


# -- reading and profiling ----------------------------------------------------------------


def data_files(root: Path) -> tuple[list[Path], list[str]]:
    """Supported files under ``root`` (one level of subfolders) and notes on skipped ones."""
    found, notes = [], []
    candidates = sorted(root.iterdir()) + sorted(
        p for d in sorted(root.iterdir()) if d.is_dir() and not d.name.startswith(".")
        for p in d.iterdir()
    )  # fmt: skip
    for path in candidates:
        if not path.is_file() or path.name.startswith(".") or path.suffix.lower() == ".toml":
            continue
        if path.suffix.lower() in (".md", ".html", ".ipynb", ".py", ".log"):
            continue
        try:
            file_format(path)
        except DataError as err:
            notes.append(f"skipped {path.relative_to(root)}: {str(err).split(': ', 1)[-1]}")
            continue
        found.append(path)
    return found, notes


def detect_encoding(path: Path) -> str | None:
    """The text encoding of a file that is not UTF-8 (``cp1252``, ``cp874`` for Thai, ...),
    from its first megabyte, by charset-normalizer; None when nothing decodes it."""
    opener = gzip.open if file_format(path) == "csv.gz" else open
    with opener(path, "rb") as handle:
        head = handle.read(1 << 20)
    best = charset_normalizer.from_bytes(head).best()
    return None if best is None else best.encoding


def sample_frame(
    source: Path | Raw, *, rows: int | None = SAMPLE_ROWS, encoding: str | None = None
) -> pl.DataFrame:
    """The first ``rows`` rows (all when None) as the loaders see them (nested fields dotted)."""
    raw = source if isinstance(source, Raw) else read_raw(source, encoding=encoding or "utf8")
    lazy = raw.frame.drop(*INTERNAL, strict=False)
    return (lazy.head(rows) if rows else lazy).collect()


def profile_file(path: Path, root: Path) -> FileGuess:
    """Read the first rows of ``path`` and guess what table it is."""
    guess = FileGuess(path)
    try:
        try:
            raw = read_raw(path)
        except DataError as err:
            guess.encoding = detect_encoding(path) if "not UTF-8" in str(err) else None
            if guess.encoding is None:
                raise
            raw = read_raw(path, encoding=guess.encoding)
        guess.export = next(
            (name for kind in SCHEMAS if (name := exports.detect(kind, raw.columns))), None
        )
        if guess.export is not None:  # profile the export as its reader sees it
            raw = exports.convert(guess.export, exports.FORMATS[guess.export].kind, raw)
        frame = sample_frame(raw)
    except (DataError, pl.exceptions.PolarsError) as err:
        guess.problem = str(err).split(": ", 1)[-1] if isinstance(err, DataError) else str(err)
        return guess
    guess.columns, guess.rows = tuple(raw.columns), frame.height
    guess.profiles = {
        name: Profile(name, frame[name].drop_nulls(), frame.height)
        for name in raw.columns  # not the reject columns of an export's reader
        if not isinstance(frame.schema[name], (pl.List, pl.Array, pl.Object, pl.Null))
    }
    best: tuple[int, str, dict[str, Choice]] | None = None
    kinds = [exports.FORMATS[guess.export].kind] if guess.export else list(SCHEMAS)
    for kind in kinds:
        choices = map_columns(kind, guess.profiles)
        if guess.export:  # the reader wrote the canonical columns: they are the answer
            choices = {
                name: Choice(name, name, "written by the export's reader")
                if name in guess.columns
                else choice
                for name, choice in choices.items()
            }
        score = _kind_score(kind, choices, guess.profiles, path)
        if score and (best is None or score > best[0]):
            best = (score, kind, choices)
    if best is not None:
        guess.score, guess.kind, guess.choices = best
        guess.date_format, guess.naive = _table_format(guess)
    return guess


# -- column mapping -----------------------------------------------------------------------


def _name_score(canonical: str, column: str, synonyms: tuple[str, ...]) -> int:
    name = normalize_name(column)
    if name == canonical.replace("_", " "):
        return 200
    if name in synonyms:
        return 150 - synonyms.index(name)
    leaf = normalize_name(column.rsplit(".", 1)[-1])  # properties.revenue -> revenue
    if leaf in synonyms and "." in column:
        return 100 - synonyms.index(leaf)
    words = COLUMN_WORDS.get(canonical, ())
    if any(_contains(name, word) for word in words):
        return 30
    return 0


def _contains(name: str, word: str) -> bool:
    if not word.isascii() or " " in word:
        return word in name
    return any(part.startswith(word) for part in name.split())


def _fits(kind: str, canonical: str, p: Profile, *, strong: bool) -> bool:
    """Do the values look like ``canonical``? (Names alone are not enough.)

    ``strong``: the name is a known synonym, not only a word inside a longer name.
    """
    if p.text.len() == 0:
        return False
    if canonical == "customer_id":
        if p.values.dtype.is_float() and (p.numbers != p.numbers.round()).any():
            return False
        if not strong and p.time is not None and p.time.parsed > 0.8:
            return False  # "user_created_at" is no id
        unique = p.distinct / p.text.len()
        return (p.distinct > 1 or p.text.len() == 1) and (kind != "customers" or unique > 0.9)
    if canonical in ("ts", "signup_ts", "churn_ts"):
        return p.time is not None and p.time.parsed >= 0.8
    if canonical in ("touchpoint", "channel", "survey"):
        limit = {"touchpoint": 2000, "channel": 60, "survey": 10}[canonical]
        ok = p.is_text and p.numeric < 0.5 and p.distinct <= limit and p.mean_length < 80
        if canonical == "survey":
            known = p.text.str.strip_chars().str.to_lowercase().is_in(list(SURVEY_SCALES))
            ok = ok and (known.mean() or 0.0) >= 0.8
        if canonical == "channel":  # Segment's context.channel says how an event was sent
            sent = p.text.str.strip_chars().str.to_lowercase().is_in(["client", "server"])
            ok = ok and (sent.mean() or 0.0) < 0.5
        return ok and (p.time is None or p.time.parsed < 0.5)
    if canonical in ("revenue", "score"):
        if p.numeric < 0.9 or (p.time is not None and p.time.what.startswith("epoch")):
            return False
        if p.numbers.len() == 0:
            return False
        if canonical == "score":  # a few out-of-scale answers are the loader's to reject
            return ((p.numbers >= 0) & (p.numbers <= 10)).mean() >= 0.95
        return (p.numbers < 0).mean() < 0.1
    if canonical == "churned":
        return p.yes_no >= 0.9
    if canonical == "comment":
        return p.is_text and p.numeric < 0.5 and p.mean_length >= 3
    return p.values.dtype != pl.Boolean  # session_id, order_id


def map_columns(kind: str, profiles: dict[str, Profile]) -> dict[str, Choice]:
    """The best source column for each canonical column of ``kind`` (unused ones skipped)."""
    choices: dict[str, Choice] = {}
    used: set[str] = set()
    required = SCHEMAS[kind].required
    for canonical in _CANONICAL_ORDER[kind]:
        synonyms = COLUMN_SYNONYMS[kind][canonical]
        ranked = []
        for name, p in profiles.items():
            score = _name_score(canonical, name, synonyms)
            if score == 0 and canonical == "ts" and p.time is not None and p.time.parsed >= 0.95:
                score = 10  # timestamps under a name of their own
            if score == 0 and canonical == "survey" and _fits(kind, canonical, p, strong=False):
                score = 10  # a column of nps / csat / ces, whatever its name
            if name in used or score == 0 or not _fits(kind, canonical, p, strong=score > 30):
                continue
            full = p.present >= 0.95 if canonical in required else True
            ranked.append((full, score, -len(name), name))
        if not ranked:
            continue
        ranked.sort(reverse=True)
        name = ranked[0][3]
        used.add(name)
        choices[canonical] = Choice(
            canonical,
            name,
            _evidence(canonical, profiles[name], [r[3] for r in ranked[1:] if r[1] > 10], profiles),
        )
    return choices


def _evidence(canonical: str, p: Profile, others: list[str], profiles: dict[str, Profile]) -> str:
    parts = [p.examples(mask=canonical == "customer_id")]
    if canonical in ("ts", "signup_ts", "churn_ts") and p.time is not None:
        parts.append(p.time.what)
    if p.present < 0.995:
        parts.append(f"set on {p.present:.0%} of rows")
    if others:
        also = ", ".join(f"{o} ({profiles[o].present:.0%} set)" for o in others[:2])
        parts.append(f"also possible: {also}")
    return "; ".join(parts)


def _kind_score(
    kind: str, choices: dict[str, Choice], profiles: dict[str, Profile], path: Path
) -> int:
    has = set(choices)
    if "customer_id" not in has:
        return 0
    if kind == "touchpoints":
        if "ts" not in has or not has & {"touchpoint", "revenue", "order_id"}:
            return 0
        optional = has & {"channel", "revenue", "order_id", "session_id"}
        score = 6 + (3 if "touchpoint" in has else 2) + len(optional)
    elif kind == "surveys":
        if "ts" not in has or "score" not in has:
            return 0
        named = "survey" in has or survey_of(choices["score"].source or "") is not None
        score = 9 + (2 if named else 0) + len(has & {"comment", "touchpoint", "channel"})
    else:
        ids = profiles[choices["customer_id"].source or ""]
        if ids.distinct < 0.95 * ids.text.len() or len(profiles) < 2:
            return 0  # one row per customer (the loader rejects the few repeats)
        score = 3 + len(has - {"customer_id"})
    name = normalize_name(path.name)
    return score + any(word in name for word in _KIND_WORDS[kind])


def survey_of(column: str) -> str | None:
    """The survey a score column's name implies (``"How likely ... recommend"`` -> nps)."""
    name = normalize_name(column)
    if any(w in name for w in ("nps", "recommend", "likely", "giới thiệu", "แนะนำ")):
        return "nps"
    if any(w in name for w in ("csat", "satisf", "hài lòng", "พึงพอใจ")):
        return "csat"
    if any(w in name for w in ("ces", "effort", "easy", "dễ dàng")):
        return "ces"
    return None


def _table_format(guess: FileGuess) -> tuple[str | None, bool]:
    """The table's ``date_format`` (from its ts-like columns) and whether any is naive."""
    formats, naive = [], False
    for canonical in ("ts", "signup_ts", "churn_ts"):
        source = guess.source_of(canonical)
        time = None if source is None else guess.profiles[source].time
        if time is None:
            continue
        naive = naive or time.naive
        if time.date_format:
            formats.append(time.date_format)
    return (formats[0] if formats else None), naive


# -- helpers for comments -----------------------------------------------------------------


def _mask(value: str) -> str:
    """Hide most of a personal id: ``KH0001`` -> ``KH**01``, ``ann@x.com`` -> ``a**@x.com``."""
    local, at, domain = value.partition("@")
    if at:
        return local[:1] + "*" * max(len(local) - 1, 1) + "@" + domain
    if len(value) <= 4:
        return value[:1] + "*" * (len(value) - 1)
    keep = 2 if len(value) > 6 else 1
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def _quote(value: object) -> str:
    text = str(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    return '"' + text + '"'


def commentable(text: str) -> str:
    """Text safe inside a TOML comment: one line, no control characters."""
    return "".join(ch if ch.isprintable() or ch == "\t" else " " for ch in text.replace("\n", " "))


def distinct_examples(values: Iterable[str], count: int = 3) -> str:
    seen = list(dict.fromkeys(v for v in values if v))[:count]
    return ", ".join(_quote(v) for v in seen)
