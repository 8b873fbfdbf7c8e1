"""Stall drivers on the pages: the stage page's sentence and table, the explorer's drop-off
panel and the report's ranked finding, on a shop with a planted driver (not the sample);
and what each says when there is nothing to test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

import cxlib as cx
from cxlib.io._validate import empty_rejects
from cxlib.pages import headlines, stage_view
from cxlib.pages.explore import FunnelExplorer
from cxlib.report._executive import _on_pages
from cxlib.stall import StallAnalysis

T0 = datetime(2025, 3, 1, tzinfo=UTC)
STAGES = ["browse", "buy", "love"]
MAPPING = {"look": "browse", "basket": "browse", "pay": "buy", "rate": "love"}


def _shop(seed: int = 3, customers: int = 600) -> cx.Dataset:
    """Customers browse (look, basket), some buy (pay), some rate; a ``<b>promo_fail</b>``
    before browsing drives stalling at browse; ``blog`` is unrelated."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(customers):
        cid, start = f"s{i:04d}", float(rng.uniform(0, 2000))
        fail, blog = rng.random(2) < [0.3, 0.4]
        if fail:
            rows.append((cid, start - 3, "<b>promo_fail</b>"))
        if blog:
            rows.append((cid, start - 2, "blog"))
        rows += [(cid, start, "look"), (cid, start + 1, "basket")]
        if rng.random() > (0.7 if fail else 0.2):
            rows.append((cid, start + 5, "pay"))
            if rng.random() < 0.5:
                rows.append((cid, start + 50, "rate"))
    touchpoints = pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "ts": [T0 + timedelta(hours=r[1]) for r in rows],
            "touchpoint": [r[2] for r in rows],
            "channel": ["web"] * len(rows),
        }
    )
    model = cx.stage_model("custom", stages=STAGES, mapping=MAPPING)
    return cx.Dataset(
        touchpoints=model.assign(touchpoints),
        surveys=None,
        customers=None,
        stages=model,
        rejects=empty_rejects(),
        config=cx.Config(),
        read={},
    )


@pytest.fixture(scope="module")
def shop() -> cx.Dataset:
    return _shop()


def test_stage_page_names_the_planted_driver_with_its_interval(shop):
    found = stage_view.stall_drivers(shop, "browse")
    assert found.reached == 600 and 0 < found.stalled < found.reached
    sentence = str(stage_view.stall_sentence(found))
    assert "<b>promo_fail</b>" in sentence and "95% interval" in sentence
    assert "blog" not in sentence  # unrelated: not named as a driver
    html = stage_view.stall_table(found).to_html()
    assert "&lt;b&gt;promo_fail&lt;/b&gt;" in html and "<b>promo_fail</b>" not in html


def test_stage_page_speaks_the_report_language(shop):
    cx.i18n.use("vi")
    try:
        sentence = str(stage_view.stall_sentence(stage_view.stall_drivers(shop, "browse")))
    finally:
        cx.i18n.use("en")
    assert "khách hàng" in sentence


def test_stage_page_says_why_there_is_nothing_to_test(shop):
    assert stage_view.stall_drivers(shop, "love") is None
    assert "no next step" in str(stage_view.stall_sentence(None))
    empty = StallAnalysis(pl.DataFrame(), "browse", "buy", 0, 0, 0)
    assert "Nobody reached browse" in str(stage_view.stall_sentence(empty))
    few = stage_view.stall_drivers(shop, "browse", min_customers=10_000)
    assert few.tested == 0 and "common enough" in str(stage_view.stall_sentence(few))


def test_the_index_ranks_the_strongest_driver_on_the_stage_page(shop):
    found = headlines.stall_driver(shop, "browse")
    assert found is not None and found.kind == "stall_driver" and found.stage == "browse"
    assert "promo_fail" in found.text and found.customers > 0
    assert headlines.stall_driver(shop, "love") is None

    class Job:
        notebook = type("P", (), {"stem": "20-stage"})()
        parameters = {"stage": "browse"}
        name = "stage-browse"

    class Outcome:
        status, job = "ran", Job()

    assert _on_pages([found], [Outcome()])[0].page == "stage-browse"


def test_the_explorer_drop_off_panel_shows_the_drivers_of_the_clicked_step(shop):
    explorer = FunnelExplorer(shop.touchpoints, steps=["look", "pay"], within="7d")
    drop = explorer.select_step(1)
    assert drop.drivers is not None and drop.drivers.reached == drop.reached
    assert drop.drivers.stalled == drop.left
    assert "What goes with stalling here" in explorer.panel.value
    assert "&lt;b&gt;promo_fail&lt;/b&gt;" in explorer.panel.value


def test_the_explorer_reuses_its_events_and_finds_what_a_fresh_analysis_finds(shop):
    explorer = FunnelExplorer(shop.touchpoints, steps=["look", "pay"], within="7d")
    drop = explorer.select_step(1)
    fresh = cx.stall.stall_analysis(shop.touchpoints, ["look", "pay"], at=1, within="7d")
    assert drop.drivers.drivers.equals(fresh.drivers)
    assert (drop.drivers.reached, drop.drivers.stalled) == (fresh.reached, fresh.stalled)
