"""Deterministic synthetic sample data with planted truths.

:func:`make_sample` simulates one year (2025, UTC) of customer journeys for a retailer that
sells online (web and app) and in stores, with customers in Vietnam, Thailand, Singapore and
the US, and returns the three canonical tables. Known effects, the *planted truths* in
:data:`PLANTED`, are built in so that every analysis of the workbench has something true to
find and the tests can check that it finds it. A few deliberately bad rows give the rejects
ledger something to show. ``data/sample/`` holds the committed output and its data card.

How a customer's year is simulated, in time order:

* attributes: country, age band, buyer type (``online``, ``store``, ``omni`` or ``none``,
  assigned up front), loyalty (``loyal``, ``neutral``, ``unhappy``), an activity level;
* sessions arrive as Poisson processes at local daytime hours: online sessions walk the funnel
  visit -> product_view -> add_to_cart -> checkout -> (payment_failed) -> purchase, store visits
  end in a store purchase, browsing sessions stop at product views; some sessions start from an
  ad click, an email or a social post;
* each purchase is followed by delivery or late delivery (online), maybe a support contact
  (call center, chat, email) that may stay unresolved, a review, a referral, and survey answers
  (NPS after purchases, CES after checkouts, CSAT after support contacts);
* churn: a baseline risk by loyalty, plus the friction rule of :class:`FrictionTruth`; a
  churned customer has no touchpoint and no survey answer after ``churn_ts``.

Examples
--------
>>> from cxlib.sample import PLANTED, make_sample
>>> tables = make_sample(customers=200, seed=1)
>>> sorted(tables)
['customers', 'surveys', 'touchpoints']
>>> tables["customers"].height
200
>>> PLANTED.outage.channel, str(PLANTED.outage.start)
('app', '2025-06-09')
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from pathlib import Path
from types import MappingProxyType

import numpy as np
import polars as pl

from cxlib.io import DEFAULT_FRICTION, SURVEYS, TOUCHPOINTS, UTC_TS, stage_model

# --------------------------------------------------------------------------------------------
# Planted truths: the one source of the parameters used by the generator, the data card and
# the tests. Rates are probabilities; uplifts are relative (0.10 = +10 %).
# --------------------------------------------------------------------------------------------


def _frozen(mapping: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class FrictionTruth:
    """Truth 1: two friction incidents in one calendar quarter drive churn.

    When a customer's friction incidents first reach ``incidents`` within one calendar quarter
    (UTC), the customer churns with ``churn_probability`` (drawn once), ``churn_delay_days``
    after that incident (uniform; later if an order in flight is still being delivered). Every
    other incident churns the customer with ``single_incident_churn``. Customers with no
    friction incident churn only at the baseline risk of their loyalty
    (:attr:`NpsTruth.baseline_churn`).
    """

    touchpoints: tuple[str, ...] = DEFAULT_FRICTION
    incidents: int = 2
    churn_probability: float = 0.83
    churn_delay_days: tuple[float, float] = (2.0, 21.0)
    single_incident_churn: float = 0.10  # every other incident
    min_churn_rate: float = 0.75  # measured: customers with >= 2 incidents in some quarter
    no_friction_churn_rate: float = 0.15  # measured: customers with no incident at all
    no_friction_tolerance: float = 0.05


@dataclass(frozen=True)
class OmnichannelTruth:
    """Truth 2: omnichannel buyers spend more per order and more per year.

    Buyer type is assigned up front with ``buyer_shares``: ``online`` buyers use web or app
    only, ``store`` buyers stores only, ``omni`` both, ``none`` never buy. Order values are
    lognormal (``order_sigma``) around ``store_order_mean`` / ``online_order_mean``; omni
    buyers' orders are ``store_order_uplift`` / ``online_order_uplift`` higher. Omni buyers
    visit with the session rates of single-channel buyers scaled by ``omni_online_scale`` and
    ``omni_store_scale`` (calibrated so the measured value uplift lands on target; see the
    data card).

    Measured on the data, by *observed* buyer type (the channels of a customer's valid
    purchases in 2025: store only, web/app only, or both):
    revenue per store order and per online order of omni vs single-channel buyers, and
    ``value``: revenue in calendar year 2025 per buyer (customer with at least one purchase),
    omni vs single-channel buyers (store-only and online-only pooled).
    """

    buyer_shares: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"online": 0.46, "store": 0.20, "omni": 0.24, "none": 0.10})
    )
    store_order_mean: float = 62.0
    online_order_mean: float = 48.0
    order_sigma: float = 0.25
    store_order_uplift: float = 0.04
    store_order_tolerance: float = 0.02
    online_order_uplift: float = 0.10
    online_order_tolerance: float = 0.03
    value_uplift: float = 0.30
    value_tolerance: float = 0.08
    omni_online_scale: float = 0.44
    omni_store_scale: float = 0.44


@dataclass(frozen=True)
class NpsTruth:
    """Truth 3: NPS predicts churn and referrals.

    Each customer has a loyalty (``loyalty_shares``) that sets the centre of their NPS answers
    (``nps_mean``, normal with sd 1, minus penalties for friction on the order), their
    baseline yearly churn risk (``baseline_churn``) and the chance that a purchase leads to a
    ``referral`` (``referral_probability``). Measured by each customer's *latest* valid NPS
    answer: churn rate of promoters (9-10) < passives (7-8) < detractors (0-6), and of the
    referral touchpoints made by customers with an NPS answer, at least
    ``min_promoter_referral_share`` come from promoters.
    """

    loyalty_shares: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"loyal": 0.35, "neutral": 0.45, "unhappy": 0.20})
    )
    nps_mean: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"loyal": 9.4, "neutral": 7.6, "unhappy": 4.8})
    )
    baseline_churn: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"loyal": 0.05, "neutral": 0.20, "unhappy": 0.42})
    )
    referral_probability: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"loyal": 0.25, "neutral": 0.05, "unhappy": 0.01})
    )
    min_promoter_referral_share: float = 0.50


@dataclass(frozen=True)
class OutageTruth:
    """Truth 4: a two-week app checkout outage.

    From ``start`` to ``end`` (inclusive, UTC; ISO weeks 24 and 25 of 2025) an app checkout
    fails with ``failure_probability``: a ``payment_failed`` touchpoint and no purchase, no
    retry. Elsewhere a checkout fails with ``payment_failure`` and is retried successfully with
    ``retry_success``, so checkout -> purchase conversion (share of sessions with a checkout
    that also have a purchase) is about 0.98 normally and about 0.10 for app sessions during
    the outage. Measured bounds: ``max_outage_conversion`` and ``min_normal_conversion``.
    """

    channel: str = "app"
    start: date = date(2025, 6, 9)
    end: date = date(2025, 6, 22)
    failure_probability: float = 0.90
    payment_failure: float = 0.05
    retry_success: float = 0.60
    max_outage_conversion: float = 0.20
    min_normal_conversion: float = 0.90


@dataclass(frozen=True)
class StallTruth:
    """Truth 5: one segment stalls between consideration and conversion.

    Customers whose ``column`` is ``segment`` add to cart as often as anyone
    (``add_to_cart_rate`` of online sessions of online-buying customers) but go on to
    ``checkout`` in the same session at ``checkout_rate_segment`` instead of
    ``checkout_rate_others`` (shipping cost shock). Their NPS and CES comments about online
    orders and checkouts are mostly about ``comment_themes`` (shipping cost, price), in their
    language; measured share at least ``min_comment_share`` for the segment and at most
    ``max_comment_share_others`` for other customers.
    """

    column: str = "country"
    segment: str = "VN"
    add_to_cart_rate: float = 0.45
    checkout_rate_segment: float = 0.20
    checkout_rate_others: float = 0.75
    checkout_rate_tolerance: float = 0.05
    comment_themes: tuple[str, ...] = ("shipping_cost", "price")
    min_comment_share: float = 0.50
    max_comment_share_others: float = 0.35


@dataclass(frozen=True)
class BadRowsTruth:
    """Truth 6: bad rows for the rejects ledger, added to otherwise clean tables.

    Touchpoints: ``duplicate_touchpoints`` exact copies of rows (right after the original),
    ``missing_customer_id`` copies with a null ``customer_id``, ``negative_revenue`` copies of
    purchases with the revenue negated, ``epoch_zero_ts`` copies stamped 1970-01-01 00:00 UTC
    (outside the accepted range). Surveys: ``nps_out_of_range`` copies of NPS answers with a
    score of ``nps_bad_score``. Removing them gives ``make_sample(..., bad_rows=False)``.
    """

    duplicate_touchpoints: int = 6
    missing_customer_id: int = 4
    negative_revenue: int = 2
    epoch_zero_ts: int = 2
    nps_out_of_range: int = 3
    nps_bad_score: float = 11.0


@dataclass(frozen=True)
class Planted:
    """All planted truths of the sample; see each class for its parameters."""

    friction: FrictionTruth = FrictionTruth()
    omnichannel: OmnichannelTruth = OmnichannelTruth()
    nps: NpsTruth = NpsTruth()
    outage: OutageTruth = OutageTruth()
    stall: StallTruth = StallTruth()
    bad_rows: BadRowsTruth = BadRowsTruth()


PLANTED = Planted()
"""The planted truths of :func:`make_sample`, with the tolerances the tests hold them to."""

# --------------------------------------------------------------------------------------------
# Generator settings that are not planted truths (plausible defaults).
# --------------------------------------------------------------------------------------------

DEFAULT_CUSTOMERS = 5000
DEFAULT_SEED = 7

_DAY_US = 86_400_000_000
_YEAR_START_US = (date(2025, 1, 1) - date(1970, 1, 1)).days * _DAY_US
_END = 365.0  # days after 2025-01-01 00:00 UTC
_QUARTER_STARTS = (0.0, 90.0, 181.0, 273.0)
_MINUTE = 1 / 1440

_COUNTRIES = {"VN": 0.30, "TH": 0.25, "SG": 0.15, "US": 0.30}
_LANGUAGE = {"VN": "vi", "TH": "th", "SG": "en", "US": "en"}
_UTC_OFFSET_HOURS = {"VN": 7, "TH": 7, "SG": 8, "US": -5}
_AGE_BANDS = {"18-24": 0.18, "25-34": 0.30, "35-44": 0.24, "45-54": 0.16, "55+": 0.12}
_APP_SHARE = {"18-24": 0.75, "25-34": 0.65, "35-44": 0.50, "45-54": 0.35, "55+": 0.20}
_ACQUISITION = {
    "online": {"search": 0.35, "social": 0.35, "referral": 0.15, "email": 0.10, "store": 0.05},
    "store": {"store": 0.55, "search": 0.15, "social": 0.15, "referral": 0.10, "email": 0.05},
    "omni": {"store": 0.30, "search": 0.25, "social": 0.25, "referral": 0.15, "email": 0.05},
    "none": {"social": 0.45, "search": 0.35, "referral": 0.10, "email": 0.10},
}
# Sessions per year at activity level 1 (activity ~ Gamma(3, 1/3), mean 1).
_ONLINE_RATE = 16.0  # online sessions of customers who buy online
_STORE_RATE = 5.0  # store visits of customers who buy in store
_BROWSE_RATE = {"store": 3.0, "none": 6.0}  # online sessions that never reach a cart
_SUPPORT_RATE = 0.4  # support contacts not about an order
_AD_NOISE_RATE, _EMAIL_NOISE_RATE = 4.0, 3.0  # impressions / opens not followed by a visit
_EXISTING_SHARE = 0.40  # customers who signed up in 2023-2024
# Relative weight of each local hour of the day (0-23) for session starts.
_LOCAL_HOUR_WEIGHTS = (1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 4, 4, 5,
                       6, 5, 4, 4, 4, 5, 6, 8, 9, 8, 5, 2)  # fmt: skip

_STORE_CONVERSION = 0.80  # store visit -> purchase
_LATE_DELIVERY = 0.12
_SUPPORT_AFTER = {"late": 0.50, "online": 0.04, "store": 0.03}
_UNRESOLVED = 0.35
_REVIEW = {"online": 0.12, "store": 0.05}
_RESPONSE_RATE = {"nps": 0.25, "ces": 0.20, "csat": 0.30}
_COMMENT_RATE = 0.40
_SUPPORT_CHANNELS = {"call_center": 0.5, "chat": 0.3, "email": 0.2}
_REFERRAL_CHANNELS = {"social": 0.5, "app": 0.3, "email": 0.2}

# Survey comments: language -> theme -> sentiment -> sentences. The sentiment follows the score
# (NPS 0-6 / CSAT 1-2 / CES 1-3 negative; NPS 7-8 / CSAT 3 / CES 4 neutral; else positive).
# CES asks "the company made it easy to ...": 7 = strongly agree (easy), 1 = strongly disagree.
COMMENTS: Mapping[str, Mapping[str, Mapping[str, tuple[str, ...]]]] = {
    "en": {
        "price": {
            "positive": ("Great value for money.", "Prices are fair compared to other shops."),
            "neutral": ("Prices are okay, nothing special.",),
            "negative": (
                "Too expensive for what you get.",
                "Prices went up again, I'm looking elsewhere.",
            ),
        },
        "shipping_cost": {
            "positive": (
                "Free shipping made it an easy decision.",
                "The shipping fee was reasonable.",
            ),
            "neutral": ("Shipping is a bit pricey but acceptable.",),
            "negative": (
                "Shipping fees are far too high.",
                "Delivery cost more than the item, so I left my cart.",
            ),
        },
        "delivery_speed": {
            "positive": ("Fast delivery, very happy.", "It arrived a day earlier than promised."),
            "neutral": ("Delivery took a few days, as expected.",),
            "negative": (
                "My order arrived a week late.",
                "Delivery was slow and nobody told me why.",
            ),
        },
        "support": {
            "positive": (
                "The support agent solved my problem quickly.",
                "Friendly and helpful customer service.",
            ),
            "neutral": ("Support answered, but it took a while.",),
            "negative": (
                "I contacted support three times and my issue is still not resolved.",
                "Long wait on the hotline and no solution.",
            ),
        },
        "app_checkout": {
            "positive": ("Checkout was quick and easy.", "The app is smooth, paying took seconds."),
            "neutral": ("Checkout works, but there are too many steps.",),
            "negative": (
                "Payment kept failing in the app.",
                "The app froze at checkout and I had to start over.",
            ),
        },
        "product_quality": {
            "positive": (
                "Good quality, exactly as described.",
                "Excellent product, I will buy again.",
            ),
            "neutral": ("The product is fine, nothing more.",),
            "negative": (
                "The product broke after a few days.",
                "The quality is worse than in the photos.",
            ),
        },
    },
    "vi": {
        "price": {
            "positive": ("Giá cả hợp lý, đáng đồng tiền.", "Giá rẻ hơn các shop khác."),
            "neutral": ("Giá tạm được, không có gì đặc biệt.",),
            "negative": (
                "Giá quá đắt so với chất lượng.",
                "Giá tăng liên tục, chắc tôi sẽ mua chỗ khác.",
            ),
        },
        "shipping_cost": {
            "positive": ("Miễn phí vận chuyển nên tôi đặt hàng ngay.", "Phí ship hợp lý."),
            "neutral": ("Phí ship hơi cao nhưng vẫn chấp nhận được.",),
            "negative": (
                "Phí vận chuyển quá cao.",
                "Phí ship đắt hơn cả tiền hàng nên tôi bỏ giỏ hàng.",
            ),
        },
        "delivery_speed": {
            "positive": ("Giao hàng nhanh, rất hài lòng.", "Hàng đến sớm hơn dự kiến một ngày."),
            "neutral": ("Giao hàng mất vài ngày, bình thường.",),
            "negative": ("Đơn hàng giao trễ cả tuần.", "Giao hàng chậm mà không ai báo lý do."),
        },
        "support": {
            "positive": (
                "Nhân viên hỗ trợ nhiệt tình, giải quyết nhanh.",
                "Chăm sóc khách hàng rất chu đáo.",
            ),
            "neutral": ("Tổng đài có trả lời nhưng phải chờ khá lâu.",),
            "negative": (
                "Gọi tổng đài ba lần mà vẫn chưa được giải quyết.",
                "Chờ máy rất lâu mà không giải quyết được gì.",
            ),
        },
        "app_checkout": {
            "positive": (
                "Thanh toán nhanh gọn, dễ dùng.",
                "Ứng dụng mượt, thanh toán chỉ mất vài giây.",
            ),
            "neutral": ("Thanh toán được nhưng có quá nhiều bước.",),
            "negative": (
                "Thanh toán trên ứng dụng bị lỗi liên tục.",
                "Ứng dụng bị treo khi thanh toán, phải làm lại từ đầu.",
            ),
        },
        "product_quality": {
            "positive": ("Chất lượng tốt, đúng như mô tả.", "Sản phẩm tuyệt vời, sẽ ủng hộ tiếp."),
            "neutral": ("Sản phẩm tạm ổn.",),
            "negative": ("Sản phẩm hỏng sau vài ngày sử dụng.", "Chất lượng kém hơn so với hình."),
        },
    },
    "th": {
        "price": {
            "positive": ("ราคาคุ้มค่ามาก", "ราคาถูกกว่าร้านอื่น"),
            "neutral": ("ราคาพอรับได้ ไม่ได้ถูกเป็นพิเศษ",),
            "negative": ("ราคาแพงเกินไปเมื่อเทียบกับคุณภาพ", "ขึ้นราคาอีกแล้ว คงต้องไปซื้อที่อื่น"),
        },
        "shipping_cost": {
            "positive": ("ส่งฟรี เลยตัดสินใจซื้อง่าย", "ค่าส่งสมเหตุสมผล"),
            "neutral": ("ค่าส่งแพงนิดหน่อยแต่รับได้",),
            "negative": ("ค่าส่งแพงเกินไป", "ค่าส่งแพงกว่าราคาสินค้าอีก เลยไม่สั่ง"),
        },
        "delivery_speed": {
            "positive": ("จัดส่งรวดเร็ว พอใจมาก", "ของมาถึงเร็วกว่าที่แจ้งไว้หนึ่งวัน"),
            "neutral": ("จัดส่งใช้เวลาสองสามวัน ตามปกติ",),
            "negative": ("ของมาช้าไปหนึ่งสัปดาห์", "ส่งช้ามากและไม่มีใครแจ้งเหตุผล"),
        },
        "support": {
            "positive": ("พนักงานช่วยแก้ปัญหาได้รวดเร็ว", "ฝ่ายบริการลูกค้าสุภาพและเป็นกันเอง"),
            "neutral": ("ฝ่ายบริการตอบกลับ แต่ต้องรอนาน",),
            "negative": ("ติดต่อฝ่ายบริการสามครั้งแล้วยังแก้ปัญหาไม่ได้", "รอสายนานมากและไม่ได้รับการแก้ไข"),
        },
        "app_checkout": {
            "positive": ("ชำระเงินง่ายและรวดเร็ว", "แอปใช้งานลื่น จ่ายเงินไม่กี่วินาทีก็เสร็จ"),
            "neutral": ("ชำระเงินได้ แต่ขั้นตอนเยอะไปหน่อย",),
            "negative": ("ชำระเงินในแอปไม่ผ่านหลายครั้ง", "แอปค้างตอนชำระเงิน ต้องเริ่มใหม่หมด"),
        },
        "product_quality": {
            "positive": ("สินค้าคุณภาพดี ตรงตามรายละเอียด", "สินค้าดีมาก จะกลับมาซื้ออีก"),
            "neutral": ("สินค้าโอเค ไม่มีอะไรพิเศษ",),
            "negative": ("สินค้าเสียหลังใช้งานไม่กี่วัน", "คุณภาพแย่กว่าในรูป"),
        },
    },
}

# Theme of a comment, by what it is about (the stall segment's weights come from PLANTED).
_THEMES = {
    "nps_online": {"product_quality": 0.35, "delivery_speed": 0.25, "price": 0.15,
                   "shipping_cost": 0.08, "app_checkout": 0.10, "support": 0.07},
    "nps_store": {"product_quality": 0.50, "price": 0.35, "support": 0.15},
    "ces_online": {"app_checkout": 0.75, "price": 0.10, "shipping_cost": 0.15},
    "ces_store": {"price": 0.50, "product_quality": 0.50},
    "stall": {"shipping_cost": 0.55, "price": 0.20, "product_quality": 0.10,
              "delivery_speed": 0.05, "app_checkout": 0.10},
}  # fmt: skip


# --------------------------------------------------------------------------------------------
# Simulation of one customer
# --------------------------------------------------------------------------------------------


def _day_of(d: date) -> float:
    return float((d - date(2025, 1, 1)).days)


def _quarter(t: float) -> int:
    return bisect.bisect_right(_QUARTER_STARTS, t) - 1


class _Counters:
    """Running numbers for session and order ids, shared by all customers of a sample."""

    def __init__(self) -> None:
        self.session = 0
        self.order = 0

    def next_session(self) -> str:
        self.session += 1
        return f"S{self.session:07d}"

    def next_order(self) -> str:
        self.order += 1
        return f"O{self.order:07d}"


@dataclass
class _Order:
    """What happened around one checkout, for the survey scores and comments."""

    channel: str
    online: bool
    payment_failed: bool = False
    late: bool = False
    unresolved: bool = False


class _Journey:
    """One customer's simulated year: attributes, touchpoints, survey answers and churn."""

    def __init__(self, index: int, seed: int, counters: _Counters) -> None:
        rng = np.random.default_rng([seed, 0, index])
        self.rng, self.ids = rng, counters
        self.customer_id = f"C{index + 1:06d}"
        self.country = self._pick(_COUNTRIES)
        self.age_band = self._pick(_AGE_BANDS)
        self.buyer = self._pick(PLANTED.omnichannel.buyer_shares)
        self.loyalty = self._pick(PLANTED.nps.loyalty_shares)
        self.acquisition = self._pick(_ACQUISITION[self.buyer])
        self.activity = rng.gamma(3.0, 1 / 3)
        self.stalled = getattr(self, PLANTED.stall.column) == PLANTED.stall.segment
        self.language = _LANGUAGE[self.country]
        if rng.random() < _EXISTING_SHARE:
            self.signup = -730.0 + 730.0 * rng.random()
        else:
            self.signup = 334.0 * rng.random()
        self.start = max(self.signup, 0.0)
        yearly = PLANTED.nps.baseline_churn[self.loyalty]
        self.baseline_churn = self.start + rng.exponential(-365.0 / math.log1p(-yearly))
        # events: (t, touchpoint, channel, session_id, revenue, order_id)
        self.events: list[tuple[float, str, str, str | None, float | None, str | None]] = []
        # answers: (t, survey, score, comment, touchpoint, channel)
        self.answers: list[tuple[float, str, float, str | None, str, str]] = []
        self.incidents: list[float] = []
        self._settled, self._paired, self._per_quarter = 0, False, {}
        self.churn_ts: float | None = None

    # -- small helpers ------------------------------------------------------------------------
    def _pick(self, weights: Mapping[str, float]) -> str:
        """A key of ``weights``, drawn with probability proportional to its weight."""
        keys, cumulative = tuple(weights), tuple(accumulate(weights.values()))
        i = bisect.bisect_right(cumulative, self.rng.random() * cumulative[-1])
        return keys[min(i, len(keys) - 1)]

    def _uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.rng.random()

    def _emit(
        self,
        t: float,
        touchpoint: str,
        channel: str,
        session: str | None = None,
        revenue: float | None = None,
        order: str | None = None,
    ) -> None:
        self.events.append((t, touchpoint, channel, session, revenue, order))
        if touchpoint in PLANTED.friction.touchpoints:
            self.incidents.append(t)

    def _session_times(self, rate: float, stop: float) -> list[float]:
        """Poisson arrivals at ``rate`` per year, moved to a local daytime hour."""
        span = stop - self.start
        if span <= 0 or rate <= 0:
            return []
        count = self.rng.poisson(rate * self.activity * span / 365.0)
        offset = _UTC_OFFSET_HOURS[self.country] / 24
        days = np.floor(self.start + span * self.rng.random(count) + offset)
        hours = np.searchsorted(_HOUR_CUMULATIVE, self.rng.random(count), side="right")
        times = days + (hours + self.rng.random(count)) / 24 - offset
        return times[(times >= self.start) & (times < stop)].tolist()

    # -- the year -----------------------------------------------------------------------------
    def simulate(self) -> None:
        stop = min(self.baseline_churn, _END)
        omni = PLANTED.omnichannel
        scale = self.buyer == "omni"
        times = {"support": self._session_times(_SUPPORT_RATE, stop)}
        if self.buyer in ("online", "omni"):
            times["online"] = self._session_times(
                _ONLINE_RATE * (omni.omni_online_scale if scale else 1.0), stop
            )
        if self.buyer in ("store", "omni"):
            times["store"] = self._session_times(
                _STORE_RATE * (omni.omni_store_scale if scale else 1.0), stop
            )
        if self.buyer in _BROWSE_RATE:
            times["browse"] = self._session_times(_BROWSE_RATE[self.buyer], stop)
        # The buyer type shows: the first store visit of store and omni buyers ends in a
        # purchase, and omni buyers retry online until a first online purchase goes through.
        planned = {"store": ["store"], "omni": ["store", "online"]}.get(self.buyer, [])
        queue = []
        if self.signup >= 0:  # new customers sign up during their first session
            kind = "online" if self.buyer in ("online", "omni") else "browse"
            if self.acquisition == "store" and "store" in planned:
                kind = "store"
            if kind in planned:
                planned.remove(kind)
                kind = f"first_{kind}"
            queue.append((self.signup + _MINUTE * self.rng.random(), kind))
        for kind in planned:
            if times[kind]:
                queue.append((times[kind].pop(0), f"first_{kind}"))
            elif stop > self.start:
                queue.append((self._uniform(self.start, stop), f"first_{kind}"))
        queue += [(t, kind) for kind, ts in times.items() for t in ts]
        queue = [(t, i, kind) for i, (t, kind) in enumerate(sorted(queue))]
        heapq.heapify(queue)
        sessions = {
            "online": self._online_session,
            "store": self._store_session,
            "browse": self._browse_session,
            "support": self._support_session,
        }
        while queue:
            t, i, kind = heapq.heappop(queue)
            if t >= stop:
                break
            self._settle_friction(before=t)
            if self.churn_ts is not None:
                break
            if kind == "first_store":
                self._store_session(t, convert=True)
            elif kind == "first_online":
                if not self._online_session(t):
                    heapq.heappush(queue, (t + self._uniform(1, 5), i, kind))
            else:
                sessions[kind](t)
        self._settle_friction(before=math.inf)
        self._finish(stop)

    def _settle_friction(self, before: float) -> None:
        """Draw friction churn for each incident before ``before``, in time order.

        Incidents before ``before`` are final: sessions not yet simulated start later.
        """
        if self.churn_ts is not None:
            return
        friction = PLANTED.friction
        incidents = sorted(t for t in self.incidents if t < min(before, _END))
        for t in incidents[self._settled :]:
            self._settled += 1
            quarter = _quarter(t)
            self._per_quarter[quarter] = self._per_quarter.get(quarter, 0) + 1
            if not self._paired and self._per_quarter[quarter] >= friction.incidents:
                self._paired, p = True, friction.churn_probability
            else:
                p = friction.single_incident_churn
            if self.rng.random() < p:
                self.churn_ts = t + self._uniform(*friction.churn_delay_days)
                return

    def _finish(self, stop: float) -> None:
        """Cut at the end of the year, settle churn, add awareness noise and clean up."""
        self.events = [e for e in self.events if e[0] < _END]
        last = max((e[0] for e in self.events), default=self.start)
        churn = min(c for c in (self.churn_ts, self.baseline_churn, math.inf) if c is not None)
        if churn < _END:
            # Never before the last touchpoint (an order in flight is still delivered).
            churn = min(max(churn, last + 1 / 24), _END - 1e-9)
        self.churn_ts = churn if churn < _END else None
        end = self.churn_ts if self.churn_ts is not None else _END
        for rate, touchpoint in (
            (_AD_NOISE_RATE, "ad_impression"),
            (_EMAIL_NOISE_RATE, "email_open"),
        ):
            for t in self._session_times(rate, end):
                channel = "email" if touchpoint == "email_open" else self._ad_channel()
                self._emit(t, touchpoint, channel)
        self.answers = [a for a in self.answers if a[0] < end]

    # -- sessions -----------------------------------------------------------------------------
    def _ad_channel(self) -> str:
        return "social" if self.rng.random() < 0.6 else "web"

    def _arrive(self, t: float, session: str, ads: bool) -> None:
        """Awareness touchpoints that led to this session, if any."""
        u = self.rng.random()
        if ads and u < 0.30:
            channel = self._ad_channel()
            if self.rng.random() < 0.8:
                self._emit_if_active(t - self._uniform(0.02, 3.0), "ad_impression", channel)
            self._emit_if_active(t - 10 / 86400, "ad_click", channel, session)
        elif u < 0.50:
            self._emit_if_active(t - self._uniform(1, 60) * _MINUTE, "email_open", "email")
        elif u < 0.65:
            self._emit_if_active(t - self._uniform(1, 120) * _MINUTE, "social_view", "social")

    def _emit_if_active(
        self, t: float, touchpoint: str, channel: str, session: str | None = None
    ) -> None:
        if t >= self.start:
            self._emit(t, touchpoint, channel, session)

    def _browse(self, t: float, channel: str, session: str, views_mean: float) -> float:
        self._emit(t, "visit", channel, session)
        for _ in range(1 + self.rng.poisson(views_mean)):
            t += self.rng.exponential(2.0) * _MINUTE
            self._emit(t, "product_view", channel, session)
        return t

    def _online_channel(self) -> str:
        return "app" if self.rng.random() < _APP_SHARE[self.age_band] else "web"

    def _browse_session(self, t: float) -> None:
        session = self.ids.next_session()
        self._arrive(t, session, ads=True)
        self._browse(t, self._online_channel(), session, views_mean=1.0)

    def _online_session(self, t: float) -> bool:
        """An online session through the funnel; True when it ends in a purchase."""
        session, channel = self.ids.next_session(), self._online_channel()
        self._arrive(t, session, ads=True)
        t = self._browse(t, channel, session, views_mean=1.5)
        stall = PLANTED.stall
        if self.rng.random() >= stall.add_to_cart_rate:
            return False
        t += self.rng.exponential(1.5) * _MINUTE
        self._emit(t, "add_to_cart", channel, session)
        checkout_rate = stall.checkout_rate_segment if self.stalled else stall.checkout_rate_others
        if self.rng.random() >= checkout_rate:
            return False
        t += self.rng.exponential(3.0) * _MINUTE
        self._emit(t, "checkout", channel, session)
        order = _Order(channel=channel, online=True)
        checkout_t, outage = t, PLANTED.outage
        in_outage = (
            channel == outage.channel and _day_of(outage.start) <= t < _day_of(outage.end) + 1
        )
        if in_outage and self.rng.random() < outage.failure_probability:
            self._emit(t + 0.5 * _MINUTE, "payment_failed", channel, session)
            order.payment_failed = True
            self._survey("ces", checkout_t, "checkout", order)
            return False
        if self.rng.random() < outage.payment_failure:
            t += 0.5 * _MINUTE
            self._emit(t, "payment_failed", channel, session)
            order.payment_failed = True
            if self.rng.random() >= outage.retry_success:
                self._survey("ces", checkout_t, "checkout", order)
                return False
            t += self.rng.exponential(1.0) * _MINUTE
        self._purchase(t + 0.3 * _MINUTE, session, order)
        self._survey("ces", checkout_t, "checkout", order)
        return True

    def _store_session(self, t: float, convert: bool = False) -> None:
        session = self.ids.next_session()
        self._arrive(t, session, ads=False)
        t = self._browse(t, "store", session, views_mean=1.0)
        if not convert and self.rng.random() >= _STORE_CONVERSION:
            return
        t += self.rng.exponential(4.0) * _MINUTE
        self._emit(t, "checkout", "store", session)
        order = _Order(channel="store", online=False)
        self._purchase(t + 1.5 * _MINUTE, session, order)
        self._survey("ces", t, "checkout", order)

    def _support_session(self, t: float) -> None:
        # A question not about an order (account, returns policy); _support sets the channel.
        self._support(t, None, _Order(channel="", online=False))

    # -- after a purchase ---------------------------------------------------------------------
    def _purchase(self, t: float, session: str, order: _Order) -> None:
        omni = PLANTED.omnichannel
        if order.online:
            mean = omni.online_order_mean * (1 + omni.online_order_uplift * (self.buyer == "omni"))
        else:
            mean = omni.store_order_mean * (1 + omni.store_order_uplift * (self.buyer == "omni"))
        sigma = omni.order_sigma
        revenue = round(mean * math.exp(sigma * self.rng.standard_normal() - sigma**2 / 2), 2)
        order_id = self.ids.next_order()
        self._emit(t, "purchase", order.channel, session, revenue, order_id)
        after = t
        if order.online:
            order.late = self.rng.random() < _LATE_DELIVERY
            after = t + (self._uniform(6, 12) if order.late else self._uniform(1.5, 4))
            self._emit(
                after, "late_delivery" if order.late else "delivery", order.channel, order=order_id
            )
        kind = "late" if order.late else ("online" if order.online else "store")
        settled = after
        if self.rng.random() < _SUPPORT_AFTER[kind]:
            settled = self._support(after + self._uniform(0.05, 3), order_id, order)
        if self.rng.random() < _REVIEW["online" if order.online else "store"]:
            channel = order.channel if order.online else "web"
            self._emit(after + self._uniform(1, 10), "review", channel, order=order_id)
        if self.rng.random() < PLANTED.nps.referral_probability[self.loyalty]:
            self._emit(after + self._uniform(1, 20), "referral", self._pick(_REFERRAL_CHANNELS))
        self._survey("nps", settled + self._uniform(1, 3), "purchase", order)

    def _support(self, t: float, order_id: str | None, order: _Order) -> float:
        """A support contact, maybe unresolved, and its CSAT; returns when it settled."""
        channel = self._pick(_SUPPORT_CHANNELS)
        self._emit(t, "support_contact", channel, order=order_id)
        order.unresolved = self.rng.random() < _UNRESOLVED
        settled = t + self._uniform(0.05, 1)
        if order.unresolved:
            settled = t + self._uniform(1, 4)
            self._emit(settled, "support_unresolved", channel, order=order_id)
        self._survey("csat", settled + self._uniform(0.1, 2), "support_contact", order, channel)
        return settled

    def _survey(
        self, survey: str, t: float, touchpoint: str, order: _Order, channel: str | None = None
    ) -> None:
        """Maybe answer a survey sent at ``t``; the score follows the experience."""
        if self.rng.random() >= _RESPONSE_RATE[survey]:
            return
        t += self._uniform(5, 240) * _MINUTE
        noise = self.rng.standard_normal()
        shock = self.stalled and order.online
        if survey == "nps":
            latent = PLANTED.nps.nps_mean[self.loyalty] + noise
            latent -= 3.0 * order.late + 3.0 * order.unresolved + 1.5 * order.payment_failed + shock
            score, cuts = min(max(round(latent), 0), 10), (6, 8)
        elif survey == "csat":
            score, cuts = (
                min(max(round((1.7 if order.unresolved else 4.4) + 0.7 * noise), 1), 5),
                (2, 3),
            )
        else:
            latent = 5.8 + 0.9 * noise - 3.0 * order.payment_failed - 2.0 * shock
            score, cuts = min(max(round(latent), 1), 7), (3, 4)
        comment = None
        if self.rng.random() < _COMMENT_RATE:
            sentiment = (
                "negative" if score <= cuts[0] else "neutral" if score <= cuts[1] else "positive"
            )
            sentences = COMMENTS[self.language][self._theme(survey, order)][sentiment]
            comment = sentences[int(self.rng.integers(len(sentences)))]
        self.answers.append(
            (t, survey, float(score), comment, touchpoint, channel or order.channel)
        )

    def _theme(self, survey: str, order: _Order) -> str:
        if survey == "csat":
            return "support"
        if order.payment_failed:
            return "app_checkout"
        if survey == "nps" and order.late:
            return "delivery_speed"
        if survey == "nps" and order.unresolved:
            return "support"
        if self.stalled and order.online:
            return self._pick(_THEMES["stall"])
        return self._pick(_THEMES[f"{survey}_{'online' if order.online else 'store'}"])


