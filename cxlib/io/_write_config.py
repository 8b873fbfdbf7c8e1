"""Write a :class:`~cxlib.io._infer.Draft` as a commented ``cx.toml`` a person can correct.

Every setting is written with its evidence in a comment on the same line (sample values,
how many rows, why it was chosen); a setting that could not be decided is written
commented out after a ``TODO`` saying what to fill in. The keys are those of
``cxlib.io._config`` (the documentation at its top), plus ``[constants.<kind>]`` for a
column a file lacks but whose value is evident (every row of a purchase log is a
``purchase``), used once the loaders read that table.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
import tomllib
from datetime import date
from pathlib import Path

from cxlib._errors import DataError, os_errors_as_data_errors
from cxlib.io import _exports as exports
from cxlib.io._discover import FileGuess, commentable
from cxlib.io._infer import KIND_ORDER, Draft, columns_of, constants_of
from cxlib.io._read import read_raw

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_COMMENT_AT = 36  # column where same-line comments start


@os_errors_as_data_errors
def write_config(
    draft: Draft,
    path: str | os.PathLike[str],
    *,
    funnel: list[str] | None = None,
    funnel_note: str = "",
    overwrite: bool = False,
) -> Path:
    """Write ``draft`` as a commented ``cx.toml`` at ``path``.

    Parameters
    ----------
    draft : Draft
        From :func:`cxlib.io.infer_project`.
    path : str or path
        The file to write; data paths in it are relative to its folder.
    funnel : list of str, optional
        The default funnel steps (``[journey] funnel``), e.g. from
        :func:`cxlib.journey.suggest_steps`; written commented out when empty.
    funnel_note : str, optional
        How the steps were found, for the comment.
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    DataError
        The file exists and ``overwrite`` is False, or it cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import cxlib as cx
    >>> draft = cx.io.infer_project("data/sample")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "cx.toml"
    >>> cx.io.write_config(draft, out).name
    'cx.toml'
    """
    out = Path(path)
    if out.exists() and not overwrite:
        raise DataError(f"{out}: already exists; pass --force (overwrite=True) to replace it")
    text = render_config(draft, out, funnel=funnel, funnel_note=funnel_note)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as err:
        raise DataError(f"{out}: cannot write the config ({err.strerror})") from None
    return out


def render_config(
    draft: Draft, out: Path, *, funnel: list[str] | None = None, funnel_note: str = ""
) -> str:
    """The text of the ``cx.toml`` for ``draft``, to be written at ``out``."""
    lines = _header(draft, out)
    lines += _data(draft, out)
    for kind in KIND_ORDER:
        if kind in draft.tables:
            lines += _columns(draft, kind)
    lines += _stages(draft)
    lines += _journey(draft, funnel, funnel_note)
    lines += _channels(draft)
    lines += _churn(draft)
    text = "\n".join(lines).rstrip() + "\n"
    tomllib.loads(text)  # a bug here must not leave an unreadable file behind
    return text


# -- TOML pieces --------------------------------------------------------------------------


def _str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _str(name)


def _list(values: list[str]) -> str:
    return "[" + ", ".join(_str(v) for v in values) + "]"


def _line(setting: str, comment: str = "") -> str:
    if not comment:
        return setting
    return f"{setting:<{_COMMENT_AT - 1}} # {commentable(comment)}"


def _todo(setting: str, why: str) -> list[str]:
    return [f"# TODO: {commentable(why)}", f"# {setting}"]


def _rel(path: Path, out: Path) -> str:
    return Path(os.path.relpath(path.resolve(), out.resolve().parent)).as_posix()


# -- sections -----------------------------------------------------------------------------


def _header(draft: Draft, out: Path) -> list[str]:
    lines = [
        f"# cx.toml for {commentable(str(draft.root))}, written by `cx init` on "
        f"{date.today().isoformat()}.",
        "# Each setting is a guess from the data, with its evidence in a comment: read them,",
        "# correct what is wrong, fill in the TODO lines, then check the result with",
        f"#   cx validate --config {commentable(str(out))}",
        "# The keys are documented at the top of cxlib/io/_config.py.",
    ]
    if draft.notes:
        lines += ["#", "# Notes:"]
        for note in draft.notes:
            wrapped = textwrap.wrap(commentable(note), width=92)
            lines += [f"#   - {wrapped[0]}"] + [f"#     {more}" for more in wrapped[1:]]
    return lines + [""]


def _data(draft: Draft, out: Path) -> list[str]:
    lines = ["[data]"]
    for kind in KIND_ORDER:
        guess = draft.tables.get(kind)
        if guess is None:
            optional = "" if kind == "touchpoints" else " (optional)"
            what = f"no {kind} table found{optional}"
            lines += (
                _todo(f'{kind} = "<file>"', what)
                if kind == "touchpoints"
                else [f"# {kind}: {what}"]
            )
            continue
        setting = f"{kind} = {_str(_rel(guess.path, out))}"
        loaded = draft.loaded.get(kind, "could not be loaded: see the notes")
        if guess.parts > 1:
            loaded = f"{guess.parts} files with the same columns, read as one table: {loaded}"
        if constants_of(guess):
            loaded = f"with [constants.{kind}]: {loaded}"
        lines.append(_line(setting, loaded))
        others = draft.others.get(kind, [])
        if others:
            names = ", ".join(_rel(p, out) for p in others[:5])
            more = f" and {len(others) - 5} more" if len(others) > 5 else ""
            lines.append(
                f"#   also looks like {kind}: {commentable(names)}{more}; point here at the "
                'one you want, or at a pattern reading several as one table ("events/*.csv")'
            )
    encodings = {g.encoding: k for k, g in draft.tables.items() if g.encoding}
    if encodings:  # one encoding for every table: the touchpoints' if they differ
        encoding = draft.tables["touchpoints"].encoding if "touchpoints" in draft.tables else None
        encoding = encoding or next(iter(encodings))
        others = sorted(set(encodings) - {encoding})
        note = "detected: the files are not UTF-8" + (
            f"; {', '.join(encodings[e] for e in others)} look {', '.join(others)}: "
            "re-export them as UTF-8"
            if others
            else ""
        )
        lines.append(_line(f"encoding = {_str(encoding)}", note))
    if draft.timezone:
        lines.append(_line(f"timezone = {_str(draft.timezone)}", draft.timezone_note or "as given"))
    else:
        not_needed = "not needed: timestamps carry an offset or are epochs"
        lines.append(_line('# timezone = "UTC"', not_needed))
    if draft.currency:
        lines.append(_line(f"currency = {_str(draft.currency)}", draft.currency_note))
    else:
        lines.append(_line('# currency = "USD"', "no currency column or code seen: the default"))
    if draft.locale:
        lines.append(_line(f"locale = {_str(draft.locale)}", "a guess, like the time zone"))
    exported = {k: g.export for k, g in draft.tables.items() if g.export}
    if exported:
        lines += ["", _line("[formats]", "tables that are a known export, read by its reader")]
        for kind, name in exported.items():
            lines.append(_line(f"{kind} = {_str(name)}", exports.FORMATS[name].columns))
    lines += _identity(draft)
    formats = {k: g for k, g in draft.tables.items() if g.date_format}
    if formats:
        lines += ["", _line("[data.date_format]", "text timestamps cx reads with a format")]
        for kind, guess in formats.items():
            lines.append(_line(f"{kind} = {_str(guess.date_format or '')}", _format_note(guess)))
    return lines + [""]


def _identity(draft: Draft) -> list[str]:
    """``[identity]`` for an export whose rows carry a person's ids side by side (GA4:
    user_id after login, user_pseudo_id always): stitched, earlier anonymous events join
    the customer who logged in later."""
    guess = draft.tables.get("touchpoints")
    export = exports.FORMATS.get(guess.export or "") if guess is not None else None
    if export is None or not export.identity:
        return []
    why = "ids of one person in this export: rows carrying both link them (see the README)"
    return ["", "[identity]", _line(f"columns = {_list(list(export.identity))}", why)]


def _format_note(guess: FileGuess) -> str:
    source = guess.source_of("ts") or guess.source_of("signup_ts") or ""
    profile = guess.profiles.get(source)
    time = None if profile is None else profile.time
    if profile is None or time is None:
        return ""
    note = f"{time.what}, {profile.examples(2)}; {time.parsed:.0%} of the first rows read"
    if time.ambiguous:
        note += "; TODO: no day above 12 seen, so day-first is assumed: confirm"
    return note


def _columns(draft: Draft, kind: str) -> list[str]:
    guess = draft.tables[kind]
    lines = [f"[columns.{kind}]", '# canonical column = "your column"']
    lines += _picked(guess)
    taken = exports.FORMATS[guess.export].choices if guess.export else ()  # by the reader
    mapped = columns_of(guess)
    for choice in guess.choices.values():
        if choice.constant is not None or choice.canonical in taken:
            continue
        setting = f"{choice.canonical} = {_str(choice.source or '')}"
        if choice.todo:
            lines += _todo(setting, choice.todo)
        elif choice.canonical in mapped:
            lines.append(_line(setting, choice.evidence))
        else:  # already named canonically: nothing to map
            lines.append(_line(f"# {setting}", "already the canonical name; " + choice.evidence))
    used = {c.source for c in guess.choices.values()}
    rest = [c for c in guess.columns if c not in used]
    if rest:
        what = "segment attributes" if kind == "customers" else "properties"
        names = ", ".join(rest[:10]) + (f" (+{len(rest) - 10} more)" if len(rest) > 10 else "")
        lines.append(f"# other columns pass through as {what}: {commentable(names)}")
    constants = constants_of(guess)
    if constants:
        lines += ["", f"[constants.{kind}]", "# columns the file lacks: one value for every row"]
        for choice in guess.choices.values():
            if choice.constant is None:
                continue
            setting = f"{choice.canonical} = {_str(choice.constant)}"
            # a required column: kept as a placeholder so that the table loads
            lines.append(_line(setting, f"TODO: {choice.todo}" if choice.todo else choice.evidence))
    return lines + [""]


def _picked(guess: FileGuess) -> list[str]:
    """The questions a survey export's reader picks by their words (``nps = "<question>"``),
    written as settings to be confirmed; none for other tables."""
    if not guess.export or not exports.FORMATS[guess.export].choices:
        return []
    try:
        raw = read_raw(guess.path, encoding=guess.encoding or "utf8")
        picks = exports.chosen(guess.export, raw)
    except DataError:
        return []
    why = 'the {} question, picked by its words: confirm, or name another ({} = "" for none)'
    return [_line(f"{key} = {_str(column)}", why.format(key, key)) for key, column in picks.items()]


def _stages(draft: Draft) -> list[str]:
    lines = ["[stages]", _line(f"model = {_str(draft.model)}", " > ".join(draft.stages()))]
    if not draft.touchpoint_counts:
        return lines + [""]
    counts = dict(draft.touchpoint_counts)
    order = {stage: i for i, stage in enumerate(draft.stages())}
    lines += ["", _line("[stages.mapping]", "touchpoint = stage")]
    for name, stage in sorted(
        draft.stage_mapping.items(), key=lambda kv: (order.get(kv[1], 99), -counts[kv[0]])
    ):
        lines.append(_line(f"{_key(name)} = {_str(stage)}", f"{counts[name]:,} rows"))
    if draft.unplaced:
        lines.append(
            f"# TODO: place these touchpoints in a stage ({', '.join(draft.stages())}); "
            "unplaced ones get no stage"
        )
        for name, count in draft.unplaced:
            lines.append(_line(f'# {_key(name)} = ""', f"{count:,} rows"))
    rest = len(draft.touchpoint_counts) - len(draft.stage_mapping) - len(draft.unplaced)
    if rest > 0:
        lines.append(f"# ... and {rest:,} rarer touchpoints, not listed")
    return lines + [""]


def _journey(draft: Draft, funnel: list[str] | None, funnel_note: str) -> list[str]:
    lines = ["[journey]"]
    if draft.conversion is None:
        lines += _todo('conversion = "<touchpoint>"', "the touchpoint that counts as a conversion")
    else:
        lines.append(_line(f"conversion = {_str(draft.conversion)}", draft.conversion_note))
    if funnel:
        lines.append(_line(f"funnel = {_list(funnel)}", funnel_note))
    else:
        lines += _todo('funnel = ["<step>", "<step>"]', funnel_note or "the default funnel steps")
    if draft.friction:
        lines.append(_line(f"friction = {_list(draft.friction)}", "their names mean a failure"))
    else:
        lines.append(_line("friction = []", "no touchpoint name means a failure; add any that do"))
    return lines + [""]


def _channels(draft: Draft) -> list[str]:
    if not draft.channel_counts:
        return []
    counts = dict(draft.channel_counts)
    lines = [_line("[channels.normalize]", "the data's channel = the name in reports")]
    for value, channel in draft.channel_map.items():
        lines.append(_line(f"{_key(value)} = {_str(channel)}", f"{counts[value]:,} rows"))
    for value in draft.unknown_channels:
        lines.append(
            _line(
                f'# {_key(value)} = "<channel>"',
                f"TODO: not recognized, stays as it is ({counts[value]:,} rows)",
            )
        )
    if not draft.channel_map and not draft.unknown_channels:
        lines.append("# every channel already has its report name")
    normalized = list(dict.fromkeys(draft.channel_map.get(v, v) for v, _ in draft.channel_counts))
    lines += ["", _line("[channels.groups]", "omnichannel: customers in 2+ groups")]
    if len(normalized) == 1:
        lines.append(f"# the data has one channel ({commentable(normalized[0])}): the omnichannel "
                     "pages need two")  # fmt: skip
    elif len(draft.channel_groups) == 1:
        lines.append(
            "# every channel is in one group; to compare channels instead: "
            + ", ".join(f"{c} = [{_str(c)}]" for c in normalized)
        )
    for group, channels in draft.channel_groups.items():
        lines.append(f"{_key(group)} = {_list(channels)}")
    if not draft.channel_groups:
        lines += _todo('online = ["web", "app"]', "group the channels for the omnichannel pages")
    return lines + [""]


def _churn(draft: Draft) -> list[str]:
    lines = ["[churn]"]
    if draft.churn_label:
        return lines + [_line(f"label = {_str(draft.churn_label)}", draft.churn_note), ""]
    if draft.inactivity_days:
        lines.append(_line('label = ""', "no churn column on customers: the rule below is used"))
        lines.append(_line(f"inactivity_days = {draft.inactivity_days}", draft.churn_note))
        return lines + [""]
    why = draft.churn_note or "no churn column and no inactivity rule could be derived"
    lines += _todo('label = "<yes/no column on customers>"', why)
    lines.append("# inactivity_days = 90")
    return lines + [""]
