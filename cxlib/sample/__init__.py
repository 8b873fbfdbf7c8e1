"""A synthetic CX dataset with planted truths, for demos, tests and the bundled sample.

:func:`make_sample` simulates one year (2025, UTC) of customer journeys for a retailer that
sells online (web and app) and in stores, with customers in Vietnam, Thailand, Singapore and
the US, and returns the three canonical tables (touchpoints, surveys, customers);
:func:`write_sample` writes them as Parquet files. Known effects, the *planted truths* in
:data:`PLANTED`, are built in so that every analysis of the workbench has something true to
find and the tests can check that it finds it; a few deliberately bad rows give the rejects
ledger something to show. :data:`COMMENTS` holds the survey comment texts by language.
``data/sample/`` holds the committed output and its data card.

The package is split by concern: ``_truths`` (what the simulation plants: the truths and the
comment texts), ``_simulate`` (how a customer's year is simulated), ``_streams`` (each
customer's random stream) and ``_frames`` (from journeys to tables and files).
"""

from cxlib.sample._frames import make_sample, write_sample
from cxlib.sample._simulate import DEFAULT_CUSTOMERS, DEFAULT_SEED
from cxlib.sample._truths import (
    COMMENTS,
    PLANTED,
    BadRowsTruth,
    FrictionTruth,
    NpsTruth,
    OmnichannelTruth,
    OutageTruth,
    Planted,
    StallTruth,
)

__all__ = [
    "COMMENTS",
    "DEFAULT_CUSTOMERS",
    "DEFAULT_SEED",
    "PLANTED",
    "BadRowsTruth",
    "FrictionTruth",
    "NpsTruth",
    "OmnichannelTruth",
    "OutageTruth",
    "Planted",
    "StallTruth",
    "make_sample",
    "write_sample",
]
