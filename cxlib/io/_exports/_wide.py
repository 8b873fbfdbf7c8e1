"""Wide survey files made long: which question is the NPS / CSAT / CES one and which is the
comment, scores written as text, and one row per (response, question).

The survey tools (``cxlib.io._exports.surveys``) export one row per response and one column
per question, named by the question's text. :func:`pick` finds the questions by keywords, in
English, Vietnamese and Thai:

* ``nps``: recommend, giới thiệu, แนะนำ (0-10);
* ``csat``: satisf(ied), hài lòng, พอใจ (1-5);
* ``ces``: easy (easily, easier), effort, dễ dàng, ง่าย (1-7);
* ``comment``: the free-text question: anything else, comment, feedback, reason, why,
  tell us, suggest, improve, open-ended, góp ý, ý kiến, chia sẻ, tại sao, ความคิดเห็น,
  ข้อเสนอแนะ, เหตุผล.

Each survey type takes the first column that matches it and that no earlier type took (in
the order above). A pick is overridden in ``[columns.surveys]`` of cx.toml (or ``columns=``
of ``read_surveys``): ``nps = "<column or question text>"``, ``comment = "..."``; an empty
string (``ces = ""``) reads no question for that type. ``cx init`` writes the picks there.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

import polars as pl

from cxlib._engine import close_match
from cxlib._errors import DataError
from cxlib.io._numbers import text_number
from cxlib.io._read import RAGGED, ROW, SOURCE, Raw
from cxlib.io._schema import SURVEY_SCALES

SURVEYS = ("nps", "csat", "ces")
CHOICES = (*SURVEYS, "comment")  # the [columns.surveys] keys these readers take themselves
KEYWORDS: dict[str, tuple[str, ...]] = {
    "nps": ("recommend", "giới thiệu", "แนะนำ", "nps"),
    "csat": ("satisf", "hài lòng", "พอใจ", "csat"),
    "ces": ("easy", "easi", "effort", "dễ dàng", "ง่าย", "ces"),
    "comment": (
        "anything else", "comment", "feedback", "reason", "why", "tell us", "suggest",
        "improve", "open-ended", "góp ý", "ý kiến", "chia sẻ", "tại sao", "ความคิดเห็น",
        "ข้อเสนอแนะ", "เหตุผล",
    ),
}  # fmt: skip
_WHOLE_WORDS = ("nps", "csat", "ces", "why")  # never part of a longer word ("services")


def _keyword(word: str) -> str:
    """A keyword as a pattern: Latin ones from the start of a word ("recommend" in
    "recommended"), abbreviations whole; Vietnamese and Thai anywhere (Thai has no spaces)."""
    if not word.isascii():
        return re.escape(word)
    return rf"\b{re.escape(word)}\b" if word in _WHOLE_WORDS else rf"\b{re.escape(word)}"


_PATTERNS = {key: re.compile("|".join(map(_keyword, words))) for key, words in KEYWORDS.items()}
OUTPUTS = ("customer_id", "ts", "survey", "score", "comment", "question", "email", "response_id")


@dataclasses.dataclass(frozen=True)
class Wide:
    """A survey tool's file, header rows removed: ``questions`` maps each column that may
    be a question to its text (to match keywords); the expressions give each response's
    customer, time, email and response id."""

    frame: pl.LazyFrame
    questions: dict[str, str]
    customer_id: pl.Expr
    ts: pl.Expr
    email: pl.Expr
    response_id: pl.Expr
    hints: dict[str, str] = dataclasses.field(default_factory=dict)  # more words to match


def text(name: str, present: set[str]) -> pl.Expr:
    """Column ``name`` as trimmed text, null when blank or when the file lacks it."""
    if name not in present:
        return pl.lit(None, pl.String)
    value = pl.col(name).cast(pl.String).str.strip_chars()
    return pl.when(value != "").then(value)


def first_of(names: tuple[str, ...], present: set[str]) -> pl.Expr:
    """The first of columns ``names`` that holds a value, per row (trimmed text)."""
    return pl.coalesce([text(name, present) for name in names] + [pl.lit(None, pl.String)])


def pick(
    label: str,
    questions: Mapping[str, str],
    chosen: Mapping[str, str] | None = None,
    hints: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """``nps`` / ``csat`` / ``ces`` / ``comment`` -> the column, by keywords (see the module
    docstring) in its name, its question text and its ``hints`` (SurveyMonkey's
    ``Open-Ended Response``), ``chosen`` ones first; ``chosen`` may name a column or a
    question text.

    Raises
    ------
    DataError
        A chosen column is not in the file.

    Examples
    --------
    >>> pick("f.csv", {"How likely are you to recommend us?": "", "Why?": ""})
    {'nps': 'How likely are you to recommend us?', 'comment': 'Why?'}
    """
    by_text = {question.strip(): column for column, question in questions.items() if question}
    picks: dict[str, str] = {}
    for key, target in (chosen or {}).items():
        if not target:  # `ces = ""`: no question of that type
            continue
        column = target if target in questions else by_text.get(target.strip())
        if column is None:
            raise DataError(
                f"{label}: {key} = {target!r} (in [columns.surveys]) is not a question of this "
                f"file; {close_match(target, list(questions))}questions found: "
                f"{', '.join(list(questions)[:8])}"
            )
        picks[key] = column
    for key in CHOICES:
        if key in (chosen or {}):
            continue
        taken = set(picks.values())
        for column, question in questions.items():
            words = f"{column} {question} {(hints or {}).get(column, '')}".lower()
            if column not in taken and _PATTERNS[key].search(words):
                picks[key] = column
                break
    return {key: picks[key] for key in CHOICES if key in picks}


def score_text(column: str) -> pl.Expr:
    """An answer as the text of its number: ``"9 - Very likely"`` and ``"Extremely likely
    (10)"`` are ``"9"`` and ``"10"``; an answer without a number stays as written, so the
    validation rejects it (``non-numeric score``) with its own text.

    Examples
    --------
    >>> frame = pl.DataFrame({"a": ["9 - Very likely", "Extremely likely (10)", "7", "No"]})
    >>> frame.select(score_text("a"))["a"].to_list()
    ['9', '10', '7', 'No']
    """
    answer = pl.col(column).cast(pl.String).str.strip_chars()
    plain = answer.str.contains(r"^[+-]?\d+([.,]\d+)?$")
    number = answer.str.extract(r"(?:^|[^\d.,])(\d+(?:[.,]\d+)?)(?:[^\d]|$)", 1)
    return pl.when(plain).then(answer).otherwise(pl.coalesce(number, answer)).alias(column)


def _in_scale(column: str, survey: str) -> pl.Expr:
    """Whether the answer in ``column`` is a number on ``survey``'s scale."""
    low, high = SURVEY_SCALES[survey]
    return text_number(score_text(column)).is_between(low, high).fill_null(False)


