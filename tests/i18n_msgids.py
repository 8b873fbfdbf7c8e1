"""Every msgid of the report text, found in the source (shared by tests/test_i18n.py).

* cxlib: the literal first argument of ``i18n._``, ``i18n.t``, ``i18n.N_`` (and both of
  ``i18n.nt``); in the pages (charts, tables), the literal titles a builder shows: a
  ``title=``-like keyword argument or parameter default. ``needs.NEEDS`` (what is missing,
  how to add it) and the churn reasons' words (``FEATURE_TEXT``, ``ACTIONS``) come from
  their tables, translated where they are shown.
* notebooks: every heading and block of prose of the markdown cells, and the literal
  ``title=``-like arguments of the code cells (chart and table titles).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import cxlib as cx
from cxlib.i18n._notebook import markdown_msgids

PACKAGE = Path(cx.__file__).parent
ROOT = PACKAGE.parent
NOTEBOOKS = ROOT / "notebooks"
CALLS = {"_": 1, "t": 1, "N_": 1, "nt": 2}  # function -> literal msgid arguments
TITLES = {
    "title",
    "subtitle",
    "x_title",
    "y_title",
    "value_title",
    "group_title",
    "color_title",
    "note",
    "missing",
    "lead",
}


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _called(func: ast.AST, inside_i18n: bool) -> str | None:
    if isinstance(func, ast.Attribute):  # i18n.t(...), cx.i18n.t(...)
        owner = func.value
        named = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
        return func.attr if named == "i18n" else None
    if isinstance(func, ast.Name) and (inside_i18n or func.id == "N_"):
        return func.id
    return None


def code_msgids(tree: ast.AST, *, titles: bool, inside_i18n: bool = False) -> set[str]:
    """msgids of one module or cell: i18n calls, and literal titles when ``titles``."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _called(node.func, inside_i18n)
            if name in CALLS:
                found.update(filter(None, (_literal(a) for a in node.args[: CALLS[name]])))
            if titles:
                found.update(
                    value
                    for kw in node.keywords
                    if kw.arg in TITLES and (value := _literal(kw.value))
                )
                if isinstance(node.func, ast.Name) and node.func.id == "_tip" and node.args[1:]:
                    found.update(filter(None, [_literal(node.args[1])]))  # a tooltip's title
        elif titles and isinstance(node, ast.Assign) and _literal(node.value):
            if any(isinstance(t, ast.Name) and t.id in TITLES for t in node.targets):
                found.add(_literal(node.value))  # subtitle = "..."
        elif titles and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            pairs = [
                *zip(args.args[len(args.args) - len(args.defaults) :], args.defaults, strict=True),
                *zip(args.kwonlyargs, args.kw_defaults, strict=True),
            ]
            found.update(
                value
                for arg, default in pairs
                if default is not None and arg.arg in TITLES and (value := _literal(default))
            )
    return {m for m in found if m.strip()}


def cxlib_msgids() -> set[str]:
    """Every msgid of the package's source."""
    from cxlib.churn._drivers import ACTIONS, DEFAULT_ACTION, FEATURE_TEXT
    from cxlib.churn._segments import CHANNEL_SEGMENTS
    from cxlib.pages import needs

    found: set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        titles = relative.startswith(("pages/", "report/"))
        found |= code_msgids(tree, titles=titles, inside_i18n=relative.startswith("i18n/"))
    found |= {text for pair in needs.NEEDS.values() for text in pair}
    found |= {*ACTIONS.values(), DEFAULT_ACTION, *FEATURE_TEXT.values()}  # churn reasons
    found |= set(CHANNEL_SEGMENTS.values())
    return found


def notebook_msgids(notebooks: Path = NOTEBOOKS) -> dict[str, set[str]]:
    """notebook name -> msgids of its markdown prose and literal chart and table titles."""
    found = {}
    for path in sorted(notebooks.glob("[0-9][0-9]-*.ipynb")):
        msgids: set[str] = set()
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "markdown":
                msgids.update(markdown_msgids(source))
            elif cell["cell_type"] == "code" and "parameters" not in cell["metadata"].get(
                "tags", []
            ):
                msgids |= code_msgids(ast.parse(source), titles=True)
        found[path.name] = msgids
    return found


def all_msgids() -> set[str]:
    return cxlib_msgids().union(*notebook_msgids().values())
