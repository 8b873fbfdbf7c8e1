"""Sentences of findings: computed from the numbers, flipped when the numbers flip, escaped
when shown, and never printing "nan" or "None"."""

from __future__ import annotations

import re
from datetime import timedelta

import polars as pl
import pytest

from cxlib.pages import findings

HOSTILE = '<script>alert("x")</script>'


def _funnel(steps, customers, step_conversion=None):
    first = customers[0]
    conversion = [c / first if first else 0.0 for c in customers]
    if step_conversion is None:
        step_conversion = [1.0] + [
            (b / a if a else 0.0) for a, b in zip(customers, customers[1:], strict=False)
        ]
    return pl.DataFrame(
        {
            "step_index": list(range(1, len(steps) + 1)),
            "step": steps,
            "customers": customers,
            "conversion": conversion,
            "conversion_low": [max(c - 0.02, 0.0) for c in conversion],
            "conversion_high": [min(c + 0.02, 1.0) for c in conversion],
            "step_conversion": step_conversion,
        }
    )


def _clean(text: str) -> None:
    for word in ("nan", "NaN", "None", "null", "sample"):
        assert not re.search(rf"\b{word}\b", text), text


def test_funnel_sentence_names_entry_conversion_interval_and_largest_drop():
    funnel = _funnel(["visit", "add_to_cart", "checkout", "purchase"], [1234, 800, 400, 350])
    text = str(findings.funnel_sentence(funnel, within="7d"))
    assert text.startswith("Of 1,234 customers who did visit, 28.4% (26.4–30.4%)")
    assert "reached purchase within 7 days" in text
    assert "the largest drop is add_to_cart → checkout (−50%" in text
    _clean(text)


def test_funnel_sentence_moves_the_drop_when_the_numbers_move():
    funnel = _funnel(["visit", "add_to_cart", "checkout", "purchase"], [1234, 300, 290, 280])
    text = str(findings.funnel_sentence(funnel))
    assert "the largest drop is visit → add_to_cart (−76%" in text
    assert "within" not in text


def test_funnel_sentence_says_when_nobody_reaches_the_last_step_or_enters():
    none_reached = _funnel(["session_start", "purchase"], [50, 0])
    assert "none reached purchase" in str(findings.funnel_sentence(none_reached, within="1d"))
    nobody = _funnel(["a", "b"], [0, 0], step_conversion=[None, None])
    text = str(findings.funnel_sentence(nobody))
    assert text == "No customer did a in this data, so nobody entered the funnel."
    no_loss = _funnel(["a", "b"], [10, 10])
    assert "no step loses customers" in str(findings.funnel_sentence(no_loss))
    assert str(findings.funnel_sentence(_funnel(["order"], [42]))) == "42 customers did order."


def test_a_finding_escapes_names_from_the_data_when_shown():
    funnel = _funnel([HOSTILE, "purchase"], [10, 5])
    finding = findings.funnel_sentence(funnel)
    assert HOSTILE in str(finding)
    html = finding._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_missing_interval_bounds_are_left_out_not_printed():
    funnel = _funnel(["a", "b"], [10, 5]).with_columns(
        pl.lit(None, dtype=pl.Float64).alias("conversion_low"),
        pl.lit(float("nan")).alias("conversion_high"),
    )
    text = str(findings.funnel_sentence(funnel))
    assert "50.0% reached b" in text
    _clean(text)


def _friction(rates, lows, highs):
    return pl.DataFrame(
        {
            "incidents": ["0", "1", "2+"],
            "customers": [1000, 300, 100],
            "churned": [int(r * n) for r, n in zip(rates, [1000, 300, 100], strict=True)],
            "churn_rate": rates,
            "churn_rate_low": lows,
            "churn_rate_high": highs,
        }
    )


def test_friction_sentence_says_more_less_or_cannot_tell():
    more = _friction([0.15, 0.22, 0.84], [0.14, 0.20, 0.79], [0.17, 0.25, 0.87])
    text = str(findings.friction_churn_sentence(more))
    assert "2+ friction incidents" in text and "of those with none" in text
    assert "69 points more" in text and "do not overlap" in text
    less = _friction([0.40, 0.30, 0.10], [0.37, 0.25, 0.05], [0.43, 0.35, 0.18])
    assert "30 points less" in str(findings.friction_churn_sentence(less))
    same = _friction([0.20, 0.21, 0.22], [0.18, 0.16, 0.14], [0.22, 0.26, 0.31])
    assert "cannot tell the two groups apart" in str(findings.friction_churn_sentence(same))
    one = same.head(1)
    assert "nothing to compare" in str(findings.friction_churn_sentence(one))


