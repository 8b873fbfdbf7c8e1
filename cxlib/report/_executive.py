"""After the pages ran: rank the findings, mark the changes on the pages they concern,
write the index and ``summary.json`` into the site about to be published."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

import cxlib.i18n as i18n
from cxlib.pages import headlines, kpis, needs
from cxlib.pages.headlines import Headline
from cxlib.privacy import escape
from cxlib.report import _summary
from cxlib.report._index import index_page

if TYPE_CHECKING:
    from cxlib.io import Dataset

log = logging.getLogger("cx.report")

CHANGE_CSS = (
    ".cx-change{background:#e8f1fb;border-left:4px solid #1f5f8b;padding:10px 18px;"
    "margin:14px 0;border-radius:4px}"
)


def _topic(outcome: Any) -> str:
    """A page's topic: its notebook's name without the ``NN-`` prefix (``journey-map``)."""
    return outcome.job.notebook.stem.split("-", 1)[-1]


def _page_of(outcomes: list[Any], topic: str, stage: str | None = None) -> str:
    """The name of the published page of ``topic`` (of ``stage``, for a stage page), or ""."""
    for outcome in outcomes:
        if outcome.status != "ran" or _topic(outcome) != topic:
            continue
        if stage is None or outcome.job.parameters.get("stage") == stage:
            return outcome.job.name
    return ""


def _change_pages(changes: list[dict[str, Any]], outcomes: list[Any]) -> dict[str, list[str]]:
    """Each change's pages: the page of its KPI; a stage's own page and the journey map."""
    pages: dict[str, list[str]] = {}
    for change in changes:
        if change["stage"] is not None:
            found = [
                _page_of(outcomes, "stage", change["stage"]),
                _page_of(outcomes, "journey-map"),
            ]
        else:
            found = [_page_of(outcomes, change["page"])]
        pages[change["key"]] = [p for p in found if p]
    return pages


def _customers(change: dict[str, Any], summary: dict[str, Any]) -> int:
    """How many customers a change concerns: the figure's base times the change."""
    base = summary.get("customers", 0)
    for kpi in summary.get("kpis", []):
        if kpi["key"] == change["key"]:
            base = kpi.get("trials") or kpi.get("counts", {}).get("responses") or base
    for stage in summary.get("stages", []):
        if change["stage"] == stage["stage"]:
            base = stage["customers"]
    share = abs(change["change"]) / 100
    return round(base * share)


def computed_headlines(dataset: Dataset, stages: list[dict]) -> list[Headline]:
    """The headlines the report computes itself, from the data, before the pages run: the
    biggest stall (from the summary's ``stages``, moving on from each stage among settled
    customers), what goes with stalling there (the strongest stall driver) and friction →
    churn. Their pages are named when the index is written."""
    found: list[Headline] = []
    if stages and not needs.missing(dataset, "stages"):
        stall = headlines.biggest_stall(dataset, pl.DataFrame(stages))
        if stall is not None:
            found.append(stall)
            driver = headlines.stall_driver(dataset, stall.stage) if stall.stage else None
            if driver is not None:
                found.append(driver)
    if not needs.missing(dataset, "churn", "friction"):
        friction = headlines.friction_churn(dataset)
        if friction is not None:
            found.append(friction)
    return found


def _on_pages(found: list[Headline], outcomes: list[Any]) -> list[Headline]:
    """The computed headlines linked to the pages that show their evidence."""
    placed = []
    for h in found:
        if h.kind in ("stall", "stall_driver"):
            page = _page_of(outcomes, "stage", h.stage) or _page_of(outcomes, "journey-map")
        else:
            page = _page_of(outcomes, "churn")
        placed.append(dataclasses.replace(h, page=page))
    return placed


def _banners(site: Path, changes: list[dict[str, Any]], pages: dict[str, list[str]]) -> None:
    """On each page a credible change concerns: a note saying what changed, at the top."""
    by_page: dict[str, list[str]] = {}
    for change in changes:
        if change["credible"]:
            for page in pages.get(change["key"], []):
                by_page.setdefault(page, []).append(_summary.change_sentence(change))
    lead = i18n.t("Since the last report:")
    for page, sentences in by_page.items():
        target = site / f"{page}.html"
        if not target.is_file():
            continue
        items = "".join(f"<li>{escape(s)}</li>" for s in sentences)
        note = f'<div class="cx-change"><b>{escape(lead)}</b><ul>{items}</ul></div>'
        markup = target.read_text(encoding="utf-8")
        markup = markup.replace("</style>", CHANGE_CSS + "</style>", 1)
        markup = markup.replace("<main>", "<main>" + note, 1)
        target.write_text(markup, encoding="utf-8")


def write_index(
    dataset: Dataset,
    site: Path,
    result: Any,
    figures: list[kpis.KPI],
    computed: list[Headline],
) -> None:
    """Rank the findings, mark changes on their pages, write index.html and summary.json;
    ``figures`` are the headline KPIs the summary was made from, ``computed`` the headlines
    of :func:`computed_headlines`. Needs none of ``dataset``'s tables, only its counts."""
    summary, outcomes = result.summary, result.outcomes
    changes = summary.get("changes", [])
    pages = _change_pages(changes, outcomes)
    found = [
        Headline(
            _summary.change_sentence(change),
            "change",
            _customers(change, summary),
            next(iter(pages.get(change["key"], [])), ""),
            change=True,
        )
        for change in changes
        if change["credible"]
    ]
    found += _on_pages(computed, outcomes)
    for outcome in outcomes:
        found += list(outcome.headlines)
    ranked = headlines.rank(found)
    summaries = {o.job.name: o.summary for o in outcomes if o.summary}
    summary["findings"] = [h.to_dict() for h in ranked]
    summary["pages"] = [
        {
            "page": o.job.name,
            "title": o.job.title,
            "status": o.status,
            "summary": o.summary,
            "seconds": round(o.seconds, 1),
            "cpu_seconds": round(o.cpu_seconds, 1),
            "peak_mb": None if o.peak_mb is None else round(o.peak_mb),
        }
        for o in outcomes
    ]
    _banners(site, changes, pages)
    index_page(
        site / "index.html",
        dataset,
        outcomes,
        summary=summary,
        kpis=figures,
        ranked=ranked,
        summaries=summaries,
        change_pages={key: names[0] for key, names in pages.items() if names},
    )
    _summary.write(summary, site)
