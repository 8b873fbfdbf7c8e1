"""Comment themes: keyword groups in English, Vietnamese and Thai, themes × scores, quotes.

A theme is a named group of keywords per language (:data:`THEMES`; pass your own dict of
the same shape to change or add themes). A comment's *theme* is the one whose keywords it
mentions most; ties go to the theme listed first, which is why the specific themes (shipping
cost) come before the general ones (price). Keywords are matched as whole words on the
normalized text (:mod:`cxlib.voc._text`): English words, where ``*`` at the end matches any ending
(``deliver*``: deliver, delivered, delivery); Vietnamese syllable phrases ("phí vận chuyển");
Thai dictionary words on the segmented text, which may span two tokens when the segmenter
splits a keyword. Overlapping keywords count once, the longest winning ("delivery cost" is
shipping cost, not a delivery-speed "delivery" plus a price "cost"). A comment that mentions
no keyword is ``other``.

Keyword groups rather than a topic model: comments are short (one sentence), themes must be
named and stable between weekly runs, and the same theme must be found in three languages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from cxlib._engine import lazy as _lazy
from cxlib._engine import like_input, to_polars
from cxlib._errors import DataError
from cxlib.voc._text import language_expr, segmented_expr, stop_words

Themes = Mapping[str, Mapping[str, Sequence[str]]]
OTHER = "other"

THEMES: Themes = {
    "shipping_cost": {
        "en": [
            "shipping",
            "shipping cost*",
            "shipping fee*",
            "free shipping",
            "delivery cost*",
            "delivery fee*",
            "postage",
        ],
        "vi": [
            "phí vận chuyển",
            "miễn phí vận chuyển",
            "phí ship",
            "phí giao hàng",
            "tiền ship",
            "freeship",
            "free ship",
        ],
        "th": ["ค่าส่ง", "ค่าส่งแพง", "ส่งฟรี", "ค่าจัดส่ง", "ค่าขนส่ง"],
    },
    "app_checkout": {
        "en": [
            "checkout",
            "check out",
            "app",
            "payment*",
            "pay",
            "paying",
            "froze",
            "crash*",
            "steps",
        ],
        "vi": ["thanh toán", "ứng dụng", "app", "bị treo", "nhiều bước"],
        "th": ["ชำระเงิน", "จ่ายเงิน", "แอป", "แอพ", "ขั้นตอน", "ตะกร้า"],
    },
    "support": {
        "en": [
            "support",
            "agent",
            "customer service",
            "hotline",
            "helpful",
            "contacted",
            "call center",
            "refund*",
        ],
        "vi": [
            "hỗ trợ",
            "nhân viên",
            "chăm sóc khách hàng",
            "tổng đài",
            "chờ máy",
            "giải quyết",
            "hoàn tiền",
        ],
        "th": ["พนักงาน", "ฝ่ายบริการ", "บริการลูกค้า", "ติดต่อ", "รอสาย", "แก้ปัญหา", "คอลเซ็นเตอร์", "คืนเงิน"],
    },
    "delivery_speed": {
        "en": [
            "deliver*",
            "arriv*",
            "late",
            "slow",
            "earlier than",
            "on time",
            "delay*",
            "courier",
        ],
        "vi": ["giao hàng", "giao trễ", "giao chậm", "hàng đến", "sớm hơn dự kiến", "giao", "trễ"],
        "th": ["จัดส่ง", "ส่งช้า", "มาช้า", "ช้ามาก", "มาถึง", "ส่งเร็ว", "ขนส่ง", "ได้รับของ"],
    },
    "product_quality": {
        "en": [
            "product*",
            "quality",
            "broke*",
            "broken",
            "described",
            "photo*",
            "defect*",
            "damaged",
        ],
        "vi": ["chất lượng", "sản phẩm", "hỏng", "mô tả", "hình", "bị lỗi"],
        "th": ["สินค้า", "คุณภาพ", "รายละเอียด", "ในรูป", "ชำรุด", "พัง"],
    },
    "price": {
        "en": ["price*", "pricey", "expensive", "cheap*", "value for money", "overpriced", "cost*"],
        "vi": ["giá", "giá cả", "đắt", "rẻ", "đáng đồng tiền", "tăng giá"],
        "th": ["ราคา", "แพง", "คุ้มค่า", "ถูกกว่า", "ขึ้นราคา"],
    },
}


def _check(themes: Themes) -> None:
    if not themes or any(not isinstance(groups, Mapping) for groups in themes.values()):
        raise DataError(
            "themes must map a theme name to {language: [keywords]}, e.g. "
            "{'price': {'en': ['price*'], 'vi': ['giá'], 'th': ['ราคา']}}"
        )


def _pattern(keyword: str, language: str) -> str:
    """Regex of one keyword on the normalized (and, for Thai, segmented) text."""
    keyword = keyword.lower().strip()
    if language == "th":
        # the keyword starts a word; the segmenter may have cut it in two: allow a space
        # between any two of its characters
        return r"\b" + " ?".join(re.escape(ch) for ch in keyword.replace(" ", ""))
    stem = keyword.endswith("*")
    words = keyword.rstrip("*").split()
    body = r"\s+".join(re.escape(w) for w in words)
    return r"\b" + body + (r"\w*" if stem else r"\b")


def _keywords(themes: Themes, language: str) -> list[tuple[str, str]]:
    """(keyword, theme) pairs of a language, longest keyword first."""
    pairs = [(k, t) for t, groups in themes.items() for k in groups.get(language, ())]
    return sorted(pairs, key=lambda pair: -len(pair[0].rstrip("*")))


def _hits(frame: pl.DataFrame, themes: Themes) -> pl.DataFrame:
    """One row per keyword hit: ``__i`` (row), ``theme``."""
    parts = []
    for language in frame.get_column("language").drop_nulls().unique().to_list():
        pairs = _keywords(themes, language)
        if not pairs:
            continue
        rows = frame.filter(pl.col("language") == language)
        alternation = "|".join(f"(?:{_pattern(k, language)})" for k, _ in pairs)
        found = (
            rows.select("__i", pl.col("segmented").str.extract_all(alternation).alias("__m"))
            .explode("__m")
            .drop_nulls("__m")
        )
        if language == "th":
            found = found.with_columns(pl.col("__m").str.replace_all(" ", ""))
        theme = pl.lit(None, dtype=pl.String)
        for keyword, name in reversed(pairs):  # the longest keyword decides, as in matching
            whole = "^" + _pattern(keyword, language).removeprefix(r"\b") + "$"
            if language == "th":
                whole = "^" + re.escape(keyword.replace(" ", "")) + "$"
            theme = pl.when(pl.col("__m").str.contains(whole)).then(pl.lit(name)).otherwise(theme)
        parts.append(found.select("__i", theme.alias("theme")).drop_nulls("theme"))
    if not parts:
        return pl.DataFrame(schema={"__i": pl.UInt32, "theme": pl.String})
    return pl.concat(parts)


def comment_themes(surveys: Any, *, themes: Themes | None = None, column: str = "comment") -> Any:
    """The theme of each comment, with its language and the themes it mentions.

    Parameters
    ----------
    surveys : frame
        Survey answers (any columns) with a text column; rows without text are dropped.
    themes : dict, optional
        ``{theme: {language: [keywords]}}``; default :data:`THEMES` (shipping_cost,
        app_checkout, support, delivery_speed, product_quality, price).
    column : str
        The text column.

    Returns
    -------
    frame
        The input's rows that have text and its columns, plus ``language`` (en/vi/th),
        ``theme`` (the most mentioned; ``other`` when none) and ``mentions`` (number of
        keyword hits of that theme).

    Examples
    --------
    >>> import polars as pl
    >>> answers = pl.DataFrame({"comment": ["Phí vận chuyển quá cao.", "ค่าส่งแพงเกินไป",
    ...                                     "My order arrived a week late."]})
    >>> comment_themes(answers)["theme"].to_list()
    ['shipping_cost', 'shipping_cost', 'delivery_speed']
    """
    themes = THEMES if themes is None else themes
    _check(themes)
    frame = _lazy(surveys)
    if column not in frame.collect_schema().names():
        raise DataError(
            f"surveys: text column {column!r} is missing; pass column='<your comment column>'"
        )
    data = to_polars(frame).filter(
        pl.col(column).is_not_null() & (pl.col(column).str.strip_chars() != "")
    )
    data = data.with_row_index("__i").with_columns(language_expr(column).alias("language"))
    thai = [k for groups in themes.values() for k in groups.get("th", ())]
    data = data.with_columns(segmented_expr(data, text=column, language="language", keywords=thai))
    order = {name: rank for rank, name in enumerate(themes)}
    counts = (
        _hits(data, themes)
        .group_by("__i", "theme")
        .agg(pl.len().cast(pl.Int64).alias("mentions"))
        .with_columns(pl.col("theme").replace_strict(order, return_dtype=pl.Int64).alias("__o"))
        .sort(["__i", "mentions", "__o"], descending=[False, True, False])
        .group_by("__i", maintain_order=True)
        .first()
        .drop("__o")
    )
    result = (
        data.join(counts, on="__i", how="left")
        .sort("__i")
        .with_columns(pl.col("theme").fill_null(OTHER), pl.col("mentions").fill_null(0))
        .drop("__i", "segmented")
    )
    return like_input(result, surveys)


def terms(
    themed: Any, *, by: str | Sequence[str] = "language", top: int = 10, column: str = "comment"
) -> pl.DataFrame:
    """Most frequent words (stop words removed) per group: what the comments talk about,
    including what no theme catches yet (``by=["language", "theme"]``).

    Words are English words, Vietnamese two-syllable phrases (one syllable says little) and
    Thai dictionary words. Returns ``by..., term, comments, share`` (share of the group's
    comments that use the term).

    Examples
    --------
    >>> import polars as pl
    >>> themed = comment_themes(pl.DataFrame({"comment": ["ค่าส่งแพงเกินไป", "ค่าส่งแพงมาก"]}))
    >>> terms(themed)["term"].to_list()[:1]
    ['ค่าส่งแพง']
    """
    cols = [by] if isinstance(by, str) else list(by)
    frame = to_polars(_lazy(themed))
    if "language" not in frame.columns:
        frame = frame.with_columns(language_expr(column).alias("language"))
    frame = frame.filter(pl.col(column).is_not_null()).with_row_index("__i")
    thai = [k for groups in THEMES.values() for k in groups.get("th", ())]
    keys = list(dict.fromkeys([*cols, "language"]))
    words = (
        frame.select(
            "__i",
            *keys,
            segmented_expr(frame, text=column, language="language", keywords=thai)
            .str.extract_all(r"\w+")
            .alias("term"),
        )
        .explode("term")
        .drop_nulls("term")
        .with_columns(pl.int_range(pl.len()).over("__i").alias("__p"))
    )
    stops = pl.DataFrame(
        [(lang, w) for lang, ws in stop_words().items() for w in ws],
        schema={"language": pl.String, "term": pl.String},
        orient="row",
    )
    kept = words.join(stops, on=["language", "term"], how="anti").filter(
        ~pl.col("term").str.contains(r"^\d+$")
    )
    # Vietnamese: adjacent syllables that are both kept form the term ("phí ship")
    vietnamese = kept.filter(pl.col("language") == "vi")
    pairs = vietnamese.join(
        vietnamese.select("__i", (pl.col("__p") - 1).alias("__p"), pl.col("term").alias("__b")),
        on=["__i", "__p"],
    ).select("__i", *keys, (pl.col("term") + " " + pl.col("__b")).alias("term"))
    single = kept.filter(pl.col("language") != "vi").select("__i", *keys, "term")
    both = pl.concat([single, pairs]).unique(["__i", "term"])
    sizes = frame.group_by(cols).agg(pl.len().alias("__n"))
    counted = both.group_by([*keys, "term"]).agg(pl.len().cast(pl.Int64).alias("comments"))
    counted = (
        counted.join(sizes, on=cols)
        .with_columns((pl.col("comments") / pl.col("__n")).alias("share"))
        .drop("__n")
    )
    return (
        counted.sort([*cols, "comments", "term"], descending=[False] * len(cols) + [True, False])
        .group_by(cols, maintain_order=True)
        .head(top)
        .select(*cols, "term", "comments", "share")
    )
