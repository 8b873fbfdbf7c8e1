"""Time the funnel explorer: random widget changes on 1M touchpoints, p50/p95 per change.

Usage (from the repository root)::

    .venv/bin/python benchmarks/explorer.py                    # 1M rows, 50 changes per run
    .venv/bin/python benchmarks/explorer.py --size 250k --changes 20 --seed 3

One process, the synthetic touchpoints of ``benchmarks/_synthetic.py`` (generated once and
cached). The explorer is built (untimed, reported), then each run makes ``--changes`` random
widget changes, as a user would, and times each from setting the widget's value to reading
an updated ``explorer.result`` (no event loop here, so the explorer recomputes and redraws
synchronously inside the change):

* ``sequential``: steps (add, drop or reorder a touchpoint), window, breakdown, period;
* ``all orders``: the same plus ``order`` (strict and any order are computed by the same
  engine, no ``cx.funnel`` call).

Every ``--check``-th change, the result must equal ``cx.funnel`` on the same settings (the
run fails otherwise); ``cx.funnel`` is timed on those settings and reported as a ratio to
the explorer's time for the same change. Target: p95 under 100 ms on 1M touchpoints.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _synthetic import STEPS, cached_touchpoints, label, parse_size  # noqa: E402

WINDOWS = ["1h", "1d", "7d", "30d", None]
ORDERS = ["sequential", "strict", "any"]
TARGET_P95_MS = 100.0


def _change(explorer, rng: random.Random, widgets: list[str]) -> str:
    """Make one random change, as a user would; return what changed."""
    what = rng.choice(widgets)
    if what == "steps":
        steps = list(explorer.steps.value)
        unused = [t for t in explorer.steps.options if t not in steps]
        move = rng.choice(["add", "drop", "swap"] if len(steps) > 2 else ["add"])
        if move == "add" and unused:
            steps.insert(rng.randrange(len(steps) + 1), rng.choice(unused))
        elif move == "drop":
            steps.pop(rng.randrange(len(steps)))
        else:
            i, j = rng.sample(range(len(steps)), 2)
            steps[i], steps[j] = steps[j], steps[i]
        explorer.steps.value = tuple(steps[:6])
    elif what == "within":
        explorer.within.value = rng.choice([w for w in WINDOWS if w != explorer.within.value])
    elif what == "order":
        explorer.order.value = rng.choice([o for o in ORDERS if o != explorer.order.value])
    elif what == "by":
        explorer.by.value = None if explorer.by.value else rng.choice(explorer.by.options[1:])[1]
    else:  # a period of at least a month
        days = len(explorer.period.options)
        first = rng.randrange(max(days - 30, 1))
        explorer.period.index = (first, rng.randrange(min(first + 30, days - 1), days))
    return what


def _equals_cx_funnel(explorer, touchpoints) -> float:
    """Assert the explorer's result equals cx.funnel on the same settings; its seconds."""
    from polars.testing import assert_frame_equal

    import cxlib as cx

    settings = explorer.settings()
    start = time.perf_counter()
    expected = cx.funnel(
        explorer.filtered_touchpoints(),
        list(settings.steps),
        settings.within,
        order=settings.order,
        by=settings.by,
    )
    seconds = time.perf_counter() - start
    assert_frame_equal(explorer.result, expected)
    return seconds


def _run(explorer, touchpoints, name: str, widgets: list[str], args: argparse.Namespace) -> bool:
    rng = random.Random(args.seed)
    explorer.steps.value, explorer.within.value = tuple(STEPS), "7d"
    explorer.order.value, explorer.by.value = "sequential", None
    explorer.period.index = (0, len(explorer.period.options) - 1)
    times, reference = [], []
    for i in range(1, args.changes + 1):
        start = time.perf_counter()
        _change(explorer, rng, widgets)
        explorer.result  # noqa: B018 - what is timed: the updated result
        times.append(time.perf_counter() - start)
        if i % args.check == 0:  # (explorer, cx.funnel) seconds on the same settings
            reference.append((times[-1], _equals_cx_funnel(explorer, touchpoints)))
    ms = sorted(t * 1000 for t in times)
    p50, p95 = statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    ours = statistics.median(t for t, _ in reference) if reference else float("nan")
    theirs = statistics.median(t for _, t in reference) if reference else float("nan")
    ok = p95 < TARGET_P95_MS
    print(
        f"{name:<12} {len(ms):>3} changes  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
        f"max {ms[-1]:6.1f} ms  {'ok' if ok else 'OVER TARGET'} | {len(reference)} checked "
        f"settings equal cx.funnel, which took {theirs / ours:.0f}x the explorer's time "
        f"(p50 {theirs * 1000:.0f} ms)"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="1M", help="touchpoints, e.g. 1M, 250k")
    parser.add_argument("--changes", type=int, default=50, help="widget changes per run")
    parser.add_argument(
        "--check", type=int, default=10, help="compare with cx.funnel every N changes"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=HERE / ".cache")
    args = parser.parse_args(argv)

    import polars as pl

    from cxlib.pages.explore import FunnelExplorer

    rows = parse_size(args.size)
    touchpoints = pl.read_parquet(cached_touchpoints(rows, args.cache))
    start = time.perf_counter()
    explorer = FunnelExplorer(touchpoints, steps=STEPS, within="7d")
    built = time.perf_counter() - start
    print(
        f"funnel explorer on {label(rows)} touchpoints ({touchpoints['customer_id'].n_unique():,}"
        f" customers): built in {built:.1f} s (once); per widget change to updated result:"
    )
    runs = [
        ("sequential", ["steps", "within", "by", "period"]),
        ("all orders", ["steps", "within", "by", "period", "order"]),
    ]
    ok = all([_run(explorer, touchpoints, name, widgets, args) for name, widgets in runs])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
