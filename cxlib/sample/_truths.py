"""The planted truths of the sample and the survey comment texts: what the simulation plants.

:data:`PLANTED` holds the effects :func:`~cxlib.sample.make_sample` builds into the data, one
frozen dataclass per truth with the tolerances the tests hold them to; :data:`COMMENTS` holds
the survey comment sentences by language, theme and sentiment, and ``_THEMES`` the weights of
the comment themes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

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

    touchpoints: tuple[str, ...] = ("payment_failed", "late_delivery", "support_unresolved")
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
