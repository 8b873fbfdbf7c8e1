"""Segment and RudderStack event dumps (``format="segment"``): one row per call, as NDJSON
with the nested ``context`` / ``properties`` objects, or as a flattened CSV whose columns
are the dotted names (``context.channel``, ``properties.revenue``).

Recognized by ``messageId``, ``timestamp``, ``event`` or ``type``, and ``userId`` or
``anonymousId`` (the camelCase names of the Segment spec, which RudderStack shares; a file
without ``messageId`` is read as plain columns unless ``format="segment"`` is given).

=================  =========================================================================
canonical          from
=================  =========================================================================
``customer_id``    ``userId`` when set, else ``anonymousId``
``ts``             ``timestamp`` (ISO 8601), else ``originalTimestamp``
``touchpoint``     ``event`` for ``track`` calls; ``page_view`` for ``page`` calls and
                   ``screen_view`` for ``screen`` calls (the page or screen name stays in
                   ``name`` / ``properties.name``: names are many, a visit is one step)
``channel``        the device first: ``context.device.type`` ``ios`` / ``android`` / ...
                   -> ``app``; then the library: ``context.library.name`` of a mobile SDK
                   (``analytics-ios``, ``com.rudderstack.android...``) -> ``app``, of a
                   browser one (``analytics.js``, ``RudderLabs JavaScript SDK``) -> ``web``;
                   then ``context.channel``: ``browser`` / ``web`` -> ``web``, ``mobile`` ->
                   ``app``, ``server`` -> ``server``; a server library (``analytics-node``,
                   ``analytics-python``, ...) -> ``server``. Server-side calls carry no customer
                   channel: ``server`` is kept as it is, so ``cx init`` lists it under
                   ``[channels.normalize]`` for a person to map (say ``server = "web"``)
``revenue``        ``properties.revenue``
``order_id``       ``properties.order_id`` (``properties.orderId`` in the older spec)
=================  =========================================================================

Kept as properties: ``user_id`` and ``anonymous_id`` (``userId`` and ``anonymousId``, for
``[identity]`` stitching) and every other scalar column under its own (dotted) name:
``messageId``, ``type``, ``name``, ``context.page.url``, ``properties.*``, ... A list value
(``properties.products`` of an order) is dropped, never written as text; a call without a
``type`` column is a ``track`` call.

Rejected (rejects ledger): a second call with a ``messageId`` already seen ("duplicate
messageId": Segment and RudderStack deliver at least once); ``identify``, ``group`` and
``alias`` calls ("not an event (identify)", ...: they describe people, not interactions);
a call of another ``type`` ("unknown call type"); and, as for any table, calls without
``userId`` or ``anonymousId``, timestamp or event name.
"""

from __future__ import annotations

import polars as pl

from cxlib.io._exports import Export, register
from cxlib.io._exports._events import finish, present, scalar_columns, text
from cxlib.io._read import Raw

COLUMNS = (
    "userId / anonymousId, event or type (track, page, screen), timestamp, messageId, "
    "context.device.type, context.library.name, context.channel, properties.revenue, "
    "properties.order_id"
)
DUPLICATE_MESSAGE = "duplicate messageId"
UNKNOWN_TYPE = "unknown call type"
NOT_EVENTS = ("identify", "group", "alias")
_TIMESTAMPS = ("timestamp", "originalTimestamp")
_VISITS = {"page": "page_view", "screen": "screen_view"}
_APP_DEVICES = ["ios", "android", "ipados", "tvos", "watchos", "mobile", "tablet", "phone"]
_APP_LIBRARY = r"(?i)ios|android|react.?native|flutter|xamarin|unity|cordova"
_WEB_LIBRARY = r"(?i)analytics\.js|analytics-next|javascript|\bjs\b|browser"
_SERVER_LIBRARY = r"(?i)node|python|java\b|ruby|\bgo\b|golang|php|\.net|csharp|clojure|http"
_CONTEXT_CHANNELS = {"browser": "web", "web": "web", "mobile": "app"}
_USED = (  # source columns that become canonical ones
    "userId",
    "anonymousId",
    "event",
    "timestamp",
    "properties.revenue",
    "properties.order_id",
    "properties.orderId",
)


