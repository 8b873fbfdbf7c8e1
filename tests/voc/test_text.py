"""Comment text in English, Vietnamese and Thai: language, tokens, stop words, themes.

The Thai path is checked on real Thai sentences (segmented offline by PyThaiNLP), not only on
the sample's sentence bank.
"""

from __future__ import annotations

import unicodedata

import polars as pl
import pytest

from cxlib import voc
from cxlib.sample import COMMENTS
from cxlib.voc._text import (
    language_expr,
    normalize_expr,
    stop_words,
    thai_tokens,
    tokenize,
    word_tokens,
)


def _themes(*comments: str) -> list[str]:
    return voc.comment_themes(pl.DataFrame({"comment": list(comments)}))["theme"].to_list()


def test_language_comes_from_the_script():
    texts = [
        "ค่าส่งแพงเกินไป",
        "Giao hàng nhanh, rất hài lòng.",
        "Fast delivery, very happy.",
        unicodedata.normalize("NFD", "Phí vận chuyển quá cao."),
        None,
    ]
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    assert frame.select(language_expr("text")).to_series().to_list() == [
        "th",
        "vi",
        "en",
        "vi",
        None,
    ]


def test_a_short_vietnamese_comment_with_one_shared_accent_is_vietnamese():
    texts = ["Giao sai hàng", "Phí ship cao", "café latte", "à la carte", "giao hang cham qua",
             "The app hangs at checkout"]  # fmt: skip
    frame = pl.DataFrame({"text": texts})
    assert frame.select(language_expr("text")).to_series().to_list() == [
        "vi", "vi", "en", "en", "vi", "en",
    ]  # fmt: skip


def test_thai_is_segmented_into_words_offline():
    assert tokenize("ค่าส่งแพงเกินไป") == ["ค่า", "ส่ง", "แพง", "เกินไป"]
    assert tokenize("จัดส่งรวดเร็ว พอใจมาก") == ["จัดส่ง", "รวดเร็ว", "พอใจ", "มาก"]
    # theme keywords stay whole even where the dictionary holds a longer compound
    assert thai_tokens("พนักงานบริการดีมาก", keywords=["พนักงาน", "บริการ"])[:2] == [
        "พนักงาน",
        "บริการ",
    ]
    assert thai_tokens("ค่าส่งแพงเกินไป", keywords=["ค่าส่ง"]) == ["ค่าส่ง", "แพง", "เกินไป"]


def test_vietnamese_gives_syllables_in_one_normal_form():
    decomposed = unicodedata.normalize("NFD", "Phí vận chuyển quá cao.")
    assert tokenize(decomposed) == ["phí", "vận", "chuyển", "quá", "cao"]
    assert tokenize("Phí vận chuyển quá cao.") == tokenize(decomposed)


def test_word_tokens_keep_clause_breaks_contractions_and_syllables():
    assert word_tokens(["the courier didn’t show up, sadly"], "en") == [
        ["the", "courier", "didn't", "show", "up", ",", "sadly"]
    ]
    decomposed = pl.DataFrame({"t": [unicodedata.normalize("NFD", "Giao trễ 5 ngày, bể ly")]})
    normal = decomposed.select(normalize_expr("t")).item()  # NFC, lower case
    assert word_tokens([normal], "vi") == word_tokens(["giao trễ 5 ngày, bể ly"], "vi")
    assert word_tokens(["giao trễ 5 ngày, bể ly"], "vi") == [
        ["giao", "trễ", "5", "ngày", ",", "bể", "ly"]
    ]
    # Thai writes a space between phrases: it ends a clause like a comma
    assert word_tokens(["ส่งไม่ช้า สินค้าแตก"], "th") == [["ส่ง", "ไม่", "ช้า", ",", "สินค้า", "แตก"]]


def test_thai_keywords_split_compounds_but_not_words_that_merely_contain_them():
    keywords = ["ช้า", "ราคา", "แพง"]
    assert thai_tokens("ราคาแพงมาก", keywords=keywords)[:2] == ["ราคา", "แพง"]
    assert thai_tokens("ช้างตัวนี้น่ารัก", keywords=keywords)[0] == "ช้าง"  # elephant, not slow


def test_stop_words_cover_the_three_languages():
    words = stop_words()
    assert {"the", "and"} <= words["en"]
    assert {"và", "của", "rất"} <= words["vi"]
    assert {"และ", "ที่"} <= words["th"]


