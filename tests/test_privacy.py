"""Personal data in free text is masked before anything is shown or exported (issue 18,
item 8): emails, phone numbers in Vietnamese, Thai and international formats, card-like
numbers and links carrying tokens; dates, prices, times and order numbers are not."""

from __future__ import annotations

import polars as pl
import pytest

import cxlib as cx
from cxlib.pages.tables import table
from cxlib.privacy import is_personal, mask_pii


def _masked(text: str) -> str:
    return pl.DataFrame({"t": [text]}).select(mask_pii(pl.col("t"))).item()


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Liên hệ tôi qua số +84 987555394", "Liên hệ tôi qua số [phone]"),
        ("gọi 0987 555 394 nhé", "gọi [phone] nhé"),
        ("số 0987.555.394", "số [phone]"),
        ("(028) 3823 4567", "[phone]"),
        ("โทร 081-234-5678 ด่วน", "โทร [phone] ด่วน"),
        ("0891112222", "[phone]"),
        ("+66 81 234 5678", "[phone]"),
        ("call +1 (415) 555-0100", "call [phone]"),
        ("mail somchai.k@hotmail.com", "mail [email]"),
        ("card 4111 1111 1111 1111 charged twice", "card [card] charged twice"),
        ("see https://shop.vn/order?token=abc123XYZ now", "see [link] now"),
    ],
)
def test_contact_details_are_masked(text, masked):
    assert _masked(text) == masked


@pytest.mark.parametrize(
    "text",
    ["delivered 2025-01-01", "01/01/2025 14:05", "order 12345 late", "price 1,250,000 VND",
     "ID 536000", "5 stars", "https://shop.vn/help", "đơn hàng 0123456 bị trễ", "0,5 kg",
     "1970-01-01 00:00:00.000000+00:00", "2025-03-09 02:30:00.000000"],
)  # fmt: skip
def test_dates_prices_and_order_numbers_are_left_alone(text):
    assert _masked(text) == text


def test_comments_are_masked_when_they_load_and_in_every_table():
    answers = pl.DataFrame(
        {
            "customer_id": ["a"],
            "ts": ["2025-01-01T00:00:00Z"],
            "survey": ["nps"],
            "score": [3],
            "comment": ["refund please, khach78@gmail.com / 0987 555 394"],
        }
    )
    assert cx.read_surveys(answers)["comment"].to_list() == ["refund please, [email] / [phone]"]
    html = table(pl.DataFrame({"note": ["call 081-234-5678"]}))._repr_html_()
    assert "081-234-5678" not in html and "[phone]" in html


@pytest.mark.parametrize("column", ["Email", "E-Mail", "phone_number", "Số điện thoại", "อีเมล"])
def test_personal_columns_are_known_whatever_their_spelling(column):
    assert is_personal(column)
