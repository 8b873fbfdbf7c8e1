"""Who reached step k, when (the stall point), and whether they went on to step k + 1.

The funnel engine decides it (:class:`cxlib.journey.FunnelEngine`, the explorer's engine,
so the numbers are ``cx.funnel``'s): a customer *reached* step k when some attempt of the
sequential funnel reaches it; their *stall point* is the time of step k in the earliest
attempt that reaches step k (the counted attempt of the funnel of steps 1..k); they
*stalled* when no attempt of the funnel of steps 1..k + 1 reaches step k + 1. The stall
point is the same moment for customers who stall and for those who go on, so both groups
get the same amount of history before it (taking the converting attempt instead would give
converters a later stall point, hence more history, hence more features: a bias).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from cxlib._engine import CUSTOMER, lazy, parse_duration
from cxlib._errors import DataError
from cxlib.journey import FunnelEngine, normalize_steps

if TYPE_CHECKING:
    from cxlib.io import StageModel

Step = str | Collection[str]


@dataclass(frozen=True)
class Reach:
    """Per customer who reached step ``at``: ``customer_id``, ``__stall`` (µs), ``stalled``."""

    customers: pl.DataFrame
    steps: list[frozenset[str]]
    labels: list[str]
    at: int


def stage_steps(touchpoints: Collection[str], stages: StageModel, stage: str) -> list[list[str]]:
    """The two steps of ``stage=``: its touchpoints, then those of every later stage.

    Matches the stage page (:mod:`cxlib.journey.stage`): a customer moves on from a stage
    when they later have a touchpoint in any later stage. Only touchpoints the data has.
    """
    if stage not in stages.stages:
        raise DataError(
            f"stage={stage!r} is not in the {stages.name} model; use one of {list(stages.stages)}"
        )
    index = stages.index_of(stage)
    later = set(stages.stages[index + 1 :])
    if not later:
        raise DataError(f"stage={stage!r} is the last stage: nothing comes after it to stall on")
    present = set(touchpoints)
    here = sorted(t for t, s in stages.mapping.items() if s == stage and t in present)
    after = sorted(t for t, s in stages.mapping.items() if s in later and t in present)
    if not here or not after:
        missing = stage if not here else "the later stages"
        raise DataError(
            f"stage={stage!r}: the touchpoints have no event of {missing}; map touchpoints "
            "to stages in cx.toml [stages]"
        )
    return [here, after]


def reach(
    engine: FunnelEngine,
    view: Any,
    steps: Sequence[Step],
    *,
    at: int,
    within: str | timedelta | None,
) -> Reach:
    """The customers of ``view`` (one of ``engine``'s) who reached step ``at`` of ``steps``,
    their stall point and outcome."""
    sets, labels = normalize_steps(steps)
    if not 1 <= at < len(sets):
        raise DataError(
            f"at={at}: use a step from 1 to {len(sets) - 1} (the last step has no next step)"
        )
    window = parse_duration(within)
    # steps 1..at: every customer who reached step ``at``, at the earliest attempt reaching it
    # (the engine's drop-offs "after the last step" are exactly those customers)
    reached = engine.dropoffs(view, sets[:at], window, at=at)
    stalled = engine.dropoffs(view, sets[: at + 1], window, at=at)
    customers = reached.select(
        CUSTOMER,
        pl.col("reached_at").dt.epoch("us").alias("__stall"),
        pl.col(CUSTOMER).is_in(stalled[CUSTOMER].implode()).alias("stalled"),
    )
    return Reach(customers, sets[: at + 1], labels, at)


def engine_for(touchpoints: Any, columns: Collection[str] | None = None) -> FunnelEngine:
    """The funnel engine over ``touchpoints`` (the explorer passes its own), with only
    ``columns`` besides the funnel's own: the engine keeps a sorted copy of every column it
    is given (at 10M touchpoints, ids and amounts that can never be features cost GBs)."""
    if columns is not None:
        names = lazy(touchpoints).collect_schema().names()
        wanted = [CUSTOMER, "ts", "touchpoint", *(c for c in columns if c in names)]
        touchpoints = lazy(touchpoints).select(*dict.fromkeys(wanted))
    return FunnelEngine(touchpoints)
