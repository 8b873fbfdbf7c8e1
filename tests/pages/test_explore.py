"""The funnel explorer, driven through its widgets as a user would, without a browser.

Every result must equal ``cx.funnel`` for the same settings: on the sample, for every order,
window and breakdown, and on hypothesis-generated logs. A click is simulated the way the
chart's JavaScript reports one (the ``_vl_selections`` state of the JupyterChart).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import cxlib as cx
from cxlib.pages.explore import FunnelExplorer

ROOT = Path(__file__).resolve().parents[2]
# the funnel tests' log generator, importable when tests/pages runs on its own too (pytest
# puts a test file's folder on sys.path only once it collects that file)
sys.path.insert(0, str(ROOT / "tests" / "journey" / "funnel"))
from test_funnel_properties import event_logs  # noqa: E402

SAMPLE = ROOT / "data" / "sample"
STEPS = ("visit", "product_view", "add_to_cart", "checkout", "purchase")


@pytest.fixture(scope="module")
def sample():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.load(SAMPLE)


@pytest.fixture(scope="module")
def explorer(sample) -> FunnelExplorer:
    return FunnelExplorer(sample.touchpoints, sample.customers)


@pytest.fixture
def fresh(explorer) -> FunnelExplorer:
    """The module's explorer with the default settings back."""
    explorer.steps.value, explorer.within.value = STEPS, "7d"
    explorer.order.value, explorer.by.value = "sequential", None
    explorer.period.index = (0, len(explorer.period.options) - 1)
    for widget in explorer.segment.values():
        widget.value = ()
    return explorer


def _click(explorer: FunnelExplorer, **point) -> None:
    """What the chart's JavaScript sends when a bar is clicked."""
    signal = {"vlPoint": {"or": [point]}} if point else None
    explorer.chart._vl_selections = {"step": {"value": signal, "store": []}}


# --------------------------------------------------------------------------- same as cx.funnel


def test_default_explorer_shows_the_ecommerce_funnel_of_cx_funnel(fresh, sample):
    assert fresh.steps.value == STEPS
    assert_frame_equal(fresh.result, cx.funnel(sample.touchpoints, list(STEPS), "7d"))


@pytest.mark.parametrize("by", [None, "channel", "country"])
@pytest.mark.parametrize("within", ["1h", "1d", "7d", "30d", None])
@pytest.mark.parametrize("order", ["sequential", "strict", "any"])
def test_result_equals_cx_funnel_for_the_same_settings(fresh, sample, order, within, by):
    steps = ("visit", "add_to_cart", "checkout", "purchase")
    fresh.steps.value = steps
    fresh.order.value, fresh.within.value, fresh.by.value = order, within, by
    expected = cx.funnel(
        sample.touchpoints, list(steps), within, order=order, by=by, customers=sample.customers
    )
    assert_frame_equal(fresh.result, expected)


def test_period_and_segment_keep_only_their_touchpoints(fresh, sample):
    fresh.period.value = (date(2025, 3, 1), date(2025, 6, 30))
    fresh.segment["country"].value = ("VN", "TH")
    fresh.by.value = "age_band"
    members = sample.customers.filter(pl.col("country").is_in(["VN", "TH"]))["customer_id"]
    kept = sample.touchpoints.filter(
        pl.col("ts") >= datetime(2025, 3, 1, tzinfo=UTC),
        pl.col("ts") < datetime(2025, 7, 1, tzinfo=UTC),
        pl.col("customer_id").is_in(members.implode()),
    )
    assert_frame_equal(
        fresh.filtered_touchpoints().sort("customer_id", "ts", "touchpoint"),
        kept.select(fresh.filtered_touchpoints().columns).sort("customer_id", "ts", "touchpoint"),
    )
    expected = cx.funnel(kept, list(STEPS), "7d", by="age_band", customers=sample.customers)
    assert_frame_equal(fresh.result, expected)


def test_result_comes_back_in_the_callers_library(sample):
    touchpoints = sample.touchpoints.head(5000).to_pandas()
    explorer = FunnelExplorer(touchpoints, steps=["visit", "purchase"])
    expected = cx.funnel(touchpoints, ["visit", "purchase"], "7d")
    assert type(explorer.result) is type(expected)
    assert explorer.result.equals(expected)


