"""Omnichannel on stitched customers: the linking effect against a brute-force count."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

import cxlib as cx
from cxlib import omnichannel

GROUPS = {"store": ["store"], "online": ["web", "app"]}
IDENTITY = '[identity]\ncolumns = ["user_id", "anonymous_id"]\n'


def _shop(folder: Path, seed: int = 3) -> list[dict]:
    """Shoppers who buy anonymously on the app or the web and, some of them, in store after
    logging in (user_id on a row that also carries their device id)."""
    rng = random.Random(seed)
    rows, start = [], datetime(2025, 1, 1, tzinfo=UTC)
    for person in range(300):
        device = f"dev-{person}"
        user = f"u{person}"
        ts = start + timedelta(hours=person)
        online = rng.choice(["web", "app"])
        rows.append({"user_id": None, "anonymous_id": device, "ts": ts,
                     "touchpoint": "purchase", "channel": online})  # fmt: skip
        if rng.random() < 0.4:  # logs in on the device, later buys in store with the account
            rows.append({"user_id": user, "anonymous_id": device, "ts": ts + timedelta(days=1),
                         "touchpoint": "visit", "channel": online})  # fmt: skip
            rows.append({"user_id": user, "anonymous_id": None, "ts": ts + timedelta(days=2),
                         "touchpoint": "purchase", "channel": "store"})  # fmt: skip
        elif rng.random() < 0.2:  # buys in store, never linked to the device
            rows.append({"user_id": user, "anonymous_id": None, "ts": ts + timedelta(days=3),
                         "touchpoint": "purchase", "channel": "store"})  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows).write_parquet(folder / "touchpoints.parquet")
    (folder / "cx.toml").write_text(IDENTITY, encoding="utf-8")
    return rows


def _brute_force(rows: list[dict]) -> tuple[int, int, int, int]:
    """(buyers, omnichannel) with the ids as given, then linked, by plain Python."""
    group = {"store": "store", "web": "online", "app": "online"}
    raw: dict[str, set] = {}
    for r in rows:
        if r["touchpoint"] == "purchase":
            raw.setdefault(r["user_id"] or r["anonymous_id"], set()).add(group[r["channel"]])
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for r in rows:
        if r["user_id"] and r["anonymous_id"]:
            parent[find(r["anonymous_id"])] = find(r["user_id"])
    linked: dict[str, set] = {}
    for r in rows:
        if r["touchpoint"] == "purchase":
            key = find(r["user_id"] or r["anonymous_id"])
            linked.setdefault(key, set()).add(group[r["channel"]])
    omni = lambda people: sum(len(g) == 2 for g in people.values())  # noqa: E731
    return len(raw), omni(raw), len(linked), omni(linked)


@pytest.fixture(scope="module")
def stitched(tmp_path_factory):
    folder = tmp_path_factory.mktemp("linked")
    rows = _shop(folder)
    return cx.load(folder), rows


def test_linking_effect_matches_a_brute_force_count(stitched):
    ds, rows = stitched
    effect = omnichannel.linking_effect(ds.touchpoints, ds.config.identity, groups=GROUPS)
    before, after = effect.rows(named=True)
    buyers_before, omni_before, buyers_after, omni_after = _brute_force(rows)
    assert (before["buyers"], before["omnichannel"]) == (buyers_before, omni_before)
    assert (after["buyers"], after["omnichannel"]) == (buyers_after, omni_after)
    assert omni_before == 0 < omni_after  # every omnichannel buyer exists only once linked
    assert after["linked_across_channels"] == omni_after
    assert before["share_low"] <= before["omnichannel_share"] <= before["share_high"]


def test_stitched_customers_match_an_independent_count(stitched):
    ds, rows = stitched
    people = {r["user_id"] or r["anonymous_id"] for r in rows}
    linked_devices = {r["anonymous_id"] for r in rows if r["user_id"] and r["anonymous_id"]}
    assert ds.touchpoints["customer_id"].n_unique() == len(people) - len(linked_devices)


def test_unstitched_needs_an_identity_column():
    frame = pl.DataFrame({"customer_id": ["a"], "channel": ["web"]})
    with pytest.raises(cx.DataError, match="identity"):
        omnichannel.unstitched(frame, ["user_id"])
