"""What the words in a shop's data usually mean: column names, channels, events, stages.

The vocabulary ``cx init`` reads exports with (``cxlib.io._discover`` and ``_infer``):

* :data:`COLUMN_SYNONYMS` — per table kind, the names a canonical column goes by in GA4,
  Segment, Shopify, survey tools and hand-made exports (English, Vietnamese, Thai), best
  first;
* :func:`canonical_channel` — a raw channel value (``WEB``, ``IOS``, ``POS``, ``Online
  Store``) to the name used in reports (``web``, ``app``, ``store``, ...), and
  :data:`CHANNEL_GROUPS` for the omnichannel analysis;
* :func:`role_of` — what an event name is about (seeing an ad, visiting, browsing, buying,
  delivery, support, advocacy), from GA4 / Segment / Shopify names and words in English,
  Vietnamese and Thai; :data:`ROLE_STAGES` places each role in the stage presets;
* :data:`CONVERSIONS` and :func:`is_friction` — the events that mean a conversion, and the
  ones whose name means a failure;
* :func:`normalize_name` — the form names are compared in.

Everything here is a guess to be confirmed: ``cx init`` writes it into ``cx.toml`` with the
evidence next to it.
"""

from __future__ import annotations

import re
import unicodedata

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Not a letter, digit or combining mark (Thai vowels and tones are marks, not \w).
_SEPARATORS = re.compile(r"[^\w\u0300-\u036f\u0e00-\u0e7f]+|_+")


def normalize_name(name: str) -> str:
    """Lower-case words separated by single spaces: ``userId`` -> ``user id``.

    camelCase is split, punctuation and underscores become spaces, accents are kept
    (Vietnamese words differ by them only).

    Examples
    --------
    >>> normalize_name("anonymousId"), normalize_name("Total (VND)"), normalize_name("event.name")
    ('anonymous id', 'total vnd', 'event name')
    """
    text = unicodedata.normalize("NFC", _CAMEL.sub(" ", str(name)))
    return " ".join(_SEPARATORS.sub(" ", text.lower()).split())


def _names(*names: str) -> tuple[str, ...]:
    return tuple(normalize_name(n) for n in names)


_CUSTOMER = _names(
    "customer_id", "customerId", "customer", "cust_id", "user_id", "userId", "user_pseudo_id",
    "user", "client_id", "member_id", "member_no", "member", "account_id", "contact_id",
    "person_id", "shopper_id", "buyer_id", "visitor_id", "anonymous_id", "anonymousId",
    "respondent_id", "respondent", "distinct_id", "$distinct_id", "device_id", "amplitude_id",
    "mã khách hàng", "mã kh", "khách hàng", "รหัสลูกค้า", "ลูกค้า",
    "kundennummer", "kunden_id", "kunde", "id_cliente", "cliente", "client", "numero_client",
    "customer_email", "email", "email_address",  # last: an id column wins over personal data
)  # fmt: skip
_TIME = _names(
    "ts", "event_timestamp", "timestamp", "event_time", "event_datetime", "datetime",
    "occurred_at", "created_at", "time", "date", "order_date", "order_time", "processed_at",
    "paid_at", "sent_at", "received_at", "visit_time", "event_date",
    "thời gian", "ngày", "ngày đặt hàng", "วันที่", "เวลา",
    "bestelldatum", "datum", "zeitpunkt", "fecha", "fecha_pedido", "date_commande",
)  # fmt: skip
_EVENT = _names(
    "touchpoint", "event_name", "event", "action", "event_type", "event_action", "activity",
    "interaction", "step", "type", "sự kiện", "hành động", "กิจกรรม", "เหตุการณ์",
)  # fmt: skip
_CHANNEL = _names(
    "channel", "platform", "context.channel", "sales_channel", "source_name", "source",
    "device_category", "device.category", "device", "medium", "store_type", "kênh",
    "kênh bán", "ช่องทาง", "แพลตฟอร์ม", "nền tảng", "kanal", "canal", "device_type",
    "device.type", "context.device.type", "os", "os_name", "operating_system",
)  # fmt: skip
_SESSION = _names("session_id", "ga_session_id", "sessionId", "visit_id", "session")
_REVENUE = _names(
    "revenue", "purchase_revenue", "ecommerce.purchase_revenue", "properties.revenue",
    "event_value_in_usd", "order_value", "value", "amount", "total", "total_price",
    "grand_total", "subtotal", "price", "sales", "doanh thu", "thành tiền", "tổng tiền",
    "số tiền", "ยอดขาย", "ยอดเงิน", "ราคา", "betrag", "umsatz", "importe", "montant",
)  # fmt: skip
_ORDER = _names(
    "order_id", "orderId", "transaction_id", "ecommerce.transaction_id", "order_number",
    "order_no", "order", "invoice_id", "invoice", "receipt_id", "mã đơn hàng", "mã đơn",
    "เลขที่คำสั่งซื้อ", "bestellnummer", "pedido", "numero_pedido", "commande",
)  # fmt: skip
_SURVEY = _names(
    "survey", "survey_type", "survey_name", "questionnaire", "metric", "type", "khảo sát",
    "loại khảo sát", "แบบสำรวจ", "ประเภทแบบสำรวจ",
)  # fmt: skip
_SCORE = _names(
    "score", "rating", "nps", "nps_score", "csat", "ces", "likelihood", "answer", "value",
    "điểm", "คะแนน",
)  # fmt: skip
_COMMENT = _names(
    "comment", "comments", "feedback", "verbatim", "why", "reason", "remarks", "text",
    "open_answer", "góp ý", "ý kiến", "nhận xét", "ความคิดเห็น", "ข้อเสนอแนะ",
)  # fmt: skip