@st.composite
def explorer_cases(draw):
    """A generated log, customers with a plan, and settings a user could pick for it."""
    log = draw(event_logs(days=(0, 1, 7), favoured=("a", "b", "c")))
    present = sorted(set(log["touchpoint"]))
    steps = draw(st.permutations(present))[: draw(st.integers(1, 4))]
    people = sorted(set(log["customer_id"]))
    plans = draw(
        st.lists(st.sampled_from(["free", "pro", None]), min_size=len(people), max_size=len(people))
    )
    customers = {"customer_id": people, "plan": plans}
    options = {
        "order": draw(st.sampled_from(["sequential", "strict", "any"])),
        "within": draw(st.sampled_from([None, "1h", "1d"])),
        "by": draw(st.sampled_from([None, "channel", "plan"])),
    }
    return log, customers, tuple(steps), options


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=explorer_cases())
def test_result_equals_cx_funnel_on_generated_logs(case):
    log, people, steps, options = case
    touchpoints = pl.DataFrame(log)
    customers = pl.DataFrame(people, schema={"customer_id": pl.String, "plan": pl.String})
    explorer = FunnelExplorer(touchpoints, customers, steps=steps)
    explorer.order.value, explorer.within.value = options["order"], options["within"]
    explorer.by.value = options["by"]
    expected = cx.funnel(
        touchpoints,
        list(steps),
        options["within"],
        order=options["order"],
        by=options["by"],
        customers=customers,
    )
    assert_frame_equal(explorer.result, expected)
    # the first day only: the period filters touchpoints, and the funnel follows
    first_day = explorer.period.options[0][1]
    explorer.period.value = (first_day, first_day)
    kept = touchpoints.filter(
        pl.col("ts") < datetime.combine(first_day + timedelta(days=1), datetime.min.time(), UTC)
    )
    expected = cx.funnel(
        kept,
        list(steps),
        options["within"],
        order=options["order"],
        by=options["by"],
        customers=customers,
    )
    assert_frame_equal(explorer.result, expected)
    # and the drop-off after step 1 (all groups together) lists cx.dropoffs' customers
    if len(steps) > 1:
        drop = explorer.select_step(1)
        expected = cx.dropoffs(kept, list(steps), options["within"], at=1, order=options["order"])
        assert_frame_equal(drop.customers, expected)
        assert drop.left == drop.customers.height


# --------------------------------------------------------------------------- widgets


def test_steps_keep_the_picked_order_as_a_tuple(fresh, sample):
    fresh.steps.value = ["purchase", "visit"]  # a list in, a tuple out, order kept
    assert fresh.steps.value == ("purchase", "visit")
    assert "review" in fresh.steps.options
    assert_frame_equal(fresh.result, cx.funnel(sample.touchpoints, ["purchase", "visit"], "7d"))
    with pytest.raises(Exception, match="not allowed"):
        fresh.steps.value = ("visit", "teleport")


def test_no_window_and_no_breakdown_are_options_like_the_others(fresh):
    fresh.within.value, fresh.by.value = None, None
    assert fresh.within.label == "no window" and fresh.within.index is not None
    assert fresh.by.label == "no breakdown" and fresh.by.index == 0
    fresh.within.index = 1  # a user picking "1 day"
    assert fresh.within.value == "1d"
    assert [v for _, v in fresh.within.options] == ["1h", "1d", "7d", "30d", None]


def test_period_takes_days_strings_or_datetimes_and_clamps_to_the_data(fresh):
    fresh.period.value = ("2025-03-01", datetime(2025, 6, 30, 18, tzinfo=UTC))
    assert fresh.period.value == (date(2025, 3, 1), date(2025, 6, 30))
    fresh.period.value = (date(2000, 1, 1), date(2100, 1, 1))
    assert fresh.period.index == (0, len(fresh.period.options) - 1)
    with pytest.raises(Exception, match="is after"):
        fresh.period.value = (date(2025, 6, 30), date(2025, 3, 1))