_HOUR_CUMULATIVE = np.cumsum(_LOCAL_HOUR_WEIGHTS)[:-1] / sum(_LOCAL_HOUR_WEIGHTS)

# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _utc(column: str) -> pl.Expr:
    """Days after 2025-01-01 -> UTC timestamp, rounded to the microsecond."""
    micros = (pl.col(column) * _DAY_US).round().cast(pl.Int64) + _YEAR_START_US
    return micros.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _frames(journeys: list[_Journey]) -> dict[str, pl.DataFrame]:
    stage = pl.col("touchpoint").replace_strict(
        stage_model("5-stage").mapping, return_dtype=pl.String
    )
    touchpoints = pl.DataFrame(
        [(j.customer_id, *e) for j in journeys for e in j.events],
        schema={
            "customer_id": pl.String,
            "ts": pl.Float64,
            "touchpoint": pl.String,
            "channel": pl.String,
            "session_id": pl.String,
            "revenue": pl.Float64,
            "order_id": pl.String,
        },  # fmt: skip
        orient="row",
    ).with_columns(_utc("ts"), stage.alias("stage"))
    surveys = pl.DataFrame(
        [(j.customer_id, *a) for j in journeys for a in j.answers],
        schema={
            "customer_id": pl.String,
            "ts": pl.Float64,
            "survey": pl.String,
            "score": pl.Float64,
            "comment": pl.String,
            "touchpoint": pl.String,
            "channel": pl.String,
        },  # fmt: skip
        orient="row",
    ).with_columns(_utc("ts"), stage.alias("stage"))
    customers = pl.DataFrame(
        [
            (j.customer_id, j.signup, j.country, j.age_band, j.acquisition, j.churn_ts)
            for j in journeys
        ],
        schema={
            "customer_id": pl.String,
            "signup_ts": pl.Float64,
            "country": pl.String,
            "age_band": pl.String,
            "acquisition_channel": pl.String,
            "churn_ts": pl.Float64,
        },  # fmt: skip
        orient="row",
    ).with_columns(_utc("signup_ts"), _utc("churn_ts"), churned=pl.col("churn_ts").is_not_null())
    # Sorted by customer and time; the generation order breaks ties.
    return {
        "touchpoints": touchpoints.with_row_index("_seq")
        .sort("customer_id", "ts", "_seq")
        .select(*TOUCHPOINTS.columns),
        "surveys": surveys.with_row_index("_seq")
        .sort("customer_id", "ts", "_seq")
        .select(*SURVEYS.columns),
        "customers": customers.select(
            "customer_id",
            "signup_ts",
            "country",
            "age_band",
            "acquisition_channel",
            "churned",
            "churn_ts",
        ),
    }


