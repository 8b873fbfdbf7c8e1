"""Stall drivers in words and tables, for the stage page, the explorer's drop-off panel and
the report's ranked findings (:mod:`cxlib.stall` computes them).

Every sentence comes from the numbers of :class:`cxlib.stall.StallAnalysis` and says so
when there is nothing to tell: nobody reached the step, nobody (or everybody) stalled, no
feature had the support to be tested, or none passed the false-discovery control.
"""

from __future__ import annotations

import polars as pl

import cxlib.i18n as i18n
from cxlib.i18n import N_
from cxlib.pages._wording import Finding, _listing, _pct
from cxlib.pages.tables import Table, table
from cxlib.privacy import escape
from cxlib.stall import StallAnalysis

__all__ = [
    "HEADERS",
    "describe",
    "drivers_html",
    "headline_text",
    "largest_driver",
    "stall_sentence",
    "stall_table",
    "top_drivers",
]

# the drivers table's headers (tables show a column as its words: these are their msgids)
HEADERS = (
    N_("Before the stall"),
    N_("Customers with"),
    N_("Stall rate with"),
    N_("Stall rate without"),
    N_("Difference"),
    N_("Interval"),
    N_("Odds ratio"),
    N_("Q value"),
)
BANDS = {  # survey bands (cxlib.stall), as a table or a sentence names them
    "detractor": N_("detractor (0–6)"),
    "promoter": N_("promoter (9–10)"),
    "dissatisfied": N_("dissatisfied (1–2)"),
    "satisfied": N_("satisfied (4–5)"),
    "difficult": N_("difficult (1–3)"),
    "easy": N_("easy (5–7)"),
}


def describe(kind: str, feature: str, value: str) -> str:
    """A feature in plain language, to follow "customers who": "did payment_failed",
    "have country VN", "answered NPS detractor (0–6)"."""
    if kind == "touchpoint":
        return i18n.t("did {touchpoint}", touchpoint=value)
    if kind == "property":
        return i18n.t("had a touchpoint with {column} {value}", column=feature, value=value)
    if kind == "survey":
        band = i18n._(BANDS[value]) if value in BANDS else value
        return i18n.t("answered {survey} {band}", survey=feature.upper(), band=band)
    return i18n.t("have {column} {value}", column=feature, value=value)


def top_drivers(analysis: StallAnalysis, *, top: int = 3) -> pl.DataFrame:
    """The significant features that raise the stall rate, whose interval excludes no
    effect, strongest first (at most ``top``)."""
    frame = analysis.drivers
    if frame.height == 0:  # nothing tested (possibly without the columns)
        return frame
    return frame.filter(pl.col("significant") & (pl.col("rd_ci_low") > 0)).head(top)


def _q(q: float | None) -> str:
    if q is None:
        return ""
    return f"< {i18n.number(0.001, 3)}" if q < 0.001 else i18n.number(q, 3)


def _points(value: float) -> str:
    return i18n.number(value * 100, 1)


def _driver(row: dict, confidence: int) -> str:
    return i18n.t(
        "customers who {feature} stalled {with_rate} of the time against {without_rate} of "
        "the others, {points} points more ({confidence}% interval {low} to {high}; {n} "
        "customers)",
        feature=describe(row["kind"], row["feature"], row["value"]),
        with_rate=_pct(row["stall_rate_with"]),
        without_rate=_pct(row["stall_rate_without"]),
        points=_points(row["risk_difference"]),
        confidence=confidence,
        low=_points(row["rd_ci_low"]),
        high=_points(row["rd_ci_high"]),
        n=i18n.number(row["customers_with"]),
    )


