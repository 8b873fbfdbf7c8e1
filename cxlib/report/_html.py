"""Stakeholder HTML: executed notebooks without code, and the report's index page.

Pages are self-contained: nbconvert's ``basic`` template (no require.js, no MathJax, no
CDN) inside our own page shell with inline CSS; charts arrive as inline SVG (static
rendering). Every string from the data is escaped before it reaches a page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cxlib._engine import eager
from cxlib.pages import needs
from cxlib.privacy import escape
from cxlib.voc import nps

if TYPE_CHECKING:
    from cxlib.io import Dataset

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.55 Inter,Segoe UI,Helvetica,Arial,sans-serif;color:#222;
background:#f6f7f9}
header{background:#1f3b57;color:#fff;padding:14px 28px}
header a{color:#cfe3f5;text-decoration:none;font-size:14px}
header h1{margin:4px 0 0;font-size:22px;font-weight:600;color:#fff}
main{max-width:1040px;margin:0 auto;padding:20px 28px 60px;background:#fff;min-height:90vh}
main h1,main h2,main h3{color:#1f3b57;line-height:1.25}\n.anchor-link{display:none}
.jp-Cell,.cell{margin:0 0 10px}
.jp-OutputArea-output pre,.output_text pre{background:#f7f7f9;padding:8px;overflow-x:auto;
font-size:13px}
img,svg{max-width:100%;height:auto}
.kpis{display:flex;flex-wrap:wrap;gap:14px;margin:18px 0 26px}
.kpi{flex:1 1 200px;background:#f3f6fa;border-radius:8px;padding:14px 18px}
.kpi .value{font-size:28px;font-weight:650;color:#1f3b57}
.kpi .label{font-size:13px;color:#555}
.kpi .detail{font-size:12px;color:#777}
ul.pages{list-style:none;padding:0}
ul.pages li{padding:8px 0;border-bottom:1px solid #eee}
ul.pages a{color:#1f5f8b;font-weight:600;text-decoration:none}
.failed{color:#b3261e}
.unavailable,.skipped{color:#6b5900}
.cx-unavailable,.cx-rejected{background:#fff8e1;border-left:4px solid #e0a800;
padding:10px 18px;margin:14px 0;border-radius:4px}
footer{color:#888;font-size:12px;margin-top:30px}
"""


def page(title: str, body: str, *, back: bool = True) -> str:
    """A complete, self-contained HTML page around an already-safe ``body``."""
    nav = '<a href="index.html">&larr; All report pages</a>' if back else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header>{nav}<h1>{escape(title)}</h1></header><main>{body}</main></body></html>\n"
    )


def _noise(output: dict) -> bool:
    """stderr streams: warnings and progress, not for stakeholders."""
    return output.get("output_type") == "stream" and output.get("name") == "stderr"


def _inline_svg(output: dict) -> dict:
    """Charts as inline ``<svg>`` rather than base64 images: searchable, accessible text.

    The SVG comes from vl-convert, which escapes every label it draws.
    """
    data = output.get("data", {})
    svg = data.get("image/svg+xml")
    if svg and "text/html" not in data:
        markup = svg if isinstance(svg, str) else "".join(svg)
        if markup.startswith("<?xml"):
            markup = markup.split("?>", 1)[1]
        output["data"] = {"text/html": f'<div class="cx-chart">{markup}</div>'}
    return output


def export_html(executed: Path, target: Path, *, title: str) -> Path:
    """Export an executed notebook to a stakeholder page: outputs and prose, no code.

    stderr streams (warnings, progress) are dropped; everything else the notebook showed is
    kept as it was rendered (tables are escaped by :mod:`cxlib.pages.tables`, charts are SVG).
    """
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(executed, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [_inline_svg(o) for o in cell.get("outputs", []) if not _noise(o)]
    notebook.metadata.pop("widgets", None)
    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )
    body, _ = exporter.from_notebook_node(notebook)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page(title, body), encoding="utf-8")
    return target


def _inactive(touchpoints: Any, days: int) -> tuple[str, str, str]:
    """The churn rule's headline: customers with no touchpoint in the data's last ``days``."""
    import polars as pl

    end = touchpoints.get_column("ts").max()
    last = touchpoints.group_by("customer_id").agg(pl.col("ts").max())
    gone = last.filter(pl.col("ts") < end - timedelta(days=days)).height
    share = f"{gone / last.height:.1%}" if last.height else "–"
    return ("Lapsed", share, f"customers with no touchpoint in the last {days} days (churn rule)")


