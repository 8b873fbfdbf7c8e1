"""Infer a project's ``cx.toml`` from its files: :func:`infer_project` -> :class:`Draft`.

What ``cx init`` knows before it writes anything. The steps, each a guess with its evidence:

1. **Tables.** Every supported file is profiled (``_discover``); the best touchpoints,
   surveys and customers file is chosen by its columns (a touchpoints file with an event
   column beats a purchase log; then the larger file). An export split in parts (same
   folder and columns: ``events_2025-01.csv``, ``events_2025-02.csv``) becomes one table
   read through a glob pattern; other candidates are listed for the analyst.
2. **Columns** are mapped by name and checked against the values; a column the file lacks
   but whose value is evident becomes a constant (a purchase log: every row is a
   ``purchase``; an NPS export: every answer is ``nps``).
3. **Timestamps**: native, epoch (s / ms / µs), ISO text, or day-first / month-first text
   with the ``date_format`` that reads it; naive wall times get a ``timezone`` guessed
   from the currency or the script of the text (Vietnamese, Thai), else UTC.
4. The touchpoints are then **loaded** with that mapping (in memory, nested fields as
   dotted columns), and from the loaded rows come: the touchpoint -> **stage** mapping
   (``_synonyms.role_of``), the **conversion** (a known name; else the event carrying
   revenue; else the buying event that most often ends a history), the **friction**
   events, the **channel** normalization and groups, and the **churn** rule: the
   ``churned`` column of the customers table when there is one, else ``inactivity_days``
   = the 90th percentile of the gaps between a repeat customer's conversion days (visit
   days when too few customers buy twice), rounded up to whole weeks and capped at half the
   data's span so a follow-up window remains.

Nothing here writes a file; :func:`cxlib.io.write_config` renders the draft.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

import cxlib.i18n as i18n
from cxlib._engine import eager
from cxlib._errors import DataError, os_errors_as_data_errors
from cxlib.io._discover import Choice, FileGuess, data_files, profile_file, sample_frame, survey_of
from cxlib.io._explain import explain_rejects
from cxlib.io._loaders import load_table
from cxlib.io._read import file_format
from cxlib.io._stages import DEFAULT_MODEL, PRESETS
from cxlib.io._synonyms import (
    CHANNEL_GROUPS,
    CONVERSIONS,
    CURRENCIES,
    CURRENCY_PLACES,
    ROLE_STAGES,
    SCRIPT_PLACES,
    canonical_channel,
    is_friction,
    normalize_name,
    role_of,
    script_of,
)

KIND_ORDER = ("touchpoints", "surveys", "customers")
MAX_TOUCHPOINTS = 300  # stage mapping lines written; rarer touchpoints are counted only
CHURN_QUANTILE = 0.9


@dataclass
class Draft:
    """Everything ``cx init`` inferred about a data folder, with the evidence.

    Attributes
    ----------
    root : Path
        The data folder.
    tables : dict
        Table kind -> :class:`FileGuess` of the chosen file (its column choices, date
        format, ...); a kind without a file is absent.
    others : dict
        Table kind -> other files that looked like that kind (the loaders read one).
    touchpoints : polars.DataFrame or None
        The touchpoints loaded with the draft's settings (for funnel steps), None when
        they could not be loaded.
    notes : list of str
        What the analyst should know or check, one sentence each.
    """

    root: Path
    model: str = DEFAULT_MODEL
    tables: dict[str, FileGuess] = field(default_factory=dict)
    others: dict[str, list[Path]] = field(default_factory=dict)
    timezone: str | None = None
    timezone_note: str = ""
    currency: str | None = None
    currency_note: str = ""
    locale: str | None = None
    touchpoint_counts: list[tuple[str, int]] = field(default_factory=list)
    stage_mapping: dict[str, str] = field(default_factory=dict)
    unplaced: list[tuple[str, int]] = field(default_factory=list)
    conversion: str | None = None
    conversion_note: str = ""
    friction: list[str] = field(default_factory=list)
    channel_counts: list[tuple[str, int]] = field(default_factory=list)
    channel_map: dict[str, str] = field(default_factory=dict)
    unknown_channels: list[str] = field(default_factory=list)
    channel_groups: dict[str, list[str]] = field(default_factory=dict)
    churn_label: str | None = None
    inactivity_days: int | None = None
    churn_note: str = ""
    loaded: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    touchpoints: pl.DataFrame | None = field(default=None, repr=False)

    def stages(self) -> tuple[str, ...]:
        """The stages of the draft's model, in journey order (empty for custom models)."""
        return PRESETS[self.model][0] if self.model in PRESETS else ()


