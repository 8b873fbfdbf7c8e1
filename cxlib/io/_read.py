"""Read any supported source into a raw frame: source columns plus a 1-based row number.

Nothing here knows about touchpoints or surveys: this module only gets rows out of a file
(or an in-memory frame) without losing any, and raises ``DataError`` when that is
impossible. CSV columns are read as text so that ``_validate`` can see every raw value.
Parquet and NDJSON keep their own types; Parquet is scanned lazily, never read whole.
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from cxlib._engine import user_frame
from cxlib._errors import DataError, os_errors_as_data_errors

ROW = "__cx_row"  # 1-based data row number (header excluded)
RAGGED = "__cx_ragged"  # CSV only: why a row has the wrong number of fields, else null
# A column an export reader adds, named this + a reason, holding the value of a row it could
# not use (cxlib.io._exports); the validation turns it into a rejects-ledger row.
EXPORT_REJECT = "__cx_reject:"
SOURCE = "__cx_source"  # several files read as one table: which file a row came from
INTERNAL = (ROW, RAGGED, SOURCE)
_GLOB = ("*", "?", "[")

CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".psv")
PARQUET_SUFFIXES = (".parquet", ".pq")
NDJSON_SUFFIXES = (".ndjson", ".jsonl")
SUPPORTED = (*CSV_SUFFIXES, *(s + ".gz" for s in CSV_SUFFIXES), *PARQUET_SUFFIXES, *NDJSON_SUFFIXES)
SEPARATORS = (",", ";", "\t", "|")

_SNIFF_BYTES = 1 << 16
_LINE_SEPARATOR = "\x1f"  # a byte that does not occur in text: read each line whole
_EXTRA = ("__cx_extra_1", "__cx_extra_2")  # fields beyond the header land here
_BLANK = "__cx_blank"
_UTF8 = ("utf-8", "utf-8-sig")
_MAGIC = {  # leading bytes of files that are not text, and what they probably are
    b"PAR1": "a Parquet file; give it the .parquet extension",
    b"PK\x03\x04": "a zip archive (or an Excel workbook); unzip it or save the sheet as CSV",
    b"\x89PNG": "a PNG image, not data",
    b"\xff\xd8\xff": "a JPEG image, not data",
    b"%PDF": "a PDF document, not data",
    b"\x1f\x8b": "gzip-compressed; name it .csv.gz",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office file; save the sheet as CSV",
    b"SQLite format 3": "an SQLite database; export the table as CSV",
}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Raw:
    """A source read without judgement.

    ``frame`` holds the source columns (CSV: all String) plus ``ROW`` and ``RAGGED``;
    blank lines are already dropped. ``label`` names the source in messages and in the
    rejects ledger. A table read from several files (``files``) also has ``SOURCE``, the
    file of each row, and ``ROW`` counts within that file.
    """

    frame: pl.LazyFrame
    label: str
    columns: tuple[str, ...]
    format: str = "frame"  # "csv", "parquet", "ndjson" or "frame"


@os_errors_as_data_errors  # permission denied, an unreadable disk, ...
def read_raw(src: Any, *, encoding: str = "utf8", separator: str | None = None) -> Raw:
    """Read ``src`` into a :class:`Raw`: a path, a glob pattern (several files read as one
    table, e.g. ``events/*.parquet`` for daily exports), or an in-memory frame."""
    if isinstance(src, (str, os.PathLike)):
        path = Path(src)
        files = source_files(path)
        if len(files) == 1 and files[0] == path:
            return _read_path(path, encoding=encoding, separator=separator)
        parts = [_read_path(f, encoding=encoding, separator=separator) for f in files]
        return _concat(str(path), parts)
    return _read_frame(src)


def source_files(path: Path) -> list[Path]:
    """The files ``path`` names: itself, or the matches of a glob pattern in its last part
    (``events/2025-*.csv``); DataError when a pattern matches nothing."""
    if any(c in path.name for c in _GLOB):
        files = sorted(p for p in path.parent.glob(path.name) if p.is_file())
        if not files:
            raise DataError(
                f"{path}: no file matches this pattern (in {path.parent}); check the name"
            )
        for file in files:
            file_format(file)
        return files
    return [path]


def is_supported(path: Path) -> bool:
    """Whether ``path`` has a file type cx reads."""
    try:
        file_format(path)
    except DataError:
        return False
    return True


def _concat(label: str, parts: list[Raw]) -> Raw:
    """Several files as one table: columns matched by name (a column one file lacks is
    empty on its rows), each row tagged with its file."""
    columns = tuple(dict.fromkeys(c for part in parts for c in part.columns))
    formats = {part.format for part in parts}
    try:
        frame = pl.concat(
            [part.frame.with_columns(pl.lit(part.label).alias(SOURCE)) for part in parts],
            how="diagonal_relaxed",
        )
        frame.collect_schema()
    except pl.exceptions.PolarsError as err:
        raise DataError(
            f"{label}: the files do not combine into one table ({_one_line(err)}); "
            "give each file the same columns and types"
        ) from None
    return Raw(frame, label, columns, formats.pop() if len(formats) == 1 else "mixed")


# -- in-memory frames ---------------------------------------------------------------------


def _read_frame(src: Any) -> Raw:
    found = user_frame(src)
    if found is None:
        raise DataError(
            f"cannot read a {type(src).__name__}; pass a file path, a polars "
            "DataFrame/LazyFrame or a pandas DataFrame"
        )
    label, frame = found
    frame = flatten(frame)
    columns = tuple(frame.collect_schema().names())
    _check_internal_names(label, columns)
    return Raw(_numbered(frame.with_row_index(ROW, offset=1)), label, columns)


def flatten(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Nested objects (struct columns) as one column per field, named ``parent.field``, so
    a GA4 or Segment export's ``device.category`` or ``ecommerce.purchase_revenue`` can be
    mapped like any column. Lists stay as they are (the loaders ignore them).

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.LazyFrame({"id": [1], "device": [{"category": "mobile", "os": "iOS"}]})
    >>> flatten(frame).collect_schema().names()
    ['id', 'device.category', 'device.os']
    """
    schema = frame.collect_schema()
    while any(isinstance(dtype, pl.Struct) for dtype in schema.values()):
        columns = []
        for name, dtype in schema.items():
            if not isinstance(dtype, pl.Struct):
                columns.append(pl.col(name))
                continue
            columns += [
                pl.col(name).struct.field(f.name).alias(f"{name}.{f.name}")
                for f in dtype.fields
                if f"{name}.{f.name}" not in schema  # a top-level column of that name wins
            ]
        frame = frame.select(columns)
        schema = frame.collect_schema()
    return frame


def _numbered(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Give a frame with a ``ROW`` index the internal columns every ``Raw`` has."""
    return frame.with_columns(pl.lit(None, pl.String).alias(RAGGED))


def _check_internal_names(label: str, columns: tuple[str, ...]) -> None:
    clash = [c for c in columns if c.startswith("__cx_")]
    if clash:
        raise DataError(
            f"{label}: column names starting with '__cx_' are reserved ({clash[0]}); "
            "rename that column"
        )


# -- files --------------------------------------------------------------------------------


def file_format(path: Path) -> str:
    """``"csv"``, ``"csv.gz"``, ``"parquet"`` or ``"ndjson"``; DataError otherwise."""
    name = path.name.lower()
    if name.endswith(tuple(s + ".gz" for s in CSV_SUFFIXES)):
        return "csv.gz"
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in NDJSON_SUFFIXES:
        return "ndjson"
    hint = {
        ".xlsx": "save the sheet as CSV (UTF-8)",
        ".xls": "save the sheet as CSV (UTF-8)",
        ".json": "write one JSON object per line and name it .ndjson, or use CSV",
    }.get(suffix, "convert it to CSV or Parquet")
    raise DataError(
        f"{path}: unsupported file type '{suffix or path.name}'; {hint} "
        f"(supported: {', '.join(SUPPORTED)})"
    )


def _read_path(path: Path, *, encoding: str, separator: str | None) -> Raw:
    if not path.exists():
        raise DataError(
            f"{path}: file not found; check the path (working directory is {Path.cwd()})"
        )
    if path.is_dir():
        raise DataError(
            f"{path}: is a directory; pass a file, a pattern for several ({path / '*.csv'}), "
            "or load a project folder with cx.load(folder)"
        )
    kind = file_format(path)
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty (0 bytes); export the data again")
    if kind == "parquet":
        return _read_parquet(path)
    if kind == "ndjson":
        return _read_ndjson(path, encoding=encoding)
    return _read_csv(path, compressed=kind == "csv.gz", encoding=encoding, separator=separator)


def _read_parquet(path: Path) -> Raw:
    with path.open("rb") as handle:
        head = handle.read(4)
    if head != b"PAR1":
        raise DataError(
            f"{path}: not a Parquet file ({_what_is(head) or 'no PAR1 header'}); "
            "export it again or fix the extension"
        )
    try:
        frame = flatten(pl.scan_parquet(path, row_index_name=ROW, row_index_offset=1))
        columns = tuple(c for c in frame.collect_schema().names() if c != ROW)
    except pl.exceptions.PolarsError as err:
        raise DataError(
            f"{path}: unreadable Parquet file ({_one_line(err)}); export it again"
        ) from None
    _check_internal_names(str(path), columns)
    return Raw(_numbered(frame), str(path), columns, "parquet")


def _read_ndjson(path: Path, *, encoding: str) -> Raw:
    codec = _codec(path, encoding)
    source: Path | bytes = path
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if codec in _UTF8 or codec == "utf8-lossy":
        _check_text(path, head, encoding=codec, complete=len(head) < _SNIFF_BYTES)
    else:  # JSON should be UTF-8; transcode what was written otherwise
        _check_binary(path, head, nul_allowed="16" in codec or "32" in codec)
        source = _decode(path, path.read_bytes(), codec).encode("utf-8")
    try:
        frame = flatten(
            pl.scan_ndjson(
                source, row_index_name=ROW, row_index_offset=1, infer_schema_length=10_000
            )
        )
        columns = tuple(c for c in frame.collect_schema().names() if c != ROW)
    except pl.exceptions.PolarsError:
        raise DataError(
            f"{path}: not valid NDJSON ({_first_bad_json_line(path)}); "
            "write one JSON object per line"
        ) from None
    _check_internal_names(str(path), columns)
    return Raw(_numbered(frame), str(path), columns, "ndjson")


def _first_bad_json_line(path: Path) -> str:
    """Name the first line that is not a JSON object (only called once reading failed)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                if not isinstance(json.loads(line), dict):
                    return f"line {number} is not a JSON object"
            except ValueError:
                return f"line {number} is not valid JSON"
    return "mixed or unsupported value types"


# -- CSV ----------------------------------------------------------------------------------


def _read_csv(path: Path, *, compressed: bool, encoding: str, separator: str | None) -> Raw:
    codec = _codec(path, encoding)
    source: str | Path | bytes = path
    if compressed:
        try:
            source = gzip.decompress(path.read_bytes())
        except (OSError, EOFError, zlib.error):
            raise DataError(
                f"{path}: not a valid gzip file; compress it again or remove the .gz extension"
            ) from None
        head = source[:_SNIFF_BYTES]
    else:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    complete = len(head) < _SNIFF_BYTES
    polars_encoding = "utf8-lossy" if codec == "utf8-lossy" else "utf8"
    if codec in (*_UTF8, "utf8-lossy"):
        _check_text(path, head, encoding=codec, complete=complete)
        text = head.decode("utf-8", errors="replace")
    else:  # another codec: decode it all in Python, hand polars UTF-8
        _check_binary(path, head, nul_allowed="16" in codec or "32" in codec)
        text = _decode(path, source if isinstance(source, bytes) else path.read_bytes(), codec)
        source = text.encode("utf-8")
    if not text.lstrip("\ufeff").strip():
        raise DataError(f"{path}: file holds only blank lines; export the data again")
    sep = _separator(path, text, separator)
    return _scan_csv(path, source, separator=sep, encoding=polars_encoding)


def _codec(path: Path, encoding: str) -> str:
    if encoding.lower().replace("_", "-") in ("utf8-lossy", "utf-8-lossy"):
        return "utf8-lossy"
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise DataError(
            f"{path}: unknown encoding '{encoding}'; use a Python codec name such "
            "as 'utf8', 'cp1252' or 'latin-1'"
        ) from None


def _decode(path: Path, content: bytes, codec: str) -> str:
    try:
        return content.decode(codec)
    except UnicodeDecodeError as err:
        raise DataError(
            f"{path}: cannot decode byte {err.object[err.start]:#04x} at offset "
            f"{err.start} as {codec}; check the file's encoding"
        ) from None


def _what_is(head: bytes) -> str | None:
    return next((what for magic, what in _MAGIC.items() if head.startswith(magic)), None)


def _check_binary(path: Path, head: bytes, *, nul_allowed: bool = False) -> None:
    what = _what_is(head)
    if what is not None:
        raise DataError(f"{path}: this is not a text file, it looks like {what}")
    if not nul_allowed and b"\x00" in head:
        raise DataError(
            f"{path}: binary file (contains NUL bytes), not CSV/NDJSON text; export the data as CSV"
        )


def _check_text(path: Path, head: bytes, *, encoding: str, complete: bool) -> None:
    """Refuse binary files and text that is not UTF-8, from the first bytes."""
    if head.startswith(_UTF16_BOMS):
        raise DataError(
            f'{path}: the file is UTF-16 text; pass encoding="utf-16" '
            '(or set [data] encoding = "utf-16" in cx.toml)'
        )
    _check_binary(path, head)
    if encoding == "utf8-lossy":
        return
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError as err:
        raise _not_utf8(path, f"byte {err.object[err.start]:#04x} at offset {err.start}") from None


def _not_utf8(path: Path | str, where: str) -> DataError:
    return DataError(
        f"{path}: not UTF-8 text ({where}); pass the file's encoding, e.g. "
        'encoding="cp1252" (or set [data] encoding = "cp1252" in cx.toml)'
    )


def _separator(path: Path, text: str, separator: str | None) -> str:
    if separator is not None:
        if len(separator) != 1 or len(separator.encode("utf-8")) != 1:
            raise DataError(
                f"{path}: separator must be one ASCII character such as ',' or ';', "
                f"got {separator!r}"
            )
        return separator
    header = next(line for line in text.lstrip("\ufeff").splitlines() if line.strip())
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])  # ties: earlier in SEPARATORS wins
    return best if counts[best] else ","


def _scan_csv(path: Path, source: str | Path | bytes, *, separator: str, encoding: str) -> Raw:
    label = str(path)
    try:
        names = tuple(
            pl.read_csv(
                source, separator=separator, infer_schema=False, n_rows=0, encoding=encoding
            ).columns
        )
    except pl.exceptions.PolarsError as err:
        raise polars_error(label, err, "csv") from None
    _check_internal_names(label, names)
    if "" in names and any(n.startswith("_duplicated_") for n in names):
        # several blank header cells (SurveyMonkey leaves one per extra answer of a question):
        # named by their position, not refused as one name repeated
        names = tuple(
            f"column {i}" if n == "" or n.startswith("_duplicated_") else n
            for i, n in enumerate(names, start=1)
        )
    twice = [n for n in names if "_duplicated_" in n and n.rsplit("_duplicated_", 1)[0] in names]
    if twice:
        first = twice[0].rsplit("_duplicated_", 1)[0]
        raise DataError(
            f"{label}: column {first!r} appears more than once in the header; rename or "
            "remove the extra one"
        )
    schema = {name: pl.String for name in (*names, *_EXTRA)}
    frame = pl.scan_csv(
        source,
        has_header=False,
        skip_rows=1,
        separator=separator,
        schema=schema,
        missing_columns="insert",
        truncate_ragged_lines=True,
        encoding=encoding,
        row_index_name=ROW,
        row_index_offset=1,
    )
    frame = frame.with_columns(pl.col(ROW).cast(pl.Int64))
    short = _short_rows(
        label, source, separator=separator, encoding=encoding, fields=len(names), records=frame
    )
    extra = pl.any_horizontal(pl.col(_EXTRA).is_not_null())
    ragged = (
        pl.when(extra)
        .then(pl.lit(f"more than {len(names)} fields, the header has {len(names)}"))
        .otherwise(
            pl.col(ROW).replace_strict(
                short["row"], short["why"], default=None, return_dtype=pl.String
            )
        )
    )
    blank = pl.all_horizontal(pl.col(*names, *_EXTRA).is_null())
    # the mask as a column first: a filter on the expression itself is pushed into the scan,
    # where its cost grows with the square of the column count (10 GB for 3,000 columns)
    frame = (
        frame.with_columns(blank.alias(_BLANK))
        .filter(~pl.col(_BLANK))
        .with_columns(ragged.alias(RAGGED))
        .drop(*_EXTRA, _BLANK)
    )
    return Raw(frame, label, names, "csv")


def _short_rows(
    label: str,
    source: str | Path | bytes,
    *,
    separator: str,
    encoding: str,
    fields: int,
    records: pl.LazyFrame,
) -> pl.DataFrame:
    """Rows with fewer fields than the header: ``row`` and ``why``.

    polars fills missing trailing fields with nulls, so this reads the file a second time
    as whole lines and counts separators outside quotes; a quoted field may span lines.
    If the two reads disagree on the number of records, no row is flagged. A short row has
    no value in the last column: when every row has one, no row is short, and that is
    found by reading the last column alone (a quarter of the cost of the lines).
    """
    empty = pl.DataFrame(schema={"row": pl.Int64, "why": pl.String})
    last = [c for c in records.collect_schema().names() if c != ROW][fields - 1]  # header's
    try:
        if not records.select(pl.col(last).is_null().any()).collect().item():
            return empty
    except pl.exceptions.PolarsError as err:
        raise polars_error(label, err, "csv") from None
    lines = pl.scan_csv(
        source,
        has_header=False,
        separator=_LINE_SEPARATOR,
        quote_char=None,
        schema={"line": pl.String},
        truncate_ragged_lines=True,
        empty_string_is_null=False,
        encoding=encoding,
        row_index_name="i",
    )
    line = pl.col("line")
    quotes = line.str.count_matches('"', literal=True)
    parts = line.str.split('"')

    def outside_quotes(offset: int) -> pl.Expr:
        segments = parts.list.gather_every(2, offset=offset)
        return segments.list.eval(pl.element().str.count_matches(separator, literal=True))

    counted = (
        lines.with_columns(quotes=quotes)
        .with_columns(inside=pl.col("quotes").cum_sum() % 2 == 1)  # open quote after this line
        .with_columns(started_inside=pl.col("inside").shift(1, fill_value=False))
    )
    plain = counted.filter(pl.col("quotes") == 0).select(
        "i", "inside", seps=line.str.count_matches(separator, literal=True)
    )
    quoted = counted.filter(pl.col("quotes") > 0).select(
        "i",
        "inside",
        seps=pl.when(pl.col("started_inside"))
        .then(outside_quotes(1))
        .otherwise(outside_quotes(0))
        .list.sum(),
    )
    per_record = (
        pl.concat([plain, quoted])
        .sort("i")
        .with_columns(total=pl.col("seps").cum_sum())
        .filter(~pl.col("inside"))  # the last line of each record
        .select(fields=pl.col("total") - pl.col("total").shift(1, fill_value=0) + 1)
        .with_row_index("row")  # the header is record 0
    )
    try:
        short, counts = pl.collect_all(
            [
                per_record.filter((pl.col("row") > 0) & (pl.col("fields") < fields)),
                per_record.select(lines=pl.len() - 1).join(
                    records.select(records=pl.len()), how="cross"
                ),
            ]
        )
    except pl.exceptions.PolarsError as err:
        raise polars_error(label, err, "csv") from None
    if counts["lines"].item() != counts["records"].item():
        short = short.clear()
    why = pl.format("{} fields, the header has {}", pl.col("fields"), pl.lit(fields))
    return short.select(pl.col("row").cast(pl.Int64), why.alias("why"))


def polars_error(label: str, err: Exception, format: str) -> DataError:
    """A one-line ``DataError`` for a polars failure while reading ``label``."""
    message = str(err).lower()
    if "utf-8" in message or "utf8" in message:
        return _not_utf8(label, "an invalid byte sequence")
    if format == "csv":
        return DataError(
            f"{label}: malformed CSV (probably a quote that opens a field and never "
            "closes); quote fields that hold quotes, separators or line breaks"
        )
    return DataError(
        f"{label}: cannot read the data ({_one_line(err)}); check the file's "
        "format, separator and encoding"
    )


def _one_line(err: Exception) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[0][:200] if lines else type(err).__name__
