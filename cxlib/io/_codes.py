"""A text column that repeats a few values (touchpoints, channels) as those values and a
code per row, so that work per value (a stage per touchpoint) is done once per distinct
value and then gathered, instead of once per row.

Finding the distinct values by their strings costs a hash table of strings per row; here
each row's string is hashed once (cheap: short strings sit inside polars' string views),
the distinct hashes index a small lookup table, and the result is checked exactly against
the column: two different values with one hash give no codes (the caller then takes its
exact per-row path), never a wrong code.
"""

from __future__ import annotations

import polars as pl

_MOST = 2_048  # more distinct values than this: no codes (the lookup table would be large)
_BITS = 20  # the largest lookup table: 2**20 slots
_SHIFTS = (0, 16, 32, 44)  # which bits of the hash are tried as slots
_SAMPLE = 10_000  # first rows that tell whether the column repeats a few values
_SLICE = 1_000_000  # rows hashed and checked at a time


def few_distinct(values: pl.Series) -> tuple[pl.Series, pl.Series] | None:
    """The distinct values of ``values`` and each row's code, when they are few.

    Returns ``(distinct, codes)``: ``distinct`` holds each value once (a null too, if
    any), in order of first appearance, and ``codes`` (UInt32, one per row) its position
    there, so that ``distinct.gather(codes)`` equals ``values`` exactly (checked). None
    when the first rows do not repeat a few values, when there are more than ``_MOST``
    distinct values, or when no lookup table separates their hashes.

    Examples
    --------
    >>> import polars as pl
    >>> distinct, codes = few_distinct(pl.Series(["visit", "buy", "visit", None] * 50))
    >>> distinct.to_list(), codes.head(4).to_list()
    (['visit', 'buy', None], [0, 1, 0, 2])
    """
    head = values.head(_SAMPLE)
    if head.n_unique() * 10 >= head.len():
        return None
    # A slice of rows at a time: the hashes, slots and checks of 10M rows would be ~400
    # MB of fresh memory (page faults cost as much CPU as the work); slices reuse theirs.
    firsts = []
    for start in range(0, values.len(), _SLICE):
        hashes = values.slice(start, _SLICE).hash()
        firsts.append(hashes.arg_unique() + start)
        if sum(first.len() for first in firsts) > _MOST * 4:
            return None
    candidates = pl.concat(firsts)
    keys = values.gather(candidates).hash()
    first = candidates.gather(keys.arg_unique())  # in order of first appearance
    if first.len() > _MOST:
        return None
    keys = keys.gather(keys.arg_unique()).to_list()
    window = _window(keys)
    if window is None:
        return None
    shift, bits = window
    table = pl.zeros(1 << bits, pl.UInt32, eager=True).scatter(
        [(key >> shift) % (1 << bits) for key in keys], range(len(keys))
    )
    distinct = values.gather(first)
    codes = []
    for start in range(0, values.len(), _SLICE):
        part = values.slice(start, _SLICE)
        hashes = part.hash()
        slots = hashes // (1 << shift) if shift else hashes
        code = table.gather(slots % (1 << bits))
        if not distinct.gather(code).equals(part, check_names=False, null_equal=True):
            return None  # two values share a hash
        codes.append(code)
    return distinct, pl.concat(codes, rechunk=False).alias(values.name)


def _window(keys: list[int]) -> tuple[int, int] | None:
    """``(shift, bits)`` such that bits ``shift .. shift + bits`` of each key differ
    between the keys (the smallest table found), or None."""
    for bits in range(max(len(keys).bit_length() + 1, 4), _BITS + 1):
        mask = (1 << bits) - 1
        for shift in _SHIFTS:
            if len({(key >> shift) & mask for key in keys}) == len(keys):
                return shift, bits
    return None
