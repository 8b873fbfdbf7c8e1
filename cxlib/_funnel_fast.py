"""Polars + NumPy fast path for sequential funnels: sort once, then follow chains by position.

Same semantics and answer as the portable engine in :mod:`cxlib._funnel_engine` (the tests
run both against the brute-force reference). Only funnel events are kept, sorted by
(customer, time, step). Then "the first step-k event at or after this one, of the same
customer" is the first step-k *position* at or after this position, plus a check that it
belongs to the same customer; ties in time are in order because a lower step sorts first.
Every step-1 event is an attempt; its greedy chain (earliest next step, which is exact
because steps do not share touchpoints) is followed for all attempts at once, one lookup
per step in a "next step-k position" table (a reverse running minimum over positions). The
counted attempt of a customer (or of a customer and period) is the earliest one that reaches
the furthest step.

The sort is most of the work. Each event becomes one 128-bit number, ``customer hash prefix
| time << shift | step | row``, and the numbers are sorted as Decimal128 values: polars sorts
a single fixed-width column several times faster than rows on two keys (0.15 s against
0.7 s for 5.6M events here), and the row number packed in the low bits says where each event
came from, so nothing else is moved.

Customers are grouped by a 64-bit hash of their id (its first 40-64 bits in the packed
number: as many as the time span and row count leave room for). A second, independently
seeded hash must be constant inside every group: if a prefix is shared by two ids, events are
sorted again on the full hash; if the full hash is shared, the caller uses the portable
engine. Two ids would have to collide in both hashes (about 2**-128 per pair) to be merged
unnoticed.

Inputs of more than ``BUCKET_ROWS`` rows are processed in buckets of customers (one pass
over the input each, memory handed back in between), so the working memory follows the
bucket, not the input: 50M touchpoints from Parquet stay near 1.2 GB. Counting the rows
runs the input's plan once (metadata only for a Parquet scan).
"""

from __future__ import annotations

import contextlib
import ctypes
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl
import pyarrow as pa

from cxlib._engine import CUSTOMER, period_start

GROUP_SEED, CHECK_SEED = 0, 0x9E3779B97F4A7C15
BUCKET_ROWS = 8_000_000  # input rows per pass (~1 GB working memory); more are split by customer
PARALLEL_MIN = 100_000  # attempts worth following in two threads
MIN_PREFIX_BITS, MAX_PREFIX_BITS = 40, 64  # hash prefix lengths worth packing in the sort key
VALUE_BITS = 126  # packed values stay below 2**126 < 10**38 (valid Decimal128)
MAX_STEPS = 100  # steps are int8 here; longer funnels take the portable engine


def group_hash() -> pl.Expr:
    """The 64-bit hash customers are grouped by (tests replace it to force collisions)."""
    return pl.col(CUSTOMER).hash(GROUP_SEED)


def sequential_counted(
    events: pl.LazyFrame,
    n: int,
    window: int | None,
    props: list[str],
    *,
    attempt: str,
    period: int | None,
) -> pl.DataFrame | None:
    """The counted attempt per customer (and period), or None to use the portable engine.

    ``events`` has ``customer_id``, ``__t`` (µs), ``__s`` (step, 0 for other touchpoints)
    and ``props``; ``period`` is the width (µs) of ``every``'s periods. Columns out:
    customer_id, ``__a``, ``__p_*``, ``__t1..__tn`` (null when not reached), ``__K`` and,
    with a period, ``__period``.
    """
    if n > MAX_STEPS:
        return None
    shift = max(n.bit_length(), 1)
    rows = events.select(pl.len()).collect().item()
    buckets = max(1, math.ceil(rows / BUCKET_ROWS))
    parts = []
    for b in range(buckets):
        selected = events.filter(pl.col("__s") > 0)
        if buckets > 1:
            selected = selected.filter(group_hash() % buckets == b)
        frame = selected.select(
            CUSTOMER, *props, "__t", pl.col("__s").cast(pl.Int8),
            group_hash().alias("__h"),
            pl.col(CUSTOMER).hash(CHECK_SEED).alias("__f"),
        ).collect(engine="streaming" if buckets > 1 else "auto")
        part = _counted(frame, n, shift, window, props, attempt=attempt, period=period)
        if part is None:
            return None
        parts.append(part)
        del frame
        if buckets > 1:
            _release_freed_memory()
    return pl.concat(parts) if len(parts) > 1 else parts[0]


