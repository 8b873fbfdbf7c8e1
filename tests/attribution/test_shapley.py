"""Shapley-value attribution against a game solved by hand, a brute-force enumeration of
every order of the players, and the axioms that define the Shapley value."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cxlib as cx
from cxlib import attribution
from cxlib.attribution._shapley import _closed_form, _exact, _sets

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _paths(*journeys: tuple[list[str], bool], **columns: list) -> pl.DataFrame:
    return pl.DataFrame(
        {"path": [p for p, _ in journeys], "converted": [c for _, c in journeys], **columns},
        schema_overrides={"path": pl.List(pl.String), "converted": pl.Boolean},
    )


def _credit(table: pl.DataFrame) -> dict[str, float]:
    return dict(table.select("channel", "conversions").iter_rows())


def _brute_force(worth: np.ndarray) -> np.ndarray:
    """Average marginal contribution over every order of the players (the definition)."""
    players = worth.size.bit_length() - 1
    total = np.zeros(players)
    for order in itertools.permutations(range(players)):
        mask = 0
        for player in order:
            total[player] += worth[mask | 1 << player] - worth[mask]
            mask |= 1 << player
    return total / math.factorial(players)


# A game solved by hand. Converting journeys by channel set (order and repeats do not matter):
# {A}: 3, {B}: 1, {A, B}: 2, {A, B, C}: 3; and 2 journeys on {C} alone that do not convert.
HAND = _paths(
    (["A"], True),
    (["A", "A"], True),
    (["A"], True),
    (["B"], True),
    (["A", "B"], True),
    (["B", "A"], True),
    (["C", "B", "A"], True),
    (["A", "C", "B"], True),
    (["B", "C", "A", "C"], True),
    (["C"], False),
    (["C"], False),
)


def test_shapley_credits_a_hand_solved_three_channel_game():
    """Worth of a coalition = conversions of the journeys within it (Zhao et al.):
    v(∅)=0, v(A)=3, v(B)=1, v(C)=0, v(AB)=3+1+2=6, v(AC)=3, v(BC)=1, v(ABC)=9.

    A's marginal contribution in each of the 6 orders:
    ABC: v(A)=3; ACB: v(A)=3; BAC: v(AB)-v(B)=5; BCA: v(ABC)-v(BC)=8; CAB: v(AC)-v(C)=3;
    CBA: v(ABC)-v(BC)=8 → φ_A = 30/6 = 5. B's: 3, 6, 1, 1, 6, 1 → φ_B = 18/6 = 3; C's:
    3, 0, 3, 0, 0, 0 → φ_C = 6/6 = 1.
    Zhao et al.'s simplified formula gives the same: φ_A = 3/1 + 2/2 + 3/3 = 5,
    φ_B = 1/1 + 2/2 + 3/3 = 3, φ_C = 3/3 = 1. They add up to v(ABC) = 9 conversions.
    """
    worth = np.array([0, 3, 1, 6, 0, 3, 1, 9], dtype=float)  # bit 0 = A, 1 = B, 2 = C
    assert attribution.shapley_values(worth) == pytest.approx([5.0, 3.0, 1.0])
    table = attribution.shapley_attribution(HAND)
    assert table.columns == ["channel", "shapley_value", "conversions", "share"]
    assert _credit(table) == pytest.approx({"A": 5.0, "B": 3.0, "C": 1.0})
    assert table.get_column("conversions").sum() == pytest.approx(9.0)  # efficiency
    assert table.get_column("share").to_list() == pytest.approx([5 / 9, 3 / 9, 1 / 9])


def test_the_rate_game_counts_the_journeys_that_did_not_convert():
    """Conversion rate of each channel set: {A} 3 of 6 = 1/2, {B} 1 of 4 = 1/4,
    {A, B} 2 of 2 = 1, {A, B, C} 3 of 3 = 1, {C} 0 of 2 = 0; v(S) sums the rates of the sets
    inside S, so φ_A = 1/2 + 1/2 + 1/3 = 4/3, φ_B = 1/4 + 1/2 + 1/3 = 13/12, φ_C = 1/3
    (sum 33/12). The 9 conversions are shared in that ratio: 48/11, 39/11 and 12/11.
    """
    more = _paths(*[(["A"], False)] * 3, *[(["B"], False)] * 3)
    paths = pl.concat([HAND, more])
    table = attribution.shapley_attribution(paths, value="rate")
    phi = dict(table.select("channel", "shapley_value").iter_rows())
    assert phi == pytest.approx({"A": 4 / 3, "B": 13 / 12, "C": 1 / 3})
    assert _credit(table) == pytest.approx({"A": 48 / 11, "B": 39 / 11, "C": 12 / 11})
    # the conversions game ignores journeys that did not convert
    assert _credit(attribution.shapley_attribution(paths)) == pytest.approx(
        {"A": 5.0, "B": 3.0, "C": 1.0}
    )


def test_a_weight_column_credits_conversion_value():
    """Revenue 10 on {A}, 30 on {A, B}, nothing on the journey that did not convert:
    A earns 10 + 30/2, B earns 30/2."""
    paths = _paths((["A"], True), (["A", "B"], True), (["B"], False), revenue=[10.0, 30.0, 99.0])
    table = attribution.shapley_attribution(paths, weight="revenue")
    assert _credit(table) == pytest.approx({"A": 25.0, "B": 15.0})


@pytest.mark.parametrize("players", [1, 2, 3, 4, 5, 6])
def test_exact_bitmask_values_match_every_order_of_the_players(players):
    rng = np.random.default_rng(players)
    for _ in range(5):
        worth = rng.normal(size=1 << players)
        worth[0] = 0.0
        exact = attribution.shapley_values(worth)
        assert exact == pytest.approx(_brute_force(worth), abs=1e-9)
        assert exact.sum() == pytest.approx(worth[-1])  # efficiency


@pytest.mark.parametrize("value", ["conversions", "rate"])
def test_the_bitmask_game_and_the_simplified_formula_agree(value):
    rng = np.random.default_rng(7)
    channels = list("ABCDEF")
    for _ in range(10):
        journeys = [
            (list(rng.choice(channels, size=int(rng.integers(1, 5)))), bool(rng.random() < 0.4))
            for _ in range(30)
        ]
        journeys.append((["A"], True))
        sets = _sets(_paths(*journeys), None)
        names = sorted(set(sets.get_column("channels").explode().to_list()))
        exact = _exact(sets, value, names)
        assert _closed_form(sets, value) == pytest.approx(exact)


def test_more_channels_than_the_exact_limit_still_get_exact_values():
    """17 channels: the simplified formula, checked against the game built coalition by
    coalition and solved by the bitmask solver."""
    rng = np.random.default_rng(11)
    channels = [f"c{i:02d}" for i in range(attribution.MAX_EXACT_CHANNELS + 2)]
    journeys = [
        (list(rng.choice(channels, size=int(rng.integers(1, 6)))), bool(rng.random() < 0.5))
        for _ in range(200)
    ] + [([c], True) for c in channels]
    paths = _paths(*journeys)
    got = _credit(attribution.shapley_attribution(paths))
    bit = {c: 1 << i for i, c in enumerate(channels)}
    worth = np.zeros(1 << len(channels))
    coalitions = np.arange(worth.size)
    for path, converted in journeys:
        if converted:
            mask = sum(bit[c] for c in set(path))
            worth[(coalitions & mask) == mask] += 1  # every coalition that contains the set
    expected = dict(zip(channels, attribution.shapley_values(worth), strict=True))
    assert got == pytest.approx(expected)
    assert sum(got.values()) == pytest.approx(sum(c for _, c in journeys))


# ------------------------------------------------------------------------------ axioms

journeys_strategy = st.lists(
    st.tuples(st.lists(st.sampled_from("ABCD"), min_size=1, max_size=5), st.booleans()),
    min_size=1,
    max_size=25,
)


def _swap(path: list[str], one: str, other: str) -> list[str]:
    return [other if c == one else one if c == other else c for c in path]


@SETTINGS
@given(journeys=journeys_strategy, value=st.sampled_from(["conversions", "rate"]))
def test_symmetric_channels_get_the_same_credit(journeys, value):
    """Every journey has its mirror with A and B swapped, so A and B play the same role."""
    mirrored = journeys + [(_swap(p, "A", "B"), c) for p, c in journeys] + [(["A"], True)]
    mirrored.append((["B"], True))
    credit = _credit(attribution.shapley_attribution(_paths(*mirrored), value=value))
    assert credit["A"] == pytest.approx(credit["B"], rel=1e-9, abs=1e-9)
    assert sum(credit.values()) == pytest.approx(sum(c for _, c in mirrored))  # efficiency


@SETTINGS
@given(journeys=journeys_strategy, joins=st.lists(st.booleans(), min_size=25, max_size=25))
def test_a_channel_that_never_converts_is_a_dummy_player(journeys, joins):
    """A channel seen only in journeys that do not convert adds nothing to any coalition:
    it earns 0 and leaves the other channels' credit as it was."""
    journeys = [*journeys, (["A"], True)]
    with_dummy = [
        (p + ["Z"] if not c and join else p, c)
        for (p, c), join in zip(journeys, joins, strict=False)
    ] + [(["Z"], False)]
    before = _credit(attribution.shapley_attribution(_paths(*journeys)))
    after = _credit(attribution.shapley_attribution(_paths(*with_dummy)))
    assert after.pop("Z") == 0.0
    assert after == pytest.approx(before)


