"""Check raw rows against a table schema and keep a ledger of the rows that fail.

Every input row ends up in exactly one place: the clean frame or the rejects ledger, so
``loaded + rejected == read`` always. A rejected row gets ONE ledger row, for the first
problem found, in this fixed order:

1. ``ragged row`` -- a CSV row with fewer fields than the header, or with non-empty
   fields beyond it (column ``*``; ``value`` says how many fields; empty trailing fields
   are tolerated);
2. each canonical column in schema order (``customer_id``, ``ts``, ``touchpoint``,
   ``channel``, ... as in ``cxlib.io._schema``), and within a column: missing value
   (required columns only), unparseable value, value out of range;
3. ``duplicate row`` -- an exact copy of an earlier clean row (column ``*``);
4. ``duplicate customer_id`` -- customers only: the first clean row per id is kept.

Blank CSV lines carry no data: they are skipped and not counted in ``read``, but row
numbers count them, so CSV row ``n`` is line ``n + 1`` of the file when no quoted field
spans lines.

The ledger's ``column`` is the canonical name (``customer_id`` even when the file calls
it ``user``), so ledgers of differently shaped files line up and privacy masking by
canonical name works; ``value`` is the raw text from the source.

Everything is a polars expression, so it runs lazily and streams.
"""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from cxlib._engine import close_match
from cxlib._errors import DataError
from cxlib.io._numbers import text_number
from cxlib.io._read import EXPORT_REJECT, RAGGED, ROW, SOURCE, Raw
from cxlib.io._schema import EARLIEST_TS, LATEST_TS, SURVEY_SCALES, UTC_TS, TableSchema
from cxlib.io._timestamps import (
    from_epoch,
    localize,
    normalize_timestamps,
    pad_timestamps,
    parse_timestamps,
    parse_with_format,
)

# Reasons in the rejects ledger: short, stable strings (tests and users filter on them).
RAGGED_ROW = "ragged row"
MISSING_CUSTOMER_ID = "missing customer_id"
MISSING_TS = "missing ts"
MISSING_TOUCHPOINT = "missing touchpoint"
MISSING_CHANNEL = "missing channel"
MISSING_SURVEY = "missing survey"
MISSING_SCORE = "missing score"
UNPARSEABLE_TIMESTAMP = "unparseable timestamp"
ABSURD_TIMESTAMP = "absurd timestamp"
UNKNOWN_SURVEY = "unknown survey type"
NON_NUMERIC_SCORE = "non-numeric score"
SCORE_OUT_OF_SCALE = "score out of scale"
SCORE_NOT_WHOLE = "NPS score not a whole number"
CONTROL_CHARACTER = "control character in text"
NONEXISTENT_LOCAL_TIME = "local time skipped by a daylight-saving change"
AMBIGUOUS_LOCAL_TIME = "ambiguous local time (occurs twice)"
NON_NUMERIC_REVENUE = "non-numeric revenue"
NEGATIVE_REVENUE = "negative revenue"
UNPARSEABLE_BOOLEAN = "unparseable boolean"
DUPLICATE_ROW = "duplicate row"
DUPLICATE_CUSTOMER_ID = "duplicate customer_id"

MISSING = {
    "customer_id": MISSING_CUSTOMER_ID,
    "ts": MISSING_TS,
    "touchpoint": MISSING_TOUCHPOINT,
    "channel": MISSING_CHANNEL,
    "survey": MISSING_SURVEY,
    "score": MISSING_SCORE,
}
NON_NUMERIC = {"score": NON_NUMERIC_SCORE, "revenue": NON_NUMERIC_REVENUE}

REJECTS_SCHEMA = pl.Schema(
    {
        "source": pl.String,
        "kind": pl.String,
        "row": pl.Int64,
        "column": pl.String,
        "reason": pl.String,
        "value": pl.String,
    }
)

REASON, COLUMN, VALUE = "__cx_reason", "__cx_column", "__cx_value"
_FAILED = "__cx_failed"  # index of the first failed check
_OUT = "__cx_out_"  # prefix of converted canonical columns until the final select