def test_breakdowns_are_touchpoint_properties_and_customer_attributes(fresh):
    values = [v for _, v in fresh.by.options]
    assert values[0] is None
    assert {"channel", "country", "age_band", "churned"} <= set(values)
    assert "customer_id" not in values and "session_id" not in values  # too many values
    assert {"country", "age_band"} <= set(fresh.segment)


def test_without_steps_there_is_no_result_and_a_hint(fresh):
    fresh.steps.value = ()
    assert fresh.result is None
    assert "Pick the funnel" in fresh.status.value
    assert fresh.chart.spec is None
    fresh.steps.value = ("visit",)  # and it comes back
    assert fresh.result.height == 1 and fresh.chart.spec is not None


def test_chart_and_table_follow_every_change(fresh):
    fresh.steps.value = ("visit", "checkout")
    fresh.by.value = "channel"
    spec = fresh.chart.spec
    rows = spec["datasets"][spec["data"]["name"]]
    assert len(rows) == fresh.result.height
    assert {r["channel"] for r in rows} == set(fresh.result["channel"].to_list())
    assert spec["title"]["text"] == "visit → checkout"
    assert any("xOffset" in layer["encoding"] for layer in spec["layer"])  # grouped bars
    assert "checkout" in fresh.table.value and "customers entered" in fresh.status.value
    fresh.by.value = None
    spec = fresh.chart.spec
    assert len(spec["datasets"][spec["data"]["name"]]) == 2
    assert not any("xOffset" in layer["encoding"] for layer in spec["layer"])


def test_explorer_displays_as_one_widget(fresh):
    bundle = fresh._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == fresh.widget.model_id


def test_explorer_chart_draws_with_bundled_javascript_as_svg(fresh):
    """No CDN: the widget's module is vl-convert's bundle of Vega (JupyterLab offline)."""
    module = fresh.chart._esm
    assert len(module) > 100_000  # Vega and Vega-Lite inside
    assert not re.search(r"""from\s*["']https?:""", module)
    assert "esm.sh" not in module and "cdn.jsdelivr" not in module
    assert fresh.chart.embed_options == {"renderer": "svg"}


# --------------------------------------------------------------------------- drop-off panel


def test_clicking_a_step_shows_who_left_and_where_they_went(fresh, sample):
    _click(fresh, step_index=3)
    drop = fresh.dropoff
    counts = fresh.result["customers"].to_list()
    assert (drop.step_index, drop.step) == (3, "add_to_cart")
    assert drop.reached == counts[2] and drop.left == counts[2] - counts[3]
    expected = cx.dropoffs(sample.touchpoints, list(STEPS), "7d", at=3)
    assert_frame_equal(drop.customers, expected)
    assert_frame_equal(drop.next_touchpoints, cx.next_touchpoints(expected, top=8))
    assert drop.sample.height == 10
    assert all(re.fullmatch(r"cx-[0-9a-f]{10}", c) for c in drop.sample["customer"])
    assert all("[add_to_cart]" in path for path in drop.sample["path"])
    assert f"{drop.left:,} customers left" in fresh.panel.value
    assert not set(re.findall(r"C\d{6}", fresh.panel.value)), "raw ids in the panel"


def test_clicking_a_grouped_bar_shows_that_group_only(fresh, sample):
    fresh.by.value = "country"
    _click(fresh, step_index=2, country="VN")
    drop = fresh.dropoff
    expected = cx.dropoffs(
        sample.touchpoints, list(STEPS), "7d", at=2, by="country", customers=sample.customers
    ).filter(pl.col("country") == "VN")
    assert_frame_equal(drop.customers, expected)
    vn = fresh.result.filter(pl.col("country") == "VN")["customers"].to_list()
    assert drop.left == vn[1] - vn[2] and "(VN)" in fresh.panel.value


def test_last_step_has_no_dropoff_and_a_change_clears_the_panel(fresh):
    assert fresh.select_step(len(STEPS)) is None
    assert "is the last step" in fresh.panel.value
    _click(fresh, step_index=1)
    assert fresh.dropoff.step_index == 1
    fresh.within.value = "1d"
    assert fresh.dropoff is None and fresh.panel.value == ""
    _click(fresh, step_index=2)
    _click(fresh)  # a double-click clears the selection
    assert fresh.dropoff is None and fresh.panel.value == ""