def _release_freed_memory() -> None:
    """Hand memory freed by the last bucket back to the OS (glibc keeps it otherwise).

    Without this, buckets of NumPy temporaries accumulate in glibc's arenas and the process
    grows by ~150 MB per bucket. No-op where ``malloc_trim`` does not exist (not glibc).
    """
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None).malloc_trim(0)


def _counted(
    frame: pl.DataFrame,
    n: int,
    shift: int,
    window: int | None,
    props: list[str],
    *,
    attempt: str,
    period: int | None,
) -> pl.DataFrame | None:
    """:func:`sequential_counted` for the funnel events of one bucket of customers."""
    schema = {CUSTOMER: frame.schema[CUSTOMER], "__a": pl.Int64}
    schema |= {f"__p_{p}": frame.schema[p] for p in props}
    schema |= {f"__t{k}": pl.Int64 for k in range(1, n + 1)} | {"__K": pl.Int32}
    schema |= {"__period": pl.Int64} if period else {}
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    if frame["__t"].null_count():
        return None  # events without a time: the portable engine decides
    limit = 1 << (62 - shift)
    t = frame["__t"].to_numpy()
    low, high = int(t.min()), int(t.max())
    if low <= -limit or high >= limit:
        return None  # time << shift would overflow
    ordered = _ordered(frame, shift, low, high)
    if ordered is None:
        return None
    h, t, step, index = ordered
    small = np.int32 if len(step) < 2**31 else np.int64  # narrower positions: less to move
    starts = np.flatnonzero(step == 1).astype(small)
    if len(starts) == 0:
        return pl.DataFrame(schema=schema)
    a, hs = t[starts], h[starts]
    new = np.empty(len(starts), bool)
    new[:1] = True
    new[1:] = hs[1:] != hs[:-1]
    periods = None
    if period:
        periods = period_start(a, period)
        new[1:] |= periods[1:] != periods[:-1]
    first_of_group = np.flatnonzero(new)
    following = _following(step, n, small)
    if attempt == "first":
        pick = first_of_group
    else:
        reached = _furthest(h, t, following, starts, window)
        best = np.maximum.reduceat(reached, first_of_group)
        group = np.cumsum(new) - 1
        hit = np.flatnonzero(reached == best[group])
        pick = hit[np.r_[True, group[hit[1:]] != group[hit[:-1]]]]
    chosen = starts[pick]
    reached, times = _chains(h, t, following, chosen, window, times=True)
    never = np.iinfo(np.int64).min
    columns = [
        frame[CUSTOMER].gather(index[chosen]),
        pl.Series("__a", times[0]),
        *_start_properties(frame, index, starts, pick, props, h, t),
        *[pl.Series(f"__t{k}", times[k - 1]) for k in range(1, n + 1)],
        pl.Series("__K", reached, dtype=pl.Int32),
        *([pl.Series("__period", periods[pick])] if period else []),
    ]
    return pl.DataFrame(columns).with_columns(
        pl.when(pl.col(f"__t{k}") != never).then(pl.col(f"__t{k}")).alias(f"__t{k}")
        for k in range(2, n + 1)
    )


