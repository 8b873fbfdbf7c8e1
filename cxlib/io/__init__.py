"""Reading, validating and configuring: files and frames in, a checked :class:`Dataset` out.

* :func:`load` reads a project (a folder, or a ``cx.toml``) into a :class:`Dataset` of
  touchpoints, surveys and customers in the canonical columns, with its stage model,
  configuration and rejects ledger;
* :func:`read_touchpoints`, :func:`read_surveys`, :func:`read_customers` read one table
  from a file or an in-memory frame, mapping the source's columns, or with ``format=`` a
  known export's own shape (:data:`FORMATS`: GA4, Segment, Shopify, survey tools);
* :class:`Config` / :func:`read_config` is ``cx.toml``; :class:`StageModel` /
  :func:`stage_model` are the journey stage models (presets and custom ones);
* :func:`stitch` links the ids that name one person (``[identity]`` in cx.toml) into one
  ``customer_id``, with a ledger of the merges and the ids refused (:class:`Stitched`);
* :func:`explain_rejects` sums up a rejects ledger by reason, with hints such as the
  ``date_format`` that reads day-first timestamps;
* :func:`infer_project` looks at a shop's files and infers its settings (tables, columns,
  timestamp formats, channels, stages, conversion, churn rule) as a :class:`Draft`, and
  :func:`write_config` writes that as a commented ``cx.toml`` (``cx init``);
* :func:`keep_loaded` keeps loaded datasets in memory, so a later :func:`load` of the same
  unchanged files returns them (``cx report``'s kernels run many notebooks on one dataset).

Unusable input raises :class:`cxlib.DataError`; row-level problems go to the rejects
ledger with a reason, so that loaded + rejected = read.
"""

from cxlib.io._config import KINDS, Config, read_config
from cxlib.io._dataset import Dataset
from cxlib.io._explain import explain_rejects
from cxlib.io._exports import FORMATS, Export
from cxlib.io._infer import Draft, infer_project
from cxlib.io._kept import keep_loaded, load
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
from cxlib.io._stitch import Stitched, hash_ids, stitch
from cxlib.io._synonyms import role_of
from cxlib.io._write_config import write_config

__all__ = [
    "DEFAULT_MODEL",
    "FORMATS",
    "KINDS",
    "PRESETS",
    "SCHEMAS",
    "SURVEYS",
    "SURVEY_SCALES",
    "TOUCHPOINTS",
    "UTC_TS",
    "Config",
    "Dataset",
    "Draft",
    "Export",
    "Loaded",
    "RejectedRowsWarning",
    "StageModel",
    "Stitched",
    "explain_rejects",
    "hash_ids",
    "infer_project",
    "keep_loaded",
    "load",
    "load_table",
    "read_config",
    "read_customers",
    "read_surveys",
    "read_touchpoints",
    "role_of",
    "stage_model",
    "stitch",
    "write_config",
]
