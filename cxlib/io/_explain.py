"""What a rejects ledger says: its reasons, most frequent first, with a hint where one helps.

The hints read the rejected values (a sample spread over the ledger), so they can name the
fix: timestamps written day-first get the ``date_format`` that reads them.
"""

from __future__ import annotations

from collections import Counter

import polars as pl

from cxlib.io._schema import SURVEY_SCALES
from cxlib.io._timestamps import guess_date_format
from cxlib.io._validate import RAGGED_ROW, UNKNOWN_SURVEY, UNPARSEABLE_TIMESTAMP


def explain_rejects(rejects: pl.DataFrame, *, sample: int = 1_000) -> pl.DataFrame:
    """The reasons in a rejects ledger, most frequent first, with a hint where one helps.

    Hints come from the rejected values: timestamps that look like numeric dates with the
    day (or the month) first, e.g. ``31/12/2025 14:05``, get the ``date_format`` that reads
    them (Buddhist-era years such as 2568 are read as Gregorian, not rejected); ragged rows
    point at the separator; unknown surveys list the known ones.

    Parameters
    ----------
    rejects : polars.DataFrame
        A rejects ledger: ``Loaded.rejects`` or ``Dataset.rejects``.
    sample : int, default 1000
        Rejected values per reason looked at for a hint, spread over the ledger.

    Returns
    -------
    polars.DataFrame
        One row per reason: ``reason``, ``rows`` (rejected rows), ``hint`` (what the values
        suggest, or null) and ``date_format`` (a format reading the rejected timestamps,
        for ``date_format=`` / ``--date-format``, or null).

    Examples
    --------
    >>> import polars as pl
    >>> import cxlib as cx
    >>> answers = pl.DataFrame({
    ...     "customer_id": ["u1", "u2"],
    ...     "ts": ["31/12/2025 14:05", "01/12/2025 09:30"],
    ...     "survey": ["nps", "nps"],
    ...     "score": [9, 3],
    ... })
    >>> loaded = cx.read_surveys(answers, with_rejects=True)
    >>> explained = cx.io.explain_rejects(loaded.rejects)
    >>> explained.select("reason", "rows", "date_format").rows()
    [('unparseable timestamp', 2, '%d/%m/%Y %H:%M')]
    >>> explained["hint"][0]
    "values look day-first, e.g. '31/12/2025 14:05'"
    >>> cx.read_surveys(answers, date_format="%d/%m/%Y %H:%M")["ts"].dt.day().to_list()
    [31, 1]
    """
    counts = (
        rejects["reason"]
        .value_counts(name="rows")
        .sort(["rows", "reason"], descending=[True, False])
    )
    explained = []
    for reason, rows in counts.iter_rows():
        values = rejects.filter(pl.col("reason") == reason)["value"]
        values = values.gather_every(max(1, len(values) // max(1, sample))).head(sample)
        explained.append((reason, rows, *_hint(reason, values.to_list())))
    return pl.DataFrame(
        explained,
        schema={"reason": pl.String, "rows": pl.Int64, "hint": pl.String, "date_format": pl.String},
        orient="row",
    )


def _hint(reason: str, values: list[str | None]) -> tuple[str | None, str | None]:
    """``(hint, date_format)`` for one reason, from some of its rejected values."""
    if reason == UNPARSEABLE_TIMESTAMP:
        guess = guess_date_format(values)
        if guess is None:
            return None, None
        order = guess.order + (" (no day above 12 tells which)" if " or " in guess.order else "")
        return f"values look {order}, e.g. '{guess.example}'", guess.date_format
    if reason == RAGGED_ROW:
        return "fields do not line up with the header: check the separator and the quoting", None
    if reason == UNKNOWN_SURVEY:
        found = Counter(v for v in values if v is not None).most_common(1)
        known = ", ".join(SURVEY_SCALES)
        return (f"found '{found[0][0]}'; " if found else "") + f"surveys are {known}", None
    return None, None
