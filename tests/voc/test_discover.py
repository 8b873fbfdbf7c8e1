"""Candidate themes among the comments no theme matches (issue 22, part 5): a topic planted
in each language is found with examples, the same every run, contact details masked, no
ids, and its ``cx.toml`` snippet, once added, themes those comments."""

from __future__ import annotations

import tomllib

import polars as pl
import pytest

import cxlib as cx
from cxlib import i18n, voc

PACKAGING = {
    "en": [
        "The packaging is so pretty, perfect as a gift",
        "Too much plastic packaging, please use paper",
        "Nice eco packaging",
        "They wrapped it in bubble wrap, great packaging",
        "Packaging looked sad, call me 0987 555 394",
    ],
    "vi": [
        "Đóng gói cẩn thận, chắc chắn",
        "Đóng gói sơ sài quá",
        "Shop đóng gói đẹp, có thiệp",
        "Đóng gói bằng túi nilon mỏng",
        "Đóng gói kỹ, bọc nhiều lớp chống sốc",
    ],
    "th": [
        "แพ็คของมาดีมาก ห่อกันกระแทกหลายชั้น",
        "ห่อกันกระแทกมาอย่างดี",
        "ห่อกันกระแทกน้อยไป",
        "ห่อกันกระแทกแน่นหนา",
        "ห่อกันกระแทกบางมาก",
    ],
}
KNOWN = ["Delivery was late", "Giá quá đắt", "ค่าส่งแพงเกินไป"]  # themed: not candidates
ELSE = ["Thanks a lot", "Cảm ơn shop nhiều", "ขอบคุณค่ะ"]


@pytest.fixture(scope="module")
def comments() -> pl.DataFrame:
    texts = [c for group in PACKAGING.values() for c in group] + KNOWN * 3 + ELSE
    return pl.DataFrame({"customer_id": [f"c{i}" for i in range(len(texts))], "comment": texts})


@pytest.fixture(scope="module")
def found(comments) -> pl.DataFrame:
    return voc.discover_themes(comments, min_comments=3)


@pytest.mark.parametrize(
    ("language", "term"), [("en", "packaging"), ("vi", "đóng gói"), ("th", "ห่อ")]
)
def test_the_planted_topic_is_a_candidate_with_its_comments_as_examples(found, language, term):
    candidate = found.filter((pl.col("language") == language) & (pl.col("candidate") == 1))
    assert candidate.height == 1, found
    row = candidate.row(0, named=True)
    assert term in row["terms"][:2]
    assert row["name"] == row["terms"][0]
    assert row["comments"] == 5
    assert 0 < row["share"] <= 1
    assert all(term in example.lower() for example in row["examples"])


def test_candidates_come_only_from_unmatched_comments_and_show_no_ids(found, comments):
    examples = set(found["examples"].explode().to_list())
    assert not examples & set(KNOWN)
    assert found.columns == [
        "language",
        "candidate",
        "name",
        "terms",
        "comments",
        "share",
        "examples",
        "snippet",
    ]
    assert not any(cid in str(found.to_dicts()) for cid in comments["customer_id"])


def test_examples_have_contact_details_masked(comments):
    found = voc.discover_themes(comments, min_comments=3, examples=10)
    english = found.filter(pl.col("language") == "en")["examples"].explode().to_list()
    assert "Packaging looked sad, call me [phone]" in english
    assert not any("0987" in example for example in english)


def test_the_same_data_gives_the_same_candidates(comments, found):
    assert voc.discover_themes(comments.reverse(), min_comments=3).equals(found)


def test_the_snippet_once_added_to_the_themes_themes_those_comments(found, comments):
    snippet = found.filter(pl.col("language") == "vi").row(0, named=True)["snippet"]
    added = tomllib.loads(snippet)["themes"]
    assert list(added) == [found.filter(pl.col("language") == "vi")["name"][0]]
    themed = voc.comment_themes(comments, themes={**voc.THEMES, **added})
    vietnamese = themed.filter(pl.col("comment").is_in(PACKAGING["vi"]))
    assert vietnamese["theme"].to_list() == list(added) * 5


def test_an_already_themed_frame_is_used_as_it_is(comments, found):
    assert voc.discover_themes(voc.comment_themes(comments), min_comments=3).equals(found)


def test_no_unmatched_comment_gives_no_candidate_and_says_so():
    themed = voc.comment_themes(pl.DataFrame({"comment": KNOWN}))
    found = voc.discover_themes(themed)
    assert found.height == 0 and "snippet" in found.columns
    assert voc.unmatched_sentence(themed).startswith("Every comment matches a theme")


def test_the_sentence_counts_unmatched_comments_in_the_report_language(comments):
    themed = voc.comment_themes(comments)
    unmatched = themed.filter(pl.col("theme") == "other").height
    assert voc.unmatched_sentence(themed).startswith(f"{unmatched} of {themed.height} comments")
    try:
        i18n.use("vi")
        assert "cx.toml" in voc.unmatched_sentence(themed)
        assert "comments" not in voc.unmatched_sentence(themed)
    finally:
        i18n.use("en")


def test_a_missing_text_column_is_a_data_error():
    with pytest.raises(cx.DataError, match="text column 'comment' is missing"):
        voc.discover_themes(pl.DataFrame({"text": ["a"]}))
