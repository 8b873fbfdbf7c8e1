"""The ``cx`` command line: ``main([...])`` in process, plus one run of the installed script."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import cxlib
from cxlib.cli import main

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
    assert main(["validate", str(touchpoints), "--kind", "touchpoints"]) == 0
    out = capsys.readouterr().out
    lines = [line.split() for line in out.splitlines()]
    assert ["read", "6"] in lines
    assert ["loaded", "2"] in lines
    assert ["rejected", "4"] in lines
    assert ["unparseable", "timestamp", "2"] in lines
    assert ["non-numeric", "revenue", "1"] in lines
    assert ["negative", "revenue", "1"] in lines


def test_validate_guesses_the_kind_from_the_file_name(touchpoints, capsys):
    assert main(["validate", str(touchpoints)]) == 0
    assert "(touchpoints)" in capsys.readouterr().out


def test_validate_without_a_guessable_kind_asks_for_it(tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_text(HEADER + ROWS)
    assert main(["validate", str(path)]) == 2
    assert "pass --kind" in capsys.readouterr().err


def test_validate_writes_the_ledger_with_formulas_neutralized(touchpoints, tmp_path, capsys):
    out = tmp_path / "out" / "rejects.csv"
    assert main(["validate", str(touchpoints), "--rejects", str(out)]) == 0
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
