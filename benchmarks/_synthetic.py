"""Deterministic synthetic touchpoints for the benchmarks, written to Parquet in chunks.

The data imitate an e-commerce event log so that a funnel has real work to do:

* customers ~ rows / 20, with heterogeneous activity (gamma-Poisson number of sessions),
  each active during a stretch of 2024 (UTC, microsecond timestamps; a few late steps
  spill into early 2025);
* a session goes ``visit -> product_view (+ repeats) -> add_to_cart -> checkout ->
  purchase`` and stops at a random depth (55 % visit only, 3 % purchase); 10 % of sessions
  arrive without a ``visit`` (a deep link), so their later steps need an earlier session's
  visit; gaps between steps are minutes, sometimes days (so the 7-day window matters), and
  2 % are exactly zero (ties, which count as in order);
* 7 other touchpoints (search, email_open, ad_click, app_open, support_call, chat, review)
  around each session.

Rows are shuffled within each chunk of 50,000 customers (~1M rows), so the file is not
sorted by customer or time; the last chunk keeps whole customers (but the last one) to
make exactly the rows asked for. Chunk ``i`` uses ``numpy.random.default_rng([seed, i])``: the
same size and seed give the same file on any machine. Memory stays at one chunk.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

STEPS = ["visit", "product_view", "add_to_cart", "checkout", "purchase"]
OTHER = ["search", "email_open", "ad_click", "app_open", "support_call", "chat", "review"]
TOUCHPOINTS = STEPS + OTHER
OTHER_WEIGHTS = np.array([0.30, 0.22, 0.18, 0.14, 0.06, 0.06, 0.04])
CHANNELS = ["web", "app", "store", "social", "email", "call_center", "chat"]
SESSION_CHANNEL_WEIGHTS = np.array([0.50, 0.30, 0.05, 0.10, 0.05])
# Channel of each "other" touchpoint; -1: the session's channel.
OTHER_CHANNEL = np.array([-1, 4, 3, 1, 5, 6, -1])
# Depth a session reaches (1 = visit only ... 5 = purchase).
DEPTH_WEIGHTS = np.array([0.55, 0.27, 0.10, 0.05, 0.03])

CUSTOMERS_PER_CHUNK = 50_000
ROWS_PER_CUSTOMER = 20
GENERATOR_VERSION = 1  # bump when the data change, so cached files are not reused

US = 1_000_000
DAY = 86_400 * US
YEAR_START = 1_704_067_200 * US  # 2024-01-01T00:00:00Z
YEAR = 366 * DAY
SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("touchpoint", pa.string()),
        ("channel", pa.string()),
    ]
)


def parse_size(text: str) -> int:
    """``"1M"`` -> 1_000_000, ``"250k"`` -> 250_000, ``"5000"`` -> 5000."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    return int(float(number) * scale)


