"""Survey tools' exports (table kind surveys): Qualtrics, SurveyMonkey, Google Forms and
Typeform, read as one row per answer to an NPS, CSAT or CES question.

Each tool writes one row per response and one column per question. The NPS / CSAT / CES
questions and the free-text comment are picked by keywords in the question texts (English,
Vietnamese, Thai; :mod:`cxlib.io._exports._wide`), and a pick is confirmed or changed in
``[columns.surveys]`` of cx.toml (``nps = "<column or question text>"``, ``ces = ""`` for
none), where ``cx init`` writes them. Answers written with their label (``"9 - Very
likely"``, ``"Extremely likely (10)"``) are read as their number; answers out of the scale
go to the rejects ledger through the usual validation. A response becomes one row per picked
question (``survey``, ``score``), with the ``question`` text, the response's ``email`` and
``response_id``, and its ``comment`` once (on its first answer on the scale, so that it
loads and counts once); an unanswered question is a ``missing score`` reject.
A respondent without an email or an id of theirs is named by the response id (such answers
count in the scores but link to no touchpoints).

The columns each format uses:

* ``qualtrics``: ``ResponseId``, ``RecordedDate`` (else ``EndDate``, ``StartDate``) -> ``ts``,
  ``ExternalReference`` (else ``RecipientEmail``, else ``ResponseId``) -> ``customer_id``,
  ``RecipientEmail`` -> ``email``, and the questions ``Q1``, ``Q2``, ... (not ``Q1_NPS_GROUP``,
  the NPS bucket Qualtrics computes). The file has two header rows under the real header:
  the question texts (used to pick the questions) and ``{"ImportId": ...}``; they are
  removed and are not data, so they count neither as read nor as rejected (the other row
  numbers keep counting them: row 3 is the first response).
* ``surveymonkey``: the header holds the question texts and its second row the sub-answers
  (``Response``, ``Open-Ended Response``: used in picking, then removed like Qualtrics'
  header rows); ``Respondent ID``, ``End Date`` (else ``Start Date``; SurveyMonkey's
  ``01/31/2025 02:05:00 PM`` is read as month first), ``Email Address`` (else ``Respondent
  ID``) -> ``customer_id``.
* ``google_forms``: ``Timestamp`` (or ``Dấu thời gian``, ``ประทับเวลา``) -> ``ts``, written in
  the form owner's locale (``[data.date_format]`` if it is not ISO), ``Email address`` (if the
  form collects it) -> ``customer_id``, else ``response <row>``; every other column is a
  question.
* ``typeform``: ``#`` (the response id), ``Submitted At`` or ``Submit Date (UTC)`` -> ``ts``, a
  hidden field ``email`` (else ``customer_id`` / ``user_id``, else ``Token``, else ``#``) ->
  ``customer_id``; ``Network ID``, ``Start Date (UTC)``, ``Token`` and lower-case hidden
  fields are not questions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import polars as pl

from cxlib.io._exports import Export, register
from cxlib.io._exports._wide import CHOICES, Wide, first_of, pick, text, to_long
from cxlib.io._read import ROW, Raw

# -- Qualtrics ----------------------------------------------------------------------------

_QUALTRICS = ("ResponseId", "StartDate", "EndDate")
_QUALTRICS_META = {
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
    "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
    "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
    "DistributionChannel", "UserLanguage",
}  # fmt: skip


def _qualtrics_header(column: pl.Expr) -> pl.Expr:
    """Qualtrics' two extra header rows: the question texts and the ImportId JSON."""
    value = column.cast(pl.String).str.strip_chars()
    return (pl.col(ROW) <= 2) & (
        (value == "Response ID") | value.str.starts_with('{"ImportId"')
    ).fill_null(False)


def _qualtrics(raw: Raw) -> Wide:
    present = set(raw.frame.collect_schema().names())
    header = raw.frame.filter(_qualtrics_header(pl.col("ResponseId")))
    is_text_row = pl.col("ResponseId").cast(pl.String).str.strip_chars() == "Response ID"
    texts = header.filter(is_text_row).head(1)
    row = texts.collect().to_dicts()
    question_texts = row[0] if row else {}
    questions = {
        c: str(question_texts.get(c) or "")
        for c in raw.columns
        if c not in _QUALTRICS_META and not c.startswith("Q_") and not c.endswith("_NPS_GROUP")
    }
    response = text("ResponseId", present)
    return Wide(
        frame=raw.frame.filter(~_qualtrics_header(pl.col("ResponseId"))),
        questions=questions,
        customer_id=pl.coalesce(
            text("ExternalReference", present),
            text("RecipientEmail", present).str.to_lowercase(),
            response,
        ),
        ts=first_of(("RecordedDate", "EndDate", "StartDate"), present),
        email=text("RecipientEmail", present),
        response_id=response,
    )


# -- SurveyMonkey -------------------------------------------------------------------------

_MONKEY = ("Respondent ID", "Start Date", "End Date")
_MONKEY_META = {
    "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
    "First Name", "Last Name",
}  # fmt: skip
_US_TIMES = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p")


def _us_time(value: pl.Expr) -> pl.Expr:
    """SurveyMonkey's month-first times as ISO text (other text as it is)."""
    parsed = pl.coalesce(
        [value.str.strptime(pl.Datetime("us"), f, strict=False) for f in _US_TIMES]
    )
    return pl.coalesce(parsed.dt.strftime("%Y-%m-%dT%H:%M:%S"), value)