def _ordered(
    frame: pl.DataFrame, shift: int, first: int, last: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Funnel events by customer, then time, then step: (customer, time, step, row) arrays.

    One 128-bit value per event, ``hash prefix | time << shift | step | row``, sorted as
    numbers: several times faster than sorting rows on two keys. The hash prefix is as long as
    the other fields leave room for; if two customers share it (the check hash differs inside
    one group), or too little room is left, events are sorted on the full hash instead.
    Returns None when two ids share the full hash too. ``first`` and ``last`` bound ``__t``.
    """
    n = frame.height
    key = pl.col("__t") * (1 << shift) + pl.col("__s").cast(pl.Int64)
    low, high = first << shift, (last << shift) | ((1 << shift) - 1)
    index_bits, key_bits = max(1, (n - 1).bit_length()), max(1, (high - low).bit_length())
    hash_bits = min(MAX_PREFIX_BITS, VALUE_BITS - index_bits - key_bits)
    check = frame["__f"].to_numpy()
    ordered = None
    if hash_bits >= MIN_PREFIX_BITS:
        u = np.uint64
        keys = ((frame["__t"].to_numpy() - first) << shift).view(u)
        keys |= frame["__s"].to_numpy().astype(u)
        words = _pack(
            frame["__h"].to_numpy() >> u(64 - hash_bits),
            keys,
            np.arange(n, dtype=u),
            index_bits,
            key_bits,
        )
        words = _sort_words(words)  # the unsorted words are freed here
        who, keys, index = _unpack(words, index_bits, key_bits)
        del words
        keys += low
        ordered = who, keys, index
    if ordered is None or _collides(ordered[0], check[ordered[2]]):
        fields = frame.select(
            "__h", key.alias("__k"), pl.int_range(pl.len(), dtype=pl.Int64).alias("__i")
        ).sort("__h", "__k")
        ordered = tuple(fields[c].to_numpy() for c in ("__h", "__k", "__i"))
        if _collides(ordered[0], check[ordered[2]]):
            return None
    who, keys, index = ordered
    return who, keys >> shift, (keys & ((1 << shift) - 1)).astype(np.int8), index


def _pack(
    prefix: np.ndarray, keys: np.ndarray, rows: np.ndarray, index_bits: int, key_bits: int
) -> np.ndarray:
    """Values ``prefix | key | row`` (fields low to high: row, key, prefix) as (low, high)
    64-bit word pairs, one row per event: the memory layout of a 128-bit integer."""
    u = np.uint64
    top = index_bits + key_bits
    words = np.empty((len(rows), 2), u)
    low, high = words[:, 0], words[:, 1]
    np.bitwise_or(rows, keys << u(index_bits), out=low)
    np.right_shift(keys, u(64 - index_bits), out=high)  # 1 <= index_bits <= 63
    if top < 64:
        low |= prefix << u(top)
        high |= prefix >> u(64 - top)
    else:
        high |= prefix << u(top - 64)
    return words


class _ArrowArray:
    """An Arrow array seen only through the Arrow PyCapsule interface.

    ``pl.Series(pyarrow_array)`` imports ``pyarrow.compute`` (~90 ms, once per process);
    the capsule path hands the same buffers over without it.
    """

    def __init__(self, array: pa.Array) -> None:
        self.array = array

    def __arrow_c_array__(self, requested_schema: object = None) -> object:
        return self.array.__arrow_c_array__(requested_schema)


def _sort_words(words: np.ndarray) -> np.ndarray:
    """Sort 128-bit values given as (low, high) word pairs; polars sorts them as Decimal128.

    Values stay below ``2**VALUE_BITS`` < 10**38, so they are valid, non-negative decimals.
    """
    values = pa.Array.from_buffers(pa.decimal128(38, 0), len(words), [None, pa.py_buffer(words)])
    ordered = pl.Series(_ArrowArray(values)).sort().to_arrow()
    raw = np.frombuffer(ordered.buffers()[1], dtype=np.uint64).reshape(-1, 2)
    return raw[ordered.offset : ordered.offset + len(words)]


def _unpack(
    words: np.ndarray, index_bits: int, key_bits: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split (low, high) word pairs into (prefix, key, row) fields: the inverse of _pack."""
    u = np.uint64
    low, high = words[:, 0], words[:, 1]
    index = (low & u((1 << index_bits) - 1)).astype(np.int64)
    keys = low >> u(index_bits)
    keys |= high << u(64 - index_bits)  # 1 <= index_bits <= 63
    if key_bits < 64:
        keys &= u((1 << key_bits) - 1)
    top = index_bits + key_bits
    if top >= 64:
        prefix = high >> u(top - 64)
    else:
        prefix = high << u(64 - top)
        prefix |= low >> u(top)
    return prefix, keys.view(np.int64), index


def _collides(who: np.ndarray, check: np.ndarray) -> bool:
    """Two ids in one customer group: the independently seeded check hash differs inside it."""
    return bool(np.any((who[1:] == who[:-1]) & (check[1:] != check[:-1])))


def _following(step: np.ndarray, n: int, dtype: type) -> list[np.ndarray]:
    """Per step k >= 2: for every position, the first position at or after it holding a
    step-k event (of any customer; ``len(step)`` if none). One reverse running minimum."""
    size = len(step)
    everywhere = np.arange(size, dtype=dtype)
    tables = []
    for k in range(2, n + 1):
        marked = np.where(step == k, everywhere, dtype(size))
        tables.append(np.minimum.accumulate(marked[::-1])[::-1])
    return tables


def _furthest(
    h: np.ndarray, t: np.ndarray, following: list[np.ndarray], starts: np.ndarray,
    window: int | None,
) -> np.ndarray:
    """Furthest step of every attempt; two threads (NumPy releases the GIL) on large inputs."""
    if len(starts) < PARALLEL_MIN:
        return _chains(h, t, following, starts, window, times=False)[0]
    def follow(part: np.ndarray) -> np.ndarray:
        return _chains(h, t, following, part, window, times=False)[0]

    with ThreadPoolExecutor(2) as pool:
        return np.concatenate(list(pool.map(follow, np.array_split(starts, 2))))


def _chains(
    h: np.ndarray,
    t: np.ndarray,
    following: list[np.ndarray],
    starts: np.ndarray,
    window: int | None,
    *,
    times: bool,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Furthest step of each attempt (start positions), and the time of each step.

    ``following`` as made by :func:`_following`. Times of steps not reached are the minimum
    int64.
    """
    m, size = len(starts), len(t)
    reached = np.ones(m, np.int32)
    never = np.iinfo(np.int64).min
    out = [t[starts]] if times else []
    alive = np.arange(m, dtype=starts.dtype)
    where, start_time, who = starts, t[starts], h[starts]
    for k, table in enumerate(following, start=2):
        if len(alive):
            nxt = table[where]
            ok = nxt < size
            np.minimum(nxt, size - 1, out=nxt)
            ok &= h[nxt] == who
            if window is not None:
                ok &= (t[nxt] - start_time) <= window
            alive, where, start_time, who = alive[ok], nxt[ok], start_time[ok], who[ok]
            reached[alive] = k
        if times:
            column = np.full(m, never)
            column[alive] = t[where]
            out.append(column)
    return reached, out


def _start_properties(
    frame: pl.DataFrame,
    index: np.ndarray,
    starts: np.ndarray,
    pick: np.ndarray,
    props: list[str],
    h: np.ndarray,
    t: np.ndarray,
) -> list[pl.Series]:
    """Property values of each counted attempt's step-1 event.

    Several step-1 events of one customer at the same time are one attempt; its value is
    the smallest non-null one among them (as in the portable engine).
    """
    if not props:
        return []
    rows = pl.Series(index[starts[pick]])
    same = (h[starts][1:] == h[starts][:-1]) & (t[starts][1:] == t[starts][:-1])
    if not same.any():
        return frame.select(pl.col(p).gather(rows).alias(f"__p_{p}") for p in props).get_columns()
    run = np.cumsum(np.r_[True, ~same]) - 1  # attempts sharing (customer, time)
    members = pl.DataFrame({"__r": run, "__i": index[starts]})
    values = (
        members.with_columns(frame.select(pl.col(p).gather(members["__i"]) for p in props))
        .group_by("__r")
        .agg(pl.col(p).min().alias(f"__p_{p}") for p in props)
    )
    picked = pl.DataFrame({"__r": run[pick]})
    joined = picked.join(values, on="__r", how="left", maintain_order="left")
    return joined.drop("__r").get_columns()
