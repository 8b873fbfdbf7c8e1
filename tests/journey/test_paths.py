"""cx.transitions, cx.path_variants and cx.paths_between against brute-force references.

The references below walk each customer's events in plain Python, straight from the
docstrings: order by (time, touchpoint), cut into journeys by session and pause, then count.
Generated logs are small and dense (a few time slots, three touchpoints, optional sessions
with missing ids) so ties, repeats and session edges are frequent; rows come shuffled.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pandas as pd
import polars as pl
import pytest
from conftest import assert_frame_matches, to_polars
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cxlib as cx

BASE = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ARROW = " → "


def log(*rows: tuple, sessions: bool = False, channels: bool = False) -> dict[str, list]:
    """Rows ``(customer, minute, touchpoint[, session][, channel])`` as a dict of lists."""
    data: dict[str, list] = {
        "customer_id": [r[0] for r in rows],
        "ts": [BASE + timedelta(minutes=r[1]) for r in rows],
        "touchpoint": [r[2] for r in rows],
    }
    if sessions:
        data["session_id"] = [r[3] for r in rows]
    if channels:
        data["channel"] = [r[-1] for r in rows]
    return data


# ----------------------------------------------------------------------------- references


def _rows(data: dict[str, list]) -> list[dict]:
    """Rows as dicts, without those lacking a customer, time or touchpoint (skipped)."""
    rows = [dict(zip(data, values, strict=True)) for values in zip(*data.values(), strict=True)]
    required = ("customer_id", "ts", "touchpoint")
    return [r for r in rows if all(r[c] is not None for c in required if c in r)]


def _collapse(labels: list[str]) -> list[str]:
    return [x for i, x in enumerate(labels) if i == 0 or labels[i - 1] != x]


def ref_journeys(data, *, by=(), session_gap=None) -> list[tuple[str, list[dict]]]:
    """(customer, events in order) per journey, as the module docstring of _paths defines."""
    if isinstance(session_gap, str):  # "30m"
        session_gap = timedelta(minutes=int(session_gap.removesuffix("m")))
    groups = defaultdict(list)
    for i, row in enumerate(_rows(data)):
        if "session_id" not in data:
            key = (row["customer_id"],)
        elif row["session_id"] is None:
            key = (row["customer_id"], None, i)  # an event without a session: alone
        else:
            key = (row["customer_id"], row["session_id"])
        groups[key].append(row)
    journeys = []
    for key, events in groups.items():
        events.sort(
            key=lambda r: (r["ts"], r["touchpoint"], *[(r[b] is None, r[b] or "") for b in by])
        )
        current = [events[0]]
        for previous, event in zip(events, events[1:], strict=False):
            if session_gap is not None and event["ts"] - previous["ts"] > session_gap:
                journeys.append((key[0], current))
                current = []
            current.append(event)
        journeys.append((key[0], current))
    return journeys


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(
        microseconds=round(statistics.median(v / timedelta(microseconds=1) for v in values))
    )


def ref_transitions(data, *, by=(), session_gap=None) -> pl.DataFrame:
    pairs = defaultdict(lambda: {"n": 0, "customers": set(), "gaps": []})
    for customer, events in ref_journeys(data, by=by, session_gap=session_gap):
        group = tuple(events[0][b] for b in by)
        labels = ["(start)", *[e["touchpoint"] for e in events], "(end)"]
        for i in range(len(labels) - 1):
            pair = pairs[(*group, labels[i], labels[i + 1])]
            pair["n"] += 1
            pair["customers"].add(customer)
            if 0 < i < len(events):
                pair["gaps"].append(events[i]["ts"] - events[i - 1]["ts"])
    out = Counter()
    for (*group, source, _), pair in pairs.items():
        out[(*group, source)] += pair["n"]
    rows = [
        (*key, p["n"], len(p["customers"]), p["n"] / out[key[:-1]], _median(p["gaps"]))
        for key, p in pairs.items()
    ]
    schema = {
        **{b: pl.String for b in by},
        "source": pl.String,
        "target": pl.String,
        "transitions": pl.Int64,
        "customers": pl.Int64,
        "share": pl.Float64,
        "median_gap": pl.Duration("us"),
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _pooled(
    trips: list[tuple[str, str, timedelta | None]], count: str, top: int, timed: bool
) -> pl.DataFrame:
    """(path, customer, time) per journey or trip -> the top paths and an "(other)" row."""
    counts = Counter(path for path, _, _ in trips)
    ranked = sorted(counts, key=lambda path: (-counts[path], path))
    keep = set(ranked[:top])
    groups = defaultdict(list)  # keyed by (label, pooled): a path may read "(other)" too
    for path, customer, time in trips:
        groups[(path, False) if path in keep else ("(other)", True)].append((customer, time))
    rows = []
    for (path, _), members in sorted(groups.items(), key=lambda item: item[0][1]):
        row = [path, len(members), len({c for c, _ in members}), len(members) / len(trips)]
        if timed:
            row.append(_median([t for _, t in members]))
        rows.append(row)
    schema = {"path": pl.String, count: pl.Int64, "customers": pl.Int64, "share": pl.Float64}
    if timed:
        schema["median_time"] = pl.Duration("us")
    return pl.DataFrame(rows, schema=schema, orient="row")


def _truncate(labels: list[str], limit: int | None) -> list[str]:
    return labels if limit is None or len(labels) <= limit else [*labels[:limit], "…"]


def ref_path_variants(
    data, *, top=10, max_length=None, collapse_repeats=True, session_gap=None
) -> pl.DataFrame:
    journeys = []
    for customer, events in ref_journeys(data, session_gap=session_gap):
        labels = [e["touchpoint"] for e in events]
        labels = _collapse(labels) if collapse_repeats else labels
        journeys.append((ARROW.join(_truncate(labels, max_length)), customer, None))
    return _pooled(journeys, "journeys", top, timed=False)


def ref_paths_between(
    data, source, target, *, top=10, max_steps=10, collapse_repeats=True
) -> pl.DataFrame:
    per_customer = defaultdict(list)
    for row in _rows(data):
        per_customer[row["customer_id"]].append(row)
    trips = []
    for customer, events in per_customer.items():
        events.sort(key=lambda r: (r["ts"], r["touchpoint"]))
        start = None
        for i, event in enumerate(events):
            if event["touchpoint"] == target and start is not None:
                middle = [e["touchpoint"] for e in events[start + 1 : i]]
                middle = _collapse(middle) if collapse_repeats else middle
                path = ARROW.join([source, *_truncate(middle, max_steps), target])
                trips.append((path, customer, event["ts"] - events[start]["ts"]))
                start = None
            if event["touchpoint"] == source:
                start = i
    return _pooled(trips, "trips", top, timed=True)


# ----------------------------------------------------------------------------- generated logs


@st.composite
def event_logs(draw, sessions=None, touchpoints=("a", "b", "c")):
    """Dense shuffled logs; with ``sessions`` None, a session column is drawn or not."""
    with_sessions = draw(st.booleans()) if sessions is None else sessions
    customers = draw(st.integers(1, 4))
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from([f"c{i}" for i in range(customers)]),
                st.sampled_from([0, 0, 5, 10, 40, 45, 120]),
                st.sampled_from(touchpoints),
                st.sampled_from([None, "s1", "s2"]),
                st.sampled_from(["web", "app"]),
            ),
            min_size=1,
            max_size=20,
        )
    )
    return log(*draw(st.permutations(rows)), sessions=with_sessions, channels=True)


@SETTINGS
@given(
    data=event_logs(),
    session_gap=st.sampled_from([None, "30m"]),
    by=st.sampled_from([(), ("channel",)]),
)
def test_transitions_match_brute_force_reference(data, session_gap, by):
    result = cx.transitions(pl.DataFrame(data), by=list(by) or None, session_gap=session_gap)
    assert_frame_matches(result, ref_transitions(data, by=by, session_gap=session_gap))


@SETTINGS
@given(
    data=event_logs(),
    top=st.integers(1, 4),
    max_length=st.sampled_from([None, 1, 3]),
    collapse=st.booleans(),
    session_gap=st.sampled_from([None, "30m"]),
)
def test_path_variants_match_brute_force_reference(data, top, max_length, collapse, session_gap):
    options = {
        "top": top,
        "max_length": max_length,
        "collapse_repeats": collapse,
        "session_gap": session_gap,
    }
    result = cx.path_variants(pl.DataFrame(data), **options)
    assert_frame_matches(result, ref_path_variants(data, **options))


@SETTINGS
@given(
    data=event_logs(sessions=False),
    ends=st.sampled_from([("a", "b"), ("b", "a"), ("a", "a")]),
    top=st.integers(1, 4),
    max_steps=st.sampled_from([None, 0, 1]),
    collapse=st.booleans(),
)
def test_paths_between_match_brute_force_reference(data, ends, top, max_steps, collapse):
    options = {"top": top, "max_steps": max_steps, "collapse_repeats": collapse}
    result = cx.paths_between(pl.DataFrame(data), *ends, **options)
    assert_frame_matches(result, ref_paths_between(data, *ends, **options))


@SETTINGS
@given(data=event_logs(), session_gap=st.sampled_from([None, "30m"]))
def test_graph_is_complete_and_agrees_with_path_variants(data, session_gap):
    graph = cx.transitions(pl.DataFrame(data), session_gap=session_gap)
    variants = cx.path_variants(
        pl.DataFrame(data), collapse_repeats=False, top=3, session_gap=session_gap
    )
    journeys = variants["journeys"].sum()
    assert graph.filter(pl.col("source") == "(start)")["transitions"].sum() == journeys
    assert graph.filter(pl.col("target") == "(end)")["transitions"].sum() == journeys
    inflow = graph.group_by(pl.col("target").alias("tp")).agg(pl.col("transitions").sum())
    outflow = graph.group_by(pl.col("source").alias("tp")).agg(pl.col("transitions").sum())
    flows = inflow.join(outflow, on="tp", suffix="_out").filter(~pl.col("tp").str.contains(r"\("))
    assert (flows["transitions"] == flows["transitions_out"]).all()
    assert variants["share"].sum() == pytest.approx(1.0, abs=1e-12)
    out_shares = graph.group_by("source").agg(pl.col("share").sum())["share"]
    assert out_shares.to_list() == pytest.approx([1.0] * out_shares.len())


@SETTINGS
@given(data=event_logs(), seed=st.integers(0, 2**16))
def test_shuffling_rows_changes_nothing(data, seed):
    order = list(range(len(data["touchpoint"])))
    random.Random(seed).shuffle(order)
    shuffled = {name: [values[i] for i in order] for name, values in data.items()}
    for analysis in (
        lambda frame: cx.transitions(frame, by="channel", session_gap="30m"),
        lambda frame: cx.path_variants(frame, top=2, collapse_repeats=False),
        lambda frame: cx.paths_between(frame, "a", "c", top=2),
    ):
        assert analysis(pl.DataFrame(shuffled)).equals(analysis(pl.DataFrame(data)))


# ----------------------------------------------------------------------------- hand-made logs


def test_transitions_count_pairs_with_start_and_end_markers(constructor):
    data = log(
        ("u1", 0, "visit"),
        ("u1", 2, "product_view"),
        ("u1", 5, "purchase"),
        ("u2", 0, "visit"),
        ("u2", 4, "product_view"),
    )
    expected = pl.DataFrame(
        {
            "source": ["(start)", "visit", "product_view", "product_view", "purchase"],
            "target": ["visit", "product_view", "purchase", "(end)", "(end)"],
            "transitions": [2, 2, 1, 1, 1],
            "customers": [2, 2, 1, 1, 1],
            "share": [1.0, 1.0, 0.5, 0.5, 1.0],
            "median_gap": [None, timedelta(minutes=3), timedelta(minutes=3), None, None],
        },
        schema_overrides={"median_gap": pl.Duration("us")},
    )
    assert_frame_matches(cx.transitions(constructor(data)), expected)


def test_transitions_never_cross_sessions_and_sessionless_events_stand_alone(constructor):
    data = log(
        ("u1", 0, "visit", "s1"),
        ("u1", 1, "ad_impression", None),
        ("u1", 2, "product_view", "s1"),
        ("u1", 3, "visit", "s2"),
        sessions=True,
    )
    result = to_polars(cx.transitions(constructor(data)))
    pairs = set(zip(result["source"], result["target"], strict=True))
    assert pairs == {
        ("(start)", "visit"),
        ("visit", "product_view"),
        ("product_view", "(end)"),
        ("(start)", "ad_impression"),
        ("ad_impression", "(end)"),
        ("visit", "(end)"),
    }
    assert result.filter(pl.col("source") == "(start)")["transitions"].sum() == 3


def test_session_gap_breaks_a_journey_at_a_long_pause(constructor):
    data = log(("u1", 0, "visit"), ("u1", 30, "product_view"), ("u1", 61, "purchase"))
    graph = to_polars(cx.transitions(constructor(data), session_gap="30m"))
    pairs = set(zip(graph["source"], graph["target"], strict=True))
    assert ("visit", "product_view") in pairs  # exactly 30 minutes: same journey
    assert ("product_view", "purchase") not in pairs
    assert graph.filter(pl.col("source") == "(start)")["transitions"].sum() == 2


def test_ties_in_time_are_ordered_by_touchpoint_name(constructor):
    data = log(("u1", 0, "visit"), ("u1", 0, "ad_click"), ("u1", 1, "purchase"))
    variants = to_polars(cx.path_variants(constructor(data)))
    assert variants["path"].to_list() == ["ad_click → visit → purchase"]


def test_transitions_by_uses_the_journeys_first_event(constructor):
    data = log(
        ("u1", 0, "visit", "web"),
        ("u1", 1, "purchase", "app"),
        ("u2", 0, "visit", "app"),
        channels=True,
    )
    graph = to_polars(cx.transitions(constructor(data), by="channel"))
    web = graph.filter(pl.col("channel") == "web")
    assert set(zip(web["source"], web["target"], strict=True)) == {
        ("(start)", "visit"),
        ("visit", "purchase"),
        ("purchase", "(end)"),
    }
    assert graph.filter(pl.col("channel") == "app")["transitions"].to_list() == [1, 1]


def test_path_variants_collapse_repeats_and_pool_the_rest_as_other(constructor):
    data = log(
        ("u1", 0, "visit"),
        ("u1", 1, "visit"),
        ("u1", 2, "product_view"),
        ("u2", 0, "visit"),
        ("u2", 1, "product_view"),
        ("u3", 0, "visit"),
        ("u3", 1, "purchase"),
        ("u4", 0, "email_open"),
    )
    expected = pl.DataFrame(
        {
            "path": ["visit → product_view", "(other)"],
            "journeys": [2, 2],
            "customers": [2, 2],
            "share": [0.5, 0.5],
        }
    )
    result = cx.path_variants(constructor(data), top=1)
    assert_frame_matches(result, expected)
    assert to_polars(result)["path"].to_list() == ["visit → product_view", "(other)"]
    repeats = to_polars(cx.path_variants(constructor(data), collapse_repeats=False))
    assert "visit → visit → product_view" in repeats["path"].to_list()


def test_a_path_that_reads_like_the_pooled_row_stays_its_own_row(constructor):
    data = log(
        ("u1", 0, "(other)"), ("u2", 0, "(other)"), ("u3", 0, "visit"), ("u4", 0, "email_open")
    )
    result = to_polars(cx.path_variants(constructor(data), top=1))
    assert result.select("path", "journeys").rows() == [("(other)", 2), ("(other)", 2)]
    assert result["share"].sum() == 1.0


def test_path_variants_mark_journeys_cut_by_max_length(constructor):
    data = log(
        ("u1", 0, "visit"),
        ("u1", 1, "product_view"),
        ("u1", 2, "purchase"),
        ("u2", 0, "visit"),
        ("u2", 1, "product_view"),
    )
    result = to_polars(cx.path_variants(constructor(data), max_length=2))
    assert sorted(result["path"]) == ["visit → product_view", "visit → product_view → …"]


def test_path_variants_count_sessions_and_customers_separately(constructor):
    data = log(
        ("u1", 0, "visit", "s1"),
        ("u1", 1, "purchase", "s1"),
        ("u1", 60, "visit", "s2"),
        ("u1", 61, "purchase", "s2"),
        ("u2", 0, "visit", "s3"),
        sessions=True,
    )
    expected = pl.DataFrame(
        {
            "path": ["visit → purchase", "visit"],
            "journeys": [2, 1],
            "customers": [1, 1],
            "share": [2 / 3, 1 / 3],
        }
    )
    assert_frame_matches(cx.path_variants(constructor(data)), expected)


def test_paths_between_start_again_at_a_repeated_source(constructor):
    data = log(
        ("u1", 0, "add_to_cart"),
        ("u1", 1, "visit"),
        ("u1", 2, "add_to_cart"),
        ("u1", 3, "checkout"),
        ("u1", 4, "checkout"),
        ("u1", 10, "purchase"),
        ("u1", 11, "purchase"),
        ("u2", 0, "add_to_cart"),
        ("u2", 30, "purchase"),
    )
    expected = pl.DataFrame(
        {
            "path": ["add_to_cart → checkout → purchase", "add_to_cart → purchase"],
            "trips": [1, 1],
            "customers": [1, 1],
            "share": [0.5, 0.5],
            "median_time": [timedelta(minutes=8), timedelta(minutes=30)],
        },
        schema_overrides={"median_time": pl.Duration("us")},
    )
    assert_frame_matches(cx.paths_between(constructor(data), "add_to_cart", "purchase"), expected)


def test_paths_between_cut_long_trips_after_max_steps(constructor):
    data = log(
        ("u1", 0, "visit"), ("u1", 1, "a"), ("u1", 2, "b"), ("u1", 3, "c"), ("u1", 4, "purchase")
    )
    result = to_polars(cx.paths_between(constructor(data), "visit", "purchase", max_steps=2))
    assert result["path"].to_list() == ["visit → a → b → … → purchase"]


def test_inputs_are_not_modified():
    data = log(("u1", 5, "b"), ("u1", 0, "a"), ("u2", 0, "a"), sessions=False)
    frame = pd.DataFrame(data)
    before = frame.copy()
    cx.transitions(frame, session_gap="1h")
    cx.path_variants(frame)
    cx.paths_between(frame, "a", "b")
    pd.testing.assert_frame_equal(frame, before)


def test_empty_log_gives_empty_results():
    empty = pl.DataFrame(log(("u1", 0, "a"))).clear()
    assert cx.transitions(empty).height == 0
    assert cx.path_variants(empty).height == 0
    assert cx.paths_between(empty, "a", "b").columns[-1] == "median_time"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: cx.path_variants(f, top=0), "top=0"),
        (lambda f: cx.path_variants(f, max_length=0), "max_length=0"),
        (lambda f: cx.transitions(f, session_gap="soon"), "session_gap='soon'"),
        (lambda f: cx.transitions(f, by="segment"), "'segment' is missing"),
        (lambda f: cx.paths_between(f.drop("touchpoint"), "a", "b"), "'touchpoint' is missing"),
    ],
)
def test_unusable_arguments_raise_data_error(call, message):
    with pytest.raises(cx.DataError, match=message):
        call(pl.DataFrame(log(("u1", 0, "a"))))


# ----------------------------------------------------------------------------- engines


def _random_log(seed: int) -> dict[str, list]:
    rng = random.Random(seed)
    rows = [
        (
            f"c{rng.randrange(6)}",
            rng.choice([0, 1, 1, 2, 30, 31, 90, 200]),
            rng.choice(["visit", "product_view", "add_to_cart", "purchase"]),
            rng.choice([None, "s1", "s2", "s3"]),
        )
        for _ in range(60)
    ]
    return log(*rows, sessions=True)


def test_every_engine_gives_the_reference_answer(constructor_all):
    data = _random_log(7)
    frame = constructor_all(data)
    assert_frame_matches(
        cx.transitions(frame, session_gap="30m"),
        ref_transitions(data, session_gap=timedelta(minutes=30)),
    )
    assert_frame_matches(
        cx.path_variants(frame, top=4, max_length=3), ref_path_variants(data, top=4, max_length=3)
    )
    assert_frame_matches(
        cx.paths_between(frame, "visit", "purchase", top=3),
        ref_paths_between(data, "visit", "purchase", top=3),
    )


def test_rows_without_customer_or_time_are_skipped():
    data = log(("u1", 0, "visit"), ("u1", 1, "purchase"), ("u2", 0, "visit"))
    data["customer_id"][2] = None
    clean = cx.path_variants(pl.DataFrame(data))
    assert clean.rows() == [("visit → purchase", 1, 1, 1.0)]
    data["customer_id"][2], data["ts"][1] = "u2", None
    assert cx.transitions(pl.DataFrame(data))["transitions"].sum() == 4  # 2 journeys of one


def test_sample_data_matches_the_reference():
    tp = cx.make_sample(customers=100, seed=5)["touchpoints"]
    data = tp.select("customer_id", "ts", "touchpoint", "session_id").to_dict(as_series=False)
    assert_frame_matches(cx.transitions(tp), ref_transitions(data))
    assert_frame_matches(cx.path_variants(tp, top=8), ref_path_variants(data, top=8))
    assert_frame_matches(
        cx.paths_between(tp, "product_view", "purchase"),
        ref_paths_between(data, "product_view", "purchase"),
    )


# ----------------------------------------------------------------------------- polars fast path
# Polars frames without ``by`` take a one-sort fast path (a packed key without sessions, a
# plain sort with them); pandas frames take the portable plan. Both must give the reference's
# answer, on logs with many customers, exact duplicates, ties, gaps from zero to days and,
# when drawn, a session column with missing ids, an empty id and ids shared by customers.


@st.composite
def customer_logs(draw) -> dict[str, list]:
    customers = draw(st.integers(1, 40))
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, customers - 1).map(lambda c: f"customer-{c}"),
                st.sampled_from([0, 0, 1, 29, 31, 60, 24 * 60, 3 * 24 * 60 + 7]),
                st.sampled_from(["b", "a", "c", "ä", "a b"]),
                st.sampled_from([None, None, "s1", "s2", "s10", ""]),
            ),
            min_size=1,
            max_size=80,
        )
    )
    return log(*draw(st.permutations(rows)), sessions=draw(st.booleans()))


@SETTINGS
@given(
    data=customer_logs(),
    session_gap=st.sampled_from([None, timedelta(minutes=30), timedelta(days=1)]),
)
def test_fast_transitions_match_the_reference_and_the_portable_plan(data, session_gap):
    expected = ref_transitions(data, session_gap=session_gap)
    fast = cx.transitions(pl.DataFrame(data), session_gap=session_gap)
    assert_frame_matches(fast, expected)
    assert_frame_matches(cx.transitions(pd.DataFrame(data), session_gap=session_gap), expected)
    lazy = cx.transitions(pl.DataFrame(data).lazy(), session_gap=session_gap)
    assert to_polars(lazy).equals(fast)


@SETTINGS
@given(
    data=customer_logs(),
    top=st.integers(1, 6),
    max_length=st.sampled_from([None, 1, 2, 5]),
    collapse=st.booleans(),
    session_gap=st.sampled_from([None, "30m"]),
)
def test_fast_path_variants_match_the_reference_and_the_portable_plan(
    data, top, max_length, collapse, session_gap
):
    options = {
        "top": top,
        "max_length": max_length,
        "collapse_repeats": collapse,
        "session_gap": session_gap,
    }
    expected = ref_path_variants(data, **options)
    fast = cx.path_variants(pl.DataFrame(data), **options)
    assert_frame_matches(fast, expected)
    assert_frame_matches(cx.path_variants(pd.DataFrame(data), **options), expected)
    assert to_polars(cx.path_variants(pl.DataFrame(data).lazy(), **options)).equals(fast)


def test_fast_paths_group_integer_session_ids_and_keep_missing_ones_alone():
    data = log(
        ("u1", 0, "visit", 7),
        ("u1", 1, "visit", None),
        ("u1", 1, "visit", None),
        ("u1", 2, "cart", 7),
        ("u2", 0, "visit", 7),  # the same id for another customer: another session
        sessions=True,
    )
    frame = pl.DataFrame(data, schema_overrides={"session_id": pl.Int64})
    assert_frame_matches(cx.transitions(frame), ref_transitions(data))
    assert_frame_matches(cx.path_variants(frame), ref_path_variants(data))
    assert cx.path_variants(frame).select("path", "journeys").rows() == [
        ("visit", 3),
        ("visit → cart", 1),
    ]


def test_fast_transitions_count_exact_duplicates_and_zero_gaps():
    data = log(("u1", 0, "visit"), ("u1", 0, "visit"), ("u1", 0, "cart"), ("u2", 5, "visit"))
    result = cx.transitions(pl.DataFrame(data))
    assert_frame_matches(result, ref_transitions(data))
    pairs = {(s, t): (n, gap) for s, t, n, _, _, gap in result.iter_rows()}
    assert pairs[("visit", "visit")] == (1, timedelta(0))
    assert pairs[("cart", "visit")] == (1, timedelta(0))  # ties ordered by touchpoint name


def test_transitions_over_centuries_fall_back_to_the_portable_plan():
    # 1900 to 2100 in microseconds leaves too few key bits for the customer: the fast path
    # steps aside and the portable plan gives the same answer.
    data = {
        "customer_id": ["u1", "u1", "u2"],
        "ts": [
            datetime(1900, 1, 1, tzinfo=UTC),
            datetime(2100, 1, 1, tzinfo=UTC),
            datetime(2000, 1, 1, tzinfo=UTC),
        ],
        "touchpoint": ["visit", "purchase", "visit"],
    }
    assert_frame_matches(cx.transitions(pl.DataFrame(data)), ref_transitions(data))


def test_fast_transitions_group_integer_customer_ids_too():
    data = log(("u1", 0, "b"), ("u1", 1, "a"), ("u2", 0, "a"), ("u2", 0, "b"))
    ids = pl.DataFrame(data).with_columns(pl.col("customer_id").str.slice(1).cast(pl.Int64))
    assert_frame_matches(cx.transitions(ids), ref_transitions(data))