def to_long(raw: Raw, wide: Wide, chosen: Mapping[str, str] | None) -> Raw:
    """One row per (response, picked NPS / CSAT / CES question): ``customer_id``, ``ts``,
    ``survey``, ``score`` (text, read by the validation), ``comment`` (the picked free-text
    answer, once per response: on its first answer that is on its scale, else on its first
    row, so that text analyses count each comment once), ``question`` (the question's text),
    ``email``, ``response_id``; ``ROW`` is the response's row, so every answer of a rejected
    response points at the same row of the file. An unanswered question gives a row with no score
    (rejected: ``missing score``), so loaded + rejected = responses x questions.

    Raises
    ------
    DataError
        No NPS, CSAT or CES question is found or named.
    """
    picks = pick(raw.label, wide.questions, chosen, wide.hints)
    surveys = [s for s in SURVEYS if s in picks]
    if not surveys:
        shown = ", ".join(list(wide.questions)[:8]) or "none"
        raise DataError(
            f"{raw.label}: no NPS, CSAT or CES question found (questions: {shown}); name it "
            'in [columns.surveys] of cx.toml, e.g. nps = "<question text>"'
        )
    several = SOURCE in wide.frame.collect_schema().names()
    usable = [_in_scale(picks[s], s).alias(f"__cx_usable_{s}") for s in surveys]

    def comment(index: int) -> pl.Expr:
        """On the response's first answer that will load (else its first row), once."""
        if "comment" not in picks:
            return pl.lit(None, pl.String)
        flags = [pl.col(f"__cx_usable_{s}") for s in surveys]
        first = flags[index] & ~pl.any_horizontal(flags[:index]) if index else flags[0]
        if index == 0:
            first = first | ~pl.any_horizontal(flags)
        return pl.when(first).then(pl.col(picks["comment"]).cast(pl.String))

    frame = wide.frame.with_columns(usable)
    parts = [
        frame.select(
            ROW,
            RAGGED,
            *([SOURCE] if several else []),
            pl.lit(index, pl.Int32).alias("__cx_survey_order"),
            customer_id=wide.customer_id,
            ts=wide.ts,
            survey=pl.lit(survey, pl.String),
            score=score_text(picks[survey]),
            comment=comment(index),
            question=pl.lit(wide.questions[picks[survey]] or picks[survey], pl.String),
            email=wide.email,
            response_id=wide.response_id,
        )
        for index, survey in enumerate(surveys)
    ]
    order = [*([SOURCE] if several else []), ROW, "__cx_survey_order"]
    frame = pl.concat(parts).sort(order).drop("__cx_survey_order")
    return dataclasses.replace(raw, frame=frame, columns=OUTPUTS)
