"""The random stream of each customer of the sample: ``default_rng([seed, 0, index])``.

Customer ``index`` draws from ``numpy.random.default_rng([seed, 0, index])``, so a customer
does not depend on the others. Building a generator that way costs about 30 µs, most of it in
``SeedSequence``'s hash of the seed: a sixth of the time it takes to simulate the customer.
:func:`_streams` computes the same PCG64 states for a whole chunk of customers at once, with
the hash on numpy arrays (numpy's ``SeedSequence`` and PCG64 seeding, which NEP 19 keeps
stable; ``tests/sample`` checks them against ``default_rng``), and sets them in turn on one
generator.

Examples
--------
>>> import numpy as np
>>> from cxlib.sample._streams import _streams
>>> [rng.random() for rng in _streams(7, 0, 2)] == [
...     np.random.default_rng([7, 0, index]).random() for index in range(2)
... ]
True
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

# numpy's SeedSequence hash (pool of 4 words) and PCG64 seeding (NEP 19 keeps both stable).
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R, _MASK32 = 0xCA01F9DD, 0x4973F715, 0xFFFFFFFF
_PCG_MULTIPLIER, _MASK128 = 0x2360ED051FC65DA44385DF649FCCF645, (1 << 128) - 1


def _pcg_states(seed: int, first: int, stop: int) -> list[tuple[int, int]]:
    """PCG64 ``(state, inc)`` of ``default_rng([seed, 0, index])`` for each index in a range.

    The ``SeedSequence`` hash runs on arrays of all indices at once (uint32 arithmetic wraps
    as in numpy's C code), the PCG64 seeding on Python integers. Needs ``0 <= seed < 2**32``
    and ``stop <= 2**32``: the entropy is then the three 32-bit words ``seed, 0, index``.
    """
    index = np.arange(first, stop, dtype=np.uint64).astype(np.uint32)
    hash_const = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal hash_const
        value = value ^ np.uint32(hash_const)
        hash_const = (hash_const * _MULT_A) & _MASK32
        value = value * np.uint32(hash_const)
        return value ^ (value >> np.uint32(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = np.uint32(_MIX_L) * x - np.uint32(_MIX_R) * y
        return result ^ (result >> np.uint32(16))

    zeros = np.zeros_like(index)
    pool = [hashmix(word) for word in (zeros + np.uint32(seed), zeros, index, zeros)]
    for source in range(4):
        for target in range(4):
            if source != target:
                pool[target] = mix(pool[target], hashmix(pool[source]))
    hash_const, words = _INIT_B, []
    for i in range(8):
        value = pool[i % 4] ^ np.uint32(hash_const)
        hash_const = (hash_const * _MULT_B) & _MASK32
        value = value * np.uint32(hash_const)
        words.append((value ^ (value >> np.uint32(16))).astype(np.uint64))
    # Four 64-bit words (low half first): the initial state, then the increment, high first.
    high_state, low_state, high_inc, low_inc = (
        (words[k] | words[k + 1] << np.uint64(32)).tolist() for k in (0, 2, 4, 6)
    )
    states = []
    for hs, ls, hi, li in zip(high_state, low_state, high_inc, low_inc, strict=True):
        inc = ((hi << 64 | li) << 1 | 1) & _MASK128
        state = (((inc + (hs << 64 | ls)) & _MASK128) * _PCG_MULTIPLIER + inc) & _MASK128
        states.append((state, inc))
    return states


def _streams(seed: int, first: int, stop: int) -> Iterator[np.random.Generator]:
    """The random stream of each customer ``first`` to ``stop - 1``, in turn.

    The streams are those of ``default_rng([seed, 0, index])``, set in turn on one generator:
    a customer must be simulated before the next stream is taken.
    """
    if not (0 <= seed <= _MASK32 and stop <= _MASK32 + 1):
        yield from (np.random.default_rng([seed, 0, index]) for index in range(first, stop))
        return
    bits = np.random.PCG64()
    rng = np.random.Generator(bits)
    for state, inc in _pcg_states(seed, first, stop):
        bits.state = {
            "bit_generator": "PCG64",
            "state": {"state": state, "inc": inc},
            "has_uint32": 0,
            "uinteger": 0,
        }
        yield rng
