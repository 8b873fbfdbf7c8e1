"""Sorted event logs for the polars fast paths of ``transitions``, ``path_variants`` and
``retention`` (private; the portable narwhals plans in ``_paths`` and ``_retention`` define
the answers, and the tests hold these paths to them).

Two ways to put a customer's events side by side, then let NumPy or plain column arithmetic
read neighbours instead of running window functions:

* :func:`sort_by_customer` — one sort of one 126-bit key per event (two seeded hashes of the
  customer, then caller-packed fields). Fastest at scale; used without sessions.
* :func:`sort_by_journey` — a plain polars sort by customer, session, time and touchpoint
  name, for logs cut into sessions (a session id does not fit in the packed key).
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
