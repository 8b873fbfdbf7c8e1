"""Polars + NumPy fast path for sequential funnels: sort once, then follow chains by position.

Same semantics and answer as the portable engine in :mod:`cxlib.journey.funnel._portable` (the tests
run both against the brute-force reference). Only funnel events are kept, sorted by
(customer, time, step). Then "the first step-k event at or after this one, of the same
customer" is the first step-k *position* at or after this position, plus a check that it
belongs to the same customer; ties in time are in order because a lower step sorts first.
Every step-1 event is an attempt; its greedy chain (earliest next step, which is exact
because steps do not share touchpoints) is followed for all attempts at once, one lookup
per step in a "next step-k position" table (each step-k position repeated over the gap
before it). The counted attempt of a customer (or of a customer and period) is the earliest
one that reaches the furthest step. A customer's chains never leave the customer's events,
so the sorted events are cut into blocks at customer boundaries, each with its own small
tables.

The sort is most of the work. Each event becomes one 128-bit number, ``customer hash prefix
| time << shift | step | row``, and the numbers are sorted as Decimal128 values: polars sorts
a single fixed-width column several times faster than rows on two keys (0.15 s against
0.7 s for 5.6M events here), and the row number packed in the low bits says where each event
came from, so nothing else is moved.

Customers are grouped by a 64-bit hash of their id (its first 40-64 bits in the packed
number: as many as the time span and row count leave room for). The low 32 bits of a second,
independently seeded hash must be constant inside every group: if a prefix is shared by two
ids, events are sorted again on the full hash; if the full hash is shared, the caller uses
the portable engine. Two ids are merged unnoticed only if they share both the prefix and those
32 bits: 2**-(prefix bits + 32) per pair, at most 2**-72 (2**-87 for 10M touchpoints over a
year, whose prefix is 55 bits). 32 bits rather than 64 halve the randomly gathered array:
the check's gather took 49 against 92 ms for 5.6M events, one thread.

The NumPy passes over events and attempts (packing, unpacking, the prefix check, the
blocks of chains) run on slices in ``THREADS`` threads (:mod:`._kernel`): NumPy releases
the GIL inside its loops. Packing and unpacking (with the prefix check) go through their slice in
blocks of ``BLOCK`` events, reusing small temporaries: on a machine where fresh memory is
expensive (each new page is a fault), temporaries the size of the input cost more than the
arithmetic.

Inputs with more than ``BUCKET_EVENTS`` funnel events are processed in buckets of customers,
so the working memory follows the bucket, not the input. A scan is first counted (one pass
that reads only the touchpoints: 20 ms for 10M rows of Parquet), then read once per bucket,
memory handed back in between: 50M touchpoints from Parquet stay under 1 GB. A DataFrame's
funnel events are selected in one pass and split into buckets.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
from collections.abc import Callable, Collection, Iterator

import numpy as np
import polars as pl
import pyarrow as pa

from cxlib._engine import CUSTOMER, period_start
from cxlib.journey.funnel._kernel import (
    first_at_group_max,
    follow_chains,
    gather,
    next_marked,
    parallel,
    slices,
)

GROUP_SEED, CHECK_SEED = 0, 0x9E3779B97F4A7C15
BUCKET_EVENTS = 6_000_000  # funnel events per bucket (~0.5 GB working memory)
# Elements per block of the packing passes: their temporaries (512 KB each) stay in cache and
# are reused; one temporary per pass over millions of events costs more in fresh pages
# (page faults) than in arithmetic.
BLOCK = 1 << 16
# Events per block of the chain passes (cut at customer boundaries): their next-step tables
# and attempt arrays stay in cache and are reused.
CHAIN_BLOCK = 1 << 16
_ROWS = np.arange(BLOCK, dtype=np.uint64)
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
    in_memory: bool = False,
    members: Collection[str] = (),
) -> pl.DataFrame | None:
    """The counted attempt per customer (and period), or None to use the portable engine.

    ``events`` has ``customer_id``, ``__t`` (µs), ``__s`` (step, 0 for other touchpoints)
    and ``props``; ``period`` is the width (µs) of ``every``'s periods. Columns out:
    customer_id, ``__a``, ``__p_*``, ``__t1..__tn`` (null when not reached), ``__K`` and,
    with a period, ``__period``.

    ``in_memory``: ``events`` reads a DataFrame, so its funnel events are selected once and
    split into buckets of ``BUCKET_EVENTS`` events; otherwise (a scan) the funnel events are
    counted first and each bucket is one pass over the input. ``members``: the funnel's
    touchpoints, if known; the funnel events are selected by them (one lookup per row; the
    step index compares once per step: counting 10M rows of Parquet took 38 against 73 ms).
    """
    if n > MAX_STEPS:
        return None
    shift = max(n.bit_length(), 1)
    funnel_events = events.filter(pl.col("__s") > 0)
    # On a scan, the funnel's touchpoints select the same events, and as a filter on an input
    # column polars applies it while reading (decoding the other columns of matching rows
    # only): counting them, and selecting them in one pass, is faster (10M rows of Parquet:
    # 105 against 130-170 ms). With the bucket's hash filter too, it was slower (50M rows in
    # 5 passes: 6.0-6.5 against 5.3-5.5 s); on a DataFrame too (176-189 against 115 ms).
    by_members = events.filter(pl.col("touchpoint").is_in(members)) if members else funnel_events

    def selected(frame: pl.LazyFrame) -> pl.LazyFrame:
        return frame.select(
            CUSTOMER,
            *props,
            "__t",
            pl.col("__s").cast(pl.Int8),  # (int8 already)
            group_hash().alias("__h"),
            pl.col(CUSTOMER).hash(CHECK_SEED).alias("__f"),
        )

    if in_memory:
        # polars' default engine streams; on data in memory its in-memory engine is faster
        # here (170 against 220-300 ms at 10M touchpoints)
        everything = selected(funnel_events).collect(engine="in-memory")
        buckets = max(1, math.ceil(everything.height / BUCKET_EVENTS))
        frames = (
            (everything.filter(pl.col("__h") % buckets == b) for b in range(buckets))
            if buckets > 1
            else [everything]
        )
    else:  # a scan streams: the memory follows the bucket, not the input
        count = by_members.select(pl.len()).collect(engine="streaming").item()
        buckets = max(1, math.ceil(count / BUCKET_EVENTS))
        frames = (  # each pass hashes every id once, and only its bucket's twice
            selected(
                funnel_events.filter(group_hash() % buckets == b) if buckets > 1 else by_members
            ).collect(engine="streaming")
            for b in range(buckets)
        )
    parts = []
    for frame in frames:
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
    ordered = _ordered(frame, shift)
    if ordered is None:
        return None
    customer, t, step, index = ordered
    found = _attempts(customer, t, step, n, window, attempt=attempt, period=period)
    if found is None:
        return pl.DataFrame(schema=schema)
    chosen, pick, reached, times, periods = found
    never = t[-1]  # the sentinel's time: times of steps not reached
    columns = [
        gather(frame[CUSTOMER], index[chosen]),
        pl.Series("__a", times[0]),
        *_start_properties(frame, index, step, pick, props, customer, t),
        *[pl.Series(f"__t{k}", times[k - 1]) for k in range(1, n + 1)],
        pl.Series("__K", reached, dtype=pl.Int32),
        *([pl.Series("__period", periods)] if period else []),
    ]
    return pl.DataFrame(columns).with_columns(
        pl.when(pl.col(f"__t{k}") != never).then(pl.col(f"__t{k}")).alias(f"__t{k}")
        for k in range(2, n + 1)
    )


def _attempts(
    customer: np.ndarray,
    t: np.ndarray,
    step: np.ndarray,
    n: int,
    window: int | None,
    *,
    attempt: str,
    period: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray], np.ndarray | None] | None:
    """The counted attempt of every customer (and period): (its step-1 position, its index
    among all step-1 events, furthest step, time of each step (the sentinel's when not
    reached), entry period), or None when no event is a step-1 event.

    The sorted events are cut into blocks of about ``CHAIN_BLOCK`` events at customer
    boundaries; a customer's chains stay inside its block, so each block builds its own
    next-step tables and follows its own chains, and the blocks are shared among threads.
    Every temporary is block-sized (reused, in cache): tables over all events were
    ``steps - 1`` fresh arrays the size of the input.
    """
    size = len(step)
    ends = np.searchsorted(
        customer[:size], customer[CHAIN_BLOCK:size:CHAIN_BLOCK], side="right"
    )  # where the customer at each multiple of CHAIN_BLOCK ends
    bounds = np.unique(np.r_[0, ends, size])
    blocks = list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))
    never = t[-1]

    def one(a: int, b: int) -> tuple | None:
        # positions are local to the block; position b (the next customer's first event, or
        # the sentinel) is the block's sentinel: its customer is no one's in the block
        c, tt, st = customer[a : b + 1], t[a : b + 1], step[a:b]
        starts = np.flatnonzero(st == 1)
        if len(starts) == 0:
            return None
        owners = c[starts]
        new = np.empty(len(starts), bool)
        new[0] = True
        np.not_equal(owners[1:], owners[:-1], out=new[1:])
        periods = None
        if period:
            periods = period_start(tt[starts], period)
            new[1:] |= periods[1:] != periods[:-1]
        first_of_group = np.flatnonzero(new)
        tables = [next_marked(np.flatnonzero(st == k), b - a + 1, b - a) for k in range(2, n + 1)]
        if attempt == "first":
            pick = first_of_group
            reached, positions = follow_chains(c, tt, tables, starts[pick], window, steps=True)
        else:  # every attempt's chain, then the positions of the counted ones
            furthest, positions = follow_chains(c, tt, tables, starts, window, steps=True)
            pick = first_at_group_max(furthest, first_of_group)
            reached, positions = furthest[pick], [at[pick] for at in positions]
        times = [np.where(at < b - a, tt[at], never) for at in positions]
        return (
            positions[0] + a,
            pick,
            len(starts),
            reached,
            times,
            None if periods is None else periods[pick],
        )

    def run(part: slice) -> list[tuple | None]:
        return [one(a, b) for a, b in blocks[part]]

    found = [r for rs in parallel(run, slices(len(blocks), size)) for r in rs if r is not None]
    if not found:
        return None
    offsets = np.cumsum([0, *[r[2] for r in found[:-1]]])  # step-1 events before each block
    return (
        np.concatenate([r[0] for r in found]),
        np.concatenate([r[1] + offset for r, offset in zip(found, offsets, strict=True)]),
        np.concatenate([r[3] for r in found]),
        [np.concatenate([r[4][k] for r in found]) for k in range(n)],
        np.concatenate([r[5] for r in found]) if period else None,
    )


def _ordered(
    frame: pl.DataFrame, shift: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Funnel events by customer, then time, then step: (customer, time, step, row) arrays.

    One 128-bit value per event, ``hash prefix | time << shift | step | row``, sorted as
    numbers: several times faster than sorting rows on two keys. The hash prefix is as long as
    the other fields leave room for; if two customers share it (the check hash differs inside
    one group), or too little room is left, events are sorted on the full hash instead.
    Returns None when two ids share the full hash too, or when ``__t << shift`` would
    overflow.

    The customer comes back as a run number (0, 1, ... in sorted order) and rows as int32
    below 2**31 events: less memory to move in the chain lookups. Customer and time have one
    more element, the sentinel position of :func:`follow_chains` (customer -1, the smallest
    time). Packing and unpacking run on slices of the events in threads.
    """
    n = frame.height
    small = _position_type(n)
    u = np.uint64
    # the packed fields are read in place, chunk by chunk (to_numpy would copy them whole)
    pieces = _pieces(frame, ["__t", "__h", "__s", "__f"])
    first = min(int(times.min()) for _, (times, *_) in pieces if len(times))
    last = max(int(times.max()) for _, (times, *_) in pieces if len(times))
    limit = 1 << (62 - shift)
    if first <= -limit or last >= limit:
        return None
    low, high = first << shift, (last << shift) | ((1 << shift) - 1)
    index_bits, key_bits = max(1, (n - 1).bit_length()), max(1, (high - low).bit_length())
    hash_bits = min(MAX_PREFIX_BITS, VALUE_BITS - index_bits - key_bits)
    # One buffer holds the packed words and then, once polars has sorted them into its own
    # buffer, the unpacked keys (the time, and a sentinel), rows and customer runs: fresh
    # memory is what costs here, and the unsorted words are not needed after the sort.
    width = np.dtype(small).itemsize
    ends = np.cumsum([8 * (n + 1), width * n, width * (n + 1)])
    buffer = np.empty(max(16 * n, int(ends[-1])), np.uint8)
    keys = buffer[: ends[0]].view(u)
    index, runs_out = buffer[ends[0] : ends[1]].view(small), buffer[ends[1] : ends[2]].view(small)
    step = np.empty(n, np.int8)

    def split(block: slice) -> None:  # sorted keys become the step and, in place, the time
        k = keys[block]
        np.bitwise_and(k, u((1 << shift) - 1), out=step[block], casting="unsafe")
        np.right_shift(k, u(shift), out=k)
        k.view(np.int64)[:] += first

    runs = None
    if hash_bits >= MIN_PREFIX_BITS:
        words = buffer[: 16 * n].view(u).reshape(n, 2)
        check = np.empty(n, np.uint32)  # low 32 bits, one array: gathered at random
        jobs = [
            (start + block.start, block, arrays)
            for start, arrays in pieces
            for block in _blocks(slice(0, len(arrays[0])))
        ]

        def pack(part: list[tuple[int, slice, tuple[np.ndarray, ...]]]) -> None:
            keys, prefix, rank, scratch = _scratch(n, 4)
            for row, block, (times, h, s, f) in part:
                size = block.stop - block.start
                np.copyto(check[row : row + size], f[block], casting="unsafe")
                k, p, r = keys[:size], prefix[:size], rank[:size]
                signed = k.view(np.int64)
                np.subtract(times[block], first, out=signed)
                np.left_shift(signed, shift, out=signed)
                signed |= s[block]
                np.right_shift(h[block], u(64 - hash_bits), out=p)
                np.add(_ROWS[:size], u(row), out=r)
                out = words[row : row + size]
                _pack(p, k, r, index_bits, key_bits, out=out, scratch=scratch[:size])

        parallel(pack, [jobs[part] for part in slices(len(jobs), n)])
        del pieces, jobs
        words = _sort_words(words)  # from here on the buffer holds keys, index and runs

        def unpack(block: slice, groups: np.ndarray) -> np.ndarray:
            _unpack(words[block], index_bits, key_bits, out=(groups, keys[block], index[block]))
            split(block)
            return index[block]

        def at(position: int) -> tuple[int, int]:
            prefix, _, row = _unpack(words[position : position + 1], index_bits, key_bits)
            return prefix[0], row[0]

        runs = _runs_checked(runs_out, check, unpack, at)
        del words
    else:
        check = frame["__f"].rechunk().to_numpy()
    if runs is None:  # sort on the full hash
        key = (pl.col("__t") - first) * (1 << shift) + pl.col("__s").cast(pl.Int64)
        rank = pl.int_range(pl.len(), dtype=pl.Int32 if small is np.int32 else pl.Int64)
        fields = frame.select("__h", key.alias("__k"), rank.alias("__i")).sort("__h", "__k")
        who, index = (fields[c].to_numpy() for c in ("__h", "__i"))
        keys[:n] = fields["__k"].to_numpy().view(u)

        def copy(block: slice, groups: np.ndarray) -> np.ndarray:
            np.copyto(groups, who[block])
            split(block)
            return index[block]

        runs = _runs_checked(
            runs_out, check, copy, lambda position: (who[position], index[position])
        )
        if runs is None:
            return None
    t = keys.view(np.int64)
    t[n] = np.iinfo(np.int64).min
    return runs, t, step, index


