"""The explorer's answers to the next questions: the drop-offs of a step as a CSV, the time to
convert per step, and breakdowns by a touchpoint property.

Exports and times are checked against a per-customer brute force built on the funnel
reference (``tests/reference.py``: who reached step k and not step k + 1 under the funnel's
rules), on hand-made and hypothesis-generated logs and on a generated shop that is not the
sample.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import reference
from conftest import assert_frame_matches
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cxlib as cx
from cxlib.pages.explore import FunnelExplorer, export_drop_offs, time_to_convert
from cxlib.privacy import KEY_ENV, pseudonym
from cxlib.sample import make_sample

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "journey" / "funnel"))
from test_funnel_properties import funnel_cases  # noqa: E402

KEY = "crm-shared-secret"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ORDERS = ["sequential", "strict", "any"]
pytestmark = pytest.mark.filterwarnings("ignore:steps. touchpoint")  # generated logs lack steps
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- brute force


def counted_attempts(touchpoints: dict, steps, within, order, customers=None, by=None) -> dict:
    """Per customer in the funnel: (counted attempt, their events, ``by`` value), by the
    funnel reference's own rules (best attempt, no exclusions)."""
    sets, keys, _, attributes = reference._prepare(steps, by, None, customers)
    window = reference.parse_within(within)
    out = {}
    for customer, events in reference._events_by_customer(touchpoints).items():
        attempts = reference._attempts(events, sets, window, order)
        counted = reference._counted(attempts, "best", events, set())
        if counted is not None:
            group = reference._group_value(counted, keys[0], attributes, customer) if keys else None
            out[customer] = (counted, events, group)
    return out


def reference_dropoffs(touchpoints: dict, steps, within, *, at, order="sequential", **by) -> dict:
    """Who reached step ``at`` and not ``at + 1``: customer -> (reached_at, next touchpoint,
    next channel, next time, group), the next touchpoint being their first strictly after
    (the smallest name and channel among ties), all None when there is none."""
    out = {}
    for customer, (counted, events, group) in counted_attempts(
        touchpoints, steps, within, order, **by
    ).items():
        if len(counted.times) != at:
            continue
        reached = counted.times[at - 1]
        later = [e for e in events if e.ts > reached]
        if later:
            first = min(e.ts for e in later)
            ties = [e for e in later if e.ts == first]
            nxt = (
                min(e.touchpoint for e in ties),
                min(e.row["channel"] for e in ties),
                first,
            )
        else:
            nxt = (None, None, None)
        out[customer] = (reached, *nxt, group)
    return out


