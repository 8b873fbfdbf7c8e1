"""The polars fast path of sequential funnels (journey.funnel._fast): its fallbacks and parts.

The fast path is what every polars input of a sequential funnel uses, so the reference tests
in test_funnel_properties.py already check its answers. Here: the rare branches those small
logs never reach (customers split into buckets, passes split among threads, a shared hash
prefix, a shared full hash, timestamps too large to pack) are forced and must still give the
reference's answer, and the 128-bit packing is checked on its own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import numpy as np
import polars as pl
import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_series_equal
from test_funnel_properties import SETTINGS, WITHINS, assert_matches_reference, funnel_cases

import cxlib as cx
from cxlib.journey.funnel import _fast as _funnel_fast
from cxlib.journey.funnel import _kernel
from cxlib.journey.funnel import _portable as _funnel_engine

LOGS = funnel_cases(days=(0, 1, 7))


class _Record:
    """Replace ``module.<name>`` by a wrapper that records what each call returned."""

    def __init__(self, name: str, module: object = _funnel_fast) -> None:
        self.name, self.module, self.returned = name, module, []
        self.original = getattr(module, name)

    def __enter__(self) -> _Record:
        def wrapper(*args, **kwargs):
            result = self.original(*args, **kwargs)
            self.returned.append(result)
            return result

        self.patch = mock.patch.object(self.module, self.name, wrapper)
        self.patch.start()
        return self

    def __exit__(self, *exc) -> None:
        self.patch.stop()


@SETTINGS
@given(
    case=LOGS,
    within=st.sampled_from(WITHINS),
    attempt=st.sampled_from(["best", "first"]),
    by=st.sampled_from([None, "channel"]),
    lazy=st.booleans(),
)
def test_customers_split_into_buckets_give_the_same_funnel(case, within, attempt, by, lazy):
    log, steps = case
    frame = pl.DataFrame(log)
    with mock.patch.object(_funnel_fast, "BUCKET_EVENTS", 3), _Record("_counted") as counted:
        result = cx.funnel(frame.lazy() if lazy else frame, steps, within, attempt=attempt, by=by)
    expected = reference.funnel(log, steps, within, attempt=attempt, by=by)
    assert_matches_reference(result, expected)
    # funnel events in buckets of 3 (a scan: one pass over the input per bucket)
    members = {t for step in steps for t in ([step] if isinstance(step, str) else step)}
    events = sum(t in members for t in log["touchpoint"])
    assert len(counted.returned) == max(1, -(-events // 3))


@SETTINGS
@given(case=LOGS, within=st.sampled_from(WITHINS), every=st.sampled_from(["1d", "1w"]))
def test_buckets_give_the_same_trend(case, within, every):
    log, steps = case
    with mock.patch.object(_funnel_fast, "BUCKET_EVENTS", 4):
        result = cx.funnel_trend(pl.DataFrame(log), steps, within, every=every)
    assert_matches_reference(result, reference.funnel_trend(log, steps, within, every=every))


@SETTINGS
@given(
    case=LOGS,
    within=st.sampled_from(WITHINS),
    every=st.sampled_from([None, "1d"]),
    block=st.sampled_from([1, 2, 3, _funnel_fast.BLOCK]),
    attempt=st.sampled_from(["best", "first"]),
    by=st.sampled_from([None, "channel"]),
)
def test_every_pass_split_among_threads_gives_the_same_funnel(
    case, within, every, block, attempt, by
):
    """Blocks of 1-3 events in the packing passes and 1-3 events per chain block (cut at
    customer boundaries, so a block holds one customer or more)."""
    log, steps = case
    options = {"attempt": attempt, "by": by}
    patches = {"BLOCK": block, "CHAIN_BLOCK": block}
    threads = {"PARALLEL_MIN": 1, "THREADS": 2}
    with mock.patch.multiple(_funnel_fast, **patches), mock.patch.multiple(_kernel, **threads):
        if every:
            result = cx.funnel_trend(pl.DataFrame(log), steps, within, every=every, **options)
            expected = reference.funnel_trend(log, steps, within, every=every, **options)
        else:
            result = cx.funnel(pl.DataFrame(log), steps, within, **options)
            expected = reference.funnel(log, steps, within, **options)
    assert_matches_reference(result, expected)


ONE_BIT_PREFIX = {"MIN_PREFIX_BITS": 1, "MAX_PREFIX_BITS": 1}  # customers share it all the time


@SETTINGS
@given(
    case=LOGS,
    within=st.sampled_from(WITHINS),
    by=st.sampled_from([None, "channel"]),
    threads=st.sampled_from([1, 10**9]),  # PARALLEL_MIN: everything in threads, or nothing
)
def test_a_shared_hash_prefix_gives_the_same_funnel(case, within, by, threads):
    log, steps = case
    with (
        mock.patch.multiple(_funnel_fast, **ONE_BIT_PREFIX),
        mock.patch.multiple(_kernel, PARALLEL_MIN=threads, THREADS=2),
    ):
        result = cx.funnel(pl.DataFrame(log), steps, within, by=by)
    assert_matches_reference(result, reference.funnel(log, steps, within, by=by))


def _two_customers() -> dict[str, list]:
    """Two customers whose grouping hashes share their first bit."""
    ids = pl.Series("customer_id", [f"c{i}" for i in range(8)])
    top_bit = (ids.to_frame().select(_funnel_fast.group_hash()).to_series() // 2**63).to_list()
    a = ids[0]
    b = next(i for i, bit in zip(ids[1:], top_bit[1:], strict=True) if bit == top_bit[0])
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return {
        "customer_id": [a, b, a, b],
        "ts": [start + timedelta(minutes=m) for m in (0, 1, 2, 3)],
        "touchpoint": ["visit", "visit", "cart", "cart"],
    }


def test_a_shared_prefix_is_detected_then_events_are_sorted_on_the_full_hash():
    data = pl.DataFrame(_two_customers())
    with mock.patch.multiple(_funnel_fast, **ONE_BIT_PREFIX), _Record("_runs_checked") as runs:
        result = cx.funnel(data, ["visit", "cart"], "1h")
    assert [r is None for r in runs.returned] == [True, False]  # shared prefix, then none
    assert result["customers"].to_list() == [2, 2]


def test_ids_sharing_the_full_hash_are_detected():
    one_hash = lambda: pl.lit(7, pl.UInt64)  # noqa: E731
    data = pl.DataFrame(_two_customers())
    with (
        mock.patch.object(_funnel_fast, "group_hash", one_hash),
        _Record("sequential_counted", _funnel_engine) as fast,
    ):
        result = cx.funnel(data, ["visit", "cart"], "1h")
    assert fast.returned == [None]  # the portable engine answered
    assert result["customers"].to_list() == [2, 2]


@SETTINGS
@given(case=LOGS, within=st.sampled_from(WITHINS), by=st.sampled_from([None, "channel"]))
def test_ids_sharing_the_full_hash_give_the_same_funnel(case, within, by):
    log, steps = case
    by_length = lambda: pl.col("customer_id").str.len_bytes().cast(pl.UInt64)  # noqa: E731
    with mock.patch.object(_funnel_fast, "group_hash", by_length):
        result = cx.funnel(pl.DataFrame(log), steps, within, by=by)
    assert_matches_reference(result, reference.funnel(log, steps, within, by=by))


def test_timestamps_too_large_to_pack_use_the_portable_engine():
    hour = 3_600_000_000
    far = 2**60  # microseconds: about the year 38,500
    data = pl.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "ts": pl.Series([far, far + hour, far]).cast(pl.Datetime("us", "UTC")),
            "touchpoint": ["visit", "cart", "visit"],
        }
    )
    with _Record("sequential_counted", _funnel_engine) as fast:
        result = cx.funnel(data, ["visit", "cart"], "1d")
    assert fast.returned == [None]
    assert result["customers"].to_list() == [2, 1]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), index_bits=st.integers(1, 63), key_bits=st.integers(1, 64))
def test_packed_values_unpack_and_sort_like_their_fields(data, index_bits, key_bits):
    prefix_bits = min(64, _funnel_fast.VALUE_BITS - index_bits - key_bits)
    if prefix_bits < 1:
        return
    size = data.draw(st.integers(1, 40))
    fields = [
        data.draw(st.lists(st.integers(0, 2**bits - 1), min_size=size, max_size=size))
        for bits in (prefix_bits, key_bits, index_bits)
    ]
    prefix, keys, rows = (np.array(f, dtype=np.uint64) for f in fields)
    words = _funnel_fast._pack(prefix, keys, rows, index_bits, key_bits)
    got = _funnel_fast._unpack(words, index_bits, key_bits)
    assert [g.view(np.uint64).tolist() for g in got] == [f.tolist() for f in (prefix, keys, rows)]
    ordered = _funnel_fast._unpack(_funnel_fast._sort_words(words), index_bits, key_bits)
    expected = sorted(zip(*fields, strict=True))
    assert list(zip(*[g.view(np.uint64).tolist() for g in ordered], strict=True)) == expected


def _runs(who: np.ndarray, check: np.ndarray, index: np.ndarray) -> list[int] | None:
    def copy(block, groups):
        np.copyto(groups, who[block])
        return index[block]

    runs = np.empty(len(who) + 1, np.int32)
    runs = _funnel_fast._runs_checked(runs, check, copy, lambda p: (who[p], index[p]))
    return None if runs is None else runs.tolist()


@pytest.mark.parametrize("block", [1, 2, 4, 100])
@pytest.mark.parametrize("threads", [False, True])
@pytest.mark.parametrize("at", [0, 1, 2, 3, 4])
def test_a_shared_group_is_found_wherever_it_is_split(at, threads, block):
    who = np.array([1, 2, 3, 4, 5, 6], np.uint64)
    who[at + 1] = who[at]  # positions at and at+1 share a group; the check hashes differ
    check, index = np.arange(6, dtype=np.uint64), np.arange(6)[::-1].copy()
    patches = {"PARALLEL_MIN": 1 if threads else 100, "THREADS": 2}
    with mock.patch.multiple(_kernel, **patches), mock.patch.object(_funnel_fast, "BLOCK", block):
        assert _kernel.slices(6) == ([slice(0, 3), slice(3, 6)] if threads else [slice(0, 6)])
        assert _runs(who, check, index) is None
        check[index[at + 1]] = check[index[at]]  # the same id: no collision
        numbered = [0, 1, 2, 3, 4][: at + 1] + [at] + list(range(at + 1, 5))
        assert _runs(who, check, index) == [*numbered, -1]  # -1: the sentinel position


@settings(max_examples=200, deadline=None)
@given(
    groups=st.lists(st.lists(st.integers(0, 100), min_size=1, max_size=6), min_size=1, max_size=8)
)
def test_first_at_group_max_picks_each_groups_first_maximum(groups):
    values = np.array([v for group in groups for v in group])
    starts = np.cumsum([0, *[len(g) for g in groups[:-1]]])
    expected = [
        start + group.index(max(group)) for start, group in zip(starts, groups, strict=True)
    ]
    assert _kernel.first_at_group_max(values, starts).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(marks=st.sets(st.integers(0, 30)), extra=st.integers(0, 5))
def test_next_marked_is_the_first_mark_at_or_after_each_position(marks, extra):
    size = max(marks, default=-1) + 1 + extra
    ordered = np.array(sorted(marks), np.int32)
    expected = [min((m for m in marks if m >= p), default=size + 7) for p in range(size)]
    table = _kernel.next_marked(ordered, size, size + 7)
    assert table.dtype == np.int32
    assert table.tolist() == expected


@settings(max_examples=200, deadline=None)
@given(
    chunks=st.lists(
        st.lists(st.one_of(st.none(), st.text(max_size=20)), min_size=1, max_size=5),
        min_size=1,
        max_size=5,
    ),
    picks=st.lists(st.integers(0, 10**6), max_size=30),
)
def test_gather_by_chunk_is_polars_gather(chunks, picks):
    column = pl.concat([pl.Series("x", c, dtype=pl.String) for c in chunks], rechunk=False)
    assert column.n_chunks() == len(chunks)
    rows = np.array([p % len(column) for p in picks] if len(column) else [], np.int64)
    expected = column.rechunk().gather(rows)
    assert_series_equal(_kernel.gather(column, rows), expected)


def test_gather_from_more_chunks_than_it_compares():
    column = pl.concat(
        [pl.Series("x", [f"{c}-{i}" for i in range(c % 3 + 1)]) for c in range(40)], rechunk=False
    )
    rows = np.random.default_rng(7).integers(0, len(column), 500)
    assert_series_equal(_kernel.gather(column, rows), column.rechunk().gather(rows))
