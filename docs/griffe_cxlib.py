"""A griffe extension for the reference docs: what static analysis of cxlib misses.

* Static analysis does not run decorators, so a wrapper that takes its documentation from
  the function it wraps (``cxlib.io.load``, which keeps loaded datasets, wraps the plain
  loader) would show no docstring: it gets the wrapped function's.
* The docstrings name other objects with Sphinx roles (``:func:`funnel` ``), which Markdown
  would show as written: they are shown as code (``funnel``).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|obj|exc|const):`~?([^`]+)`")


class CxlibDocstrings(griffe.Extension):
    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for obj in _objects(pkg):
            if obj.docstring is not None:
                obj.docstring.value = ROLE.sub(r"``\1``", obj.docstring.value)
        for function in (obj for obj in _objects(pkg) if obj.is_function):
            if function.docstring is not None:
                continue
            for decorator in function.decorators:
                text = str(decorator.value)
                if not text.startswith(("functools.wraps(", "wraps(")):
                    continue
                name = text[text.index("(") + 1 : -1].strip()
                wrapped = function.parent.get_member(name) if function.parent else None
                if wrapped is not None and wrapped.docstring is not None:
                    source = wrapped.docstring
                    function.docstring = griffe.Docstring(
                        source.value,
                        lineno=source.lineno,
                        endlineno=source.endlineno,
                        parent=function,
                        parser=source.parser,
                        parser_options=source.parser_options,
                    )


def _objects(obj: griffe.Object):
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _objects(member)
