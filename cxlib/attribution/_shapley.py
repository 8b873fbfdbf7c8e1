"""Shapley-value attribution (Zhao, Mahboobi & Bagheri, 2018): channels as players of a
cooperative game whose worth is the conversions their journeys earn.

The **game**: a coalition S of channels is worth

* ``value="conversions"`` (Zhao et al.'s formulation): v(S) = Σ_{T ⊆ S} R(T), the
  conversions (or the summed ``weight``, e.g. revenue) of the journeys whose set of
  channels is exactly T, for every T inside S: what S earns on its own;
* ``value="rate"``: v(S) = Σ_{T ⊆ S} R(T) / N(T), the conversion rates of those channel
  sets instead (N(T): journeys with channel set T, converting or not), so a channel set
  that many journeys touch without converting weighs less; the credits are then scaled to
  the total conversions.

Only the set of channels of a journey matters, not their order or repeats. Both games are
sums of unanimity games (one per channel set T seen in the data), so the Shapley value has
the closed form of Zhao et al. (their "simplified Shapley value"): φ_j = Σ_{T ∋ j} r(T) /
|T|, with r(T) the set's conversions or rate. Up to :data:`MAX_EXACT_CHANNELS` channels the
game is built over all 2^n coalitions (bitmasks, subset sums with numpy) and solved by
:func:`shapley_values`, the textbook definition; with more channels the closed form gives
the same, exact, answer without the 2^n table (the tests check both against a brute-force
permutation enumeration).
"""

from __future__ import annotations

from math import comb
from typing import Any, Literal

import numpy as np
import polars as pl
from numpy.typing import ArrayLike

from cxlib._engine import lazy, like_input
from cxlib._errors import DataError
from cxlib.attribution._paths import check_paths

MAX_EXACT_CHANNELS = 15
"""Up to this many channels the Shapley game is built over all 2**n coalitions and solved by
:func:`shapley_values`; beyond, Zhao et al.'s closed form gives the same exact values."""
SHAPLEY_VALUES = ("conversions", "rate")


def shapley_values(worth: ArrayLike) -> np.ndarray:
    """Exact Shapley values of a game given by the worth of every coalition.

    Parameters
    ----------
    worth : array of 2**n floats
        ``worth[mask]`` is v(S) for the coalition S whose players are the set bits of
        ``mask`` (player i is bit ``1 << i``); ``worth[0]`` is the empty coalition
        (normally 0).

    Returns
    -------
    numpy.ndarray
        n values, φ_i = Σ_{S ∌ i} |S|! (n − |S| − 1)! / n! · (v(S ∪ {i}) − v(S)): each
        player's marginal contribution averaged over every order in which the coalition can
        form. They sum to ``worth[-1] - worth[0]`` (efficiency). O(n · 2**n), vectorized.

    Examples
    --------
    A glove game: player 0 has a left glove, players 1 and 2 a right one; a pair is worth 1.

    >>> shapley_values([0, 0, 0, 1, 0, 1, 0, 1]).round(4).tolist()
    [0.6667, 0.1667, 0.1667]
    """
    values = np.asarray(worth, dtype=float)
    players = values.size.bit_length() - 1
    if values.ndim != 1 or values.size != 1 << players:
        raise DataError(
            f"worth: {values.size} values; give one per coalition, 2**n for n players, "
            "indexed by the coalition's bitmask"
        )
    sizes = np.bitwise_count(np.arange(values.size, dtype=np.uint32)).astype(np.int64)
    # |S|! (n - |S| - 1)! / n! = 1 / (n · C(n - 1, |S|)), for |S| = 0 .. n - 1
    weights = np.array([1 / (players * comb(players - 1, k)) for k in range(players)])
    out = np.empty(players)
    for player in range(players):
        # masks as (high bits, bit `player`, low bits): [:, 0] lacks the player, [:, 1] has it
        split = values.reshape(-1, 2, 1 << player)
        size = sizes.reshape(-1, 2, 1 << player)[:, 0]
        out[player] = np.sum(weights[size] * (split[:, 1] - split[:, 0]))
    return out


def _sets(data: pl.DataFrame, weight: str | None) -> pl.DataFrame:
    """One row per distinct channel set: ``channels`` (sorted list), ``journeys``,
    ``conversions`` (converting journeys, or their summed ``weight``)."""
    earned = pl.col(weight).fill_null(0.0) if weight else pl.lit(1.0)
    return (
        data.with_columns(
            pl.col("path").list.drop_nulls().list.unique().list.sort().alias("channels")
        )
        .filter(pl.col("channels").list.len() > 0)
        .group_by("channels")
        .agg(
            pl.len().alias("journeys"),
            pl.when(pl.col("converted")).then(earned).otherwise(0.0).sum().alias("conversions"),
        )
        .sort("channels")
    )