def reference_times(touchpoints: dict, steps, within, order="sequential", **by) -> dict:
    """(group, k) -> the µs from step k to step k + 1 of every customer who went on."""
    out = defaultdict(list)
    for counted, _, group in counted_attempts(touchpoints, steps, within, order, **by).values():
        for k in range(1, len(counted.times)):
            wait = counted.times[k] - counted.times[k - 1]
            out[(group, k)].append(wait / timedelta(microseconds=1))
    return out


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def as_time(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def exported(rows: list[dict]) -> dict:
    return {
        r["customer"]: (
            as_time(r["reached_at"]),
            r["next_touchpoint"] or None,
            r["next_channel"] or None,
            as_time(r["next_at"]),
        )
        for r in rows
    }


def expected_export(dropped: dict) -> dict:
    """The CSV's rows for the brute force's drop-offs: keyed pseudonyms, and text a
    spreadsheet would run as a formula behind a quote."""

    def safe(value):  # noqa: ANN001, ANN202
        return "'" + value if isinstance(value, str) and value[:1] in "=+-@" else value

    return {
        pseudonym(c, key=KEY): tuple(safe(v) for v in values[:4]) for c, values in dropped.items()
    }


# --------------------------------------------------------------------------- data


def log(*rows: tuple[str, int, str, str]) -> dict[str, list]:
    """Rows of (customer, minutes after T0, touchpoint, channel)."""
    return {
        "customer_id": [r[0] for r in rows],
        "ts": [T0 + timedelta(minutes=r[1]) for r in rows],
        "touchpoint": [r[2] for r in rows],
        "channel": [r[3] for r in rows],
    }


# C1 converts; C2 leaves after view and calls; C3 leaves after cart (the next touchpoint is
# hostile text); C4 leaves after view and does nothing more; C5 views twice, one attempt
# reaches the cart; C6 buys outside the window (leaves after cart).
SHOP = log(
    ("C000001", 0, "view", "app"), ("C000001", 5, "cart", "web"), ("C000001", 9, "buy", "web"),
    ("C000002", 0, "view", "web"), ("C000002", 30, "call", "call_center"),
    ("C000002", 30, "chat", "chat"),
    ("C000003", 0, "view", "web"), ("C000003", 2, "cart", "web"),
    ("C000003", 50, '=HYPERLINK("http://evil","x")', "email"),
    ("C000004", 10, "view", "app"),
    ("C000005", 0, "view", "app"), ("C000005", 3000, "view", "web"),
    ("C000005", 3001, "cart", "web"),
    ("C000006", 0, "view", "web"), ("C000006", 1, "cart", "web"),
    ("C000006", 3 * 1440, "buy", "store"),
)  # fmt: skip
STEPS = ["view", "cart", "buy"]
SEGMENTS = {"customer_id": [f"C00000{i}" for i in range(1, 7)], "plan": list("ababab")}


@pytest.fixture(scope="module")
def shop() -> FunnelExplorer:
    return FunnelExplorer(
        pl.DataFrame(SHOP), pl.DataFrame(SEGMENTS), steps=STEPS, within="1d", debounce=0
    )


@pytest.fixture(scope="module")
def other_shop() -> dict[str, pl.DataFrame]:
    """A generated shop that is not the sample (other seed, 300 customers)."""
    return make_sample(300, seed=11, bad_rows=False)


# --------------------------------------------------------------------------- export


def test_exported_customers_are_those_who_reached_the_step_and_not_the_next(tmp_path):
    for at in (1, 2):
        out = tmp_path / f"step{at}.csv"
        export = export_drop_offs(pl.DataFrame(SHOP), STEPS, "1d", at=at, path=out, key=KEY)
        expected = expected_export(reference_dropoffs(SHOP, STEPS, "1d", at=at))
        assert export.path == out and export.rows == len(expected) and export.keyed
        assert exported(read_csv(out)) == expected
    # by hand, for the record: C2, C4 left after view; C3, C5 and C6 after cart
    left = {pseudonym(f"C00000{i}", key=KEY) for i in (3, 5, 6)}
    assert set(exported(read_csv(tmp_path / "step2.csv"))) == left


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("within", [None, "30m"])
@SETTINGS
@given(case=funnel_cases(min_steps=2), data=st.data())
def test_export_equals_the_brute_force_on_generated_logs(
    tmp_path_factory, order, within, case, data
):
    touchpoints, steps = case
    at = data.draw(st.integers(1, len(steps) - 1))
    out = tmp_path_factory.mktemp("export") / "left.csv"
    export = export_drop_offs(
        pl.DataFrame(touchpoints), steps, within, at=at, path=out, order=order, key=KEY
    )
    expected = expected_export(reference_dropoffs(touchpoints, steps, within, at=at, order=order))
    assert export.rows == len(expected)
    assert exported(read_csv(out)) == expected


def test_export_never_holds_a_customer_id_in_clear(tmp_path):
    out = export_drop_offs(pl.DataFrame(SHOP), STEPS, "1d", at=1, path=tmp_path / "a.csv").path
    text = out.read_text(encoding="utf-8")
    assert not any(c in text for c in SHOP["customer_id"])


def test_a_formula_in_an_untrusted_touchpoint_name_is_neutralized(tmp_path):
    out = export_drop_offs(pl.DataFrame(SHOP), STEPS, "1d", at=2, path=tmp_path / "f.csv", key=KEY)
    rows = {r["customer"]: r for r in read_csv(out.path)}
    hostile = rows[pseudonym("C000003", key=KEY)]["next_touchpoint"]
    assert hostile == "'" + '=HYPERLINK("http://evil","x")'
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows.values() for v in r.values())


def test_the_last_step_has_no_drop_offs_to_export(shop, tmp_path):
    with pytest.raises(cx.DataError, match="last step has no drop-off"):
        shop.export_drop_offs(len(STEPS), tmp_path / "x.csv")
    with pytest.raises(cx.DataError, match="last step has no drop-off"):
        export_drop_offs(pl.DataFrame(SHOP), STEPS, at=3, path=tmp_path / "x.csv")


