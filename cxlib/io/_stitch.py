"""Identity stitching: the ids that name one person, linked into one ``customer_id``.

A row that carries two ids (a ``user_id`` and an ``anonymous_id``, an ``email`` and a
``loyalty_id``) says they belong to the same person; the connected groups of that id graph
become one customer, applied to every table, including the anonymous events before a login.

Guard rails: a placeholder value (``unknown``, ``0``, ``guest``, ...) and an id linked to more
than ``max_ids`` other ids (a shared device, a shop's counter account) are never used to merge;
they are listed in ``refused`` with the reason and keep their own value as customer.

How the groups are found: ids are factorized to integers with polars (one dictionary per id
column, joined), the distinct id pairs become the edges of a sparse graph, and
``scipy.sparse.csgraph.connected_components`` labels it. A maintained, tested C
implementation (breadth-first search, linear in ids + links) instead of a hand-written
union-find in Python: no loop over rows or ids runs in Python, and 10M rows stitch in
seconds (``benchmarks/stitch.py``). Iterative min-label propagation in polars would need as
many passes as the longest chain of ids, which a crafted export can make long.

Customer ids are deterministic: a group is named by its id from the highest-priority column
(the first of ``columns`` present in the group), the smallest value on ties, so a rerun on
the same data gives the same ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from cxlib._engine import lazy_like
from cxlib._errors import DataError
from cxlib.privacy import keyed_hashes

Frame = pl.DataFrame | pl.LazyFrame

DEFAULT_MAX_IDS = 20
DEFAULT_PLACEHOLDERS = ("unknown", "0", "null", "none", "n/a", "-", "guest", "anonymous")
PLACEHOLDER = "placeholder value"
OVER_LINKED = "linked to too many ids"
_NODE = "__cx_node"


@dataclass(frozen=True)
class Stitched:
    """The result of :func:`stitch`.

    Attributes
    ----------
    mapping : polars.DataFrame
        ``column, id, customer_id, refused``: every id seen, with the customer it belongs to
        (a refused id is its own customer and is never used to merge).
    ledger : polars.DataFrame
        ``customer_id, column, id, rows``: one row per id merged into a customer named by
        another id, with the rows that carry it (all tables).
    refused : polars.DataFrame
        ``column, id, linked_ids, reason``: ids not used to merge, with how many other ids
        they appear with.
    customers_before, customers_after : int
        Distinct customers with each row's first id taken at face value, and after stitching.
    columns : tuple of str
        The id columns, in priority order.
    """

    mapping: pl.DataFrame
    ledger: pl.DataFrame
    refused: pl.DataFrame
    customers_before: int
    customers_after: int
    columns: tuple[str, ...]

    def apply(self, frame: Frame, columns: Sequence[str] | None = None) -> Frame:
        """``frame`` with the stitched ``customer_id``: see :func:`apply`."""
        return apply(frame, self, columns)

    def groups(self) -> pl.DataFrame:
        """Customers made of several ids, largest first: ``customer_id, ids``."""
        return (
            self.ledger.group_by("customer_id")
            .agg((pl.len() + 1).cast(pl.Int64).alias("ids"))
            .sort(["ids", "customer_id"], descending=[True, False])
        )


def _ids(column: str) -> pl.Expr:
    """An id column as trimmed text, empty text as null."""
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(text != "").then(text).alias(column)


def stitch(
    tables: Mapping[str, Frame | None],
    columns: Sequence[str],
    *,
    max_ids: int = DEFAULT_MAX_IDS,
    placeholders: Sequence[str] = DEFAULT_PLACEHOLDERS,
) -> Stitched:
    """Link the ids of ``columns`` that appear on the same rows into customers.

    Parameters
    ----------
    tables : mapping of name -> polars DataFrame or LazyFrame
        Any tables (touchpoints, surveys, customers); those without an id column, and
        None values, are skipped. Only the id columns are read.
    columns : sequence of str
        The id columns in priority order: a customer is named by its id from the first.
    max_ids : int, default 20
        An id that appears with more than this many other ids is refused (shared device).
    placeholders : sequence of str
        Values (compared lower-cased) that are never ids.

    Returns
    -------
    Stitched

    Examples
    --------
    >>> import polars as pl
    >>> events = pl.DataFrame({"user_id": [None, "u1", None], "anonymous_id": ["a1", "a1", "a2"]})
    >>> stitched = stitch({"touchpoints": events}, ["user_id", "anonymous_id"])
    >>> stitched.customers_before, stitched.customers_after
    (3, 2)
    >>> apply(events, stitched)["customer_id"].to_list()
    ['u1', 'u1', 'a2']
    """
    columns = tuple(columns)
    if not columns or len(set(columns)) != len(columns):
        raise DataError(f"identity columns must be distinct names, got {list(columns)}")
    if not isinstance(max_ids, int) or max_ids < 1:
        raise DataError(f"max_ids must be a whole number above zero, got {max_ids!r}")
    frames = _id_frames(tables, columns)
    nodes = _nodes(frames, columns)  # column, id, priority, rows, node (sorted)
    coded = pl.collect_all([_coded(frame, nodes, columns) for frame in frames]) if frames else []
    present = [[c for c in columns if c in frame.columns] for frame in coded]
    src, dst = _edges(coded, present)
    count = nodes.height
    placeholder = (
        nodes.get_column("id")
        .str.to_lowercase()
        .is_in([p.lower() for p in placeholders])
        .to_numpy()
    )
    # links through a placeholder do not count against the ids it was written beside
    real = ~(placeholder[src] | placeholder[dst])
    linked = np.bincount(src[real], minlength=count) + np.bincount(dst[real], minlength=count)
    linked_any = np.bincount(src, minlength=count) + np.bincount(dst, minlength=count)
    refused = placeholder | (linked > max_ids)
    keep = ~(refused[src] | refused[dst])
    head = _heads(count, src[keep], dst[keep])
    ids = _names(nodes, head)
    mapping = nodes.select(
        "column",
        "id",
        ids.gather(pl.Series(head)).alias("customer_id"),
        pl.Series("refused", refused),
    )
    merged = pl.Series(head != np.arange(count), dtype=pl.Boolean)
    ledger = (
        nodes.with_columns(mapping.get_column("customer_id"))
        .filter(merged)
        .select("customer_id", "column", "id", "rows")
        .sort("customer_id", pl.col("column").replace_strict(columns, range(len(columns))), "id")
    )
    reasons = pl.Series(np.where(placeholder, PLACEHOLDER, OVER_LINKED), dtype=pl.String)
    refused_ids = nodes.select(
        "column",
        "id",
        pl.Series("linked_ids", np.where(placeholder, linked_any, linked), dtype=pl.Int64),
        reasons.alias("reason"),
    ).filter(pl.Series(refused))
    before, after = _customers(coded, present, head, refused)
    return Stitched(mapping, ledger, refused_ids, before, after, columns)


def _heads(count: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """For each of ``count`` nodes, the smallest node of its connected group. Nodes are
    numbered by (priority, id), so that node names the group."""
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(src.size, dtype=np.int8), (src, dst)), shape=(count, count))
    _, labels = connected_components(graph, directed=False)
    first = np.full(labels.max() + 1, count, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(count))
    return first[labels]


def _names(nodes: pl.DataFrame, head: np.ndarray) -> pl.Series:
    """The customer name of each group's head node: its id, or ``column:id`` when a group
    named by a higher-priority column has the same text (user_id "1042" and loyalty_id
    "1042" are two people until a row links them)."""
    heads = nodes.filter(pl.Series(head == np.arange(nodes.height)))
    clash = pl.col("priority").rank("ordinal").over("id") > 1
    named = heads.select(
        _NODE,
        pl.when(clash)
        .then(pl.concat_str("column", pl.lit(":"), "id"))
        .otherwise(pl.col("id"))
        .alias("name"),
    )
    names = pl.repeat(None, nodes.height, dtype=pl.String, eager=True).alias("customer_id")
    if named.height:
        names = names.scatter(named.get_column(_NODE), named.get_column("name"))
    return names


def _id_frames(tables: Mapping[str, Frame | None], columns: tuple[str, ...]) -> list[pl.LazyFrame]:
    """The id columns of each table that has any, as trimmed text."""
    out = []
    for frame in tables.values():
        if frame is None:
            continue
        names = frame.collect_schema().names()
        present = [c for c in columns if c in names]
        if present:
            out.append(frame.lazy().select(_ids(c) for c in present))
    return out


def _nodes(frames: list[pl.LazyFrame], columns: tuple[str, ...]) -> pl.DataFrame:
    """Every distinct (column, id) with its rows, numbered in (priority, id) order."""
    counts = [
        frame.select(pl.col(c).alias("id"))
        .drop_nulls()
        .group_by("id")
        .len("rows")
        .with_columns(pl.lit(c).alias("column"), pl.lit(priority, pl.Int64).alias("priority"))
        for frame in frames
        for priority, c in enumerate(columns)
        if c in frame.collect_schema().names()
    ]
    empty = pl.DataFrame(
        schema={"column": pl.String, "id": pl.String, "priority": pl.Int64, "rows": pl.Int64}
    )
    if not counts:
        return empty.with_row_index(_NODE)
    return (
        pl.concat([c.select(empty.columns) for c in counts], how="vertical_relaxed")
        .group_by("column", "id", "priority")
        .agg(pl.col("rows").sum().cast(pl.Int64))
        .sort("priority", "id")
        .collect()
        .with_row_index(_NODE)
    )


def _coded(frame: pl.LazyFrame, nodes: pl.DataFrame, columns: tuple[str, ...]) -> pl.LazyFrame:
    """A table's id columns replaced by their node numbers (null where absent)."""
    present = [c for c in columns if c in frame.collect_schema().names()]
    for c in present:
        codes = nodes.lazy().filter(pl.col("column") == c).select("id", _NODE)
        frame = (
            frame.join(codes, left_on=c, right_on="id", how="left", maintain_order="left")
            .drop(c)
            .rename({_NODE: c})
        )
    return frame.select(pl.col(present).cast(pl.Int64))


