"""Run over run: summary.json, credible changes, the notify command, the executive summary.

Two runs into one ``--out`` on a shop made here (not the sample): the second run's data has
a planted drop in one stage and a period still open at the end (new customers who have not
had time to move on). The drop must be flagged on the index, on its pages and in
summary.json; the open period must not.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny_notebooks import write_notebook

from cxlib.report import run_report
from cxlib.report._summary import compare

pytestmark = pytest.mark.xdist_group("run_over_run")

END = datetime(2025, 6, 30, tzinfo=UTC)
# awareness -> consideration -> conversion -> retention -> advocacy
STEPS = ["ad_click", "visit", "purchase", "delivery", "review"]


def _shop(folder: Path, *, to_purchase: float, open_customers: int = 0, seed: int = 7) -> None:
    """Customers walking the five stages; ``to_purchase`` is the chance a visitor buys."""
    rng = np.random.default_rng(seed)
    chances = [0.85, to_purchase, 0.9, 0.35]
    rows = []
    for i in range(3000):
        start = END - timedelta(days=200) + timedelta(days=float(rng.uniform(0, 150)))
        ts = start
        rows.append((f"c{i}", ts, STEPS[0], "web"))
        for step, chance in zip(STEPS[1:], chances, strict=True):
            if rng.random() > chance:
                break
            ts = ts + timedelta(hours=float(rng.uniform(1, 72)))
            rows.append((f"c{i}", ts, step, "web"))
    for i in range(open_customers):  # the open period: arrived in the last days
        ts = END - timedelta(days=float(rng.uniform(0, 6)))
        rows.append((f"new{i}", ts, STEPS[0], "app"))
    rows.append(("anchor", END, "review", "web"))  # both runs end on the same day
    frame = pl.DataFrame(rows, schema=["customer_id", "ts", "touchpoint", "channel"], orient="row")
    folder.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(folder / "touchpoints.parquet")


def _notebooks(folder: Path) -> Path:
    folder.mkdir()
    body = (
        "import cxlib as cx\nfrom cxlib.pages import findings\nds = cx.load(data)\n"
        'findings.Finding(f"{ds.touchpoints.height} touchpoints on this page.")'
    )
    write_notebook(folder / "10-journey-map.ipynb", body)
    write_notebook(folder / "20-stage.ipynb", body, stage=True)
    return folder


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("runs")
    notebooks = _notebooks(root / "notebooks")
    before, after = root / "before", root / "after"
    _shop(before, to_purchase=0.7)
    _shop(after, to_purchase=0.5, open_customers=600)
    received = root / "notified.json"
    (after / "cx.toml").write_text(f"[report]\nnotify = \"cat > '{received}'\"\n")
    out = root / "report"
    first = run_report(before, out, notebooks_dir=notebooks, jobs=2)
    first_summary = json.loads((out / "summary.json").read_text())
    second = run_report(after, out, notebooks_dir=notebooks, jobs=2)
    return {
        "first": first,
        "second": second,
        "first_summary": first_summary,
        "summary": json.loads((out / "summary.json").read_text()),
        "index": (out / "index.html").read_text(),
        "out": out,
        "received": received,
    }


def test_every_run_writes_a_summary_with_kpis_stages_rows_and_period(two_runs):
    summary = two_runs["first_summary"]
    assert summary["compared_with"] is None and summary["changes"] == []
    kpis = {k["key"]: k for k in summary["kpis"]}
    assert kpis["customers"]["value"] == 3001
    conversion = kpis["conversion"]
    assert conversion["low"] < conversion["value"] < conversion["high"]
    assert conversion["definition"].startswith("Share of customers first seen at least 30 days")
    assert [s["stage_index"] for s in summary["stages"]] == [1, 2, 3, 4, 5]
    assert summary["rows"]["touchpoints"]["rejected"] == 0
    assert summary["data"]["end"].startswith("2025-06-30")


def test_the_planted_drop_is_flagged_in_the_summary_and_the_open_period_is_not(two_runs):
    changes = {c["key"]: c for c in two_runs["summary"]["changes"]}
    drop = changes["stage:consideration"]
    assert drop["credible"] and drop["change"] < -10
    assert drop["p_adjusted"] < 0.05
    # the 600 newcomers of the last days have not had time to move on: not a drop
    assert not changes["stage:awareness"]["credible"]
    assert not changes["stage:conversion"]["credible"]
    assert two_runs["summary"]["compared_with"]["run_id"] == two_runs["first_summary"]["run_id"]


def test_the_drop_is_on_the_index_and_on_the_pages_it_concerns(two_runs):
    index, out = two_runs["index"], two_runs["out"]
    assert "What changed since the last report" in index
    assert "Moving on from consideration fell from" in index
    stage_page = next(out.glob("20-stage-2-consideration.html")).read_text()
    assert "Since the last report:" in stage_page and "consideration fell from" in stage_page
    untouched = (out / "20-stage-4-retention.html").read_text()
    assert "Since the last report:" not in untouched


def test_the_index_ranks_changes_first_and_links_the_evidence(two_runs):
    findings = two_runs["summary"]["findings"]
    assert 1 <= len(findings) <= 5
    assert findings[0]["change"] and findings[0]["page"] == "20-stage-2-consideration"
    assert 'href="20-stage-2-consideration.html"' in two_runs["index"]
    assert "What matters now" in two_runs["index"]


def test_every_page_link_has_its_one_line_summary(two_runs):
    index = two_runs["index"]
    assert index.count('<div class="summary">') == 6  # journey map + 5 stages
    assert "touchpoints on this page." in index


def test_the_notify_command_receives_the_summary_and_the_credible_changes(two_runs):
    document = json.loads(two_runs["received"].read_text())
    assert document["summary"]["run_id"] == two_runs["summary"]["run_id"]
    assert [c["key"] for c in document["changes"]] == [
        c["key"] for c in two_runs["summary"]["changes"] if c["credible"]
    ]
    assert document["report"].endswith("index.html")
    assert two_runs["second"].notify_error is None


def test_a_failing_notify_command_is_logged_and_the_report_still_publishes(tmp_path, caplog):
    data = tmp_path / "data"
    _shop(data, to_purchase=0.6)
    (data / "cx.toml").write_text('[report]\nnotify = "echo no route to host >&2; exit 7"\n')
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    write_notebook(notebooks / "10-journey-map.ipynb", "1 + 1")
    result = run_report(data, tmp_path / "out", notebooks_dir=notebooks, jobs=1)
    assert result.ok and (tmp_path / "out" / "index.html").is_file()
    assert result.notify_error == "notify command exited 7"
    assert "no route to host" in caplog.text


# --------------------------------------------------------------- the tests of change


def _share(key: str, k: int, n: int) -> dict:
    return {"key": key, "label": key, "kind": "share", "successes": k, "trials": n, "page": ""}


def test_nps_variance_matches_the_variance_of_the_answers():
    """The NPS test's variance, (p + d − (p − d)²)/n × 100², is the variance of the mean of
    per-answer scores of +100 (promoter), 0 (passive) and −100 (detractor)."""
    from cxlib.report._summary import _figures

    scores = np.array([100] * 40 + [0] * 35 + [-100] * 25)
    summary = {
        "kpis": [
            {
                "key": "nps",
                "label": "NPS",
                "kind": "nps",
                "counts": {"promoters": 40, "detractors": 25, "responses": 100},
            }
        ]
    }
    figure = _figures(summary)["nps"]
    assert figure.value == pytest.approx(scores.mean())
    assert figure.variance == pytest.approx(scores.var() / len(scores))


def test_an_unchanged_summary_flags_nothing():
    summary = {"kpis": [_share("conversion", 400, 1000)], "stages": []}
    (change,) = compare(summary, summary)
    assert change["p_value"] == pytest.approx(1.0) and not change["credible"]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_without_real_change_false_flags_stay_rare(seed):
    """Twenty figures, none changed: with FDR control at 5%, a run flags any of them in
    about 5% of repetitions at most; 40 repetitions allow at most a handful."""
    rng = np.random.default_rng(seed)
    flagged = 0
    for _ in range(40):
        rates = rng.uniform(0.1, 0.9, 20)
        before = {"kpis": [_share(f"k{i}", int(rng.binomial(2000, r)), 2000)
                           for i, r in enumerate(rates)], "stages": []}  # fmt: skip
        after = {"kpis": [_share(f"k{i}", int(rng.binomial(2000, r)), 2000)
                          for i, r in enumerate(rates)], "stages": []}  # fmt: skip
        flagged += any(c["credible"] for c in compare(before, after))
    # P(more than 8 of 40 | rate 0.05) < 1e-3
    assert flagged <= 8


def test_two_proportion_p_value_matches_scipy():
    from scipy.stats import chi2_contingency

    before = {"kpis": [_share("conversion", 520, 1000)], "stages": []}
    after = {"kpis": [_share("conversion", 470, 1000)], "stages": []}
    (change,) = compare(before, after)
    table = [[520, 480], [470, 530]]
    expected = chi2_contingency(table, correction=False).pvalue
    assert change["p_value"] == pytest.approx(expected, rel=1e-9)
    assert math.isclose(change["change"], -5.0)
