"""Any shop's data, end to end: ``cx init`` then ``cx report``, with no hand edits.

Three datasets shaped as real exports are (``tests/shops.py``: a GA4-like clickstream with
no surveys and no customer table, a purchases-only order log with day-first dates, an app
export with upper-case platforms, day-first dates and a survey CSV of its own). For each:
the inferred ``cx.toml`` loads, the report publishes every page with exit 0, pages that
cannot apply say why, nothing shows "null"/"NaN"/"None", no sentence speaks of the
sample, and the configured funnel has customers at its last step.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import polars as pl
import pytest
import shops

import cxlib as cx
from cxlib.privacy import escape

CX = str(Path(sys.executable).parent / "cx")
pytestmark = [pytest.mark.xdist_group("report"), pytest.mark.slow]


def _cx(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CX, *args], capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module", params=sorted(shops.SHOPS))
def shop(request, tmp_path_factory):
    """(name, data folder, facts, report folder, report run), made once per shop."""
    name = request.param
    data = tmp_path_factory.mktemp(name)
    facts = shops.SHOPS[name](data)
    init = _cx("init", str(data))
    assert init.returncode == 0, init.stderr
    out = data.parent / f"{name}-report"
    report = _cx("report", "--config", str(data / "cx.toml"), "--out", str(out))
    return name, data, facts, out, report


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return re.sub(r"<[^>]+>", " ", page)


def test_cx_init_writes_a_config_that_loads(shop):
    _, data, facts, _, _ = shop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = cx.load(data / "cx.toml")
    touchpoints = ds.touchpoints.lazy().collect()
    assert touchpoints.height > 0.9 * facts["rows"]  # day-first dates and epochs were read
    assert set(touchpoints["channel"].unique()) <= {"web", "app", "store", "email", "social"}


def test_the_report_publishes_every_page_with_exit_0(shop):
    name, _, _, out, report = shop
    assert report.returncode == 0, f"{name}: {report.stderr[-3000:]}"
    index = (out / "index.html").read_text(encoding="utf-8")
    for page in re.findall(r'href="([^"#]+\.html)"', index):
        assert (out / page).exists(), page
    assert "failed" not in _visible_text(index).lower()


def test_no_page_shows_null_nan_or_none_or_speaks_of_the_sample(shop):
    _, _, _, out, report = shop
    assert report.returncode == 0
    for page in sorted(out.glob("*.html")):
        text = _visible_text(page.read_text(encoding="utf-8"))
        for word in ("null", "NaN", "None"):
            assert not re.search(rf"\b{word}\b", text), f"{page.name} shows {word!r}"
        assert not re.search(r"\bsample\b", text, re.I), f"{page.name} speaks of the sample"


def test_the_configured_funnel_has_customers_at_its_last_step(shop):
    _, data, _, _, _ = shop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = cx.load(data / "cx.toml")
    steps = ds.config.funnel
    assert steps and steps[-1] == ds.config.conversion
    result = cx.funnel(ds.touchpoints, list(steps), "30d")
    assert result["customers"][-1] > 0


def test_the_headline_figures_fit_the_shape_of_the_data(shop):
    _, _, facts, out, report = shop
    assert report.returncode == 0
    index = (out / "index.html").read_text(encoding="utf-8")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    kpis = {kpi["key"]: kpi for kpi in summary["kpis"]}
    if facts["conversion"] is None:  # an order log: everyone bought, so no conversion rate
        assert "repeat_buyers" in kpis and "conversion" not in kpis
    else:
        assert "conversion" in kpis
    for kpi in kpis.values():  # in the report's language, whichever cx init chose
        assert f">{escape(kpi['label'])}<" in index


def test_a_ga4_export_is_stitched_as_an_independent_count_says(tmp_path):
    """cx init on a GA4 export suggests [identity]; the stitched customers are the devices
    and logins linked by plain union-find over the raw rows."""
    shops.ga4_bigquery(tmp_path)
    assert _cx("init", str(tmp_path)).returncode == 0
    events = pl.concat([pl.read_parquet(p) for p in sorted(tmp_path.glob("events_*.parquet"))])
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for user, device in events.select("user_id", "user_pseudo_id").iter_rows():
        find(device)
        if user is not None:
            parent[find(device)] = find(user)
    expected = len({find(d) for d in events["user_pseudo_id"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = cx.load(tmp_path / "cx.toml")
    assert ds.config.identity == ("user_id", "user_pseudo_id")
    assert ds.touchpoints.lazy().collect()["customer_id"].n_unique() == expected
    assert ds.stitched.customers_before > expected  # devices and logins were linked
