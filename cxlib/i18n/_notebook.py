"""Translating the prose of an executed notebook (its markdown cells) before export."""

from __future__ import annotations

import re
from typing import Any

from cxlib.i18n._catalog import catalog
from cxlib.i18n._language import current
from cxlib.i18n._language import language as language_of

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")


def msgid_of(text: str) -> str:
    """The msgid of a block of markdown: its words on one line."""
    return " ".join(text.split())


def markdown_msgids(source: str) -> list[str]:
    """The msgids of a markdown cell: every heading, and every other block (paragraphs
    separated by a blank line), each on one line."""
    found = []
    for block in re.split(r"\n\s*\n", source):
        lines = block.strip().splitlines()
        prose = []
        for line in lines:
            heading = _HEADING.match(line)
            if heading:
                found.append(msgid_of(heading.group(2)))
            else:
                prose.append(line)
        if "".join(prose).strip():
            found.append(msgid_of("\n".join(prose)))
    return found


def _translate_markdown(source: str, translations: dict[str, str]) -> str:
    blocks = []
    for block in re.split(r"\n\s*\n", source):
        lines, prose, out = block.strip("\n").splitlines(), [], []
        for line in lines:
            heading = _HEADING.match(line)
            if heading:
                title = msgid_of(heading.group(2))
                out.append(f"{heading.group(1)} {translations.get(title, title)}")
            else:
                prose.append(line)
        if "".join(prose).strip():
            text = "\n".join(prose)
            out.append(translations.get(msgid_of(text), text))
        blocks.append("\n".join(out))
    return "\n\n".join(blocks)


def translate_notebook(notebook: Any, language: str | None = None) -> Any:
    """Translate the markdown cells of ``notebook`` in place and return it.

    Every heading, and every block of prose (paragraphs separated by a blank line) that is
    a msgid of the catalog once its line breaks are spaces, becomes its translation (on one
    line: a block is a paragraph, so a list or a table in notebook prose would need a msgid
    per block and would lose its line breaks);
    anything else (code, outputs, text the catalog lacks) stays as it is. Outputs were
    already written in the language by the kernel (:func:`use` in the notebook).

    Parameters
    ----------
    notebook : nbformat.NotebookNode or dict
        An executed notebook (``cells`` with ``cell_type`` and ``source``).
    language : str, optional
        A locale of :func:`use`; default: the language in use.

    Returns
    -------
    The same notebook.

    Examples
    --------
    >>> from cxlib import i18n
    >>> nb = {"cells": [{"cell_type": "markdown", "source": "## Stages reached"}]}
    >>> i18n.translate_notebook(nb, "vi")["cells"][0]["source"]
    '## Các giai đoạn khách hàng đạt tới'
    """
    lang = current() if language is None else language_of(language)
    translations = catalog(lang)
    if not translations:
        return notebook
    for cell in notebook["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        source = cell["source"]
        source = source if isinstance(source, str) else "".join(source)
        cell["source"] = _translate_markdown(source, translations)
    return notebook