@pytest.mark.parametrize("language", ["en", "vi", "th"])
def test_themes_recover_the_sample_comment_bank(language):
    rows = [
        (theme, sentence)
        for theme, sentiments in COMMENTS[language].items()
        for sentences in sentiments.values()
        for sentence in sentences
    ]
    frame = pl.DataFrame({"truth": [r[0] for r in rows], "comment": [r[1] for r in rows]})
    themed = voc.comment_themes(frame)
    assert (themed["language"] == language).all()
    accuracy = (themed["theme"] == themed["truth"]).mean()
    assert accuracy >= 0.95, themed.filter(pl.col("theme") != pl.col("truth"))


def test_themes_of_real_thai_sentences_outside_the_sample():
    assert _themes(
        "ค่าส่งแพงเกินไป",  # shipping is too expensive
        "จัดส่งรวดเร็ว พอใจมาก",  # fast delivery, very satisfied
        "พนักงานบริการดีมาก",  # the staff's service is very good
        "ราคาแพงไปหน่อยสำหรับสินค้าแบบนี้",  # a bit pricey for this product
        "สั่งของไปหนึ่งอาทิตย์แล้วยังไม่ได้รับของเลย",  # ordered a week ago, still nothing
        "แอปเด้งออกตอนกดจ่ายเงิน",  # the app crashes when I pay
        "โทรหาคอลเซ็นเตอร์หลายรอบไม่มีใครรับสาย",  # called the call centre, no answer
        "เสื้อที่ได้รับขาดตั้งแต่แกะกล่อง คุณภาพไม่ดีเลย",  # torn shirt, poor quality
        "อยากให้มีส่งฟรีเมื่อซื้อครบ 500 บาท",  # wish for free shipping over 500
        "ช้างตัวนี้น่ารักมาก",  # "this elephant is cute": no theme
    ) == [
        "shipping_cost",
        "delivery_speed",
        "support",
        "price",
        "delivery_speed",
        "app_checkout",
        "support",
        "product_quality",
        "shipping_cost",
        "other",
    ]


def test_themes_of_real_vietnamese_and_english_sentences():
    assert _themes(
        "Nhân viên tư vấn nhiệt tình",
        "Giao hàng siêu nhanh, đóng gói cẩn thận",
        "Áo bị lỗi đường may, chất lượng kém",
        "Ứng dụng hay bị văng khi thanh toán",
        unicodedata.normalize("NFD", "Phí ship đắt quá"),
        "The courier was two days late",
        "Refund took forever, agent was rude",
        "Way too pricey",
    ) == [
        "support",
        "delivery_speed",
        "product_quality",
        "app_checkout",
        "shipping_cost",
        "delivery_speed",
        "support",
        "price",
    ]


def test_longest_keyword_wins_where_keywords_overlap():
    # "delivery cost" is about shipping cost, not a "delivery" (speed) plus a "cost" (price)
    assert _themes("Delivery cost more than the item, so I left my cart.") == ["shipping_cost"]
    # more mentions win: two price words against one quality word
    assert _themes("Giá quá đắt so với chất lượng.") == ["price"]


def test_custom_themes_and_rows_without_text():
    themes = {"packaging": {"en": ["box*", "packag*"], "th": ["กล่อง"]}}
    frame = pl.DataFrame({"comment": ["The box was crushed", None, "  ", "ขนส่งทำกล่องบุบ", "Nice"]})
    themed = voc.comment_themes(frame, themes=themes)
    assert themed["theme"].to_list() == ["packaging", "packaging", "other"]
    assert themed["mentions"].to_list() == [1, 1, 0]


def test_terms_drop_stop_words_and_pair_vietnamese_syllables():
    frame = pl.DataFrame(
        {
            "comment": [
                "Phí ship quá cao.",
                "Phí ship hợp lý.",
                "The shipping fee was high",
                "ค่าส่งแพงเกินไป",
            ]
        }
    )
    found = voc.terms(voc.comment_themes(frame), top=3)
    vietnamese = found.filter(pl.col("language") == "vi")
    assert vietnamese.row(0, named=True) | {"share": 1.0} == {
        "language": "vi",
        "term": "phí ship",
        "comments": 2,
        "share": 1.0,
    }
    english = set(found.filter(pl.col("language") == "en")["term"].to_list())
    assert "the" not in english and "was" not in english and "shipping" in english
    assert "ค่าส่งแพง" in found.filter(pl.col("language") == "th")["term"].to_list()
