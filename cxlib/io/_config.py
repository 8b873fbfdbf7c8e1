"""Project configuration: ``cx.toml``.

Everything a run needs to know about the data lives here, so a notebook or a scheduled job
does not hard-code it. Every key is optional; without a file the defaults describe the
sample dataset. A complete example::

    [data]
    touchpoints = "touchpoints.parquet"   # paths relative to this file
    surveys = "surveys.parquet"
    customers = "customers.parquet"
    timezone = "Asia/Ho_Chi_Minh"          # for naive timestamps
    ambiguous = "earliest"                 # a wall time a DST change repeats: earliest,
                                           # latest or reject (into the rejects ledger)
    encoding = "utf8"                      # CSV encoding
    date_format = "%d/%m/%Y %H:%M"         # text timestamps written day-first (optional)
    currency = "VND"
    locale = "vi_VN"                       # the report's language: en, vi or th (or en_US,
                                           # vi_VN, th_TH); numbers and dates written so

    # or one format per table:  [data.date_format]  surveys = "%d/%m/%Y %H:%M"

    [columns.touchpoints]                  # canonical = "your column"
    customer_id = "user_id"
    ts = "event_time"
    [constants.touchpoints]                # a column the file lacks: one value for every row
    touchpoint = "purchase"                # (a purchase log; or survey = "nps" for surveys)

    [stages]
    model = "5-stage"                      # a preset (4-stage, 5-stage, 6-stage), or "custom"
    # order = ["find", "buy", "stay"]      # the stages of a custom model, in journey order
    [stages.mapping]
    webinar = "consideration"

    [journey]
    conversion = "purchase"
    funnel = ["visit", "add_to_cart", "checkout", "purchase"]   # default funnel steps
    friction = ["payment_failed", "late_delivery", "support_unresolved"]  # not set: the
                                           # touchpoints whose names mean a failure

    [channels.normalize]                   # the data's channel -> the name used in reports
    WEB = "web"
    IOS = "app"
    ANDROID = "app"
    [channels.groups]                      # omnichannel: customers in 2+ groups
    online = ["web", "app"]
    store = ["store"]

    [formats]                              # a table that is a known export, read by its
    touchpoints = "ga4"                    # reader (cxlib.io.FORMATS: ga4, segment, ...)

    [report]
    skip = ["40-churn"]                    # notebooks (NN-topic names) not to run
    settle_days = 30                       # headline rates count customers first seen this
                                           # long before the data's end (others may still act)
    notify = "curl -s -X POST -H 'Content-Type: application/json' -d @- $HOOK_URL"
                                           # run after a publish: summary + changes as JSON on stdin

    [churn]
    label = "churned"          # a boolean column on customers ("" for none), or:
    inactivity_days = 90       # churned = no touchpoint for this many days after as-of

    [privacy]
    pseudonym_key_env = "CX_PSEUDONYM_KEY"

    [themes.packaging]                     # comment themes: one keyword list per language
    en = ["packaging", "box*", "wrapp*"]   # (en, vi, th); added to the built-in themes, or
    vi = ["đóng gói", "hộp"]               # replacing the one of that name (keyword syntax:
                                           # cxlib.voc; cxlib.voc.discover_themes suggests them)

    [identity]                             # one person under several ids -> one customer_id
    columns = ["user_id", "anonymous_id", "email", "loyalty_id"]
                                           # priority order: a customer is named by its id
                                           # from the first of these it has
    max_ids = 20                           # an id seen with more other ids is not used to
                                           # merge (a shared device), and is reported
    placeholders = ["unknown", "0", "null", "none", "n/a", "-", "guest", "anonymous"]
                                           # never ids (the default list)
    hash = ["email", "phone"]              # hashed with the pseudonym key when loaded
"""

from __future__ import annotations

import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cxlib.i18n as i18n
from cxlib._engine import close_match
from cxlib._errors import DataError, os_errors_as_data_errors
from cxlib.io._stages import DEFAULT_MODEL, StageModel, stage_model
from cxlib.io._timestamps import check_date_format

KINDS = ("touchpoints", "surveys", "customers")


