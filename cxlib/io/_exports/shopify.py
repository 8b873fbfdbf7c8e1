"""The Shopify orders export (``format="shopify"``, touchpoints): one purchase per order.

The CSV the Shopify admin exports (Orders > Export) has one row per *line item*; the
order-level fields are filled on the order's first row only. This reader groups the rows of
each order (``Name``) and takes each order-level field from the first row that has it. The
columns it uses:

* ``Name`` (``#1001``) -> ``order_id``; the rows of one order share it;
* ``Customer ID`` (when the export has it) or else ``Email`` -> ``customer_id``, emails
  trimmed and lower-cased; ``Email`` is also kept as ``email`` so that identity stitching
  can hash and link it (``[identity]`` in cx.toml); an order with neither is rejected by
  the validation (``missing customer_id``);
* ``Created at`` (``2025-01-31 14:05:00 +0700``), or ``Paid at`` when it is empty -> ``ts``;
* ``Total`` -> ``revenue`` (the order's total, shipping and taxes included; ``Subtotal``,
  ``Shipping``, ``Taxes`` and ``Currency`` are kept as ``subtotal``, ``shipping``, ``taxes``,
  ``currency``);
* ``Source`` and ``Location`` -> ``channel``: ``store`` when ``Source`` is ``pos`` or a POS
  ``Location`` is set; ``app`` for the mobile apps (``iphone``, ``android``, ``ios``,
  ``mobile_app``, ``shop_app``); ``web`` otherwise (the online store, draft orders, other
  sales-channel apps, whose raw ``Source`` is kept as ``source_name``);
* ``Financial Status`` -> ``touchpoint`` and kept as ``financial_status``: ``purchase`` for
  paid, pending, authorized and partially refunded orders; ``refund`` for a fully
  ``refunded`` order (it happened, and a refunded order is friction the journey should
  show, but it is no conversion and carries no ``revenue``: its total stays in
  ``order_total``); a ``voided`` or ``expired`` order was never paid and goes to the rejects
  ledger with the reason ``voided order (never paid)``, never dropped silently;
* ``Lineitem quantity`` -> ``quantity`` (summed over the order), and ``line_items``: how many
  line-item rows the order has; ``Discount Code`` -> ``discount_code``.

One order is one row read: ``loaded + rejected`` counts orders, and a rejected order's row
number is that of its first line item in the file.
"""

from __future__ import annotations

import dataclasses

import polars as pl

from cxlib.io._exports import REJECT, Export, register
from cxlib.io._read import RAGGED, ROW, SOURCE, Raw

_NEEDED = ("Name", "Financial Status", "Created at", "Lineitem name", "Total")
_APP_SOURCES = ["iphone", "android", "ios", "mobile_app", "shop_app"]
_REFUNDED = ["refunded"]
_NEVER_PAID = ["voided", "expired"]
VOIDED = "voided order (never paid)"
# order-level source column -> the property it is kept as
_KEPT = {
    "Email": "email",
    "Currency": "currency",
    "Subtotal": "subtotal",
    "Shipping": "shipping",
    "Taxes": "taxes",
    "Financial Status": "financial_status",
    "Source": "source_name",
    "Location": "location",
    "Discount Code": "discount_code",
}


def detect(columns: tuple[str, ...]) -> bool:
    """Whether ``columns`` are those of a Shopify orders export."""
    return set(_NEEDED) <= set(columns)


def convert(raw: Raw) -> Raw:
    """One touchpoint per order of a Shopify orders export (see the module docstring)."""
    present = set(raw.frame.collect_schema().names())

    def text(name: str) -> pl.Expr:
        if name not in present:
            return pl.lit(None, pl.String)
        value = pl.col(name).cast(pl.String).str.strip_chars()
        return pl.when(value != "").then(value)

    order_fields = {
        **{prop: text(source) for source, prop in _KEPT.items()},
        "customer_ref": text("Customer ID"),
        "created": text("Created at"),
        "paid": text("Paid at"),
        "total": text("Total"),
    }
    several = SOURCE in present
    name = text("Name")
    # rows without an order number stay alone (their own "order"), keyed by their row
    key = pl.coalesce(name, pl.format("\x00row {}", pl.col(ROW))).alias("__cx_order")
    keys = [SOURCE, "__cx_order"] if several else ["__cx_order"]
    quantity = text("Lineitem quantity").cast(pl.Float64, strict=False)
    orders = (
        raw.frame.with_columns(key)
        .group_by(keys, maintain_order=True)
        .agg(
            pl.col(ROW).min(),
            pl.col(RAGGED).drop_nulls().first(),
            name.drop_nulls().first().alias("order_id"),
            *(expr.drop_nulls().first().alias(prop) for prop, expr in order_fields.items()),
            quantity.sum().alias("quantity"),
            pl.len().cast(pl.Int64).alias("line_items"),
        )
        .sort([SOURCE, ROW] if several else ROW)
    )
    status = pl.col("financial_status").str.to_lowercase()
    refunded = status.is_in(_REFUNDED).fill_null(False)
    source = pl.col("source_name").str.to_lowercase()
    channel = (
        pl.when((source == "pos").fill_null(False) | pl.col("location").is_not_null())
        .then(pl.lit("store"))
        .when(source.is_in(_APP_SOURCES).fill_null(False))
        .then(pl.lit("app"))
        .otherwise(pl.lit("web"))
    )
    email = pl.col("email").str.to_lowercase()
    canonical = {
        "customer_id": pl.coalesce(pl.col("customer_ref"), email),
        "ts": pl.coalesce(pl.col("created"), pl.col("paid")),
        "touchpoint": pl.when(refunded).then(pl.lit("refund")).otherwise(pl.lit("purchase")),
        "channel": channel,
        "revenue": pl.when(~refunded).then(pl.col("total")),
        "order_id": pl.col("order_id"),
    }
    properties = [*_KEPT.values(), "order_total", "quantity", "line_items"]
    frame = orders.select(
        ROW,
        RAGGED,
        *([SOURCE] if several else []),
        **canonical,
        **{prop: pl.col(prop) for prop in _KEPT.values()},
        order_total=pl.col("total"),
        quantity=pl.col("quantity"),
        line_items=pl.col("line_items"),
        **{
            REJECT + VOIDED: pl.when(status.is_in(_NEVER_PAID)).then(pl.col("financial_status")),
            REJECT + "line item without an order number (Name)": pl.when(
                pl.col("order_id").is_null()
            ).then(pl.lit("")),
        },
    )
    return dataclasses.replace(raw, frame=frame, columns=(*canonical, *properties))


SHOPIFY = register(
    Export(
        name="shopify",
        kind="touchpoints",
        columns=(
            "Shopify orders CSV: Name (order), Customer ID or Email, Created at / Paid at, Total,"
            " Financial Status, Source, Location; one purchase per order"
        ),
        detect=detect,
        convert=convert,
    )
)