@os_errors_as_data_errors
def infer_project(
    data_dir: str | os.PathLike[str], *, model: str = DEFAULT_MODEL, timezone: str | None = None
) -> Draft:
    """Look at a shop's files and infer the settings of its ``cx.toml``.

    Parameters
    ----------
    data_dir : str or path
        The folder holding the shop's CSV / gzip CSV / Parquet / NDJSON files.
    model : str, default "5-stage"
        The stage model to map touchpoints onto (a preset of ``cx.io.PRESETS``).
    timezone : str, optional
        The time zone of naive timestamps, when known; guessed otherwise.

    Returns
    -------
    Draft
        Render it with :func:`cxlib.io.write_config`.

    Raises
    ------
    DataError
        ``data_dir`` is not a folder, or an unknown stage model.

    Examples
    --------
    >>> import cxlib as cx
    >>> draft = cx.io.infer_project("data/sample")
    >>> draft.tables["touchpoints"].path.name, draft.conversion
    ('touchpoints.parquet', 'purchase')
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder; pass the folder holding your data files")
    if model not in PRESETS:
        raise DataError(f"unknown stage model {model!r}; use one of {sorted(PRESETS)}")
    draft = Draft(root=root, model=model, timezone=timezone)
    files, notes = data_files(root)
    draft.notes += notes
    guesses = [profile_file(path, root) for path in files]
    for guess in guesses:
        if guess.problem:
            draft.notes.append(f"could not read {_rel(guess.path, root)}: {guess.problem}")
        elif guess.kind is None:
            draft.notes.append(f"{_rel(guess.path, root)}: not recognized as a table; ignored")
    _choose_tables(draft, [g for g in guesses if g.kind is not None], files)
    _fill_constants(draft)
    _check_unit_price(draft)
    _place(draft)
    if "touchpoints" not in draft.tables:
        draft.notes.insert(0, "no touchpoints table found: set [data] touchpoints and its columns")
        return draft
    draft.touchpoints = _load(draft, "touchpoints")
    for kind in ("surveys", "customers"):
        if kind in draft.tables:
            _load(draft, kind)
    if draft.touchpoints is not None and draft.touchpoints.height:
        _journey(draft, draft.touchpoints)
        _channels(draft, draft.touchpoints)
        _churn(draft, draft.touchpoints)
    return draft


# -- tables -------------------------------------------------------------------------------


def _choose_tables(draft: Draft, guesses: list[FileGuess], files: list[Path]) -> None:
    """The best table of each kind; files of one export split in parts (same folder, same
    columns, names differing in the middle: ``events_2025-01.csv``, ``events_2025-02.csv``)
    are read together through a glob pattern."""
    for kind in KIND_ORDER:
        mine = [g for g in guesses if g.kind == kind]
        if not mine:
            continue
        parts: dict[tuple, list[FileGuess]] = {}
        for guess in mine:
            key = (guess.path.parent, file_format(guess.path), frozenset(guess.columns))
            parts.setdefault(key, []).append(guess)
        groups = sorted(
            parts.values(),
            key=lambda g: ("touchpoint" in g[0].choices, max(x.score for x in g),
                           sum(x.size for x in g)),
            reverse=True,
        )  # fmt: skip
        best = groups[0]
        best.sort(key=lambda g: (g.score, g.size), reverse=True)
        chosen, together = best[0], [best[0]]
        pattern = _pattern([g.path for g in best], files) if len(best) > 1 else None
        if pattern is not None:
            chosen, together = dataclasses.replace(best[0], path=pattern, parts=len(best)), best
        draft.tables[kind] = chosen
        draft.others[kind] = [g.path for g in mine if g not in together]


def _pattern(paths: list[Path], files: list[Path]) -> Path | None:
    """A glob pattern in the files' folder matching exactly ``paths`` among ``files``."""
    names = [p.name for p in paths]
    prefix = os.path.commonprefix(names)
    suffix = os.path.commonprefix([n[::-1] for n in names])[::-1]
    suffix = suffix[max(0, len(prefix) + len(suffix) - min(map(len, names))) :]
    # cut at word boundaries, so next month's file matches too: events_2025-* not events_2025-0*
    prefix, suffix = re.sub(r"[^\W_]+$", "", prefix), re.sub(r"^[^\W_]+", "", suffix)
    if any(c in prefix + suffix for c in "*?["):
        return None
    folder = paths[0].parent
    pattern = folder / f"{prefix}*{suffix}"
    matched = {p for p in files if p.parent == folder and fnmatch.fnmatchcase(p.name, pattern.name)}
    return pattern if matched == set(paths) else None


