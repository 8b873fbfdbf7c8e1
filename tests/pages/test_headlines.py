"""Headlines and KPIs of the executive summary: computed from the data, ranked, definitions
in one place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import nbformat
import polars as pl
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

import cxlib as cx
from cxlib.io._validate import empty_rejects
from cxlib.pages import headlines, kpis
from cxlib.pages.findings import Finding
from cxlib.pages.headlines import Headline

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _touchpoints(rows: list[tuple[str, int, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "ts": [T0 + timedelta(days=r[1]) for r in rows],
            "touchpoint": [r[2] for r in rows],
            "channel": ["web"] * len(rows),
        }
    )


def _dataset(touchpoints: pl.DataFrame) -> cx.Dataset:
    model = cx.stage_model("5-stage")
    return cx.Dataset(
        touchpoints=model.assign(touchpoints),
        surveys=None,
        customers=None,
        stages=model,
        rejects=empty_rejects(),
        config=cx.Config(),
        read={},
    )


def test_settled_keeps_only_customers_known_long_enough_before_the_end():
    tp = _touchpoints([("old", 0, "visit"), ("old", 90, "purchase"), ("new", 80, "visit")])
    assert kpis.settled(tp, 30)["customer_id"].unique().to_list() == ["old"]
    assert sorted(kpis.settled(tp, 5)["customer_id"].unique().to_list()) == ["new", "old"]


def test_conversion_kpi_leaves_out_newcomers_and_says_so_in_its_definition():
    rows = [(f"a{i}", 0, "visit") for i in range(10)]
    rows += [(f"a{i}", 2, "purchase") for i in range(6)]
    rows += [(f"n{i}", 95, "visit") for i in range(40)]  # arrived in the last days
    rows += [("a0", 100, "visit")]
    ds = _dataset(_touchpoints(rows))
    conversion = next(k for k in kpis.headline(ds) if k.key == "conversion")
    assert (conversion.successes, conversion.trials) == (6, 10)
    assert conversion.low < 0.6 < conversion.high
    assert "30 days before the end of the data" in conversion.definition
    assert conversion.to_dict()["definition"] == conversion.definition


def test_an_order_log_gets_repeat_buyers_instead_of_conversion():
    rows = [("a", 0, "purchase"), ("a", 3, "purchase"), ("b", 1, "purchase"), ("c", 90, "purchase")]
    keys = [k.key for k in kpis.headline(_dataset(_touchpoints(rows)))]
    assert "repeat_buyers" in keys and "conversion" not in keys


def test_kpi_values_are_shown_rounded_with_their_interval():
    kpi = kpis.KPI("nps", 12.3456, "nps", 4.44, 20.2)
    assert kpi.shown() == "+12" and kpi.interval() == "95% interval +4 to +20"
    share = kpis.KPI(
        "conversion", 0.123456, "share", 0.1, 0.15, values={"days": "30", "target": "buy"}
    )
    assert share.shown() == "12.3%" and "buy" in share.definition


def _executed(*outputs: dict) -> nbformat.NotebookNode:
    cell = new_code_cell("x")
    cell.outputs = list(outputs)
    return new_notebook(cells=[cell])


def test_a_marked_finding_shows_as_itself_and_is_harvested_with_its_page():
    marked = headlines.mark(Finding("Omnichannel buyers spend <more>."), kind="omni", customers=42)
    bundle = marked._repr_mimebundle_()
    assert "&lt;more&gt;" in bundle["text/html"]
    notebook = _executed(new_output("display_data", data=bundle))
    (found,) = headlines.harvest(notebook, "60-omnichannel-value")
    assert found == Headline("Omnichannel buyers spend <more>.", "omni", 42, "60-omnichannel-value")


def test_a_page_summary_is_the_first_finding_it_shows_unescaped_once():
    notebook = _executed(
        new_output("display_data", data={"text/html": "<table>…</table>"}),
        new_output(
            "display_data", data={"text/html": '<p class="cx-finding">A &amp; B moved.</p>'}
        ),
        new_output("display_data", data={"text/html": '<p class="cx-finding">Second.</p>'}),
    )
    assert headlines.page_summary(notebook) == "A & B moved."
    assert headlines.page_summary(_executed()) == ""


def test_rank_puts_changes_first_then_most_customers_and_keeps_five():
    found = [Headline(f"h{i}", "x", i) for i in range(8)] + [
        Headline("c", "change", 1, change=True)
    ]
    ranked = headlines.rank(found)
    assert [h.text for h in ranked] == ["c", "h7", "h6", "h5", "h4"]


def test_biggest_stall_is_the_stage_losing_most_customers():
    stages = pl.DataFrame(
        {
            "stage_index": [1, 2, 3],
            "stage": ["look", "cart", "buy"],
            "customers": [1000, 800, 300],
            "reached_next": [800, 300, 0],
            "conversion_to_next": [0.8, 0.375, None],
        }
    )
    ds = _dataset(_touchpoints([("a", 0, "visit")]))
    stall = headlines.biggest_stall(ds, stages)
    assert stall.stage == "cart" and stall.customers == 500
    assert stall.text.startswith("The biggest stall is at cart: 500 of 800 customers")


@pytest.mark.parametrize(
    ("distinguishable", "expected"),
    [
        ([True, True], "value verdict"),
        ([True, False], "orders verdict"),
        ([False, False], "value verdict"),
    ],
)
def test_omnichannel_headline_prefers_value_when_the_data_can_tell(distinguishable, expected):
    verdict = pl.DataFrame(
        {
            "metric": ["orders", "value"],
            "uplift": [0.5, 0.2],
            "distinguishable": distinguishable,
            "omnichannel_customers": [120, 110],
            "verdict": ["orders verdict", "value verdict"],
        }
    )
    bundle = headlines.omnichannel(verdict)._repr_mimebundle_()
    assert bundle[headlines.MIME]["text"] == expected
    assert "orders verdict" in bundle["text/html"] and "value verdict" in bundle["text/html"]


def test_a_page_summary_skips_definitions_and_keeps_the_first_sentence():
    definition = Finding("Friction incidents here are late deliveries.", definition=True)
    finding = Finding("Churn is 68 points higher with friction. Act on the first incident.")
    notebook = _executed(
        new_output("display_data", data={"text/html": definition._repr_html_()}),
        new_output("display_data", data={"text/html": finding._repr_html_()}),
    )
    assert headlines.page_summary(notebook) == "Churn is 68 points higher with friction."