def detect(columns: tuple[str, ...]) -> bool:
    """A Segment / RudderStack dump has ``messageId``, ``timestamp``, ``event`` or
    ``type``, and ``userId`` or ``anonymousId``."""
    names = set(columns)
    return (
        {"messageId", "timestamp"} <= names
        and bool({"event", "type"} & names)
        and bool({"userId", "anonymousId"} & names)
    )


def convert(raw: Raw) -> Raw:
    """A Segment / RudderStack dump's calls as touchpoints (see the module docstring)."""
    frame = raw.frame
    schema = frame.collect_schema()
    user_id, anonymous_id = text(schema, "userId"), text(schema, "anonymousId")
    kind = text(schema, "type").str.to_lowercase().fill_null("track")
    event = text(schema, "event")
    sources = {  # a canonical column the dump lacks is left out: the validation names it
        "customer_id": ("userId", "anonymousId"),
        "ts": _TIMESTAMPS,
        "touchpoint": ("event", "type"),
        "channel": ("context.device.type", "context.library.name", "context.channel"),
        "revenue": ("properties.revenue",),
        "order_id": ("properties.order_id", "properties.orderId"),
    }
    canonical = {
        "customer_id": pl.coalesce(user_id, anonymous_id),
        "ts": _timestamp(schema),
        "touchpoint": pl.when(kind == "track")
        .then(event)
        .otherwise(kind.replace_strict(_VISITS, default=None, return_dtype=pl.String)),
        "channel": _channel(schema),
        "revenue": pl.col("properties.revenue"),
        "order_id": pl.coalesce(
            text(schema, "properties.order_id"), text(schema, "properties.orderId")
        ),
    }
    found = present(raw, schema, sources, "Segment / RudderStack")
    canonical = {name: expr for name, expr in canonical.items() if name in found}

    kept = {"user_id": user_id, "anonymous_id": anonymous_id}
    for name in scalar_columns(schema, raw.columns):
        if name not in _USED:
            kept[name] = pl.col(name)
    rejects = {
        **{f"not an event ({call})": pl.when(kind == call).then(kind) for call in NOT_EVENTS},
        UNKNOWN_TYPE: pl.when(~kind.is_in(["track", *_VISITS, *NOT_EVENTS])).then(kind),
    }
    if "messageId" in schema:
        message = text(schema, "messageId")
        seen = message.is_not_null() & ~message.is_first_distinct()
        rejects[DUPLICATE_MESSAGE] = pl.when(seen).then(message)
    return finish(raw, frame, canonical, kept, rejects)


def _timestamp(schema: pl.Schema) -> pl.Expr:
    """``timestamp`` (text as written, so the validation reads and judges it), else
    ``originalTimestamp``."""
    names = [n for n in _TIMESTAMPS if n in schema]
    if len(names) < 2:  # (none: ts is left out)
        return pl.col(names[0]) if names else pl.lit(None, pl.String)
    if all(schema[n] == schema[names[0]] for n in names):
        return pl.coalesce(*names)
    return pl.coalesce(*(text(schema, n) for n in names))


def _channel(schema: pl.Schema) -> pl.Expr:
    """``app`` / ``web`` / ``server`` from the device, the library or the context channel."""
    device = text(schema, "context.device.type").str.to_lowercase()
    library = text(schema, "context.library.name")
    sent = text(schema, "context.channel").str.to_lowercase()
    return (
        pl.when(device.is_in(_APP_DEVICES))
        .then(pl.lit("app"))
        .when(device.is_in(["web", "browser", "desktop"]))
        .then(pl.lit("web"))
        .when(library.str.contains(_APP_LIBRARY))
        .then(pl.lit("app"))
        .when(library.str.contains(_WEB_LIBRARY))
        .then(pl.lit("web"))
        .otherwise(
            pl.coalesce(
                sent.replace(_CONTEXT_CHANNELS),
                pl.when(library.str.contains(_SERVER_LIBRARY)).then(pl.lit("server")),
            )
        )
    )


register(
    Export("segment", "touchpoints", COLUMNS, detect, convert, identity=("user_id", "anonymous_id"))
)
