"""The ``cx`` command line.

::

    cx init data/shop                       # writes data/shop/cx.toml from the files there
    cx validate --config data/shop/cx.toml  # every table of the project at once
    cx validate data/touchpoints.csv --map customer_id=user --rejects rejects.csv
    cx validate data/surveys.csv --date-format "%d/%m/%Y %H:%M"
    cx sample --out data/sample
    cx --version

Every subcommand is one entry of ``COMMANDS``: a function adding its arguments to an
argparse parser and a function running it that returns the exit code (``EXIT_CODES``,
also shown by ``cx --help``). Unusable input exits with status 2 and a one-line
``error: ...`` on stderr, never a traceback; ``cx validate`` exits 3 when the file reads
but too many of its rows are rejected to use it.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import polars as pl

from cxlib._errors import DataError
from cxlib.io import KINDS

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_DATA = 2
EXIT_REJECTED = 3
EXIT_BUSY = 75  # EX_TEMPFAIL: try again later
EXIT_CODES = """exit codes:
  0  success
  1  a failure: a report notebook failed, or an output file could not be written
  2  unusable input, bad arguments or a file that cannot be read or written (one line on
     stderr, no traceback)
  3  cx validate: every row, or more than --max-reject-share of them, was rejected
  75 cx report: another run is writing the same --out (it is named); nothing was done"""
# Over half the rows rejected: the file is being misread (date format, separator, column
# mapping), not holding a few bad rows.
DEFAULT_MAX_REJECT_SHARE = 0.5


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cx`` command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 for unusable input or bad arguments, 3 when ``cx validate``
        rejects every row or more than ``--max-reject-share`` of them, 75 when another
        ``cx report`` is writing the same ``--out``, 1 for other failures.

    Examples
    --------
    >>> from cxlib.cli import main
    >>> main(["validate", "missing.csv", "--kind", "touchpoints"])
    2
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_DATA
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.run(args)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_DATA
    except OSError as err:  # permission denied, read-only folder, disk full, ...
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err}; check the path and its permissions",
              file=sys.stderr)  # fmt: skip
        return EXIT_DATA
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    """Warnings on the command line: one line, ``warning: ...``, no source location."""
    print(f"warning: {message}", file=sys.stderr)


# -- cx init ------------------------------------------------------------------------------


def _init_arguments(parser: argparse.ArgumentParser) -> None:
    from cxlib.io import DEFAULT_MODEL, PRESETS

    parser.add_argument("data", help="the folder holding the shop's files (CSV, Parquet, NDJSON)")
    parser.add_argument("--out", help="the cx.toml to write (default DATA/cx.toml)")
    parser.add_argument("--force", action="store_true", help="replace an existing cx.toml")
    parser.add_argument(
        "--stages",
        default=DEFAULT_MODEL,
        choices=sorted(PRESETS),
        help=f"the journey stage model to map touchpoints onto (default {DEFAULT_MODEL})",
    )
    parser.add_argument(
        "--timezone", help="time zone of timestamps without an offset (default: a guess)"
    )


def _init(args: argparse.Namespace) -> int:
    from cxlib.io import infer_project, write_config
    from cxlib.journey import suggest_steps

    data = Path(args.data)
    out = Path(args.out) if args.out else data / "cx.toml"
    if out.exists() and not args.force:
        raise DataError(f"{out}: already exists; pass --force to replace it, or --out elsewhere")
    draft = infer_project(data, model=args.stages, timezone=args.timezone)
    steps: list[str] = []
    note = "no conversion found, so no funnel: list the steps"
    if draft.touchpoints is not None and draft.conversion is not None:
        steps = suggest_steps(draft.touchpoints, draft.conversion)
        note = (
            f"computed: what most customers do before their first {draft.conversion}, in "
            "their usual order"
            if len(steps) > 1
            else f"nothing common comes before {draft.conversion}: a one-step funnel"
        )
    path = write_config(draft, out, funnel=steps, funnel_note=note, overwrite=args.force)
    print(f"wrote {path}")
    for kind in KINDS:
        guess = draft.tables.get(kind)
        loaded = "" if guess is None else draft.loaded.get(kind, "could not be loaded")
        found = "not found" if guess is None else f"{guess.path.name} ({loaded})"
        print(f"  {kind:<12} {found}")
    if draft.conversion:
        print(f"  {'conversion':<12} {draft.conversion}")
    if steps:
        print(f"  {'funnel':<12} {' > '.join(steps)}")
    todo = path.read_text(encoding="utf-8").count("TODO:")
    for line in draft.notes:
        print(f"  note: {line}")
    check = f"fill in the {todo} TODO line{'s' if todo != 1 else ''}, " if todo else ""
    print(f"\nread it, correct it, {check}then run: cx validate --config {path}")
    return EXIT_OK


# -- cx validate --------------------------------------------------------------------------


def _validate_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "path", nargs="?", help="the data file: CSV (.csv, .csv.gz, ...), Parquet or NDJSON"
    )
    source.add_argument(
        "--config",
        metavar="CX_TOML",
        help="check every table of a project at once, read as cx.toml says (a cx.toml or "
        "the folder holding it); the file options below come from it",
    )
    parser.add_argument(
        "--kind",
        choices=KINDS,
        help="table kind; default from the file name (touchpoints.csv, ...)",
    )
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="CANONICAL=SOURCE",
        help="use SOURCE column as CANONICAL, e.g. --map customer_id=user (repeatable)",
    )
    parser.add_argument("--rejects", metavar="FILE", help="write the rejects ledger to FILE (CSV)")
    parser.add_argument(
        "--timezone", help="time zone of timestamps without an offset (default UTC)"
    )
    parser.add_argument("--encoding", help="text encoding, e.g. cp1252 (default utf8)")
    parser.add_argument("--separator", help="CSV separator (default: sniffed); 'tab' for tabs")
    parser.add_argument(
        "--date-format",
        metavar="FORMAT",
        help="strptime format of text timestamps, e.g. '%%d/%%m/%%Y %%H:%%M' for day-first "
        "31/12/2025 14:05 (Vietnamese and Thai exports); tried first, ISO 8601 and epoch "
        "values still parse",
    )
    parser.add_argument(
        "--max-reject-share",
        type=_share,
        default=DEFAULT_MAX_REJECT_SHARE,
        metavar="SHARE",
        help="exit 3 when more than this share of the rows is rejected, 0 to 1 (default "
        f"{DEFAULT_MAX_REJECT_SHARE}: when over half the rows fail, the file is being "
        "misread, by a date format, a separator or a column mapping, rather than holding a "
        "few bad rows); rejecting every row always exits 3",
    )


def _share(text: str) -> float:
    try:
        share = float(text)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r} is not a share from 0 to 1, e.g. 0.5")
    return share


def _validate(args: argparse.Namespace) -> int:
    from cxlib.io import load_table

    if args.config:
        return _validate_project(args)
    path = Path(args.path)
    kind = args.kind or _kind_of(path)
    loaded = load_table(
        kind,
        path,
        columns=_mapping(args.map),
        timezone=args.timezone or "UTC",
        encoding=args.encoding or "utf8",
        separator=_separator(args.separator),
        date_format=args.date_format,
        lazy=True,
    )
    _print_table(f"{path} ({kind})", loaded.read, loaded.rejects, "--date-format '{}'")
    if args.rejects and not _write_rejects(loaded.rejects, args.rejects):
        return EXIT_FAILED
    return _verdict(path, loaded.read, loaded.rejects.height, args.max_reject_share)


def _validate_project(args: argparse.Namespace) -> int:
    """``cx validate --config``: every table of the project, read as ``cx.toml`` says."""
    from cxlib.io import RejectedRowsWarning, load, read_config

    given = [
        option
        for option, value in (
            ("--kind", args.kind),
            ("--map", args.map),
            ("--timezone", args.timezone),
            ("--encoding", args.encoding),
            ("--separator", args.separator),
            ("--date-format", args.date_format),
        )
        if value
    ]
    if given:
        raise DataError(
            f"{given[0]} does not go with --config: cx.toml holds the settings of every "
            "table; change it there"
        )
    config = read_config(args.config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RejectedRowsWarning)
        dataset = load(config, lazy=True)
    verdicts = []
    for kind, read, _, _ in dataset.summary().iter_rows():
        path = config.path_of(kind) or config.root / f"{kind}.*"
        rejects = dataset.rejects.filter(pl.col("kind") == kind)
        fix = f'{kind} = "{{}}" under [data.date_format] in cx.toml'
        _print_table(f"{path} ({kind})", read, rejects, fix)
        print()
        verdicts.append(_verdict(path, read, rejects.height, args.max_reject_share))
    missing = [kind for kind in KINDS if kind not in dataset.read]
    if missing:
        print(f"no file for {', '.join(missing)} (optional)")
    if args.rejects and not _write_rejects(dataset.rejects, args.rejects):
        return EXIT_FAILED
    return max(verdicts)


def _print_table(title: str, read: int, rejects: pl.DataFrame, fix: str) -> None:
    """Counts read / loaded / rejected, then the reasons with their hints.

    ``fix`` names how to apply a guessed date format, with ``{}`` for the format.
    """
    from cxlib.io import explain_rejects

    rejected = rejects.height
    width = len(f"{read:,}")
    print(title)
    for label, count in (("read", read), ("loaded", read - rejected), ("rejected", rejected)):
        print(f"  {label:<9} {count:>{width},}")
    if rejected:
        print("\nrejected by reason")
        reasons = explain_rejects(rejects).rows()
        name_width = max(len(reason) for reason, *_ in reasons)
        for reason, count, hint, date_format in reasons:
            print(f"  {reason:<{name_width}}  {count:>{width},}")
            if hint:
                how = f"; read them with {fix.format(date_format)}" if date_format else ""
                print(f"    hint: {hint}{how}")


def _write_rejects(rejects: pl.DataFrame, target: str) -> bool:
    from cxlib.privacy import write_csv_safe

    try:
        write_csv_safe(rejects, target)  # neutralizes = + - @ prefixes
    except OSError as err:
        print(f"error: cannot write {target}: {err.strerror}", file=sys.stderr)
        return False
    print(f"\nrejects written to {target} ({_rows(rejects.height)})")
    return True


def _verdict(path: Path, read: int, rejected: int, max_share: float) -> int:
    """EXIT_REJECTED, with one line on stderr, when too many rows were rejected to go on."""
    if read == 0:
        return EXIT_OK
    if rejected == read:
        problem = f"all {_rows(read)} rejected"
    elif rejected / read > max_share:
        problem = (
            f"{rejected:,} of {_rows(read)} rejected ({rejected / read:.0%}), more than "
            f"--max-reject-share {max_share:g}"
        )
    else:
        return EXIT_OK
    print(
        f"error: {path}: {problem}; the file is unusable as read: fix the reasons above",
        file=sys.stderr,
    )
    return EXIT_REJECTED


def _rows(count: int) -> str:
    return f"{count:,} row" + ("" if count == 1 else "s")


def _kind_of(path: Path) -> str:
    name = path.name.lower()
    for kind in KINDS:
        if name.startswith(kind):
            return kind
    raise DataError(
        f"{path}: cannot tell the table kind from the file name; pass --kind {'|'.join(KINDS)}"
    )


def _mapping(pairs: Sequence[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        canonical, equals, source = pair.partition("=")
        if not equals or not canonical.strip() or not source.strip():
            raise DataError(
                f"--map {pair!r}: write it as canonical=source, e.g. --map customer_id=user"
            )
        mapping[canonical.strip()] = source.strip()
    return mapping


def _separator(separator: str | None) -> str | None:
    return {"tab": "\t", "\\t": "\t"}.get(separator, separator) if separator else None


# -- cx sample ----------------------------------------------------------------------------


def _sample_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="folder to write the Parquet files to")
    parser.add_argument("--customers", type=int, default=5000, help="customers (default 5000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")


def _sample(args: argparse.Namespace) -> int:
    from cxlib.sample import write_sample

    out = Path(args.out)
    write_sample(out, customers=args.customers, seed=args.seed)
    for kind in KINDS:
        path = out / f"{kind}.parquet"
        if path.exists():
            rows = pl.scan_parquet(path).select(pl.len()).collect().item()
            print(f"wrote {path} ({_rows(rows)})")
    return EXIT_OK


# -- cx report ----------------------------------------------------------------------------


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", default=None, help="data folder (default data/sample)")
    source.add_argument("--config", default=None, help="a cx.toml naming the data")
    parser.add_argument(
        "--out", default="reports/latest", help="folder to publish into (default reports/latest)"
    )
    parser.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="notebook parameter, e.g. -p funnel_within=3d (repeatable); a key no report "
        "notebook declares is an error",
    )
    parser.add_argument(
        "--list-params",
        action="store_true",
        help="list every report notebook's parameters (name, default, comment) and exit; "
        "loads no data",
    )
    parser.add_argument(
        "--notebooks",
        default=None,
        help="folder of NN-topic.ipynb notebooks (default: the repository's)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="notebooks run at once, at most (default 2; fewer when they would pass --memory)",
    )
    parser.add_argument(
        "--memory",
        default=None,
        metavar="SIZE",
        help="memory budget of the run, e.g. 6GB or 800MB (default: a quarter of the "
        "machine's memory); decides how many notebooks run at once",
    )
    parser.add_argument(
        "--timeout", type=int, default=600, help="seconds a notebook cell may run (default 600)"
    )


def _parameters(pairs: Sequence[str]) -> dict[str, object]:
    import ast

    parameters: dict[str, object] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip().isidentifier():
            raise DataError(f"-p {pair!r}: write it as key=value, e.g. -p stage=conversion")
        try:  # numbers and booleans as literals, anything else as a string
            parameters[key.strip()] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            parameters[key.strip()] = value
    return parameters


def _list_parameters(args: argparse.Namespace) -> bool:
    """``--list-params``: print the notebooks' parameters and return True (no data is
    read); otherwise return False (``run_report`` checks the ``-p`` keys before it reads
    any data)."""
    if not args.list_params:
        return False
    from cxlib.report import default_notebooks_dir, describe_parameters, report_parameters

    notebooks = Path(args.notebooks) if args.notebooks else default_notebooks_dir()
    declared = report_parameters(notebooks)
    if not declared:
        raise DataError(
            f"{notebooks}: no report notebooks (NN-topic.ipynb) found; pass --notebooks DIR"
        )
    print(describe_parameters(declared))
    return True


_UNITS = {"": 1, "K": 2**-10, "M": 1, "G": 2**10, "T": 2**20}


def _megabytes(size: str | None) -> float | None:
    """``--memory``: a size such as ``6GB``, ``6G``, ``6 GiB`` or ``800MB``, in MB (plain
    numbers are MB; units are powers of 1024)."""
    if size is None:
        return None
    text = size.strip().upper().removesuffix("B").removesuffix("I")
    number, unit = text.rstrip("KMGT").strip(), text[len(text.rstrip("KMGT")) :]
    try:
        value = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        value = 0.0
    if not value > 0:
        raise DataError(f"--memory {size!r}: give a size such as 6GB or 800MB")
    return value


def _report(args: argparse.Namespace) -> int:
    import logging

    from cxlib.report import ReportBusy, run_report

    parameters = _parameters(args.parameter)
    if _list_parameters(args):
        return EXIT_OK
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logging.getLogger("cx.report").addHandler(handler)
    logging.getLogger("cx.report").setLevel(logging.INFO)
    try:
        result = run_report(
            args.config or args.data or "data/sample",
            args.out,
            parameters=parameters,
            notebooks_dir=args.notebooks,
            jobs=args.jobs,
            timeout=args.timeout,
            memory_mb=_megabytes(args.memory),
        )
    except ReportBusy as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BUSY
    if result.ok:
        print(
            f"report published: {result.out / 'index.html'} ({result.seconds:.0f} s, "
            f"{result.cpu_seconds:.0f} s of CPU)"
        )
        changes = [c for c in result.summary.get("changes", []) if c["credible"]]
        if result.summary.get("compared_with"):
            print(f"credible changes since the last report: {len(changes)}")
        if result.notify_error:
            print(f"warning: {result.notify_error}; the report is published", file=sys.stderr)
        return EXIT_OK
    failed = ", ".join(o.job.name for o in result.outcomes if not o.ok)
    kept = (
        f"the last good report at {result.out} was kept"
        if result.had_report
        else f"no report has been published at {result.out} yet"
    )
    print(
        f"error: notebooks failed: {failed}; {kept}; executed notebooks with tracebacks "
        f"are in {result.failed_dir}",
        file=sys.stderr,
    )
    return EXIT_FAILED


# -- the parser ---------------------------------------------------------------------------

Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: tuple[Command, ...] = (
    ("init", _init_arguments, _init),
    ("validate", _validate_arguments, _validate),
    ("sample", _sample_arguments, _sample),
    ("report", _report_arguments, _report),
)
_HELP = {
    "init": "look at a shop's files and write a commented cx.toml to check and correct",
    "validate": "check a data file, or every table of a cx.toml: counts read, loaded and "
    "rejected, and why",
    "sample": "write the synthetic sample dataset (Parquet)",
    "report": "run every report notebook and publish offline HTML",
}


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's promise: a bad argument is one line on stderr and exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {self.prog}: {message}; see {self.prog} --help", file=sys.stderr)
        raise SystemExit(EXIT_DATA)


def _parser() -> argparse.ArgumentParser:
    from importlib.metadata import version

    __version__ = version("cxlib")
    parser = _Parser(
        prog="cx",
        description="Customer-experience workbench.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cx {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name, add_arguments, run in COMMANDS:
        command = commands.add_parser(
            name,
            help=_HELP.get(name),
            description=_HELP.get(name),
            epilog=EXIT_CODES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_arguments(command)
        command.set_defaults(run=run)
    return parser
