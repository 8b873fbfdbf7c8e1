"""Cross-channel switching between consecutive touchpoints and along the journey stages.

Private; the public names are :func:`cxlib.omnichannel.switching` and
:func:`cxlib.omnichannel.switching_summary`.
"""

from __future__ import annotations

from typing import Any, Literal

import narwhals as nw
import polars as pl

from cxlib._engine import CUSTOMER, like_input, to_polars
from cxlib._errors import DataError
from cxlib.io import StageModel
from cxlib.journey import as_stage_model, stage_index, usable


def _pairs(touchpoints: Any, model: StageModel | None) -> nw.LazyFrame:
    """Consecutive touchpoint pairs of each customer: ``__prev`` → ``channel``.

    With a stage model, only pairs whose stage changes, with ``__prev_s`` → ``__s`` (0-based
    stage indexes); touchpoints of no stage are left out first.
    """
    events = usable(touchpoints, [CUSTOMER, "ts", "touchpoint", "channel"])
    events = events.filter(~nw.col("channel").is_null())
    if model is not None:
        index = stage_index(events.collect_schema().names(), model)
        if index is None:
            raise DataError("touchpoints: no stage column and no touchpoint of the stage model")
        events = events.with_columns(index.alias("__s")).filter(~nw.col("__s").is_null())
    order = ["__t", "touchpoint"]
    shifted = [nw.col("channel").shift(1).over(CUSTOMER, order_by=order).alias("__prev")]
    if model is not None:
        shifted.append(nw.col("__s").shift(1).over(CUSTOMER, order_by=order).alias("__prev_s"))
    pairs = events.with_columns(*shifted).filter(~nw.col("__prev").is_null())
    if model is not None:
        pairs = pairs.filter(nw.col("__prev_s") != nw.col("__s"))
    return pairs


def _stage_names(data: pl.DataFrame, model: StageModel, keys: list[str]) -> pl.DataFrame:
    """Add ``source_stage`` / ``target_stage`` names for the ``__prev_s`` / ``__s`` indexes."""
    if not keys:
        return data
    names = pl.DataFrame(
        {"__i": range(len(model.stages)), "__name": list(model.stages)},
        schema={"__i": pl.Int64, "__name": pl.String},
    )
    for key, label in (("__prev_s", "source_stage"), ("__s", "target_stage")):
        data = data.with_columns(pl.col(key).cast(pl.Int64)).join(
            names.rename({"__i": key, "__name": label}), on=key
        )
    return data


def switching(
    touchpoints: Any,
    *,
    across: Literal["touchpoints", "stages"] = "touchpoints",
    stages: StageModel | str | None = None,
) -> Any:
    """Cross-channel switching: the channel of each touchpoint against the one before it.

    Parameters
    ----------
    touchpoints : frame
        Canonical touchpoints with ``channel``.
    across : {"touchpoints", "stages"}
        ``"touchpoints"``: every pair of consecutive touchpoints of a customer.
        ``"stages"``: only pairs where the journey stage changes (the channel a customer
        leaves a stage on, and the one they enter the next stage on).
    stages : StageModel or str, optional
        Stage model for ``across="stages"`` (``ds.stages``; default "5-stage").

    Returns
    -------
    frame
        Same library as ``touchpoints``: (``source_stage, target_stage`` with
        ``across="stages"``), ``source_channel, target_channel, transitions, customers,
        share`` (of the transitions out of the source channel, within the stage pair) and
        ``switched`` (channels differ). Sorted by source, then most frequent.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> tp = pl.DataFrame({"customer_id": ["a"] * 3, "ts": [datetime(2025, 1, d)
    ...     for d in (1, 2, 3)], "touchpoint": ["ad_click", "visit", "purchase"],
    ...     "channel": ["social", "web", "web"]})
    >>> switching(tp).select("source_channel", "target_channel", "switched").rows()
    [('social', 'web', True), ('web', 'web', False)]
    """
    if across not in ("touchpoints", "stages"):
        raise DataError(f"across={across!r}; use 'touchpoints' or 'stages'")
    model = as_stage_model(stages)
    keys = ["__prev_s", "__s"] if across == "stages" else []
    pairs = _pairs(touchpoints, model if keys else None)
    counts = pairs.group_by(*keys, "__prev", "channel").agg(
        nw.len().alias("transitions"), nw.col(CUSTOMER).n_unique().alias("customers")
    )
    data = _stage_names(to_polars(counts), model, keys)
    data = data.rename({"__prev": "source_channel", "channel": "target_channel"})
    group = [*keys, "source_channel"]
    out = (
        data.with_columns(
            pl.col("transitions", "customers").cast(pl.Int64),
        )
        .with_columns(
            (pl.col("transitions") / pl.col("transitions").sum().over(group)).alias("share"),
            (pl.col("source_channel") != pl.col("target_channel")).alias("switched"),
        )
        .sort([*keys, "source_channel", -pl.col("transitions"), "target_channel"])
    )
    labels = ["source_stage", "target_stage"] if keys else []
    out = out.select(
        *labels, "source_channel", "target_channel", "transitions", "customers", "share", "switched"
    )
    return like_input(out, touchpoints)


def switching_summary(touchpoints: Any, stages: StageModel | str | None = None) -> Any:
    """How often customers change channel when they move from one journey stage to another.

    Returns
    -------
    frame
        Same library as ``touchpoints``, one row per stage pair in journey order:
        ``source_stage, target_stage, transitions, customers, switch_rate`` (share of the
        transitions that change channel) and ``top_switch`` (the most common channel change,
        "social → app").

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> tp = pl.DataFrame({"customer_id": ["a"] * 3, "ts": [datetime(2025, 1, d)
    ...     for d in (1, 2, 3)], "touchpoint": ["ad_click", "visit", "purchase"],
    ...     "channel": ["social", "web", "web"]})
    >>> switching_summary(tp).select("source_stage", "target_stage", "switch_rate").rows()
    [('awareness', 'consideration', 1.0), ('consideration', 'conversion', 0.0)]
    """
    model = as_stage_model(stages)
    keys = ["source_stage", "target_stage"]
    pairs = switching(touchpoints, across="stages", stages=model)
    pairs = to_polars(pairs)
    top = (
        pairs.filter(pl.col("switched"))
        .sort(
            [*keys, "transitions", "source_channel", "target_channel"],
            descending=[False, False, True, False, False],
        )
        .group_by(keys, maintain_order=True)
        .first()
        .select(*keys, pl.format("{} → {}", "source_channel", "target_channel").alias("top_switch"))
    )
    customers = (
        _pairs(touchpoints, model)
        .group_by("__prev_s", "__s")
        .agg(nw.col(CUSTOMER).n_unique().alias("customers"))
    )
    customers = _stage_names(to_polars(customers), model, ["__prev_s", "__s"])
    out = (
        pairs.group_by(keys)
        .agg(
            pl.col("transitions").sum(),
            pl.col("transitions").filter(pl.col("switched")).sum().alias("__switched"),
        )
        .join(
            customers.select(*keys, "__prev_s", "__s", pl.col("customers").cast(pl.Int64)), on=keys
        )
        .join(top, on=keys, how="left")
        .with_columns((pl.col("__switched") / pl.col("transitions")).alias("switch_rate"))
        .sort("__prev_s", "__s")
        .select(*keys, "transitions", "customers", "switch_rate", "top_switch")
    )
    return like_input(out, touchpoints)
