"""The ``cx`` command line.

::

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
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

from cxlib._errors import DataError
from cxlib.io import KINDS

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_DATA = 2
EXIT_REJECTED = 3
EXIT_CODES = """exit codes:
  0  success
  1  a failure: a report notebook failed, or an output file could not be written
  2  unusable input or bad arguments (one line on stderr, no traceback)
  3  cx validate: every row, or more than --max-reject-share of them, was rejected"""
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
        rejects every row or more than ``--max-reject-share`` of them, 1 for other
        failures.

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
        return args.run(args)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_DATA


# -- cx validate --------------------------------------------------------------------------


def _validate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="the data file: CSV (.csv, .csv.gz, ...), Parquet or NDJSON")
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
        "--timezone", default="UTC", help="time zone of timestamps without an offset (default UTC)"
    )
    parser.add_argument("--encoding", default="utf8", help="text encoding, e.g. cp1252")
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
    from cxlib.io import explain_rejects, load_table
    from cxlib.privacy import write_csv_safe

    path = Path(args.path)
    kind = args.kind or _kind_of(path)
    loaded = load_table(
        kind,
        path,
        columns=_mapping(args.map),
        timezone=args.timezone,
        encoding=args.encoding,
        separator=_separator(args.separator),
        date_format=args.date_format,
        lazy=True,
    )
    rejected = loaded.rejects.height
    width = len(f"{loaded.read:,}")
    print(f"{path} ({kind})")
    for label, count in (
        ("read", loaded.read),
        ("loaded", loaded.read - rejected),
        ("rejected", rejected),
    ):
        print(f"  {label:<9} {count:>{width},}")
    if rejected:
        print("\nrejected by reason")
        reasons = explain_rejects(loaded.rejects).rows()
        name_width = max(len(reason) for reason, *_ in reasons)
        for reason, count, hint, date_format in reasons:
            print(f"  {reason:<{name_width}}  {count:>{width},}")
            if hint:
                fix = f"; read them with --date-format '{date_format}'" if date_format else ""
                print(f"    hint: {hint}{fix}")
    if args.rejects:
        try:
            write_csv_safe(loaded.rejects, args.rejects)  # neutralizes = + - @ prefixes
        except OSError as err:
            print(f"error: cannot write {args.rejects}: {err.strerror}", file=sys.stderr)
            return EXIT_FAILED
        print(f"\nrejects written to {args.rejects} ({_rows(rejected)})")
    return _verdict(path, loaded.read, rejected, args.max_reject_share)


def _verdict(path: Path, read: int, rejected: int, max_share: float) -> int:
    """EXIT_REJECTED, with one line on stderr, when too many rows were rejected to go on."""
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
        help="notebook parameter, e.g. -p funnel_within=3d (repeatable)",
    )
    parser.add_argument(
        "--notebooks",
        default=None,
        help="folder of NN-topic.ipynb notebooks (default: the repository's)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
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


def _report(args: argparse.Namespace) -> int:
    import logging

    from cxlib.report import run_report

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logging.getLogger("cx.report").addHandler(handler)
    logging.getLogger("cx.report").setLevel(logging.INFO)
    result = run_report(
        args.config or args.data or "data/sample",
        args.out,
        parameters=_parameters(args.parameter),
        notebooks_dir=args.notebooks,
        jobs=args.jobs,
        timeout=args.timeout,
    )
    if result.ok:
        print(f"report published: {result.out / 'index.html'} ({result.seconds:.0f}s)")
        return EXIT_OK
    failed = ", ".join(o.job.name for o in result.outcomes if not o.ok)
    print(
        f"error: notebooks failed: {failed}; the last good report was kept; executed "
        f"notebooks with tracebacks are in {result.failed_dir}",
        file=sys.stderr,
    )
    return EXIT_FAILED


# -- the parser ---------------------------------------------------------------------------

Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: tuple[Command, ...] = (
    ("validate", _validate_arguments, _validate),
    ("sample", _sample_arguments, _sample),
    ("report", _report_arguments, _report),
)
_HELP = {
    "validate": "check a data file: counts read, loaded and rejected, and why",
    "sample": "write the synthetic sample dataset (Parquet)",
    "report": "run every report notebook and publish offline HTML",
}


def _parser() -> argparse.ArgumentParser:
    from importlib.metadata import version

    __version__ = version("cxlib")
    parser = argparse.ArgumentParser(
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
