"""The engine layer: the only place that knows polars, pandas, DuckDB and PySpark.

Every analysis in cxlib is written once with narwhals; this package turns whatever frame a
user passes into a narwhals lazy frame (:func:`lazy`, :func:`with_micros`), materializes
intermediates used twice (:func:`materialize`), aggregates groups with quantiles that are exact
on one machine and approximate with a stated error on Spark (:func:`aggregate`,
:func:`quantile`, :data:`ACCURACY`), and hands small results back in the caller's library
(:func:`like_input`). Code elsewhere must not branch on the backend (the funnel's
choice of its polars fast path is the one documented exception, in
:mod:`cxlib.journey.funnel`; ``transitions`` and ``retention`` take theirs through
:func:`polars_lazy`). See ``docs/architecture.md``.
"""

from cxlib._engine._frames import (
    CUSTOMER,
    MICROS,
    MONDAY_SHIFT,
    NEVER,
    eager,
    is_eager,
    lazy,
    lazy_like,
    like_input,
    materialize,
    parse_duration,
    period_start,
    polars_lazy,
    require,
    to_polars,
    user_frame,
    with_micros,
)
from cxlib._engine._names import (
    MissingNameWarning,
    check_values,
    close_match,
    did_you_mean,
    report_missing,
)
from cxlib._engine._quantiles import ACCURACY, Quantile, aggregate, quantile

__all__ = [
    "ACCURACY",
    "CUSTOMER",
    "MICROS",
    "MONDAY_SHIFT",
    "NEVER",
    "MissingNameWarning",
    "Quantile",
    "aggregate",
    "check_values",
    "close_match",
    "did_you_mean",
    "eager",
    "is_eager",
    "lazy",
    "lazy_like",
    "like_input",
    "materialize",
    "parse_duration",
    "period_start",
    "polars_lazy",
    "quantile",
    "require",
    "report_missing",
    "to_polars",
    "user_frame",
    "with_micros",
]
