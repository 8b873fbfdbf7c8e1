"""Report text in the reader's language, and numbers, dates and money as they write them.

``locale`` in cx.toml (``"en"``, ``"vi"``, ``"th"``, or ``"en_US"``, ``"vi_VN"``,
``"th_TH"``) chooses the language of everything a report says: the page shell, headings
and prose of the notebooks, KPI definitions, findings, chart titles and axes, table
labels. A notebook calls :func:`use` once, where it loads its dataset; everything after
that asks :func:`_` (a msgid) or :func:`t` (a msgid with named placeholders) for its text
and :func:`number`, :func:`percent`, :func:`money`, :func:`date`, :func:`period` for its
figures. Data values (touchpoint names, channels, comments) are shown as written.

The translations are the gettext catalogs ``vi.po`` and ``th.po`` next to this file, read
as they are at first use. A msgid without a translation is shown in English; a test
checks that every msgid of the code and the notebooks has both.

This package depends only on Babel, the standard library and ``cxlib._errors``: every
layer above may use it.

Examples
--------
>>> from cxlib import i18n
>>> i18n.use("vi_VN")
'vi'
>>> i18n.t("{share} of customers", share=i18n.percent(0.1234))
'12,3% khách hàng'
>>> i18n.use("en")
'en'
"""

from cxlib.i18n._catalog import N_, _, listing, nt, t
from cxlib.i18n._format import MISSING, date, money, number, percent, period
from cxlib.i18n._language import LANGUAGES, LOCALES, current, language, use
from cxlib.i18n._notebook import translate_notebook
from cxlib.i18n._vega import vega_locale

__all__ = [
    "LANGUAGES",
    "LOCALES",
    "MISSING",
    "N_",
    "_",
    "current",
    "date",
    "language",
    "listing",
    "money",
    "nt",
    "number",
    "percent",
    "period",
    "t",
    "translate_notebook",
    "use",
    "vega_locale",
]