def _insert(frame: pl.DataFrame, extra: list[tuple[pl.DataFrame, np.ndarray]]) -> pl.DataFrame:
    """Insert rows: each extra frame's row i goes after row ``positions[i]`` of ``frame``."""
    keyed = [frame.with_columns(_key=pl.int_range(pl.len(), dtype=pl.Int64) * 2)]
    keyed += [
        rows.with_columns(_key=pl.Series(np.asarray(pos, dtype=np.int64) * 2 + 1))
        for rows, pos in extra
    ]
    return pl.concat(keyed).sort("_key", maintain_order=True).drop("_key")


def _add_bad_rows(tables: dict[str, pl.DataFrame], seed: int) -> dict[str, pl.DataFrame]:
    """Insert the bad rows of :class:`BadRowsTruth` (fewer when a tiny sample lacks rows)."""
    bad, rng = PLANTED.bad_rows, np.random.default_rng([seed, 1])
    touchpoints, surveys = tables["touchpoints"], tables["surveys"]

    def pick(frame: pl.DataFrame, k: int, where: pl.Expr | None = None) -> np.ndarray:
        candidates = frame.with_row_index("_i").filter(True if where is None else where)
        candidates = candidates["_i"].to_numpy()
        return np.sort(rng.choice(candidates, size=min(k, len(candidates)), replace=False))

    def anywhere(rows: np.ndarray) -> np.ndarray:
        return rng.integers(touchpoints.height, size=len(rows))

    dupes = pick(touchpoints, bad.duplicate_touchpoints)
    missing = pick(touchpoints, bad.missing_customer_id)
    negative = pick(touchpoints, bad.negative_revenue, pl.col("touchpoint") == "purchase")
    epoch = pick(touchpoints, bad.epoch_zero_ts)
    no_id, zero = pl.lit(None, pl.String), pl.lit(0).cast(UTC_TS)
    touchpoints = _insert(
        touchpoints,
        [
            (touchpoints[dupes], dupes),
            (touchpoints[missing].with_columns(customer_id=no_id), anywhere(missing)),
            (touchpoints[negative].with_columns(revenue=-pl.col("revenue")), anywhere(negative)),
            (touchpoints[epoch].with_columns(ts=zero), anywhere(epoch)),
        ],
    )
    nps = pick(surveys, bad.nps_out_of_range, pl.col("survey") == "nps")
    surveys = _insert(surveys, [(surveys[nps].with_columns(score=pl.lit(bad.nps_bad_score)), nps)])
    return {**tables, "touchpoints": touchpoints, "surveys": surveys}


