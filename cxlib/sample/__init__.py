"""A synthetic CX dataset with planted truths, for demos, tests and the bundled sample.

:func:`make_sample` simulates a year of customer journeys (touchpoints, surveys, customers);
:func:`write_sample` writes them with a data card. :data:`PLANTED` holds the effects the
simulation plants, which the tests and notebooks recover; :data:`COMMENTS` the survey
comment texts by language.
"""

from cxlib.sample._sample import (
    COMMENTS,
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    PLANTED,
    BadRowsTruth,
    FrictionTruth,
    NpsTruth,
    OmnichannelTruth,
    OutageTruth,
    Planted,
    StallTruth,
    make_sample,
    write_sample,
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