@dataclass(frozen=True)
class Config:
    """Settings for one project; see the module docstring for the ``cx.toml`` keys.

    Examples
    --------
    >>> import cxlib as cx
    >>> cfg = cx.Config()
    >>> cfg.conversion, cfg.stage_model().name
    ('purchase', '5-stage')
    """

    root: Path = Path(".")
    files: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    constants: dict[str, dict[str, str]] = field(default_factory=dict)
    timezone: str = "UTC"
    ambiguous: str = "earliest"
    encoding: str = "utf8"
    date_formats: dict[str, str] = field(default_factory=dict)
    currency: str = "USD"
    locale: str = "en_US"
    stages: str = DEFAULT_MODEL
    stage_order: tuple[str, ...] | None = None
    stage_mapping: dict[str, str] = field(default_factory=dict)
    conversion: str = "purchase"
    friction: tuple[str, ...] | None = None  # None: found by name when the data loads
    funnel: tuple[str, ...] | None = None
    channel_map: dict[str, str] = field(default_factory=dict)
    channel_groups: dict[str, tuple[str, ...]] | None = None
    churn_label: str | None = "churned"
    churn_inactivity_days: int | None = None
    report_skip: tuple[str, ...] = ()
    formats: dict[str, str] = field(default_factory=dict)
    report_settle_days: int = 30
    report_notify: str | None = None
    pseudonym_key_env: str = "CX_PSEUDONYM_KEY"
    identity: tuple[str, ...] = ()  # [identity] columns; () = customer_id taken as it is
    identity_max_ids: int = 20
    identity_placeholders: tuple[str, ...] = (
        "unknown", "0", "null", "none", "n/a", "-", "guest", "anonymous",
    )  # fmt: skip
    identity_hash: tuple[str, ...] = ()
    themes: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    source: str | None = None

    def stage_model(self) -> StageModel:
        """The configured journey stage model."""
        return stage_model(self.stages, stages=self.stage_order, mapping=self.stage_mapping)

    def date_format_of(self, kind: str) -> str | None:
        """The ``date_format`` for ``kind``'s text timestamps, or None for the built-in ones."""
        return self.date_formats.get(kind)

    def path_of(self, kind: str) -> Path | None:
        """Path of the file for ``kind``, or None when the project has none."""
        name = self.files.get(kind)
        return None if name is None else self.root / name


# The keys of cx.toml and the type of each value: a typo or a wrong type is an error, not
# a setting silently ignored. "names": a list of non-empty strings; "table": a table of
# strings; "kinds": a table per table kind (touchpoints, surveys, customers).
SCHEMA: dict[str, dict[str, str]] = {
    "data": {
        "touchpoints": "str", "surveys": "str", "customers": "str", "timezone": "str",
        "encoding": "str", "date_format": "str or kinds", "currency": "str", "locale": "str",
        "ambiguous": "ambiguous",
    },
    "columns": {kind: "table" for kind in KINDS},
    "constants": {kind: "table" for kind in KINDS},
    "stages": {"model": "str", "order": "names", "mapping": "table"},
    "journey": {"conversion": "str", "friction": "names", "funnel": "names"},
    "channels": {"normalize": "table", "groups": "groups"},
    "report": {"skip": "names", "settle_days": "days", "notify": "str"},
    "churn": {"label": "str", "inactivity_days": "days"},
    "privacy": {"pseudonym_key_env": "str"},
    "identity": {"columns": "names", "max_ids": "count", "placeholders": "names", "hash": "names"},
    "formats": {kind: "str" for kind in KINDS},
    "themes": {},  # any theme name: a table of keyword lists per language (_themes)
}  # fmt: skip
THEME_LANGUAGES = ("en", "vi", "th")
_TYPES = {
    "str": "a string in quotes",
    "names": 'a list of names, e.g. ["visit", "purchase"]',
    "table": 'a table of names, e.g. WEB = "web"',
    "str or kinds": 'a string, e.g. "%d/%m/%Y %H:%M", or a table per table kind',
    "groups": 'a table of lists, e.g. online = ["web", "app"]',
    "days": "a whole number of days above zero, e.g. 90",
    "count": "a whole number above zero, e.g. 20",
    "ambiguous": '"earliest", "latest" or "reject"',
}