# Text that means "no value" in number and timestamp columns (compared lower-cased).
_NULL_TOKENS = ["", "na", "n/a", "nan", "null", "none"]
_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # not tab, newline or carriage return
_INVISIBLE = "[\u200b\u200c\u200d\u2060\ufeff\u00ad]"  # zero-width characters, soft hyphen
_TRUE = ["true", "t", "yes", "y", "1"]
_FALSE = ["false", "f", "no", "n", "0"]
_EARLIEST = datetime.fromisoformat(EARLIEST_TS).replace(tzinfo=UTC)
_LATEST = datetime.fromisoformat(LATEST_TS).replace(tzinfo=UTC)
_ALIASES = {  # usual names of canonical columns, for "did you mean" hints
    "customer_id": ("user_id", "user", "customer", "client_id", "customerid", "uid", "id"),
    "ts": ("timestamp", "time", "event_time", "datetime", "date", "created_at", "occurred_at"),
    "touchpoint": ("event", "event_name", "event_type", "action", "type"),
    "channel": ("source", "medium", "platform", "device"),
    "survey": ("survey_type", "type", "question", "metric"),
    "score": ("rating", "answer", "value", "nps", "csat", "ces"),
}


@dataclass(frozen=True)
class Check:
    """One row-level check: rows where ``failed`` is true get ``reason``."""

    column: str
    reason: str
    failed: pl.Expr
    value: pl.Expr


@dataclass(frozen=True)
class Conversion:
    """How one canonical column is made, in three stages so nothing is computed twice.

    ``helpers`` are computed first (is a value present, normalized text; each dict may use
    the ones before it), then ``value`` (may use the helpers), then the ``checks`` (may use
    both, and the converted values of other columns).
    """

    helpers: tuple[dict[str, pl.Expr], ...]  # computed one dict after the other
    value: pl.Expr
    checks: list[Check]


@dataclass(frozen=True)
class Plan:
    """The annotated frame (converted columns + reason/column/value) and what to keep."""

    frame: pl.LazyFrame
    outputs: tuple[str, ...]
    label: str
    kind: str
    several: bool = False  # read from several files: ``SOURCE`` names each row's file


