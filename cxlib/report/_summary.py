"""``summary.json``: what a run found, and what changed since the last published run.

Every run writes ``summary.json`` next to its pages: the data period, the headline KPIs
with their intervals and counts (:mod:`cxlib.pages.kpis`), moving on from each journey
stage, row counts and rejects. The next run into the same folder reads the published one
and tests each figure that both runs have:

* a share (conversion, a stage's moving on, CSAT, lapsed): two-proportion z-test;
* NPS: z-test on the difference, with each run's variance from its promoter and detractor
  shares, ``(p + d - (p - d)^2) / n``;

then controls the false discovery rate across all of them (Benjamini–Hochberg, scipy's
``false_discovery_control``). The tests are the shared ones of :mod:`cxlib._stats`
(``two_proportions``, ``nps_difference``, ``benjamini_hochberg``). A change is *credible*,
and shown, when its adjusted p-value is below ``alpha``. Counts (customers) are reported,
never tested.

The runs usually share most of their customers; the tests treat them as independent
samples, which overstates the variance of the difference: they flag fewer changes, never
more (conservative). Rates that take time count settled customers only, so a period still
open at the end of the data cannot show up as a drop.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cxlib.i18n as i18n
from cxlib._engine import eager
from cxlib._stats import benjamini_hochberg, nps_difference, two_proportions
from cxlib.pages import kpis

if TYPE_CHECKING:
    from cxlib.io import Dataset

SCHEMA = 1
FILE = "summary.json"
ALPHA = 0.05


def _number(value: Any) -> float | None:
    """A finite float for JSON, else None (JSON has no NaN)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _stages(ds: Dataset, settle_days: int) -> list[dict[str, Any]]:
    frame = kpis.stage_conversion(ds, settle_days=settle_days)
    return [
        {
            "stage_index": row["stage_index"],
            "stage": row["stage"],
            "customers": row["customers"],
            "reached_next": row["reached_next"],
            "conversion_to_next": _number(row["conversion_to_next"]),
            "conversion_low": _number(row["conversion_low"]),
            "conversion_high": _number(row["conversion_high"]),
        }
        for row in frame.iter_rows(named=True)
    ]


def _rows(ds: Dataset) -> dict[str, dict[str, int]]:
    return {
        kind: {"read": read, "loaded": loaded, "rejected": rejected}
        for kind, read, loaded, rejected in ds.summary().iter_rows()
    }


def summarize(
    ds: Dataset, *, run_id: str, figures: list[kpis.KPI], now: datetime | None = None
) -> dict[str, Any]:
    """The summary of a run on ``ds`` (before any comparison), as summary.json holds it;
    ``figures`` are the run's headline KPIs (:func:`cxlib.pages.kpis.headline`)."""
    now = now or datetime.now(UTC)
    settle = ds.config.report_settle_days
    period = kpis.data_period(ds)
    end = period.end if period.end.tzinfo else period.end.replace(tzinfo=UTC)
    try:
        stages = _stages(ds, settle) if len(ds.stages.stages) > 1 else []
    except Exception:  # noqa: BLE001 - a stage model the data cannot fill: no stage figures
        stages = []
    return {
        "schema": SCHEMA,
        "run_id": run_id,
        "generated_at": now.isoformat(timespec="seconds"),
        "locale": i18n.current(),
        "data": {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "days": period.days,
            "age_days": max(0, (now - end).days),
            "settle_days": settle,
            "conversion": ds.config.conversion,
        },
        "kpis": [kpi.to_dict() for kpi in figures],
        "stages": stages,
        "rows": _rows(ds),
        "customers": eager(ds.touchpoints).get_column("customer_id").n_unique(),
        "pages": [],
        "findings": [],
        "compared_with": None,
        "changes": [],
    }