@SETTINGS
@given(
    worth=st.lists(st.floats(-100, 100), min_size=8, max_size=8),
    dummy=st.integers(0, 2),
)
def test_a_player_that_changes_no_worth_gets_nothing(worth, dummy):
    game = np.array(worth)
    coalitions = np.arange(8)
    game = game[coalitions & ~(1 << dummy)]  # v(S ∪ {dummy}) = v(S)
    game -= game[0]
    phi = attribution.shapley_values(game)
    assert phi[dummy] == pytest.approx(0.0, abs=1e-9)
    assert phi.sum() == pytest.approx(game[-1], abs=1e-6)


# ----------------------------------------------------------------- the models table


def test_shapley_sits_next_to_the_other_models():
    table = attribution.paths_attribution(HAND)
    assert table.get_column("model").unique(maintain_order=True).to_list() == list(
        attribution.MODELS
    )
    shapley = table.filter(pl.col("model") == "shapley")
    assert _credit(shapley) == pytest.approx({"A": 5.0, "B": 3.0, "C": 1.0})
    only = attribution.paths_attribution(HAND, model="shapley")
    assert only.get_column("model").unique().to_list() == ["shapley"]
    assert _credit(only) == pytest.approx(_credit(shapley))
    two = attribution.paths_attribution(HAND, model=["last_touch", "shapley"])
    assert two.get_column("model").unique(maintain_order=True).to_list() == [
        "shapley",
        "last_touch",
    ]
    rate = attribution.paths_attribution(HAND, model="shapley", shapley_game="rate")
    assert rate.get_column("conversions").sum() == pytest.approx(9.0)


def test_shapley_explains_unusable_input():
    with pytest.raises(cx.DataError, match="converting journey"):
        attribution.shapley_attribution(_paths((["A"], False)))
    with pytest.raises(cx.DataError, match="value='share'"):
        attribution.shapley_attribution(HAND, value="share")
    with pytest.raises(cx.DataError, match="weight works with value='conversions'"):
        attribution.shapley_attribution(HAND, value="rate", weight="revenue")
    with pytest.raises(cx.DataError, match="no column 'revenue'"):
        attribution.shapley_attribution(HAND, weight="revenue")
    with pytest.raises(cx.DataError, match="2\\*\\*n"):
        attribution.shapley_values([0.0, 1.0, 2.0])
    with pytest.raises(cx.DataError, match="model='uplift'; use one or more of markov"):
        attribution.paths_attribution(HAND, model="uplift")