_QUANTITY = ("quantity", "qty", "units", "số lượng", "จำนวน")


def _check_unit_price(draft: Draft) -> None:
    """A line-item export's revenue column is often a unit price next to a quantity: say
    so, since cx reads revenue as it is (one column, no arithmetic)."""
    touchpoints = draft.tables.get("touchpoints")
    revenue = None if touchpoints is None else touchpoints.source_of("revenue")
    if touchpoints is None or revenue is None:
        return
    unit = any(word in normalize_name(revenue).split() for word in ("price", "unit", "giá"))
    quantity = [c for c in touchpoints.columns if normalize_name(c) in _QUANTITY]
    if unit and quantity:
        draft.notes.append(
            f"revenue is read from {revenue!r}, which looks like a unit price next to "
            f"{quantity[0]!r}: if each row is a line of an order, export a column with "
            f"{revenue} x {quantity[0]} (the line's value) and map revenue to it"
        )


def _fill_constants(draft: Draft) -> None:
    """Columns a table lacks whose value is evident, or a TODO saying what to fill in."""
    touchpoints = draft.tables.get("touchpoints")
    if touchpoints is not None:
        choices = touchpoints.choices
        if "touchpoint" not in choices:
            choices["touchpoint"] = Choice(
                "touchpoint",
                constant="purchase",
                evidence="no event column: every row is an order (it has "
                + " and ".join(c for c in ("revenue", "order_id") if c in choices)
                + ")",
            )
        if "channel" not in choices:
            choices["channel"] = Choice(
                "channel",
                constant="unknown",
                todo="no channel column: name where these rows happen (web, app, store, ...)",
            )
    surveys = draft.tables.get("surveys")
    if surveys is not None and "survey" not in surveys.choices:
        score = surveys.choices["score"]
        named = survey_of(score.source or "")
        if named:
            evidence = f"the score column's name ({score.source!r}) says {named}"
        else:
            top = surveys.profiles[score.source or ""].numbers.max() or 10
            named = "csat" if top <= 5 else "ces" if top <= 7 else "nps"
            evidence = f"scores go up to {top:g}: a guess from the scale"
        surveys.choices["survey"] = Choice("survey", constant=named, evidence=evidence)


def _place(draft: Draft) -> None:
    """Currency, locale and the time zone of naive timestamps."""
    texts: list[str] = []  # text of every table: the locale
    local: list[str] = []  # text of the tables with naive timestamps: their clock
    for guess in draft.tables.values():
        for name, profile in guess.profiles.items():
            code = _currency_in(name) or (
                _currency_value(profile) if "currency" in normalize_name(name) else None
            )
            if code and draft.currency is None:
                draft.currency = code
                draft.currency_note = f"from {_rel(guess.path, draft.root)} column {name!r}"
            if profile.is_text:
                texts += profile.text.unique().head(200).to_list()
                # Vietnamese comments in a survey file with offsets say nothing about the
                # clock of an event export written in UTC (Amplitude, say)
                local += texts[-200:] if guess.naive else []
    place = CURRENCY_PLACES.get(draft.currency or "")
    reason = f"the currency {draft.currency}" if place else ""
    zone = place
    if place is None:
        place, _ = _script_place(texts)
        zone, reason = _script_place(local)
    # a language reports are written in (cxlib.i18n); elsewhere the default, English
    draft.locale = place[1] if place and place[1] in i18n.LOCALES.values() else None
    place = zone
    if not any(g.naive for g in draft.tables.values()):
        return
    if draft.timezone is not None:
        draft.timezone_note = "as given"
    else:
        draft.timezone = place[0] if place else "UTC"
        draft.timezone_note = (
            f"a guess from {reason}; timestamps are written without an offset: confirm"
            if place
            else "a guess: timestamps are written without an offset; set your shop's time zone"
        )


def _script_place(texts: list[str]) -> tuple[tuple[str, str] | None, str]:
    """(time zone, locale) of the most common non-Latin script in ``texts``, and why."""
    scripts = Counter(s for s in map(script_of, texts) if s)
    if not scripts:
        return None, ""
    script = scripts.most_common(1)[0][0]
    return SCRIPT_PLACES[script], f"{script.capitalize()} text in the data"


def _currency_in(column: str) -> str | None:
    words = normalize_name(column).upper().split()
    return next((w for w in words if w in CURRENCIES), None) if len(words) > 1 else None