def _kpis(dataset: Dataset) -> list[tuple[str, str, str]]:
    """Headline figures: (label, value, detail)."""
    import polars as pl

    touchpoints = eager(dataset.touchpoints)
    customers = touchpoints.get_column("customer_id").n_unique()
    target = dataset.config.conversion
    converted = (
        touchpoints.filter(pl.col("touchpoint") == target).get_column("customer_id").n_unique()
    )
    figures = [("Customers", f"{customers:,}", "with at least one touchpoint")]
    if touchpoints.get_column("touchpoint").n_unique() > 1:
        share = f"{converted / customers:.1%}" if customers else "–"
        figures.append(("Conversion", share, f"customers who reached {target}"))
    elif customers:  # an order log: everyone converted; how many came back is the news
        days = touchpoints.group_by("customer_id").agg(pl.col("ts").dt.date().n_unique())
        repeat = days.filter(pl.col("ts") >= 2).height
        figures.append(
            ("Repeat buyers", f"{repeat / customers:.1%}", "customers who bought on 2+ days")
        )
    if dataset.surveys is not None:
        score = nps(dataset.surveys)
        if score.height and score["responses"][0]:
            row = score.row(0, named=True)
            figures.append(
                (
                    "NPS",
                    f"{row['nps']:+.0f}",
                    f"95% CI {row['ci_low']:+.0f} to {row['ci_high']:+.0f}, "
                    f"{row['responses']:,} answers",
                )
            )
    customers_table = eager(dataset.customers)
    label = dataset.config.churn_label
    if dataset.config.churn_inactivity_days is not None:
        figures.append(_inactive(touchpoints, dataset.config.churn_inactivity_days))
    elif customers_table is not None and label and label in customers_table.columns:
        churned = customers_table.get_column(label).drop_nulls()
        if churned.len():
            figures.append(
                (
                    "Churn rate",
                    f"{churned.mean():.1%}",
                    f"of {churned.len():,} customers with a churn label",
                )
            )
    return figures


def unavailable_page(target: Path, title: str, missing: tuple[str, ...] | list[str]) -> Path:
    """The page of a notebook that was not run because the data lacks what it needs.

    It says "Not available for this data" and, for each missing need of
    :mod:`cxlib.pages.needs`, what is missing and how to add it; in the same shell as the
    other pages.
    """
    items = "".join(f"<li>{escape(needs.explain(need))}</li>" for need in missing)
    body = (
        '<div class="cx-unavailable"><p><b>Not available for this data.</b> '
        "This page was not produced because the data lacks what it needs:</p>"
        f"<ul>{items}</ul><p>Add it and run <code>cx report</code> again.</p></div>"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page(title, body), encoding="utf-8")
    return target


def _listing(outcome: Any) -> str:
    """One entry of the index: a link, or why the page is missing or not available."""
    name, title = escape(outcome.job.name), escape(outcome.job.title)
    if outcome.status == "ran":
        return f'<li><a href="{name}.html">{title}</a></li>'
    if outcome.status == "not available":
        reasons = escape("; ".join(needs.explain(need) for need in outcome.missing))
        return (
            f'<li class="unavailable"><a href="{name}.html">{title}</a>: '
            f"not available for this data ({reasons})</li>"
        )
    if outcome.status == "skipped":
        why = "skipped by configuration ([report] skip in cx.toml)"
        return f'<li class="skipped">{title}: {why}</li>'
    return f'<li class="failed">{title}: failed ({escape(outcome.error)})</li>'


def _rejected_note(dataset: Dataset) -> str:
    """A line above the headlines when rows were rejected: every figure leaves them out,
    and a large share usually means a misread column (a date format, a mapping)."""
    import polars as pl

    summary = dataset.summary().filter(pl.col("rejected") > 0)
    if summary.height == 0:
        return ""
    parts = [
        f"{rejected:,} of {read:,} {kind} rows ({_share(rejected / read)})"
        for kind, read, _, rejected in summary.iter_rows()
    ]
    worst = max(rejected / read for _, read, _, rejected in summary.iter_rows())
    advice = (
        "; that many usually means a column is misread (a date format, a column mapping): "
        "run cx validate --config on the data and correct cx.toml"
        if worst > 0.2
        else ""
    )
    return (
        '<p class="cx-rejected"><b>Rows left out:</b> '
        f"{escape(', '.join(parts))} could not be read and are not in any figure"
        f"{escape(advice)}.</p>"
    )


def _share(share: float) -> str:
    return "under 0.1%" if 0 < share < 0.001 else f"{share:.1%}"


def index_page(target: Path, dataset: Dataset, outcomes: list[Any], *, run_id: str) -> Path:
    """The report's front page: KPIs and a line per page (a link, or why it is missing)."""
    cards = "".join(
        f'<div class="kpi"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div><div class="detail">{escape(detail)}</div></div>'
        for label, value, detail in _kpis(dataset)
    )
    items = "".join(_listing(outcome) for outcome in outcomes)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        _rejected_note(dataset) + "<h2>Headlines</h2>"
        f'<div class="kpis">{cards}</div>'
        f'<h2>Report pages</h2><ul class="pages">{items}</ul>'
        f"<footer>Run {escape(run_id)}, generated {escape(when)} by cx report. Customer ids "
        "are pseudonymized.</footer>"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page("Customer experience report", body, back=False), encoding="utf-8")
    return target