def label(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


def _chunk(index: int, seed: int, limit: int | None = None) -> pl.DataFrame:
    """Touchpoints of customers ``index * CUSTOMERS_PER_CHUNK ...`` (shuffled rows).

    With ``limit``, only the first ``limit`` rows in customer order are kept.
    """
    rng = np.random.default_rng([seed, index])
    n = CUSTOMERS_PER_CHUNK
    first_customer = index * n
    # Activity: 1 + gamma-Poisson sessions (mean ~5.9 sessions of ~3.4 events).
    sessions = 1 + rng.poisson(rng.gamma(shape=1.5, scale=4.9 / 1.5, size=n))
    span = np.minimum(rng.exponential(45 * DAY, size=n), YEAR - 14 * DAY).astype(np.int64)
    begin = (rng.random(n) * (YEAR - 14 * DAY - span)).astype(np.int64)
    owner = np.repeat(np.arange(n), sessions)
    total = owner.size
    start = YEAR_START + begin[owner] + (rng.random(total) * span[owner]).astype(np.int64)
    channel = rng.choice(len(SESSION_CHANNEL_WEIGHTS), size=total, p=SESSION_CHANNEL_WEIGHTS)
    depth = 1 + rng.choice(5, size=total, p=DEPTH_WEIGHTS)
    # Gaps between consecutive steps: minutes (lognormal), 12 % come back days later,
    # 2 % logged in the same microsecond.
    gaps = np.exp(rng.normal(np.log(120.0), 1.2, size=(total, 4))) * US
    later = rng.random((total, 4)) < 0.12
    gaps[later] = rng.exponential(3 * DAY, size=int(later.sum()))
    gaps[rng.random((total, 4)) < 0.02] = 0
    step_time = start[:, None] + np.concatenate(
        [np.zeros((total, 1), np.int64), np.cumsum(gaps.astype(np.int64), axis=1)], axis=1
    )

    owners, times, codes, channels = [], [], [], []

    def emit(rows: np.ndarray, at: np.ndarray, code: np.ndarray | int, via: np.ndarray) -> None:
        owners.append(owner[rows])
        times.append(at)
        codes.append(np.broadcast_to(np.asarray(code, np.int8), rows.shape))
        channels.append(via)

    with_visit = np.flatnonzero(rng.random(total) >= 0.10)
    emit(with_visit, step_time[with_visit, 0], 0, channel[with_visit])
    for k in range(1, 5):
        rows = np.flatnonzero(depth > k)
        emit(rows, step_time[rows, k], k, channel[rows])
    # More product views while browsing, a few minutes apart.
    browsing = np.flatnonzero(depth >= 2)
    repeat_rows = np.repeat(browsing, rng.poisson(0.6, size=browsing.size))
    repeat_at = step_time[repeat_rows, 1] + rng.exponential(300 * US, repeat_rows.size).astype(
        np.int64
    )
    emit(repeat_rows, repeat_at, 1, channel[repeat_rows])
    # Other touchpoints from two hours before to four hours after the session starts.
    other_rows = np.repeat(np.arange(total), rng.poisson(1.5, size=total))
    other_code = rng.choice(len(OTHER), size=other_rows.size, p=OTHER_WEIGHTS)
    offset = rng.uniform(-2, 4, size=other_rows.size) * 3600 * US
    other_channel = OTHER_CHANNEL[other_code]
    other_channel = np.where(other_channel < 0, channel[other_rows], other_channel)
    emit(
        other_rows,
        start[other_rows] + offset.astype(np.int64),
        len(STEPS) + other_code,
        other_channel,
    )

    customer = np.concatenate(owners)
    # Whole customers first (the last one may be cut) when the file needs fewer rows.
    keep = np.argsort(customer, kind="stable")[:limit]
    order = keep[rng.permutation(keep.size)]
    frame = pl.DataFrame(
        {
            "customer": customer[order] + first_customer,
            "ts": np.concatenate(times)[order],
            "tp": np.concatenate(codes)[order],
            "ch": np.concatenate(channels)[order].astype(np.int8),
        }
    )
    return frame.select(
        pl.format("c{}", pl.col("customer").cast(pl.String).str.zfill(8)).alias("customer_id"),
        pl.from_epoch("ts", time_unit="us").dt.replace_time_zone("UTC").alias("ts"),
        pl.col("tp")
        .replace_strict(dict(enumerate(TOUCHPOINTS)), return_dtype=pl.String)
        .alias("touchpoint"),
        pl.col("ch")
        .replace_strict(dict(enumerate(CHANNELS)), return_dtype=pl.String)
        .alias("channel"),
    )


def write_touchpoints(rows: int, path: Path, *, seed: int = 42) -> Path:
    """Write exactly ``rows`` synthetic touchpoints to ``path`` (Parquet, zstd), chunk by chunk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".partial-{os.getpid()}")
    written, index = 0, 0
    with pq.ParquetWriter(partial, SCHEMA, compression="zstd") as writer:
        while written < rows:
            chunk = _chunk(index, seed, limit=rows - written)
            table = chunk.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(SCHEMA)
            writer.write_table(table, row_group_size=1 << 20)
            written += chunk.height
            index += 1
    partial.replace(path)
    return path


def cached_touchpoints(rows: int, cache: Path, *, seed: int = 42) -> Path:
    """The Parquet file for ``rows`` touchpoints, generated once per size, seed and version."""
    path = cache / f"touchpoints-{label(rows)}-seed{seed}-v{GENERATOR_VERSION}.parquet"
    if not path.exists():
        write_touchpoints(rows, path, seed=seed)
    return path
