"""The customer journey: funnels, paths, retention and stages, from the touchpoints.

* :mod:`cxlib.journey.funnel` — :func:`funnel`, :func:`funnel_trend`, :func:`dropoffs`,
  :func:`next_touchpoints`;
* paths — :func:`transitions` (directly-follows graph), :func:`path_variants`,
  :func:`paths_between`;
* retention — :func:`retention` (cohorts), :func:`lifecycle`, :func:`stickiness`,
  :func:`stickiness_ratio`;
* segments compared, with tests and false-discovery control — :func:`funnel_difference`,
  :func:`retention_difference`;
* stages — :func:`journey_map`, :func:`stage_summary`, :func:`stage_index` and
  :mod:`cxlib.journey.stage` (one stage in depth: entries, movers, stalling segments).

Every function takes the frame type the user has and returns a tidy frame of that library.
"""

from cxlib.journey import stage
from cxlib.journey._compare import funnel_difference, retention_difference
from cxlib.journey._map import as_stage_model, journey_map, stage_index, stage_summary
from cxlib.journey._paths import path_variants, paths_between, transitions, usable
from cxlib.journey._retention import lifecycle, retention, stickiness, stickiness_ratio
from cxlib.journey._suggest import suggest_steps
from cxlib.journey.funnel import (
    FunnelEngine,
    dropoffs,
    funnel,
    funnel_trend,
    next_touchpoints,
    normalize_steps,
)

__all__ = [
    "FunnelEngine",
    "as_stage_model",
    "dropoffs",
    "funnel",
    "funnel_difference",
    "funnel_trend",
    "journey_map",
    "lifecycle",
    "next_touchpoints",
    "normalize_steps",
    "path_variants",
    "paths_between",
    "retention",
    "retention_difference",
    "stage",
    "stage_index",
    "stage_summary",
    "stickiness",
    "stickiness_ratio",
    "suggest_steps",
    "transitions",
    "usable",
]
