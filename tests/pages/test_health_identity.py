"""The data-health page's "Customers linked across ids" section (issue 19): what stitching
changed, the largest groups and the refused ids, pseudonymized; a note without [identity]."""

from __future__ import annotations

import polars as pl

import cxlib as cx
from cxlib.pages import health, needs

TOUCHPOINTS = """user_id,anonymous_id,ts,touchpoint,channel
,cookie-1,2025-01-01T10:00:00Z,product_view,web
u1,cookie-1,2025-01-01T10:10:00Z,purchase,web
u1,app-1,2025-01-02T09:00:00Z,product_view,app
,cookie-2,2025-01-02T11:00:00Z,product_view,web
unknown,cookie-3,2025-01-02T12:00:00Z,product_view,web
"""


def _dataset(folder, identity=True):
    (folder / "touchpoints.csv").write_text(TOUCHPOINTS, encoding="utf-8")
    if identity:
        (folder / "cx.toml").write_text('[identity]\ncolumns = ["user_id", "anonymous_id"]\n')
    return cx.load(folder)


def test_health_shows_customers_before_and_after_linking(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_PSEUDONYM_KEY", "k")
    ds = _dataset(tmp_path)
    assert needs.unavailable(ds, "identity") is None
    # before: cookie-1, u1, cookie-2, unknown; after: u1, cookie-2, cookie-3
    assert health.identity_links(ds).rows() == [(4, 3, 2, 1)]
    groups = health.linked_groups(ds)
    assert groups.select("rank", "ids", "rows").rows() == [(1, 3, 3)]
    assert groups["customer"].to_list() == [cx.privacy.pseudonym("u1", key="k")]
    refused = health.refused_ids(ds)
    assert refused.select("column", "linked_ids", "reason").rows() == [
        ("user_id", 1, "placeholder value")
    ]
    assert refused["id"].to_list() == [cx.privacy.pseudonym("unknown", key="k")]


def test_health_says_linking_is_not_available_without_identity(tmp_path):
    (tmp_path / "touchpoints.csv").write_text(
        TOUCHPOINTS.replace("user_id,", "customer_id,").replace("\n,", "\nx,"), encoding="utf-8"
    )
    ds = cx.load(tmp_path)
    note = needs.unavailable(ds, "identity")
    assert note is not None and "[identity]" in note
    assert health.identity_links(ds).height == 0
    assert health.linked_groups(ds).height == 0 and health.refused_ids(ds).height == 0
    assert isinstance(health.refused_ids(ds), pl.DataFrame)
