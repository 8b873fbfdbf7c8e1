"""What the funnel explorer says in words: its status line and the drop-off panel, with
what goes with stalling at the clicked step (:mod:`cxlib.stall`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

import cxlib.i18n as i18n
from cxlib._errors import DataError
from cxlib.pages import findings
from cxlib.pages._stall_view import drivers_html
from cxlib.pages.tables import table
from cxlib.privacy import escape
from cxlib.stall import StallAnalysis, stall_analysis

if TYPE_CHECKING:
    from cxlib.journey import FunnelEngine

__all__ = ["DropOff", "drivers_for", "headline", "panel_html"]


@dataclass(frozen=True)
class DropOff:
    """Who left after a step: the drop-off panel's contents.

    ``customers`` has :func:`cxlib.dropoffs`' columns (raw ids, for code; never shown);
    ``sample`` holds pseudonyms, when they reached the step and their path around it;
    ``drivers`` what goes with stalling at the step (:func:`drivers_for`), ``drivers_note``
    what to know about them.
    """

    step_index: int
    step: str
    group: str | None
    reached: int
    left: int
    customers: pl.DataFrame
    next_touchpoints: pl.DataFrame
    sample: pl.DataFrame
    drivers: StallAnalysis | None = None
    drivers_note: str = ""


def drivers_for(
    engine: FunnelEngine,
    view: Any,
    steps: Sequence[str],
    *,
    at: int,
    within: str | None,
    order: str = "sequential",
    group: str | None = None,
) -> tuple[StallAnalysis | None, str]:
    """Stall drivers at step ``at`` of the explorer's funnel on its engine's ``view`` (its
    filtered touchpoints; :func:`cxlib.stall.stall_analysis` on the events the explorer has
    already prepared), and a note: they are computed for the sequential
    order and over every group of a breakdown. None (and why) when they cannot be."""
    notes = []
    if order != "sequential":
        notes.append(i18n._("Stall drivers follow the sequential order of the steps."))
    if group is not None:
        notes.append(i18n._("Stall drivers cover every group of the breakdown."))
    try:
        found = stall_analysis(
            engine.view_frame(view),
            list(steps),
            at=at,
            within=within,
            customers=engine.customers,
            engine=engine,
            view=view,
        )
    except DataError as error:
        return None, " ".join([*notes, str(error)])
    return found, " ".join(notes)


def headline(frame: pl.DataFrame, seconds: float) -> str:
    """The status line: who entered, who reached the last step, how fast it answered."""
    totals = frame.group_by("step_index", "step").agg(pl.col("customers").sum()).sort("step_index")
    if totals.height == 0:
        return "Nobody did the first step in this period and segment."
    entered, last = totals["customers"][0], totals.row(-1, named=True)
    share = f" ({last['customers'] / entered:.1%})" if entered else ""
    return (
        f"{entered:,} customers entered; {last['customers']:,}{share} reached "
        f"{last['step']}. Updated in {seconds * 1000:.0f} ms."
    )


def panel_html(drop: DropOff, *, next_step: str) -> str:
    """The drop-off panel: how many left, what they did next, a pseudonymized sample (every
    text escaped)."""
    where = f" ({escape(drop.group)})" if drop.group is not None else ""
    share = f"{drop.left / drop.reached:.1%} of " if drop.reached else ""
    heading = (
        f"<h4>After step {drop.step_index}, {escape(drop.step)}{where}: "
        f"{drop.left:,} customers left ({share}{drop.reached:,} who reached it)</h4>"
    )
    use = findings.dropoff_sentence(  # what the list is for; escaped by Finding
        drop.next_touchpoints, step=drop.step, next_step=next_step, reached=drop.reached
    )._repr_html_()
    top = table(
        drop.next_touchpoints,
        title="What they did next (first touchpoint after "
        "the step; “(nothing)”: no later touchpoint)",
    ).to_html()
    sample = table(
        drop.sample,
        title="A sample of them (pseudonymized) with their path; "
        "the step they reached in [brackets]",
    ).to_html()
    stalls = drivers_html(drop.drivers, note=drop.drivers_note)
    return heading + use + top + stalls + sample