def check_schema(doc: dict[str, Any], source: str) -> None:
    """Raise ``DataError`` naming ``cx.toml``, the key and the fix for an unknown section or
    key (with a close match) or a value of the wrong type.

    Examples
    --------
    >>> check_schema({"journey": {"funel": ["visit"]}}, "cx.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cxlib._errors.DataError: cx.toml: [journey] funel is not a setting; did you mean 'funnel'? ...
    """
    for section, body in doc.items():
        if section not in SCHEMA:
            raise DataError(
                f"{source}: [{section}] is not a section of cx.toml; "
                f"{close_match(section, list(SCHEMA))}the sections: {', '.join(SCHEMA)}"
            )
        if not isinstance(body, dict):
            raise DataError(f"{source}: [{section}] must be a table of settings, not a value")
        if section == "themes":
            _themes(body, source)
            continue
        for key, value in body.items():
            kind = SCHEMA[section].get(key)
            if kind is None:
                known = ", ".join(SCHEMA[section])
                raise DataError(
                    f"{source}: [{section}] {key} is not a setting; "
                    f"{close_match(key, list(SCHEMA[section]))}the settings: {known}"
                )
            if not _fits(kind, value):
                raise DataError(
                    f"{source}: [{section}] {key} must be {_TYPES[kind]}, not {value!r}"
                )


def _fits(kind: str, value: object) -> bool:
    def texts(values: object) -> bool:
        return isinstance(values, list) and all(isinstance(v, str) and v for v in values)

    if kind == "str":
        return isinstance(value, str)
    if kind == "names":
        return texts(value)
    if kind == "table":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if kind == "groups":
        return isinstance(value, dict) and all(texts(v) for v in value.values())
    if kind == "ambiguous":
        return value in ("earliest", "latest", "reject")
    if kind in ("days", "count"):
        return isinstance(value, int) and not isinstance(value, bool) and value > 0
    return isinstance(value, str) or (  # "str or kinds"
        isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    )


def _themes(body: dict[str, Any], source: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """``[themes.NAME]`` tables: each a keyword list per language (en, vi, th)."""
    themes = {}
    for name, languages in body.items():
        example = f'[themes.{name}] en = ["keyword", "another keyword"]'
        if not isinstance(languages, dict) or not languages:
            raise DataError(
                f"{source}: [themes] {name} must be a table of keyword lists per language, "
                f"e.g. {example}"
            )
        for language, keywords in languages.items():
            if language not in THEME_LANGUAGES:
                raise DataError(
                    f"{source}: [themes.{name}] {language} is not a language of the themes; "
                    f"use {', '.join(THEME_LANGUAGES)}"
                )
            if not _fits("names", keywords) or not keywords:
                raise DataError(
                    f"{source}: [themes.{name}] {language} must be a list of keywords, "
                    f"e.g. {example}"
                )
        themes[str(name)] = {str(k): tuple(v) for k, v in languages.items()}
    return themes


def _section(doc: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise DataError(
            f"{source}: [{key}] must be a table of settings; see README 'Your own data'"
        )
    return value


def _date_formats(value: object, source: str) -> dict[str, str]:
    """``[data] date_format``: one format for every table, or a table of formats per kind."""
    if value is None:
        return {}
    formats = value if isinstance(value, dict) else dict.fromkeys(KINDS, value)
    unknown = sorted(set(formats) - set(KINDS))
    if unknown:
        raise DataError(
            f"{source}: [data.date_format] {unknown[0]} is not a table kind; use one of "
            f"{list(KINDS)}"
        )
    for date_format in formats.values():
        try:
            check_date_format(date_format)
        except DataError as err:
            raise DataError(f"{source}: [data] {err}") from None
    return {str(kind): str(date_format) for kind, date_format in formats.items()}


def _names(value: object, key: str, source: str) -> tuple[str, ...] | None:
    """A list of names (touchpoints, notebooks), or None when the key is absent."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise DataError(f'{source}: {key} must be a list of names, e.g. ["visit", "purchase"]')
    return tuple(value)


def _identity(identity: dict[str, Any], source: str) -> dict[str, Any]:
    """``[identity]`` as Config fields; ``hash`` and ``placeholders`` keep their defaults
    when absent, and a table with keys but no ``columns`` is an error."""
    if not identity:
        return {}
    columns = _names(identity.get("columns"), "[identity] columns", source) or ()
    if not columns or len(set(columns)) != len(columns):
        raise DataError(
            f'{source}: [identity] columns must name the id columns once each, e.g. ["user_id", '
            '"anonymous_id"]'
        )
    fields: dict[str, Any] = {
        "identity": columns,
        "identity_max_ids": identity.get("max_ids", 20),
        "identity_hash": _names(identity.get("hash"), "[identity] hash", source) or (),
    }
    if "placeholders" in identity:
        fields["identity_placeholders"] = tuple(identity["placeholders"])
    return fields


def _channel_map(value: object, source: str) -> dict[str, str]:
    """``[channels.normalize]``: the data's channel name -> the name used in reports."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        raise DataError(
            f'{source}: [channels.normalize] maps channel names to names, e.g. WEB = "web"'
        )
    return dict(value)


def _channel_groups(value: object, source: str) -> dict[str, tuple[str, ...]] | None:
    """``[channels.groups]``: group name -> its channels (after normalization)."""
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(v, list) and v and all(isinstance(c, str) for c in v) for v in value.values()
    ):
        raise DataError(
            f'{source}: [channels.groups] maps a group to its channels, e.g. online = ["web", '
            '"app"]'
        )
    return {str(k): tuple(v) for k, v in value.items()}


