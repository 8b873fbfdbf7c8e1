"""Load touchpoints, surveys and customers from any source onto the canonical columns.

One call per table kind: ``read_touchpoints``, ``read_surveys``, ``read_customers``. Each
reads CSV (any of ``, ; tab |``, UTF-8 with or without BOM, gzip), Parquet (scanned
lazily), NDJSON, or an in-memory polars / pandas frame, and returns a polars frame with
the canonical columns of ``cxlib.io._schema`` first, then every other source column unchanged.

Rows that cannot be used (a missing id, an unparseable timestamp, an NPS of 11, ...) are
never dropped silently: they go to a rejects ledger, one row per rejected input row, so
``loaded + rejected == read``. The reasons and the order they are checked in are listed in
``cxlib.io._validate``. Input that cannot be used at all raises :class:`cxlib.DataError`.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
import zoneinfo
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from cxlib._engine import is_eager
from cxlib._errors import DataError
from cxlib.io import _exports as exports
from cxlib.io import _validate
from cxlib.io._codes import few_distinct
from cxlib.io._explain import explain_rejects
from cxlib.io._read import Raw, polars_error, read_raw
from cxlib.io._schema import SCHEMAS, resolve_columns
from cxlib.io._stages import StageModel, stage_model
from cxlib.io._timestamps import check_date_format
from cxlib.privacy import mask_pii

if TYPE_CHECKING:
    import pandas as pd

    Source = str | os.PathLike[str] | pl.DataFrame | pl.LazyFrame | pd.DataFrame


class Loaded:
    """What a loader returns with ``with_rejects=True``: ``data, rejects, read = loaded``.

    Attributes
    ----------
    data : polars.DataFrame or polars.LazyFrame
        The clean rows, canonical columns first.
    rejects : polars.DataFrame
        One row per rejected input row: ``source``, ``kind``, ``row`` (1-based data row,
        header excluded), ``column`` (canonical name; ``*`` for whole-row problems),
        ``reason``, ``value`` (the raw value). For a lazy load, computed when first asked
        for (one pass over the source).
    read : int
        Data rows read from the source; ``len(data) + len(rejects) == read``. Computed with
        ``rejects``.
    """

    __slots__ = ("_count", "_read", "_rejects", "data")

    def __init__(
        self,
        data: pl.DataFrame | pl.LazyFrame,
        rejects: pl.DataFrame | None = None,
        read: int | None = None,
        *,
        count: Callable[[], tuple[pl.DataFrame, int]] | None = None,
    ) -> None:
        if (rejects is None or read is None) and count is None:
            raise TypeError("Loaded needs rejects and read, or count to compute them")
        self.data, self._rejects, self._read, self._count = data, rejects, read, count

    def _counted(self) -> tuple[pl.DataFrame, int]:
        if self._rejects is None or self._read is None:
            assert self._count is not None
            self._rejects, self._read = self._count()
            self._count = None
        return self._rejects, self._read

    @property
    def rejects(self) -> pl.DataFrame:
        return self._counted()[0]

    @property
    def read(self) -> int:
        return self._counted()[1]

    def __iter__(self) -> Iterator[Any]:
        return iter((self.data, self.rejects, self.read))

    def __len__(self) -> int:
        return 3

    def __getitem__(self, index: int) -> Any:
        return tuple(self)[index]

    def __repr__(self) -> str:
        if self._rejects is None:
            return f"Loaded(data={type(self.data).__name__}, rejects and read not counted yet)"
        return (
            f"Loaded(data={type(self.data).__name__}, rejects={self._rejects.height} rows, "
            f"read={self._read})"
        )


class RejectedRowsWarning(UserWarning):
    """Some rows were rejected and the caller did not ask for the ledger."""


def read_touchpoints(
    src: Source,
    *,
    columns: Mapping[str, str] | None = None,
    timezone: str = "UTC",
    encoding: str = "utf8",
    separator: str | None = None,
    date_format: str | None = None,
    with_rejects: bool = False,
    lazy: bool = False,
    stages: StageModel | str | None = None,
    format: str | None = None,
) -> pl.DataFrame | pl.LazyFrame | Loaded:
    """Read touchpoints: one row per customer interaction.

    Canonical columns: ``customer_id``, ``ts``, ``touchpoint``, ``channel`` (required) and
    ``session_id``, ``stage``, ``revenue``, ``order_id`` (optional). A ``stage`` column is
    always added from the stage model; a non-null stage already in the data wins.

    Parameters
    ----------
    src : str, path, polars DataFrame/LazyFrame or pandas DataFrame
        A ``.csv`` / ``.tsv`` / ``.txt`` / ``.psv`` file (optionally ``.gz``), a
        ``.parquet`` file, an ``.ndjson`` / ``.jsonl`` file, or a frame in memory (never
        modified).
    columns : mapping, optional
        ``canonical name -> source column``, e.g. ``{"customer_id": "user", "ts": "time"}``.
        Other keys rename pass-through columns. If the source also has a column named like a
        mapped canonical column, that column is kept as ``<name>_source``.
    timezone : str, default "UTC"
        IANA time zone of timestamps written without an offset; every timestamp is
        returned in UTC. Timestamps with an offset (``+07:00``, ``Z``) keep their own.
    encoding : str, default "utf8"
        Text encoding of a CSV file, e.g. ``"cp1252"`` for files saved by older Excel.
    separator : str, optional
        CSV field separator; by default sniffed among ``, ; tab |`` from the header line.
    date_format : str, optional
        strptime / chrono format of text timestamps, e.g. ``"%d/%m/%Y %H:%M"`` for
        day-first dates such as ``31/12/2025 14:05`` (usual in Vietnamese and Thai
        exports). It is tried first; ISO 8601 text and epoch numbers still parse, and
        values neither reads are rejected as unparseable timestamps.
    with_rejects : bool, default False
        Return a :class:`Loaded` ``(data, rejects, read)`` instead of the frame alone.
        Without it, rejected rows raise one warning saying how many and how to see them.
    lazy : bool, default False
        Return a ``LazyFrame`` and read nothing now (a CSV file excepted: its rows with
        too few fields are found when it is opened). Each collect reads the source, checks
        every row, computes the rejects ledger with the clean rows (one pass) and stages
        them; without ``with_rejects`` it raises the rejected-rows warning then, on every
        collect that rejects rows. With ``with_rejects=True`` the ledger and the row count
        are computed when first asked for (``Loaded.rejects``, ``Loaded.read``: a pass of
        their own). A source without data rows raises ``DataError`` at those points.
    stages : StageModel or str, optional
        The journey stage model (or a preset name); default the 5-stage model.
    format : str, optional
        The source is this export, read by its reader before validation: ``"ga4"``,
        ``"segment"``, ... (``cxlib.io.FORMATS`` lists them with the columns each uses).
        Without it, the source's columns are mapped as they are (``columns``).

    Returns
    -------
    polars.DataFrame, polars.LazyFrame or Loaded

    Raises
    ------
    DataError
        The source cannot be used: not found, empty, no data rows, binary, not UTF-8 text
        without ``encoding=``, malformed, unsupported type, or a required column missing;
        or ``date_format`` cannot read a date.

    Examples
    --------
    >>> import polars as pl
    >>> import cxlib as cx
    >>> events = pl.DataFrame({
    ...     "user": ["u1", "u1"],
    ...     "time": ["2024-05-01 09:00", "2024-05-01 09:05"],
    ...     "touchpoint": ["product_view", "purchase"],
    ...     "channel": ["web", "web"],
    ... })
    >>> tp = cx.read_touchpoints(events, columns={"customer_id": "user", "ts": "time"},
    ...                          timezone="Asia/Ho_Chi_Minh")
    >>> tp.select("ts", "stage").rows()[0]
    (datetime.datetime(2024, 5, 1, 2, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC')), 'consideration')
    """
    return _load(
        "touchpoints",
        src,
        columns=columns,
        timezone=timezone,
        encoding=encoding,
        separator=separator,
        date_format=date_format,
        with_rejects=with_rejects,
        lazy=lazy,
        stages=stages,
        export=format,
    )


def read_surveys(
    src: Source,
    *,
    columns: Mapping[str, str] | None = None,
    timezone: str = "UTC",
    encoding: str = "utf8",
    separator: str | None = None,
    date_format: str | None = None,
    with_rejects: bool = False,
    lazy: bool = False,
    stages: StageModel | str | None = None,
    format: str | None = None,
) -> pl.DataFrame | pl.LazyFrame | Loaded:
    """Read survey answers: one row per answer.

    Canonical columns: ``customer_id``, ``ts``, ``survey``, ``score`` (required) and
    ``comment``, ``touchpoint``, ``stage``, ``channel`` (optional). Survey names are
    stripped and lower-cased; a score must lie on its survey's scale (``nps`` 0-10,
    ``csat`` 1-5, ``ces`` 1-7), other rows are rejected. Comments are kept as written.

    Parameters
    ----------
    src, columns, timezone, encoding, separator, date_format, with_rejects, lazy, format
        As in :func:`read_touchpoints`.
    stages : StageModel or str, optional
        Accepted for a uniform signature; surveys keep the ``stage`` they come with.

    Returns
    -------
    polars.DataFrame, polars.LazyFrame or Loaded

    Examples
    --------
    >>> import polars as pl
    >>> import cxlib as cx
    >>> answers = pl.DataFrame({
    ...     "customer_id": ["u1", "u2", "u3"],
    ...     "ts": ["2024-05-01T09:00:00Z"] * 3,
    ...     "survey": ["NPS", "nps", "nps"],
    ...     "score": ["9", "11", "3"],
    ... })
    >>> loaded = cx.read_surveys(answers, with_rejects=True)
    >>> loaded.read, loaded.data["score"].to_list(), loaded.rejects["reason"].to_list()
    (3, [9.0, 3.0], ['score out of scale'])
    """
    return _load(
        "surveys",
        src,
        columns=columns,
        timezone=timezone,
        encoding=encoding,
        separator=separator,
        date_format=date_format,
        with_rejects=with_rejects,
        lazy=lazy,
        stages=stages,
        export=format,
    )


def read_customers(
    src: Source,
    *,
    columns: Mapping[str, str] | None = None,
    timezone: str = "UTC",
    encoding: str = "utf8",
    separator: str | None = None,
    date_format: str | None = None,
    with_rejects: bool = False,
    lazy: bool = False,
    stages: StageModel | str | None = None,
    format: str | None = None,
) -> pl.DataFrame | pl.LazyFrame | Loaded:
    """Read customers: one row per customer.

    Canonical columns: ``customer_id`` (required) and ``signup_ts``, ``churned``,
    ``churn_ts`` (optional); segment attributes (country, plan, ...) pass through. The
    first clean row of each ``customer_id`` is kept, later ones are rejected.
    ``churned`` accepts true/false, yes/no, 1/0.

    Parameters
    ----------
    src, columns, timezone, encoding, separator, date_format, with_rejects, lazy, format
        As in :func:`read_touchpoints`.
    stages : StageModel or str, optional
        Accepted for a uniform signature; not used.

    Returns
    -------
    polars.DataFrame, polars.LazyFrame or Loaded

    Examples
    --------
    >>> import polars as pl
    >>> import cxlib as cx
    >>> people = pl.DataFrame({"id": ["u1", "u2", "u1"], "plan": ["free", "pro", "pro"]})
    >>> loaded = cx.read_customers(people, columns={"customer_id": "id"}, with_rejects=True)
    >>> loaded.data.columns, loaded.rejects.select("row", "reason").rows()
    (['customer_id', 'plan'], [(3, 'duplicate customer_id')])
    """
    return _load(
        "customers",
        src,
        columns=columns,
        timezone=timezone,
        encoding=encoding,
        separator=separator,
        date_format=date_format,
        with_rejects=with_rejects,
        lazy=lazy,
        stages=stages,
        export=format,
    )


def _load(
    kind: str,
    src: Any,
    *,
    columns: Mapping[str, str] | None,
    timezone: str,
    encoding: str,
    separator: str | None,
    date_format: str | None,
    with_rejects: bool,
    lazy: bool,
    stages: StageModel | str | None,
    export: str | None = None,
) -> pl.DataFrame | pl.LazyFrame | Loaded:
    loaded = load_table(
        kind,
        src,
        export=export,
        columns=columns,
        timezone=timezone,
        encoding=encoding,
        separator=separator,
        date_format=date_format,
        lazy=lazy,
        stages=stages,
        warn=not with_rejects,
    )
    if with_rejects:
        return loaded
    if not lazy:  # a lazy frame warns when it is collected (load_table, warn=True)
        warn_rejected(kind, loaded.rejects, loaded.read, stacklevel=4)
    return loaded.data


def warn_rejected(kind: str, rejects: pl.DataFrame, read: int, *, stacklevel: int = 2) -> None:
    """One ``RejectedRowsWarning`` saying how many of ``read`` rows ``rejects`` holds, the
    main reasons with their fixes, and how to see them (nothing when it is empty)."""
    if not rejects.height:
        return
    explained = explain_rejects(rejects).head(3).rows()
    reasons = ", ".join(f"{rows} {reason}" for reason, rows, _, _ in explained)
    hints = "".join(
        f"{hint}: date_format={fmt!r} reads them; " if fmt else f"{hint}; "
        for _, _, hint, fmt in explained
        if hint
    )
    warnings.warn(
        f"{rejects['source'][0]}: {rejects.height:,} of {read:,} {kind} rows rejected "
        f"({reasons}); {hints}"
        "pass with_rejects=True to get them, or run `cx validate`",
        RejectedRowsWarning,
        stacklevel=stacklevel,
    )


def load_table(
    kind: str,
    src: Any,
    *,
    columns: Mapping[str, str] | None = None,
    timezone: str = "UTC",
    encoding: str = "utf8",
    separator: str | None = None,
    date_format: str | None = None,
    lazy: bool = False,
    stages: StageModel | str | None = None,
    constants: Mapping[str, str] | None = None,
    ambiguous: str = "earliest",
    export: str | None = None,
    identity: Sequence[str] = (),
    warn: bool = False,
) -> Loaded:
    """Read one table of ``kind`` with its ledger; what every public loader calls.

    ``constants``: columns the source lacks, with the one value every row gets
    (``[constants.<kind>]`` in cx.toml), e.g. ``{"touchpoint": "purchase"}``. ``export``:
    the source is that export (``"ga4"``, ``[formats]`` in cx.toml), read by its reader.
    ``identity``: the ``[identity]`` id columns; a source without ``customer_id`` gets one
    from the first of them each row has (stitching replaces it), so it still loads.

    ``lazy``: nothing is read now (a CSV file excepted: its short rows are found when it is
    opened, ``_read``). Each collect of ``Loaded.data`` reads the source, runs every check
    on every row and computes the ledger with the clean rows (one pass); with ``warn`` it
    raises a ``RejectedRowsWarning`` then when rows are rejected. ``Loaded.rejects`` and
    ``Loaded.read`` are computed when first asked for (a pass of their own). A source
    without data rows raises ``DataError`` at either point.
    """
    _check_timezone(timezone)
    check_date_format(date_format)
    raw = read_raw(src, encoding=encoding, separator=separator)
    if export:  # a known export's own shape -> canonical columns (cxlib.io._exports)
        raw = exports.convert(export, kind, raw, columns)
        columns = exports.unchosen(export, columns)  # keys the reader took (nps = "<question>")
    if constants:
        raw = _with_constants(raw, constants)
    if identity:
        raw, columns = _with_identity(raw, identity, columns or {})
    model = _stage_model(stages) if kind == "touchpoints" else None
    options = {"columns": columns, "timezone": timezone, "date_format": date_format}
    if lazy:  # the validation runs when the data are collected, the ledger when asked for
        plan = _validate.validate(raw, SCHEMAS[kind], ambiguous=ambiguous, **options)

        def count() -> tuple[pl.DataFrame, int]:
            ledger = _validate.rejects(plan)
            rejects, counted = _collect(raw, [ledger, plan.frame.select(pl.len())])
            if counted.item() == 0:
                _no_rows(plan.label, kind)
            return rejects, counted.item()

        def collected(annotated: pl.DataFrame) -> pl.DataFrame:
            if annotated.height == 0:
                _no_rows(plan.label, kind)
            frames = [
                _validate.clean(plan, annotated.lazy()),
                _validate.rejects(plan, annotated.lazy()),
            ]
            data, rejects = pl.collect_all(frames)
            if warn:
                warn_rejected(kind, rejects, annotated.height)
            return _finish(data, model)

        schema = _finish(_validate.clean(plan), model, lazy=True).collect_schema()
        data = plan.frame.map_batches(collected, schema=schema)  # no pushdown into the plan
        return Loaded(data, count=count)
    else:  # the source in memory first: its columns are looked at to skip needless work
        (source,) = _collect(raw, [raw.frame])
        named = _touchpoint_codes(raw, kind, columns, source)  # (column, distinct, codes)
        distinct = {named[0]: named[1]} if named else None
        plan = _validate.validate(
            raw, SCHEMAS[kind], ambiguous=ambiguous, data=source, distinct=distinct, **options
        )
        del source
        (annotated,) = _collect(raw, [plan.frame])
        read = annotated.height
        clean, rejects = _validate.split(plan, annotated)
        del annotated
        (data,) = _collect(raw, [clean])
        del clean  # holds the annotated frame (row hashes, flags): memory the stages reuse
        # no row rejected: the clean touchpoints are the source's, row for row (stripped)
        codes = (named[1].str.strip_chars(), named[2]) if named and data.height == read else None
        data = _finish(data, model, codes=codes)
    if read == 0:
        _no_rows(plan.label, kind)
    return Loaded(data, rejects, read)


def _no_rows(label: str, kind: str) -> None:
    raise DataError(
        f"{label}: no data rows (only a header, or nothing to read); "
        f"check that this is the {kind} export you meant"
    )


def _with_constants(raw: Raw, constants: Mapping[str, str]) -> Raw:
    """``raw`` with a column per constant, the same value on every row."""
    clash = sorted(set(constants) & set(raw.columns))
    if clash:
        raise DataError(
            f"{raw.label}: column {clash[0]!r} is in the file and in [constants]; drop the "
            "constant or map the column"
        )
    frame = raw.frame.with_columns(pl.lit(str(v), pl.String).alias(k) for k, v in constants.items())
    return Raw(frame, raw.label, (*raw.columns, *constants), raw.format)


def _with_identity(
    raw: Raw, identity: Sequence[str], columns: Mapping[str, str]
) -> tuple[Raw, Mapping[str, str]]:
    """``raw`` with a ``customer_id`` from its first id column present on each row, when it
    has some of the ``[identity]`` columns and no customer_id of its own. A source column
    named ``customer_id`` that ``[columns.<kind>]`` renames to an id column (``user_id =
    "customer_id"``: a logged-in id, empty on anonymous rows) is one of those id columns."""
    sources = [columns.get(name, name) for name in identity if name != "customer_id"]
    sources = [source for source in sources if source in raw.columns]
    own = "customer_id" in raw.columns and "customer_id" not in sources
    if "customer_id" in columns or own or not sources:
        return raw, columns
    texts = [pl.col(source).cast(pl.String).str.strip_chars() for source in sources]
    first = pl.coalesce([pl.when(text != "").then(text) for text in texts])
    name = "__cx_customer_id" if "customer_id" in raw.columns else "customer_id"
    frame = raw.frame.with_columns(first.alias(name))
    raw = dataclasses.replace(raw, frame=frame, columns=(*raw.columns, name))
    return raw, {**columns, "customer_id": name} if name != "customer_id" else columns


def _finish(
    frame: pl.DataFrame | pl.LazyFrame,
    model: StageModel | None,
    *,
    lazy: bool = False,
    codes: tuple[pl.Series, pl.Series] | None = None,
) -> pl.DataFrame | pl.LazyFrame:
    """Mask contact details in comments (:func:`cxlib.privacy.mask_pii`: no page or export
    can show what was never loaded); add the journey stage to touchpoints, keeping
    canonical columns in schema order. ``lazy``: ``frame`` is a lazy load's, staged when
    it is collected. ``codes``: ``(distinct, codes)`` with ``frame``'s touchpoints equal to
    ``distinct.gather(codes)``, each name staged once."""
    if "comment" in frame.collect_schema().names():
        frame = frame.with_columns(mask_pii(pl.col("comment")))
    if model is None:
        return frame
    names = frame.collect_schema().names()
    if codes is not None and is_eager(frame):
        staged = model._assign_codes(frame, *codes)
    elif not lazy:
        staged = model.assign(frame)
    else:  # staged batch by batch when collected: the model places each name on its own
        columns = [c for c in ("touchpoint", "stage") if c in names]
        stage = pl.struct(columns).map_batches(
            lambda rows: model.assign(rows.struct.unnest()).get_column("stage"),
            return_dtype=pl.String,
            is_elementwise=True,
        )
        staged = frame.with_columns(stage.alias("stage"))
    canonical = [c for c in SCHEMAS["touchpoints"].columns if c in names or c == "stage"]
    return staged.select(*canonical, *(c for c in names if c not in canonical))


def _touchpoint_codes(
    raw: Raw, kind: str, columns: Mapping[str, str] | None, source: pl.DataFrame
) -> tuple[str, pl.Series, pl.Series] | None:
    """The source column of touchpoints, its distinct names as written and each row's
    code, when a few names repeat (:func:`cxlib.io._codes.few_distinct`); None otherwise."""
    if kind != "touchpoints":
        return None
    name = resolve_columns(raw, SCHEMAS[kind], columns).get("touchpoint")
    if name is None or source.schema[name] != pl.String:
        return None
    found = few_distinct(source.get_column(name))
    if found is None:
        return None
    distinct, codes = found
    return name, distinct, codes


def _stage_model(stages: StageModel | str | None) -> StageModel:
    if stages is None:
        return stage_model()
    if isinstance(stages, str):
        return stage_model(stages)
    if isinstance(stages, StageModel):
        return stages
    raise DataError(
        f"stages must be a StageModel or a preset name, got {type(stages).__name__}; "
        "use cx.stage_model('5-stage')"
    )


def _check_timezone(timezone: str) -> None:
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise DataError(
            f"unknown timezone {timezone!r}; use an IANA name such as 'UTC' or 'Asia/Ho_Chi_Minh'"
        ) from None


def _collect(raw: Raw, frames: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    """Collect, turning polars errors into one-line ``DataError``s naming the source."""
    try:
        return pl.collect_all(frames)
    except pl.exceptions.PolarsError as err:
        raise polars_error(raw.label, err, raw.format) from None
