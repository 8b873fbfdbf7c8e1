"""The GA4 BigQuery export (``format="ga4"``): one row per event, read as Parquet or NDJSON
with its nested fields, or as the flattened CSV people download from a query.

Recognized by the columns ``event_name``, ``event_timestamp`` and ``user_pseudo_id``.

=================  =========================================================================
canonical          from
=================  =========================================================================
``customer_id``    ``user_id`` when set, else ``user_pseudo_id``
``ts``             ``event_timestamp``: whole microseconds since 1970 (UTC); BigQuery's JSON
                   and CSV write them as text, which is read the same way
``touchpoint``     ``event_name``
``channel``        ``platform`` lower-cased: ``IOS`` / ``ANDROID`` -> ``app``, ``WEB`` -> ``web``
                   (another value is kept lower-cased, for ``[channels.normalize]``)
``session_id``     ``user_pseudo_id`` + ``:`` + the ``ga_session_id`` parameter (GA4 session
                   ids are unique per user only); ``user_id`` when there is no pseudo id
``revenue``        ``ecommerce.purchase_revenue``; for ``purchase`` / ``in_app_purchase``
                   events without it, the ``value`` parameter (other events' ``value`` is a
                   cart or item value, not revenue, and is not used)
``order_id``       ``ecommerce.transaction_id`` (GA4's ``(not set)`` is no id), else the
                   ``transaction_id`` parameter
=================  =========================================================================

Kept as properties: ``user_id`` and ``user_pseudo_id`` (both, for ``[identity]``
stitching), ``platform``, every scalar column of the export under its dotted name
(``device.category``, ``traffic_source.source``, ``geo.country``, ``event_date``, ...),
every ``event_params`` key as ``param.<key>`` (``param.page_location``,
``param.ga_session_id``, ``param.source``, ...), every ``user_properties`` key as
``user_property.<key>``, and ``item_count``, the length of the ``items`` list.

A parameter's value is its ``string_value``, else ``int_value``, else ``double_value`` /
``float_value``: a key holding only integers is an integer column, only numbers a float
column, and any text makes it a text column (numbers then written as digits, as GA4 shows
them). A parameter present with none of the four values set is null on that row; a user
property's ``set_timestamp_micros`` is not kept.
What is dropped: the ``items`` list itself (one event, many products: a table of its own)
and any other list column; they are never written as text. In the flattened CSV,
``event_params.<key>`` columns become ``param.<key>`` and a ``ga_session_id`` column is the
session parameter.

Rejected (rejects ledger): an ``event_timestamp`` that is not whole microseconds (reason
"event_timestamp not in microseconds since 1970", e.g. a spreadsheet's ``1.61E+15``); rows
without ``user_id`` and ``user_pseudo_id`` (GA4's cookieless pings: missing customer_id),
``event_name`` or ``platform``, and copies of a row, as for any table. A file without
``event_timestamp``, ``event_name`` or either id column is no GA4 export (``DataError``);
one without ``platform`` needs ``columns={"channel": ...}``.
"""

from __future__ import annotations

import polars as pl

from cxlib.io._exports import Export, register
from cxlib.io._exports._events import column, finish, present, scalar_columns, text
from cxlib.io._read import Raw, polars_error

COLUMNS = (
    "event_name, event_timestamp (µs), user_id / user_pseudo_id, platform, event_params "
    "(ga_session_id, value, transaction_id, page_location, ...), ecommerce.purchase_revenue, "
    "ecommerce.transaction_id, user_properties, device.*, traffic_source.*"
)
_VALUES = ("string_value", "int_value", "double_value", "float_value")
_PURCHASES = ["purchase", "in_app_purchase", "ecommerce_purchase"]
_CHANNELS = {"ios": "app", "android": "app", "web": "web"}
BAD_TIMESTAMP = "event_timestamp not in microseconds since 1970"
_USED = (  # source columns that become canonical ones (the ids are kept as well)
    "event_name",
    "event_timestamp",
    "ecommerce.purchase_revenue",
    "purchase_revenue",
    "ecommerce.transaction_id",
    "transaction_id",
    "ga_session_id",
)


def detect(columns: tuple[str, ...]) -> bool:
    """A GA4 export has ``event_name``, ``event_timestamp`` and ``user_pseudo_id``."""
    return {"event_name", "event_timestamp", "user_pseudo_id"} <= set(columns)