def test_untrusted_touchpoint_names_are_escaped(sample):
    hostile = "<img src=x onerror=alert(1)>"
    touchpoints = sample.touchpoints.head(20_000).with_columns(
        pl.when(pl.col("touchpoint") == "review")
        .then(pl.lit(hostile))
        .otherwise(pl.col("touchpoint"))
        .alias("touchpoint")
    )
    explorer = FunnelExplorer(touchpoints, steps=["visit", hostile])
    explorer.select_step(1)
    for html in (explorer.table.value, explorer.panel.value, explorer.status.value):
        assert "<img src=x" not in html
    assert "&lt;img src=x" in explorer.table.value


# --------------------------------------------------------------------------- updates


def _recorder(explorer: FunnelExplorer, name: str, delay: dict | None = None) -> list:
    """Record (and optionally slow down) calls of one of the explorer's steps."""
    seen, target = [], explorer._engine if name == "funnel" else explorer
    original = getattr(target, name)

    def wrapper(*args, **kwargs):
        steps = tuple(args[1].steps if name == "_draw_chart" else args[1])
        time.sleep((delay or {}).get(steps, 0))
        seen.append(steps)
        return original(*args, **kwargs)

    setattr(target, name, wrapper)
    return seen


def test_changes_in_jupyterlab_are_debounced_to_one_computation(sample):
    explorer = FunnelExplorer(sample.touchpoints, steps=["visit"], debounce=0.05)
    computed, drawn = _recorder(explorer, "funnel"), _recorder(explorer, "_draw_chart")

    async def typing() -> None:  # in JupyterLab an event loop runs in the kernel
        for steps in [("visit", "purchase"), ("visit", "checkout"), ("visit", "add_to_cart")]:
            explorer.steps.value = steps
        assert drawn == []  # nothing computed in the observer itself
        await asyncio.sleep(1.0)

    asyncio.run(typing())
    assert computed == [("visit", "add_to_cart")] and drawn == computed
    assert "add_to_cart" in explorer.table.value


def test_a_slow_result_is_never_drawn_once_a_newer_change_came(sample):
    explorer = FunnelExplorer(sample.touchpoints, steps=["visit"], debounce=0.01)
    slow = ("visit", "purchase")
    computed = _recorder(explorer, "funnel", delay={slow: 0.5})
    drawn = _recorder(explorer, "_draw_chart")

    async def impatient() -> None:
        explorer.steps.value = slow
        await asyncio.sleep(0.2)  # the worker is busy with the slow one
        explorer.steps.value = ("visit", "checkout")
        explorer.steps.value = ("visit", "add_to_cart")  # superseded before it starts
        await asyncio.sleep(1.5)

    asyncio.run(impatient())
    assert computed == [slow, ("visit", "add_to_cart")]  # the middle one was skipped
    assert drawn == [("visit", "add_to_cart")]  # the stale slow result was discarded
    assert explorer.chart.spec["title"]["text"] == "visit → add_to_cart"


# --------------------------------------------------------------------------- notebook


@pytest.mark.xdist_group("report")
def test_notebook_run_headless_shows_a_static_funnel_and_its_trend(tmp_path):
    executed = tmp_path / "30.ipynb"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(ROOT / "notebooks" / "30-funnel-explorer.ipynb"),
            str(executed),
            "-p",
            "data",
            str(SAMPLE),
            "-p",
            "render",
            "static",
            "-k",
            "python3",
            "--cwd",
            str(ROOT / "notebooks"),
            "--no-progress-bar",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    outputs = [o for c in json.loads(executed.read_text())["cells"] for o in c.get("outputs", [])]
    kinds = [set(o.get("data", {})) for o in outputs]
    assert sum("image/svg+xml" in k for k in kinds) == 2, kinds  # the funnel and its trend
    assert sum("cx-table" in "".join(o.get("data", {}).get("text/html", "")) for o in outputs) >= 2
    assert not any("application/vnd.jupyter.widget-view+json" in k for k in kinds)
