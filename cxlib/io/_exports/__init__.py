"""Readers for the exports analysts start from: each turns one export's own shape into the
canonical columns, so that the usual validation and rejects ledger apply to it.

An :class:`Export` names a format (``"ga4"``), the table kind it fills, the columns it
uses (one line, for ``cx init`` and the docs), how to recognize it from a file's column
names, and ``convert``: a :class:`~cxlib.io._read.Raw` in, a ``Raw`` out whose columns are
canonical names (plus pass-through properties), ``ROW`` (and ``SOURCE``) kept.

A row the export holds but that cannot be used (a nested value with no single meaning, a
list where one value is needed) is never stringified and never dropped silently: the
converter puts the offending value, as text, in a column named ``REJECT + reason``; the
validation turns it into a rejects-ledger row with that reason.

Formats register themselves below (one module per export family); ``cx.read_touchpoints(src,
format="ga4")``, ``[formats]`` in cx.toml and ``cx init``'s detection all go through
:func:`convert` and :func:`detect`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cxlib._engine import close_match
from cxlib._errors import DataError
from cxlib.io._read import EXPORT_REJECT, Raw

REJECT = EXPORT_REJECT  # what readers prefix a reason with (re-exported for them)


@dataclass(frozen=True)
class Export:
    """One export format: ``name``, the table ``kind`` it fills, the ``columns`` it uses (one
    line), ``detect`` (the file's column names -> is it this export?) and ``convert``."""

    name: str
    kind: str
    columns: str
    detect: Callable[[tuple[str, ...]], bool]
    convert: Callable[..., Raw]
    # ``[columns.<kind>]`` keys that name source columns for the reader itself (a wide
    # survey's ``nps = "<question text>"``): passed to ``convert`` as a second argument and
    # not to the validation; ``choose`` tells what the reader picks when not told (cx init)
    choices: tuple[str, ...] = ()
    choose: Callable[[Raw], dict[str, str]] | None = None
    # the columns the reader keeps that identify one person under several ids, in priority
    # order (GA4: user_id, then the device's user_pseudo_id): what cx init suggests for
    # [identity] columns, so that anonymous events before a login join the known customer
    identity: tuple[str, ...] = ()


FORMATS: dict[str, Export] = {}


def register(export: Export) -> Export:
    """Add ``export`` to :data:`FORMATS` (at import of its module)."""
    FORMATS[export.name] = export
    return export


def detect(kind: str, columns: tuple[str, ...]) -> str | None:
    """The name of the export of ``kind`` whose columns these are, or None."""
    for export in FORMATS.values():
        if export.kind == kind and export.detect(columns):
            return export.name
    return None


def convert(name: str, kind: str, raw: Raw, columns: Mapping[str, str] | None = None) -> Raw:
    """``raw`` (an export ``name`` of table ``kind``) in canonical columns; ``columns``: the
    ``[columns.<kind>]`` mapping, whose keys in the export's ``choices`` go to its reader.

    Raises
    ------
    DataError
        An unknown format, or one that fills another kind of table.
    """
    export = FORMATS.get(name)
    if export is None:
        known = ", ".join(sorted(FORMATS)) or "none"
        raise DataError(
            f"{raw.label}: format {name!r} is not a known export; "
            f"{close_match(name, list(FORMATS))}the formats are {known}"
        )
    if export.kind != kind:
        raise DataError(
            f"{raw.label}: format {name!r} is a {export.kind} export, not {kind}; read it with "
            f"read_{export.kind}"
        )
    if export.choices:
        chosen = {k: v for k, v in (columns or {}).items() if k in export.choices}
        return export.convert(raw, chosen)
    return export.convert(raw)


def unchosen(name: str, columns: Mapping[str, str] | None) -> dict[str, str] | None:
    """``columns`` without the keys export ``name``'s reader took (:func:`convert`)."""
    export = FORMATS.get(name)
    if columns is None or export is None:
        return None if columns is None else dict(columns)
    return {k: v for k, v in columns.items() if k not in export.choices}


def chosen(name: str, raw: Raw) -> dict[str, str]:
    """What export ``name``'s reader picks in ``raw`` when not told (``nps`` -> the question
    column), for ``cx init`` to write in cx.toml to be confirmed; {} for other readers."""
    export = FORMATS.get(name)
    return {} if export is None or export.choose is None else export.choose(raw)


# The formats: each module registers its exports when imported.
from cxlib.io._exports import _registered  # noqa: E402, F401
