"""A project's data in one object: ``cx.load(folder)`` -> :class:`Dataset`."""

from __future__ import annotations

import dataclasses
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cxlib._engine import check_values, lazy_like
from cxlib._errors import DataError, os_errors_as_data_errors
from cxlib.io._config import KINDS, Config, read_config
from cxlib.io._explain import explain_rejects
from cxlib.io._loaders import RejectedRowsWarning, load_table
from cxlib.io._read import is_supported
from cxlib.io._stages import StageModel
from cxlib.io._stitch import Stitched, apply, hash_ids, stitch
from cxlib.io._synonyms import is_friction
from cxlib.io._validate import empty_rejects

Frame = pl.DataFrame | pl.LazyFrame
DUPLICATE_STITCHED = "duplicate customer_id after stitching"


@dataclass
class Dataset:
    """Touchpoints, surveys and customers of one project, with their rejects ledger.

    Attributes
    ----------
    touchpoints : polars.DataFrame or LazyFrame
        Canonical touchpoints with a ``stage`` column from ``stages``.
    surveys, customers : polars.DataFrame or LazyFrame, or None
        None when the project has no such file.
    stages : StageModel
        The journey stage model from the config.
    rejects : polars.DataFrame
        Rejected rows of all tables: ``source, kind, row, column, reason, value``.
    config : Config
        The settings the data was loaded with.
    read : dict
        Data rows read per table kind.
    stitched : Stitched or None
        With ``[identity]`` in cx.toml: how the id columns were linked into customers
        (``.ledger``, ``.refused``, ``.customers_before``, ``.customers_after``); else None.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> ds.summary().columns
    ['kind', 'read', 'loaded', 'rejected']
    """

    touchpoints: Frame
    surveys: Frame | None
    customers: Frame | None
    stages: StageModel
    rejects: pl.DataFrame
    config: Config
    read: dict[str, int]
    stitched: Stitched | None = None

    def __post_init__(self) -> None:
        # friction not configured: the touchpoints whose names mean a failure, so every
        # analysis of this dataset sees one list (``cx.load`` or a hand-built Dataset)
        if self.config.friction is None:
            friction = _friction(self.config, self.touchpoints)
            object.__setattr__(self, "config", dataclasses.replace(self.config, friction=friction))

    @property
    def stitches(self) -> pl.DataFrame | None:
        """The stitch ledger (``customer_id, column, id, rows``), or None without ``[identity]``."""
        return None if self.stitched is None else self.stitched.ledger

    @property
    def stitch_refused(self) -> pl.DataFrame | None:
        """Ids not used to merge (``column, id, linked_ids, reason``), or None."""
        return None if self.stitched is None else self.stitched.refused

    def summary(self) -> pl.DataFrame:
        """Rows read, loaded and rejected per table: ``kind, read, loaded, rejected``.

        Examples
        --------
        >>> import cxlib as cx
        >>> cx.load("data/sample").summary()["kind"].to_list()
        ['touchpoints', 'surveys', 'customers']
        """
        kinds = [kind for kind in KINDS if kind in self.read]
        rejected = dict(self.rejects.group_by("kind").len().iter_rows())
        return pl.DataFrame(
            {
                "kind": kinds,
                "read": [self.read[k] for k in kinds],
                "loaded": [self.read[k] - rejected.get(k, 0) for k in kinds],
                "rejected": [rejected.get(k, 0) for k in kinds],
            },
            schema={"kind": pl.String, "read": pl.Int64, "loaded": pl.Int64, "rejected": pl.Int64},
        )

    def __repr__(self) -> str:
        origin = self.config.source or str(self.config.root)
        lines = [
            f"Dataset from {origin} ({self.stages.name} journey: {' > '.join(self.stages.stages)})"
        ]
        for kind, _, loaded, rejected in self.summary().iter_rows():
            note = f", {rejected:,} rejected" if rejected else ""
            lines.append(f"  {kind:<12} {_rows(loaded):>14}{note}")
        for kind in KINDS:
            if kind not in self.read:
                lines.append(f"  {kind:<12} {'no file':>14}")
        if self.rejects.height:
            lines.append(
                f"  .rejects lists the {_rows(self.rejects.height)} rejected, "
                ".summary() counts them"
            )
        return "\n".join(lines)