def _set_worth(value: str) -> pl.Expr:
    """r(T) of each channel set: its conversions, or its conversion rate."""
    if value == "rate":
        return pl.col("conversions") / pl.col("journeys")
    return pl.col("conversions")


def _closed_form(sets: pl.DataFrame, value: str) -> dict[str, float]:
    """φ_j = Σ_{T ∋ j} r(T) / |T| (Zhao et al.'s simplified Shapley value)."""
    credit = (
        sets.with_columns((_set_worth(value) / pl.col("channels").list.len()).alias("__c"))
        .explode("channels")
        .group_by("channels")
        .agg(pl.col("__c").sum())
    )
    return dict(credit.iter_rows())


def _exact(sets: pl.DataFrame, value: str, names: list[str]) -> dict[str, float]:
    """Build v over all 2^n coalitions with bitmasks and solve it with shapley_values."""
    bit = {name: 1 << i for i, name in enumerate(names)}
    masks = np.array(
        [sum(bit[c] for c in channels) for channels in sets.get_column("channels").to_list()],
        dtype=np.int64,
    )
    exact_worth = np.zeros(1 << len(names))
    np.add.at(exact_worth, masks, sets.select(_set_worth(value)).to_series().to_numpy())
    # subset sums: v(S) = Σ_{T ⊆ S} r(T), one pass per player over (high, bit, low) blocks
    for player in range(len(names)):
        blocks = exact_worth.reshape(-1, 2, 1 << player)
        blocks[:, 1] += blocks[:, 0]
    return dict(zip(names, shapley_values(exact_worth).tolist(), strict=True))


def shapley_attribution(
    paths: Any,
    *,
    value: Literal["conversions", "rate"] = "conversions",
    weight: str | None = None,
) -> Any:
    """Shapley-value attribution of the conversions to channels (Zhao et al., 2018).

    Channels are the players of a cooperative game; a coalition of channels is worth what
    the journeys that stayed within it earned (see the module docs for the two games). A
    channel's Shapley value is its marginal worth averaged over every order in which the
    channels could join; the credits of all channels add up to the total (efficiency),
    channels that play the same role get the same credit (symmetry), and a channel that
    adds nothing to any coalition gets nothing (dummy player).

    Parameters
    ----------
    paths : frame
        ``path`` (list of channels) and ``converted`` per journey (:func:`channel_paths`).
    value : {"conversions", "rate"}
        The worth of a channel set: its conversions (Zhao et al.) or its conversion rate
        (non-converting journeys count against it); both exact for any number of channels.
    weight : str, optional
        A numeric column of ``paths`` with each converting journey's value (e.g. its
        revenue) to credit instead of counting conversions (``value="conversions"`` only).

    Returns
    -------
    frame
        Same library as ``paths``: ``channel, shapley_value`` (φ in the game's unit:
        conversions, or conversion rate), ``conversions`` (credited, summing to the
        converting journeys or their total ``weight``), ``share``; largest first. Every
        channel of a journey appears, with 0 when it earns nothing.

    Examples
    --------
    Two journeys convert through email and social together, one through email alone: the
    pair's conversions are shared, email keeps its own.

    >>> import polars as pl
    >>> paths = pl.DataFrame({"path": [["email", "social"], ["social", "email"], ["email"],
    ...     ["social"]], "converted": [True, True, True, False]})
    >>> shapley_attribution(paths).select("channel", "conversions").rows()
    [('email', 2.0), ('social', 1.0)]
    """
    if value not in SHAPLEY_VALUES:
        raise DataError(f"value={value!r}; use one of {', '.join(SHAPLEY_VALUES)}")
    if weight is not None and value != "conversions":
        raise DataError("weight works with value='conversions'; drop weight or change value")
    if weight is not None and weight not in lazy(paths).collect_schema().names():
        raise DataError(
            f"paths: no column {weight!r} (weight); add each journey's value or drop weight"
        )
    data = check_paths(paths, extra=[weight] if weight else [])
    if weight is not None and not data.schema[weight].is_numeric():
        raise DataError(f"paths: column {weight!r} (weight) must be numeric, e.g. revenue")
    sets = _sets(data, weight)
    total = float(sets.get_column("conversions").sum())
    if sets.height == 0 or total <= 0:
        raise DataError("paths: need at least one converting journey with a channel touch")
    names = sorted(set(sets.get_column("channels").explode().to_list()))
    if len(names) <= MAX_EXACT_CHANNELS:
        phi = _exact(sets, value, names)
    else:
        phi = _closed_form(sets, value)
    values = np.array([phi.get(name, 0.0) for name in names])
    credited = values / values.sum() * total if values.sum() > 0 else values * np.nan
    out = pl.DataFrame({"channel": names, "shapley_value": values, "conversions": credited})
    out = out.with_columns((pl.col("conversions") / total).alias("share")).sort(
        "conversions", "channel", descending=[True, False]
    )
    return like_input(out, paths)
