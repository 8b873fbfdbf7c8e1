"""The sentence and the table column that say which segment differences are real: computed
from the comparison, saying so when there is one segment or too few customers."""

from __future__ import annotations

import polars as pl
import pytest

import cxlib as cx
from cxlib.journey import funnel_difference
from cxlib.pages._segment_findings import segment_difference_sentence, segment_difference_table
from cxlib.voc import score_difference


def _funnel(counts: dict[str, list[int]]) -> pl.DataFrame:
    rows = [(seg, k + 1, f"step{k + 1}", n) for seg, ns in counts.items() for k, n in enumerate(ns)]
    return pl.DataFrame(rows, schema=["region", "step_index", "step", "customers"], orient="row")


@pytest.fixture(autouse=True)
def english():
    before = cx.i18n.current()
    cx.i18n.use("en")
    yield
    cx.i18n.use(before)


def test_a_real_difference_is_listed_with_its_q_value():
    gaps = funnel_difference(
        _funnel({"north": [400, 300], "south": [400, 200], "west": [400, 250]})
    )
    finding = segment_difference_sentence(gaps)
    assert "by region" in finding.text
    assert any(item.startswith("north: 75.0% reached step2") for item in finding.items)
    assert all("q " in item for item in finding.items)


def test_no_real_difference_says_the_gaps_are_chance():
    gaps = funnel_difference(_funnel({"north": [400, 200], "south": [400, 201]}))
    assert "No region differs from the rest" in str(segment_difference_sentence(gaps))


def test_one_segment_or_too_few_customers_is_said_not_failed():
    alone = funnel_difference(_funnel({"north": [400, 200]}))
    assert "only one region" in str(segment_difference_sentence(alone))
    tiny = funnel_difference(_funnel({"north": [3, 1], "south": [2, 2]}))
    assert "Too few customers" in str(segment_difference_sentence(tiny))


def test_two_segments_are_one_comparison():
    nps = pl.DataFrame({"plan": ["a", "b"], "responses": [300, 300], "promoters": [200, 60],
                        "passives": [50, 60], "detractors": [50, 180]})  # fmt: skip
    finding = segment_difference_sentence(score_difference(nps))
    assert len(finding.items) == 1 and "1 of 1 comparison;" in finding.text


def test_the_table_says_yes_or_no_with_the_q_value_in_the_report_language():
    gaps = funnel_difference(_funnel({"north": [400, 300], "south": [400, 200]}))
    html = segment_difference_table(gaps).to_html()
    assert "Differs from the rest" in html and "yes (q &lt; 0.001)" in html
    cx.i18n.use("vi")
    html = segment_difference_table(gaps).to_html()
    assert "yes (q" not in html and "Differs from the rest" not in html
    assert "(q &lt; 0,001)" in html
