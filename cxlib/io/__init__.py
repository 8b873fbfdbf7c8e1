"""Reading, validating and configuring: files and frames in, a checked :class:`Dataset` out.

* :func:`load` reads a project (a folder, or a ``cx.toml``) into a :class:`Dataset` of
  touchpoints, surveys and customers in the canonical columns, with its stage model,
  configuration and rejects ledger;
* :func:`read_touchpoints`, :func:`read_surveys`, :func:`read_customers` read one table
  from a file or an in-memory frame, mapping the source's columns;
* :class:`Config` / :func:`read_config` is ``cx.toml``; :class:`StageModel` /
  :func:`stage_model` are the journey stage models (presets and custom ones);
* :func:`explain_rejects` sums up a rejects ledger by reason, with hints such as the
  ``date_format`` that reads day-first timestamps.

Unusable input raises :class:`cxlib.DataError`; row-level problems go to the rejects
ledger with a reason, so that loaded + rejected = read.
"""

from cxlib.io._config import DEFAULT_FRICTION, KINDS, Config, read_config
from cxlib.io._dataset import Dataset, load
from cxlib.io._explain import explain_rejects
from cxlib.io._loaders import (
    Loaded,
    RejectedRowsWarning,
    load_table,
    read_customers,
    read_surveys,
    read_touchpoints,
)
from cxlib.io._schema import SCHEMAS, SURVEY_SCALES, SURVEYS, TOUCHPOINTS, UTC_TS
from cxlib.io._stages import DEFAULT_MODEL, PRESETS, StageModel, stage_model

__all__ = [
    "DEFAULT_FRICTION",
    "DEFAULT_MODEL",
    "KINDS",
    "PRESETS",
    "SCHEMAS",
    "SURVEYS",
    "SURVEY_SCALES",
    "TOUCHPOINTS",
    "UTC_TS",
    "Config",
    "Dataset",
    "Loaded",
    "RejectedRowsWarning",
    "StageModel",
    "explain_rejects",
    "load",
    "load_table",
    "read_config",
    "read_customers",
    "read_surveys",
    "read_touchpoints",
    "stage_model",
]