def validate(
    raw: Raw,
    schema: TableSchema,
    *,
    columns: Mapping[str, str] | None = None,
    timezone: str = "UTC",
    date_format: str | None = None,
    ambiguous: str = "earliest",
) -> Plan:
    """Convert ``raw`` to the canonical columns of ``schema`` and flag bad rows.

    ``date_format`` (checked by the caller) is tried first on text timestamps; a wall time
    that occurs twice in ``timezone`` is read as ``ambiguous`` says (``"earliest"``,
    ``"latest"``, or ``"reject"``: into the ledger).
    """
    mapping = resolve_columns(raw, schema, columns)
    source_schema = raw.frame.collect_schema()
    conversions: dict[str, Conversion] = {}
    for name, dtype in schema.columns.items():
        if name not in mapping:
            continue
        source = mapping[name]
        source_dtype = source_schema[source]
        if isinstance(source_dtype, (pl.Categorical, pl.Enum)):
            source_dtype = pl.String()
        if isinstance(source_dtype, (pl.List, pl.Array, pl.Struct, pl.Object)):
            raise DataError(
                f"{raw.label}: column '{source}' ({name}) holds lists or objects, not one "
                f"value per row; map {name} to another column, or flatten the export"
            )
        column = _Column(raw.label, name, source, source_dtype, required=name in schema.required)
        if dtype == UTC_TS:
            conversions[name] = column.timestamp(timezone, date_format, ambiguous)
        elif dtype == pl.Float64:
            conversions[name] = column.number(has_survey="survey" in conversions)
        elif dtype == pl.Boolean:
            conversions[name] = column.boolean()
        elif name == "survey":
            conversions[name] = column.survey()
        else:
            conversions[name] = column.text(strip=name != "comment")

    checks = [Check("*", RAGGED_ROW, pl.col(RAGGED).is_not_null(), pl.col(RAGGED))]
    checks += [  # rows an export reader could not use (cxlib.io._exports): value, reason
        Check("*", name[len(EXPORT_REJECT) :], pl.col(name).is_not_null(), pl.col(name))
        for name in source_schema.names()
        if name.startswith(EXPORT_REJECT)
    ]
    checks += [check for conversion in conversions.values() for check in conversion.checks]
    failed = pl.when(checks[0].failed).then(0)
    for index, check in enumerate(checks[1:], start=1):
        failed = failed.when(check.failed).then(index)
    value = pl.lit(None, pl.String)
    for index, check in reversed(list(enumerate(checks))):
        value = pl.when(pl.col(_FAILED) == index).then(check.value).otherwise(value)

    renames = _passthrough(raw, mapping, schema)
    frame = raw.frame
    for stage in range(max(len(c.helpers) for c in conversions.values())):
        frame = frame.with_columns(
            **{
                name: expr
                for c in conversions.values()
                if stage < len(c.helpers)
                for name, expr in c.helpers[stage].items()
            }
        )
    frame = (
        frame.with_columns(**{_OUT + name: c.value for name, c in conversions.items()})
        .with_columns(failed.otherwise(None).cast(pl.Int32).alias(_FAILED))
        .with_columns(
            pl.col(_FAILED)
            .replace_strict(
                range(len(checks)), [c.reason for c in checks], default=None, return_dtype=pl.String
            )
            .alias(REASON),
            pl.col(_FAILED)
            .replace_strict(
                range(len(checks)), [c.column for c in checks], default=None, return_dtype=pl.String
            )
            .alias(COLUMN),
            value.alias(VALUE),
        )
    )
    frame = _flag_duplicates(frame, raw.columns, customers=schema.kind == "customers")
    several = SOURCE in frame.collect_schema().names()
    frame = frame.select(
        ROW,
        *([SOURCE] if several else []),
        REASON,
        COLUMN,
        VALUE,
        *(pl.col(_OUT + name).alias(name) for name in conversions),
        *(pl.col(source).alias(target) for source, target in renames.items()),
    )
    return Plan(frame, (*conversions, *renames.values()), raw.label, schema.kind, several)


