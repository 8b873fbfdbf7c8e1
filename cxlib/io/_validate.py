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

Everything is a polars expression, so it runs lazily and streams. An eager load reads the
source first and leaves out steps no value of it needs (``_text.TextFacts``, ISO text
timestamps parsed once): the same checks, less work. Ledger details: failing rows only.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from cxlib._errors import DataError
from cxlib.io import _numbers, _text, _timestamps
from cxlib.io._read import EXPORT_REJECT, RAGGED, ROW, SOURCE, Raw
from cxlib.io._schema import (
    EARLIEST_TS,
    LATEST_TS,
    SURVEY_SCALES,
    UTC_TS,
    TableSchema,
    empty_rejects,
    passthrough,
    resolve_columns,
)
from cxlib.io._schema import (
    REJECTS_SCHEMA as REJECTS_SCHEMA,  # where tests and callers find the ledger's schema
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


_FAILED = "__cx_failed"  # index of the first failed check
_BAD = "__cx_bad"  # some check failed on this row
_HASH = "__cx_hash"  # eager loads: a hash of the source columns, to find exact copies
_POS = "__cx_pos"  # position of the row in the source (several files: across them)
_FAST_TS = "__cx_fast_"  # prefix of timestamps parsed in the one format they all have
_OUT = "__cx_out_"  # prefix of converted canonical columns until the final select

_HASHED_COLUMNS = 8  # columns hashed to find candidate duplicate rows
_TRUE = ["true", "t", "yes", "y", "1"]
_FALSE = ["false", "f", "no", "n", "0"]
_EARLIEST = datetime.fromisoformat(EARLIEST_TS).replace(tzinfo=UTC)
_LATEST = datetime.fromisoformat(LATEST_TS).replace(tzinfo=UTC)


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
    """The annotated frame (source columns, ``_OUT`` + converted column, ``_POS``, ``_BAD``:
    some check failed), the ``checks`` in ledger order, and what to keep."""

    frame: pl.LazyFrame
    outputs: tuple[str, ...]
    label: str
    kind: str
    several: bool = False  # read from several files: ``SOURCE`` names each row's file
    checks: tuple[Check, ...] = ()
    renames: tuple[tuple[str, str], ...] = ()  # (column of ``frame``, output name)
    source_columns: tuple[str, ...] = ()  # what "an exact copy" compares

    @property
    def selection(self) -> list[pl.Expr]:
        """The output columns from ``frame``, renamed."""
        return [pl.col(column).alias(name) for column, name in self.renames]


def validate(
    raw: Raw,
    schema: TableSchema,
    *,
    columns: Mapping[str, str] | None = None,
    timezone: str = "UTC",
    date_format: str | None = None,
    ambiguous: str = "earliest",
    data: pl.DataFrame | None = None,
    distinct: Mapping[str, pl.Series] | None = None,
) -> Plan:
    """Convert ``raw`` to the canonical columns of ``schema`` and flag bad rows.

    ``date_format`` (checked by the caller) is tried first on text timestamps; a wall time
    that occurs twice in ``timezone`` is read as ``ambiguous`` says (``"earliest"``,
    ``"latest"``, or ``"reject"``: into the ledger). ``data``: ``raw.frame`` already
    collected; its text columns are looked at (:class:`TextFacts`; ``distinct``: the known
    distinct values of some) to skip steps that change none of its values; the plan reads it.
    """
    mapping = resolve_columns(raw, schema, columns)
    source_schema = raw.frame.collect_schema()
    frame = raw.frame if data is None else data.lazy()
    wanted: dict[str, pl.DataType] = {}
    for name in schema.columns:
        if name not in mapping:
            continue
        source_dtype = source_schema[mapping[name]]
        if isinstance(source_dtype, (pl.Categorical, pl.Enum)):
            source_dtype = pl.String()
        if isinstance(source_dtype, (pl.List, pl.Array, pl.Struct, pl.Object)):
            raise DataError(
                f"{raw.label}: column '{mapping[name]}' ({name}) holds lists or objects, not "
                f"one value per row; map {name} to another column, or flatten the export"
            )
        wanted[name] = source_dtype
    facts: dict[str, _text.TextFacts] = {}
    fast: dict[str, str] = {}
    if data is not None:
        texts = [mapping[n] for n, d in wanted.items() if d == pl.String and n != "comment"]
        facts = _text.text_facts(data, texts, distinct)
        for name, dtype in schema.columns.items():
            if dtype == UTC_TS and wanted.get(name) == pl.String and not date_format:
                data, found = _timestamps.parse_iso_column(
                    data, mapping[name], _FAST_TS + name, timezone, ambiguous
                )
                if found:
                    fast[name] = found
        frame = data.lazy()

    conversions: dict[str, Conversion] = {}
    for name, dtype in schema.columns.items():
        if name not in wanted:
            continue
        source = mapping[name]
        column = _Column(
            raw.label,
            name,
            source,
            wanted[name],
            required=name in schema.required,
            facts=facts.get(source, _text.ANYTHING),
        )
        if dtype == UTC_TS:
            conversions[name] = (
                column.fast_timestamp(fast[name])
                if name in fast
                else column.timestamp(timezone, date_format, ambiguous)
            )
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

    renames = passthrough(raw, mapping, schema)
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
        frame.with_row_index(_POS)
        .with_columns(**{_OUT + name: c.value for name, c in conversions.items()})
        .with_columns(pl.any_horizontal(check.failed for check in checks).alias(_BAD))
    )
    if data is not None:  # for split: identical rows have identical hashes
        hashed = raw.columns[:_HASHED_COLUMNS]
        row_hash = functools.reduce(
            lambda acc, name: acc * 0x9E3779B97F4A7C15 ^ pl.col(name).hash(),  # wraps around
            hashed[1:],
            pl.col(hashed[0]).hash(),
        )
        frame = frame.with_columns(row_hash.alias(_HASH))
    several = SOURCE in frame.collect_schema().names()
    return Plan(
        frame,
        (*conversions, *renames.values()),
        raw.label,
        schema.kind,
        several,
        tuple(checks),
        (
            *((_OUT + name, name) for name in conversions),
            *((source, target) for source, target in renames.items()),
        ),
        raw.columns,
    )


