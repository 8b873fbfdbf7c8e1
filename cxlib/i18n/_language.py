"""The language of this process: which of the supported locales the report is written in."""

from __future__ import annotations

from cxlib._errors import DataError

LANGUAGES = ("en", "vi", "th")
"""The languages a report can be written in (``locale`` in cx.toml)."""

LOCALES = {"en": "en_US", "vi": "vi_VN", "th": "th_TH"}
"""Each language and the Babel locale whose formats it uses (also accepted by :func:`use`)."""
_ACCEPTED = {**{lang: lang for lang in LANGUAGES}, **{loc: lang for lang, loc in LOCALES.items()}}

_current = ["en"]


def language(locale: str, *, source: str = "cx.toml") -> str:
    """The language of ``locale`` (``"vi_VN"`` -> ``"vi"``), or a one-line DataError."""
    lang = _ACCEPTED.get(str(locale).strip())
    if lang is None:
        supported = ", ".join(f'"{k}"' for k in _ACCEPTED)
        raise DataError(
            f"{source}: [data] locale = {str(locale)!r} is not supported; use one of {supported}"
        )
    return lang


def use(locale: str) -> str:
    """Write everything that follows in the language of ``locale``; return that language.

    Parameters
    ----------
    locale : str
        ``"en"``, ``"vi"`` or ``"th"``, or ``"en_US"``, ``"vi_VN"``, ``"th_TH"`` (the
        ``locale`` of cx.toml).

    Returns
    -------
    str
        The language now in use: ``"en"``, ``"vi"`` or ``"th"``.

    Raises
    ------
    DataError
        For any other locale, naming cx.toml and the supported values.

    Examples
    --------
    >>> from cxlib import i18n
    >>> i18n.use("vi_VN")
    'vi'
    >>> i18n.current()
    'vi'
    >>> i18n.use("en")
    'en'
    """
    _current[0] = language(locale)
    return _current[0]


def current() -> str:
    """The language in use (``"en"`` until :func:`use` says otherwise).

    Examples
    --------
    >>> from cxlib import i18n
    >>> i18n.current()
    'en'
    """
    return _current[0]


def babel_locale() -> str:
    """The Babel locale of the language in use (``"vi_VN"``)."""
    return LOCALES[_current[0]]
