"""The parameters of the report notebooks: what each declares, checking ``-p key=value``
and listing them (``cx report --list-params``).

A notebook declares its parameters in the code cell tagged ``parameters``, one literal per
line with a comment saying what it is (``every = "1w"  # period for activity over time``).
The cell is read with :mod:`ast` and :mod:`tokenize`, not with papermill's line pattern,
which misreads a ``#`` inside a string and drops a line with an ``=`` in its comment.

Two parameters are the run's own: ``data`` (the run's ``--data`` or ``--config``) and
``render`` (``"static"``: offline pages with inline SVG charts); ``-p`` may not set them.
``stage`` may be given: the per-stage notebook then runs for that stage only.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxlib._engine import close_match
from cxlib._errors import DataError

# What the run sets itself, and what to do instead of ``-p``.
SET_BY_REPORT = {
    "data": "cx report sets it to the run's data; pass --data DIR or --config cx.toml instead",
    "render": 'cx report sets it to "static" (offline pages, inline SVG charts); '
    '"interactive" is for JupyterLab',
}


@dataclass(frozen=True)
class Parameter:
    """One parameter of a notebook: its name, its default as written in the cell and the
    comment on its line (without the ``#``; ``""`` when there is none)."""

    name: str
    default: str
    comment: str


def parameters_in(source: str) -> tuple[Parameter, ...]:
    """The parameters a ``parameters`` cell assigns, in cell order.

    Parameters
    ----------
    source : str
        The cell's source. IPython lines (``%magic``, ``!command``) are skipped.

    Returns
    -------
    tuple of Parameter
        One per assigned name (``a = b = 1`` gives two); other statements are ignored.

    Raises
    ------
    SyntaxError
        When the cell is not Python.

    Examples
    --------
    >>> every, folds = parameters_in('every = "1w"  # period of the trend\\nfolds = 3')
    >>> every
    Parameter(name='every', default='"1w"', comment='period of the trend')
    >>> folds.default, folds.comment
    ('3', '')
    """
    source = re.sub(r"(?m)^[ \t]*[%!].*$", "", source)  # line numbers stay
    statements = ast.parse(source).body
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    found = []
    for node in statements:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        written = ast.get_source_segment(source, value) if value is not None else None
        default = re.sub(r"\s*\n\s*", " ", written or "")
        lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
        comment = comments.get(lines[-1]) or next((comments[i] for i in lines if i in comments), "")
        found += [Parameter(t.id, default, comment) for t in targets if isinstance(t, ast.Name)]
    return tuple(found)


def parameters_of(notebook: Path) -> tuple[Parameter, ...]:
    """The parameters ``notebook`` declares in its cell tagged ``parameters`` (none: ``()``).

    Raises
    ------
    DataError
        When the notebook cannot be read or its parameters cell is not Python.

    Examples
    --------
    >>> from cxlib.report import default_notebooks_dir
    >>> [p.name for p in parameters_of(default_notebooks_dir() / "20-stage.ipynb")]
    ['data', 'render', 'stage']
    """
    import nbformat

    try:
        cells = nbformat.read(notebook, as_version=4).cells
    except (OSError, ValueError, AttributeError) as err:
        raise DataError(f"{notebook}: not a readable notebook ({err}); restore the file") from None
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        return ()
    try:
        return parameters_in(tagged[0].source)
    except (SyntaxError, tokenize.TokenError) as err:
        raise DataError(
            f"{notebook}: the parameters cell is not Python ({err}); write one literal per "
            'line, e.g. every = "1w"  # period for activity over time'
        ) from None


def check_parameters(
    parameters: Mapping[str, Any],
    declared: Mapping[Path, tuple[Parameter, ...]],
    *,
    listing: str = "cx report --list-params",
) -> None:
    """Check that every ``-p`` key is declared by a report notebook and not one the run sets.

    Parameters
    ----------
    parameters : mapping
        The ``-p key=value`` parameters of a run.
    declared : mapping
        Each report notebook's parameters (:func:`parameters_of`).
    listing : str
        The command that lists the parameters, for the message.

    Raises
    ------
    DataError
        One line naming the key, a close match among the declared names if any and how
        to list them; or, for ``data`` and ``render``, what to do instead.

    Examples
    --------
    >>> from cxlib.report import default_notebooks_dir, report_parameters
    >>> declared = report_parameters(default_notebooks_dir())
    >>> check_parameters({"funnel_within": "3d", "stage": "conversion"}, declared)
    >>> check_parameters({"funnel_withn": "3d"}, declared)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cxlib._errors.DataError: -p funnel_withn: ...; did you mean 'funnel_within' or ...? ...
    """
    names = sorted({p.name for params in declared.values() for p in params})
    for key in parameters:
        if key in SET_BY_REPORT:
            raise DataError(f"-p {key}: {SET_BY_REPORT[key]}")
        if key not in names:
            raise DataError(
                f"-p {key}: no report notebook declares this parameter; "
                f"{close_match(key, names)}list them with {listing}"
            )


def describe_parameters(declared: Mapping[Path, tuple[Parameter, ...]]) -> str:
    """Plain text listing each notebook's parameters, aligned: ``name = default  # comment``,
    then which ones ``cx report`` sets itself.

    Examples
    --------
    >>> from cxlib.report import default_notebooks_dir, report_parameters
    >>> text = describe_parameters(report_parameters(default_notebooks_dir()))
    >>> print(text.splitlines()[0])
    00-data-health
    >>> print(text.splitlines()[1])  # doctest: +NORMALIZE_WHITESPACE
      data = "../data/sample"  # data folder or cx.toml
    """
    everything = [p for params in declared.values() for p in params]
    name_width = max((len(p.name) for p in everything), default=0)
    default_width = max((len(p.default) for p in everything), default=0)
    lines = []
    for notebook, params in declared.items():
        lines.append(notebook.stem)
        for p in params:
            line = f"  {p.name:<{name_width}} = {p.default:<{default_width}}"
            lines.append(f"{line}  # {p.comment}" if p.comment else line.rstrip())
        if not params:
            lines.append("  (no cell tagged parameters)")
        lines.append("")
    own = [name for name in SET_BY_REPORT if name in {p.name for p in everything}]
    if own:
        lines.append(
            f"{' and '.join(own)}: set by cx report (the run's --data or --config; static "
            "offline pages), not with -p."
        )
    per_stage = [nb.stem for nb, params in declared.items() if "stage" in {p.name for p in params}]
    if per_stage:
        lines.append(
            f"stage: {', '.join(per_stage)} runs once per stage of the journey model; "
            "-p stage=NAME runs it for that stage only."
        )
    lines.append("Give any other with -p KEY=VALUE: it reaches every notebook declaring it.")
    return "\n".join(lines)
