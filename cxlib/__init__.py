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

from cxlib._dataset import Dataset, load
from cxlib._errors import DataError
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
    "load",
    "make_sample",
    "read_config",
    "read_customers",
    "read_surveys",
    "read_touchpoints",
    "stage_model",
    "write_sample",
]
