"""Customer value: RFM summaries, BG/NBD + Gamma-Gamma models and discounted CLV.

The "buy 'til you die" recipe of Fader, Hardie & Lee (2005):

1. :func:`rfm_summary` turns purchases into one row per customer: ``frequency`` (repeat
   purchase *days*), ``recency`` (age at the last repeat purchase), ``T`` (age at the end of
   observation) and ``monetary_value`` (mean spend of the repeat purchase days);
2. :func:`fit_bgnbd` fits the BG/NBD model of how often customers buy and when they stop;
3. :func:`fit_gamma_gamma` fits the Gamma-Gamma model of how much they spend per purchase;
4. :func:`customer_value` combines both into a discounted customer lifetime value (CLV).

The models are implemented here with scipy (see :mod:`cxlib.value._bgnbd` for why: ``lifetimes``
is unmaintained and ``btyd`` does not install) and checked against the published CDNOW
estimates (BG/NBD r=0.243, α=4.414, a=0.793, b=2.426, LL −9582.4; Gamma-Gamma p=6.25,
q=3.74, γ=15.44).

Examples
--------
>>> import cxlib as cx
>>> from cxlib import value
>>> ds = cx.load("data/sample")
>>> summary = value.rfm_summary(ds.touchpoints)
>>> m = value.fit_bgnbd(summary)
>>> m.summary.get_column("parameter").to_list()
['r', 'alpha', 'a', 'b']
>>> clv = value.customer_value(summary, m, value.fit_gamma_gamma(summary))
>>> clv.columns[-4:]
['p_alive', 'expected_purchases', 'expected_spend', 'clv']
"""

from cxlib.value._bgnbd import BGNBD
from cxlib.value._clv import (
    customer_value,
    fit_bgnbd,
    fit_gamma_gamma,
    holdout_comparison,
    value_tiers,
)
from cxlib.value._gamma_gamma import GammaGamma
from cxlib.value._rfm import rfm_summary

__all__ = [
    "BGNBD",
    "GammaGamma",
    "customer_value",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "holdout_comparison",
    "rfm_summary",
    "value_tiers",
]