def read_previous(out: Path) -> dict[str, Any] | None:
    """The published run's summary in ``out``, or None (none yet, unreadable, another schema:
    a run without a previous summary compares with nothing)."""
    try:
        previous = json.loads((out / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(previous, dict) or previous.get("schema") != SCHEMA:
        return None
    return previous


def write(summary: dict[str, Any], folder: Path) -> Path:
    target = folder / FILE
    target.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return target


@dataclass(frozen=True)
class _Figure:
    """One comparable figure of a summary: a share (k of n) or an NPS (with its counts)."""

    key: str
    label: str
    kind: str
    value: float
    variance: float
    successes: int = 0  # a share's successes; an NPS's promoters
    trials: int = 0  # a share's trials; an NPS's responses
    page: str = ""
    stage: str | None = None
    detractors: int = 0  # an NPS's detractors


def _figures(summary: dict[str, Any]) -> dict[str, _Figure]:
    figures: dict[str, _Figure] = {}
    for kpi in summary.get("kpis", []):
        if kpi["kind"] == "share" and kpi.get("trials"):
            k, n = kpi["successes"], kpi["trials"]
            figures[kpi["key"]] = _Figure(
                kpi["key"], kpi["label"], "share", k / n, 0.0, k, n, kpi.get("page", "")
            )
        elif kpi["kind"] == "nps" and kpi.get("counts", {}).get("responses"):
            c = kpi["counts"]
            n, p, d = (
                c["responses"],
                c["promoters"] / c["responses"],
                c["detractors"] / c["responses"],
            )
            variance = (p + d - (p - d) ** 2) / n * 100**2
            figures["nps"] = _Figure("nps", kpi["label"], "nps", (p - d) * 100, variance,
                                     c["promoters"], n, kpi.get("page", ""),
                                     detractors=c["detractors"])  # fmt: skip
    for stage in summary.get("stages", []):
        if stage.get("conversion_to_next") is None or not stage.get("customers"):
            continue
        key = f"stage:{stage['stage']}"
        label = i18n.t("Moving on from {stage}", stage=stage["stage"])
        figures[key] = _Figure(key, label, "share", stage["conversion_to_next"], 0.0,
                               stage["reached_next"], stage["customers"], "stage",
                               stage["stage"])  # fmt: skip
    return figures


def _p_value(before: _Figure, after: _Figure) -> float:
    """Two-sided p-value of the difference between two runs' values of one figure."""
    if before.kind == "share":
        test = two_proportions(after.successes, after.trials, before.successes, before.trials)
    else:
        test = nps_difference(after.successes, after.detractors, after.trials,
                              before.successes, before.detractors, before.trials)  # fmt: skip
    return float(test["p_value"][0])


def compare(
    previous: dict[str, Any], current: dict[str, Any], *, alpha: float = ALPHA
) -> list[dict[str, Any]]:
    """Every figure both summaries have, tested for a change; ``credible`` after FDR control.

    Returns
    -------
    list of dict
        ``key, label, kind, page, stage, before, after, change, p_value, p_adjusted,
        credible``, credible changes first, then by adjusted p-value. ``change`` is in
        percentage points for shares and in points for NPS.

    Examples
    --------
    >>> before = {"kpis": [{"key": "conversion", "label": "Conversion", "kind": "share",
    ...     "successes": 500, "trials": 1000, "page": "journey-map"}], "stages": []}
    >>> after = {"kpis": [{"key": "conversion", "label": "Conversion", "kind": "share",
    ...     "successes": 400, "trials": 1000, "page": "journey-map"}], "stages": []}
    >>> change = compare(before, after)[0]
    >>> change["credible"], round(change["change"], 1)
    (True, -10.0)
    """
    old, new = _figures(previous), _figures(current)
    shared = [key for key in new if key in old and old[key].kind == new[key].kind]
    if not shared:
        return []
    p_values = [_p_value(old[key], new[key]) for key in shared]
    adjusted = benjamini_hochberg(p_values)
    changes = []
    for key, p, q in zip(shared, p_values, adjusted, strict=True):
        before, after = old[key], new[key]
        scale = 100 if after.kind == "share" else 1
        changes.append(
            {
                "key": key,
                "label": after.label,
                "kind": after.kind,
                "page": after.page,
                "stage": after.stage,
                "before": before.value,
                "after": after.value,
                "change": (after.value - before.value) * scale,
                "p_value": p,
                "p_adjusted": float(q),
                "credible": bool(q < alpha),
            }
        )
    return sorted(changes, key=lambda c: (not c["credible"], c["p_adjusted"]))


def change_sentence(change: dict[str, Any]) -> str:
    """One credible change in words: "Conversion fell from 50.0% to 40.0% (−10.0 points,
    p < 0.001)", the p-value adjusted for the number of figures tested."""
    share = change["kind"] == "share"

    def shown(value: float) -> str:
        return i18n.percent(value, decimals=1) if share else i18n.number(value, decimals=0)

    delta, p = change["change"], change["p_adjusted"]
    values = {
        "label": change["label"],
        "before": shown(change["before"]),
        "after": shown(change["after"]),
        "change": ("+" if delta > 0 else "−") + i18n.number(abs(delta), decimals=1),
        "p": ("< " + i18n.number(0.001, decimals=3)) if p < 0.001 else "= " + i18n.number(p, 3),
    }
    if delta < 0:
        return i18n.t("{label} fell from {before} to {after} ({change} points, p {p})", **values)
    return i18n.t("{label} rose from {before} to {after} ({change} points, p {p})", **values)
