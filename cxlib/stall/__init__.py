"""Stall drivers: among customers who reached a funnel step (or a journey stage), what they
had before it that goes with not reaching the next one.

Public functions: :func:`stall_drivers` (the tidy frame of tested features) and
:func:`stall_analysis` (the same with the counts a page needs: :class:`StallAnalysis`).

Inside:

* ``_reach`` — who reached step k, their stall point and whether they stalled, from the
  funnel engine (:class:`cxlib.journey.FunnelEngine`, ``cx.funnel``'s semantics);
* ``_features`` — the features each customer had strictly before the stall point;
* ``_drivers`` — the 2 × 2 tables, intervals, tests, false-discovery control and ranking.

See ``docs/concepts/stall-drivers.md``.
"""

from cxlib.stall._drivers import StallAnalysis, stall_analysis, stall_drivers

__all__ = ["StallAnalysis", "stall_analysis", "stall_drivers"]
