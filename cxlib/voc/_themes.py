"""Comment themes: keyword groups in English, Vietnamese and Thai, matched on words.

A theme is a named group of keywords per language (:data:`THEMES`, in
:mod:`cxlib.voc._lexicon`, which also gives the keyword syntax; pass your own dict of the
same shape to change or add themes). Each comment is cut into words in its language
(:func:`cxlib.voc._text.word_tokens`: English words, Vietnamese syllables, Thai dictionary
words) and the keywords are matched as whole words or word sequences, never inside a word:
"app" does not match "apparel", "giá" does not match inside "đánh giá". Where keywords
overlap, the longest match wins and counts once ("delivery cost" is shipping cost, not a
delivery plus a cost). Context words (product, parcel, "arrived") count only when nothing
else does. A negated judgement does not count ("not late", "không chậm",
"ไม่ช้า"; the negation scope is described in :mod:`cxlib.voc._lexicon`).

A comment's *theme* is the one it mentions most; ties go to the theme listed first, which
is why the specific themes (shipping cost) come before the general ones (price).
``themes`` lists every theme it mentions, most mentioned first. A comment that mentions no
keyword is ``other``: :func:`cxlib.voc.discover_themes` finds what those comments talk
about.

Keyword groups rather than a topic model: comments are short (one sentence), themes must be
named and stable between weekly runs, and the same theme must be found in three languages.
Matching runs once per distinct comment (comments repeat) with a per-word cache, so it
stays fast on hundreds of thousands of comments.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from cxlib._engine import lazy as _lazy
from cxlib._engine import like_input, to_polars
from cxlib._errors import DataError
from cxlib.voc._lexicon import (
    CLAUSE_BREAKS,
    CONTEXT,
    JUDGEMENTS,
    NEGATION_FILLERS,
    NEGATORS,
    NOT_KEYWORDS,
    THEMES,
    Themes,
)
from cxlib.voc._text import (
    language_expr,
    normalize_expr,
    segmented_expr,
    stop_words,
    strip_tones,
    word_tokens,
)

OTHER = "other"
_END = "$"  # trie key of a keyword's end: (theme or None, keyword)
_STAR = "*"  # trie key of "any ending of this word"
_NEXT = " "  # trie key of "next word" (not in Thai, whose keywords span words unspaced)
_MAX_FILLERS = 2
_PLAIN_LETTERS = 4  # a Vietnamese syllable without its marks stays a keyword from this length
_MATCHED = {"language": pl.String, "__n": pl.String, "themes": pl.List(pl.String),
            "mentions": pl.Int64}  # fmt: skip


def _check(themes: Themes) -> None:
    if not themes or any(not isinstance(groups, Mapping) for groups in themes.values()):
        raise DataError(
            "themes must map a theme name to {language: [keywords]}, e.g. "
            "{'price': {'en': ['price*'], 'vi': ['giá'], 'th': ['ราคา']}}"
        )


class _Matcher:
    """The keywords of one language in a character trie, matched on a comment's words."""

    def __init__(self, themes: Themes, language: str) -> None:
        self.spaced = language != "th"
        self.trie: dict[str, Any] = {}
        self.negators = NEGATORS.get(language, frozenset())
        self.fillers = NEGATION_FILLERS.get(language, frozenset())
        self.breaks = CLAUSE_BREAKS.get(language, frozenset()) | {","}
        self.judgements = JUDGEMENTS.get(language, frozenset())
        self.context = CONTEXT.get(language, frozenset())
        self._walks: dict[tuple[int, str], tuple[dict[str, Any], ...]] = {}
        entries = [(k, theme) for theme, groups in themes.items() for k in groups.get(language, ())]
        entries += [(phrase, None) for phrase in NOT_KEYWORDS.get(language, ())]
        for keyword, theme in entries:
            self._add(keyword, theme)
        if language == "vi":  # as typed without tone marks, where that stays unambiguous
            self.negators = self.negators | {strip_tones(w) for w in self.negators}
            self.fillers = self.fillers | {strip_tones(w) for w in self.fillers}
            for keyword, theme in entries:
                plain = strip_tones(keyword)
                if plain != keyword and (" " in plain or len(plain) >= _PLAIN_LETTERS):
                    self._add(plain, theme, name=keyword)

    def _add(self, keyword: str, theme: str | None, *, name: str | None = None) -> None:
        """Add ``keyword`` to the trie; ``name`` is the keyword it stands for (its form
        with tone marks), for the judgement and context lists."""
        words = keyword.lower().split()
        node = self.trie
        for n, word in enumerate(words):
            if n and self.spaced:
                node = node.setdefault(_NEXT, {})
            for ch in word.rstrip(_STAR):
                node = node.setdefault(ch, {})
            if word.endswith(_STAR):
                node = node.setdefault(_STAR, {})
        if words:
            # the first theme listed keeps a keyword written twice
            node.setdefault(_END, (theme, (name or keyword).lower()))

    def _walk(self, node: dict[str, Any], word: str) -> tuple[dict[str, Any], ...]:
        """The trie nodes reached from ``node`` by reading the whole ``word`` (cached)."""
        key = (id(node), word)
        reached = self._walks.get(key)
        if reached is None:
            found = []
            current: dict[str, Any] = node
            for ch in word:
                if _STAR in current:
                    found.append(current[_STAR])
                current = current.get(ch)  # type: ignore[assignment]
                if current is None:
                    break
            else:
                found.append(current)
                if _STAR in current:
                    found.append(current[_STAR])
            reached = self._walks[key] = tuple(found)
        return reached

    def _longest(self, words: Sequence[str], i: int) -> tuple[tuple[str | None, str] | None, int]:
        """The longest keyword starting at word ``i`` (or None) and its last word."""
        best, end = None, i
        frontier = self._walk(self.trie, words[i]) if words[i] not in self.breaks else ()
        j = i
        while frontier:
            for node in frontier:
                if _END in node:
                    best, end = node[_END], j
            j += 1
            if j >= len(words) or words[j] in self.breaks:
                break
            frontier = tuple(
                reached
                for node in frontier
                for reached in self._walk(node.get(_NEXT, {}) if self.spaced else node, words[j])
            )
        return best, end

    def themes_of(self, words: Sequence[str]) -> list[str]:
        """The theme of each counted keyword found in ``words``, in order (context keywords
        only when there is nothing else)."""
        found: list[str] = []
        context: list[str] = []
        negated = range(0)  # where a keyword that starts is negated: after a negator, up to
        # the first word that is not a filler ("không bị vỡ": from bị to vỡ)
        i = 0
        while i < len(words):
            best, end = self._longest(words, i)
            if best is not None:
                theme, keyword = best
                if theme is not None and not (i in negated and keyword in self.judgements):
                    (context if keyword in self.context else found).append(theme)
                i = end + 1
                continue
            if words[i] in self.negators:
                negated_at = i + 1  # the first word after the negator that is no filler
                while (
                    negated_at < len(words)
                    and words[negated_at] in self.fillers
                    and negated_at - i <= _MAX_FILLERS
                ):
                    negated_at += 1
                negated = range(i + 1, negated_at + 1)
            i += 1
        return found or context


