"""The words and characters that make a text value no value or a bad one, and what a whole
text column holds (:class:`TextFacts`), so that the loaders leave out the steps no value of
it needs."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

# Text that means "no value" in number and timestamp columns (compared lower-cased).
NULL_TOKENS = ["", "na", "n/a", "nan", "null", "none"]
CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # not tab, newline or carriage return
# The same characters for ``str.contains_any`` (one automaton over the bytes: a third of the
# cost of the regular expression per value; no UTF-8 sequence holds these bytes otherwise).
CONTROL_CHARACTERS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)]
INVISIBLE = "[\u200b\u200c\u200d\u2060\ufeff\u00ad]"  # zero-width characters, soft hyphen
# The null words in every upper/lower-case spelling: ``is_in`` on these equals
# ``to_lowercase().is_in(NULL_TOKENS)`` (no non-ASCII character lower-cases to one of their
# letters) without making a lower-cased copy of every value.
NULL_SPELLINGS = sorted(
    {"".join(c) for t in NULL_TOKENS for c in itertools.product(*({x, x.upper()} for x in t))}
)
_SPACE, _TILDE, _DOT = ord(" "), ord("~"), ord(".")  # printable ASCII: space to tilde
_BYTES_SLICE = 500_000  # rows whose bytes _plain_facts looks at at a time (a few MB)
_FACTS_SLICE = 2_000_000  # rows joined into one text at a time by _text_facts
_SAMPLE = 10_000  # first rows that tell _text_facts whether a column repeats a few values
# What TextFacts' flags look for, in their order, in values joined with line breaks (an
# empty value makes two line breaks in a row: found as white space at a start).
_FACT_PATTERNS = (r"(?m)^\s|\s$", CONTROL, INVISIBLE, r"\.")
_ANY_FACT = "|".join(_FACT_PATTERNS)


@dataclass(frozen=True)
class TextFacts:
    """What one text column holds, from all its values: each flag says that SOME value has it.

    A step that cannot change or reject any value of the column is left out of its
    conversion (``False`` everywhere is the clean column of a well-made export).
    """

    edge_space: bool  # white space at the start or end of a value, or an empty value
    control: bool  # a control character (``CONTROL``)
    invisible: bool  # a zero-width character or soft hyphen (``INVISIBLE``)
    dot: bool  # a "."


ANYTHING = TextFacts(edge_space=True, control=True, invisible=True, dot=True)


def text_facts(
    data: pl.DataFrame, sources: list[str], distinct: Mapping[str, pl.Series] | None = None
) -> dict[str, TextFacts]:
    """:class:`TextFacts` of the text columns ``sources`` of ``data`` (``distinct``: the
    distinct values of some of them, already known).

    A column's values (its distinct values when its first rows repeat a few often, as
    touchpoints and channels do) are joined with line breaks, a slice of rows at a time,
    and searched once for anything a fact names; only where something is found is each
    fact searched for on its own. Per value, the same searches cost several times more (a
    call per value, and a new string for each strip). A column of printable ASCII is
    judged from its bytes alone (``_plain_facts``), without that search.
    """
    facts = {}
    for source in dict.fromkeys(sources):
        values = data.get_column(source).cast(pl.String)
        head = values.head(_SAMPLE)
        if distinct and source in distinct:
            values = distinct[source].cast(pl.String)
        elif head.n_unique() * 10 < head.len():  # few distinct values: look at those only
            values = values.unique()
        plain = _plain_facts(values)
        if plain is not None:
            facts[source] = plain
            continue
        flags = [False] * len(_FACT_PATTERNS)
        for start in range(0, values.len(), _FACTS_SLICE):
            part = values.slice(start, _FACTS_SLICE)
            text = part.str.join("\n")
            if text.item() == "" and part.null_count() < part.len():  # one value, empty
                flags[0] = True
            if not text.str.contains(_ANY_FACT).item():
                continue
            each = [text.str.contains(pattern).item() for pattern in _FACT_PATTERNS]
            flags = [old or bool(new) for old, new in zip(flags, each, strict=True)]
        facts[source] = TextFacts(*flags)
    return facts


def _plain_facts(values: pl.Series) -> TextFacts | None:
    """:class:`TextFacts` of a column whose text is printable ASCII (spaces allowed), from
    its bytes alone; None for any other text (then the patterns decide).

    No byte below a space or above ``~``: no control character, no zero-width character
    (those are not ASCII), and the only white space is the space, so a value has white
    space at an edge when it is empty or its first or last byte is a space. The bytes
    are looked at a slice of rows at a time, all at once (minimum, maximum, a byte
    compare): a fraction of the cost of searching the values' text.
    """
    shortest = values.str.len_bytes().min()
    edge_space = shortest is not None and shortest == 0  # an empty value
    dot = False
    for start in range(0, values.len(), _BYTES_SLICE):
        array = values.slice(start, _BYTES_SLICE).to_arrow(compat_level=pl.CompatLevel.oldest())
        if str(array.type) != "large_string":
            return None
        _, offsets, data = array.buffers()
        if data is None or offsets is None or data.size == 0:
            continue  # nulls only
        text = np.frombuffer(data, np.uint8)
        lowest = text.min()
        if lowest < _SPACE or text.max() > _TILDE:
            return None
        if not edge_space and lowest == _SPACE:  # some space: is one at an edge?
            ends = np.frombuffer(offsets, np.int64)[array.offset : array.offset + len(array) + 1]
            filled = ends[1:] > ends[:-1]
            first, last = text[ends[:-1][filled]], text[ends[1:][filled] - 1]
            edge_space = bool((first == _SPACE).any() or (last == _SPACE).any())
        dot = dot or bool((text == _DOT).any())
    if shortest is None:  # nulls only
        return None
    return TextFacts(edge_space=bool(edge_space), control=False, invisible=False, dot=dot)