@os_errors_as_data_errors
def read_config(path: str | Path) -> Config:
    """Read a ``cx.toml`` file.

    Parameters
    ----------
    path : str or Path
        The ``cx.toml`` file, or a directory holding one.

    Returns
    -------
    Config

    Examples
    --------
    >>> import cxlib as cx
    >>> cx.read_config("data/sample").stages   # no cx.toml there: defaults
    '5-stage'
    """
    path = Path(path)
    if path.is_dir():
        root, file = path, path / "cx.toml"
        if not file.exists():
            return Config(root=root)
    else:
        root, file = path.parent, path
    source = str(file)
    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{source}: config file not found; check the path") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{source}: not valid TOML ({err}); fix the syntax") from None

    check_schema(doc, source)
    data = _section(doc, "data", source)
    columns = _section(doc, "columns", source)
    constants = _section(doc, "constants", source)
    stages = _section(doc, "stages", source)
    journey = _section(doc, "journey", source)
    churn = _section(doc, "churn", source)
    privacy = _section(doc, "privacy", source)
    channels = _section(doc, "channels", source)
    report = _section(doc, "report", source)
    identity = _section(doc, "identity", source)
    formats = _section(doc, "formats", source)
    for key, tables in (("columns", columns), ("constants", constants)):
        unknown_kinds = sorted(set(tables) - set(KINDS))
        if unknown_kinds:
            raise DataError(
                f"{source}: [{key}.{unknown_kinds[0]}] is not a table kind; use one of "
                f"{list(KINDS)}"
            )
    order = stages.get("order")
    date_formats = _date_formats(data.get("date_format"), source)
    config = Config(
        root=root,
        files={k: str(data[k]) for k in KINDS if k in data},
        columns={k: {str(a): str(b) for a, b in v.items()} for k, v in columns.items()},
        constants={k: {str(a): str(b) for a, b in v.items()} for k, v in constants.items()},
        timezone=str(data.get("timezone", "UTC")),
        ambiguous=str(data.get("ambiguous", "earliest")),
        encoding=str(data.get("encoding", "utf8")),
        date_formats=date_formats,
        currency=str(data.get("currency", "USD")),
        locale=str(data.get("locale", "en_US")),
        stages=str(stages.get("model", DEFAULT_MODEL)),
        stage_order=tuple(order) if order is not None else None,
        stage_mapping={str(a): str(b) for a, b in stages.get("mapping", {}).items()},
        conversion=str(journey.get("conversion", "purchase")),
        friction=_names(journey.get("friction"), "[journey] friction", source),
        funnel=_names(journey.get("funnel"), "[journey] funnel", source),
        channel_map=_channel_map(channels.get("normalize", {}), source),
        channel_groups=_channel_groups(channels.get("groups"), source),
        report_skip=_names(report.get("skip", []), "[report] skip", source) or (),
        formats={kind: str(name) for kind, name in formats.items()},
        report_settle_days=report.get("settle_days", 30),
        report_notify=(str(report.get("notify", "")).strip() or None),
        churn_label=churn.get("label", "churned") or None,  # label = "": no label column
        churn_inactivity_days=churn.get("inactivity_days"),
        pseudonym_key_env=str(privacy.get("pseudonym_key_env", "CX_PSEUDONYM_KEY")),
        **_identity(identity, source),
        themes=_themes(_section(doc, "themes", source), source),
        source=source,
    )
    _check_values(config, source)
    return config


def _check_values(config: Config, source: str) -> None:
    """Settings whose values must exist: the stage model, the time zone and the locale (a
    language reports are written in); the error names cx.toml and the section."""
    i18n.language(config.locale, source=source)
    try:
        config.stage_model()
    except DataError as err:
        raise DataError(f"{source}: [stages] {err}") from None
    try:
        zoneinfo.ZoneInfo(config.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise DataError(
            f"{source}: [data] timezone {config.timezone!r} is not a time zone; use an IANA "
            "name such as 'UTC' or 'Asia/Ho_Chi_Minh'"
        ) from None
