"""The report's front page: an executive summary, then the pages.

Top to bottom: the data period and how fresh it is; the headline KPIs, each with its
interval, its one-line definition (:mod:`cxlib.pages.kpis`) and its change since the last
published run; "What matters now", the ranked findings (:mod:`cxlib.pages.headlines`),
each linked to its evidence; every credible change; and the pages, each with a one-line
summary. Every string from the data is escaped.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

import cxlib.i18n as i18n
from cxlib.pages import needs
from cxlib.pages.headlines import Headline
from cxlib.privacy import escape
from cxlib.report._html import page
from cxlib.report._summary import change_sentence

if TYPE_CHECKING:
    from cxlib.io import Dataset

INDEX_CSS = """
.cx-period{color:#444;margin:6px 0 4px}
.kpi .interval{font-size:12px;color:#555}
.kpi .change{font-size:13px;font-weight:600;margin-top:4px}
.kpi .change.up{color:#1b6e3a}.kpi .change.down{color:#b3261e}.kpi .change.same{color:#666}
.kpi .definition{font-size:12px;color:#666;margin-top:6px}
ol.matters{padding-left:1.3em}ol.matters li{margin:0 0 10px}
ol.matters a,ul.changes a{white-space:nowrap;font-size:13px}
ul.pages .summary{color:#555;font-size:13px;margin-top:2px}
"""


def _date(moment: str | datetime) -> str:
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return i18n.date(value.date())


def _period(summary: dict[str, Any]) -> str:
    data = summary["data"]
    age = data["age_days"]
    fresh = (
        i18n.t("the newest data is from the day of this report")
        if age == 0
        else i18n.t("the newest data is {days} days older than this report", days=age)
    )
    line = i18n.t(
        "Data from {start} to {end} ({days} days); {fresh}.",
        start=_date(data["start"]),
        end=_date(data["end"]),
        days=i18n.number(data["days"]),
        fresh=fresh,
    )
    previous = summary.get("compared_with")
    if previous:
        line += " " + i18n.t(
            "Compared with the report of {when}.", when=_date(previous["generated_at"])
        )
    else:
        line += " " + i18n.t("No earlier report in this folder to compare with.")
    return f'<p class="cx-period">{escape(line)}</p>'


def _change_line(kpi: dict[str, Any], changes: dict[str, dict[str, Any]], compared: bool) -> str:
    if kpi["kind"] == "count" or not compared:
        return ""
    change = changes.get(kpi["key"])
    if change is None:
        return ""
    if not change["credible"]:
        text = i18n.t("No credible change since the last report")
        return f'<div class="change same">{escape(text)}</div>'
    delta = change["change"]
    arrow, css = ("▲", "up") if delta > 0 else ("▼", "down")
    text = i18n.t(
        "{arrow} {change} points since the last report",
        arrow=arrow,
        change=("+" if delta > 0 else "−") + i18n.number(abs(delta), decimals=1),
    )
    return f'<div class="change {css}">{escape(text)}</div>'


def _cards(summary: dict[str, Any], kpis: list[Any]) -> str:
    changes = {c["key"]: c for c in summary.get("changes", [])}
    compared = summary.get("compared_with") is not None
    cards = []
    for kpi in kpis:
        cards.append(
            f'<div class="kpi"><div class="label">{escape(kpi.label)}</div>'
            f'<div class="value">{escape(kpi.shown())}</div>'
            f'<div class="interval">{escape(kpi.interval())}</div>'
            f"{_change_line(kpi.to_dict(), changes, compared)}"
            f'<div class="definition">{escape(kpi.definition)}</div></div>'
        )
    return f'<div class="kpis">{"".join(cards)}</div>'


def _evidence(page_name: str) -> str:
    if not page_name:
        return ""
    return f' <a href="{escape(page_name)}.html">{escape(i18n.t("See the evidence"))} →</a>'


def _matters(ranked: list[Headline]) -> str:
    heading = f"<h2>{escape(i18n.t('What matters now'))}</h2>"
    if not ranked:
        none = i18n.t("No finding stands out in this data.")
        return f"{heading}<p>{escape(none)}</p>"
    items = "".join(f"<li>{escape(h.text)}{_evidence(h.page)}</li>" for h in ranked)
    order = i18n.t(
        "Ranked: changes since the last report first, then by the number of customers concerned."
    )
    return f'{heading}<ol class="matters">{items}</ol><p class="cx-note">{escape(order)}</p>'


def _changes(summary: dict[str, Any], pages: dict[str, str]) -> str:
    if summary.get("compared_with") is None:
        return ""
    heading = f"<h2>{escape(i18n.t('What changed since the last report'))}</h2>"
    tested = summary.get("changes", [])
    credible = [c for c in tested if c["credible"]]
    rule = i18n.t(
        "{n} figures tested; a change is shown when it is credible at a 5% false discovery "
        "rate (Benjamini–Hochberg).",
        n=i18n.number(len(tested)),
    )
    if not credible:
        none = i18n.t("No credible change since the last report.")
        return f"{heading}<p>{escape(none)} {escape(rule)}</p>"
    items = "".join(
        f"<li>{escape(change_sentence(c))}{_evidence(pages.get(c['key'], ''))}</li>"
        for c in credible
    )
    return f'{heading}<ul class="changes">{items}</ul><p class="cx-note">{escape(rule)}</p>'


def _listing(outcome: Any, summary_line: str) -> str:
    """One entry of the index: a link with its summary, or why the page is missing."""
    name, title = escape(outcome.job.name), escape(outcome.job.title)
    if outcome.status == "ran":
        line = f'<div class="summary">{escape(summary_line)}</div>' if summary_line else ""
        return f'<li><a href="{name}.html">{title}</a>{line}</li>'
    if outcome.status == "not available":
        reasons = escape("; ".join(needs.explain(need) for need in outcome.missing))
        what = escape(i18n.t("not available for this data"))
        return f'<li class="unavailable"><a href="{name}.html">{title}</a>: {what} ({reasons})</li>'
    if outcome.status == "skipped":
        why = i18n.t("skipped by configuration ([report] skip in cx.toml)")
        return f'<li class="skipped">{title}: {escape(why)}</li>'
    failed = i18n.t("failed")
    return f'<li class="failed">{title}: {escape(failed)} ({escape(outcome.error)})</li>'


def _rejected_note(dataset: Dataset) -> str:
    """A line above the headlines when rows were rejected: every figure leaves them out,
    and a large share usually means a misread column (a date format, a mapping)."""
    summary = dataset.summary().filter(pl.col("rejected") > 0)
    if summary.height == 0:
        return ""
    parts = [
        i18n.t(
            "{rejected} of {read} {kind} rows ({share})",
            rejected=i18n.number(rejected),
            read=i18n.number(read),
            kind=i18n._(kind),
            share=_share(rejected / read),
        )
        for kind, read, _, rejected in summary.iter_rows()
    ]
    worst = max(rejected / read for _, read, _, rejected in summary.iter_rows())
    text = i18n.t("{parts} could not be read and are not in any figure.", parts=", ".join(parts))
    if worst > 0.2:
        text += " " + i18n.t(
            "That many usually means a column is misread (a date format, a column mapping): "
            "run cx validate --config on the data and correct cx.toml."
        )
    label = i18n.t("Rows left out:")
    return f'<p class="cx-rejected"><b>{escape(label)}</b> {escape(text)}</p>'


def _share(share: float) -> str:
    if 0 < share < 0.001:
        return i18n.t("under {share}", share=i18n.percent(0.001, decimals=1))
    return i18n.percent(share, decimals=1)


def index_page(
    target: Path,
    dataset: Dataset,
    outcomes: list[Any],
    *,
    summary: dict[str, Any],
    kpis: list[Any],
    ranked: list[Headline],
    summaries: dict[str, str],
    change_pages: dict[str, str],
) -> Path:
    """Write the report's front page (see the module) to ``target``."""
    items = "".join(_listing(o, summaries.get(o.job.name, "")) for o in outcomes)
    footer = i18n.t(
        "Run {run}, generated {when} by cx report. Customer ids are pseudonymized; contact "
        "details in comments are masked.",
        run=summary["run_id"],
        when=_date(summary["generated_at"]),
    )
    body = (
        _period(summary)
        + _rejected_note(dataset)
        + f"<h2>{escape(i18n.t('Headlines'))}</h2>"
        + _cards(summary, kpis)
        + _matters(ranked)
        + _changes(summary, change_pages)
        + f'<h2>{escape(i18n.t("Report pages"))}</h2><ul class="pages">{items}</ul>'
        + f"<footer>{escape(footer)}</footer>"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    title = i18n.t("Customer experience report")
    target.write_text(page(title, body, back=False, css=INDEX_CSS), encoding="utf-8")
    return target
