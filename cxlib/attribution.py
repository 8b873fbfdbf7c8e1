"""Multi-touch attribution: which channels earn the conversions.

A **journey** is a customer's touchpoints in time order (ties by touchpoint name) up to and
including a conversion (``purchase``), or all of them when there is none. Its **path** is
the channels of the touches before the conversion (consecutive repeats of a channel count
once by default). Models, each crediting every converting journey's conversion to channels:

* ``markov``: first-order Markov chain over start → channels → conversion / null, with the
  removal effect of Anderl et al. (2016): RE(c) = 1 − P(conversion | c removed) /
  P(conversion), conversions shared in proportion to RE. P(conversion) is the exact
  absorption probability, solved with ``numpy.linalg.solve`` (no simulation);
* ``first_touch`` / ``last_touch``: all credit to the first / last channel;
* ``linear``: equal credit to every touch;
* ``position_based``: 40% to the first touch, 40% to the last, 20% shared by those between
  (one touch: 100%; two: 50/50).

Why written here: ``ChannelAttribution`` (the reference implementation) estimates removal
effects by simulation and ships as a C++ source build; the exact chain is a few lines of
numpy and is tested against a hand-solved chain (``tests/test_attribution.py``).

Examples
--------
>>> import cxlib as cx
>>> from cxlib import attribution
>>> ds = cx.load("data/sample")
>>> attribution.attribution(ds.touchpoints).columns
['channel', 'model', 'conversions', 'share']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import polars as pl

from cxlib._engine import CUSTOMER, lazy, like_input, require, to_polars
from cxlib._errors import DataError
from cxlib.journey import usable

__all__ = ["MODELS", "attribution", "channel_paths", "paths_attribution", "removal_effects"]

MODELS = ("markov", "first_touch", "last_touch", "linear", "position_based")
START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"


def channel_paths(
    touchpoints: Any,
    *,
    conversion: str = "purchase",
    touches: Sequence[str] | None = None,
    journeys: Literal["first", "all"] = "first",
    collapse_repeats: bool = True,
) -> Any:
    """Channel paths per customer journey, up to a conversion or to the end of the data.

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints with ``channel``.
    conversion : str
        The converting touchpoint.
    touches : list of str, optional
        Touchpoints that count as touches (e.g. ``["ad_click", "email_open", "visit"]``);
        default every touchpoint but the conversion.
    journeys : {"first", "all"}
        ``"first"``: each customer's journey to their first conversion (or their whole
        history when they never convert). ``"all"``: a new journey starts after every
        conversion; touches after the last conversion form a non-converting journey.
    collapse_repeats : bool
        Count consecutive touches on the same channel once.

    Returns
    -------
    polars.DataFrame
        ``customer_id, journey`` (0-based), ``path`` (list of channels, in order),
        ``converted`` (bool). Journeys without a touch are left out (nothing to credit).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> tp = pl.DataFrame({"customer_id": ["a"] * 4, "ts": [datetime(2025, 1, d)
    ...     for d in (1, 2, 3, 4)], "touchpoint": ["ad_click", "email_open", "visit",
    ...     "purchase"], "channel": ["social", "email", "email", "web"]})
    >>> channel_paths(tp).row(0)
    ('a', 0, ['social', 'email'], True)
    """
    if journeys not in ("first", "all"):
        raise DataError(f"journeys={journeys!r}; use 'first' or 'all'")
    events = usable(touchpoints, [CUSTOMER, "ts", "touchpoint", "channel"])
    events = to_polars(events.select(CUSTOMER, "__t", "touchpoint", "channel"))
    events = events.sort(CUSTOMER, "__t", "touchpoint").with_columns(
        (pl.col("touchpoint") == conversion).alias("__conv")
    )
    # journey number: conversions strictly before this event (the conversion closes its own)
    events = events.with_columns(
        (
            pl.col("__conv").cast(pl.Int64).cum_sum().over(CUSTOMER)
            - pl.col("__conv").cast(pl.Int64)
        ).alias("journey")
    )
    if journeys == "first":
        events = events.filter(pl.col("journey") == 0)
    converted = events.group_by(CUSTOMER, "journey").agg(pl.col("__conv").any().alias("converted"))
    touch = ~pl.col("__conv") & pl.col("channel").is_not_null()
    if touches is not None:
        touch = touch & pl.col("touchpoint").is_in(list(touches))
    steps = events.filter(touch)
    if collapse_repeats:
        previous = pl.col("channel").shift(1).over(CUSTOMER, "journey")
        steps = steps.filter(previous.is_null() | (previous != pl.col("channel")))
    paths = steps.group_by(CUSTOMER, "journey", maintain_order=True).agg(
        pl.col("channel").alias("path")
    )
    out = (
        paths.join(converted, on=[CUSTOMER, "journey"])
        .with_columns(pl.col("journey").cast(pl.Int64))
        .sort(CUSTOMER, "journey")
    )
    return out.select(CUSTOMER, "journey", "path", "converted")


def _check_paths(paths: Any) -> pl.DataFrame:
    frame = lazy(paths)
    require(frame, ["path", "converted"], what="paths")
    data = to_polars(frame.select("path", "converted"))
    if not isinstance(data.schema["path"], pl.List):
        raise DataError(
            "paths: column 'path' must be a list of channels per journey; build "
            "it with cxlib.attribution.channel_paths(touchpoints)"
        )
    return data.filter(pl.col("path").list.len() > 0).with_columns(
        pl.col("converted").cast(pl.Boolean)
    )


def _absorption(counts: np.ndarray, channels: int) -> float:
    """P(reach conversion from start) of the chain with these transition counts.

    States: 0 = start, 1..channels = channels, then conversion, then null. Transient rows
    are normalized to probabilities; solves (I − Q) p = r for the conversion column.
    """
    transient = channels + 1
    totals = counts[:transient].sum(axis=1, keepdims=True)
    probs = np.divide(
        counts[:transient], totals, out=np.zeros_like(counts[:transient]), where=totals > 0
    )
    q, r = probs[:, :transient], probs[:, transient]
    return float(np.linalg.solve(np.eye(transient) - q, r)[0])


def removal_effects(paths: Any) -> pl.DataFrame:
    """Markov-chain removal effect of every channel, and the conversions it earns.

    Parameters
    ----------
    paths : frame
        ``path`` (list of channels) and ``converted`` per journey (:func:`channel_paths`).

    Returns
    -------
    polars.DataFrame
        ``channel, removal_effect`` (1 − P(conversion without the channel) / P(conversion)),
        ``conversions`` (converting journeys × removal effect / sum of removal effects),
        ``share``; largest first. Removing a channel sends every transition into it to the
        null state.

    Examples
    --------
    >>> import polars as pl
    >>> paths = pl.DataFrame({"path": [["A", "B"], ["A"], ["B"]],
    ...                       "converted": [True, False, True]})
    >>> removal_effects(paths).select("channel", "removal_effect").rows()
    [('B', 1.0), ('A', 0.5)]
    """
    data = _check_paths(paths)
    names = sorted(set(data.get_column("path").explode().drop_nulls().to_list()))
    if not names or not data.get_column("converted").any():
        raise DataError("paths: need at least one converting journey with a channel touch")
    index = {START: 0, **{c: i + 1 for i, c in enumerate(names)}}
    index[CONVERSION], index[NULL] = len(names) + 1, len(names) + 2
    states = data.with_columns(
        pl.concat_list(
            pl.lit([START]),
            pl.col("path"),
            pl.when(pl.col("converted")).then(pl.lit([CONVERSION])).otherwise(pl.lit([NULL])),
        ).alias("__states")
    ).with_columns(
        pl.col("__states").list.head(pl.col("__states").list.len() - 1).alias("__from"),
        pl.col("__states").list.tail(pl.col("__states").list.len() - 1).alias("__to"),
    )
    pairs = (
        states.select("__from", "__to").explode("__from", "__to").group_by("__from", "__to").len()
    )
    codes = pl.DataFrame({"state": list(index), "code": list(index.values())})
    pairs = pairs.join(codes.rename({"state": "__from", "code": "i"}), on="__from").join(
        codes.rename({"state": "__to", "code": "j"}), on="__to"
    )
    counts = np.zeros((len(index), len(index)))
    counts[pairs.get_column("i").to_numpy(), pairs.get_column("j").to_numpy()] = pairs.get_column(
        "len"
    ).to_numpy()
    base = _absorption(counts, len(names))
    effects = []
    for code in range(1, len(names) + 1):
        removed = counts.copy()
        removed[:, len(names) + 2] += removed[:, code]  # flows into the channel go to null
        removed[:, code] = 0
        effects.append(1 - _absorption(removed, len(names)) / base)
    conversions = int(data.get_column("converted").sum())
    effect = np.array(effects)
    credited = conversions * effect / effect.sum() if effect.sum() > 0 else effect * np.nan
    out = pl.DataFrame({"channel": names, "removal_effect": effect, "conversions": credited})
    return out.with_columns((pl.col("conversions") / conversions).alias("share")).sort(
        "conversions", "channel", descending=[True, False]
    )


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


def paths_attribution(paths: Any, *, position_weights: tuple[float, float] = (0.4, 0.4)) -> Any:
    """Credit conversions to channels with every model, as one tidy table.

    Parameters
    ----------
    paths : frame
        ``path`` (list of channels) and ``converted`` per journey (:func:`channel_paths`).
    position_weights : (float, float)
        Shares of the first and last touch in ``position_based`` (the rest is shared by the
        touches between).

    Returns
    -------
    frame
        ``channel, model, conversions, share`` (of the model's conversions), for the models
        ``markov, first_touch, last_touch, linear, position_based``; every channel appears
        under every model (0 when it earns nothing).

    Examples
    --------
    >>> import polars as pl
    >>> paths = pl.DataFrame({"path": [["A", "B"], ["B"]], "converted": [True, True]})
    >>> credit = paths_attribution(paths)
    >>> credit.filter(pl.col("model") == "linear").select("channel", "conversions").rows()
    [('B', 1.5), ('A', 0.5)]
    """
    first, last = position_weights
    if min(first, last) < 0 or first + last > 1 or first + last == 0:
        raise DataError(f"position_weights={position_weights}: two shares >= 0 summing to <= 1")
    data = _check_paths(paths)
    markov = removal_effects(data).select("channel", pl.lit("markov").alias("model"), "conversions")
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
    heuristics = (
        credit.group_by(pl.col("path").alias("channel"))
        .agg(pl.col("first_touch", "last_touch", "linear", "position_based").sum())
        .unpivot(index="channel", variable_name="model", value_name="conversions")
    )
    channels = pl.DataFrame({"channel": markov.get_column("channel")})
    grid = channels.join(pl.DataFrame({"model": list(MODELS)}), how="cross")
    out = grid.join(pl.concat([markov, heuristics]), on=["channel", "model"], how="left")
    order = pl.DataFrame({"model": list(MODELS), "__m": range(len(MODELS))})
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
    position_weights: tuple[float, float] = (0.4, 0.4),
) -> Any:
    """Markov removal-effect attribution next to first/last/linear/position-based models.

    Builds the journeys with :func:`channel_paths` (see it for ``conversion``, ``touches``,
    ``journeys`` and ``collapse_repeats``) and credits them with :func:`paths_attribution`.

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
    """
    paths = channel_paths(
        touchpoints,
        conversion=conversion,
        touches=touches,
        journeys=journeys,
        collapse_repeats=collapse_repeats,
    )
    return like_input(paths_attribution(paths, position_weights=position_weights), touchpoints)