def _currency_value(profile) -> str | None:
    values = profile.text.str.strip_chars().str.to_uppercase()
    if values.len() == 0:
        return None
    top = values.value_counts(sort=True).row(0)[0]
    return top if top in CURRENCIES else None


# -- loading ------------------------------------------------------------------------------


def columns_of(guess: FileGuess) -> dict[str, str]:
    """The ``[columns.<kind>]`` entries: canonical -> source, where they differ."""
    return {
        c.canonical: c.source
        for c in guess.choices.values()
        if c.source is not None and c.source != c.canonical
    }


def constants_of(guess: FileGuess) -> dict[str, str]:
    """Canonical columns the file lacks, with the one value every row gets."""
    return {c.canonical: c.constant for c in guess.choices.values() if c.constant is not None}


def _load(draft: Draft, kind: str) -> pl.DataFrame | None:
    """Load one table in memory with the draft's settings; note what would be rejected."""
    guess = draft.tables[kind]
    where = _rel(guess.path, draft.root)
    try:
        frame = sample_frame(guess.path, rows=None, encoding=guess.encoding)
        constants = constants_of(guess)
        frame = frame.with_columns(pl.lit(v, pl.String).alias(k) for k, v in constants.items())

        def read(date_format: str | None):  # noqa: ANN202 - a Loaded
            return load_table(
                kind,
                frame,
                columns={k: v for k, v in columns_of(guess).items() if k not in constants},
                timezone=draft.timezone or "UTC",
                date_format=date_format,
                export=guess.export,
            )

        loaded = read(guess.date_format)
        better = _better_date_format(guess.date_format, loaded.rejects)
        if better is not None:  # the first rows could not tell day-first from month-first
            retry = read(better)
            if retry.rejects.height < loaded.rejects.height:
                draft.notes.append(
                    f"{where}: timestamps read with {better!r}, not {guess.date_format!r}: the "
                    "first rows could not tell the day from the month, the whole file can"
                )
                guess.date_format, loaded = better, retry
                _settle_order(guess, better)
    except DataError as err:
        draft.notes.append(f"{where}: could not be loaded as {kind} ({err})")
        return None
    rejected = loaded.rejects.height
    draft.loaded[kind] = f"{loaded.read - rejected:,} of {loaded.read:,} rows load"
    if rejected:
        reasons = ", ".join(
            f"{count:,} {reason}" for reason, count, *_ in explain_rejects(loaded.rejects).rows()
        )
        draft.loaded[kind] += f"; {rejected:,} would be rejected ({reasons})"
        if rejected > loaded.read / 2:
            draft.notes.append(
                f"{where}: most rows would be rejected ({reasons}); check its columns"
            )
    return eager(loaded.data)


def _settle_order(guess: FileGuess, date_format: str) -> None:
    """Record that the whole file told the order the first rows could not."""
    order = "month-first" if date_format.index("%m") < date_format.index("%d") else "day-first"
    for canonical in ("ts", "signup_ts"):
        choice = guess.choices.get(canonical)
        profile = guess.profiles.get(choice.source or "") if choice is not None else None
        if profile is None or profile.time is None:
            continue
        settled = f"{order} text (the whole file shows it)"
        choice.evidence = choice.evidence.replace(profile.time.what, settled)
        profile.__dict__["time"] = dataclasses.replace(  # a cached property: set once more
            profile.time, what=settled, date_format=date_format, ambiguous=False
        )


def _better_date_format(used: str | None, rejects: pl.DataFrame) -> str | None:
    """The date format the rejected timestamps suggest (day and month swapped), if any."""
    if used is None or rejects.height == 0:
        return None
    suggested = explain_rejects(rejects).get_column("date_format").drop_nulls().to_list()
    return next((f for f in suggested if f != used), None)


# -- the journey: stages, conversion, friction --------------------------------------------


def _counts(frame: pl.DataFrame, column: str) -> list[tuple[str, int]]:
    """Distinct values of ``column`` with their rows, most frequent first."""
    counts = frame.group_by(column).len().sort(["len", column], descending=[True, False])
    return [(str(value), int(rows)) for value, rows in counts.iter_rows()]


def _journey(draft: Draft, touchpoints: pl.DataFrame) -> None:
    draft.touchpoint_counts = _counts(touchpoints, "touchpoint")
    roles = ROLE_STAGES.get(draft.model, {})
    for name, count in draft.touchpoint_counts[:MAX_TOUCHPOINTS]:
        stage = roles.get(role_of(name) or "")
        if stage is None:
            draft.unplaced.append((name, count))
        else:
            draft.stage_mapping[name] = stage
    draft.conversion, draft.conversion_note = _conversion(touchpoints, draft.touchpoint_counts)
    names = [name for name, _ in draft.touchpoint_counts]
    draft.friction = [n for n in names if is_friction(n) and n != draft.conversion]


