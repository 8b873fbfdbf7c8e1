"""Privacy for anything a stakeholder sees: pseudonymous ids, escaped text, safe CSV.

* Customer ids are replaced by a keyed hash (HMAC-SHA256) so a report can name "customer
  cx-3f9a1c2b7e" without revealing who that is. The key comes from the environment variable
  ``CX_PSEUDONYM_KEY`` (set it in the scheduler to keep pseudonyms stable across runs);
  without it a random key is drawn once per process, so pseudonyms cannot be reversed by
  hashing known ids, but they change from run to run.
* Survey comments and touchpoint names are untrusted text: HTML-escape them wherever they
  are shown (:func:`escape`).
* CSV exports neutralize spreadsheet formula prefixes (``= + - @``, tab, carriage return)
  by prefixing a single quote (OWASP "CSV injection").
"""

from __future__ import annotations

import hashlib
import hmac
import html
import os
import re
import secrets
from pathlib import Path

import polars as pl

from cxlib._errors import os_errors_as_data_errors

KEY_ENV = "CX_PSEUDONYM_KEY"
# Columns that hold personal data and never reach a stakeholder page as they are.
PERSONAL_COLUMNS = ("customer_id", "name", "email", "phone", "first_name", "last_name")
# Other names of such columns in exports, compared as lower-case words without punctuation.
_PERSONAL_NAMES = frozenset(
    {
        "full name", "fullname", "customer name", "first name", "last name", "surname",
        "e mail", "email address", "mail", "phone number", "mobile", "mobile phone",
        "telephone", "tel", "telefon", "vorname", "nachname", "address", "street", "adresse",
        "họ tên", "tên", "số điện thoại", "sđt", "điện thoại", "địa chỉ", "ชื่อ", "นามสกุล",
        "เบอร์โทร", "เบอร์โทรศัพท์", "อีเมล", "ที่อยู่",
    }
)  # fmt: skip
_process_key: bytes | None = None


# Contact details people write into comments, with what replaces them (checked in this
# order: a link's query may hold an email, a card number looks like a long phone number).
PII_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("link", r"https?://\S*[?#]\S+", "[link]"),  # a URL with a query or fragment: tokens
    ("email", r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", "[email]"),
    ("card", r"\b\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{1,7}\b", "[card]"),
    ("phone", r"\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}", "[phone]"),
    # VN / TH local, kept with the character before it; not the seconds of a time
    # ("00:00:00.000000"; the regex engine has no look-behind)
    ("phone", r"(^|[^:\d])\(?\b0\d{1,3}\)?(?:[\s.-]?\d{3,4}){2,3}\b", "${1}[phone]"),
)


def mask_pii(text: pl.Expr) -> pl.Expr:
    """Free text with emails, phone numbers (Vietnamese, Thai, international), card-like
    numbers and links carrying tokens replaced by ``[email]``, ``[phone]``, ``[card]``,
    ``[link]``; dates, prices and order numbers are left alone.

    Examples
    --------
    >>> import polars as pl
    >>> comments = pl.DataFrame({"c": ["gọi tôi 0987 555 394", "mail a.b@shop.vn now",
    ...                                 "โทร 081-234-5678", "order 12345 on 2025-01-01"]})
    >>> comments.select(mask_pii(pl.col("c")))["c"].to_list()
    ['gọi tôi [phone]', 'mail [email] now', 'โทร [phone]', 'order 12345 on 2025-01-01']
    """
    for _, pattern, placeholder in PII_PATTERNS:
        text = text.str.replace_all(pattern, placeholder)
    return text


def is_personal(column: str) -> bool:
    """Whether a column name says it holds personal data (names, emails, phones, addresses),
    whatever its case or punctuation: ``Email``, ``E-Mail``, ``Phone Number``, ``Số điện thoại``.

    Examples
    --------
    >>> [is_personal(c) for c in ["Email", "E-Mail", "phone_number", "Số điện thoại", "plan"]]
    [True, True, True, True, False]
    """
    # letters of any script stay together: Thai vowel marks and Vietnamese accents are marks
    words = " ".join(re.sub(r"[^\w\u0300-\u036f\u0e00-\u0e7f]+|_+", " ", column.lower()).split())
    return words.replace(" ", "_") in PERSONAL_COLUMNS or words in _PERSONAL_NAMES


