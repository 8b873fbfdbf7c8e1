"""Text of survey comments in English, Vietnamese and Thai: language, tokens, stop words.

* **Language** from the script: any Thai letter (U+0E00–U+0E7F) → ``th``; a letter only
  Vietnamese uses among our languages (ă đ ơ ư ĩ ũ, or a vowel with a tone mark from Latin
  Extended Additional such as ạ ế ỹ), or two accented vowels it shares with French or
  Spanish (á, ê, ô: "Phí ship quá cao"), or one common Vietnamese syllable written with
  such a vowel ("Giao sai hàng"), or two common Vietnamese syllables typed without their
  marks ("giao hang cham qua") → ``vi``; else ``en`` ("café" stays English).
  Good enough for the three languages of our users' customers; other languages fall into
  ``en`` (their comments simply match no English keyword).
* **Normal form**: Unicode NFC (Vietnamese arrives in NFC or NFD, and ``ệ`` must compare
  equal either way), lower case, runs of whitespace collapsed.
* **Tokens**: English words; Vietnamese syllables (the language writes a space between
  syllables, so a word such as "vận chuyển" is two tokens and keywords are matched as
  syllable phrases); Thai has no spaces between words, so it is segmented with PyThaiNLP's
  ``newmm`` dictionary maximal-matching tokenizer (Apache-2.0, maintained, works offline
  with its bundled dictionary). The dictionary is PyThaiNLP's Thai word list plus the theme
  keywords, minus the dictionary compounds made only of keywords (``ราคาแพง``,
  ``พนักงานบริการ``), so each keyword stays a token of its own; a word that merely
  contains a keyword stays whole (``ผิดหวัง``, disappointed, is not ``ผิด``, wrong).
* **Stop words**: scikit-learn's English list, PyThaiNLP's Thai list, and a short Vietnamese
  list of function syllables written here (no maintained Vietnamese list is among our
  dependencies).

* **Words for theme matching** (:func:`word_tokens`): the same tokens, with the clause
  breaks kept as ``","`` (punctuation; in Thai also a space, which Thai writes between
  phrases), so that a keyword or a negation does not reach across a clause. English keeps
  its contractions whole ("didn't"), Vietnamese stays syllables: a Vietnamese word
  segmenter was measured and left out — pyvi (CRF, offline) takes about 0.12 ms a comment
  and underthesea about 0.6 ms, 30 s to 150 s for 250,000 distinct comments, against well
  under a second for syllables; multi-syllable keywords are matched as syllable sequences
  instead, and the compounds that contain a keyword but mean something else ("đánh giá")
  are listed in :data:`cxlib.voc._lexicon.NOT_KEYWORDS`.

Tokenizing Thai runs PyThaiNLP in Python, once per *distinct* comment (comments repeat a
lot); everything else is polars expressions over the whole column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import polars as pl

LANGUAGES = ("en", "vi", "th")
_THAI = r"[\x{0E00}-\x{0E7F}]"
# letters only Vietnamese uses among our languages: ă đ ơ ư ĩ ũ and the vowels with a tone
# mark from Latin Extended Additional (ạ ả ấ ... ỹ)
_VIETNAMESE = r"[ăđơưĩũĂĐƠƯĨŨ\x{1EA0}-\x{1EF9}]"
# accented vowels Vietnamese shares with French or Spanish (á, ê, ô, ...): two of them
_ACCENTED = r"[àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ]"

# Vietnamese function syllables (pronouns, particles, prepositions, degree words).
_VI_STOP = frozenset(
    [
        "và",
        "là",
        "của",
        "có",
        "không",
        "được",
        "cho",
        "với",
        "này",
        "đó",
        "tôi",
        "mình",
        "bạn",
        "em",
        "anh",
        "chị",
        "họ",
        "mà",
        "thì",
        "rất",
        "quá",
        "lắm",
        "nhưng",
        "các",
        "những",
        "một",
        "đã",
        "sẽ",
        "đang",
        "bị",
        "khi",
        "nên",
        "vẫn",
        "cả",
        "hơn",
        "so",
        "lại",
        "từ",
        "phải",
        "cũng",
        "thật",
        "chỉ",
        "nữa",
        "nào",
        "gì",
        "ai",
        "đâu",
        "ở",
        "trong",
        "ngoài",
        "trên",
        "dưới",
        "về",
        "ra",
        "vào",
        "để",
        "như",
        "thế",
        "vì",
        "nếu",
        "hay",
        "hoặc",
        "còn",
        "đến",
        "đi",
        "làm",
        "hết",
        "rồi",
        "chưa",
        "vừa",
        "mới",
        "luôn",
        "chắc",
        "hơi",
        "khá",
        "tạm",
        "ạ",
        "nhé",
        "nha",
        "ơi",
        "vậy",
        "thôi",
    ]
)


@lru_cache(maxsize=1)
def stop_words() -> dict[str, frozenset[str]]:
    """Stop words per language (lower case): ``{"en": ..., "vi": ..., "th": ...}``."""
    from pythainlp.corpus import thai_stopwords
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return {
        "en": frozenset(ENGLISH_STOP_WORDS) | {"ve", "ll", "don", "didn", "doesn", "isn", "wasn"},
        "vi": _VI_STOP,
        "th": frozenset(thai_stopwords()),
    }


@lru_cache(maxsize=1)
def _vietnamese_words() -> str:
    """Regex of the common Vietnamese syllables written with an accent French or Spanish
    also use (phí, hàng, giá, là, có): one of them as a whole word marks Vietnamese even
    in a short comment ("Giao sai hàng"), where "café" stays English."""
    from cxlib.voc._lexicon import THEMES

    syllables = {s for s in _VI_STOP for s in s.split()}
    syllables |= {s for groups in THEMES.values() for k in groups.get("vi", ()) for s in k.split()}
    accented = sorted(s for s in syllables if re.search(_ACCENTED, s))
    return r"\b(?:" + "|".join(re.escape(s) for s in accented) + r")\b"


# Vietnamese syllables written without their tone marks, as many customers type: none is
# an English word, so two of them mark a Vietnamese comment ("giao hang cham qua")
_PLAIN_VI = (
    r"\b(?:khong|duoc|giao|hang|nhanh|cham|rat|tot|nhung|nhieu|voi|cua|minh|qua|lam|"
    r"san pham|chat luong|nhan vien|thanh toan|gia ca|dong goi|hai long|lau|tre|roi|"
    r"ko|dc|sp|nhe|nha|thi|nua|chua|kem|hong|vo|bi|tu van|nhiet tinh|phi|dat)\b"
)


def strip_tones(text: str) -> str:
    """Vietnamese text without its tone and vowel marks (đ → d): how it is often typed.

    Examples
    --------
    >>> strip_tones("giao hàng chậm, bể ly")
    'giao hang cham, be ly'
    """
    plain = "".join(
        ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch)
    )
    return plain.replace("đ", "d").replace("Đ", "D")


def language_expr(column: str | pl.Expr) -> pl.Expr:
    """``th``, ``vi`` or ``en`` from the script of a text column (null stays null)."""
    text = pl.col(column) if isinstance(column, str) else column
    text = text.str.normalize("NFC")
    return (
        pl.when(text.is_null())
        .then(None)
        .when(text.str.contains(_THAI))
        .then(pl.lit("th"))
        .when(
            text.str.contains(_VIETNAMESE)
            | (text.str.count_matches(_ACCENTED) >= 2)
            | text.str.to_lowercase().str.contains(_vietnamese_words())
            | (text.str.to_lowercase().str.count_matches(_PLAIN_VI) >= 2)
        )
        .then(pl.lit("vi"))
        .otherwise(pl.lit("en"))
    )


def normalize_expr(column: str | pl.Expr) -> pl.Expr:
    """NFC, lower case, whitespace runs collapsed to one space, trimmed."""
    text = pl.col(column) if isinstance(column, str) else column
    return (
        text.str.normalize("NFC").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()
    )


@lru_cache(maxsize=8)
def _thai_dictionary(keywords: frozenset[str]):  # -> pythainlp.util.Trie
    from pythainlp.corpus import thai_words
    from pythainlp.util import dict_trie

    words = set(thai_words())
    if not keywords:
        return dict_trie(words)
    # drop the compounds made only of keywords (ราคาแพง = ราคา + แพง), so that each keyword
    # is a token of its own; a word that merely contains a keyword stays whole (ช้าง,
    # elephant, is not ช้า, slow; ผิดหวัง, disappointed, is not ผิด). One scan per keyword.
    listing = "\n" + "\n".join(words) + "\n"
    compounds = set()
    for keyword in keywords:
        at = listing.find(keyword)
        while at != -1:
            start = listing.rfind("\n", 0, at) + 1
            end = listing.find("\n", at)
            left, right = listing[start:at], listing[at + len(keyword) : end]
            if (
                (left or right)
                and (not left or left in keywords)
                and (not right or right in keywords)
            ):
                compounds.add(listing[start:end])
            at = listing.find(keyword, at + 1)
    compounds -= keywords
    return dict_trie((words - compounds) | set(keywords))


def thai_tokens(text: str, keywords: Iterable[str] = (), *, breaks: bool = False) -> list[str]:
    """Thai words of ``text`` (PyThaiNLP ``newmm``), keeping ``keywords`` whole.

    With ``breaks``, each run of spaces (a phrase break in Thai) becomes a ``","`` token.

    Examples
    --------
    >>> thai_tokens("ค่าส่งแพงเกินไป", keywords=["ค่าส่ง", "แพง"])
    ['ค่าส่ง', 'แพง', 'เกินไป']
    >>> thai_tokens("ส่งไม่ช้า ของดี", breaks=True)
    ['ส่ง', 'ไม่', 'ช้า', ',', 'ของดี']
    """
    from pythainlp.tokenize import word_tokenize

    dictionary = _thai_dictionary(frozenset(k for k in keywords if k))
    tokens = word_tokenize(text, custom_dict=dictionary, engine="newmm", keep_whitespace=breaks)
    if not breaks:
        return [token.strip() for token in tokens if token.strip()]
    words: list[str] = []
    for token in tokens:
        word = token.strip()
        if word:
            words.append(word)
        elif words and words[-1] != ",":
            words.append(",")
    return words


# a word (with its contraction: didn't) or one clause-breaking punctuation mark
_WORD = r"\w+(?:'\w+)*|[.,;:!?()]"


def word_tokens(
    texts: Iterable[str], language: str, *, keywords: Iterable[str] = ()
) -> list[list[str]]:
    """Tokens of normalized texts of one language, clause breaks kept (see module notes).

    Examples
    --------
    >>> word_tokens(["the courier didn't show up, sadly"], "en")
    [['the', 'courier', "didn't", 'show', 'up', ',', 'sadly']]
    >>> word_tokens(["giao trễ 5 ngày"], "vi")
    [['giao', 'trễ', '5', 'ngày']]
    """
    texts = list(texts)
    if language == "th":
        keywords = tuple(keywords)
        words = [thai_tokens(text, keywords, breaks=True) for text in texts]
        return [
            [w if any(ch.isalnum() for ch in w) or w == "," else "," for w in ws] for ws in words
        ]
    series = pl.Series(texts, dtype=pl.String).str.replace_all("[’‘`]", "'")
    return series.str.extract_all(_WORD).to_list()


def tokenize(text: str, language: str | None = None, *, keywords: Iterable[str] = ()) -> list[str]:
    """Tokens of one comment in its language (detected when not given), normalized.

    Punctuation is dropped; Vietnamese gives syllables, Thai dictionary words.

    Examples
    --------
    >>> tokenize("Phí vận chuyển quá cao.")
    ['phí', 'vận', 'chuyển', 'quá', 'cao']
    >>> tokenize("จัดส่งรวดเร็ว พอใจมาก")
    ['จัดส่ง', 'รวดเร็ว', 'พอใจ', 'มาก']
    """
    frame = pl.DataFrame({"text": [text]}, schema={"text": pl.String})
    language = language or frame.select(language_expr("text")).item()
    normal = frame.select(normalize_expr("text")).item() or ""
    if language == "th":
        # keep Thai words; Latin words mixed into Thai text are kept as they are
        return [t for t in thai_tokens(normal, keywords) if any(ch.isalnum() for ch in t)]
    return pl.Series([normal]).str.extract_all(r"\w+").item().to_list()


def segmented_expr(
    frame: pl.DataFrame, *, text: str, language: str, keywords: Iterable[str] = ()
) -> pl.Series:
    """The normalized text of each row with Thai rows segmented into space-separated words.

    English and Vietnamese already separate words (syllables) with spaces; each distinct
    Thai text is tokenized once.
    """
    normal = frame.select(normalize_expr(text).alias("__n"), pl.col(language).alias("__l"))
    thai = normal.filter(pl.col("__l") == "th").get_column("__n").drop_nulls().unique()
    keywords = tuple(keywords)
    mapping = pl.DataFrame(
        {"__n": thai, "__seg": [" ".join(thai_tokens(t, keywords)) for t in thai]},
        schema={"__n": pl.String, "__seg": pl.String},
    )
    joined = normal.with_row_index("__i").join(mapping, on="__n", how="left").sort("__i")
    return (
        joined.select(pl.when(pl.col("__l") == "th").then(pl.col("__seg")).otherwise(pl.col("__n")))
        .to_series()
        .alias("segmented")
    )