def test_explorer_export_follows_its_settings_and_groups(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOP_KEY", KEY)
    explorer = FunnelExplorer(
        pl.DataFrame(SHOP), pl.DataFrame(SEGMENTS), steps=STEPS, within="1d",
        export_dir=tmp_path, key_env="SHOP_KEY",
    )  # fmt: skip
    explorer.within.value = None  # C6's late purchase now counts
    export = explorer.export_drop_offs(2)
    assert export.path.parent == tmp_path and export.path.name.startswith("dropoffs-step2-cart")
    assert exported(read_csv(export.path)) == expected_export(
        reference_dropoffs(SHOP, STEPS, None, at=2)
    )
    # a group of a touchpoint property: the value on the customer's step-1 event
    explorer.by.value = "channel"
    export = explorer.export_drop_offs(1, tmp_path / "web.csv", group="web")
    dropped = reference_dropoffs(SHOP, STEPS, None, at=1, by="channel")
    web = {c: v for c, v in dropped.items() if v[4] == "web"}
    rows = read_csv(export.path)
    assert exported(rows) == expected_export(web) and {r["channel"] for r in rows} == {"web"}
    # and of a customer attribute
    explorer.by.value = "plan"
    export = explorer.export_drop_offs(1, tmp_path / "plan.csv", group="b")
    dropped = reference_dropoffs(SHOP, STEPS, None, at=1, by="plan", customers=SEGMENTS)
    assert exported(read_csv(export.path)) == expected_export(
        {c: v for c, v in dropped.items() if v[4] == "b"}
    )


def test_export_button_writes_the_clicked_step_and_says_where(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    explorer = FunnelExplorer(
        pl.DataFrame(SHOP), steps=STEPS, within="1d", export_dir=tmp_path / "exports"
    )
    assert explorer.export_bar.layout.display == "none"  # nothing clicked yet
    drop = explorer.select_step(2)
    assert explorer.export_bar.layout.display is None
    assert explorer.export_button.description == "Export these customers (CSV)"
    explorer.export_button.click()
    written = list((tmp_path / "exports").glob("dropoffs-step2-cart-*.csv"))
    assert len(written) == 1
    status = explorer.export_status.value
    assert f"Wrote {drop.left:,} customers" in status and written[0].name in status
    assert "No pseudonym key" not in status
    # the panel's sample and the file use the same keyed pseudonyms
    assert set(drop.sample["customer"]) <= {r["customer"] for r in read_csv(written[0])}
    explorer.within.value = "7d"  # a change closes the panel and hides the button
    assert explorer.dropoff is None and explorer.export_bar.layout.display == "none"


def test_without_a_key_the_export_says_a_crm_cannot_match_it(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
    explorer = FunnelExplorer(
        pl.DataFrame(SHOP), steps=STEPS, export_dir=tmp_path, key_env="NO_SUCH_KEY"
    )
    explorer.select_step(1)
    explorer.export_button.click()
    assert "No pseudonym key is set (NO_SUCH_KEY)" in explorer.export_status.value
    export = explorer.export_drop_offs(1, tmp_path / "nokey.csv")
    assert not export.keyed
    assert not any(c in export.path.read_text() for c in SHOP["customer_id"])


def test_export_status_escapes_untrusted_text(tmp_path):
    hostile = "<img src=x onerror=alert(1)>"
    touchpoints = pl.DataFrame(SHOP).with_columns(
        pl.when(pl.col("touchpoint") == "view").then(pl.lit(hostile)).otherwise("touchpoint")
        .alias("touchpoint")
    )  # fmt: skip
    explorer = FunnelExplorer(
        touchpoints, steps=[hostile, "cart"], export_dir=tmp_path / "<b>x</b>"
    )
    explorer.select_step(1)
    explorer.export_button.click()
    status = explorer.export_status.value
    assert "<img" not in status and "<b>" not in status and "&lt;b&gt;" in status
    assert all("<" not in p.name for p in (tmp_path / "<b>x</b>").iterdir())


def test_export_on_a_generated_shop_equals_cx_dropoffs(other_shop, tmp_path):
    touchpoints = other_shop["touchpoints"]
    steps = ["visit", "product_view", "add_to_cart", "purchase"]
    export = export_drop_offs(touchpoints, steps, "7d", at=3, path=tmp_path / "s.csv", key=KEY)
    lost = cx.dropoffs(touchpoints, steps, "7d", at=3)
    rows = read_csv(export.path)
    assert export.rows == lost.height == len(rows) > 0
    assert {r["customer"] for r in rows} == {pseudonym(c, key=KEY) for c in lost["customer_id"]}


# --------------------------------------------------------------------------- time to convert


def assert_times_match(timing: pl.DataFrame, expected: dict, *, by: str | None = None) -> None:
    """Quantiles equal numpy's (linear) on the brute force's durations, to the µs."""
    for row in timing.iter_rows(named=True):
        waits = expected.get((row[by] if by else None, row["step_index"]), [])
        assert row["converters"] == len(waits)
        for name, q in (("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9)):
            value = row[f"{name}_time_to_convert"]
            if not waits:
                assert value is None
                continue
            micros = value / timedelta(microseconds=1)
            assert abs(micros - np.quantile(np.array(waits), q)) <= 1, (row, name)


def test_time_to_convert_quantiles_equal_numpy_on_a_hand_made_shop():
    timing = time_to_convert(pl.DataFrame(SHOP), STEPS, None)
    assert timing.columns == [
        "step_index", "step", "next_step", "reached", "converters", "p25_time_to_convert",
        "median_time_to_convert", "p75_time_to_convert", "p90_time_to_convert",
    ]  # fmt: skip
    assert timing.select("step", "next_step", "reached", "converters").rows() == [
        ("view", "cart", 6, 4),
        ("cart", "buy", 4, 2),
    ]
    assert_times_match(timing, reference_times(SHOP, STEPS, None))
    # cart -> buy: C1 in 4 minutes, C6 in three days less a minute
    assert (
        timing["p25_time_to_convert"][1]
        == timedelta(minutes=4) + (timedelta(days=3, minutes=-1) - timedelta(minutes=4)) * 0.25
    )


@pytest.mark.parametrize("order", ORDERS)
@SETTINGS
@given(case=funnel_cases(min_steps=2), by=st.booleans())
def test_time_to_convert_equals_numpy_on_generated_logs(order, case, by):
    touchpoints, steps = case
    options = {"by": "channel"} if by else {}
    timing = time_to_convert(pl.DataFrame(touchpoints), steps, "1h", order=order, **options)
    assert_times_match(
        timing, reference_times(touchpoints, steps, "1h", order, **options), **options
    )
    funnel = cx.funnel(pl.DataFrame(touchpoints), steps, "1h", order=order, **options)
    keys = ["channel"] if by else []
    counts = {(*[r[k] for k in keys], r["step_index"]): r["customers"] for r in funnel.to_dicts()}
    for row in timing.iter_rows(named=True):
        key = (*[row[k] for k in keys], row["step_index"])
        assert row["reached"] == counts[key]
        assert row["converters"] == counts[(*key[:-1], row["step_index"] + 1)]


def test_time_to_convert_on_a_generated_shop_by_a_customer_attribute(other_shop):
    touchpoints, customers = other_shop["touchpoints"], other_shop["customers"]
    steps = ["visit", "add_to_cart", "purchase"]
    timing = time_to_convert(touchpoints, steps, "7d", by="country", customers=customers)
    rows = {
        "customer_id": touchpoints["customer_id"].to_list(),
        "ts": touchpoints["ts"].to_list(),
        "touchpoint": touchpoints["touchpoint"].to_list(),
        "channel": touchpoints["channel"].to_list(),
    }
    attributes = customers.select("customer_id", "country").to_dict(as_series=False)
    expected = reference_times(rows, steps, "7d", by="country", customers=attributes)
    assert timing["converters"].sum() > 0
    assert_times_match(timing, expected, by="country")


def test_explorer_shows_time_to_convert_under_the_chart(shop):
    shop.steps.value, shop.within.value, shop.by.value = tuple(STEPS), None, None
    assert shop.timing.equals(time_to_convert(shop.filtered_touchpoints(), STEPS, None))
    spec = shop.timing_chart.spec
    rows = spec["datasets"][spec["data"]["name"]]
    assert [r["label"] for r in rows] == ["1. view → cart", "2. cart → buy"]
    assert not any("customer_id" in r for r in rows)  # quantiles only
    assert "Time from each step to the next" in shop.timing_table.value
    children = list(shop.widget.children)
    assert children.index(shop.timing_chart) > children.index(shop.chart)
    shop.by.value = "plan"
    assert shop.timing.equals(
        time_to_convert(
            pl.DataFrame(SHOP), STEPS, None, by="plan", customers=pl.DataFrame(SEGMENTS)
        )
    )
    spec = shop.timing_chart.spec
    assert {r["plan"] for r in spec["datasets"][spec["data"]["name"]]} == {"a", "b"}
    shop.steps.value = ("view",)  # one step: no step to go on to
    assert shop.timing.height == 0 and shop.timing_chart.spec is None
    shop.steps.value = ()
    assert shop.timing is None and shop.timing_table.value == ""


# --------------------------------------------------------------------------- breakdowns


def test_split_by_offers_touchpoint_properties_of_the_step_1_event(shop):
    labels = dict((v, label) for label, v in shop.by.options)
    assert labels["channel"] == "channel (step 1)" and labels["plan"] == "plan"
    shop.steps.value, shop.within.value, shop.by.value = tuple(STEPS), "1d", "channel"
    # C1 started on the app and went on on the web: counted under "app"
    expected = reference.funnel(SHOP, STEPS, "1d", by="channel")
    assert_frame_matches(shop.result.select(expected.columns), expected)
    result = shop.result.filter(pl.col("step") == "buy")
    assert dict(result.select("channel", "customers").iter_rows()) == {"app": 1, "web": 0}
