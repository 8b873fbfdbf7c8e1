"""Themes the lexicon does not know yet: topics of the comments no theme matches.

:func:`discover_themes` takes the comments :func:`cxlib.voc.comment_themes` left as
``other`` and, per language, finds their frequent topics with TF-IDF and non-negative
matrix factorisation (scikit-learn's ``TfidfVectorizer`` and ``NMF``, fixed
``random_state``, ``nndsvda`` start: the same data gives the same candidates every run).

* **Terms** are words in the comment's language with stop words, numbers and
  punctuation removed: English words and two-word phrases, Vietnamese two-syllable
  phrases (one syllable says little: "đóng gói", not "đóng" and "gói"), Thai dictionary
  words.
* **Counting**: the factorisation runs on distinct comments, each row weighted by the
  square root of how often it was written, which weighs it exactly as that many copies
  would (squared-error loss); at most ``limit`` distinct comments, the most frequent first.
* Each comment goes to the candidate with its largest weight; a candidate is kept when at
  least ``min_comments`` comments go to it.
* **Examples** are the distinct comments that weigh most on the candidate, with contact
  details masked (:func:`cxlib.privacy.mask_pii`); no id is returned. Comments are
  untrusted text: show the frame with :func:`cxlib.pages.tables.table`, which escapes.
* **Snippet**: the ``cx.toml`` lines an analyst would add, after checking and renaming, to
  make the candidate a theme (``[themes.NAME]`` with one keyword list per language, the
  shape of :data:`cxlib.voc.THEMES`).
"""

from __future__ import annotations

import json
import math
import re
import warnings
from typing import Any

import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import lazy as _lazy
from cxlib._engine import to_polars
from cxlib._errors import DataError
from cxlib.privacy import mask_pii
from cxlib.voc._lexicon import CLAUSE_BREAKS, THEMES, Themes
from cxlib.voc._text import normalize_expr, stop_words, word_tokens
from cxlib.voc._themes import OTHER, _thai_keywords, comment_themes

_SCHEMA = {
    "language": pl.String,
    "candidate": pl.Int64,
    "name": pl.String,
    "terms": pl.List(pl.String),
    "comments": pl.Int64,
    "share": pl.Float64,
    "examples": pl.List(pl.String),
    "snippet": pl.String,
}
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _terms(words: list[str], language: str, stops: frozenset[str]) -> list[str]:
    """The terms of one comment: content words (English, Thai) and adjacent pairs (English,
    Vietnamese), in order."""
    breaks = CLAUSE_BREAKS.get(language, frozenset()) | {","}
    kept: list[str | None] = [
        None
        if w in breaks or w in stops or w.isdigit() or len(w) < 2 or not any(c.isalpha() for c in w)
        else w
        for w in words
    ]
    pairs = [f"{a} {b}" for a, b in zip(kept, kept[1:], strict=False) if a and b]
    if language == "vi":
        return pairs
    singles = [w for w in kept if w]
    return singles + pairs if language == "en" else singles


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name, ensure_ascii=False)


def _snippet(language: str, name: str, terms: list[str]) -> str:
    keywords = ", ".join(json.dumps(t, ensure_ascii=False) for t in terms)
    return f"[themes.{_key(name)}]\n{language} = [{keywords}]"


def _language_candidates(
    distinct: pl.DataFrame,
    language: str,
    *,
    candidates: int,
    min_comments: int,
    top_terms: int,
    examples: int,
    random_state: int,
    total: int,
    themes: Themes,
) -> list[dict[str, Any]]:
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    stops = stop_words().get(language, frozenset())
    keywords = _thai_keywords(themes) if language == "th" else ()
    words = word_tokens(distinct.get_column("__n").to_list(), language, keywords=keywords)
    docs = [_terms(w, language, stops) for w in words]
    counts = distinct.get_column("__count").to_numpy()
    texts = distinct.get_column("comment").to_list()
    usable = [i for i, d in enumerate(docs) if d]
    if len(usable) < 2:
        return []
    vectorizer = TfidfVectorizer(
        analyzer=lambda doc: doc, min_df=2 if len(usable) >= 20 else 1, sublinear_tf=True
    )
    try:
        matrix = vectorizer.fit_transform([docs[i] for i in usable])
    except ValueError:  # no term in two comments
        return []
    vocabulary = vectorizer.get_feature_names_out()
    weights = counts[usable] ** 0.5
    matrix = matrix.multiply(weights[:, None]).tocsr()
    # no more candidates than the comments could fill
    k = min(candidates, int(counts[usable].sum()) // max(min_comments, 1), matrix.shape[1])
    if k < 1:
        return []
    model = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=500)
    with warnings.catch_warnings():  # a candidate needs its top terms, not a converged fit
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # sklearn's loss: sqrt of -0.0
        loadings = model.fit_transform(matrix)
    best = loadings.argmax(axis=1)
    assigned = loadings.max(axis=1) > 0
    found = []
    for component in range(k):
        members = [r for r in range(len(usable)) if assigned[r] and best[r] == component]
        comments = int(sum(counts[usable[r]] for r in members))
        if comments < min_comments:
            continue
        order = (-model.components_[component]).argsort(kind="stable")
        terms = [
            str(vocabulary[t]) for t in order[:top_terms] if model.components_[component, t] > 0
        ]
        if not terms:
            continue
        members.sort(key=lambda r: (-loadings[r, component], texts[usable[r]]))
        found.append(
            {
                "language": language,
                "terms": terms,
                "comments": comments,
                "share": comments / total if total else math.nan,
                "examples": [texts[usable[r]] for r in members[:examples]],
            }
        )
    return found


