"""Rule-based attribution: first touch, last touch, linear and position-based."""

from __future__ import annotations

import polars as pl

from cxlib._errors import DataError

HEURISTICS = ("first_touch", "last_touch", "linear", "position_based")


def check_position_weights(position_weights: tuple[float, float]) -> None:
    """Raise DataError unless the first and last shares are >= 0 and sum to (0, 1]."""
    first, last = position_weights
    if min(first, last) < 0 or first + last > 1 or first + last == 0:
        raise DataError(f"position_weights={position_weights}: two shares >= 0 summing to <= 1")


def _position_weights(first: float, last: float) -> pl.Expr:
    n = pl.col("__n")
    middle = 1 - first - last
    return (
        pl.when(n == 1)
        .then(1.0)
        .when(n == 2)
        .then(
            pl.when(pl.col("__pos") == 0)
            .then(first / (first + last))
            .otherwise(last / (first + last))
        )
        .when(pl.col("__pos") == 0)
        .then(first)
        .when(pl.col("__pos") == n - 1)
        .then(last)
        .otherwise(middle / (n - 2))
    )


def heuristic_credit(data: pl.DataFrame, position_weights: tuple[float, float]) -> pl.DataFrame:
    """``channel, model, conversions`` of the rule-based models, from checked paths.

    Every converting journey's conversion is shared among its touches: all to the first
    (``first_touch``) or the last (``last_touch``), equally (``linear``), or ``first`` /
    ``last`` of it to the first / last touch and the rest equally to those between
    (``position_based``; one touch: all of it, two: in the ratio first : last).
    """
    first, last = position_weights
    won = (
        data.filter(pl.col("converted"))
        .with_columns(
            pl.col("path").list.len().alias("__n"),
            pl.int_ranges(pl.col("path").list.len()).alias("__pos"),
        )
        .explode("path", "__pos")
    )
    credit = won.with_columns(
        (pl.col("__pos") == 0).cast(pl.Float64).alias("first_touch"),
        (pl.col("__pos") == pl.col("__n") - 1).cast(pl.Float64).alias("last_touch"),
        (1.0 / pl.col("__n")).alias("linear"),
        _position_weights(first, last).cast(pl.Float64).alias("position_based"),
    )
    return (
        credit.group_by(pl.col("path").alias("channel"))
        .agg(pl.col(*HEURISTICS).sum())
        .unpivot(index="channel", variable_name="model", value_name="conversions")
    )