def _position_type(size: int) -> type:
    """int32 positions below 2**31 events (half the memory to move), int64 beyond."""
    return np.int32 if size < 2**31 else np.int64


def _runs_checked(
    runs: np.ndarray,
    check: np.ndarray,
    decode: Callable[[slice, np.ndarray], np.ndarray],
    at: Callable[[int], tuple[int, int]],
) -> np.ndarray | None:
    """Number the customer groups of the sorted events (0 for the first, 1 for the next, ...,
    and -1 for a sentinel position after the last), or None when two ids share a group.

    ``decode(block, groups)`` writes the group values (hash prefix or full hash) of the
    sorted events in ``block`` into ``groups`` (and whatever else its pass produces) and
    returns their input rows; ``at(position)`` gives one event's (group value, input row).
    A group is shared when the independently seeded check hash (``check``, in input order)
    differs inside it. One pass in blocks, slices in threads; each slice starts from the
    event before it, so a group split between slices is still checked. The numbers are
    written into ``runs`` (one element per event and one for the sentinel), which is returned.
    """
    size = len(runs) - 1

    def part(rows: slice) -> bool:
        groups = np.empty(min(BLOCK, rows.stop - rows.start) + 1, np.uint64)
        checks = np.empty(len(groups), check.dtype)
        if rows.start:
            group, row = at(rows.start - 1)
            groups[0], checks[0] = group, check[row]
        shared = False
        for block in _blocks(rows):
            m = block.stop - block.start
            np.take(check, decode(block, groups[1 : m + 1]), out=checks[1 : m + 1], mode="clip")
            if block.start == 0:  # the first event starts the first group
                groups[0], checks[0] = groups[1], checks[1]
            same = groups[1 : m + 1] == groups[:m]
            np.logical_not(same, out=runs[block], casting="unsafe")
            shared = shared or bool(np.any(same & (checks[1 : m + 1] != checks[:m])))
            groups[0], checks[0] = groups[m], checks[m]
        return shared

    if any(parallel(part, slices(size))):
        return None
    np.cumsum(runs[:size], out=runs[:size])
    runs[size] = -1
    return runs


