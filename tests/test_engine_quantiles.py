"""Quantiles: exact on one machine, within the stated rank error on Spark; materialize on
Spark survives the loss of an executor.

On polars, pandas and DuckDB every median and p90 equals polars' exactly. On Spark
(``percentile_approx`` with ``ACCURACY``) each is one of the data's values whose rank lies
within ``n / ACCURACY`` of the exact rank, so it is checked by rank against the raw
durations, not against polars' interpolated value.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import narwhals as nw
import polars as pl
import pytest
from conftest import assert_frame_matches, to_polars

import cxlib as cx
import cxlib._engine._quantiles as quantiles
from cxlib._engine import ACCURACY, aggregate, materialize, quantile

STEPS = ["visit", "cart", "purchase"]
STAGES = ["look", "want", "buy"]  # one stage per step
MODEL = cx.stage_model("custom", stages=STAGES, mapping=dict(zip(STEPS, STAGES, strict=True)))


def journeys(customers: int = 1500, seed: int = 7) -> tuple[dict[str, list], pl.DataFrame]:
    """A few thousand touchpoints with (almost) every duration distinct: each customer
    visits, most put something in the cart within 3 days, many buy within 2 more days.

    Returns the touchpoints and each customer's raw durations in microseconds: ``to_cart``
    (visit to cart), ``to_buy`` (cart to purchase), ``visit_to_buy`` (visit to purchase).
    """
    rng = random.Random(seed)
    start = datetime(2024, 3, 1, tzinfo=UTC)
    data: dict[str, list] = {"customer_id": [], "ts": [], "touchpoint": [], "channel": []}
    truth: dict[str, list] = {"channel": [], "to_cart": [], "to_buy": [], "visit_to_buy": []}
    for i in range(customers):
        channel = rng.choice(["web", "app"])
        visit = start + timedelta(seconds=rng.randrange(30 * 86_400))
        events = [("visit", visit)]
        to_cart = to_buy = None
        if rng.random() < 0.8:
            to_cart = rng.randrange(1, 3 * 86_400 * 10**6)
            events.append(("cart", visit + timedelta(microseconds=to_cart)))
            if rng.random() < 0.7:
                to_buy = rng.randrange(1, 2 * 86_400 * 10**6)
                events.append(("purchase", events[-1][1] + timedelta(microseconds=to_buy)))
        for touchpoint, ts in events:
            data["customer_id"].append(f"c{i:05d}")
            data["ts"].append(ts)
            data["touchpoint"].append(touchpoint)
            data["channel"].append(channel)
        truth["channel"].append(channel)
        truth["to_cart"].append(to_cart)
        truth["to_buy"].append(to_buy)
        truth["visit_to_buy"].append(None if to_buy is None else to_cart + to_buy)
    return data, pl.DataFrame(truth)


def micros(frame: pl.DataFrame, column: str, **where: object) -> list[float | None]:
    """``column`` (a Duration) in microseconds, in the rows matching ``where``."""
    rows = frame.filter(*[pl.col(name) == value for name, value in where.items()])
    return rows[column].dt.total_microseconds().to_list()


def assert_within_rank_error(value: float | None, values: list[int], q: float) -> None:
    """``value`` is one of ``values`` (Spark returns a value, never an interpolation) and
    lies between their exact quantiles at q ± (1 / ACCURACY + 1 / n): the stated rank
    error plus one rank for Spark's discrete definition (the smallest value with at least
    q of the values at or below it). Ties are covered: the bounds are values too."""
    assert value is not None and values, "no quantile where there are durations"
    ordered = pl.Series(values, dtype=pl.Int64)
    slack = 1 / ACCURACY + 1 / len(values)
    low = ordered.quantile(max(0.0, q - slack), interpolation="lower")
    high = ordered.quantile(min(1.0, q + slack), interpolation="higher")
    assert value in set(values), f"{value} is not one of the durations: interpolated?"
    assert low <= value <= high, f"q={q}: {value} outside [{low}, {high}] (n={len(values)})"


def test_quantiles_on_one_machine_are_exact_and_interpolated_linearly(constructor):
    data = {
        "group": ["a", "a", "a", "a", "b", "b", None, None, None],
        "d": [4, 1, 3, 2, 10, 20, 5, 7, None],
    }
    result = aggregate(
        nw.from_native(constructor(data)).lazy(),
        ["group"],
        nw.len().alias("rows"),
        quantile("d", 0.5).alias("median"),
        quantile("d", 0.9).alias("p90"),
    )
    expected = pl.DataFrame(
        {
            "group": ["a", "b", None],
            "rows": [4, 2, 3],
            # numpy's linear interpolation: a = 1..4, b = 10, 20, null key = 5, 7 (a null skipped)
            "median": [2.5, 15.0, 6.0],
            "p90": [3.7, 19.0, 6.8],
        }
    )
    assert_frame_matches(result, expected)


def test_quantile_level_must_lie_between_zero_and_one():
    with pytest.raises(ValueError, match="between 0 and 1"):
        quantile("d", 1.5)


def test_local_engines_give_exactly_the_polars_medians(constructor):
    data, _ = journeys(customers=400)
    frame, reference = constructor(data), pl.DataFrame(data)
    calls = [
        lambda tp: cx.funnel(tp, STEPS, "7d", by="channel"),
        lambda tp: cx.transitions(tp),
        lambda tp: cx.stage_summary(tp, MODEL),
        lambda tp: cx.paths_between(tp, "visit", "purchase"),
    ]
    for call in calls:
        assert_frame_matches(call(frame), to_polars(call(reference)))


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_funnel_quantiles_lie_within_the_stated_rank_error(local_spark, monkeypatch):
    data, truth = journeys()
    plans: list[str] = []
    collect = quantiles.to_polars

    def recording(frame):
        plans.append(frame.to_native()._jdf.queryExecution().optimizedPlan().toString())
        return collect(frame)

    monkeypatch.setattr(quantiles, "to_polars", recording)
    frame = local_spark.get().createDataFrame(pl.DataFrame(data).to_arrow())
    result = to_polars(cx.funnel(frame, STEPS, "7d", by="channel"))
    exact = cx.funnel(pl.DataFrame(data), STEPS, "7d", by="channel")
    timing = ["median_time_to_step", "p90_time_to_step"]
    assert_frame_matches(result.drop(timing), exact.drop(timing))  # counts and rates: exact
    for channel in ("web", "app"):
        mine = truth.filter(pl.col("channel") == channel)
        raw = {
            1: [0] * mine.height,
            2: mine["to_cart"].drop_nulls().to_list(),
            3: mine["visit_to_buy"].drop_nulls().to_list(),
        }
        for step, values in raw.items():
            for column, q in (("median_time_to_step", 0.5), ("p90_time_to_step", 0.9)):
                [value] = micros(result, column, channel=channel, step_index=step)
                assert_within_rank_error(value, values, q)
    # one plan, with the approximate sketch and no exact aggregate of raw values
    [plan] = plans
    assert "percentile_approx(" in plan
    assert not re.search(r"(?<![\w_])(percentile|median)\(", plan), plan


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_journey_medians_lie_within_the_stated_rank_error(local_spark):
    data, truth = journeys(customers=800, seed=11)
    frame = local_spark.get().createDataFrame(pl.DataFrame(data).to_arrow())
    to_cart = truth["to_cart"].drop_nulls().to_list()
    to_buy = truth["to_buy"].drop_nulls().to_list()

    graph = to_polars(cx.transitions(frame))
    [gap] = micros(graph, "median_gap", source="visit", target="cart")
    assert_within_rank_error(gap, to_cart, 0.5)
    [gap] = micros(graph, "median_gap", source="cart", target="purchase")
    assert_within_rank_error(gap, to_buy, 0.5)

    stages = to_polars(cx.stage_summary(frame, MODEL))
    [look] = micros(stages, "median_time_in_stage", stage="look")
    assert_within_rank_error(look, to_cart, 0.5)
    [want] = micros(stages, "median_time_in_stage", stage="want")
    assert_within_rank_error(want, to_buy, 0.5)

    between = to_polars(cx.paths_between(frame, "visit", "purchase"))
    [trip] = micros(between, "median_time", path="visit → cart → purchase")
    assert_within_rank_error(trip, truth["visit_to_buy"].drop_nulls().to_list(), 0.5)


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_materialize_is_fault_tolerant_never_a_local_checkpoint(
    local_spark, tmp_path, monkeypatch
):
    session = local_spark.get()
    source = session.createDataFrame(pl.DataFrame({"n": list(range(10))}).to_arrow())

    def refuse(*args, **kwargs):
        raise AssertionError("localCheckpoint loses the job with one executor")

    monkeypatch.setattr(type(source), "localCheckpoint", refuse)
    context = session.sparkContext
    assert context.getCheckpointDir() is None  # the tests' session sets none
    # no checkpoint directory: cached in memory and on disk, lineage kept
    cached = materialize(nw.from_native(source.filter("n >= 4"))).to_native()
    level = cached.storageLevel
    assert (level.useMemory, level.useDisk) == (True, True)
    assert cached.is_cached
    assert sorted(row.n for row in cached.collect()) == [4, 5, 6, 7, 8, 9]
    cached.unpersist()
    # a checkpoint directory: a reliable checkpoint written there, nothing cached
    context.setCheckpointDir(str(tmp_path))
    try:
        written = materialize(nw.from_native(source.filter("n < 3"))).to_native()
        assert list(tmp_path.rglob("part-*")), "nothing written to the checkpoint directory"
        assert not written.is_cached
        assert sorted(row.n for row in written.collect()) == [0, 1, 2]
    finally:  # later tests run with no checkpoint directory, as the session started
        getattr(context._jsc.sc(), "checkpointDir_$eq")(context._jvm.scala.Option.apply(None))
    assert context.getCheckpointDir() is None
