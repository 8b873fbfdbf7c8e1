"""cxlib: load customer-experience data and analyse the customer journey.

The public API is listed here once; everything else is private or lives in a named
submodule (``cxlib.value``, ``cxlib.churn``, ...).

Examples
--------
>>> import cxlib as cx
>>> ds = cx.load("data/sample")
>>> ds.touchpoints.columns[:4]
['customer_id', 'ts', 'touchpoint', 'channel']
"""

from cxlib import attribution, omnichannel, value, voc
from cxlib._errors import DataError
from cxlib.io import (
    Config,
    Dataset,
    Loaded,
    StageModel,
    load,
    read_config,
    read_customers,
    read_surveys,
    read_touchpoints,
    stage_model,
)
from cxlib.journey import (
    dropoffs,
    funnel,
    funnel_trend,
    journey_map,
    lifecycle,
    next_touchpoints,
    path_variants,
    paths_between,
    retention,
    stage_summary,
    stickiness,
    stickiness_ratio,
    transitions,
)
from cxlib.sample import make_sample, write_sample
from cxlib.voc import ces, ces_change, csat, csat_change, nps, nps_change, with_period

__version__ = "0.1.0"

__all__ = [
    "Config",
    "DataError",
    "Dataset",
    "Loaded",
    "StageModel",
    "attribution",
    "ces",
    "ces_change",
    "csat",
    "csat_change",
    "dropoffs",
    "funnel",
    "funnel_trend",
    "journey_map",
    "lifecycle",
    "load",
    "make_sample",
    "next_touchpoints",
    "nps",
    "nps_change",
    "omnichannel",
    "path_variants",
    "paths_between",
    "read_config",
    "read_customers",
    "read_surveys",
    "read_touchpoints",
    "retention",
    "stage_model",
    "stage_summary",
    "stickiness",
    "stickiness_ratio",
    "transitions",
    "value",
    "voc",
    "with_period",
    "write_sample",
]