def stall_sentence(analysis: StallAnalysis | None, *, top: int = 3) -> Finding:
    """What goes with stalling at the step, from :func:`cxlib.stall.stall_analysis`: the
    ``top`` features that raise the stall rate (significant, interval above zero), or why
    there are none; None: the data has nothing after the step."""
    if analysis is None:
        return Finding(
            i18n._(
                "Nothing in this data comes after this stage: there is no next step to stall on."
            )
        )
    step, after = analysis.step, analysis.next_step
    if analysis.reached == 0:
        return Finding(i18n.t("Nobody reached {step}: there is nothing to compare.", step=step))
    if analysis.stalled in (0, analysis.reached):
        return Finding(
            i18n.t(
                "All {n} customers who reached {step} did the same ({outcome}): there is "
                "nothing to tell those who stall from those who go on.",
                n=i18n.number(analysis.reached),
                step=step,
                outcome=i18n._("none went on")
                if analysis.stalled
                else i18n.t("all went on to {next}", next=after),
            )
        )
    lead = i18n.t(
        "Of {reached} customers who reached {step}, {stalled} ({share}) did not go on to {next}.",
        reached=i18n.number(analysis.reached),
        step=step,
        stalled=i18n.number(analysis.stalled),
        share=_pct(analysis.stalled / analysis.reached),
        next=after,
    )
    if analysis.tested == 0:
        return Finding(
            lead
            + " "
            + i18n.t(
                "No feature seen before the step is common enough to test: each needs at "
                "least {n} customers with it and {n} without.",
                n=i18n.number(analysis.min_customers),
            )
        )
    drivers = top_drivers(analysis, top=top)
    if drivers.height == 0:
        return Finding(
            lead
            + " "
            + i18n.nt(
                "The {n} feature tested does not go with stalling more than chance would "
                "explain (false discovery rate {alpha}).",
                "None of the {n} features tested goes with stalling more than chance would "
                "explain (false discovery rate {alpha}).",
                analysis.tested,
                alpha=i18n.percent(analysis.alpha, 0),
            )
        )
    level = round(analysis.confidence * 100)
    said = [_driver(row, level) for row in drivers.iter_rows(named=True)]
    return Finding(
        lead
        + " "
        + i18n.t(
            "Before reaching it, {drivers}.",
            drivers=_listing(said),
        )
        + " "
        + i18n.nt(
            "Tested: {n} feature, false discovery rate {alpha}; an association, not "
            "necessarily a cause.",
            "Tested: {n} features, false discovery rate {alpha}; associations, not "
            "necessarily causes.",
            analysis.tested,
            alpha=i18n.percent(analysis.alpha, 0),
        )
    )


def largest_driver(analysis: StallAnalysis) -> dict | None:
    """Among :func:`top_drivers`, the one that adds the most customers to the stall
    (customers with it × the risk difference), as a row dict with ``extra``; None if none."""
    drivers = top_drivers(analysis, top=analysis.tested)
    if drivers.height == 0:
        return None
    extra = (pl.col("customers_with") * pl.col("risk_difference")).alias("extra")
    return drivers.with_columns(extra).sort("extra", descending=True).row(0, named=True)


def headline_text(analysis: StallAnalysis, stage: str) -> str | None:
    """The report's finding about stalling at ``stage``: the driver of
    :func:`largest_driver` in words; None when there is none."""
    row = largest_driver(analysis)
    if row is None:
        return None
    return i18n.t(
        "At {stage}, {driver}. Of {n} features tested, this one adds the most customers to "
        "the stall (about {extra}).",
        stage=stage,
        driver=_driver(row, round(analysis.confidence * 100)),
        n=i18n.number(analysis.tested),
        extra=i18n.number(round(row["extra"])),
    )


def _readable(analysis: StallAnalysis, top: int) -> pl.DataFrame:
    rows = analysis.drivers.head(top)
    return pl.DataFrame(
        {
            "before_the_stall": [
                describe(r["kind"], r["feature"], r["value"]) for r in rows.iter_rows(named=True)
            ],
            "customers_with": rows["customers_with"],
            "stall_rate_with": rows["stall_rate_with"],
            "stall_rate_without": rows["stall_rate_without"],
            "difference": rows["risk_difference"],
            "interval": [  # written as the difference is (a true minus sign, a % sign)
                f"{i18n.percent(r['rd_ci_low'], 1)} – {i18n.percent(r['rd_ci_high'], 1)}"
                for r in rows.iter_rows(named=True)
            ],
            "odds_ratio": rows["odds_ratio"],
            "q_value": [_q(q) for q in rows["q_value"]],  # 0.0003 is not "0.00"
        },
        schema_overrides={
            "before_the_stall": pl.String,
            "interval": pl.String,
            "q_value": pl.String,
        },
    )


def stall_table(analysis: StallAnalysis | None, *, top: int = 10) -> Table:
    """The ``top`` tested features, significant ones first, in plain language; the
    difference and its interval in percentage points."""
    frame = (
        pl.DataFrame(schema={"before_the_stall": pl.String})
        if analysis is None
        else _readable(analysis, top)
    )
    return table(
        frame,
        title=i18n._("What customers had before the step, and how often they stalled"),
        percent=["stall_rate_with", "stall_rate_without", "difference"],
        note=i18n._(
            "Stall rate: share who did not reach the next step. Difference: with minus "
            "without, its interval in percentage points. Q value: the p-value adjusted for "
            "every feature tested (Benjamini–Hochberg)."
        ),
    )


def drivers_html(analysis: StallAnalysis | None, *, note: str = "", top: int = 5) -> str:
    """The explorer's drop-off panel section: the sentence and the table (escaped)."""
    heading = f"<h4>{escape(i18n._('What goes with stalling here'))}</h4>"
    extra = f"<p>{escape(note)}</p>" if note else ""
    if analysis is None:  # the note says why
        return heading + extra
    body = stall_sentence(analysis)._repr_html_()
    if analysis.tested:
        body += stall_table(analysis, top=top).to_html()
    return heading + extra + body