def _summary(auc, sd):
    return pl.DataFrame(
        {
            "model": ["logistic", "boosting"],
            "roc_auc": [auc, 0.5],
            "roc_auc_std": [sd, 0.0],
            "folds": [3, 3],
        }
    )


@pytest.mark.parametrize(
    ("auc", "sd", "says"),
    [
        (0.52, 0.02, "not clearly better than a coin toss"),
        (0.60, 0.01, "better than chance, but weakly"),
        (0.75, 0.01, "clearly better than chance, but far from perfectly"),
        (0.90, 0.01, "ranks customers well"),
    ],
)
def test_model_sentence_follows_the_score(auc, sd, says):
    text = str(findings.model_sentence(_summary(auc, sd), "logistic"))
    assert f"ROC AUC {auc:.3f} ± {sd:.3f} (mean ± sd over 3 folds)" in text
    assert says in text


def _logrank(p, observed, expected):
    return pl.DataFrame(
        {
            "group": ["0", "1", "2+"],
            "customers": [100, 50, 20],
            "observed": observed,
            "expected": expected,
            "chi_square": [9.0] * 3,
            "df": [2] * 3,
            "p_value": [p] * 3,
        }
    )


def test_survival_sentence_names_the_fastest_group_only_when_the_test_says_so():
    differ = _logrank(1e-9, [10, 10, 20], [20.0, 12.0, 8.0])
    text = str(findings.survival_sentence(differ, by="friction_90d"))
    assert "p < 0.001" in text
    assert "customers with friction_90d = 2+ leave fastest" in text
    assert "friction_90d = 0 slowest" in text
    flipped = _logrank(1e-9, [30, 5, 5], [15.0, 12.0, 13.0])
    assert "customers with friction_90d = 0 leave fastest" in str(
        findings.survival_sentence(flipped, by="friction_90d")
    )
    alike = _logrank(0.43, [15, 10, 5], [15.0, 10.0, 5.0])
    text = str(findings.survival_sentence(alike))
    assert "cannot be told apart" in text and "p = 0.430" in text
    assert "only one group" in str(findings.survival_sentence(alike.head(1)))


def _credit(markov, last):
    channels = list(markov)
    return pl.DataFrame(
        {
            "channel": channels * 2,
            "model": ["markov"] * len(channels) + ["last_touch"] * len(channels),
            "share": [markov[c] for c in channels] + [last[c] for c in channels],
        }
    )


def test_attribution_sentence_names_channels_last_touch_starves_or_says_they_agree():
    starved = _credit(
        {"web": 0.4, "email": 0.3, "store": 0.3}, {"web": 0.6, "email": 0.0, "store": 0.4}
    )
    text = str(findings.attribution_sentence(starved))
    assert text.startswith("Last touch gives the most credit to web (60%)")
    assert "email (30% against 0%)" in text and "store" not in text.split("credits")[1]
    agree = _credit({"web": 0.6, "app": 0.4}, {"web": 0.62, "app": 0.38})
    assert "agrees within 5 points" in str(findings.attribution_sentence(agree))


def _segments(stalls):
    return pl.DataFrame(
        {
            "segment": ["country", "country", "tier"],
            "value": ["VN", "SG", HOSTILE],
            "customers": [100, 100, 100],
            "moved_on": [30, 50, 48],
            "conversion": [0.30, 0.50, 0.48],
            "conversion_low": [0.22, 0.40, 0.38],
            "conversion_high": [0.39, 0.60, 0.58],
            "overall": [0.45] * 3,
            "stalls": stalls,
        }
    )


def test_stalling_sentence_lists_stalling_segments_or_says_none_stall():
    text = str(findings.stalling_sentence(_segments([True, False, False])))
    assert text.startswith("country = VN (30.0%) stalls here, against 45.0%")
    text = str(findings.stalling_sentence(_segments([False, False, False])))
    assert text.startswith("No segment stalls") and "45.0%" in text
    assert "no customer segments" in str(findings.stalling_sentence(pl.DataFrame())).lower()
    shown = findings.stalling_sentence(_segments([True, False, True]))._repr_html_()
    assert "<script>" not in shown


def _themes(vn_share, vn_low):
    return pl.DataFrame(
        {
            "group": ["country = VN", "country = VN", "everyone else", "everyone else"],
            "theme": ["shipping_cost", "price", "shipping_cost", "price"],
            "comments": [40, 10, 30, 270],
            "share": [vn_share, 1 - vn_share, 0.10, 0.90],
            "share_low": [vn_low, 0.1, 0.07, 0.86],
            "share_high": [vn_share + 0.1, 0.3, 0.13, 0.93],
        }
    )


