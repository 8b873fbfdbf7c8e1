"""One journey stage in depth, for the ``20-stage`` notebook.

The analysis of a stage (who enters it, from where, who moves on, which segments stall) is
:mod:`cxlib.journey.stage`, re-exported here; this module adds what surveyed customers at
the stage say, what customers who stall at it had before (:func:`stall_drivers`, from
:mod:`cxlib.stall`), and splits by the segment columns the customer table has
(:func:`cxlib.pages.defaults.segment_columns`) rather than the sample's. Functions take a
:class:`Dataset` (polars) and a stage name and return small tidy frames.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import eager
from cxlib.journey.stage import (
    DEFAULT_SEGMENTS,
    came_from,
    channels,
    entries,
    progress,
    went_to,
)
from cxlib.journey.stage import segments as _segments
from cxlib.pages._stall_view import stall_sentence, stall_table
from cxlib.pages.defaults import segment_columns
from cxlib.stall import StallAnalysis, stall_analysis
from cxlib.voc import nps

if TYPE_CHECKING:
    from cxlib.io import Dataset

__all__ = [
    "DEFAULT_SEGMENTS",
    "came_from",
    "channels",
    "comments",
    "entries",
    "progress",
    "segments",
    "stall_drivers",
    "stall_sentence",
    "stall_table",
    "survey_scores",
    "went_to",
]


def segments(
    ds: Dataset,
    stage: str,
    *,
    by: Sequence[str] | None = None,
    confidence: float = 0.95,
    min_customers: int = 30,
) -> pl.DataFrame:
    """Conversion to a later stage by customer segment, flagging segments that stall (see
    :func:`cxlib.journey.stage.segments`); ``by`` defaults to the customer table's segment
    columns (:func:`cxlib.pages.defaults.segment_columns`)."""
    columns = segment_columns(ds) if by is None else list(by)
    return _segments(ds, stage, by=columns, confidence=confidence, min_customers=min_customers)


def comments(ds: Dataset, stage: str, *, limit: int = 12) -> pl.DataFrame:
    """What surveyed customers at this stage wrote, lowest scores first: ``survey, score,
    channel, comment`` (customer ids left out). Comments are untrusted text: show them with
    :func:`cxlib.pages.tables.table`, which escapes them."""
    if ds.surveys is None:
        return pl.DataFrame()
    surveys = eager(ds.surveys)
    if "stage" not in surveys.columns or "comment" not in surveys.columns:
        return pl.DataFrame()
    return (
        surveys.filter((pl.col("stage") == stage) & pl.col("comment").is_not_null())
        .sort("score", "ts")
        .select(
            "survey", "score", *(["channel"] if "channel" in surveys.columns else []), "comment"
        )
        .head(limit)
    )


def survey_scores(ds: Dataset, stage: str) -> pl.DataFrame:
    """NPS of answers given at this stage, by channel (see :func:`cxlib.nps`)."""
    if ds.surveys is None:
        return pl.DataFrame()
    surveys = eager(ds.surveys)
    if "stage" not in surveys.columns:
        return pl.DataFrame()
    at_stage = surveys.filter(pl.col("stage") == stage)
    by = "channel" if "channel" in surveys.columns else None
    return nps(at_stage, by=by)


def stall_drivers(
    ds: Dataset,
    stage: str,
    *,
    min_customers: int = 30,
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> StallAnalysis | None:
    """What customers who entered ``stage`` and never moved on to a later stage had before
    they entered it (touchpoints, channels, survey answers, customer attributes), tested
    against those who moved on: :func:`cxlib.stall.stall_analysis` with ``stage=`` and no
    window, so its counts are :func:`progress`'s.

    None when no later stage has touchpoints in the data (nothing to move on to); an empty
    analysis (``reached`` 0) when the stage itself has none.

    Examples
    --------
    >>> import cxlib as cx
    >>> from cxlib.pages import stage_view
    >>> ds = cx.load("data/sample")
    >>> result = stage_view.stall_drivers(ds, ds.stages.stages[0])
    >>> result.reached >= result.stalled, result.next_step
    (True, 'a later stage')
    >>> stage_view.stall_drivers(ds, ds.stages.stages[-1]) is None
    True
    """
    index = ds.stages.index_of(stage)
    mapped = {t for t, s in ds.stages.mapping.items() if s == stage}
    later = {t for t, s in ds.stages.mapping.items() if s in ds.stages.stages[index + 1 :]}
    present = set(
        eager(ds.touchpoints.lazy().select("touchpoint").unique())["touchpoint"].to_list()
    )
    after = i18n._("a later stage")
    if not later & present:
        return None
    if not mapped & present:
        options = {"min_customers": min_customers, "confidence": confidence, "alpha": alpha}
        return StallAnalysis(pl.DataFrame(), stage, after, 0, 0, 0, **options)
    found = stall_analysis(
        ds.touchpoints,
        stage=stage,
        stages=ds.stages,
        within=None,
        customers=ds.customers,
        surveys=ds.surveys,
        min_customers=min_customers,
        confidence=confidence,
        alpha=alpha,
    )
    return dataclasses.replace(found, next_step=after)