COLUMN_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "touchpoints": {
        "customer_id": _CUSTOMER,
        "ts": _TIME,
        "touchpoint": _EVENT,
        "channel": _CHANNEL,
        "session_id": _SESSION,
        "revenue": _REVENUE,
        "order_id": _ORDER,
    },
    "surveys": {
        "customer_id": _CUSTOMER,
        "ts": (
            *_names(
                "submitted_at",
                "submitted",
                "answered_at",
                "answered",
                "responded_at",
                "response_date",
                "response_time",
                "completed_at",
            ),
            *_TIME,
        ),  # fmt: skip
        "survey": _SURVEY,
        "score": _SCORE,
        "comment": _COMMENT,
        "touchpoint": _EVENT[:6],
        "channel": _CHANNEL,
    },
    "customers": {
        "customer_id": (*_CUSTOMER, "id"),
        "signup_ts": _names(
            "signup_ts",
            "signup_date",
            "signed_up_at",
            "created_at",
            "registered_at",
            "registration_date",
            "join_date",
            "joined_at",
            "first_seen",
            "customer_since",
            "ngày đăng ký",
            "วันที่สมัคร",
        ),  # fmt: skip
        "churned": _names(
            "churned",
            "is_churned",
            "churn",
            "has_churned",
            "churn_flag",
            "is_churn",
            "churn_label",
            "lost",
            "đã rời bỏ",
        ),  # fmt: skip
        "churn_ts": _names(
            "churn_ts",
            "churn_date",
            "churned_at",
            "cancelled_at",
            "cancellation_date",
            "canceled_at",
            "closed_at",
        ),  # fmt: skip
    },
}

# Words that make a column a weaker candidate when they appear inside a longer name
# ("Order Date" -> ts, "Total (VND)" -> revenue, "How likely ... recommend" -> score).
COLUMN_WORDS: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer", "user", "member", "client", "respondent", "khách"),
    "ts": ("timestamp", "date", "time", "datetime", "ngày", "วันที่"),
    "touchpoint": ("event", "action"),
    "channel": ("channel", "platform", "kênh", "ช่องทาง"),
    "session_id": ("session",),
    "revenue": ("revenue", "amount", "total", "value", "tiền", "ยอด"),
    "order_id": ("order", "transaction", "invoice"),
    "survey": ("survey",),
    "score": ("score", "rating", "recommend", "likely", "nps", "csat", "satisf", "effort", "0 10"),
    "comment": ("comment", "feedback", "why", "reason", "verbatim"),
    "signup_ts": ("signup", "sign up", "registered", "joined"),
    "churned": ("churn",),
    "churn_ts": ("churn date", "churned at", "cancelled"),
}

# -- channels -----------------------------------------------------------------------------