def _key(key: str | bytes | None) -> bytes:
    global _process_key
    if key is None:
        key = os.environ.get(KEY_ENV)
    if key is None:
        if _process_key is None:
            _process_key = secrets.token_bytes(32)
        return _process_key
    return key.encode() if isinstance(key, str) else key


def pseudonym(customer_id: str, *, key: str | bytes | None = None) -> str:
    """The pseudonym of one id: ``"cx-"`` and 10 hex digits of HMAC-SHA256.

    Examples
    --------
    >>> pseudonym("C000123", key="secret")
    'cx-5c9f68408e'
    """
    digest = hmac.new(_key(key), str(customer_id).encode(), hashlib.sha256).hexdigest()
    return f"cx-{digest[:10]}"


def keyed_hashes(values: pl.Series, *, key: str | bytes | None = None) -> pl.Series:
    """HMAC-SHA256 of each distinct value with the pseudonym key, as ``"h-"`` and 32 hex
    digits (128 bits: no two of a few billion ids collide), nulls kept. One hash per
    distinct value, so a column of millions of rows with few ids is quick.

    Examples
    --------
    >>> import polars as pl
    >>> keyed_hashes(pl.Series(["a@b.vn", None, "a@b.vn"]), key="k").to_list()[1:]
    [None, 'h-9eeb58e403755ee50c6c988923de36e6']
    """
    secret = _key(key)
    text = values.cast(pl.String)
    distinct = text.drop_nulls().unique()
    digests = [
        "h-" + hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:32]
        for value in distinct.to_list()
    ]
    return text.replace_strict(distinct, pl.Series(digests, dtype=pl.String), default=None)


def pseudonymize(
    frame: pl.DataFrame, columns: str | list[str] = "customer_id", *, key: str | bytes | None = None
) -> pl.DataFrame:
    """Replace id columns by their pseudonyms (a new frame; the input is not changed).

    Parameters
    ----------
    frame : polars.DataFrame
        Any frame; columns that are absent are ignored.
    columns : str or list of str
        Id columns to replace.
    key : str or bytes, optional
        HMAC key; default ``CX_PSEUDONYM_KEY`` or a per-process random key.

    Examples
    --------
    >>> import polars as pl
    >>> pseudonymize(pl.DataFrame({"customer_id": ["C1", "C1"]}), key="k")["customer_id"].n_unique()
    1
    """
    columns = [columns] if isinstance(columns, str) else columns
    secret = _key(key)
    out = frame
    for column in [c for c in columns if c in frame.columns]:
        ids = frame.get_column(column).drop_nulls().unique().cast(pl.String)
        mapping = {value: pseudonym(value, key=secret) for value in ids.to_list()}
        out = out.with_columns(pl.col(column).cast(pl.String).replace_strict(mapping, default=None))
    return out


def escape(text: object) -> str:
    """HTML-escape untrusted text (quotes too); None becomes an empty string.

    Examples
    --------
    >>> escape('<script>alert("x")</script>')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
    """
    return "" if text is None else html.escape(str(text), quote=True)


def neutralize_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix string cells that a spreadsheet would run as a formula with a single quote.

    Examples
    --------
    >>> import polars as pl
    >>> cells = pl.DataFrame({"c": ["=1+1", " =HYPERLINK()", "＝1", "ok"]})
    >>> neutralize_formulas(cells)["c"].to_list()
    ["'=1+1", "' =HYPERLINK()", "'＝1", 'ok']
    """
    # a spreadsheet skips leading spaces and reads full-width ＝＋－＠ as formula signs too
    risky = pl.col(pl.String).str.contains(r"^[\s\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20\t\r]")
    return frame.with_columns(
        pl.when(risky)
        .then(pl.lit("'") + pl.col(pl.String))
        .otherwise(pl.col(pl.String))
        .name.keep()
    )


@os_errors_as_data_errors
def write_csv_safe(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write a CSV that is safe to open in a spreadsheet (see :func:`neutralize_formulas`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import polars as pl
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> p = write_csv_safe(pl.DataFrame({"c": ["@SUM(A1)"]}), out)
    >>> p.read_text().splitlines()[1]
    "'@SUM(A1)"
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralize_formulas(frame).write_csv(path)
    return path
