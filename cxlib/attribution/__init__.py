"""Multi-touch attribution: which channels earn the conversions.

A **journey** is a customer's touchpoints in time order (ties by touchpoint name) up to and
including a conversion (``purchase``), or all of them when there is none. Its **path** is
the channels of the touches before the conversion (consecutive repeats of a channel count
once by default); a ``lookback`` window (``"30d"``) keeps only the touches that close to
the end of the journey, for every model. Models, each crediting every converting
journey's conversion to channels:

* ``markov``: first-order Markov chain over start → channels → conversion / null, with the
  removal effect of Anderl et al. (2016): RE(c) = 1 − P(conversion | c removed) /
  P(conversion), conversions shared in proportion to RE. P(conversion) is the exact
  absorption probability, solved with ``numpy.linalg.solve`` (no simulation);
* ``shapley``: the Shapley value of the game in which a set of channels is worth the
  conversions of the journeys that used only channels of the set (Zhao, Mahboobi & Bagheri,
  2018); exact, over all coalitions (numpy bitmasks) up to 15 channels and by the paper's
  simplified formula beyond (the same numbers). ``shapley_game="rate"`` uses conversion
  rates, so journeys that did not convert count too;
* ``first_touch`` / ``last_touch``: all credit to the first / last channel;
* ``linear``: equal credit to every touch;
* ``position_based``: 40% to the first touch, 40% to the last, 20% shared by those between
  (one touch: 100%; two: 50/50).

Why written here: ``ChannelAttribution`` (the reference implementation) estimates removal
effects by simulation and ships as a C++ source build; the exact chain is a few lines of
numpy and is tested against a hand-solved chain, and the Shapley values against a
hand-solved game and a brute-force permutation enumeration (``tests/test_attribution.py``,
``tests/attribution/``).

Examples
--------
>>> import cxlib as cx
>>> from cxlib import attribution
>>> ds = cx.load("data/sample")
>>> attribution.attribution(ds.touchpoints).columns
['channel', 'model', 'conversions', 'share']
"""

from cxlib.attribution._markov import (
    _absorption,  # noqa: F401 - checked by the tests
    removal_effects,
)
from cxlib.attribution._models import MODELS, attribution, paths_attribution
from cxlib.attribution._paths import channel_paths
from cxlib.attribution._shapley import (
    MAX_EXACT_CHANNELS,
    shapley_attribution,
    shapley_values,
)

__all__ = [
    "MAX_EXACT_CHANNELS",
    "MODELS",
    "attribution",
    "channel_paths",
    "paths_attribution",
    "removal_effects",
    "shapley_attribution",
    "shapley_values",
]