def test_stall_themes_sentence_names_a_theme_only_beyond_its_interval():
    text = str(findings.stall_themes_sentence(_themes(0.8, 0.68), "consideration"))
    assert "country = VN mention shipping_cost more often than everyone else" in text
    assert "(80% of their comments, against 10%)" in text
    text = str(findings.stall_themes_sentence(_themes(0.12, 0.05), "consideration"))
    assert "same themes as everyone else" in text
    empty = findings.stall_themes_sentence(pl.DataFrame(), "consideration")
    assert str(empty).startswith("No customer segment stalls at consideration")


def test_stage_sentence_reads_progress_or_says_nobody_reached_or_moved_on():
    progress = pl.DataFrame(
        {
            "customers": [200],
            "moved_on": [90],
            "conversion": [0.45],
            "conversion_low": [0.38],
            "conversion_high": [0.52],
            "median_time_in_stage": [timedelta(days=2, hours=4)],
            "p90_time_in_stage": [timedelta(days=9)],
        }
    )
    text = str(findings.stage_sentence(progress, "consideration"))
    assert "Of 200 customers who reached consideration, 45.0% (38.0–52.0%) moved on" in text
    assert "2 days 4 hours" in text
    stuck = progress.with_columns(pl.lit(0).alias("moved_on"), pl.lit(None).alias("conversion"))
    assert "none moved on" in str(findings.stage_sentence(stuck, "consideration"))
    nobody = progress.with_columns(pl.lit(0).alias("customers"))
    assert str(findings.stage_sentence(nobody, "x")) == "No customer reached x in this data."


def test_training_sentence_follows_the_churn_definition():
    training = pl.DataFrame({"customer_id": ["a", "b", "c", "d"], "churned": [1, 0, 0, 0]})
    by_horizon = str(findings.training_sentence(training, as_of="2025-01-01", horizon="120d"))
    assert by_horizon == (
        "4 customers were active before 2025-01-01 and had not churned by then; 25.0% of "
        "them churned within 120 days after it."
    )
    by_rule = str(
        findings.training_sentence(training, as_of="2025-01-01", horizon="120d", inactivity_days=60)
    )
    assert "no touchpoint in the 60 days after it" in by_rule


def test_omnichannel_definition_describes_the_groups_in_use():
    two = findings.omnichannel_definition(
        {"store": ["store"], "online": ["web", "app"]}, "purchase"
    )
    assert "(purchase) fall in every channel group: store and online (web, app)" in str(two)
    three = findings.omnichannel_definition({"a": ["a"], "b": ["b"], "c": ["c"]}, "order")
    assert "in at least 2 of the channel groups a, b and c" in str(three)
    assert "only one channel group" in str(findings.omnichannel_definition({"a": ["a"]}, "x"))


def test_money_carries_the_currency_and_its_decimals():
    assert findings.money(1234.5, "EUR") == "€1,234.50"  # Babel's format of the language
    assert findings.money(250000.4, "VND") == "₫250,000"
    assert findings.money(float("nan"), "USD") == "an unknown amount"


def test_listing_shows_sentences_as_an_escaped_list_without_nulls():
    shown = findings.listing(pl.Series(["first <b>", None, "second"]))
    assert str(shown) == "- first <b>\n- second"
    assert "<li>first &lt;b&gt;</li><li>second</li>" in shown._repr_html_()


def test_response_rate_definition_names_each_surveys_trigger():
    text = str(findings.response_rate_definition({"nps": "order_completed"}))
    assert "(order_completed → NPS)" in text
    assert "no response rate" in str(findings.response_rate_definition({}))


def test_stages_past_the_data_are_named_and_moving_on_into_them_is_not_a_zero():
    summary = pl.DataFrame(
        {
            "stage_index": [1, 2, 3, 4],
            "stage": ["awareness", "consideration", "conversion", "retention"],
            "customers": [0, 4000, 2177, 0],
            "reached_next": [0, 2177, 0, 0],
            "conversion_to_next": [None, 0.544, 0.0, None],
            "conversion_low": [None, 0.529, 0.0, None],
            "conversion_high": [None, 0.560, 0.002, None],
        }
    )
    shown, finding = findings.stages_in_data(summary)
    assert shown["conversion_to_next"].to_list() == [None, 0.544, None, None]
    text = str(finding)
    assert "No touchpoint in this data belongs to awareness and retention" in text
    assert "whether customers move on from conversion cannot be seen" in text
    assert "54.4% of the 4,000 customers who reached consideration moved on" in text
    # every stage reached: no note, the rates as computed
    full = summary.with_columns(pl.lit(10).alias("customers"))
    shown, finding = findings.stages_in_data(full)
    assert "No touchpoint" not in str(finding)
    assert shown["conversion_to_next"].to_list()[:3] == [None, 0.544, 0.0]
