"""Sorted event logs for the polars fast paths of ``transitions``, ``path_variants`` and
``retention`` (private; the portable narwhals plans in ``_paths`` and ``_retention`` define
the answers, and the tests hold these paths to them).

Two ways to put a customer's events side by side, then let NumPy or plain column arithmetic
read neighbours instead of running window functions:

* :func:`sort_by_customer` — one sort of one 126-bit key per event (two seeded hashes of the
  customer, then caller-packed fields). Fastest at scale; used without sessions.
* :func:`sort_by_journey` — a plain polars sort by customer, session, time and touchpoint
  name, for logs cut into sessions (a session id does not fit in the packed key).

Logs in that order are then read without sorting again: :func:`count_pairs` counts the
directly-follows pairs, :func:`ordered_paths` joins each journey's touchpoints into a path.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from cxlib._engine import CUSTOMER

# A customer is IDENTITY_BITS+ bits of two seeded 64-bit hashes (merge odds < 2**-72).
HASH_SEEDS = (0x5EED, 0x9E3779B97F4A7C15)
IDENTITY_BITS = 72


class _Capsule:
    """An Arrow array as a PyCapsule only: ``pl.Series`` skips importing pyarrow.compute."""

    def __init__(self, array: pa.Array) -> None:
        self.__arrow_c_array__ = array.__arrow_c_array__


def sort_by_customer(
    events: pl.LazyFrame, fields: pl.Expr, width: int, *, distinct: bool = False
) -> tuple[np.ndarray, np.ndarray] | None:
    """Sorted by customer, then ``fields`` (in [0, 2**width)): whether each event is its
    customer's first, and its ``fields``; ``distinct`` drops repeats. None when fewer than
    ``IDENTITY_BITS`` are left for the customer. Each event is one number below 2**126,
    ``hash 1 (62 bits) | hash 2 (bits left) | fields``, sorted by polars as a Decimal128:
    one fixed-width column sorts several times faster than rows on several keys."""
    spare = 62 - width  # bits of the second hash
    if 62 + spare < IDENTITY_BITS:
        return None
    u = pl.UInt64
    h0, h1 = (pl.col(CUSTOMER).hash(seed) for seed in HASH_SEEDS)
    halves = events.select(
        (h1 // pl.lit(1 << (64 - spare), u) * pl.lit(1 << width, u) + fields.cast(u)).alias("lo"),
        (h0 // pl.lit(4, u)).alias("hi"),
    ).collect()
    words = np.column_stack([halves["lo"].to_numpy(), halves["hi"].to_numpy()])  # int128 layout
    del halves
    values = pa.Array.from_buffers(pa.decimal128(38, 0), len(words), [None, pa.py_buffer(words)])
    ordered = pl.Series(_Capsule(values)).sort().to_arrow()
    del words, values
    raw = np.frombuffer(ordered.buffers()[1], np.uint64).reshape(-1, 2)
    low, high = (raw[ordered.offset : ordered.offset + len(ordered), i] for i in (0, 1))
    if distinct:
        keep = changes(low, high)
        low, high = low[keep], high[keep]
    return changes(high, low >> np.uint64(width)), low & np.uint64((1 << width) - 1)


def changes(*columns: np.ndarray) -> np.ndarray:
    """True at the first position and wherever one of ``columns`` differs from the one before."""
    out = np.ones(len(columns[0]), bool)
    out[1:] = np.logical_or.reduce([column[1:] != column[:-1] for column in columns])
    return out


def bits_for(largest: int) -> int:
    """Bits that hold 0..``largest`` (at least one)."""
    return max(int(largest).bit_length(), 1)


def sort_by_journey(events: pl.LazyFrame, session: str | None, gap: int | None) -> pl.DataFrame:
    """``events`` (``customer_id``, ``__t``, ``touchpoint``[, ``session``]) in journey order,
    collected, with the flags the portable ``sequences`` computes with windows.

    Sorted by customer, then ``__lone`` (no session id) and ``__session`` (the id as text,
    as the portable plan groups it), then time and touchpoint name. Each customer, session
    pair (the *partition*) is contiguous, so "the previous event of my partition" is the row
    above unless the partition starts here. Flags: ``__first`` (a customer's first event),
    ``__part`` (a partition's first), ``__new`` (starts a journey: a new partition, an event
    without session id, or a pause longer than ``gap`` µs). Ties in all sort keys are
    indistinguishable rows, so the order is unique in what it shows.
    """
    columns, partition = [pl.col(CUSTOMER), pl.col("__t"), pl.col("touchpoint")], [CUSTOMER]
    if session is not None:
        columns += [
            pl.col(session).is_null().alias("__lone"),
            pl.col(session).cast(pl.String).fill_null("").alias("__session"),
        ]
        partition += ["__lone", "__session"]
    ordered = events.select(columns).sort([*partition, "__t", "touchpoint"])

    def moved(names: list[str]) -> pl.Expr:  # differs from the row above (the first row: True)
        return pl.any_horizontal([pl.col(name).ne_missing(pl.col(name).shift(1)) for name in names])

    new = pl.col("__part")
    if session is not None:
        new = new | pl.col("__lone")
    if gap is not None:
        new = new | ((pl.col("__t") - pl.col("__t").shift(1)) > gap).fill_null(True)
    return (
        ordered.with_columns(moved([CUSTOMER]).alias("__first"), moved(partition).alias("__part"))
        .with_columns(new.alias("__new"))
        .collect()
    )


def ordered_paths(steps: pl.DataFrame, keys: list[str], label: str, separator: str) -> pl.DataFrame:
    """One row per journey of ``steps`` already in journey order (each journey's rows
    contiguous, in step order): its ``keys`` and ``__path``, the ``label`` values joined
    with ``separator``. Journeys become lists of small label codes cut at their first rows
    (no group-by, no sort), and each distinct list is joined into text once."""
    starts = np.flatnonzero(changes(*[steps.get_column(key).to_numpy() for key in keys]))
    names = steps.get_column(label).unique().drop_nulls().sort().to_list()
    codes = steps.get_column(label).cast(pl.Enum(names)).to_physical()
    offsets = pa.array(np.append(starts, steps.height).astype(np.int64))
    lists = pa.LargeListArray.from_arrays(offsets, codes.to_arrow())
    journeys = steps.select(keys).gather(starts).with_columns(__codes=pl.Series(_Capsule(lists)))
    text = dict(enumerate(names))
    distinct = journeys.select(pl.col("__codes").unique()).with_columns(
        pl.col("__codes")
        .list.eval(pl.element().replace_strict(text, return_dtype=pl.String))
        .list.join(separator)
        .alias("__path")
    )
    return journeys.join(distinct, on="__codes", how="left", nulls_equal=True).drop("__codes")


def count_pairs(
    first: np.ndarray, new: np.ndarray, t: np.ndarray, code: np.ndarray, labels: list[str]
) -> pl.DataFrame:
    """The graph from events in journey order: ``first`` / ``new`` flag a customer's / a
    journey's first event, ``code`` indexes ``labels`` (the touchpoints, then the start and
    end markers); each event's pair is (its touchpoint, the next one's or the end marker),
    plus (the start marker, first) per journey."""
    follows = ~new[1:]  # event i + 1 continues event i's journey
    width = len(labels)  # touchpoint codes, then (start) and (end)
    target = np.full(len(code), width - 1)
    target[:-1][follows] = code[1:][follows]
    pairs = np.concatenate([code * width + target, (width - 2) * width + code[new]])
    customer, size = np.cumsum(first) - 1, width * width
    customer = np.concatenate([customer, customer[new]])
    transitions = np.bincount(pairs, minlength=size)
    seen = pl.Series(customer * size + pairs).sort().to_numpy()  # distinct (customer, pair)
    customers = np.bincount(seen[changes(seen)] % size, minlength=size)
    gaps = pl.DataFrame({"__pair": pairs[: len(code) - 1][follows], "__gap": np.diff(t)[follows]})
    medians = gaps.group_by("__pair").agg(pl.col("__gap").median().cast(pl.Float64))
    present = np.flatnonzero(transitions)
    graph = pl.DataFrame(
        {
            "source": pl.Series([labels[i // width] for i in present], dtype=pl.String),
            "target": pl.Series([labels[i % width] for i in present], dtype=pl.String),
            "transitions": transitions[present].astype(np.int64),
            "customers": customers[present].astype(np.int64),
            "__pair": present.astype(np.int64),
        }
    )
    return graph.join(medians.cast({"__pair": pl.Int64}), on="__pair", how="left").drop("__pair")