@os_errors_as_data_errors
def load(source: str | os.PathLike[str] | Config, *, lazy: bool = False) -> Dataset:
    """Load a project's touchpoints, surveys and customers.

    Parameters
    ----------
    source : str, path or Config
        A folder (with a ``cx.toml`` in it, or files named ``touchpoints.*``,
        ``surveys.*``, ``customers.*`` with a supported extension), a ``cx.toml`` file, or
        a :class:`Config`. Touchpoints are required; surveys and customers are optional.
        The ``channel`` of touchpoints and surveys is renamed by ``[channels.normalize]``
        (values not listed there stay as they are).
    lazy : bool, default False
        Keep the tables as ``LazyFrame`` s. The rejects ledger is computed either way.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        No touchpoints file, an unusable file, or a bad ``cx.toml``.

    Examples
    --------
    >>> import cxlib as cx
    >>> ds = cx.load("data/sample")
    >>> ds.touchpoints.columns[:4]
    ['customer_id', 'ts', 'touchpoint', 'channel']
    """
    config = _config(source)
    paths = {kind: _locate(config, kind) for kind in KINDS}
    if paths["touchpoints"] is None:
        raise DataError(
            f"{config.root}: no touchpoints file (looked for touchpoints.csv, "
            ".parquet, .ndjson, ...); add one or name it in cx.toml under "
            '[data] touchpoints = "<file>"'
        )
    model = config.stage_model()
    tables: dict[str, Frame | None] = dict.fromkeys(KINDS)
    ledgers, read, hints = [empty_rejects()], {}, []
    for kind, path in paths.items():
        if path is None:
            continue
        loaded = load_table(
            kind,
            path,
            columns=config.columns.get(kind),
            timezone=config.timezone,
            encoding=config.encoding,
            date_format=config.date_format_of(kind),
            ambiguous=config.ambiguous,
            lazy=lazy,
            stages=model,
            constants=config.constants.get(kind),
            export=config.formats.get(kind),
            identity=config.identity,
        )
        data = _hash_ids(config, loaded.data)
        tables[kind], read[kind] = _normalize_channels(data, config.channel_map), loaded.read
        ledgers.append(loaded.rejects)
        if loaded.rejects.height:
            hints += [f"{hint}; " for hint in _date_format_hints(kind, loaded.rejects)]
    _check_names(config, tables["touchpoints"])
    stitched = None
    if config.identity:
        stitched = stitch(
            tables,
            config.identity,
            max_ids=config.identity_max_ids,
            placeholders=config.identity_placeholders,
        )
        tables = {kind: _stitched(t, stitched) for kind, t in tables.items()}
        if tables["customers"] is not None:
            tables["customers"], merged = _one_row_per_customer(tables["customers"])
            ledgers.append(merged)
    rejects = pl.concat(ledgers)
    if rejects.height:
        origin = config.source or config.root
        warnings.warn(
            f"{origin}: {_rows(rejects.height)} rejected while loading; "
            f"{''.join(hints)}see ds.rejects and ds.summary()",
            RejectedRowsWarning,
            stacklevel=2,
        )
    return Dataset(
        touchpoints=tables["touchpoints"],
        surveys=tables["surveys"],
        customers=tables["customers"],
        stages=model,
        rejects=rejects,
        config=config,
        read=read,
        stitched=stitched,
    )


def _hash_ids(config: Config, table: Frame) -> Frame:
    """``[identity] hash`` columns (emails, phones) replaced by keyed hashes, before
    anything else sees them."""
    if not config.identity_hash:
        return table
    return hash_ids(
        table,
        config.identity_hash,
        key=os.environ.get(config.pseudonym_key_env),
        placeholders=config.identity_placeholders,
    )


def _stitched(table: Frame | None, stitched: Stitched) -> Frame | None:
    return None if table is None else apply(table, stitched)


