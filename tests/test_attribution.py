"""cxlib.attribution against chains solved by hand and a brute-force power iteration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from conftest import assert_frame_matches, to_polars

import cxlib as cx
from cxlib import attribution

START = datetime(2025, 4, 1, 9, tzinfo=UTC)


def _touchpoints(journeys: dict[str, list[tuple[str, str]]]) -> dict[str, list]:
    """{customer: [(touchpoint, channel), ...]} in time order, one hour apart."""
    rows = [
        (customer, START + timedelta(hours=i), touchpoint, channel)
        for customer, steps in journeys.items()
        for i, (touchpoint, channel) in enumerate(steps)
    ]
    return {
        name: [row[k] for row in rows]
        for k, name in enumerate(["customer_id", "ts", "touchpoint", "channel"])
    }


def _paths(*paths: tuple[list[str], bool]) -> pl.DataFrame:
    return pl.DataFrame(
        {"path": [p for p, _ in paths], "converted": [c for _, c in paths]},
        schema={"path": pl.List(pl.String), "converted": pl.Boolean},
    )


def _by_model(table: pl.DataFrame) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for row in table.iter_rows(named=True):
        out.setdefault(row["model"], {})[row["channel"]] = row["conversions"]
    return out


# ------------------------------------------------------------------- hand-solvable chains


def test_markov_attribution_on_a_hand_solved_chain():
    """Journeys A → B → conversion, A → null, B → conversion.

    Transitions: start→A 2/3, start→B 1/3; A→B 1/2, A→null 1/2; B→conversion 1.
    P(conv) = 2/3 · 1/2 + 1/3 · 1 = 2/3.
    Without A: start→A goes to null, P = 1/3 · 1 = 1/3, removal effect 1 − (1/3)/(2/3) = 1/2.
    Without B: nothing converts, removal effect 1.
    Two conversions shared 1/2 : 1 → A 2/3, B 4/3.
    """
    paths = _paths((["A", "B"], True), (["A"], False), (["B"], True))
    effects = attribution.removal_effects(paths)
    assert dict(effects.select("channel", "removal_effect").iter_rows()) == pytest.approx(
        {"A": 0.5, "B": 1.0}
    )
    credit = _by_model(attribution.paths_attribution(paths))
    assert credit["markov"] == pytest.approx({"A": 2 / 3, "B": 4 / 3})
    assert credit["first_touch"] == {"A": 1.0, "B": 1.0}
    assert credit["last_touch"] == {"A": 0.0, "B": 2.0}
    assert credit["linear"] == pytest.approx({"A": 0.5, "B": 1.5})
    assert credit["position_based"] == pytest.approx({"A": 0.5, "B": 1.5})  # 2 touches: 50/50


def test_markov_attribution_solves_a_chain_with_a_loop():
    """Journeys A → B → A → conversion and B → null.

    Transitions: start→A 1/2, start→B 1/2; A→B 1/2, A→conv 1/2; B→A 1/2, B→null 1/2.
    p_A = 1/2 p_B + 1/2, p_B = 1/2 p_A, so p_A = 2/3, p_B = 1/3, P(conv) = 1/2.
    Without A: p_B = 0, P = 0, removal effect 1. Without B: p_A = 1/2, P = 1/4, effect 1/2.
    One conversion shared 1 : 1/2 → A 2/3, B 1/3.
    """
    paths = _paths((["A", "B", "A"], True), (["B"], False))
    effects = dict(
        attribution.removal_effects(paths).select("channel", "removal_effect").iter_rows()
    )
    assert effects == pytest.approx({"A": 1.0, "B": 0.5})
    credit = _by_model(attribution.paths_attribution(paths))
    assert credit["markov"] == pytest.approx({"A": 2 / 3, "B": 1 / 3})
    # position-based on three touches: 40% first (A), 20% middle (B), 40% last (A)
    assert credit["position_based"] == pytest.approx({"A": 0.8, "B": 0.2})
    assert credit["linear"] == pytest.approx({"A": 2 / 3, "B": 1 / 3})


def test_exact_absorption_matches_power_iteration_on_random_chains():
    rng = np.random.default_rng(3)
    for _ in range(20):
        channels = int(rng.integers(2, 6))
        counts = rng.integers(0, 6, size=(channels + 3, channels + 3)).astype(float)
        counts[:, 0] = 0  # nothing returns to start
        counts[: channels + 1, channels + 2] += 1  # every state can reach null
        probs = counts[: channels + 1] / counts[: channels + 1].sum(axis=1, keepdims=True)
        q, r = probs[:, : channels + 1], probs[:, channels + 1]
        iterate = np.zeros(channels + 1)
        for _ in range(5000):
            iterate = q @ iterate + r
        exact = attribution._absorption(counts, channels)
        assert exact == pytest.approx(iterate[0], rel=1e-9, abs=1e-12)


# ------------------------------------------------------------------------------ journeys


def test_channel_paths_stop_at_the_first_conversion_and_collapse_repeats():
    tp = pl.DataFrame(
        _touchpoints(
            {
                "a": [
                    ("ad_click", "social"),
                    ("email_open", "email"),
                    ("visit", "email"),
                    ("purchase", "web"),
                    ("ad_click", "social"),
                ],
                "b": [("visit", "app"), ("visit", "web")],
                "c": [("purchase", "store")],
            }
        )
    )
    got = attribution.channel_paths(tp)
    assert got.rows() == [("a", 0, ["social", "email"], True), ("b", 0, ["app", "web"], False)]
    # c converted without a touch: nothing to credit, left out
    every = attribution.channel_paths(tp, journeys="all", collapse_repeats=False)
    assert every.rows() == [
        ("a", 0, ["social", "email", "email"], True),
        ("a", 1, ["social"], False),
        ("b", 0, ["app", "web"], False),
    ]
    only_ads = attribution.channel_paths(tp, touches=["ad_click"])
    assert only_ads.rows() == [("a", 0, ["social"], True)]


def test_attribution_credits_every_conversion_once_in_every_model(constructor):
    journeys = {
        "a": [("ad_click", "social"), ("email_open", "email"), ("purchase", "web")],
        "b": [("email_open", "email"), ("purchase", "app")],
        "c": [("ad_click", "social"), ("visit", "web")],
        "d": [("ad_click", "social"), ("visit", "web"), ("visit", "store"), ("purchase", "store")],
    }
    table = to_polars(attribution.attribution(constructor(_touchpoints(journeys))))
    assert table.columns == ["channel", "model", "conversions", "share"]
    totals = table.group_by("model").agg(pl.col("conversions").sum(), pl.col("share").sum())
    assert np.allclose(totals.get_column("conversions").to_numpy(), 3.0)
    assert np.allclose(totals.get_column("share").to_numpy(), 1.0)
    assert table.get_column("model").unique(maintain_order=True).to_list() == list(
        attribution.MODELS
    )
    assert table.height == 4 * len(attribution.MODELS)  # social, email, web, store


def test_attribution_is_the_same_on_every_engine(constructor):
    journeys = {
        "a": [("ad_click", "social"), ("purchase", "web")],
        "b": [("email_open", "email"), ("ad_click", "social")],
    }
    expected = attribution.attribution(pl.DataFrame(_touchpoints(journeys)))
    assert_frame_matches(attribution.attribution(constructor(_touchpoints(journeys))), expected)


def test_attribution_explains_unusable_paths():
    with pytest.raises(cx.DataError, match="converting journey"):
        attribution.removal_effects(_paths((["A"], False)))
    with pytest.raises(cx.DataError, match="position_weights"):
        attribution.paths_attribution(_paths((["A"], True)), position_weights=(0.7, 0.7))
    with pytest.raises(cx.DataError, match="list of channels"):
        attribution.paths_attribution(pl.DataFrame({"path": ["A > B"], "converted": [True]}))
