"""Every attribution model in one tidy table, from channel paths or from touchpoints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Literal

import polars as pl

from cxlib._engine import like_input
from cxlib._errors import DataError
from cxlib.attribution._heuristic import HEURISTICS, check_position_weights, heuristic_credit
from cxlib.attribution._markov import removal_effects
from cxlib.attribution._paths import channel_paths, check_paths
from cxlib.attribution._shapley import shapley_attribution

MODELS = ("markov", "shapley", *HEURISTICS)
"""The attribution models, in the order the tables list them."""


def _chosen(model: str | Sequence[str] | None) -> list[str]:
    wanted = list(MODELS) if model is None else [model] if isinstance(model, str) else model
    unknown = [m for m in wanted if m not in MODELS]
    if unknown or not wanted:
        raise DataError(f"model={model!r}; use one or more of {', '.join(MODELS)}, or None")
    return [m for m in MODELS if m in wanted]


def paths_attribution(
    paths: Any,
    *,
    position_weights: tuple[float, float] = (0.4, 0.4),
    model: str | Sequence[str] | None = None,
    shapley_game: Literal["conversions", "rate"] = "conversions",
) -> Any:
    """Credit conversions to channels with every model, as one tidy table.

    Parameters
    ----------
    paths : frame
        ``path`` (list of channels) and ``converted`` per journey (:func:`channel_paths`).
    position_weights : (float, float)
        Shares of the first and last touch in ``position_based`` (the rest is shared by the
        touches between).
    model : str or list of str, optional
        The models to compute, of :data:`MODELS`; default all of them.
    shapley_game : {"conversions", "rate"}
        The game of the ``shapley`` model (``value`` of :func:`shapley_attribution`).

    Returns
    -------
    frame
        ``channel, model, conversions, share`` (of the model's conversions), for the models
        ``markov, shapley, first_touch, last_touch, linear, position_based`` (or those asked
        for), in that order; every channel appears under every model (0 when it earns
        nothing).

    Examples
    --------
    >>> import polars as pl
    >>> paths = pl.DataFrame({"path": [["A", "B"], ["B"]], "converted": [True, True]})
    >>> credit = paths_attribution(paths)
    >>> credit.filter(pl.col("model") == "linear").select("channel", "conversions").rows()
    [('B', 1.5), ('A', 0.5)]
    >>> paths_attribution(paths, model="shapley").select("channel", "conversions").rows()
    [('B', 1.5), ('A', 0.5)]
    """
    check_position_weights(position_weights)
    chosen = _chosen(model)
    data = check_paths(paths)
    names = sorted(set(data.get_column("path").explode().drop_nulls().to_list()))
    if not names or not data.get_column("converted").any():
        raise DataError("paths: need at least one converting journey with a channel touch")
    parts = []
    if "markov" in chosen:
        markov = removal_effects(data)
        parts.append(markov.select("channel", pl.lit("markov").alias("model"), "conversions"))
    if "shapley" in chosen:
        shapley = shapley_attribution(data, value=shapley_game)
        parts.append(shapley.select("channel", pl.lit("shapley").alias("model"), "conversions"))
    if set(HEURISTICS) & set(chosen):
        parts.append(heuristic_credit(data, position_weights).filter(pl.col("model").is_in(chosen)))
    grid = pl.DataFrame({"channel": names}).join(pl.DataFrame({"model": chosen}), how="cross")
    out = grid.join(pl.concat(parts), on=["channel", "model"], how="left")
    order = pl.DataFrame({"model": chosen, "__m": range(len(chosen))})
    out = (
        out.with_columns(pl.col("conversions").fill_null(0.0))
        .with_columns(
            (pl.col("conversions") / pl.col("conversions").sum().over("model")).alias("share")
        )
        .join(order, on="model")
        .sort("__m", -pl.col("conversions"), "channel")
    )
    return like_input(out.select("channel", "model", "conversions", "share"), paths)


def attribution(
    touchpoints: Any,
    *,
    conversion: str = "purchase",
    touches: Sequence[str] | None = None,
    journeys: Literal["first", "all"] = "first",
    collapse_repeats: bool = True,
    lookback: str | timedelta | None = None,
    position_weights: tuple[float, float] = (0.4, 0.4),
    model: str | Sequence[str] | None = None,
    shapley_game: Literal["conversions", "rate"] = "conversions",
) -> Any:
    """Markov removal-effect and Shapley-value attribution next to the rule-based models.

    Builds the journeys with :func:`channel_paths` (see it for ``conversion``, ``touches``,
    ``journeys``, ``collapse_repeats`` and the ``lookback`` window, which every model then
    sees) and credits them with :func:`paths_attribution` (``position_weights``, ``model``,
    ``shapley_game``).

    Returns
    -------
    frame
        Same library as ``touchpoints``: ``channel, model, conversions, share``.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> tp = pl.DataFrame({"customer_id": ["a", "a", "b"], "ts": [datetime(2025, 1, d)
    ...     for d in (1, 2, 1)], "touchpoint": ["ad_click", "purchase", "ad_click"],
    ...     "channel": ["social", "web", "email"]})
    >>> table = attribution(tp)
    >>> table.filter(pl.col("model") == "markov").select("channel", "conversions").rows()
    [('social', 1.0), ('email', 0.0)]
    >>> attribution(tp, model="shapley", lookback="7d").get_column("conversions").to_list()
    [1.0, 0.0]
    """
    paths = channel_paths(
        touchpoints,
        conversion=conversion,
        touches=touches,
        journeys=journeys,
        collapse_repeats=collapse_repeats,
        lookback=lookback,
    )
    credit = paths_attribution(
        paths, position_weights=position_weights, model=model, shapley_game=shapley_game
    )
    return like_input(credit, touchpoints)