def _conversion(touchpoints: pl.DataFrame, counts: list[tuple[str, int]]) -> tuple[str | None, str]:
    by_name = {normalize_name(name): name for name, _ in reversed(counts)}
    for known in CONVERSIONS:
        if known in by_name:
            name = by_name[known]
            return name, f"the usual name of a conversion ({dict(counts)[name]:,} rows)"
    if "revenue" in touchpoints.columns:
        paying = (
            touchpoints.filter(pl.col("revenue") > 0)
            .group_by("touchpoint")
            .len()
            .sort(["len", "touchpoint"], descending=[True, False])
        )
        if paying.height:
            name, rows = paying.row(0)
            return name, f"a guess: the touchpoint that carries revenue most often ({rows:,} rows)"
    ordered = touchpoints.sort("customer_id", "ts")
    last = ordered.group_by("customer_id").agg(pl.col("touchpoint").last())
    ends = Counter(last["touchpoint"].to_list())
    buying = [(n, ends[n]) for n, _ in counts if role_of(n) == "buying" and ends[n]]
    if buying:
        name, ends_count = max(buying, key=lambda item: item[1])
        return name, f"a guess: the buying step that most often ends a history ({ends_count:,})"
    if ends:
        name, ends_count = ends.most_common(1)[0]
        return name, (
            f"a guess: the touchpoint that most often ends a customer's history "
            f"({ends_count:,} customers); set the event that counts as a conversion"
        )
    return None, "no touchpoint looks like a conversion"


# -- channels -----------------------------------------------------------------------------


def _channels(draft: Draft, touchpoints: pl.DataFrame) -> None:
    draft.channel_counts = _counts(touchpoints, "channel")
    normalized = []
    for value, _ in draft.channel_counts:
        canonical = canonical_channel(value)
        if canonical is None:
            draft.unknown_channels.append(value)
            normalized.append(value)
            continue
        if canonical != value:
            draft.channel_map[value] = canonical
        normalized.append(canonical)
    groups: dict[str, list[str]] = {}
    for channel, group in CHANNEL_GROUPS.items():  # in the vocabulary's order
        if channel in normalized:
            groups.setdefault(group, []).append(channel)
    draft.channel_groups = groups


# -- churn --------------------------------------------------------------------------------


def _churn(draft: Draft, touchpoints: pl.DataFrame) -> None:
    customers = draft.tables.get("customers")
    if customers is not None and "churned" in customers.choices:
        choice = customers.choices["churned"]
        draft.churn_label = "churned"
        draft.churn_note = f"the customers' {choice.source!r} column ({choice.evidence})"
        return
    span = _days(touchpoints["ts"].max() - touchpoints["ts"].min())
    if span < 28:
        draft.churn_note = f"the data spans {span:.0f} days: too short for an inactivity rule"
        return
    gaps, what = _gaps(touchpoints.filter(pl.col("touchpoint") == draft.conversion)), "conversion"
    if gaps.len() < 20:
        gaps, what = _gaps(touchpoints), "active"
    if gaps.len() < 20:
        draft.churn_note = "too few customers come back twice to derive an inactivity rule"
        return
    quantile = float(gaps.quantile(CHURN_QUANTILE, interpolation="linear") or 0.0)
    weeks = max(1, math.ceil(quantile / 7))
    cap = max(1, int(span / 2 // 7))
    draft.inactivity_days = 7 * min(weeks, cap)
    capped = f", capped at {7 * cap} days (half the {span:.0f}-day span)" if weeks > cap else ""
    draft.churn_note = (
        f"the {CHURN_QUANTILE:.0%} quantile of {gaps.len():,} gaps between consecutive {what} days "
        f"of repeat customers is {quantile:.1f} days; rounded up to whole weeks{capped}"
    )


def _gaps(events: pl.DataFrame) -> pl.Series:
    """Days between one customer's consecutive distinct days with events."""
    days = events.select("customer_id", day=pl.col("ts").dt.date()).unique()
    gaps = days.sort("customer_id", "day").select(
        gap=pl.col("day").diff().over("customer_id").dt.total_days()
    )
    return gaps["gap"].drop_nulls().cast(pl.Float64)


def _days(delta: object) -> float:
    return delta.total_seconds() / 86400 if delta is not None else 0.0  # type: ignore[union-attr]


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