def clean(plan: Plan, frame: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """The rows without problems, with the output columns only (lazily)."""
    frame = plan.frame if frame is None else frame
    kept = frame.filter(~pl.col(_BAD)).filter(_first_copy(plan))
    if plan.kind == "customers":  # one row per customer: the first clean one
        kept = kept.filter(pl.col(_OUT + "customer_id").is_first_distinct())
    return kept.select(plan.selection)


def rejects(plan: Plan, frame: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """The rejects ledger: one row per rejected input row, in ``REJECTS_SCHEMA`` (lazily)."""
    frame = plan.frame if frame is None else frame
    failed = _details(plan, frame.filter(pl.col(_BAD)))
    ok = frame.filter(~pl.col(_BAD))
    copies = ok.filter(~_first_copy(plan))
    parts = [failed, _ledger(plan, copies, DUPLICATE_ROW, "*", pl.lit(None, pl.String))]
    if plan.kind == "customers":
        customer = pl.col(_OUT + "customer_id")
        repeats = ok.filter(_first_copy(plan)).filter(~customer.is_first_distinct())
        parts.append(_ledger(plan, repeats, DUPLICATE_CUSTOMER_ID, "customer_id", customer))
    return pl.concat(parts).sort(_POS).drop(_POS)


def split(plan: Plan, annotated: pl.DataFrame) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """``plan.frame`` collected, split into the clean rows (lazily, over ``annotated``) and
    the ledger: those of :func:`clean` and :func:`rejects`, exact copies found by hash first."""
    bad = annotated.get_column(_BAD)
    parts = []
    if bad.any():
        parts.append(_details(plan, annotated.lazy().filter(pl.col(_BAD))).collect())
        annotated = annotated.filter(~bad)
    copy = _copies(plan, annotated)
    if copy is not None:
        parts.append(_ledger(plan, annotated.lazy().filter(copy), DUPLICATE_ROW, "*").collect())
        annotated = annotated.filter(~copy)
    if plan.kind == "customers":
        customer = pl.col(_OUT + "customer_id")
        repeat = annotated.select(~customer.is_first_distinct()).to_series()
        if repeat.any():
            repeats = annotated.lazy().filter(repeat)
            parts.append(
                _ledger(plan, repeats, DUPLICATE_CUSTOMER_ID, "customer_id", customer).collect()
            )
            annotated = annotated.filter(~repeat)
    ledger = pl.concat(parts).sort(_POS).drop(_POS) if parts else empty_rejects()
    return annotated.lazy().select(plan.selection), ledger


def _details(plan: Plan, failed: pl.LazyFrame) -> pl.LazyFrame:
    """Ledger rows (and ``_POS``) of rows where some check failed: the first one says why."""
    checks = plan.checks
    index = pl.when(checks[0].failed).then(0)
    for number, check in enumerate(checks[1:], start=1):
        index = index.when(check.failed).then(number)
    value = pl.lit(None, pl.String)
    for number, check in reversed(list(enumerate(checks))):
        value = pl.when(pl.col(_FAILED) == number).then(check.value).otherwise(value)
    numbers = range(len(checks))
    described = failed.with_columns(index.otherwise(None).cast(pl.Int32).alias(_FAILED))
    return _ledger(
        plan,
        described,
        pl.col(_FAILED).replace_strict(
            numbers, [c.reason for c in checks], default=None, return_dtype=pl.String
        ),
        pl.col(_FAILED).replace_strict(
            numbers, [c.column for c in checks], default=None, return_dtype=pl.String
        ),
        value,
    )


def _ledger(
    plan: Plan,
    rows: pl.LazyFrame,
    reason: pl.Expr | str,
    column: pl.Expr | str,
    value: pl.Expr | None = None,
) -> pl.LazyFrame:
    """``rows`` as ledger rows, with ``_POS`` to put ledgers of several checks in order."""
    value = pl.lit(None, pl.String) if value is None else value
    return rows.select(
        pl.col(_POS),
        (pl.col(SOURCE) if plan.several else pl.lit(plan.label, pl.String)).alias("source"),
        pl.lit(plan.kind, pl.String).alias("kind"),
        pl.col(ROW).cast(pl.Int64).alias("row"),
        (pl.lit(column, pl.String) if isinstance(column, str) else column).alias("column"),
        (pl.lit(reason, pl.String) if isinstance(reason, str) else reason).alias("reason"),
        value.cast(pl.String).alias("value"),
    )


def _first_copy(plan: Plan) -> pl.Expr:
    """True on the first of identical rows (all source columns), among the rows it sees."""
    return pl.struct(plan.source_columns).is_first_distinct()


def _copies(plan: Plan, clean: pl.DataFrame) -> pl.Series | None:
    """Which ``clean`` rows copy an earlier one exactly (None: none). Only rows whose hash (of
    up to ``_HASHED_COLUMNS`` source columns) collides can; those few are compared whole.
    Sorting 8-byte hashes touches far fewer bytes than a hash table of whole rows (polars'
    ``is_duplicated`` on the hashes alone costs four times the sort)."""
    if clean.height < 2:
        return None
    hashes = clean.get_column(_HASH)
    ordered = hashes.sort(multithreaded=False)  # as fast, with less CPU time
    collided = ordered.filter(ordered == ordered.shift(1))
    if collided.is_empty():
        return None
    candidate = hashes.is_in(collided.unique().implode())
    first = clean.filter(candidate).select(_first_copy(plan)).to_series()
    if first.all():
        return None
    return candidate.scatter(candidate.arg_true(), ~first)


# -- conversions --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    """One canonical column read from one source column of any dtype."""

    label: str
    name: str
    source: str
    dtype: pl.DataType
    required: bool
    facts: _text.TextFacts = _text.ANYTHING  # what the column's text holds (text columns only)

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
        if self.dtype == pl.String and not self.facts.edge_space:  # no value needs stripping
            present = self.raw.is_not_null()  # and none is empty
            if null_tokens:
                present = present & ~self.raw.is_in(_text.NULL_SPELLINGS)
        elif self.dtype == pl.String:
            stripped = self.raw.str.strip_chars()
            blank = stripped.is_in(_text.NULL_SPELLINGS) if null_tokens else stripped == ""
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
        facts = self.facts if self.dtype == pl.String else _text.ANYTHING
        value = self.as_text.str.strip_chars() if strip and facts.edge_space else self.as_text
        # a check that no value of the column can fail is left out
        has_control = self.as_text.str.contains_any(_text.CONTROL_CHARACTERS)
        control = [self.check(CONTROL_CHARACTER, has_control)]
        control = control if facts.control else []
        if self.name == "customer_id" and not (facts.edge_space or facts.invisible or facts.dot):
            # the id as it is (nothing to strip, no "13085.0"); rows without one: rejected
            return Conversion(
                (self.present(null_tokens=True),),
                value if self.required else pl.when(self.is_present).then(value),
                [*self.missing(), *control],
            )
        if self.name != "customer_id":
            return Conversion(
                (self.present(null_tokens=False),),
                pl.when(self.is_present).then(value) if facts.edge_space else value,
                [*self.missing(), *control],
            )
        # an id is no id when invisible (zero-width characters) or a null word ("null",
        # "None", "NaN", "N/A"): those rows are rejected as missing, not loaded as a customer
        value = value.str.replace_all(_text.INVISIBLE, "").str.strip_chars()
        value = value.str.replace(r"^(\d+)\.0+$", "${1}")  # "13085.0" is the id 13085
        return Conversion(
            (self.present(null_tokens=True),),
            pl.when(self.is_present).then(value),
            [
                *self.missing(),
                self.check(MISSING_CUSTOMER_ID, self.is_present & (self.out == "")),
                *control,
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
            value = _numbers.text_number(self.raw)
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
                value = _timestamps.parse_timestamps(pl.col(padded), zone, policy)
                if date_format:  # the user's format first, then the built-in ones
                    own = _timestamps.parse_with_format(
                        self.raw.str.strip_chars(), date_format, zone, policy
                    )
                    value = pl.coalesce(own, value)
                return value
            if isinstance(dtype, pl.Datetime):
                value = self.raw.dt.cast_time_unit("us")
                if dtype.time_zone is None:
                    value = _timestamps.localize(value, zone, policy)
                return value.dt.convert_time_zone("UTC")
            if dtype == pl.Date:
                return _timestamps.localize(self.raw.cast(pl.Datetime("us")), zone, policy)
            if dtype.is_numeric():
                return _timestamps.from_epoch(self.raw.cast(pl.Float64))
            raise self.unsupported("timestamps")

        text, padded = f"__cx_text_{self.name}", f"__cx_padded_{self.name}"
        if dtype == pl.String:
            helpers = (
                {**helpers[0], text: _timestamps.normalize_timestamps(self.raw)},
                {padded: _timestamps.pad_timestamps(pl.col(text))},
            )
        value = parse(timezone, ambiguous)
        checks = [*self.missing()]
        if _timestamps.changes_clocks(timezone):  # a daylight-saving change skips/repeats
            anywhere = self.is_present & parse("UTC", "earliest").is_not_null()
            first = parse(timezone, "earliest").is_not_null()
            checks.append(self.check(NONEXISTENT_LOCAL_TIME, anywhere & ~first))
            checks.append(self.check(AMBIGUOUS_LOCAL_TIME, first & self.out.is_null()))
        absurd = (self.out < pl.lit(_EARLIEST)) | (self.out >= pl.lit(_LATEST))
        checks.append(self.check(UNPARSEABLE_TIMESTAMP, self.is_present & self.out.is_null()))
        checks.append(self.check(ABSURD_TIMESTAMP, absurd))
        if not isinstance(dtype, (pl.Datetime, pl.Date)):  # these are null where absent
            value = pl.when(self.is_present).then(value)
        return Conversion(helpers, value, checks)

    def fast_timestamp(self, parsed: str) -> Conversion:
        """Text timestamps that all read in one ISO format, parsed as ``parsed`` (a column);
        no value is missing-but-present, unparseable or skipped by a clock change."""
        absurd = (self.out < pl.lit(_EARLIEST)) | (self.out >= pl.lit(_LATEST))
        return Conversion(
            ({f"__cx_present_{self.name}": self.raw.is_not_null()},),
            pl.col(parsed),
            [*self.missing(), self.check(ABSURD_TIMESTAMP, absurd)],
        )
