"""Translations: the gettext catalogs of this package (``vi.po``, ``th.po``), read once.

The ``.po`` files are read as they are (``babel.messages.pofile.read_po``), no compile
step. A msgid with no translation, or a fuzzy one, is written in English.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from cxlib.i18n._language import LANGUAGES, current

_HERE = Path(__file__).parent


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """msgid -> translation of ``lang``'s catalog (empty for English)."""
    if lang == "en" or lang not in LANGUAGES:
        return {}
    with open(_HERE / f"{lang}.po", "rb") as file:
        po = read_po(file, locale=lang)
    return {
        str(message.id): str(message.string)
        for message in po
        if message.id and message.string and not message.fuzzy
    }


def _(msgid: str) -> str:
    """The translation of ``msgid`` in the language in use (``msgid`` itself in English or
    when the catalog has none).

    Examples
    --------
    >>> from cxlib import i18n
    >>> _ = i18n.use("vi"), i18n._("Customers"), i18n.use("th"), i18n._("Customers")
    >>> _[1], _[3]
    ('Khách hàng', 'ลูกค้า')
    >>> i18n.use("en"), i18n._("Customers")
    ('en', 'Customers')
    """
    return catalog(current()).get(msgid, msgid)


def N_(msgid: str) -> str:  # noqa: N802 (the gettext name)
    """Mark ``msgid`` for the catalog without translating it now (translate it where it is
    shown, with :func:`_`).

    Examples
    --------
    >>> from cxlib import i18n
    >>> i18n.N_("Customers")
    'Customers'
    """
    return msgid


def t(msgid: str, /, **values: Any) -> str:
    """Translate ``msgid``, then fill its ``{named}`` placeholders with ``values``.

    Format the numbers first (:func:`number`, :func:`percent`, :func:`money`) so they are
    written the way the language writes them.

    Examples
    --------
    >>> from cxlib import i18n
    >>> i18n.use("vi"), i18n.t("{n} customers", n=i18n.number(1200))
    ('vi', '1.200 khách hàng')
    >>> i18n.use("en"), i18n.t("{n} customers", n=i18n.number(1200))
    ('en', '1,200 customers')
    """
    text = _(msgid)
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):  # a broken translation: say it in English
        return msgid.format(**values)


def nt(singular: str, plural: str, n: int, /, **values: Any) -> str:
    """:func:`t` of ``singular`` when ``n`` is 1, else of ``plural``; ``{n}`` is ``n``
    written as the language writes numbers, unless ``values`` gives it.

    Vietnamese and Thai do not inflect: their catalogs give both the same translation.

    Examples
    --------
    >>> from cxlib import i18n
    >>> i18n.nt("{n} day", "{n} days", 1), i18n.nt("{n} day", "{n} days", 1200)
    ('1 day', '1,200 days')
    """
    from cxlib.i18n._format import number

    values.setdefault("n", number(n))
    return t(singular if n == 1 else plural, **values)


def listing(items: Any) -> str:
    """Names joined as a sentence lists them: "a", "a and b", "a, b and c" ("a, b và c").

    Examples
    --------
    >>> from cxlib import i18n
    >>> i18n.listing(["web", "app", "store"])
    'web, app and store'
    >>> i18n.use("th"), i18n.listing(["web", "app"]), i18n.use("en")
    ('th', 'web และ app', 'en')
    """
    items = [str(item) for item in items]
    if len(items) <= 1:
        return "".join(items)
    return t("{items} and {last}", items=", ".join(items[:-1]), last=items[-1])
