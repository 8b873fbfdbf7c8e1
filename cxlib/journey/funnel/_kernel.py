"""The funnel kernel: greedy step chains over sorted arrays, shared by both fast engines.

The one-shot polars fast path (:mod:`cxlib.journey.funnel._fast`) runs these over the
positions of sorted funnel events; the explorer's cache (:mod:`cxlib.journey.funnel._cache`)
over the ranks of distinct (customer, timestamp) pairs. Both find each customer's counted
attempt with :func:`first_at_group_max` and aggregate with the same ``summarize``, so they
give the same numbers (the tests check both against the brute-force reference).

NumPy passes run on slices in ``THREADS`` threads (NumPy releases the GIL inside its loops).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import polars as pl

# NumPy passes over events and attempts run in this many threads: as many as polars uses
# (POLARS_MAX_THREADS), at most 8 (the passes are memory-bound beyond that)
THREADS = max(1, min(pl.thread_pool_size(), 8))
PARALLEL_MIN = 100_000  # events or attempts worth splitting across threads


def first_at_group_max(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group, the index of its first value equal to the group's maximum.

    Groups are consecutive runs of ``values`` (small non-negative integers: steps) beginning
    at the sorted indices ``starts`` (``starts[0] == 0``). With attempts sorted by customer
    and time and ``values`` their furthest steps: each customer's counted attempt (the
    earliest reaching the furthest).

    One maximum per group over ``value << 32 | (2**32 - 1 - index)``: the largest value,
    and among equal values the smallest index (one linear pass; no search).
    """
    size = len(values)
    if size >= 1 << 32:
        raise ValueError(f"{size} values; at most 2**32 - 1 fit the packed key")
    low = (1 << 32) - 1
    key = values.astype(np.int64) << 32
    key |= low - np.arange(size, dtype=np.int64)
    best = np.maximum.reduceat(key, starts)
    return low - (best & low)


def next_marked(marks: np.ndarray, size: int, none: int) -> np.ndarray:
    """For every position ``0..size-1``, the first of the sorted ``marks`` at or after it
    (``none`` past the last mark). One repeat of each mark over the gap before it."""
    counts = np.empty(len(marks) + 1, np.intp)  # each mark over its gap, ``none`` after
    counts[-1] = size
    if len(marks):
        counts[0] = marks[0] + 1
        np.subtract(marks[1:], marks[:-1], out=counts[1:-1])
        counts[-1] -= int(marks[-1]) + 1
    return np.repeat(np.append(marks, np.array(none, marks.dtype)), counts)


def follow_chains(
    customer: np.ndarray,
    t: np.ndarray,
    following: Sequence[np.ndarray],
    starts: np.ndarray,
    window: int | None,
    *,
    steps: bool,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Every attempt's greedy chain: its furthest step and, with ``steps``, where it reached
    each step.

    ``customer`` and ``t`` are each event's customer number and time, in sorted order, plus
    one *sentinel* position at the end (``none = len(t) - 1``) whose customer is -1 (no
    attempt's); ``starts`` are the attempts' step-1 positions; ``following`` per step k >= 2
    the first position at or after each position (the sentinel included) holding a step-k
    event, ``none`` if there is none (as made by :func:`next_marked`). The next step is taken
    when it is the same customer's and within ``window`` of the start. The position of a
    step not reached is ``none``, the sentinel. The explorer engine runs the same chains over
    its ranks.

    Every attempt stays in every step's arrays: a chain that stops points at the sentinel,
    whose next position is the sentinel again and whose customer matches no one. That is
    fewer passes than dropping the stopped attempts at each step (0.13 against 0.17 s for
    2.6M attempts, one thread).
    """
    none = len(t) - 1
    reached = np.ones(len(starts), np.int32)
    out = [starts] if steps else []
    where, owner = starts, customer[starts]
    deadline = None if window is None else t[starts] + window
    ok = np.empty(len(starts), bool)
    for table in following:
        nxt = table[where]
        np.equal(customer[nxt], owner, out=ok)
        if deadline is not None:
            ok &= t[nxt] <= deadline
        reached += ok
        where = np.where(ok, nxt, none)
        if steps:
            out.append(where)
    return reached, out


def gather(column: pl.Series, rows: np.ndarray) -> pl.Series:
    """``column.gather(rows)``, one chunk at a time.

    polars gathers from a column of many chunks several times slower than from one (490k
    of 5.6M strings in 10 chunks: 40-50 against 6 ms); rechunking would copy the column.
    Rows are grouped by chunk (a stable sort of small integers), gathered chunk by chunk,
    and put back in their order.
    """
    lengths = column.chunk_lengths()
    if len(lengths) < 2:
        return column.gather(rows)
    ends = np.cumsum(lengths)
    if len(lengths) <= 32:  # a comparison per chunk: faster than a search per row
        chunk = np.zeros(len(rows), np.int16)
        for end in ends[:-1]:
            chunk += rows >= end
    else:
        chunk = np.searchsorted(ends, rows, side="right")
    order = np.argsort(chunk, kind="stable")
    grouped, cuts = rows[order], np.searchsorted(chunk[order], np.arange(len(lengths) + 1))
    parts = [
        piece.gather(grouped[a:b] - (end - length))
        for piece, a, b, end, length in zip(
            column.get_chunks(), cuts[:-1], cuts[1:], ends, lengths, strict=True
        )
        if b > a
    ]
    together = pl.concat(parts, rechunk=True) if parts else column.clear()
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return together.gather(back)


def slices(size: int, work: int | None = None) -> list[slice]:
    """``range(size)`` as THREADS contiguous slices, or one slice when the ``work`` (events,
    attempts; ``size`` by default) is below PARALLEL_MIN."""
    parts = THREADS if (size if work is None else work) >= PARALLEL_MIN else 1
    bounds = [size * i // parts for i in range(parts + 1)]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


_pool: ThreadPoolExecutor | None = None


def parallel(work: Callable[[Any], Any], parts: Sequence[Any]) -> list[Any]:
    """``[work(p) for p in parts]``, in THREADS threads when there is more than one part.

    NumPy releases the GIL inside its loops, so large array passes overlap. The pool lives
    with the process (a funnel at 1M touchpoints takes ~0.1 s; starting threads each time
    would show). Like polars' own thread pool, it does not survive ``fork()``.
    """
    global _pool
    if len(parts) < 2 or THREADS < 2:
        return [work(p) for p in parts]
    if _pool is None:
        _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="cx-funnel")
    return list(_pool.map(work, parts))
