"""Time identity stitching (``cx.stitch``) against a hand-written union-find; print ratios.

Usage (from the repository root)::

    .venv/bin/python benchmarks/stitch.py                      # 10M rows
    .venv/bin/python benchmarks/stitch.py --sizes 1M,10M --union-find-max 10M

The data: touchpoints with two id columns, ``anonymous_id`` on every row (a device or
cookie) and ``user_id`` on about 30% (the rows after a login). People own 1-3 devices; 0.1%
of devices are shared (a shop tablet, a family laptop) and get logged into by many people,
so the ``max_ids`` guard rail has work to do; 1% of user ids are the placeholder "0".

Contenders, each run once on the same frame, interleaved per size:

cxlib         cx.stitch(...) then .apply(frame): polars factorizes the ids, scipy's
              connected_components labels the graph, a polars join sets customer_id
union-find    pure Python: one pass over the rows for the links (guard rails as cx.stitch:
              placeholders and ids linked to more than max_ids others are not merged), a
              dict union-find with path halving and union by size, then one pass to name
              each row's customer. networkx is not installed, so it is not a contender.

The two must give every row the same customer; the run fails otherwise. Wall seconds
(``time.perf_counter``) and CPU seconds (``time.process_time``) of this process are printed
with their ratios to cxlib. Inputs are built before the timers start.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synthetic import label, parse_size  # noqa: E402

import cxlib as cx  # noqa: E402 - after the path set-up

COLUMNS = ["user_id", "anonymous_id"]
MAX_IDS = 20
PLACEHOLDERS = ("unknown", "0", "null", "none", "n/a", "-", "guest", "anonymous")


def touchpoints(rows: int, seed: int = 7) -> pl.DataFrame:
    """``user_id`` (30% of rows), ``anonymous_id`` (all rows), as described above."""
    rng = np.random.default_rng(seed)
    devices = max(rows // 20, 10)
    people = max(devices * 2 // 3, 5)
    owner = rng.integers(0, people, devices)
    shared = rng.random(devices) < 0.001
    device = rng.integers(0, devices, rows)
    person = np.where(shared[device], rng.integers(0, people, rows), owner[device])
    logged_in = rng.random(rows) < 0.30
    placeholder = rng.random(rows) < 0.01
    raw = pl.DataFrame(
        {"person": person, "device": device, "logged_in": logged_in, "placeholder": placeholder}
    )
    return raw.select(
        pl.when("logged_in")
        .then(
            pl.when("placeholder")
            .then(pl.lit("0"))
            .otherwise("u" + pl.col("person").cast(pl.String))
        )
        .alias("user_id"),
        ("a" + pl.col("device").cast(pl.String)).alias("anonymous_id"),
    )


def with_cxlib(frame: pl.DataFrame) -> pl.Series:
    stitched = cx.stitch({"touchpoints": frame}, COLUMNS, max_ids=MAX_IDS)
    return stitched.apply(frame).get_column("customer_id")


def with_union_find(frame: pl.DataFrame) -> list[str]:
    """The same rules in plain Python, row by row."""
    users = frame.get_column("user_id").to_list()
    devices = frame.get_column("anonymous_id").to_list()
    neighbours: dict[tuple[str, str], set[tuple[str, str]]] = {}
    placeholders = set(PLACEHOLDERS)
    for user, device in zip(users, devices, strict=True):
        if user is None:
            continue
        u, d = ("user_id", user), ("anonymous_id", device)
        neighbours.setdefault(u, set()).add(d)
        neighbours.setdefault(d, set()).add(u)

    def refused(node: tuple[str, str]) -> bool:
        if node[1].lower() in placeholders:
            return True
        others = neighbours.get(node, ())
        return sum(1 for o in others if o[1].lower() not in placeholders) > MAX_IDS

    refusal = {node: refused(node) for node in neighbours}
    parent: dict[tuple[str, str], tuple[str, str]] = {}
    size: dict[tuple[str, str], int] = {}

    def find(node):
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra == rb:
            return
        if size.get(ra, 1) < size.get(rb, 1):
            ra, rb = rb, ra
        parent[rb] = ra
        size[ra] = size.get(ra, 1) + size.get(rb, 1)

    for node, others in neighbours.items():
        if refusal[node]:
            continue
        for other in others:
            if not refusal[other]:
                union(node, other)
    # a group is named by its user_id if it has one (the smallest), else its smallest device
    best: dict[tuple[str, str], tuple[int, str]] = {}
    for node in parent:
        if refusal.get(node, False):
            continue
        root = find(node)
        key = (0 if node[0] == "user_id" else 1, node[1])
        if root not in best or key < best[root]:
            best[root] = key
    names = {}
    for node in parent:
        if not refusal.get(node, False):
            names[node] = best[find(node)][1]
    out = []
    for user, device in zip(users, devices, strict=True):
        u, d = ("user_id", user), ("anonymous_id", device)
        if user is not None and not refusal.get(u, user.lower() in placeholders):
            out.append(names[u])
        elif not refusal.get(d, False):
            out.append(names.get(d, device))
        else:
            out.append(user if user is not None else device)
    return out


def _clock(run, frame):
    wall, cpu = time.perf_counter(), time.process_time()
    result = run(frame)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10M", help="rows, comma-separated (default 10M)")
    parser.add_argument(
        "--union-find-max", default="10M", help="largest size the pure-Python union-find runs at"
    )
    args = parser.parse_args()
    limit = parse_size(args.union_find_max)
    print(f"{'rows':>6} {'engine':<11} {'wall s':>8} {'cpu s':>8} {'wall/cx':>8} {'cpu/cx':>7}")
    for rows in [parse_size(size) for size in args.sizes.split(",")]:
        frame = touchpoints(rows)
        wall, cpu, stitched = _clock(with_cxlib, frame)
        expected, customers = stitched.to_list(), stitched.n_unique()  # untimed
        print(f"{label(rows):>6} {'cxlib':<11} {wall:8.2f} {cpu:8.2f} {1:8.1f} {1:7.1f}")
        if rows <= limit:
            uf_wall, uf_cpu, result = _clock(with_union_find, frame)
            if result != expected:
                wrong = sum(a != b for a, b in zip(result, expected, strict=True))
                raise SystemExit(f"union-find disagrees with cx.stitch on {wrong:,} rows")
            print(
                f"{label(rows):>6} {'union-find':<11} {uf_wall:8.2f} {uf_cpu:8.2f} "
                f"{uf_wall / wall:8.1f} {uf_cpu / cpu:7.1f}"
            )
        print(f"{label(rows):>6} same customers for every row: {customers:,} customers")


if __name__ == "__main__":
    main()
