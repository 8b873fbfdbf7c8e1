"""Voice of the customer: scores linked to the journey, key drivers and comment themes.

The metrics themselves are top-level (:func:`cxlib.nps`, :func:`cxlib.csat`,
:func:`cxlib.ces` and their ``*_change`` comparisons). This module links them to behaviour
for the ``50-voice-of-customer`` notebook:

* :func:`journey_answers` — every answer with the customer's journey at that moment;
  :func:`scores` — NPS / CSAT / CES by any of its columns (journey stage, touchpoint,
  channel, churn outcome, segment); :func:`score_difference` — which segments' scores
  differ from the rest (tests with false-discovery control);
* :func:`churn_by_category` — churn rate of promoters, passives and detractors;
* :func:`stalled_comments`, :func:`stall_themes` — what customers who stall at a stage say;
* :func:`response_rates` — who answers surveys and who stays silent;
* :func:`touchpoints_before` — detractors' journeys against promoters';
* :func:`drivers` — relative importance of experience attributes (Johnson's relative
  weights, :func:`key_drivers` for any frame);
* :func:`comment_themes`, :func:`theme_matrix`, :func:`quotes`, :func:`terms` — themes of
  comments in English, Vietnamese and Thai (a lexicon matched on words, negation handled);
  :func:`discover_themes`, :func:`unmatched_sentence` — candidate themes among the comments
  no theme matches, with the ``cx.toml`` lines to add them; :func:`project_themes` — the
  built-in themes with the project's own ``[themes]``.

Comments are untrusted text: show every frame with :func:`cxlib.pages.tables.table`, which escapes.

Examples
--------
>>> import cxlib as cx
>>> from cxlib import voc
>>> ds = cx.load("data/sample")
>>> voc.scores(ds, by="churned")["churned"].to_list()
[False, True]
"""

from cxlib.voc._analysis import (
    DRIVER_ATTRIBUTES,
    churn_by_category,
    driver_attributes,
    drivers,
    quotes,
    scores,
    stall_themes,
    stalled_comments,
    theme_matrix,
)
from cxlib.voc._change import (
    OpenPeriodWarning,
    ces_change,
    csat_change,
    nps_change,
    with_period,
)
from cxlib.voc._compare import score_difference
from cxlib.voc._discover import discover_themes, unmatched_sentence
from cxlib.voc._drivers import key_drivers, relative_weights
from cxlib.voc._journey import category_expr, journey_answers, response_rates, touchpoints_before
from cxlib.voc._satisfaction import ces, csat, nps
from cxlib.voc._themes import THEMES, comment_themes, project_themes, terms

__all__ = [
    "DRIVER_ATTRIBUTES",
    "OpenPeriodWarning",
    "THEMES",
    "category_expr",
    "ces",
    "ces_change",
    "churn_by_category",
    "comment_themes",
    "csat",
    "csat_change",
    "discover_themes",
    "driver_attributes",
    "drivers",
    "journey_answers",
    "key_drivers",
    "nps",
    "nps_change",
    "project_themes",
    "quotes",
    "relative_weights",
    "response_rates",
    "score_difference",
    "scores",
    "stall_themes",
    "stalled_comments",
    "terms",
    "theme_matrix",
    "touchpoints_before",
    "unmatched_sentence",
    "with_period",
]
