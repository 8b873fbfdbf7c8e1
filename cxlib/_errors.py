"""The one exception analysts see for unusable input."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


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


def os_errors_as_data_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate a public function that reads or writes files: an ``OSError`` (missing,
    permission denied, read-only, disk full, is a directory) becomes a one-line
    :class:`DataError` naming the path, as every other unusable input does.

    Examples
    --------
    >>> @os_errors_as_data_errors
    ... def write(path):
    ...     open(path + "/x/y", "w")
    >>> write("/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cxlib._errors.DataError: /nonexistent/x/y: cannot be read or written (No such file ...
    """

    @functools.wraps(function)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except OSError as err:
            where = err.filename or "a file"
            raise DataError(
                f"{where}: cannot be read or written ({err.strerror or err}); check the path, "
                "its permissions and the free space"
            ) from None

    return wrapped
