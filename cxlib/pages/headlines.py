"""Headlines: the findings the report's index ranks under "What matters now".

A headline is one sentence computed from an analysis, the number of customers it concerns
(the ranking key: what touches most customers comes first) and the page that holds its
evidence. Some are computed where the index is drawn (:func:`biggest_stall`,
:func:`stall_driver`, :func:`friction_churn`); the costly ones come from the pages that
compute them anyway: a notebook displays ``headlines.mark(finding, kind=...,
customers=...)``, which shows as the finding itself and carries the headline in the output
under :data:`MIME`, where the report finds it (:func:`harvest`).

Examples
--------
>>> from cxlib.pages.findings import Finding
>>> marked = mark(Finding("Omnichannel buyers spend more."), kind="omnichannel", customers=120)
>>> bundle = marked._repr_mimebundle_()
>>> bundle[MIME]["customers"], "Omnichannel buyers spend more." in bundle["text/html"]
(120, True)
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import eager
from cxlib._errors import DataError
from cxlib.churn import friction_churn as churn_by_friction
from cxlib.pages._stall_view import headline_text, largest_driver
from cxlib.pages._wording import _readable
from cxlib.pages.findings import Finding, friction_churn_sentence, listing
from cxlib.pages.stage_view import stall_drivers
from cxlib.voc import stalled_comments

if TYPE_CHECKING:
    from cxlib.io import Dataset

__all__ = [
    "MIME",
    "Headline",
    "at_risk",
    "biggest_stall",
    "friction_churn",
    "harvest",
    "mark",
    "omnichannel",
    "page_summary",
    "rank",
    "stall_driver",
]

MIME = "application/vnd.cx.headline+json"


@dataclass(frozen=True)
class Headline:
    """One finding for the index: ``text``, its ``kind``, the ``customers`` it concerns and
    the ``page`` (report page name) with the evidence; ``change`` marks a credible change
    since the last run (ranked first); ``stage`` is the journey stage it is about, if any."""

    text: str
    kind: str
    customers: int
    page: str = ""
    change: bool = False
    stage: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Marked:
    finding: Finding
    kind: str
    customers: int
    text: str

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        data = {"text": self.text, "kind": self.kind, "customers": self.customers}
        return {
            "text/html": self.finding._repr_html_(),
            "text/plain": str(self.finding),
            MIME: data,
        }


def mark(finding: Finding, *, kind: str, customers: int, text: str | None = None) -> _Marked:
    """Show ``finding`` as usual and offer it to the index as a headline: ``text`` (default:
    the finding's own), concerning ``customers``."""
    return _Marked(finding, kind, int(customers), str(finding) if text is None else text)


def harvest(notebook: Any, page: str) -> list[Headline]:
    """The headlines an executed notebook (an ``nbformat`` node) offered with :func:`mark`."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get(MIME)
            if isinstance(data, dict) and data.get("text"):
                found.append(Headline(data["text"], data["kind"], int(data["customers"]), page))
    return found


_FINDING = re.compile(r'class="cx-finding">(.*?)</(?:p|div)>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ỹ])")  # Thai writes no full stops


def page_summary(notebook: Any) -> str:
    """A page's one-line summary: the first finding it shows (its first sentence), or ""."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            markup = output.get("data", {}).get("text/html", "")
            markup = markup if isinstance(markup, str) else "".join(markup)
            if match := _FINDING.search(markup):
                text = " ".join(html.unescape(_TAG.sub(" ", match.group(1))).split())
                if text:
                    return _SENTENCE_END.split(text, maxsplit=1)[0]
    return ""


def biggest_stall(ds: Dataset, stages: pl.DataFrame, *, page: str = "") -> Headline | None:
    """The stage where most customers stop (reached it, never a later stage), and the theme
    its stalled customers' comments mention most (:func:`cxlib.voc.stalled_comments`).

    ``stages`` is :func:`cxlib.pages.kpis.stage_conversion`'s frame.
    """
    rows = stages.filter(pl.col("conversion_to_next").is_not_null() & (pl.col("customers") > 0))
    if rows.height == 0:
        return None
    worst = rows.with_columns((pl.col("customers") - pl.col("reached_next")).alias("lost"))
    worst = worst.sort("lost", descending=True).row(0, named=True)
    text = i18n.t(
        "The biggest stall is at {stage}: {lost} of {customers} customers who reached it "
        "({share}) never moved on to a later stage.",
        stage=worst["stage"],
        lost=i18n.number(worst["lost"]),
        customers=i18n.number(worst["customers"]),
        share=i18n.percent(1 - worst["conversion_to_next"], decimals=0),
    )
    said = _top_theme(ds, worst["stage"]) if ds.surveys is not None else None
    if said is not None:
        theme, count, total = said
        text += " " + i18n.t(
            "Their comments most often mention {theme} ({count} of {total}).",
            theme=theme,
            count=i18n.number(count),
            total=i18n.number(total),
        )
    return Headline(text, "stall", int(worst["lost"]), page, stage=worst["stage"])


def stall_driver(ds: Dataset, stage: str, *, page: str = "") -> Headline | None:
    """What goes with stalling at ``stage`` (:func:`cxlib.pages.stage_view.stall_drivers`):
    among the features seen before the stage that pass the false-discovery control with an
    interval excluding no effect, the one that adds the most customers to the stall
    (customers with it × the risk difference), which is the customers it concerns. None
    when there is none.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> found = stall_driver(ds, ds.stages.stages[1])
    >>> found is None or (found.kind, found.stage) == ("stall_driver", ds.stages.stages[1])
    True
    """
    try:
        analysis = stall_drivers(ds, stage)
    except DataError:  # nothing to test on this data: the stall stands on its own
        return None
    row = None if analysis is None else largest_driver(analysis)
    if analysis is None or row is None:
        return None
    text = str(headline_text(analysis, stage))
    return Headline(text, "stall_driver", round(row["extra"]), page, stage=stage)


def _top_theme(ds: Dataset, stage: str) -> tuple[str, int, int] | None:
    try:
        comments = stalled_comments(ds, stage, limit=None)
    except Exception:  # noqa: BLE001 - no comments to read: the stall stands on its own
        return None
    themed = comments.filter(pl.col("theme").is_not_null() & (pl.col("theme") != "other"))
    if themed.height == 0:
        return None
    counts = themed.group_by("theme").len().sort("len", "theme", descending=[True, False])
    theme, count = counts.row(0)
    return i18n._(str(theme).replace("_", " ")), int(count), comments.height


def friction_churn(ds: Dataset, *, page: str = "") -> Headline | None:
    """Friction → churn, when the intervals tell the most and least affected apart."""
    frame = churn_by_friction(ds)
    rows = [r for r in frame.iter_rows(named=True) if r["customers"]]
    if len(rows) < 2:
        return None
    base, worst = rows[0], rows[-1]
    if not (worst["churn_rate_low"] or 0) > (base["churn_rate_high"] or 1):
        return None
    extra = round(worst["customers"] * (worst["churn_rate"] - base["churn_rate"]))
    return Headline(str(friction_churn_sentence(frame)), "friction", int(extra), page)


def at_risk(model: Any, features: Any, *, horizon: str) -> _Marked | None:
    """How many of today's customers the churn model gives a predicted risk above 50% of
    leaving within ``horizon`` (:func:`cxlib.churn.fit`'s model, :func:`cxlib.churn.features`
    of today); shown on the churn page and offered to the index.
    """
    scored = model.score(eager(features))
    if scored.height == 0:
        return None
    likely = scored.filter(pl.col("churn_probability") > 0.5).height
    text = i18n.t(
        "{n} of {scored} active customers ({share}) have a predicted risk above 50% of leaving "
        "within {horizon}: contact the riskiest first, with the action suggested for each.",
        n=i18n.number(likely),
        scored=i18n.number(scored.height),
        share=i18n.percent(likely / scored.height, decimals=1),
        horizon=_readable(horizon),
    )
    return mark(Finding(text), kind="at_risk", customers=likely)


def omnichannel(verdict: Any) -> _Marked | None:
    """The omnichannel verdict for the index, from :func:`cxlib.omnichannel.compare`: value
    per customer when the interval tells the groups apart, else the distinguishable metric
    with the largest uplift, else value per customer (saying the data cannot tell).

    Shown on the page as the list of every metric's verdict; concerns the omnichannel
    customers.
    """
    frame = eager(verdict)
    if frame.height == 0:
        return None
    apart = frame.filter(pl.col("distinguishable"))
    value = frame.filter(pl.col("metric") == "value")
    if value.height and (value["distinguishable"][0] or apart.height == 0):
        row = value.row(0, named=True)
    elif apart.height:
        row = apart.sort(pl.col("uplift").abs(), descending=True).row(0, named=True)
    else:
        row = frame.row(0, named=True)
    return mark(
        listing(frame.get_column("verdict")),
        kind="omnichannel",
        customers=int(row["omnichannel_customers"] or 0),
        text=str(row["verdict"]),
    )


def rank(headlines: list[Headline], *, limit: int = 5) -> list[Headline]:
    """Credible changes first, then by the customers concerned; at most ``limit``."""
    ordered = sorted(headlines, key=lambda h: (not h.change, -h.customers))
    return ordered[:limit]
