"""Numbers the way exports write them: thousands separators and decimal commas
(``1,250.50``, ``1.250.000``, ``12,50``), read by the loaders and by ``cx init``."""

from __future__ import annotations

import polars as pl


def text_number(text: pl.Expr) -> pl.Expr:
    """Numbers written as text, with thousands separators and decimal commas as exports
    write them: ``1,250.50`` and ``1.250,50`` (both separators: the last one is the decimal
    point), ``1.250.000`` (VND), ``12,50``. A lone separator followed by exactly three
    digits (``1,250`` or ``1.250``) is a thousands separator only when another value of the
    column shows that style (a repeated separator, or the other one as decimal point).

    Examples
    --------
    >>> import polars as pl
    >>> values = ["1,250.50", "1.250,50", "1.250.000", "12,50", "2,000", " 7 ", "x"]
    >>> pl.DataFrame({"v": values}).select(text_number(pl.col("v")))["v"].to_list()
    [1250.5, 1250.5, 1250000.0, 12.5, 2000.0, 7.0, None]
    >>> pl.DataFrame({"v": ["1.250", "3.5"]}).select(text_number(pl.col("v")))["v"].to_list()
    [1.25, 3.5]
    """
    t = text.str.strip_chars().str.replace_all(r"[\s\u00a0\u202f']", "")
    both_dot_last = t.str.contains(r"^[+-]?\d[\d,]*\.\d+$") & t.str.contains(",")
    both_comma_last = t.str.contains(r"^[+-]?\d[\d.]*,\d+$") & t.str.contains(r"\.")
    many_commas = t.str.contains(r"^[+-]?\d{1,3}(,\d{3}){2,}$")
    many_dots = t.str.contains(r"^[+-]?\d{1,3}(\.\d{3}){2,}$")
    comma_decimal = t.str.contains(r"^[+-]?\d+,(\d{1,2}|\d{4,})$")  # 12,50: no thousands
    # the column's style decides a lone "1,250" / "1.250"
    dots_group = (both_comma_last | many_dots | comma_decimal).any()
    commas_group = (both_dot_last | many_commas).any()
    lone_comma = t.str.contains(r"^[+-]?\d{1,3},\d{3}$")
    lone_dot = t.str.contains(r"^[+-]?\d{1,3}\.\d{3}$")
    plain = t.str.replace_all(",", "")
    european = t.str.replace_all(r"\.", "").str.replace(",", ".", literal=True)
    rewritten = (
        pl.when(both_dot_last | many_commas)
        .then(plain)
        .when(both_comma_last | many_dots | comma_decimal)
        .then(european)
        .when(lone_comma)
        .then(pl.when(dots_group & ~commas_group).then(european).otherwise(plain))
        .when(lone_dot & dots_group & ~commas_group)
        .then(european)
        .otherwise(t)
    )
    return rewritten.cast(pl.Float64, strict=False)