def _blocks(rows: slice) -> Iterator[slice]:
    """``rows`` in blocks of BLOCK: a pass's temporaries stay in cache and are reused."""
    return (slice(a, min(a + BLOCK, rows.stop)) for a in range(rows.start, rows.stop, BLOCK))


def _scratch(size: int, count: int) -> list[np.ndarray]:
    """``count`` uint64 work arrays for blocks of ``size`` elements or fewer."""
    return [np.empty(min(BLOCK, size), np.uint64) for _ in range(count)]


def _pieces(frame: pl.DataFrame, names: list[str]) -> list[tuple[int, tuple[np.ndarray, ...]]]:
    """The columns ``names`` as NumPy views of their chunks: (first row, arrays) per chunk.

    No copy when the columns share chunk boundaries (a query's output does); otherwise they
    are rechunked first. The columns must not hold nulls.
    """
    if len({tuple(frame[c].chunk_lengths()) for c in names}) > 1:
        frame = frame.select(names).rechunk()
    pieces, start = [], 0
    for chunks in zip(*(frame[c].get_chunks() for c in names), strict=True):
        arrays = tuple(chunk.to_numpy() for chunk in chunks)
        pieces.append((start, arrays))
        start += len(arrays[0])
    return pieces


def _pack(
    prefix: np.ndarray,
    keys: np.ndarray,
    rows: np.ndarray,
    index_bits: int,
    key_bits: int,
    *,
    out: np.ndarray | None = None,
    scratch: np.ndarray | None = None,
) -> np.ndarray:
    """Values ``prefix | key | row`` (fields low to high: row, key, prefix) as (low, high)
    64-bit word pairs, one row per event: the memory layout of a 128-bit integer.

    Written into ``out`` (shape ``(len(rows), 2)``, uint64) when given; ``scratch`` (uint64,
    as long as ``rows``) is overwritten.
    """
    u = np.uint64
    top = index_bits + key_bits
    words = np.empty((len(rows), 2), u) if out is None else out
    low, high = words[:, 0], words[:, 1]
    np.left_shift(keys, u(index_bits), out=low)
    low |= rows
    np.right_shift(keys, u(64 - index_bits), out=high)  # 1 <= index_bits <= 63
    scratch = np.empty_like(prefix) if scratch is None else scratch
    if top < 64:
        low |= np.left_shift(prefix, u(top), out=scratch)
        high |= np.right_shift(prefix, u(64 - top), out=scratch)
    else:
        high |= np.left_shift(prefix, u(top - 64), out=scratch)
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
    words: np.ndarray,
    index_bits: int,
    key_bits: int,
    *,
    out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split (low, high) word pairs into (prefix, key, row) fields: the inverse of _pack.

    Prefix and key are uint64; rows int64, or the type of ``out``'s third array when the
    fields are written into ``out``.
    """
    u = np.uint64
    low, high = words[:, 0], words[:, 1]
    if out is None:
        out = np.empty(len(words), u), np.empty(len(words), u), np.empty(len(words), np.int64)
    prefix, keys, index = out
    np.bitwise_and(low, u((1 << index_bits) - 1), out=index, casting="unsafe")
    np.right_shift(low, u(index_bits), out=keys)
    keys |= np.left_shift(high, u(64 - index_bits), out=prefix)  # 1 <= index_bits <= 63
    if key_bits < 64:
        keys &= u((1 << key_bits) - 1)
    top = index_bits + key_bits
    if top >= 64:
        np.right_shift(high, u(top - 64), out=prefix)
    else:
        np.left_shift(high, u(64 - top), out=prefix)
        prefix |= np.right_shift(low, u(top))
    return prefix, keys, index


def _start_properties(
    frame: pl.DataFrame,
    index: np.ndarray,
    step: np.ndarray,
    pick: np.ndarray,
    props: list[str],
    customer: np.ndarray,
    t: np.ndarray,
) -> list[pl.Series]:
    """Property values of each counted attempt's step-1 event (``pick``: the counted
    attempts' indices among all step-1 events, in sorted order).

    Several step-1 events of one customer at the same time are one attempt; its value is
    the smallest non-null one among them (as in the portable engine).
    """
    if not props:
        return []
    starts = np.flatnonzero(step == 1)
    rows = index[starts[pick]]
    same = (customer[starts][1:] == customer[starts][:-1]) & (t[starts][1:] == t[starts][:-1])
    if not same.any():
        return [gather(frame[p], rows).alias(f"__p_{p}") for p in props]
    run = np.cumsum(np.r_[True, ~same]) - 1  # attempts sharing (customer, time)
    members = pl.DataFrame({"__r": run, "__i": index[starts]})
    values = (
        members.with_columns(gather(frame[p], index[starts]) for p in props)
        .group_by("__r")
        .agg(pl.col(p).min().alias(f"__p_{p}") for p in props)
    )
    picked = pl.DataFrame({"__r": run[pick]})
    joined = picked.join(values, on="__r", how="left", maintain_order="left")
    return joined.drop("__r").get_columns()
