"""What the event-stream readers (GA4, Segment / RudderStack) share: reading a column that
may be absent, blank text as null, and assembling the converted ``Raw``."""

from __future__ import annotations

import polars as pl

from cxlib._errors import DataError
from cxlib.io._read import EXPORT_REJECT, INTERNAL, Raw
from cxlib.io._schema import TOUCHPOINTS


def column(schema: pl.Schema, *names: str, dtype: pl.DataType | None = None) -> pl.Expr:
    """The first of ``names`` the source has (cast to ``dtype``), else a null literal."""
    for name in names:
        if name in schema:
            return pl.col(name) if dtype is None else pl.col(name).cast(dtype, strict=False)
    return pl.lit(None, dtype or pl.String)


def text(schema: pl.Schema, *names: str) -> pl.Expr:
    """The first of ``names`` the source has, as trimmed text; blank is null.

    Numbers print as numbers (an id written as a JSON number is the same id as text).
    """
    found = next((name for name in names if name in schema), None)
    if found is None:
        return pl.lit(None, pl.String)
    value = pl.col(found)
    if schema[found] != pl.String:
        value = value.cast(pl.String)
    value = value.str.strip_chars()
    return pl.when(value != "").then(value)


def present(
    raw: Raw, schema: pl.Schema, sources: dict[str, tuple[str, ...]], title: str
) -> set[str]:
    """The canonical columns some of whose ``sources`` the export has.

    Raises
    ------
    DataError
        The export has none of the sources of ``customer_id``, ``ts`` or ``touchpoint``:
        it is not a ``title`` export.
    """
    found = {name for name, names in sources.items() if any(n in schema for n in names)}
    for name in ("customer_id", "ts", "touchpoint"):
        if name not in found:
            shown = ", ".join(raw.columns[:12]) + (", ..." if len(raw.columns) > 12 else "")
            raise DataError(
                f"{raw.label}: not a {title} export: no {' or '.join(sources[name])} column "
                f"(for {name}); columns found: {shown}; read it without format= or check the file"
            )
    return found


def finish(
    raw: Raw,
    frame: pl.LazyFrame,
    canonical: dict[str, pl.Expr],
    kept: dict[str, pl.Expr],
    rejects: dict[str, pl.Expr],
) -> Raw:
    """The converted ``Raw``: internal columns, ``canonical`` then ``kept`` columns (the
    ones listed in ``columns``) and a ``REJECT + reason`` column per entry of ``rejects``
    (the offending value as text, null on good rows).

    A kept column named like a canonical column is renamed ``<name>_source``.
    """
    schema = frame.collect_schema()
    kept = {
        (f"{name}_source" if name in TOUCHPOINTS.columns else name): expr
        for name, expr in kept.items()
        if name not in canonical
    }
    frame = frame.select(
        *(pl.col(name) for name in INTERNAL if name in schema),
        *(pl.col(name) for name in schema if name.startswith(EXPORT_REJECT)),
        *(expr.alias(name) for name, expr in canonical.items()),
        *(expr.alias(name) for name, expr in kept.items()),
        *(expr.cast(pl.String).alias(EXPORT_REJECT + reason) for reason, expr in rejects.items()),
    )
    return Raw(frame, raw.label, (*canonical, *kept), raw.format)


def scalar_columns(schema: pl.Schema, names: tuple[str, ...]) -> list[str]:
    """The ``names`` that hold one value per row (not a list, an array or an object)."""
    nested = (pl.List, pl.Array, pl.Struct, pl.Object)
    return [name for name in names if name in schema and not isinstance(schema[name], nested)]
