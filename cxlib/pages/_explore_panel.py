"""What the funnel explorer says in words: its status line and the drop-off panel."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cxlib.pages import findings
from cxlib.pages.tables import table
from cxlib.privacy import escape

__all__ = ["DropOff", "headline", "panel_html"]


@dataclass(frozen=True)
class DropOff:
    """Who left after a step: the drop-off panel's contents.

    ``customers`` has :func:`cxlib.dropoffs`' columns (raw ids, for code; never shown);
    ``sample`` holds pseudonyms, when they reached the step and their path around it.
    """

    step_index: int
    step: str
    group: str | None
    reached: int
    left: int
    customers: pl.DataFrame
    next_touchpoints: pl.DataFrame
    sample: pl.DataFrame


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
    return heading + use + top + sample
