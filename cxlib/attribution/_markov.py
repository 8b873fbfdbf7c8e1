"""Markov-chain attribution: the removal effect of Anderl et al. (2016), solved exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from cxlib._errors import DataError
from cxlib.attribution._paths import check_paths

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"


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
    data = check_paths(paths)
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