# Canonical channel -> words of raw values meaning it, checked in this order (a "mobile web"
# value is web, an "online store" is web, an "in-store" visit is the store).
_CHANNEL_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("web", ("web", "website", "desktop", "browser", "online", "ecommerce", "e commerce", "www",
             "site", "mweb", "trang web")),
    ("app", ("app", "ios", "android", "iphone", "ipad", "mobile", "ứng dụng", "แอป")),
    ("web", ("windows", "macos", "mac os", "mac os x", "linux", "chrome os")),  # a desktop OS
    ("store", ("store", "pos", "offline", "shop", "retail", "branch", "outlet", "filiale",
               "tienda", "magasin", "cửa hàng",
               "chi nhánh", "ร้าน", "สาขา")),
    ("email", ("email", "e mail", "mail", "newsletter", "edm")),
    ("sms", ("sms", "text message", "zns")),
    ("social", ("social", "facebook", "instagram", "tiktok", "youtube", "twitter", "linkedin",
                "mạng xã hội")),
    ("chat", ("chat", "messenger", "zalo", "line", "whatsapp", "livechat")),
    ("call_center", ("call", "phone", "hotline", "telesales", "contact center", "tổng đài",
                     "điện thoại", "โทร")),
    ("marketplace", ("marketplace", "shopee", "lazada", "tiki", "amazon")),
    ("ads", ("cpc", "paid", "ads", "display", "banner", "quảng cáo", "โฆษณา")),
)  # fmt: skip
CHANNEL_GROUPS: dict[str, str] = {  # canonical channel -> omnichannel group
    "web": "online",
    "app": "online",
    "marketplace": "online",
    "email": "online",
    "sms": "online",
    "social": "online",
    "ads": "online",
    "store": "store",
    "call_center": "contact_center",
    "chat": "contact_center",
}


def canonical_channel(value: str) -> str | None:
    """The report name of a raw channel value, or None when it is not recognized.

    Examples
    --------
    >>> [canonical_channel(v) for v in ["WEB", "IOS", "mobile app", "POS", "Online Store"]]
    ['web', 'app', 'app', 'store', 'web']
    >>> [canonical_channel(v) for v in ["iOS", "iPhone", "macOS", "Windows"]]
    ['app', 'app', 'web', 'web']
    >>> canonical_channel("server") is None
    True
    """
    # lower-case first: iOS, iPhone, macOS are one word each, not "i os" or "i phone"
    name = normalize_name(value.lower())
    if not name:
        return None
    words = set(name.split())
    for channel, cues in _CHANNEL_WORDS:
        for cue in cues:
            if cue == name or cue in words or (" " in cue and cue in name):
                return channel
            if not cue.isascii() and cue in name:  # Vietnamese / Thai phrases
                return channel
    return None


# -- events: roles, stages, conversions, friction -----------------------------------------