def convert(raw: Raw) -> Raw:
    """A GA4 export's events as touchpoints (see the module docstring)."""
    schema = raw.frame.collect_schema()
    params = {
        **_flat_params(schema, raw.columns),
        **_nested(raw.frame, schema, "event_params", "param.", raw.label),
    }
    properties = _nested(raw.frame, schema, "user_properties", "user_property.", raw.label)
    frame = raw.frame.with_columns(**params, **properties)
    schema = frame.collect_schema()

    user_id = text(schema, "user_id")
    pseudo_id = text(schema, "user_pseudo_id")
    stamp = text(schema, "event_timestamp")
    integral = schema.get("event_timestamp", pl.String()).is_integer()
    micros = pl.col("event_timestamp") if integral else stamp.cast(pl.Int64, strict=False)
    event = text(schema, "event_name")
    sources = {  # a canonical column the export lacks is left out: the validation names it
        "customer_id": ("user_id", "user_pseudo_id"),
        "ts": ("event_timestamp",),
        "touchpoint": ("event_name",),
        "channel": ("platform",),
        "session_id": ("param.ga_session_id",),
        "revenue": ("ecommerce.purchase_revenue", "purchase_revenue", "param.value"),
        "order_id": ("ecommerce.transaction_id", "transaction_id", "param.transaction_id"),
    }
    canonical = {
        "customer_id": pl.coalesce(user_id, pseudo_id),
        "ts": pl.from_epoch(micros, time_unit="us").dt.replace_time_zone("UTC"),
        "touchpoint": event,
        "channel": text(schema, "platform").str.to_lowercase().replace(_CHANNELS),
        "session_id": pl.format(
            "{}:{}", pl.coalesce(pseudo_id, user_id), text(schema, "param.ga_session_id")
        ),
        "revenue": _revenue(schema, event),
        "order_id": pl.coalesce(
            [
                pl.when(~id_.is_in(["(not set)", "(not_set)"])).then(id_)
                for id_ in (text(schema, name) for name in sources["order_id"])
            ]
        ),
    }
    found = present(raw, schema, sources, "GA4")
    canonical = {name: expr for name, expr in canonical.items() if name in found}

    kept = {"user_id": user_id, "user_pseudo_id": pseudo_id}
    for name in scalar_columns(schema, raw.columns):
        if name not in _USED and name not in kept and not name.startswith("event_params."):
            kept[name] = pl.col(name)
    kept.update({name: pl.col(name) for name in (*params, *properties)})
    if "items" in schema and isinstance(schema["items"], pl.List):
        kept["item_count"] = pl.col("items").list.len()
    rejects = {BAD_TIMESTAMP: pl.when(stamp.is_not_null() & micros.is_null()).then(stamp)}
    return finish(raw, frame, canonical, kept, rejects)


def _revenue(schema: pl.Schema, event: pl.Expr) -> pl.Expr:
    """Purchase revenue, else a purchase's ``value`` parameter (as text when either column
    is text, so the validation reads and judges it)."""
    names = [n for n in ("ecommerce.purchase_revenue", "purchase_revenue") if n in schema]
    as_text = any(schema[n] == pl.String for n in (*names[:1], "param.value") if n in schema)
    dtype = pl.String if as_text else pl.Float64
    purchase = column(schema, *names, dtype=dtype)
    of_purchase = event.str.to_lowercase().is_in(_PURCHASES)
    return pl.coalesce(
        purchase, pl.when(of_purchase).then(column(schema, "param.value", dtype=dtype))
    )


def _flat_params(schema: pl.Schema, columns: tuple[str, ...]) -> dict[str, pl.Expr]:
    """The flattened CSV's parameters: ``event_params.<key>`` and ``ga_session_id``."""
    params = {
        "param." + name.removeprefix("event_params."): pl.col(name)
        for name in columns
        if name.startswith("event_params.")
    }
    if "ga_session_id" in schema and "param.ga_session_id" not in params:
        params["param.ga_session_id"] = pl.col("ga_session_id")
    return params


def _nested(
    frame: pl.LazyFrame, schema: pl.Schema, name: str, prefix: str, label: str
) -> dict[str, pl.Expr]:
    """One column per key of a GA4 key/value list (``event_params``, ``user_properties``):
    ``prefix + key`` -> the expression reading that key's scalar value on each row.

    Reads the list once to learn the keys and which value fields each key uses.
    """
    fields = _value_fields(schema.get(name))
    if not fields:
        return {}
    entry = pl.col(name)
    keys = (
        frame.select(entry.explode())
        .filter(entry.is_not_null())
        .select(
            key=entry.struct.field("key"),
            **{f: entry.struct.field("value").struct.field(f).is_not_null() for f in fields},
        )
        .group_by("key")
        .agg(pl.col(f).any() for f in fields)
        .sort("key")
    )
    try:
        used = keys.collect()
    except pl.exceptions.PolarsError as err:
        raise polars_error(label, err, "parquet") from None
    columns = {}
    for row in used.drop_nulls("key").iter_rows(named=True):  # one per key, not per event
        value = (
            entry.list.eval(pl.element().filter(pl.element().struct.field("key") == row["key"]))
            .list.first()
            .struct.field("value")
        )
        columns[prefix + row["key"]] = _scalar(value, {f for f in fields if row[f]})
    return columns


def _value_fields(dtype: pl.DataType | None) -> list[str]:
    """The scalar value fields of a GA4 key/value list, or [] when it is not one."""
    if not isinstance(dtype, pl.List) or not isinstance(dtype.inner, pl.Struct):
        return []
    inner = {f.name: f.dtype for f in dtype.inner.fields}
    if "key" not in inner or not isinstance(inner.get("value"), pl.Struct):
        return []
    return [f.name for f in inner["value"].fields if f.name in _VALUES]


def _scalar(value: pl.Expr, used: set[str]) -> pl.Expr:
    """A parameter's value: text when any row has text, else float, else integer."""
    field = value.struct.field
    numbers = [f for f in ("double_value", "float_value") if f in used]
    if "string_value" in used:
        rest = [field(f).cast(pl.String) for f in ("int_value", *numbers) if f in used]
        return pl.coalesce(field("string_value").cast(pl.String), *rest)
    if numbers:
        ints = [field("int_value").cast(pl.Float64, strict=False)] if "int_value" in used else []
        return pl.coalesce(*ints, *(field(f).cast(pl.Float64) for f in numbers))
    if "int_value" in used:
        return field("int_value").cast(pl.Int64, strict=False)
    return pl.lit(None, pl.String)


register(
    Export("ga4", "touchpoints", COLUMNS, detect, convert, identity=("user_id", "user_pseudo_id"))
)
