"""Datasets kept in memory between ``cx.load`` calls of one process, when asked for.

A report kernel runs one notebook after another on the same data; each starts with
``cx.load(data)``. With :func:`keep_loaded` on, the first call reads and validates the
files and later calls of the same source return what it loaded, as long as no file it read
(nor ``cx.toml``) changed size or modification time. Off by default: an analyst's
``cx.load`` always reads the files.
"""

from __future__ import annotations

import dataclasses
import functools
import glob
import os
import warnings
from pathlib import Path

from cxlib.io._config import KINDS, Config
from cxlib.io._dataset import Dataset, _config, _locate
from cxlib.io._dataset import load as _load

_kept: dict[tuple[str, bool], tuple[tuple, Dataset, list[warnings.WarningMessage]]] = {}
_keeping = False


def keep_loaded(enabled: bool = True) -> None:
    """Keep datasets loaded by :func:`load` in this process, or stop and forget them.

    While on, ``cx.load(source)`` of a source loaded before returns the same tables (a
    new :class:`Dataset` object holding them) and repeats the warnings of the first load,
    unless a file it read or its ``cx.toml`` changed since. ``cx report`` turns it on in
    its notebook kernels, which run several notebooks on one dataset.

    Parameters
    ----------
    enabled : bool, default True
        False forgets every kept dataset.

    Examples
    --------
    >>> import cxlib as cx
    >>> cx.io.keep_loaded()
    >>> first = cx.load("data/sample")  # doctest: +SKIP
    >>> cx.load("data/sample").touchpoints is first.touchpoints  # doctest: +SKIP
    True
    >>> cx.io.keep_loaded(False)
    """
    global _keeping
    _keeping = enabled
    if not enabled:
        _kept.clear()


@functools.wraps(_load)  # cx.load's documentation and signature
def load(source: str | os.PathLike[str] | Config, *, lazy: bool = False) -> Dataset:
    if not _keeping or isinstance(source, Config):
        return _load(source, lazy=lazy)
    config = _config(source)
    key = (str(Path(source).resolve()), lazy)
    stamp = _stamp(config)
    if key not in _kept or _kept[key][0] != stamp:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loaded = _load(config, lazy=lazy)
        _kept[key] = (stamp, loaded, list(caught))
    _, dataset, caught = _kept[key]
    for warning in caught:  # every load warns as the first did
        warnings.warn_explicit(warning.message, warning.category, warning.filename, 0)
    return dataclasses.replace(dataset)


def _stamp(config: Config) -> tuple:
    """Size and modification time of every file a load of ``config`` reads."""
    files: list[str] = [str(config.source)] if config.source else []
    for kind in KINDS:
        path = _locate(config, kind)
        if path is None:
            continue
        if glob.has_magic(str(path)):
            files += glob.glob(str(path), recursive=True)
        elif path.is_dir():
            files += [str(p) for p in path.rglob("*") if p.is_file()]
        else:
            files.append(str(path))
    stamps = []
    for name in sorted(files):
        try:
            stat = os.stat(name)
        except OSError:
            continue
        stamps.append((name, stat.st_size, stat.st_mtime_ns))
    return tuple(stamps)
