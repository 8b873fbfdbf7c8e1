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
from cxlib._dataset import Dataset, load
from cxlib._errors import DataError
from cxlib._funnel import dropoffs, funnel, funnel_trend, next_touchpoints
from cxlib._journey import journey_map, stage_summary
from cxlib._paths import path_variants, paths_between, transitions
from cxlib._retention import lifecycle, retention, stickiness, stickiness_ratio
from cxlib._satisfaction import ces, csat, nps
from cxlib._voc_change import ces_change, csat_change, nps_change, with_period
from cxlib.config import Config, read_config
from cxlib.loaders import Loaded, read_customers, read_surveys, read_touchpoints
from cxlib.sample import make_sample, write_sample
from cxlib.stages import StageModel, stage_model

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
