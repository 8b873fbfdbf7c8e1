"""Identity stitching (issue 19, part 2): ids written on one row are one person; the groups
match a brute-force breadth-first search over the id graph, the ledger reconciles, customer
ids are deterministic, guard rails refuse placeholders and over-linked ids, and emails are
hashed before anything is written."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxlib as cx
from cxlib.io import Stitched, stitch

COLUMNS = ("user_id", "anonymous_id", "email")
PLACEHOLDERS = ("unknown", "0", "null", "none", "n/a", "-", "guest", "anonymous")


# -- the reference: plain Python, one row at a time ---------------------------------------


def reference(tables, columns, *, max_ids=20, placeholders=PLACEHOLDERS):
    """Per table, each row's customer; and every id's customer and refusal reason."""
    rows = []  # per row: list of (column, id) in priority order
    for table in tables:
        for record in table:
            ids = []
            for column in columns:
                value = record.get(column)
                value = None if value is None else str(value).strip()
                if value:
                    ids.append((column, value))
            rows.append(ids)
    neighbours = {}
    for ids in rows:
        for node in ids:
            neighbours.setdefault(node, set()).update(other for other in ids if other != node)
    lowered = {p.lower() for p in placeholders}

    def placeholder(node):
        return node[1].lower() in lowered

    refused = {}
    for node, others in neighbours.items():
        if placeholder(node):
            refused[node] = ("placeholder value", len(others))
        else:
            real = [other for other in others if not placeholder(other)]
            if len(real) > max_ids:
                refused[node] = ("linked to too many ids", len(real))
    group = {}
    for start in neighbours:
        if start in group:
            continue
        if start in refused:
            group[start] = [start]
            continue
        members, queue = [start], deque([start])
        seen = {start}
        while queue:
            node = queue.popleft()
            for other in neighbours[node]:
                if other not in seen and other not in refused:
                    seen.add(other)
                    members.append(other)
                    queue.append(other)
        for node in members:
            group[node] = members
    priority = {column: i for i, column in enumerate(columns)}
    head = {
        node: min(members, key=lambda n: (priority[n[0]], n[1])) for node, members in group.items()
    }
    # two groups named by the same text from different columns stay apart: the one named
    # by the lower-priority column is called "column:id"
    heads = set(head.values())

    def name(node):
        clash = any(o[1] == node[1] and priority[o[0]] < priority[node[0]] for o in heads)
        return f"{node[0]}:{node[1]}" if clash else node[1]

    customer = {node: name(h) for node, h in head.items()}
    row_customers = []
    for ids in rows:
        usable = [customer[node] for node in ids if node not in refused]
        row_customers.append(usable[0] if usable else (customer[ids[0]] if ids else None))
    return row_customers, customer, refused


def _frames(tables, columns=COLUMNS):
    return {
        f"t{i}": pl.DataFrame(
            {c: [r.get(c) for r in table] for c in columns if any(c in r for r in table)},
            schema={c: pl.String for c in columns if any(c in r for r in table)},
        )
        for i, table in enumerate(tables)
    }


def _row_customers(frames, stitched):
    out = []
    for frame in frames.values():
        if any(c in frame.columns for c in stitched.columns):
            out += stitched.apply(frame)["customer_id"].to_list()
        else:
            out += [None] * frame.height
    return out


def _check_against_reference(tables, *, max_ids=20):
    frames = _frames(tables)
    stitched = stitch(frames, COLUMNS, max_ids=max_ids)
    rows, customer, refused = reference(tables, COLUMNS, max_ids=max_ids)
    assert _row_customers(frames, stitched) == rows
    mapping = {(c, i): cust for c, i, cust, _ in stitched.mapping.iter_rows()}
    assert mapping == customer
    got_refused = {(c, i): (reason, n) for c, i, n, reason in stitched.refused.iter_rows()}
    assert got_refused == refused
    # the ledger reconciles: ids usable for merging = customers they make + ids merged
    usable = len(customer) - len(refused)
    groups = {customer[node] for node in customer if node not in refused}
    assert usable == len(groups) + stitched.ledger.height
    assert stitched.customers_after == len({r for r in rows if r is not None})
    assert stitched.customers_before == len({ids for ids in _firsts(tables)})
    return stitched


def _firsts(tables):
    for table in tables:
        for record in table:
            for column in COLUMNS:
                value = record.get(column)
                if value is not None and str(value).strip():
                    yield (column, str(value).strip())
                    break


# -- hypothesis: random id graphs ---------------------------------------------------------

_VALUES = {
    "user_id": st.sampled_from(["u1", "u2", "u3", "u4", "unknown", " u1 ", ""]),
    "anonymous_id": st.sampled_from(["a1", "a2", "a3", "a4", "a5", "a6", "0", "guest"]),
    "email": st.sampled_from(["e1", "e2", "e3", "N/A", "u1"]),  # "u1": same text, other column
}


@st.composite
def _table(draw):
    columns = draw(st.sets(st.sampled_from(COLUMNS), min_size=1))
    records = draw(
        st.lists(
            st.fixed_dictionaries({c: st.one_of(st.none(), _VALUES[c]) for c in columns}),
            min_size=1,
            max_size=25,
        )
    )
    return records


@given(tables=st.lists(_table(), min_size=1, max_size=3), max_ids=st.integers(1, 6))
def test_stitch_matches_breadth_first_search_on_random_id_graphs(tables, max_ids):
    _check_against_reference(tables, max_ids=max_ids)


@given(length=st.integers(2, 40), cycle=st.booleans(), data=st.randoms(use_true_random=False))
def test_chains_and_cycles_become_one_customer_whatever_the_row_order(length, cycle, data):
    # a1-u1, u1-a2, a2-u2, ... : a chain (closed into a cycle) alternating columns
    records = []
    for i in range(length):
        records.append({"user_id": f"u{i:03d}", "anonymous_id": f"a{i:03d}"})
        records.append({"user_id": f"u{i:03d}", "anonymous_id": f"a{i + 1:03d}"})
    if cycle:
        records.append({"user_id": f"u{length - 1:03d}", "anonymous_id": "a000"})
    data.shuffle(records)
    stitched = _check_against_reference([records], max_ids=50)
    assert stitched.customers_after == 1
    assert stitched.mapping["customer_id"].unique().to_list() == ["u000"]
    assert stitched.ledger.height == 2 * length  # all ids but u000, named by it


# -- behaviour, on small hand-made tables ------------------------------------------------


def test_anonymous_events_before_login_end_up_on_the_known_customer():
    events = pl.DataFrame(
        {
            "user_id": [None, None, "u1", None, None],
            "anonymous_id": ["cookie-9", "cookie-9", "cookie-9", "app-3", "cookie-7"],
            "touchpoint": ["product_view", "add_to_cart", "purchase", "product_view", "visit"],
        }
    )
    app = pl.DataFrame({"user_id": ["u1"], "anonymous_id": ["app-3"], "touchpoint": ["login"]})
    stitched = stitch({"web": events, "app": app}, ["user_id", "anonymous_id"])
    assert stitched.apply(events)["customer_id"].to_list() == ["u1", "u1", "u1", "u1", "cookie-7"]
    assert (stitched.customers_before, stitched.customers_after) == (4, 2)
    assert stitched.ledger.rows() == [
        ("u1", "anonymous_id", "app-3", 2),
        ("u1", "anonymous_id", "cookie-9", 3),
    ]
    assert stitched.groups().rows() == [("u1", 3)]


def test_shared_device_and_placeholders_are_refused_and_do_not_merge():
    # one tablet in a shop, logged into by 4 customers; "unknown" written for missing ids
    rows = {
        "user_id": ["u1", "u2", "u3", "u4", "unknown", "unknown"],
        "anonymous_id": ["tablet", "tablet", "tablet", "tablet", "a1", "a2"],
    }
    stitched = stitch({"tp": pl.DataFrame(rows)}, ["user_id", "anonymous_id"], max_ids=3)
    assert sorted(stitched.refused.rows()) == [
        ("anonymous_id", "tablet", 4, "linked to too many ids"),
        ("user_id", "unknown", 2, "placeholder value"),
    ]
    customers = stitched.apply(pl.DataFrame(rows))["customer_id"].to_list()
    assert customers == ["u1", "u2", "u3", "u4", "a1", "a2"]
    assert stitched.ledger.height == 0


def test_customer_ids_do_not_depend_on_row_or_table_order():
    rows = {
        "user_id": [None, "u9", "u2", None, None],
        "anonymous_id": ["a1", "a1", "a1", "a7", "a3"],
        "email": ["e5", None, None, "e5", "e3"],
    }
    forward = pl.DataFrame(rows)
    backward = forward.reverse()
    one = stitch({"a": forward.head(2), "b": forward.tail(3)}, COLUMNS)
    two = stitch({"b": backward.head(3), "a": backward.tail(2)}, COLUMNS)
    assert one.mapping.sort("column", "id").equals(two.mapping.sort("column", "id"))
    assert one.ledger.equals(two.ledger)
    # highest-priority column present names the group, smallest value on ties
    assert set(one.apply(forward)["customer_id"]) == {"u2", "a3"}  # a3 outranks e3


def test_ids_are_compared_as_trimmed_text_in_any_dtype():
    numbers = pl.DataFrame({"loyalty_id": [1042, 1042], "user_id": ["u1", None]})
    texts = pl.DataFrame({"loyalty_id": [" 1042 "], "user_id": [None]})
    stitched = stitch({"store": numbers, "web": texts}, ["user_id", "loyalty_id"])
    assert stitched.apply(texts)["customer_id"].to_list() == ["u1"]


def test_a_frame_without_id_columns_is_returned_unchanged():
    stitched = stitch({"tp": pl.DataFrame({"user_id": ["u1"]})}, ["user_id"])
    other = pl.DataFrame({"customer_id": ["c1"], "plan": ["pro"]})
    assert stitched.apply(other) is other
    empty = stitch({"tp": other}, ["user_id"])
    assert (empty.customers_before, empty.customers_after, empty.mapping.height) == (0, 0, 0)


def test_apply_keeps_lazy_frames_lazy_and_does_not_change_the_input():
    frame = pl.DataFrame({"user_id": ["u1", None], "anonymous_id": ["a1", "a1"]})
    stitched = stitch({"tp": frame}, ["user_id", "anonymous_id"])
    out = stitched.apply(frame.lazy())
    assert isinstance(out, pl.LazyFrame)
    assert out.collect()["customer_id"].to_list() == ["u1", "u1"]
    assert frame.columns == ["user_id", "anonymous_id"]


def test_bad_arguments_raise_data_error():
    with pytest.raises(cx.DataError, match="distinct"):
        stitch({}, ["user_id", "user_id"])
    with pytest.raises(cx.DataError, match="max_ids"):
        stitch({}, ["user_id"], max_ids=0)


# -- loading a project with [identity] -----------------------------------------------------

TOUCHPOINTS = """user_id,anonymous_id,ts,touchpoint,channel
,cookie-1,2025-01-01T10:00:00Z,product_view,web
,cookie-1,2025-01-01T10:05:00Z,add_to_cart,web
u1,cookie-1,2025-01-01T10:10:00Z,purchase,web
u1,app-1,2025-01-02T09:00:00Z,product_view,app
,cookie-2,2025-01-02T11:00:00Z,product_view,web
unknown,cookie-3,2025-01-02T12:00:00Z,product_view,web
"""
SURVEYS = """email,ts,survey,score
 Lan.Nguyen@Shop.VN ,2025-01-03T10:00:00Z,nps,9
