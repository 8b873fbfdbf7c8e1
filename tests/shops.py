"""Three shops' data, shaped as real exports are, none of them the sample.

Shared test infrastructure (like ``reference.py``): each function writes one dataset into a
folder, with the quirks of its kind of export, and returns what the tests may assume about
it. Seeded, small (a few hundred customers) and made with NumPy only, so the report runs on
them stay quick.

* :func:`clickstream` — a web/app event stream: GA4-like event names, epoch-microsecond
  timestamps, upper-case platforms (``WEB``, ``IOS``, ``ANDROID``), revenue on purchases;
  no surveys and no customer table.
* :func:`transactions` — a purchases-only order log as a shop system exports it: one row
  per order, other column names, day-first dates, amounts in VND, a store / online source.
* :func:`app_export` — an app's event export with upper-case platform names and day-first
  text dates, plus a survey CSV with its own column names (NPS only, comments in
  Vietnamese and Thai) and a customer table without a churn label.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

START = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 300


def _visits(
    rng: np.random.Generator,
    customers: int,
    *,
    steps: list[str],
    keep: list[float],
    per_customer: float,
) -> list[tuple[str, datetime, str, int]]:
    """Visits as funnels that thin out step by step: (customer, time, event, visit)."""
    rows = []
    visit = 0
    for c in range(customers):
        first = rng.uniform(0, DAYS * 0.8)
        for _ in range(1 + rng.poisson(per_customer)):
            at = START + timedelta(days=first + rng.exponential(30))
            if at > START + timedelta(days=DAYS):
                continue
            visit += 1
            for step, chance in zip(steps, [1.0, *keep], strict=True):
                if rng.random() > chance:
                    break
                at += timedelta(minutes=float(rng.exponential(6)) + 0.5)
                rows.append((f"{c:05d}", at, step, visit))
    return rows


def clickstream(folder: Path, seed: int = 1) -> dict:
    """A GA4-like event table, ``events.parquet``; nothing else."""
    rng = np.random.default_rng(seed)
    steps = ["session_start", "view_item", "add_to_cart", "begin_checkout", "purchase"]
    rows = _visits(rng, 400, steps=steps, keep=[0.8, 0.45, 0.6, 0.7], per_customer=2.5)
    platforms = np.array(["WEB", "IOS", "ANDROID"])
    platform_of = {c: platforms[rng.integers(0, 3)] for c, *_ in rows}
    frame = pl.DataFrame(
        {
            "user_pseudo_id": [
                f"{int(r[0]) * 7919 % 100003}.{1700000000 + int(r[0])}" for r in rows
            ],
            "event_timestamp": [int(r[1].timestamp() * 1_000_000) for r in rows],
            "event_name": [r[2] for r in rows],
            "platform": [platform_of[r[0]] for r in rows],
            "ga_session_id": [r[3] for r in rows],
            "purchase_revenue": [
                round(float(rng.gamma(2.0, 30.0)), 2) if r[2] == "purchase" else None for r in rows
            ],
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(folder / "events.parquet")
    return {"conversion": "purchase", "channels": {"web", "app"}, "rows": frame.height}


def transactions(folder: Path, seed: int = 2) -> dict:
    """One row per order (``orders.csv``): day-first dates, VND, store or online."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(300):
        at = START + timedelta(days=float(rng.uniform(0, 120)))
        source = "POS" if rng.random() < 0.4 else "Online Store"
        for order in range(1 + rng.poisson(2.0)):
            if at > START + timedelta(days=DAYS):
                break
            channel = (
                source if rng.random() < 0.8 else ("Online Store" if source == "POS" else "POS")
            )
            rows.append((f"KH{c:04d}", f"DH{c:04d}-{order}", at, channel))
            at += timedelta(days=float(rng.exponential(45)), hours=float(rng.uniform(8, 20)))
    frame = pl.DataFrame(
        {
            "Order ID": [r[1] for r in rows],
            "Customer": [r[0] for r in rows],
            "Order Date": [r[2].strftime("%d/%m/%Y %H:%M") for r in rows],
            "Total (VND)": [int(rng.gamma(2.0, 250_000)) for _ in rows],
            "Sales Channel": [r[3] for r in rows],
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    frame.write_csv(folder / "orders.csv")
    return {"conversion": None, "channels": {"store", "web"}, "rows": frame.height}


COMMENTS = [
    "giao hàng nhanh, rất hài lòng",
    "ứng dụng bị lỗi khi thanh toán",
    "ส่งของช้ามาก",
    "บริการดีมาก ประทับใจ",
    "great app, easy checkout",
    "refund took weeks",
]


def app_export(folder: Path, seed: int = 3) -> dict:
    """``app_events.csv`` (day-first text dates, upper-case platforms), ``nps.csv`` and
    ``members.csv`` (no churn label)."""
    rng = np.random.default_rng(seed)
    steps = ["open_app", "search", "product_detail", "add_to_basket", "order_completed"]
    rows = _visits(rng, 350, steps=steps, keep=[0.7, 0.6, 0.5, 0.65], per_customer=3.0)
    platforms = np.array(["ANDROID", "IOS"])
    events = pl.DataFrame(
        {
            "member_no": [f"M{r[0]}" for r in rows],
            "event_time": [r[1].strftime("%d/%m/%Y %H:%M:%S") for r in rows],
            "action": [r[2] for r in rows],
            "platform": [platforms[int(r[0]) % 2] for r in rows],
            "order_value": [
                round(float(rng.gamma(2.0, 200.0)), 0) if r[2] == "order_completed" else None
                for r in rows
            ],
        }
    )
    members = sorted({f"M{r[0]}" for r in rows})
    answered = rng.choice(members, size=len(members) // 3, replace=False)
    surveys = pl.DataFrame(
        {
            "Respondent": list(answered),
            "Submitted": [
                (START + timedelta(days=float(rng.uniform(20, DAYS)))).strftime("%d/%m/%Y %H:%M")
                for _ in answered
            ],
            "How likely are you to recommend us? (0-10)": rng.integers(0, 11, len(answered)),
            "Why?": [COMMENTS[int(i)] for i in rng.integers(0, len(COMMENTS), len(answered))],
        }
    )
    profile = pl.DataFrame(
        {
            "member_no": members,
            "tier": [
                ["silver", "gold", "platinum"][int(i)] for i in rng.integers(0, 3, len(members))
            ],
            "city": [
                ["Hà Nội", "TP.HCM", "Bangkok"][int(i)] for i in rng.integers(0, 3, len(members))
            ],
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    events.write_csv(folder / "app_events.csv")
    surveys.write_csv(folder / "nps.csv")
    profile.write_csv(folder / "members.csv")
    return {"conversion": "order_completed", "channels": {"app"}, "rows": events.height}


def _param(key: str, *, text: str | None = None, number: int | None = None) -> dict:
    return {"key": key, "value": {"string_value": text, "int_value": number,
                                  "double_value": None}}  # fmt: skip


GF_NPS = "Bạn có sẵn lòng giới thiệu cửa hàng cho bạn bè không? (0-10)"
GF_COMMENT = "Bạn muốn góp ý gì thêm?"


def ga4_bigquery(folder: Path, seed: int = 4) -> dict:
    """A GA4 BigQuery export as it is (``events_*.parquet``: nested ``event_params``,
    ``device``, ``ecommerce``; ``user_id`` only after a login, a second device for some
    users) and a Google Forms survey (``form_responses.csv``: question texts as columns,
    Vietnamese, day-first timestamps, emails)."""
    rng = np.random.default_rng(seed)
    steps = ["session_start", "view_item", "add_to_cart", "begin_checkout", "purchase"]
    rows = _visits(rng, 300, steps=steps, keep=[0.8, 0.45, 0.6, 0.7], per_customer=2.5)
    logs_in = {c for c, *_ in rows if int(c) % 2 == 0}
    events = []
    for customer, at, step, visit in rows:
        second_device = int(customer) % 4 == 0 and visit % 2 == 0  # the same user on the app
        platform = "ANDROID" if second_device else "WEB"
        device = f"{int(customer) * 7919 % 100003}.{1700000000 + int(customer)}"
        events.append(
            {
                "event_date": at.strftime("%Y%m%d"),
                "event_timestamp": int(at.timestamp() * 1_000_000),
                "event_name": step,
                "event_params": [
                    _param("ga_session_id", number=visit),
                    _param("page_location", text=f"https://shop.example/{step}"),
                ],
                "user_pseudo_id": ("app-" if second_device else "") + device,
                "user_id": f"U{customer}" if customer in logs_in and step != "session_start"
                else None,
                "platform": platform,
                "device": {"category": "mobile" if second_device else "desktop"},
                "ecommerce": {
                    "purchase_revenue": round(float(rng.gamma(2.0, 30.0)), 2)
                    if step == "purchase" else None,
                    "transaction_id": f"T{visit}" if step == "purchase" else "(not set)",
                },
            }
        )  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    half = len(events) // 2
    pl.DataFrame(events[:half]).write_parquet(folder / "events_20240101.parquet")
    pl.DataFrame(events[half:]).write_parquet(folder / "events_20240601.parquet")
    lines = [f"Timestamp,Email address,{GF_NPS},{GF_COMMENT}"]
    for i in range(120):
        at = START + timedelta(days=float(rng.uniform(0, DAYS)))
        comment = ["Giao hàng nhanh", "Giá hơi cao", "", "Ứng dụng hay bị lỗi"][i % 4]
        lines.append(f"{at:%d/%m/%Y %H:%M:%S},u{i}@example.com,{rng.integers(0, 11)},{comment}")
    (folder / "form_responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"conversion": "purchase", "channels": {"web", "app"}, "rows": len(events)}


SHOPS = {
    "clickstream": clickstream,
    "transactions": transactions,
    "app_export": app_export,
    "ga4_bigquery": ga4_bigquery,
}
