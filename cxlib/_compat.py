"""Old module paths, from before cxlib was split into concept packages.

``import cxlib.charts`` (or ``from cxlib.loaders import RejectedRowsWarning``) still works:
a finder on ``sys.meta_path`` maps the old path to the module that now holds it, with a
``DeprecationWarning`` naming the new path. Attribute access to a topic (``cx.charts``) is
not deprecated: it is the topic namespace, served by ``cxlib.__getattr__``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

# old module path -> where it lives now
MOVED = {
    "cxlib.loaders": "cxlib.io",
    "cxlib.config": "cxlib.io",
    "cxlib.stages": "cxlib.io",
    "cxlib.survival": "cxlib.churn.survival",
    "cxlib.charts": "cxlib.pages.charts",
    "cxlib.tables": "cxlib.pages.tables",
    "cxlib.explore": "cxlib.pages.explore",
    "cxlib.health": "cxlib.pages.health",
    "cxlib.stage_view": "cxlib.pages.stage_view",
}
# ``cx.loaders`` and the like: old names that are not topic namespaces
MOVED_NAMES = {old.rsplit(".", 1)[1]: old for old in MOVED}


class _Alias(importlib.abc.Loader):
    """Loads an old path as the module that holds it now."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self.target}; import it from there",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the target module is already imported."""


class _OldPaths(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(MOVED[fullname]))


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, _OldPaths) for finder in sys.meta_path):
        sys.meta_path.append(_OldPaths())


def moved_namespace(name: str) -> ModuleType:
    """``cx.<old name>`` for a moved module (``cx.loaders``): the module that holds it now,
    imported through its old path, so with the same warning as the import."""
    return importlib.import_module(MOVED_NAMES[name])