# What an event is about; checked in this order, so "order_refunded" is support (not
# buying), "add_payment_info" buying (not browsing) and "product_reviewed" advocacy.
ROLES = ("advocacy", "support", "delivery", "buying", "browsing", "visit", "click", "awareness")
_ROLE_EXACT: dict[str, str] = {
    name: role
    for role, names in {
        "awareness": ("ad_impression", "impression", "email_open", "social_view",
                      "view_promotion", "promotion_viewed", "notification_receive",
                      "notification_received", "email_opened"),
        "click": ("ad_click", "select_promotion", "email_click", "email_link_clicked",
                  "notification_open", "campaign_details", "promotion_clicked"),
        "visit": ("page_view", "pageview", "screen_view", "session_start", "first_visit",
                  "first_open", "app_open", "open_app", "visit", "login", "sign_up", "signup",
                  "signed_up", "signed_in", "application_opened", "application_installed",
                  "user_engagement", "scroll", "landing"),
        "browsing": ("view_item", "view_item_list", "select_item", "view_search_results",
                     "search", "add_to_cart", "add_to_wishlist", "remove_from_cart",
                     "view_cart", "product_view", "product_viewed", "product_list_viewed",
                     "products_searched", "product_clicked", "product_added",
                     "product_removed", "cart_viewed", "product_added_to_wishlist",
                     "product_detail", "add_to_basket", "products_viewed", "viewed_product",
                     "added_to_cart", "product_compared", "view", "item_view", "pdp",
                     "cart"),
        "buying": ("begin_checkout", "add_payment_info", "add_shipping_info", "purchase",
                   "checkout", "checkout_started", "checkout_step_viewed",
                   "checkout_step_completed", "payment_info_entered", "order_completed",
                   "order_placed", "order_updated", "coupon_applied", "checkout_complete",
                   "checkout_completed", "transaction", "payment_failed", "started_checkout",
                   "placed_order", "ecommerce_purchase", "in_app_purchase"),
        "delivery": ("delivery", "late_delivery", "order_shipped", "order_fulfilled",
                     "order_delivered", "fulfilled_order", "shipment"),
        "support": ("refund", "order_refunded", "order_cancelled", "order_canceled",
                    "support_contact", "support_unresolved", "cancelled_order",
                    "refunded_order", "return_requested", "complaint"),
        "advocacy": ("review", "referral", "share", "product_shared", "product_reviewed",
                     "cart_shared", "invite", "rate_app"),
    }.items()
    for name in _names(*names)
}  # fmt: skip
_ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "advocacy": ("review", "referr", "refer", "share", "invite", "recommend", "rating",
                 "đánh giá", "giới thiệu", "chia sẻ", "รีวิว", "แนะนำ", "แชร์"),
    "support": ("refund", "return", "complain", "complaint", "support", "ticket", "cancel",
                "dispute", "chargeback", "help", "hoàn tiền", "khiếu nại", "đổi trả", "hủy",
                "huỷ", "hỗ trợ", "คืนเงิน", "ร้องเรียน", "ยกเลิก", "คืนสินค้า"),
    "delivery": ("deliver", "ship", "fulfil", "dispatch", "giao hàng", "vận chuyển", "จัดส่ง"),
    "buying": ("checkout", "payment", "pay", "purchase", "order", "transaction", "buy", "paid",
               "coupon", "thanh toán", "đặt hàng", "mua", "ชำระเงิน", "สั่งซื้อ", "ซื้อ"),
    "browsing": ("product", "item", "search", "cart", "basket", "wishlist", "catalog",
                 "category", "detail", "compare", "sản phẩm", "tìm kiếm", "giỏ", "สินค้า",
                 "ค้นหา", "ตะกร้า"),
    "visit": ("visit", "session", "page", "screen", "open", "login", "log in", "sign",
              "register", "launch", "home", "truy cập", "đăng nhập", "đăng ký", "เข้าชม",
              "เข้าสู่ระบบ", "สมัคร", "เปิดแอป", "เปิด", "mở app", "mở ứng dụng"),
    "click": ("click", "tap", "nhấp", "คลิก"),
    "awareness": ("impression", "ad", "promotion", "banner", "notification", "email", "social",
                  "campaign", "quảng cáo", "โฆษณา"),
}  # fmt: skip

# Role -> stage in each preset (as cxlib.io._stages groups the sample's touchpoints).
ROLE_STAGES: dict[str, dict[str, str]] = {
    "5-stage": {
        "awareness": "awareness",
        "click": "awareness",
        "visit": "consideration",
        "browsing": "consideration",
        "buying": "conversion",
        "delivery": "retention",
        "support": "retention",
        "advocacy": "advocacy",
    },
    "6-stage": {
        "awareness": "awareness",
        "click": "acquisition",
        "visit": "acquisition",
        "browsing": "onboarding",
        "buying": "engagement",
        "delivery": "retention",
        "support": "retention",
        "advocacy": "advocacy",
    },
    "4-stage": {
        "awareness": "awareness",
        "click": "awareness",
        "visit": "engagement",
        "browsing": "engagement",
        "buying": "transaction",
        "delivery": "transaction",
        "support": "retention",
        "advocacy": "retention",
    },
}


def _has_word(name: str, word: str) -> bool:
    """``word`` starts a word of ``name`` (English), or occurs in it (Vietnamese, Thai)."""
    if not word.isascii() or " " in word:
        return word in name
    return (
        any(part.startswith(word) for part in name.split())
        if len(word) > 2
        else (word in name.split())
    )


def role_of(touchpoint: str) -> str | None:
    """What an event name is about (one of :data:`ROLES`), or None when nothing says.

    Examples
    --------
    >>> [role_of(e) for e in ["view_item", "Order Completed", "order_refunded", "thanh toán"]]
    ['browsing', 'buying', 'support', 'buying']
    >>> role_of("xyz_42") is None
    True
    """
    name = normalize_name(touchpoint)
    exact = _ROLE_EXACT.get(name)
    if exact is not None:
        return exact
    for role in ROLES:
        if any(_has_word(name, word) for word in _ROLE_WORDS[role]):
            return role
    return None