def _one_row_per_customer(customers: Frame) -> tuple[Frame, pl.DataFrame]:
    """Customers whose rows were stitched into one keep the first row; the others go to
    the rejects ledger (no row number: the row is one of the customer's earlier ids)."""
    frame = customers.lazy().with_columns(pl.int_range(pl.len()).alias("__cx_row"))
    first = pl.col("__cx_row") == pl.col("__cx_row").min().over("customer_id")
    merged = frame.filter(~first).select(
        pl.lit("stitching", pl.String).alias("source"),
        pl.lit("customers", pl.String).alias("kind"),
        pl.lit(None, pl.Int64).alias("row"),
        pl.lit("customer_id", pl.String).alias("column"),
        pl.lit(DUPLICATE_STITCHED, pl.String).alias("reason"),
        pl.col("customer_id").alias("value"),
    )
    kept = frame.filter(first).drop("__cx_row")
    return lazy_like(kept, customers), merged.collect()


def _check_names(config: Config, touchpoints: Frame) -> None:
    """Touchpoints and channels the configuration names, checked against the data.

    A typo (``add_to_kart`` where the data has ``add_to_cart``) raises DataError naming the
    ``cx.toml`` key and the close match; a name absent from the data warns. Only names the
    configuration sets are checked: built-in defaults such as the friction list may be absent.
    """
    origin = config.source or "configuration"
    default = Config()
    touchpoint_names = {
        "[journey] funnel": list(config.funnel or ()),
        "[journey] conversion": (
            [config.conversion] if config.conversion != default.conversion else []
        ),
        "[journey] friction": list(config.friction or ()),
        "[stages.mapping]": list(config.stage_mapping),
    }
    for key, names in touchpoint_names.items():
        check_values(touchpoints, "touchpoint", names, argument=f"{origin} {key}")
    channels = [c for group in (config.channel_groups or {}).values() for c in group]
    check_values(
        touchpoints, "channel", channels, argument=f"{origin} [channels.groups]", what="channel"
    )


def _friction(config: Config, touchpoints: Frame) -> tuple[str, ...]:
    """Friction when ``[journey] friction`` is not set: the touchpoints whose names mean a
    failure (failed, late, unresolved, refund, lỗi, ยกเลิก, ...), never the conversion."""
    names = touchpoints.lazy().select(pl.col("touchpoint").unique()).collect()
    found = [n for n in names.get_column("touchpoint").to_list() if n and is_friction(n)]
    return tuple(sorted(n for n in found if n != config.conversion))


def _normalize_channels(table: Frame, channel_map: dict[str, str]) -> Frame:
    """``[channels.normalize]`` applied to a table's ``channel`` column; other values stay."""
    if not channel_map or "channel" not in table.collect_schema().names():
        return table
    return table.with_columns(pl.col("channel").replace(channel_map))


def _date_format_hints(kind: str, rejects: pl.DataFrame) -> list[str]:
    """How to read timestamps that look day-first (or month-first), in cx.toml terms."""
    explained = explain_rejects(rejects).drop_nulls("date_format")
    return [
        f'{kind} timestamp {hint}: set {kind} = "{date_format}" under [data.date_format] in cx.toml'
        for hint, date_format in explained.select("hint", "date_format").iter_rows()
    ]


def _rows(count: int) -> str:
    return f"{count:,} row" + ("" if count == 1 else "s")


def _config(source: str | os.PathLike[str] | Config) -> Config:
    if isinstance(source, Config):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(
            f"cx.load takes a folder, a cx.toml path or a Config, got {type(source).__name__}"
        )
    path = Path(source)
    if not path.exists():
        raise DataError(f"{path}: not found; pass the folder holding your data or its cx.toml")
    if path.is_dir() or path.suffix.lower() == ".toml":
        return read_config(path)
    raise DataError(
        f"{path}: cx.load takes a folder or a cx.toml; read one file with "
        "cx.read_touchpoints / read_surveys / read_customers"
    )


def _locate(config: Config, kind: str) -> Path | None:
    """The configured file for ``kind``, else the one ``<kind>.<ext>`` in the folder."""
    configured = config.path_of(kind)
    if configured is not None:
        return configured
    if not config.root.is_dir():
        return None
    found = sorted(
        p
        for p in config.root.iterdir()
        if p.is_file() and p.name.lower().startswith(kind + ".") and is_supported(p)
    )
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise DataError(
            f"{config.root}: several {kind} files ({names}); name the one to read in "
            f'cx.toml under [data] {kind} = "{found[0].name}", or a pattern that reads '
            'several files as one table ("events/*.csv")'
        )
    return found[0] if found else None
