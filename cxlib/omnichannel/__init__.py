"""Omnichannel: which channels customers use, how they switch, and what omnichannel is worth.

Definitions used throughout:

* a customer's **channel mix** is the share of their touchpoints on each channel;
* a customer is **omnichannel** when their purchases (or, with ``touchpoint=None``, any
  touchpoints) span at least ``min_groups`` of the channel ``groups`` — by default a store
  purchase *and* a web/app purchase (the seeds' claim and the sample's data card); otherwise
  they are single-channel ("store only", "online only");
* a **switch** is a pair of consecutive touchpoints of a customer (in time order, ties by
  touchpoint name) on different channels.

:func:`compare` tests the claim that omnichannel customers are worth more (spend per order,
purchase frequency, retention and value), with bootstrap intervals and a verdict per metric.

Examples
--------
>>> import cxlib as cx
>>> from cxlib import omnichannel
>>> ds = cx.load("data/sample")
>>> omnichannel.segments(ds.touchpoints).columns
['customer_id', 'store', 'online', 'groups', 'segment', 'omnichannel']
"""

from cxlib.omnichannel._compare import SEED_CLAIMS, compare
from cxlib.omnichannel._linking import linking_effect, linking_uplift, unstitched
from cxlib.omnichannel._omnichannel import (
    DEFAULT_GROUPS,
    channel_mix,
    channel_summary,
    segment_summary,
    segments,
    stage_coverage,
)
from cxlib.omnichannel._switching import switching, switching_summary

__all__ = [
    "DEFAULT_GROUPS",
    "SEED_CLAIMS",
    "channel_mix",
    "channel_summary",
    "compare",
    "linking_effect",
    "linking_uplift",
    "segment_summary",
    "segments",
    "stage_coverage",
    "switching",
    "switching_summary",
    "unstitched",
]