# Event names that mean a conversion, best first (compared normalized).
CONVERSIONS: tuple[str, ...] = _names(
    "purchase", "order_completed", "checkout_complete", "checkout_completed", "order_placed",
    "placed_order", "transaction", "ecommerce_purchase", "in_app_purchase", "purchase_completed",
    "payment_success", "payment_completed", "order", "buy", "mua hàng", "đặt hàng thành công",
    "thanh toán thành công", "สั่งซื้อสำเร็จ", "ชำระเงินสำเร็จ",
)  # fmt: skip

_FRICTION_STEMS = (
    "fail", "error", "cancel", "refund", "complain", "unresolv", "timeout", "declin",
    "abandon", "reject", "dispute", "chargeback", "problem", "broken", "bounce", "undeliver",
)  # fmt: skip
_FRICTION_WORDS = ("late", "delay", "delayed", "return", "returned", "returns", "timed")
_FRICTION_PHRASES = (
    "lỗi", "thất bại", "hủy", "huỷ", "trễ", "chậm", "hoàn tiền", "khiếu nại", "đổi trả",
    "ล้มเหลว", "ผิดพลาด", "ยกเลิก", "ล่าช้า", "คืนเงิน", "ร้องเรียน", "คืนสินค้า",
    "ไม่สำเร็จ", "không thành công", "thanh toán lỗi", "giao trễ",
)  # fmt: skip


def is_friction(touchpoint: str) -> bool:
    """True when an event name means a failure (failed, late, refund, lỗi, ยกเลิก, ...).

    Examples
    --------
    >>> [is_friction(e) for e in ["payment_failed", "late_delivery", "Order Refunded", "visit"]]
    [True, True, True, False]
    """
    name = normalize_name(touchpoint)
    words = name.split()
    return (
        any(word.startswith(stem) for word in words for stem in _FRICTION_STEMS)
        or any(word in _FRICTION_WORDS for word in words)
        or any(phrase in name for phrase in _FRICTION_PHRASES)
    )


# -- churn, currency, time zone -----------------------------------------------------------

CURRENCIES = (
    "USD", "EUR", "GBP", "VND", "THB", "SGD", "MYR", "IDR", "PHP", "JPY", "KRW", "CNY", "HKD",
    "TWD", "AUD", "NZD", "CAD", "INR", "CHF", "SEK", "NOK", "DKK", "PLN", "BRL", "MXN", "AED",
)  # fmt: skip
CURRENCY_PLACES: dict[str, tuple[str, str]] = {  # currency -> (time zone, locale)
    "VND": ("Asia/Ho_Chi_Minh", "vi_VN"),
    "THB": ("Asia/Bangkok", "th_TH"),
    "SGD": ("Asia/Singapore", "en_SG"),
    "MYR": ("Asia/Kuala_Lumpur", "ms_MY"),
    "IDR": ("Asia/Jakarta", "id_ID"),
    "PHP": ("Asia/Manila", "en_PH"),
    "JPY": ("Asia/Tokyo", "ja_JP"),
    "KRW": ("Asia/Seoul", "ko_KR"),
    "HKD": ("Asia/Hong_Kong", "zh_HK"),
    "TWD": ("Asia/Taipei", "zh_TW"),
    "INR": ("Asia/Kolkata", "en_IN"),
}
SCRIPT_PLACES: dict[str, tuple[str, str]] = {  # script seen in the text -> (time zone, locale)
    "thai": ("Asia/Bangkok", "th_TH"),
    "vietnamese": ("Asia/Ho_Chi_Minh", "vi_VN"),
}
_THAI = re.compile("[\u0e00-\u0e7f]")
_VIETNAMESE = re.compile("[ăâđêôơưĂÂĐÊÔƠƯạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")


def script_of(text: str) -> str | None:
    """``"thai"`` or ``"vietnamese"`` when the text is written in it, else None.

    Examples
    --------
    >>> script_of("rất hài lòng"), script_of("ส่งของช้ามาก"), script_of("fast")
    ('vietnamese', 'thai', None)
    """
    if _THAI.search(text):
        return "thai"
    if _VIETNAMESE.search(text):
        return "vietnamese"
    return None
