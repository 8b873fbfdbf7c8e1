"""One journey stage in depth, for the ``20-stage`` notebook.

The analysis of a stage (who enters it, from where, who moves on, which segments stall) is
:mod:`cxlib.journey.stage`, re-exported here; this module adds what surveyed customers at
the stage say, and splits by the segment columns the customer table has
(:func:`cxlib.pages.defaults.segment_columns`) rather than the sample's. Functions take a
:class:`Dataset` (polars) and a stage name and return small tidy frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

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
from cxlib.pages.defaults import segment_columns
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
