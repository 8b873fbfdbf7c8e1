"""Funnels: how many customers get from step 1 to step k, how fast, and who drops off.

Public functions: :func:`funnel`, :func:`funnel_trend`, :func:`dropoffs`,
:func:`next_touchpoints`. Their semantics (sequential, strict and any order; windows;
counted attempts) are written once, in :mod:`cxlib.journey.funnel._portable`.

Inside, one engine with interchangeable parts:

* ``_portable`` — the narwhals plan every backend runs (polars, pandas, DuckDB, PySpark)
  and the choice of engine: ``engine="auto"`` takes the polars fast path for sequential
  funnels on polars frames, ``engine="portable"`` never does (same answer);
* ``_fast`` — the one-shot polars + NumPy fast path (sort once, follow chains);
* ``_cache`` — :class:`FunnelEngine`, the explorer's events prepared once for many funnels;
* ``_attempts`` — what the entity- and attempt-level options change (``unit``, ``hold``,
  ``count="attempts"``, ``step_within``, ``min_gap``), on the portable plan;
* ``_kernel`` — the chain functions both fast parts run (``follow_chains``, next-step
  tables, the counted attempt per customer);
* ``_funnel`` — :func:`funnel`, :func:`funnel_trend` and ``summarize``, the one
  aggregation of counted attempts into the tidy funnel frame, used by every engine;
* ``_dropoffs`` — :func:`dropoffs` and :func:`next_touchpoints`, on the same attempts.
"""

from cxlib.journey.funnel._cache import FunnelEngine
from cxlib.journey.funnel._dropoffs import dropoffs, next_touchpoints
from cxlib.journey.funnel._funnel import funnel, funnel_trend
from cxlib.journey.funnel._portable import normalize_steps

__all__ = [
    "FunnelEngine",
    "dropoffs",
    "funnel",
    "funnel_trend",
    "next_touchpoints",
    "normalize_steps",
]
