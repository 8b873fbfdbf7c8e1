"""The ``cx`` command line: ``main([...])`` in process, plus one run of the installed script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

import cxlib
import cxlib.io._infer
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


def test_bad_arguments_exit_2_with_one_line_pointing_at_help(capsys):
    for argv in (["validate"], [], ["frobnicate"], ["report", "--jobs", "abc"], ["sample"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: cx") and err.count("\n") == 1, err
        assert "--help" in err


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


# -- cx init: four shops' exports, then cx validate --config ------------------------------

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def ga4_export(folder: Path) -> None:
    """GA4-like: user_pseudo_id, event_name, event_timestamp in µs, WEB/IOS/ANDROID."""
    rows = []
    for c in range(40):
        for visit in range(1 + c % 3):
            at = START + timedelta(days=c % 9 + 17 * visit, hours=c % 5)
            funnel = ["session_start", "page_view", "view_item", "page_view", "add_to_cart"]
            funnel += ["page_view", "begin_checkout"]
            steps = funnel[: 3 + 2 * ((c + visit) % 3)]
            steps += ["purchase"] if (c + visit) % 3 == 2 else []
            for i, event in enumerate(steps):
                rows.append(
                    {
                        "event_date": (at + timedelta(minutes=i)).strftime("%Y%m%d"),
                        "event_timestamp": int((at + timedelta(minutes=i)).timestamp() * 1e6),
                        "event_name": event,
                        "user_pseudo_id": f"{1000 + c}.{1740000000 + c}",
                        "platform": ["WEB", "IOS", "ANDROID"][c % 3],
                        "ga_session_id": 1740000000 + 100 * c + visit,
                        "ecommerce.purchase_revenue": 25.0 + c if event == "purchase" else None,
                        "currency": "USD",
                    }
                )
    pl.DataFrame(rows).write_parquet(folder / "events_20250301.parquet")


def segment_export(folder: Path) -> None:
    """Segment-like NDJSON (flattened keys): userId after sign-in only, anonymousId always."""
    events = ["Product Viewed", "Product Added", "Checkout Started", "Order Completed"]
    with (folder / "segment-dump.ndjson").open("w") as out:
        for c in range(30):
            at = START + timedelta(days=c % 7)
            for i, event in enumerate(events[: 2 + c % 3]):
                line = {
                    "type": "track",
                    "event": event,
                    "anonymousId": f"anon-{c:03d}",
                    "userId": f"user-{c:03d}" if i >= 1 else None,
                    "timestamp": (at + timedelta(minutes=3 * i)).isoformat().replace("+00:00", "Z"),
                    "context.channel": ["web", "ios", "android"][c % 3],
                    "properties.revenue": 40.0 if event == "Order Completed" else None,
                    "properties.currency": "EUR",
                }
                out.write(json.dumps(line) + "\n")


def purchase_log(folder: Path) -> None:
    """A purchases-only transaction log: customer, order_date day-first, amount."""
    rows = []
    for c in range(40):
        for k in range(1 + c % 4):
            at = START + timedelta(days=(20 + c % 6) * k + c % 10, hours=c % 8)
            rows.append((f"KH{c:04d}", f"HD{c:04d}{k}", at.strftime("%d/%m/%Y %H:%M"), 150 + c))
    pl.DataFrame(
        rows, schema=["customer", "order_id", "order_date", "amount"], orient="row"
    ).write_csv(folder / "transactions.csv")


def survey_project(folder: Path) -> None:
    """A clickstream, a survey CSV with its own column names, and a CRM table."""
    events = []
    for c in range(24):
        for i, action in enumerate(["visit", "search", "checkout", "purchase"][: 2 + c % 3]):
            at = START + timedelta(days=c, minutes=5 * i)
            device = ["desktop", "mobile app", "in-store"][c % 3]
            events.append((f"m{c}", at.strftime("%Y-%m-%d %H:%M:%S"), action, device))
    pl.DataFrame(events, schema=["user", "time", "action", "device"], orient="row").write_csv(
        folder / "web_events.csv"
    )
    answers = [
        (f"m{c}", (START + timedelta(days=c + 1)).strftime("%d/%m/%Y %H:%M"), kind, score, text)
        for c in range(24)
        for kind, score, text in [("NPS", c % 11, "Giao hàng chậm"), ("CSAT", 1 + c % 5, "ok")]
    ]
    pl.DataFrame(
        answers,
        schema=["respondent_id", "submitted_at", "survey_type", "rating", "feedback"],
        orient="row",
    ).write_csv(folder / "feedback_export.csv")
    pl.DataFrame(
        {
            "customer_no": [f"m{c}" for c in range(24)],
            "is_churned": ["yes" if c % 4 == 0 else "no" for c in range(24)],
            "segment": ["gold", "silver"] * 12,
        }
    ).write_csv(folder / "crm.csv")


def init(folder: Path, capsys) -> dict:
    """Run cx init on the folder; the written cx.toml as TOML, its text under '__text__'."""
    assert main(["init", str(folder)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {folder / 'cx.toml'}" in printed
    text = (folder / "cx.toml").read_text(encoding="utf-8")
    return {**tomllib.loads(text), "__text__": text}


def load_and_validate(folder: Path, capsys) -> cxlib.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no rejected rows, no warnings
        dataset = cxlib.load(folder / "cx.toml")
    assert main(["validate", "--config", str(folder / "cx.toml")]) == 0
    assert capsys.readouterr().err == ""
    return dataset


def test_init_reads_a_ga4_export(tmp_path, capsys):
    ga4_export(tmp_path)
    doc = init(tmp_path, capsys)
    # recognized as a GA4 export: its reader maps the columns (user_id or user_pseudo_id,
    # event_timestamp in microseconds, event_name, platform, purchase revenue, sessions)
    assert doc["formats"] == {"touchpoints": "ga4"}
    assert doc["columns"]["touchpoints"] == {}
    assert "date_format" not in doc["data"] and "timezone" not in doc["data"]
    assert doc["data"]["currency"] == "USD"
    assert doc["journey"]["conversion"] == "purchase"
    assert doc["journey"]["funnel"] == [
        "session_start",
        "view_item",
        "add_to_cart",
        "begin_checkout",
        "purchase",
    ]
    assert doc["channels"]["normalize"] == {}  # the reader writes web and app itself
    assert doc["stages"]["mapping"]["begin_checkout"] == "conversion"
    dataset = load_and_validate(tmp_path, capsys)
    touchpoints = dataset.touchpoints
    assert set(touchpoints["channel"]) == {"web", "app"}
    assert touchpoints["stage"].null_count() == 0
    assert dataset.config.churn_label is None and dataset.config.churn_inactivity_days


def test_init_reads_a_segment_dump(tmp_path, capsys):
    segment_export(tmp_path)
    doc = init(tmp_path, capsys)
    columns = doc["columns"]["touchpoints"]
    assert (columns["customer_id"], columns["ts"], columns["touchpoint"]) == (
        "anonymousId",
        "timestamp",
        "event",
    )
    assert columns["channel"] == "context.channel"
    assert columns["revenue"] == "properties.revenue"
    assert "also possible: userId" in doc["__text__"]
    assert doc["journey"]["conversion"] == "Order Completed"
    assert doc["journey"]["funnel"] == [
        "Product Viewed",
        "Product Added",
        "Checkout Started",
        "Order Completed",
    ]
    assert doc["channels"]["normalize"] == {"ios": "app", "android": "app"}
    assert doc["data"]["currency"] == "EUR"
    assert "timezone" not in doc["data"]  # ISO text with Z: no guess needed
    dataset = load_and_validate(tmp_path, capsys)
    assert set(dataset.touchpoints["channel"]) == {"web", "app"}


def test_init_reads_a_survey_export_with_its_own_column_names(tmp_path, capsys):
    survey_project(tmp_path)
    doc = init(tmp_path, capsys)
    assert doc["data"]["surveys"] == "feedback_export.csv"
    assert doc["columns"]["surveys"] == {
        "customer_id": "respondent_id",
        "ts": "submitted_at",
        "survey": "survey_type",
        "score": "rating",
        "comment": "feedback",
    }
    assert doc["data"]["date_format"] == {"surveys": "%d/%m/%Y %H:%M"}
    assert doc["data"]["timezone"] == "Asia/Ho_Chi_Minh"  # Vietnamese comments; naive times
    assert "a guess" in doc["__text__"]
    assert doc["columns"]["customers"] == {"customer_id": "customer_no", "churned": "is_churned"}
    assert doc["churn"] == {"label": "churned"}
    assert doc["channels"]["normalize"] == {
        "desktop": "web",
        "mobile app": "app",
        "in-store": "store",
    }
    assert doc["channels"]["groups"] == {"online": ["web", "app"], "store": ["store"]}
    dataset = load_and_validate(tmp_path, capsys)
    assert dataset.surveys.height == 48 and set(dataset.surveys["survey"]) == {"nps", "csat"}


def test_init_reads_a_purchases_only_log(tmp_path, capsys):
    purchase_log(tmp_path)
    doc = init(tmp_path, capsys)
    assert doc["columns"]["touchpoints"] == {
        "customer_id": "customer",
        "ts": "order_date",
        "revenue": "amount",
    }
    assert doc["constants"]["touchpoints"] == {"touchpoint": "purchase", "channel": "unknown"}
    assert 'channel = "unknown"' in doc["__text__"] and "TODO: no channel column" in doc["__text__"]
    assert doc["data"]["date_format"] == {"touchpoints": "%d/%m/%Y %H:%M"}
    assert doc["data"]["timezone"] == "UTC" and "a guess" in doc["__text__"]
    assert doc["journey"] == {"conversion": "purchase", "funnel": ["purchase"], "friction": []}
    assert doc["churn"]["label"] == "" and doc["churn"]["inactivity_days"] > 0
    config = cxlib.read_config(tmp_path / "cx.toml")
    assert config.date_format_of("touchpoints") == "%d/%m/%Y %H:%M"
    assert config.churn_label is None


def test_a_purchases_only_log_loads_and_validates(tmp_path, capsys):
    purchase_log(tmp_path)
    init(tmp_path, capsys)
    dataset = load_and_validate(tmp_path, capsys)
    assert set(dataset.touchpoints["touchpoint"]) == {"purchase"}


def test_init_keeps_an_existing_config_unless_forced(tmp_path, capsys):
    ga4_export(tmp_path)
    (tmp_path / "cx.toml").write_text("# mine\n")
    assert main(["init", str(tmp_path)]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert (tmp_path / "cx.toml").read_text() == "# mine\n"
    out = tmp_path / "elsewhere" / "shop.toml"
    assert main(["init", str(tmp_path), "--out", str(out), "--stages", "4-stage"]) == 0
    doc = tomllib.loads(out.read_text(encoding="utf-8"))
    assert doc["data"]["touchpoints"] == "../events_20250301.parquet"
    assert doc["stages"]["mapping"]["view_item"] == "engagement"
    assert main(["init", str(tmp_path), "--force"]) == 0


def test_init_of_a_folder_without_data_exits_2(tmp_path, capsys):
    assert main(["init", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_validate_config_counts_every_table_and_fails_a_misread_one(tmp_path, capsys):
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "ts": ["2025-03-01 09:00"] * 4,
            "touchpoint": ["visit"] * 4,
            "channel": ["web"] * 4,
        }
    ).write_csv(tmp_path / "events.csv")
    write_surveys(tmp_path, DAY_FIRST[:3] + ["2025-12-01 10:00"])
    (tmp_path / "cx.toml").write_text(
        '[data]\ntouchpoints = "events.csv"\nsurveys = "surveys.csv"\n'
    )
    assert main(["validate", "--config", str(tmp_path / "cx.toml")]) == EXIT_REJECTED
    captured = capsys.readouterr()
    assert f"{tmp_path / 'events.csv'} (touchpoints)" in captured.out
    assert f"{tmp_path / 'surveys.csv'} (surveys)" in captured.out
    assert "no file for customers (optional)" in captured.out
    assert 'surveys = "%d/%m/%Y %H:%M" under [data.date_format] in cx.toml' in captured.out
    assert captured.err.startswith(f"error: {tmp_path / 'surveys.csv'}: 3 of 4 rows rejected")
    (tmp_path / "cx.toml").write_text(
        '[data]\ntouchpoints = "events.csv"\nsurveys = "surveys.csv"\n'
        '[data.date_format]\nsurveys = "%d/%m/%Y %H:%M"\n'
    )
    assert main(["validate", "--config", str(tmp_path)]) == 0


@pytest.mark.parametrize(
    "extra", [["{tp}"], ["--kind", "touchpoints"], ["--map", "ts=time"], ["--timezone", "UTC"]]
)
def test_validate_config_refuses_file_options(touchpoints, tmp_path, capsys, extra):
    (tmp_path / "cx.toml").write_text("")
    argv = ["validate", "--config", str(tmp_path / "cx.toml")]
    code = main(argv + [arg.format(tp=touchpoints) for arg in extra])
    assert code == 2
    assert capsys.readouterr().err.count("\n") >= 1


def test_an_os_error_is_one_line_and_exit_2(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["sample", "--out", str(blocker / "sample"), "--customers", "5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "a-file" in err


def test_a_sample_without_customers_is_a_data_error(tmp_path, capsys):
    assert main(["sample", "--out", str(tmp_path), "--customers", "0"]) == 2
    assert "at least 1 customer" in capsys.readouterr().err


def test_os_errors_from_the_api_are_data_errors_naming_the_path(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    frame = pl.DataFrame({"customer_id": ["a"], "probability": [0.5]})
    calls = [
        lambda: cxlib.sample.write_sample(blocker / "sample", customers=5),
        lambda: cxlib.churn.export_at_risk(frame, blocker / "at_risk.csv"),
        lambda: cxlib.io.write_config(cxlib.io.infer_project("data/sample"), blocker / "cx.toml"),
    ]
    for call in calls:
        with pytest.raises(cxlib.DataError, match="a-file") as caught:
            call()
        assert "\n" not in str(caught.value)