minh@shop.vn,2025-01-03T11:00:00Z,nps,4
"""
CUSTOMERS = """user_id,email,phone,plan
u1,lan.nguyen@shop.vn,+84 987 555 394,pro
u7,minh@shop.vn,0987-555-111,free
"""
IDENTITY = """[identity]
columns = ["user_id", "anonymous_id", "email"]
hash = ["email", "phone"]
max_ids = 20
"""


def _project(folder: Path, config: str | None = IDENTITY) -> Path:
    (folder / "touchpoints.csv").write_text(TOUCHPOINTS, encoding="utf-8")
    (folder / "surveys.csv").write_text(SURVEYS, encoding="utf-8")
    (folder / "customers.csv").write_text(CUSTOMERS.replace("u7", "u7"), encoding="utf-8")
    if config is not None:
        (folder / "cx.toml").write_text(config, encoding="utf-8")
    return folder


def test_load_with_identity_stitches_every_table(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_PSEUDONYM_KEY", "test-key")
    ds = cx.load(_project(tmp_path))
    assert isinstance(ds.stitched, Stitched)
    assert ds.touchpoints["customer_id"].to_list() == [
        "u1", "u1", "u1", "u1", "cookie-2", "cookie-3",
    ]  # fmt: skip
    assert ds.surveys["customer_id"].to_list() == ["u1", "u7"]
    assert ds.customers["customer_id"].to_list() == ["u1", "u7"]
    # before: cookie-1, u1, cookie-2, unknown, 2 emails, u7; after: u1, u7, cookie-2, -3
    assert (ds.stitched.customers_before, ds.stitched.customers_after) == (7, 4)
    assert ds.stitch_refused.select("column", "id", "reason").rows() == [
        ("user_id", "unknown", "placeholder value")
    ]
    merged = ds.stitches.filter(pl.col("customer_id") == "u1")
    assert merged.select("column", "rows").sort("column").rows() == [
        ("anonymous_id", 1), ("anonymous_id", 3), ("email", 2),
    ]  # fmt: skip
    assert ds.summary()["rejected"].sum() == 0


def test_load_with_identity_writes_no_raw_email_or_phone(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_PSEUDONYM_KEY", "test-key")
    folder = _project(tmp_path)
    rejected = "minh@shop.vn,2025-01-03T11:00:00Z,nps,4\nhoa@shop.vn,2025-01-04,nps,11\n"
    (folder / "surveys.csv").write_text(SURVEYS + rejected, encoding="utf-8")
    with pytest.warns(cx.io.RejectedRowsWarning):
        ds = cx.load(folder)
    assert ds.rejects.height == 2  # a duplicate row and an NPS of 11
    frames = [ds.touchpoints, ds.surveys, ds.customers, ds.rejects]
    frames += [ds.stitched.mapping, ds.stitched.ledger, ds.stitched.refused]
    text = "\n".join(str(frame.rows()) for frame in frames).lower()
    for raw in ("lan.nguyen", "minh@", "hoa@", "@shop.vn", "987 555", "987555", "0987"):
        assert raw not in text
    # the same email written two ways is one hash, so the survey found its customer
    emails = ds.customers["email"].to_list() + ds.surveys["email"].to_list()
    assert all(e.startswith("h-") for e in emails) and len(set(emails)) == 2
    phones = ds.customers["phone"].to_list()
    assert (
        phones[0].startswith("h-")
        and phones[0]
        == cx.io.hash_ids(pl.DataFrame({"phone": ["84987555394"]}), ["phone"], key="test-key")[
            "phone"
        ][0]
    )


def test_load_without_identity_keeps_customer_id_as_it_is(tmp_path):
    folder = _project(tmp_path, config=None)
    (folder / "touchpoints.csv").write_text(
        TOUCHPOINTS.replace("user_id,anonymous_id", "customer_id,anonymous_id").replace(
            "\n,cookie", "\nx,cookie"
        ),
        encoding="utf-8",
    )
    (folder / "surveys.csv").unlink()
    (folder / "customers.csv").unlink()
    ds = cx.load(folder)
    assert ds.stitched is None and ds.stitches is None and ds.stitch_refused is None
    assert ds.touchpoints["customer_id"].to_list() == ["x", "x", "u1", "u1", "x", "unknown"]


def test_a_wrong_identity_key_is_a_one_line_error_naming_cx_toml(tmp_path):
    _project(tmp_path, config='[identity]\ncolums = ["user_id"]\n')
    with pytest.raises(cx.DataError, match=r"cx\.toml: \[identity\] colums .*'columns'"):
        cx.load(tmp_path)
    (tmp_path / "cx.toml").write_text('[identity]\ncolumns = ["user_id"]\nmax_ids = 0\n')
    with pytest.raises(cx.DataError, match=r"max_ids must be a whole number above zero"):
        cx.load(tmp_path)


def test_load_with_identity_keeps_lazy_tables_lazy(tmp_path):
    ds = cx.load(_project(tmp_path), lazy=True)
    assert isinstance(ds.touchpoints, pl.LazyFrame) and isinstance(ds.customers, pl.LazyFrame)
    assert ds.touchpoints.collect()["customer_id"].to_list()[:4] == ["u1"] * 4
    assert ds.stitched.customers_after == 4


def test_groups_named_by_the_same_text_in_two_columns_stay_two_customers():
    # user_id "1042" and loyalty_id "1042" are two people until a row links them
    web = pl.DataFrame(
        {"user_id": ["1042"], "loyalty_id": [None]},
        schema={"user_id": pl.String, "loyalty_id": pl.String},
    )
    store = pl.DataFrame({"loyalty_id": ["1042", "1042"]})
    stitched = stitch({"web": web, "store": store}, ["user_id", "loyalty_id"])
    assert stitched.apply(web)["customer_id"].to_list() == ["1042"]
    assert stitched.apply(store)["customer_id"].to_list() == ["loyalty_id:1042"] * 2
    assert stitched.customers_after == 2


def test_customers_linked_into_one_keep_their_first_row_and_reject_the_other(tmp_path):
    folder = _project(tmp_path)
    (folder / "customers.csv").write_text(
        "user_id,anonymous_id,plan\nu1,,pro\n,cookie-1,free\n", encoding="utf-8"
    )
    with pytest.warns(cx.io.RejectedRowsWarning):
        ds = cx.load(folder)
    assert ds.customers.select("customer_id", "plan").rows() == [("u1", "pro")]
    assert ds.rejects.select("kind", "reason", "value").rows() == [
        ("customers", "duplicate customer_id after stitching", "u1")
    ]
    summary = ds.summary().filter(pl.col("kind") == "customers")
    assert summary.select("read", "loaded", "rejected").rows() == [(2, 1, 1)]


def test_a_partly_empty_customer_id_renamed_to_an_id_column_loads_every_row(tmp_path):
    # the shop's customer_id is the login id: empty on the anonymous rows
    (tmp_path / "touchpoints.csv").write_text(
        TOUCHPOINTS.replace("user_id,anonymous_id", "customer_id,anonymous_id"), encoding="utf-8"
    )
    (tmp_path / "cx.toml").write_text(
        IDENTITY.replace(', "email"', "") + '[columns.touchpoints]\nuser_id = "customer_id"\n'
    )
    ds = cx.load(tmp_path)
    assert ds.summary()["rejected"].sum() == 0
    assert ds.touchpoints.columns[:2] == ["customer_id", "ts"]
    assert ds.touchpoints["user_id"].to_list() == [None, None, "u1", "u1", None, "unknown"]
    assert ds.touchpoints["customer_id"].to_list() == [
        "u1", "u1", "u1", "u1", "cookie-2", "cookie-3",
    ]  # fmt: skip
