"""The ``cx`` command line: ``main([...])`` in process, plus one run of the installed script."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import cxlib
from cxlib.cli import EXIT_REJECTED, main

HEADER = "customer_id,ts,touchpoint,channel,revenue\n"
ROWS = (
    "u1,2024-05-01 09:00,visit,web,\n"
    "u2,someday,visit,web,\n"
    "u3,2024-05-01 09:00,purchase,web,=1+1\n"
    "u4,2024-05-01 09:00,purchase,web,-4\n"
    "u5,2024-05-01 09:00,purchase,web,12\n"
    "u6,tomorrow,visit,web,\n"
)


@pytest.fixture
def touchpoints(tmp_path) -> Path:
    path = tmp_path / "touchpoints.csv"
    path.write_text(HEADER + ROWS)
    return path


def test_validate_prints_counts_and_reasons(touchpoints, capsys):
    # 4 of the 6 rows are rejected: more than the default share, hence EXIT_REJECTED
    assert main(["validate", str(touchpoints), "--kind", "touchpoints"]) == EXIT_REJECTED
    out = capsys.readouterr().out
    lines = [line.split() for line in out.splitlines()]
    assert ["read", "6"] in lines
    assert ["loaded", "2"] in lines
    assert ["rejected", "4"] in lines
    assert ["unparseable", "timestamp", "2"] in lines
    assert ["non-numeric", "revenue", "1"] in lines
    assert ["negative", "revenue", "1"] in lines


def test_validate_guesses_the_kind_from_the_file_name(touchpoints, capsys):
    assert main(["validate", str(touchpoints)]) == EXIT_REJECTED
    assert "(touchpoints)" in capsys.readouterr().out


def test_validate_without_a_guessable_kind_asks_for_it(tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_text(HEADER + ROWS)
    assert main(["validate", str(path)]) == 2
    assert "pass --kind" in capsys.readouterr().err


def test_validate_writes_the_ledger_with_formulas_neutralized(touchpoints, tmp_path, capsys):
    out = tmp_path / "out" / "rejects.csv"
    assert main(["validate", str(touchpoints), "--rejects", str(out)]) == EXIT_REJECTED
    assert f"rejects written to {out} (4 rows)" in capsys.readouterr().out
    ledger = pl.read_csv(out, infer_schema=False)
    assert ledger.columns == ["source", "kind", "row", "column", "reason", "value"]
    assert ledger["row"].to_list() == ["2", "3", "4", "6"]
    assert ledger["value"].to_list() == ["someday", "'=1+1", "'-4", "tomorrow"]


def test_validate_with_mapping_timezone_and_separator(tmp_path, capsys):
    path = tmp_path / "events.tsv"
    path.write_text("user\ttime\tevent\tchannel\nu1\t2024-05-01 09:00\tvisit\tweb\n")
    code = main(
        [
            "validate",
            str(path),
            "--kind",
            "touchpoints",
            "--map",
            "customer_id=user",
            "--map",
            "ts=time",
            "--map",
            "touchpoint=event",
            "--timezone",
            "Asia/Bangkok",
            "--separator",
            "tab",
        ]
    )
    assert code == 0
    assert ["loaded", "1"] in [line.split() for line in capsys.readouterr().out.splitlines()]


def test_validate_with_encoding(tmp_path, capsys):
    path = tmp_path / "surveys.csv"
    path.write_bytes(
        "customer_id,ts,survey,score,comment\nu1,2024-05-01,nps,9,très bien\n".encode("cp1252")
    )
    assert main(["validate", str(path)]) == 2
    assert 'encoding="cp1252"' in capsys.readouterr().err
    assert main(["validate", str(path), "--encoding", "cp1252"]) == 0
    assert ["rejected", "0"] in [line.split() for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "nowhere/touchpoints.csv"],
        ["validate", "{tp}", "--map", "customer_id"],
        ["validate", "{tp}", "--map", "=user"],
        ["validate", "{tp}", "--map", "customer_id=nobody"],
        ["validate", "{tp}", "--timezone", "Mars/Base"],
        ["validate", "{tp}", "--kind", "surveys"],
        ["validate", "{tp}", "--date-format", "DD/MM/YYYY"],
    ],
)
def test_unusable_input_exits_2_with_one_error_line(touchpoints, capsys, argv):
    code = main([arg.format(tp=touchpoints) for arg in argv])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("error: ")
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err
    assert captured.out == ""


SURVEYS_HEADER = "customer_id,ts,survey,score\n"


def write_surveys(folder: Path, timestamps: list[str]) -> Path:
    path = folder / "surveys.csv"
    rows = "".join(f"u{i},{ts},nps,9\n" for i, ts in enumerate(timestamps))
    path.write_text(SURVEYS_HEADER + rows)
    return path


DAY_FIRST = [f"{day:02d}/12/2025 14:05" for day in range(1, 31)]


def counts(out: str) -> dict[str, int]:
    words = [line.split() for line in out.splitlines()]
    return {w[0]: int(w[1].replace(",", "")) for w in words if len(w) == 2 and w[1][0].isdigit()}


def test_day_first_surveys_are_all_rejected_and_the_hint_names_the_date_format(tmp_path, capsys):
    path = write_surveys(tmp_path, DAY_FIRST)
    assert main(["validate", str(path)]) == EXIT_REJECTED
    captured = capsys.readouterr()
    assert counts(captured.out) == {"read": 30, "loaded": 0, "rejected": 30}
    assert "values look day-first, e.g. '13/12/2025 14:05'" in captured.out
    assert "--date-format '%d/%m/%Y %H:%M'" in captured.out
    assert captured.err.startswith(f"error: {path}: all 30 rows rejected; ")
    assert captured.err.count("\n") == 1


def test_day_first_surveys_load_with_the_date_format(tmp_path, capsys):
    path = write_surveys(tmp_path, DAY_FIRST)
    code = main(
        ["validate", str(path), "--date-format", "%d/%m/%Y %H:%M", "--timezone", "Asia/Bangkok"]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert counts(captured.out) == {"read": 30, "loaded": 30, "rejected": 0}
    assert captured.err == ""


@pytest.mark.parametrize(
    ("value", "date_format"), [("31-12-2025", "%d-%m-%Y"), ("31.12.2025", "%d.%m.%Y")]
)
def test_day_first_hint_for_dashes_and_dots(tmp_path, capsys, value, date_format):
    path = write_surveys(tmp_path, [value])
    assert main(["validate", str(path)]) == EXIT_REJECTED
    assert f"--date-format '{date_format}'" in capsys.readouterr().out
    assert main(["validate", str(path), "--date-format", date_format]) == 0


def test_rows_the_date_format_cannot_read_are_still_rejected(tmp_path, capsys):
    path = write_surveys(tmp_path, [*DAY_FIRST[:9], "soon"])
    assert main(["validate", str(path), "--date-format", "%d/%m/%Y %H:%M"]) == 0
    assert counts(capsys.readouterr().out) == {"read": 10, "loaded": 9, "rejected": 1}


def test_a_few_bad_rows_under_the_share_exit_0(tmp_path, capsys):
    path = write_surveys(tmp_path, ["2025-12-01 10:00"] * 8 + ["soon", "later"])
    path.write_text(
        path.read_text().replace("u1,2025-12-01 10:00,nps,9", "u1,2025-12-01 10:00,nps,11")
    )
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert counts(captured.out) == {"read": 10, "loaded": 7, "rejected": 3}
    assert captured.err == ""


@pytest.mark.parametrize(
    ("share", "expected"), [("0", EXIT_REJECTED), ("0.29", EXIT_REJECTED), ("0.3", 0), ("1", 0)]
)
def test_max_reject_share_sets_how_many_rejects_fail_the_file(tmp_path, capsys, share, expected):
    path = write_surveys(tmp_path, ["2025-12-01 10:00"] * 7 + ["soon"] * 3)  # 30% rejected
    assert main(["validate", str(path), "--max-reject-share", share]) == expected
    err = capsys.readouterr().err
    if expected == EXIT_REJECTED:
        assert f"3 of 10 rows rejected (30%), more than --max-reject-share {float(share):g}" in err


def test_rejecting_every_row_fails_even_with_max_reject_share_1(tmp_path, capsys):
    path = write_surveys(tmp_path, DAY_FIRST)
    assert main(["validate", str(path), "--max-reject-share", "1"]) == EXIT_REJECTED
    assert "all 30 rows rejected" in capsys.readouterr().err


@pytest.mark.parametrize("share", ["1.5", "-0.1", "half", "nan"])
def test_max_reject_share_outside_0_to_1_is_a_usage_error(tmp_path, capsys, share):
    path = write_surveys(tmp_path, ["2025-12-01 10:00"])
    assert main(["validate", str(path), "--max-reject-share", share]) == 2
    assert "is not a share from 0 to 1" in capsys.readouterr().err


def test_help_lists_the_exit_codes(capsys):
    assert main(["validate", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--max-reject-share" in out and "--date-format" in out
    for line in ("0  success", "2  unusable input", "3  cx validate: every row"):
        assert line in out
    assert main(["--help"]) == 0
    assert "3  cx validate" in capsys.readouterr().out


def test_missing_column_error_shows_the_map_fix(tmp_path, capsys):
    path = tmp_path / "touchpoints.csv"
    path.write_text("user,ts,touchpoint,channel\nu1,2024-05-01,visit,web\n")
    assert main(["validate", str(path)]) == 2
    assert "--map customer_id=user" in capsys.readouterr().err


def test_bad_arguments_exit_2_with_usage(capsys):
    assert main(["validate"]) == 2
    assert "usage: cx validate" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["frobnicate"]) == 2


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"cx {cxlib.__version__}"


def test_sample_calls_write_sample_and_lists_the_files(tmp_path, monkeypatch, capsys):
    calls = []

    def fake_write_sample(out, *, customers=5000, seed=7):
        calls.append((Path(out), customers, seed))
        Path(out).mkdir(parents=True, exist_ok=True)
        for kind in ("touchpoints", "surveys", "customers"):
            pl.DataFrame({"customer_id": ["u1", "u2"]}).write_parquet(Path(out) / f"{kind}.parquet")

    monkeypatch.setattr("cxlib.sample.write_sample", fake_write_sample)
    out = tmp_path / "sample"
    assert main(["sample", "--out", str(out), "--customers", "50", "--seed", "3"]) == 0
    assert calls == [(out, 50, 3)]
    printed = capsys.readouterr().out
    for kind in ("touchpoints", "surveys", "customers"):
        assert f"wrote {out / kind}.parquet (2 rows)" in printed


def test_installed_cx_script_exits_2_without_traceback(tmp_path):
    script = shutil.which("cx") or str(Path(sys.executable).parent / "cx")
    bad = tmp_path / "touchpoints.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = subprocess.run(
        [script, "validate", str(bad)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {bad}: this is not a text file")