def discover_themes(
    surveys: Any,
    *,
    themes: Themes | None = None,
    column: str = "comment",
    candidates: int = 5,
    min_comments: int = 5,
    top_terms: int = 6,
    examples: int = 3,
    limit: int = 20_000,
    random_state: int = 0,
) -> pl.DataFrame:
    """Frequent topics of the comments no theme matches, per language, as candidate themes.

    Parameters
    ----------
    surveys : frame
        Survey answers with a text column, or the output of :func:`comment_themes`
        (then its ``theme`` and ``language`` are used as they are).
    themes : dict, optional
        The themes to match first (default :data:`cxlib.voc.THEMES`); ignored for an
        already themed frame.
    column : str
        The text column.
    candidates : int
        At most this many candidates per language (NMF components).
    min_comments : int
        A candidate needs at least this many comments.
    top_terms, examples : int
        Terms and example comments shown per candidate.
    limit : int
        At most this many distinct unmatched comments per language (the most frequent).
    random_state : int
        Seed of the factorisation (results are reproducible).

    Returns
    -------
    polars.DataFrame
        ``language, candidate`` (1 = most comments), ``name`` (its top term, to rename),
        ``terms`` (top terms, strongest first), ``comments`` (unmatched comments it
        gathers), ``share`` (of the language's unmatched comments), ``examples`` (comments,
        contact details masked), ``snippet`` (``cx.toml`` lines to make it a theme).

    Examples
    --------
    >>> import polars as pl
    >>> comments = ["The packaging was torn and messy", "Packaging was a mess, so much tape",
    ...             "Love the gift packaging", "Great packaging, very neat",
    ...             "Packaging could be better", "Call me on 0987 555 394"]
    >>> found = discover_themes(pl.DataFrame({"comment": comments}), min_comments=3)
    >>> found.select("language", "name", "comments").row(0)  # the first one is torn: quality
    ('en', 'packaging', 4)
    >>> print(found["snippet"][0])
    [themes.packaging]
    en = ["packaging", "better", "mess", "tape", "great", "great packaging"]
    """
    frame = to_polars(_lazy(surveys))
    if column not in frame.columns:
        raise DataError(
            f"surveys: text column {column!r} is missing; pass column='<your comment column>'"
        )
    if not {"theme", "language"} <= set(frame.columns):
        frame = to_polars(comment_themes(frame, themes=themes, column=column))
    other = frame.filter((pl.col("theme") == OTHER) & pl.col(column).is_not_null())
    distinct = (
        other.with_columns(normalize_expr(column).alias("__n"))
        .group_by("language", "__n")
        .agg(pl.len().alias("__count"), pl.col(column).min().alias("comment"))
        .with_columns(mask_pii(pl.col("comment")))
        .sort(["language", "__count", "__n"], descending=[False, True, False])
    )
    rows: list[dict[str, Any]] = []
    for language in distinct.get_column("language").unique().sort().to_list():
        of_language = distinct.filter(pl.col("language") == language)
        found = _language_candidates(
            of_language.head(limit),
            language,
            candidates=candidates,
            min_comments=min_comments,
            top_terms=top_terms,
            examples=examples,
            random_state=random_state,
            total=int(of_language.get_column("__count").sum()),
            themes=THEMES if themes is None else themes,
        )
        found.sort(key=lambda c: (-c["comments"], c["terms"]))
        for rank, candidate in enumerate(found, start=1):
            name = candidate["terms"][0]
            rows.append(
                candidate
                | {
                    "candidate": rank,
                    "name": name,
                    "snippet": _snippet(language, name, candidate["terms"]),
                }
            )
    return pl.DataFrame(rows, schema=_SCHEMA).select(list(_SCHEMA))


def unmatched_sentence(themed: Any) -> str:
    """How many comments no theme matches, in the report's language: the sentence above
    :func:`discover_themes`' candidates.

    Examples
    --------
    >>> import polars as pl
    >>> themed = comment_themes(pl.DataFrame({"comment": ["Late again", "Lovely wrapping"]}))
    >>> unmatched_sentence(themed)  # doctest: +ELLIPSIS
    '1 of 2 comments (50.0%) match no theme. ...'
    """
    frame = to_polars(_lazy(themed))
    if "theme" not in frame.columns:
        raise DataError("themed: column 'theme' is missing; pass the output of comment_themes")
    total = frame.height
    unmatched = frame.filter(pl.col("theme") == OTHER).height
    if unmatched == 0:
        return i18n._("Every comment matches a theme: there is no candidate theme to show.")
    return i18n.t(
        "{unmatched} of {comments} comments ({share}) match no theme. The candidates below "
        "are their most frequent topics; to make one a theme, check its terms and add its "
        "lines to cx.toml.",
        unmatched=i18n.number(unmatched),
        comments=i18n.number(total),
        share=i18n.percent(unmatched / total),
    )
