"""How a customer's year is simulated: the simulation parameters and ``_Journey``.

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
* churn: a baseline risk by loyalty, plus the friction rule of
  :class:`~cxlib.sample.FrictionTruth`; a churned customer has no touchpoint and no survey
  answer after ``churn_ts``.

Every customer draws from their own random stream (``default_rng([seed, 0, index])``), in the
order of the steps above, so customer ``i`` does not depend on the others. The simulation of
one customer is sequential (churn cuts the sessions that follow it), so it stays a Python loop
over that customer's sessions; what is costly per event is kept out of it: random numbers come
from bound methods, draws of a Poisson process come in one array, weights are accumulated once
and ids are plain integers (``_frames`` formats them, column by column).

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

import heapq
import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from itertools import accumulate

import numpy as np

from cxlib.sample._truths import _THEMES, COMMENTS, PLANTED

# --------------------------------------------------------------------------------------------
# Generator settings that are not planted truths (plausible defaults).
# --------------------------------------------------------------------------------------------

DEFAULT_CUSTOMERS = 5000
DEFAULT_SEED = 7

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
_HOUR_CUMULATIVE = (np.cumsum(_LOCAL_HOUR_WEIGHTS)[:-1] / sum(_LOCAL_HOUR_WEIGHTS)).tolist()

_STORE_CONVERSION = 0.80  # store visit -> purchase
_LATE_DELIVERY = 0.12
_SUPPORT_AFTER = {"late": 0.50, "online": 0.04, "store": 0.03}
_UNRESOLVED = 0.35
_REVIEW = {"online": 0.12, "store": 0.05}
_RESPONSE_RATE = {"nps": 0.25, "ces": 0.20, "csat": 0.30}
_COMMENT_RATE = 0.40
_SUPPORT_CHANNELS = {"call_center": 0.5, "chat": 0.3, "email": 0.2}
_REFERRAL_CHANNELS = {"social": 0.5, "app": 0.3, "email": 0.2}
# Every touchpoint and channel the simulation emits (the categories of ``_frames``' enums).
_TOUCHPOINTS = ("ad_impression", "social_view", "email_open", "ad_click", "visit",
                "product_view", "add_to_cart", "checkout", "payment_failed", "purchase",
                "delivery", "late_delivery", "support_contact", "support_unresolved", "review",
                "referral")  # fmt: skip
_CHANNELS = ("web", "app", "store", "email", "social", "call_center", "chat")

# --------------------------------------------------------------------------------------------
# Derived once: cumulative weights (a key is drawn with one uniform number), friction, outage.
# --------------------------------------------------------------------------------------------

_Weights = tuple[tuple[str, ...], tuple[float, ...]]


def _weights(weights: Mapping[str, float]) -> _Weights:
    """Keys and cumulative weights, for :meth:`_Journey._pick`."""
    return tuple(weights), tuple(accumulate(weights.values()))


_COUNTRY_WEIGHTS = _weights(_COUNTRIES)
_AGE_WEIGHTS = _weights(_AGE_BANDS)
_BUYER_WEIGHTS = _weights(PLANTED.omnichannel.buyer_shares)
_LOYALTY_WEIGHTS = _weights(PLANTED.nps.loyalty_shares)
_ACQUISITION_WEIGHTS = {buyer: _weights(shares) for buyer, shares in _ACQUISITION.items()}
_SUPPORT_WEIGHTS = _weights(_SUPPORT_CHANNELS)
_REFERRAL_WEIGHTS = _weights(_REFERRAL_CHANNELS)
_THEME_WEIGHTS = {about: _weights(themes) for about, themes in _THEMES.items()}
_FRICTION = frozenset(PLANTED.friction.touchpoints)
_OUTAGE_DAYS = (
    float((PLANTED.outage.start - date(2025, 1, 1)).days),
    float((PLANTED.outage.end - date(2025, 1, 1)).days) + 1,
)


# --------------------------------------------------------------------------------------------
# Simulation of one customer
# --------------------------------------------------------------------------------------------


def _quarter(t: float) -> int:
    return bisect_right(_QUARTER_STARTS, t) - 1


class _Counters:
    """Running numbers for session and order ids, shared by all customers of a sample."""

    __slots__ = ("order", "session")

    def __init__(self) -> None:
        self.session = 0
        self.order = 0


@dataclass(slots=True)
class _Order:
    """What happened around one checkout, for the survey scores and comments."""

    channel: str
    online: bool
    payment_failed: bool = False
    late: bool = False
    unresolved: bool = False


# One touchpoint: (t, touchpoint, channel, session number, revenue, order number), t in days
# after 2025-01-01 UTC; one survey answer: (t, survey, score, comment, touchpoint, channel).
_Event = tuple[float, str, str, int | None, float | None, int | None]
_Answer = tuple[float, str, float, str | None, str, str]


class _Journey:
    """One customer's simulated year: attributes, touchpoints, survey answers and churn.

    ``rng`` is the customer's random stream (``_streams``); the journey draws from it until
    :meth:`simulate` returns, and not after.
    """

    def __init__(self, index: int, rng: np.random.Generator, counters: _Counters) -> None:
        self.rng, self.ids, self.index = rng, counters, index
        self._random, self._exponential = rng.random, rng.exponential
        self._poisson, self._normal = rng.poisson, rng.standard_normal
        self.country = self._pick(_COUNTRY_WEIGHTS)
        self.age_band = self._pick(_AGE_WEIGHTS)
        self.buyer = self._pick(_BUYER_WEIGHTS)
        self.loyalty = self._pick(_LOYALTY_WEIGHTS)
        self.acquisition = self._pick(_ACQUISITION_WEIGHTS[self.buyer])
        self.activity = rng.gamma(3.0, 1 / 3)
        self.stalled = getattr(self, PLANTED.stall.column) == PLANTED.stall.segment
        self.language = _LANGUAGE[self.country]
        self.app_share = _APP_SHARE[self.age_band]
        self.offset = _UTC_OFFSET_HOURS[self.country] / 24
        if self._random() < _EXISTING_SHARE:
            self.signup = -730.0 + 730.0 * self._random()
        else:
            self.signup = 334.0 * self._random()
        self.start = max(self.signup, 0.0)
        yearly = PLANTED.nps.baseline_churn[self.loyalty]
        self.baseline_churn = self.start + rng.exponential(-365.0 / math.log1p(-yearly))
        self.events: list[_Event] = []
        self.answers: list[_Answer] = []
        self.incidents: list[float] = []
        self._settled, self._paired, self._per_quarter = 0, False, {}
        self.churn_ts: float | None = None

    # -- small helpers ------------------------------------------------------------------------
    def _pick(self, weights: _Weights) -> str:
        """A key of ``weights``, drawn with probability proportional to its weight."""
        keys, cumulative = weights
        i = bisect_right(cumulative, self._random() * cumulative[-1])
        return keys[min(i, len(keys) - 1)]

    def _uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self._random()

    def _emit(
        self,
        t: float,
        touchpoint: str,
        channel: str,
        session: int | None = None,
        revenue: float | None = None,
        order: int | None = None,
    ) -> None:
        self.events.append((t, touchpoint, channel, session, revenue, order))
        if touchpoint in _FRICTION:
            self.incidents.append(t)

    def _session_times(self, rate: float, stop: float) -> list[float]:
        """Poisson arrivals at ``rate`` per year, moved to a local daytime hour.

        The day, hour and minute of every arrival come from one array of uniform numbers
        (the days first, then the hours, then the fractions of the hour).
        """
        start = self.start
        span = stop - start
        if span <= 0 or rate <= 0:
            return []
        count = self._poisson(rate * self.activity * span / 365.0)
        if count == 0:
            return []
        offset, draws = self.offset, self._random(3 * count).tolist()
        times = []
        for day, hour, minute in zip(
            draws[:count], draws[count : 2 * count], draws[2 * count :], strict=True
        ):
            local_hour = bisect_right(_HOUR_CUMULATIVE, hour)
            t = math.floor(start + span * day + offset) + (local_hour + minute) / 24 - offset
            if start <= t < stop:
                times.append(t)
        return times

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
            queue.append((self.signup + _MINUTE * self._random(), kind))
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
        incidents = self.incidents
        while queue:
            t, i, kind = heapq.heappop(queue)
            if t >= stop:
                break
            if self._settled < len(incidents):
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
        self._finish()

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
            if self._random() < p:
                self.churn_ts = t + self._uniform(*friction.churn_delay_days)
                return

    def _finish(self) -> None:
        """Cut at the end of the year, settle churn, add awareness noise and clean up."""
        self.events = [e for e in self.events if e[0] < _END]
        last = max((e[0] for e in self.events), default=self.start)
        churn = min(c for c in (self.churn_ts, self.baseline_churn, math.inf) if c is not None)
        if churn < _END:
            # Never before the last touchpoint (an order in flight is still delivered).
            churn = min(max(churn, last + 1 / 24), _END - 1e-9)
        self.churn_ts = churn if churn < _END else None
        end = self.churn_ts if self.churn_ts is not None else _END
        emit = self.events.append
        for t in self._session_times(_AD_NOISE_RATE, end):
            emit((t, "ad_impression", self._ad_channel(), None, None, None))
        for t in self._session_times(_EMAIL_NOISE_RATE, end):
            emit((t, "email_open", "email", None, None, None))
        self.answers = [a for a in self.answers if a[0] < end]

    # -- sessions -----------------------------------------------------------------------------
    def _ad_channel(self) -> str:
        return "social" if self._random() < 0.6 else "web"

    def _next_session(self) -> int:
        self.ids.session += 1
        return self.ids.session

    def _arrive(self, t: float, session: int, ads: bool) -> None:
        """Awareness touchpoints that led to this session, if any."""
        u = self._random()
        if ads and u < 0.30:
            channel = self._ad_channel()
            if self._random() < 0.8:
                self._emit_if_active(t - self._uniform(0.02, 3.0), "ad_impression", channel)
            self._emit_if_active(t - 10 / 86400, "ad_click", channel, session)
        elif u < 0.50:
            self._emit_if_active(t - self._uniform(1, 60) * _MINUTE, "email_open", "email")
        elif u < 0.65:
            self._emit_if_active(t - self._uniform(1, 120) * _MINUTE, "social_view", "social")

    def _emit_if_active(
        self, t: float, touchpoint: str, channel: str, session: int | None = None
    ) -> None:
        if t >= self.start:
            self._emit(t, touchpoint, channel, session)

    def _browse(self, t: float, channel: str, session: int, views_mean: float) -> float:
        emit, exponential = self._emit, self._exponential
        emit(t, "visit", channel, session)
        for _ in range(1 + self._poisson(views_mean)):
            t += exponential(2.0) * _MINUTE
            emit(t, "product_view", channel, session)
        return t

    def _online_channel(self) -> str:
        return "app" if self._random() < self.app_share else "web"

    def _browse_session(self, t: float) -> None:
        session = self._next_session()
        self._arrive(t, session, ads=True)
        self._browse(t, self._online_channel(), session, views_mean=1.0)

    def _online_session(self, t: float) -> bool:
        """An online session through the funnel; True when it ends in a purchase."""
        session, channel = self._next_session(), self._online_channel()
        self._arrive(t, session, ads=True)
        t = self._browse(t, channel, session, views_mean=1.5)
        stall, random = PLANTED.stall, self._random
        if random() >= stall.add_to_cart_rate:
            return False
        t += self._exponential(1.5) * _MINUTE
        self._emit(t, "add_to_cart", channel, session)
        checkout_rate = stall.checkout_rate_segment if self.stalled else stall.checkout_rate_others
        if random() >= checkout_rate:
            return False
        t += self._exponential(3.0) * _MINUTE
        self._emit(t, "checkout", channel, session)
        order = _Order(channel=channel, online=True)
        checkout_t, outage = t, PLANTED.outage
        in_outage = channel == outage.channel and _OUTAGE_DAYS[0] <= t < _OUTAGE_DAYS[1]
        if in_outage and random() < outage.failure_probability:
            self._emit(t + 0.5 * _MINUTE, "payment_failed", channel, session)
            order.payment_failed = True
            self._survey("ces", checkout_t, "checkout", order)
            return False
        if random() < outage.payment_failure:
            t += 0.5 * _MINUTE
            self._emit(t, "payment_failed", channel, session)
            order.payment_failed = True
            if random() >= outage.retry_success:
                self._survey("ces", checkout_t, "checkout", order)
                return False
            t += self._exponential(1.0) * _MINUTE
        self._purchase(t + 0.3 * _MINUTE, session, order)
        self._survey("ces", checkout_t, "checkout", order)
        return True

    def _store_session(self, t: float, convert: bool = False) -> None:
        session = self._next_session()
        self._arrive(t, session, ads=False)
        t = self._browse(t, "store", session, views_mean=1.0)
        if not convert and self._random() >= _STORE_CONVERSION:
            return
        t += self._exponential(4.0) * _MINUTE
        self._emit(t, "checkout", "store", session)
        order = _Order(channel="store", online=False)
        self._purchase(t + 1.5 * _MINUTE, session, order)
        self._survey("ces", t, "checkout", order)

    def _support_session(self, t: float) -> None:
        # A question not about an order (account, returns policy); _support sets the channel.
        self._support(t, None, _Order(channel="", online=False))

    # -- after a purchase ---------------------------------------------------------------------
    def _purchase(self, t: float, session: int, order: _Order) -> None:
        omni = PLANTED.omnichannel
        if order.online:
            mean = omni.online_order_mean * (1 + omni.online_order_uplift * (self.buyer == "omni"))
        else:
            mean = omni.store_order_mean * (1 + omni.store_order_uplift * (self.buyer == "omni"))
        sigma = omni.order_sigma
        revenue = round(mean * math.exp(sigma * self._normal() - sigma**2 / 2), 2)
        self.ids.order += 1
        order_id = self.ids.order
        self._emit(t, "purchase", order.channel, session, revenue, order_id)
        after = t
        if order.online:
            order.late = self._random() < _LATE_DELIVERY
            after = t + (self._uniform(6, 12) if order.late else self._uniform(1.5, 4))
            self._emit(
                after, "late_delivery" if order.late else "delivery", order.channel, order=order_id
            )
        kind = "late" if order.late else ("online" if order.online else "store")
        settled = after
        if self._random() < _SUPPORT_AFTER[kind]:
            settled = self._support(after + self._uniform(0.05, 3), order_id, order)
        if self._random() < _REVIEW["online" if order.online else "store"]:
            channel = order.channel if order.online else "web"
            self._emit(after + self._uniform(1, 10), "review", channel, order=order_id)
        if self._random() < PLANTED.nps.referral_probability[self.loyalty]:
            self._emit(after + self._uniform(1, 20), "referral", self._pick(_REFERRAL_WEIGHTS))
        self._survey("nps", settled + self._uniform(1, 3), "purchase", order)

    def _support(self, t: float, order_id: int | None, order: _Order) -> float:
        """A support contact, maybe unresolved, and its CSAT; returns when it settled."""
        channel = self._pick(_SUPPORT_WEIGHTS)
        self._emit(t, "support_contact", channel, order=order_id)
        order.unresolved = self._random() < _UNRESOLVED
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
        if self._random() >= _RESPONSE_RATE[survey]:
            return
        t += self._uniform(5, 240) * _MINUTE
        noise = self._normal()
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
        if self._random() < _COMMENT_RATE:
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
            return self._pick(_THEME_WEIGHTS["stall"])
        return self._pick(_THEME_WEIGHTS[f"{survey}_{'online' if order.online else 'store'}"])