def _thai_keywords(themes: Themes) -> list[str]:
    words = [k for groups in themes.values() for k in groups.get("th", ())]
    words += list(NOT_KEYWORDS.get("th", ()))
    return [k.replace(" ", "").rstrip(_STAR) for k in words]


def theme_mentions(
    texts: Sequence[str], language: str, *, themes: Themes | None = None
) -> list[list[tuple[str, int]]]:
    """``(theme, mentions)`` of each normalized text of one language, most mentioned first
    (ties: the theme listed first); the core of :func:`comment_themes`.

    Examples
    --------
    >>> theme_mentions(["the parcel arrived broken", "not late at all", "it arrived"], "en")
    [[('product_quality', 1)], [], [('delivery_speed', 1)]]
    """
    themes = THEMES if themes is None else themes
    order = {name: rank for rank, name in enumerate(themes)}
    matcher = _Matcher(themes, language)
    keywords = _thai_keywords(themes) if language == "th" else ()
    result = []
    for words in word_tokens(texts, language, keywords=keywords):
        counts = Counter(matcher.themes_of(words))
        result.append(sorted(counts.items(), key=lambda hit: (-hit[1], order[hit[0]])))
    return result


def project_themes(config: Any = None) -> Themes:
    """The themes a project uses: :data:`THEMES` with the ``[themes.NAME]`` tables of its
    ``cx.toml`` added (one of the same name replaces the built-in one).

    Parameters
    ----------
    config : Config, optional
        The project's :class:`cxlib.Config` (``ds.config``); None gives :data:`THEMES`.

    Examples
    --------
    >>> import cxlib as cx
    >>> config = cx.Config(themes={"packaging": {"en": ("packaging", "box*")}})
    >>> list(project_themes(config))[-1], len(project_themes(None)) == len(THEMES)
    ('packaging', True)
    """
    extra = {} if config is None else config.themes
    return {**THEMES, **{name: dict(languages) for name, languages in extra.items()}}


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
        ``theme`` (the most mentioned; ``other`` when none), ``mentions`` (number of
        keyword hits of that theme) and ``themes`` (every theme mentioned, most mentioned
        first; empty for ``other``). Input columns of these names are replaced.

    Examples
    --------
    >>> import polars as pl
    >>> answers = pl.DataFrame({"comment": [
    ...     "Phí vận chuyển quá cao.", "ค่าส่งแพงเกินไป", "My order arrived a week late.",
    ...     "Giao trễ 5 ngày", "Not late, but the box was crushed", "Nice!"]})
    >>> comment_themes(answers)["theme"].to_list()  # doctest: +NORMALIZE_WHITESPACE
    ['shipping_cost', 'shipping_cost', 'delivery_speed', 'delivery_speed',
     'product_quality', 'other']
    """
    themes = THEMES if themes is None else themes
    _check(themes)
    frame = _lazy(surveys)
    if column not in frame.collect_schema().names():
        raise DataError(
            f"surveys: text column {column!r} is missing; pass column='<your comment column>'"
        )
    data = (
        to_polars(frame)
        .filter(pl.col(column).is_not_null() & (pl.col(column).str.strip_chars() != ""))
        .with_columns(language_expr(column).alias("language"), normalize_expr(column).alias("__n"))
    )
    distinct = data.select("language", "__n").unique(maintain_order=True)
    parts = [pl.DataFrame(schema=_MATCHED)]
    for language in distinct.get_column("language").unique(maintain_order=True).to_list():
        texts = distinct.filter(pl.col("language") == language).get_column("__n")
        found = theme_mentions(texts.to_list(), language, themes=themes)
        parts.append(
            pl.DataFrame(
                {
                    "language": [language] * len(found),
                    "__n": texts,
                    # joined, then split by polars: much faster than a list of lists
                    "themes": ["\n".join(theme for theme, _ in hits) for hits in found],
                    "mentions": [hits[0][1] if hits else 0 for hits in found],
                },
                schema=_MATCHED | {"themes": pl.String},
            ).with_columns(
                pl.when(pl.col("themes") == "")
                .then(pl.lit([], dtype=pl.List(pl.String)))
                .otherwise(pl.col("themes").str.split("\n"))
                .alias("themes")
            )
        )
    data = data.drop([c for c in ("theme", "mentions", "themes") if c in data.columns])
    result = (
        data.join(pl.concat(parts), on=["language", "__n"], how="left", maintain_order="left")
        .with_columns(pl.col("themes").list.first().fill_null(OTHER).alias("theme"))
        .select(*data.columns, "theme", "mentions", "themes")
        .drop("__n")
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
    thai = _thai_keywords(THEMES)
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