def _surveymonkey(raw: Raw) -> Wide:
    present = set(raw.frame.collect_schema().names())
    respondent = text("Respondent ID", present)
    sub_header = (pl.col(ROW) == 1) & respondent.is_null()
    row = raw.frame.filter(sub_header).head(1).collect().to_dicts()
    answers = row[0] if row else {}
    questions = {
        c: c for c in raw.columns if c not in _MONKEY_META and not c.startswith("Custom Data")
    }
    email = text("Email Address", present)
    return Wide(
        frame=raw.frame.filter(~sub_header),
        questions=questions,
        customer_id=pl.coalesce(email.str.to_lowercase(), respondent),
        ts=_us_time(first_of(("End Date", "Start Date"), present)),
        email=email,
        response_id=respondent,
        hints={c: str(answers.get(c) or "") for c in questions},
    )


# -- Google Forms -------------------------------------------------------------------------

_FORMS_TIME = ("Timestamp", "Dấu thời gian", "ประทับเวลา")
_FORMS_EMAIL = ("Email address", "Email Address", "Địa chỉ email", "ที่อยู่อีเมล")
_FORMS_META = {*_FORMS_TIME, *_FORMS_EMAIL, "Score", "Điểm", "คะแนน"}


def _google_forms(raw: Raw) -> Wide:
    present = set(raw.frame.collect_schema().names())
    email = first_of(_FORMS_EMAIL, present)
    response = pl.format("response {}", pl.col(ROW))
    return Wide(
        frame=raw.frame,
        questions={c: c for c in raw.columns if c not in _FORMS_META},
        customer_id=pl.coalesce(email.str.to_lowercase(), response),
        ts=first_of(_FORMS_TIME, present),
        email=email,
        response_id=response,
    )


# -- Typeform -----------------------------------------------------------------------------

_TYPEFORM_TIME = ("Submitted At", "Submit Date (UTC)")
_TYPEFORM_META = {
    "#", "Response Type", "Start Date (UTC)", "Stage Date (UTC)", "Network ID", "Token",
    "Tags", "Ending", *_TYPEFORM_TIME,
}  # fmt: skip
_HIDDEN_IDS = ("email", "customer_id", "user_id")


def _typeform(raw: Raw) -> Wide:
    present = set(raw.frame.collect_schema().names())
    hidden = {c.lower(): c for c in raw.columns if c.lower() in _HIDDEN_IDS}
    email = text(hidden["email"], present) if "email" in hidden else pl.lit(None, pl.String)
    response = first_of(("#", "Token"), present)
    ids = [text(hidden[h], present) for h in _HIDDEN_IDS[1:] if h in hidden]
    return Wide(
        frame=raw.frame,
        questions={
            c: c
            for c in raw.columns
            if c not in _TYPEFORM_META and not c.replace("_", "").isalnum()  # hidden fields
        },
        customer_id=pl.coalesce(email.str.to_lowercase(), *ids, text("Token", present), response),
        ts=first_of((*_TYPEFORM_TIME, "Start Date (UTC)"), present),
        email=email,
        response_id=response,
    )


# -- registration -------------------------------------------------------------------------


def _detect_google_forms(columns: tuple[str, ...]) -> bool:
    """A first column ``Timestamp`` (in English, Vietnamese or Thai) and a question."""
    if not columns or columns[0] not in _FORMS_TIME:
        return False
    return bool(pick("", {c: c for c in columns if c not in _FORMS_META}).keys() - {"comment"})


def _register(
    name: str,
    columns: str,
    detect: Callable[[tuple[str, ...]], bool],
    shape: Callable[[Raw], Wide],
) -> Export:
    """Register survey tool ``name``, whose file ``shape`` reads, as a surveys export."""

    def convert(raw: Raw, chosen: Mapping[str, str] | None = None) -> Raw:
        return to_long(raw, shape(raw), chosen)

    def choose(raw: Raw) -> dict[str, str]:  # a question by its text when that is unique
        wide = shape(raw)
        texts = list(wide.questions.values())
        return {
            key: text if (text := wide.questions[column]) and texts.count(text) == 1 else column
            for key, column in pick(raw.label, wide.questions, hints=wide.hints).items()
        }

    return register(
        Export(name, "surveys", columns, detect, convert, choices=CHOICES, choose=choose)
    )


QUALTRICS = _register(
    "qualtrics",
    "Qualtrics CSV (3 header rows): ResponseId, RecordedDate, ExternalReference / "
    "RecipientEmail, the NPS / CSAT / CES questions and the comment picked from Q1, Q2, ...",
    lambda columns: set(_QUALTRICS) <= set(columns),
    _qualtrics,
)
SURVEYMONKEY = _register(
    "surveymonkey",
    "SurveyMonkey CSV (2-row header): Respondent ID, End Date, Email Address, the NPS / CSAT"
    " / CES questions and the comment picked by their text",
    lambda columns: set(_MONKEY) <= set(columns),
    _surveymonkey,
)
GOOGLE_FORMS = _register(
    "google_forms",
    "Google Forms CSV: Timestamp, Email address, the NPS / CSAT / CES questions and the "
    "comment picked by their text",
    _detect_google_forms,
    _google_forms,
)
TYPEFORM = _register(
    "typeform",
    "Typeform CSV: #, Submitted At, a hidden field email, Token, the NPS / CSAT / CES "
    "questions and the comment picked by their text",
    lambda columns: {"#", "Network ID"} <= set(columns),
    _typeform,
)