def make_sample(
    customers: int = DEFAULT_CUSTOMERS, *, seed: int = DEFAULT_SEED, bad_rows: bool = True
) -> dict[str, pl.DataFrame]:
    """Simulate a year of customer journeys with the planted truths of :data:`PLANTED`.

    Parameters
    ----------
    customers : int, default 5000
        Number of customers (ids ``C000001``, ``C000002``, ...).
    seed : int, default 7
        Random seed (numpy ``default_rng``). The same seed and size give identical tables on
        every run and machine; customer ``i`` does not depend on how many follow it.
    bad_rows : bool, default True
        Add the bad rows of :class:`BadRowsTruth` (duplicates, a missing id, negative revenue,
        an epoch-zero timestamp, NPS of 11) for the rejects ledger.

    Returns
    -------
    dict of str to polars.DataFrame
        ``touchpoints`` (one row per interaction, sorted by customer and time), ``surveys``
        (one row per answer) and ``customers`` (one row per customer), with the canonical
        columns of ``cxlib._schema`` and the customer attributes ``country``, ``age_band``
        and ``acquisition_channel``.

    Examples
    --------
    >>> from cxlib.sample import make_sample
    >>> tables = make_sample(customers=50, seed=3)
    >>> tables["touchpoints"].columns
    ['customer_id', 'ts', 'touchpoint', 'channel', 'session_id', 'stage', 'revenue', 'order_id']
    >>> tables["customers"]["customer_id"].head(2).to_list()
    ['C000001', 'C000002']
    """
    if customers < 1:
        raise ValueError(f"customers must be at least 1, got {customers}")
    counters = _Counters()
    journeys = []
    for index in range(customers):
        journey = _Journey(index, seed, counters)
        journey.simulate()
        journeys.append(journey)
    tables = _frames(journeys)
    return _add_bad_rows(tables, seed) if bad_rows else tables


def write_sample(
    out: str | Path, *, customers: int = DEFAULT_CUSTOMERS, seed: int = DEFAULT_SEED
) -> dict[str, Path]:
    """Write the sample as ``touchpoints.parquet``, ``surveys.parquet``, ``customers.parquet``.

    Parameters
    ----------
    out : str or Path
        Directory to write into; created if needed. Existing files of the same names are
        replaced; other files (such as the data card ``README.md``) are left alone.
    customers, seed : int
        As for :func:`make_sample`.

    Returns
    -------
    dict of str to Path
        Table name -> the Parquet file written (zstd-compressed).

    Examples
    --------
    >>> import tempfile
    >>> from cxlib.sample import write_sample
    >>> paths = write_sample(tempfile.mkdtemp(), customers=50)
    >>> sorted(p.name for p in paths.values())
    ['customers.parquet', 'surveys.parquet', 'touchpoints.parquet']
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind, frame in make_sample(customers, seed=seed).items():
        paths[kind] = out / f"{kind}.parquet"
        frame.write_parquet(paths[kind], compression="zstd", compression_level=19)
    return paths
