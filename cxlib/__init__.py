"""cxlib: load customer-experience data and analyse the customer journey.

The flat API (``cx.load``, ``cx.funnel``, ``cx.nps``, ...) is listed here once. Each topic
is a package with its own public face, reachable as a namespace that loads on first use:
``cx.io``, ``cx.journey``, ``cx.voc``, ``cx.value``, ``cx.churn`` (and ``cx.survival``),
``cx.omnichannel``, ``cx.attribution``, ``cx.stall``, ``cx.sample``, ``cx.pages`` (and
``cx.charts``, ``cx.tables``, ``cx.explore``, ``cx.health``, ``cx.stage_view``),
``cx.report``, ``cx.privacy``. The map of the packages is ``docs/architecture.md``.

Examples
--------
>>> import cxlib as cx
>>> ds = cx.load("data/sample")
>>> ds.touchpoints.columns[:4]
['customer_id', 'ts', 'touchpoint', 'channel']
>>> cx.churn.survival.kaplan_meier.__name__
'kaplan_meier'
"""

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from cxlib import _compat
from cxlib._engine import MissingNameWarning
from cxlib._errors import DataError
from cxlib._progress import show_progress
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
    stitch,
)
from cxlib.journey import (
    dropoffs,
    funnel,
    funnel_difference,
    funnel_trend,
    journey_map,
    lifecycle,
    next_touchpoints,
    path_variants,
    paths_between,
    retention,
    retention_difference,
    stage_summary,
    stickiness,
    stickiness_ratio,
    transitions,
)
from cxlib.sample import make_sample, write_sample
from cxlib.stall import stall_drivers
from cxlib.voc import (
    ces,
    ces_change,
    csat,
    csat_change,
    nps,
    nps_change,
    score_difference,
    with_period,
)

try:
    __version__ = version("cxlib")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

_compat.install()

# Topic namespaces, imported on first attribute access (PEP 562): ``import cxlib`` stays
# light (no altair, ipywidgets, scikit-learn or papermill until a topic needs them).
NAMESPACES = {
    "attribution": "cxlib.attribution",
    "charts": "cxlib.pages.charts",
    "churn": "cxlib.churn",
    "cli": "cxlib.cli",
    "explore": "cxlib.pages.explore",
    "health": "cxlib.pages.health",
    "i18n": "cxlib.i18n",
    "io": "cxlib.io",
    "journey": "cxlib.journey",
    "omnichannel": "cxlib.omnichannel",
    "pages": "cxlib.pages",
    "privacy": "cxlib.privacy",
    "report": "cxlib.report",
    "sample": "cxlib.sample",
    "stage_view": "cxlib.pages.stage_view",
    "stall": "cxlib.stall",
    "survival": "cxlib.churn.survival",
    "tables": "cxlib.pages.tables",
    "value": "cxlib.value",
    "voc": "cxlib.voc",
}


def __getattr__(name: str) -> Any:
    if name in NAMESPACES:
        module = importlib.import_module(NAMESPACES[name])
        globals()[name] = module
        return module
    if name in _compat.MOVED_NAMES:  # e.g. cx.loaders.RejectedRowsWarning
        return _compat.moved_namespace(name)
    raise AttributeError(f"module 'cxlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *NAMESPACES})


__all__ = [
    "Config",
    "DataError",
    "Dataset",
    "Loaded",
    "MissingNameWarning",
    "StageModel",
    "attribution",
    "ces",
    "ces_change",
    "csat",
    "csat_change",
    "dropoffs",
    "funnel",
    "funnel_difference",
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
    "retention_difference",
    "score_difference",
    "show_progress",
    "stage_model",
    "stage_summary",
    "stall_drivers",
    "stickiness",
    "stickiness_ratio",
    "stitch",
    "transitions",
    "value",
    "voc",
    "with_period",
    "write_sample",
]
