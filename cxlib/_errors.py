"""The one exception analysts see for unusable input."""

from __future__ import annotations


class DataError(ValueError):
    """Unusable input: the message is one line naming the file, the column and the fix.

    Row-level problems never raise; they go to the rejects ledger. ``DataError`` is for
    input that cannot be used at all: a missing required column, an empty, binary or
    unreadable file, an unknown stage model.

    Examples
    --------
    >>> raise DataError("touchpoints.csv: required column 'ts' is missing; "
    ...                 "map it with columns={'ts': '<your column>'}")
    Traceback (most recent call last):
    ...
    cxlib._errors.DataError: touchpoints.csv: required column 'ts' is missing; ...
    """

    def __init__(self, message: str) -> None:
        # Always one line: the CLI prints it as is.
        super().__init__(" ".join(str(message).split()))