def clean(plan: Plan, frame: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """The rows without problems, with the output columns only."""
    frame = plan.frame if frame is None else frame
    return frame.filter(pl.col(REASON).is_null()).select(plan.outputs)


def rejects(plan: Plan, frame: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """The rejects ledger: one row per rejected input row, in ``REJECTS_SCHEMA``."""
    frame = plan.frame if frame is None else frame
    return frame.filter(pl.col(REASON).is_not_null()).select(
        (pl.col(SOURCE) if plan.several else pl.lit(plan.label, pl.String)).alias("source"),
        pl.lit(plan.kind, pl.String).alias("kind"),
        pl.col(ROW).cast(pl.Int64).alias("row"),
        pl.col(COLUMN).alias("column"),
        pl.col(REASON).alias("reason"),
        pl.col(VALUE).alias("value"),
    )


def empty_rejects() -> pl.DataFrame:
    """A rejects ledger with no rows."""
    return pl.DataFrame(schema=REJECTS_SCHEMA)


# -- columns ------------------------------------------------------------------------------


def resolve_columns(
    raw: Raw, schema: TableSchema, columns: Mapping[str, str] | None
) -> dict[str, str]:
    """``target -> source column`` for canonical columns and renamed properties.

    Raises ``DataError`` naming the fix when a mapped column is absent or a required
    canonical column cannot be found.
    """
    if columns is not None and not isinstance(columns, Mapping):
        raise DataError(
            f"{raw.label}: columns must be a dict like {{'customer_id': 'user'}}, "
            f"got {type(columns).__name__}"
        )
    mapping = {str(target): str(source) for target, source in (columns or {}).items()}
    found = _names(raw.columns)
    for target, source in mapping.items():
        if source not in raw.columns:
            raise DataError(
                f"{raw.label}: column '{source}' (mapped to {target}) is not in the "
                f"file; {close_match(source, raw.columns)}columns found: {found}"
            )
    for name in schema.columns:
        if name not in mapping and name in raw.columns:
            mapping[name] = name
    missing = [name for name in schema.required if name not in mapping]
    if missing:
        name = missing[0]
        hint = _guess(name, raw.columns)
        guess = hint or "<your column>"
        raise DataError(
            f"{raw.label}: required {schema.kind} column '{name}' is missing (columns found: "
            f"{found}); map it with columns={{'{name}': '{guess}'}} or --map {name}={guess}"
        )
    return mapping


def _names(columns: tuple[str, ...], limit: int = 12) -> str:
    shown = ", ".join(columns[:limit])
    return shown + (f", ... (+{len(columns) - limit} more)" if len(columns) > limit else "")


def _guess(name: str, columns: tuple[str, ...]) -> str | None:
    lowered = {c.lower().strip(): c for c in columns}
    for alias in (name, *_ALIASES.get(name, ())):
        if alias in lowered:
            return lowered[alias]
    close = difflib.get_close_matches(name, list(columns), n=1, cutoff=0.6)
    return close[0] if close else None


def _passthrough(raw: Raw, mapping: dict[str, str], schema: TableSchema) -> dict[str, str]:
    """Source columns that are not canonical, with their output names.

    Non-canonical keys of the mapping rename a property. A source column named like a
    canonical column that was mapped from elsewhere keeps its data under ``<name>_source``.
    """
    canonical = {source for target, source in mapping.items() if target in schema.columns}
    renamed = {source: target for target, source in mapping.items() if target not in schema.columns}
    kept = {}
    for source in raw.columns:
        if source in renamed:
            kept[source] = renamed[source]
        elif source not in canonical:
            kept[source] = f"{source}_source" if source in schema.columns else source
    return kept


# -- conversions --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    """One canonical column read from one source column of any dtype."""

    label: str
    name: str
    source: str
    dtype: pl.DataType
    required: bool

    @property
    def raw(self) -> pl.Expr:
        # Categorical and Enum columns arrive with dtype String and are cast here.
        column = pl.col(self.source)
        return column.cast(pl.String) if self.dtype == pl.String else column

    @property
    def out(self) -> pl.Expr:
        """The converted value (usable in checks)."""
        return pl.col(_OUT + self.name)

    @property
    def is_present(self) -> pl.Expr:
        """The helper column: True where the source holds a value."""
        return pl.col(f"__cx_present_{self.name}")

    @property
    def as_text(self) -> pl.Expr:
        """The raw value as text, for the ledger and for parsing."""
        if self.dtype == pl.String:
            return self.raw
        if self.dtype.is_float():  # ids read as floats (1.0) print as integers
            integral = self.raw.is_finite() & (self.raw == self.raw.round())
            return (
                pl.when(integral)
                .then(self.raw.cast(pl.Int64).cast(pl.String))
                .otherwise(self.raw.cast(pl.String))
            )
        return self.raw.cast(pl.String)

    def present(self, *, null_tokens: bool) -> dict[str, pl.Expr]:
        """The presence helper: not null, not blank, not NaN (nor 'NA', 'null', ...)."""
        if self.dtype == pl.String:
            stripped = self.raw.str.strip_chars()
            blank = (
                stripped.str.to_lowercase().is_in(_NULL_TOKENS) if null_tokens else stripped == ""
            )
            present = self.raw.is_not_null() & ~blank
        elif self.dtype.is_float():
            present = self.raw.is_not_null() & ~self.raw.is_nan()
        else:
            present = self.raw.is_not_null()
        return {f"__cx_present_{self.name}": present}

    def check(self, reason: str, failed: pl.Expr) -> Check:
        return Check(self.name, reason, failed.fill_null(False), self.as_text)

    def missing(self) -> list[Check]:
        return [self.check(MISSING[self.name], ~self.is_present)] if self.required else []

    def unsupported(self, expected: str) -> DataError:
        return DataError(
            f"{self.label}: column '{self.source}' ({self.name}) holds {self.dtype} "
            f"values, not {expected}; map {self.name} to another column"
        )

    def text(self, *, strip: bool = True) -> Conversion:
        value = self.as_text.str.strip_chars() if strip else self.as_text
        control = self.check(CONTROL_CHARACTER, self.as_text.str.contains(_CONTROL))
        if self.name != "customer_id":
            return Conversion(
                (self.present(null_tokens=False),),
                pl.when(self.is_present).then(value),
                [*self.missing(), control],
            )
        # an id is no id when invisible (zero-width characters) or a null word ("null",
        # "None", "NaN", "N/A"): those rows are rejected as missing, not loaded as a customer
        value = value.str.replace_all(_INVISIBLE, "").str.strip_chars()
        value = value.str.replace(r"^(\d+)\.0+$", "${1}")  # "13085.0" is the id 13085
        return Conversion(
            (self.present(null_tokens=True),),
            pl.when(self.is_present).then(value),
            [
                *self.missing(),
                self.check(MISSING_CUSTOMER_ID, self.is_present & (self.out == "")),
                control,
            ],
        )

    def survey(self) -> Conversion:
        value = pl.when(self.is_present).then(self.as_text.str.strip_chars().str.to_lowercase())
        unknown = self.is_present & ~self.out.is_in(list(SURVEY_SCALES))
        return Conversion(
            (self.present(null_tokens=False),),
            value,
            [*self.missing(), self.check(UNKNOWN_SURVEY, unknown)],
        )

    def number(self, *, has_survey: bool) -> Conversion:
        if self.dtype == pl.String:
            value = text_number(self.raw)
        elif self.dtype.is_numeric() or self.dtype == pl.Boolean:
            value = self.raw.cast(pl.Float64)
        else:
            raise self.unsupported("numbers")
        value = pl.when(self.is_present & ~value.is_nan()).then(value)
        not_a_number = self.is_present & ~self.out.is_finite().fill_null(False)
        checks = [*self.missing(), self.check(NON_NUMERIC[self.name], not_a_number)]
        if self.name == "revenue":
            checks.append(self.check(NEGATIVE_REVENUE, self.out < 0))
        if self.name == "score" and has_survey:
            survey = pl.col(_OUT + "survey")
            low = survey.replace_strict(
                {k: v[0] for k, v in SURVEY_SCALES.items()}, default=None, return_dtype=pl.Float64
            )
            high = survey.replace_strict(
                {k: v[1] for k, v in SURVEY_SCALES.items()}, default=None, return_dtype=pl.Float64
            )
            checks.append(self.check(SCORE_OUT_OF_SCALE, (self.out < low) | (self.out > high)))
            fraction = (survey == "nps") & (self.out != self.out.round())  # 0-10, whole
            checks.append(self.check(SCORE_NOT_WHOLE, fraction))
        return Conversion((self.present(null_tokens=True),), value, checks)

    def boolean(self) -> Conversion:
        if self.dtype == pl.String:
            word = self.raw.str.strip_chars().str.to_lowercase()
            value = pl.when(word.is_in(_TRUE)).then(True).when(word.is_in(_FALSE)).then(False)
        elif self.dtype == pl.Boolean:
            value = self.raw
        elif self.dtype.is_numeric():
            value = pl.when(self.raw == 1).then(True).when(self.raw == 0).then(False)
        else:
            raise self.unsupported("true/false")
        return Conversion(
            (self.present(null_tokens=True),),
            value.cast(pl.Boolean),
            [
                *self.missing(),
                self.check(UNPARSEABLE_BOOLEAN, self.is_present & self.out.is_null()),
            ],
        )

    def timestamp(
        self, timezone: str, date_format: str | None, ambiguous: str = "earliest"
    ) -> Conversion:
        dtype, helpers = self.dtype, (self.present(null_tokens=True),)

        def parse(zone: str, policy: str) -> pl.Expr:
            if dtype == pl.String:
                value = parse_timestamps(pl.col(padded), zone, policy)
                if date_format:  # the user's format first, then the built-in ones
                    own = parse_with_format(self.raw.str.strip_chars(), date_format, zone, policy)
                    value = pl.coalesce(own, value)
                return value
            if isinstance(dtype, pl.Datetime):
                value = self.raw.dt.cast_time_unit("us")
                if dtype.time_zone is None:
                    value = localize(value, zone, policy)
                return value.dt.convert_time_zone("UTC")
            if dtype == pl.Date:
                return localize(self.raw.cast(pl.Datetime("us")), zone, policy)
            if dtype.is_numeric():
                return from_epoch(self.raw.cast(pl.Float64))
            raise self.unsupported("timestamps")

        text, padded = f"__cx_text_{self.name}", f"__cx_padded_{self.name}"
        if dtype == pl.String:
            helpers = (
                {**helpers[0], text: normalize_timestamps(self.raw)},
                {padded: pad_timestamps(pl.col(text))},
            )
        value = parse(timezone, ambiguous)
        checks = [*self.missing()]
        if _changes_clocks(timezone):  # wall times a daylight-saving change skips or repeats
            anywhere = self.is_present & parse("UTC", "earliest").is_not_null()
            first = parse(timezone, "earliest").is_not_null()
            checks.append(self.check(NONEXISTENT_LOCAL_TIME, anywhere & ~first))
            checks.append(self.check(AMBIGUOUS_LOCAL_TIME, first & self.out.is_null()))
        absurd = (self.out < pl.lit(_EARLIEST)) | (self.out >= pl.lit(_LATEST))
        checks.append(self.check(UNPARSEABLE_TIMESTAMP, self.is_present & self.out.is_null()))
        checks.append(self.check(ABSURD_TIMESTAMP, absurd))
        return Conversion(helpers, pl.when(self.is_present).then(value), checks)


@functools.cache
def _changes_clocks(timezone: str) -> bool:
    """Whether ``timezone`` has had daylight saving since 1990 (Europe/Berlin yes,
    Asia/Ho_Chi_Minh and Asia/Bangkok no): only then are wall times checked for it."""
    try:
        zone = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    offsets = {datetime(year, month, 1, tzinfo=zone).utcoffset() for year in range(1990, 2031)
               for month in (1, 4, 7, 10)}  # fmt: skip
    return len(offsets) > 1


# -- the ledger ---------------------------------------------------------------------------


def _flag_duplicates(
    frame: pl.LazyFrame, source_columns: tuple[str, ...], *, customers: bool
) -> pl.LazyFrame:
    """Reject later copies of clean rows; for customers, later rows of a clean customer_id."""
    clean_so_far = pl.col(REASON).is_null()
    ok = clean_so_far.alias("__cx_ok")
    duplicate = clean_so_far & ~pl.struct(ok, *source_columns).is_first_distinct()
    reason = pl.when(duplicate).then(pl.lit(DUPLICATE_ROW))
    column = pl.when(duplicate).then(pl.lit("*"))
    value = pl.lit(None, pl.String)
    if customers:  # one row per customer
        still_ok = (clean_so_far & ~duplicate).alias("__cx_ok")
        customer = pl.col(_OUT + "customer_id")
        repeat = still_ok & ~pl.struct(still_ok, customer).is_first_distinct()
        reason = reason.when(repeat).then(pl.lit(DUPLICATE_CUSTOMER_ID))
        column = column.when(repeat).then(pl.lit("customer_id"))
        value = pl.when(repeat).then(customer)
    return frame.with_columns(
        pl.coalesce(REASON, reason.otherwise(None)).alias(REASON),
        pl.coalesce(COLUMN, column.otherwise(None)).alias(COLUMN),
        pl.when(clean_so_far).then(value).otherwise(pl.col(VALUE)).alias(VALUE),
    )