def _edges(coded: list[pl.DataFrame], present: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs of ids written on one row (higher-priority id first)."""
    pairs = [
        frame.select(pl.col(a).alias("src"), pl.col(b).alias("dst")).drop_nulls()
        for frame, names in zip(coded, present, strict=True)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    ]
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    edges = pl.concat(pairs).unique()
    return edges.get_column("src").to_numpy(), edges.get_column("dst").to_numpy()


def _customers(
    coded: list[pl.DataFrame],
    present: list[list[str]],
    head: np.ndarray,
    refused: np.ndarray,
) -> tuple[int, int]:
    """Distinct customers over all rows: each row's first id as is, then stitched (the
    group of its first id that is not refused, else its first id: as :func:`apply` does)."""
    count = head.size
    firsts, customers = np.zeros(count, dtype=bool), np.zeros(count, dtype=bool)
    for frame, names in zip(coded, present, strict=True):
        nodes = [frame.get_column(c).fill_null(-1).to_numpy() for c in names]
        first = np.full(frame.height, -1, dtype=np.int64)
        customer = np.full(frame.height, -1, dtype=np.int64)
        for node in nodes:
            first = np.where(first < 0, node, first)
            usable = (customer < 0) & (node >= 0)
            usable[usable] &= ~refused[node[usable]]
            customer[usable] = head[node[usable]]
        customer = np.where(customer < 0, first, customer)
        firsts[first[first >= 0]] = True
        customers[customer[customer >= 0]] = True
    # group names are unique (see _names): distinct head nodes are distinct customers
    return int(firsts.sum()), int(customers.sum())


def apply(frame: Frame, stitched: Stitched, columns: Sequence[str] | None = None) -> Frame:
    """``frame`` with ``customer_id`` set from its id columns (a new frame; input unchanged).

    A row's customer is the group of its first id (in priority order) that was not refused;
    a row whose ids were all refused keeps its first id as customer; a row without any id
    keeps the ``customer_id`` it had (null when it had none). A frame without any id column
    is returned as it is.

    Examples
    --------
    >>> import polars as pl
    >>> survey = pl.DataFrame({"email": ["e1", "unknown"], "user_id": ["u1", None]})
    >>> stitched = stitch({"surveys": survey}, ["user_id", "email"])
    >>> apply(survey, stitched)["customer_id"].to_list()
    ['u1', 'unknown']
    """
    columns = stitched.columns if columns is None else tuple(columns)
    names = frame.collect_schema().names()
    present = [c for c in columns if c in names]
    if not present:
        return frame
    lazy = frame.lazy()
    keys, usable, owned = [], [], []
    for index, c in enumerate(present):
        key, customer, refused = (f"__cx_key{index}", f"__cx_cust{index}", f"__cx_ref{index}")
        codes = stitched.mapping.lazy().filter(pl.col("column") == c)
        lazy = lazy.with_columns(_ids(c).alias(key)).join(
            codes.select(
                pl.col("id").alias(key),
                pl.col("customer_id").alias(customer),
                pl.col("refused").alias(refused),
            ),
            on=key,
            how="left",
            maintain_order="left",
        )
        keys += [key, customer, refused]
        usable.append(pl.when(~pl.col(refused)).then(pl.col(customer)))
        owned.append(pl.col(customer))
    previous = [pl.col("customer_id").cast(pl.String)] if "customer_id" in names else []
    lazy = lazy.with_columns(pl.coalesce([*usable, *owned, *previous]).alias("customer_id"))
    lazy = lazy.drop(keys)
    if "customer_id" not in names:
        lazy = lazy.select("customer_id", *names)
    return lazy_like(lazy, frame)


_DIGITS = re.compile(r"\D")


def hash_ids(
    frame: Frame,
    columns: Sequence[str],
    *,
    key: str | bytes | None = None,
    placeholders: Sequence[str] = DEFAULT_PLACEHOLDERS,
) -> Frame:
    """``columns`` replaced by keyed hashes (:func:`cxlib.privacy.keyed_hashes`), after
    normalizing: emails (a name with ``mail``) trimmed and lower-cased, phone numbers (a
    name with ``phone``, ``mobile`` or ``tel``) reduced to their digits. Placeholder values
    stay as they are (they are not personal and must still be recognized as placeholders).

    Examples
    --------
    >>> import polars as pl
    >>> people = pl.DataFrame({"email": [" A@B.vn", "a@b.vn", "unknown"]})
    >>> hashed = hash_ids(people, ["email"], key="k")["email"].to_list()
    >>> hashed[0] == hashed[1], hashed[0].startswith("h-"), hashed[2]
    (True, True, 'unknown')
    """
    names = frame.collect_schema().names()
    lowered = [p.lower() for p in placeholders]
    out = []
    for c in (c for c in columns if c in names):
        text = _ids(c)
        if "mail" in c.lower():
            text = text.str.to_lowercase()
        elif any(word in c.lower() for word in ("phone", "mobile", "tel")):
            digits = text.str.replace_all(_DIGITS.pattern, "")
            text = pl.when(digits != "").then(digits)
        hashed = text.map_batches(lambda s: keyed_hashes(s, key=key), return_dtype=pl.String)
        out.append(
            pl.when(text.str.to_lowercase().is_in(lowered)).then(text).otherwise(hashed).alias(c)
        )
    return frame.with_columns(out) if out else frame
