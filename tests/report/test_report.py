"""`cx report` end to end: every notebook on the sample, offline and private stakeholder HTML,
failure isolation and atomic publishing."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from tiny_notebooks import write_notebook

import cxlib as cx
from cxlib.privacy import escape
from cxlib.report import plan

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
NOTEBOOKS = ROOT / "notebooks"
CX = str(Path(sys.executable).parent / "cx")
HOSTILE_COMMENT = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
HOSTILE_TOUCHPOINT = "<b onmouseover=alert(2)>promo</b>"
# contact details customers write into comments: never on a page
CONTACTS = (
    " gọi 0987 555 394",
    " mail khach78@gmail.com",
    " โทร 081-234-5678",
    " tel +66 81 234 5678",
)

pytestmark = pytest.mark.xdist_group("report")


def _run_report(data: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CX, "report", "--data", str(data), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=ROOT,
    )


@pytest.fixture(scope="session")
def hostile_report(tmp_path_factory) -> Path:
    """The sample with hostile survey comments and a hostile touchpoint name."""
    data = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(SAMPLE, data)
    surveys = pl.read_parquet(data / "surveys.parquet")
    surveys = surveys.with_columns(
        pl.when(pl.col("comment").is_not_null())
        .then(pl.lit(HOSTILE_COMMENT) + pl.col("comment") + pl.lit("".join(CONTACTS)))
        .otherwise(pl.col("comment"))
        .alias("comment")
    )
    surveys.write_parquet(data / "surveys.parquet")
    touchpoints = pl.read_parquet(data / "touchpoints.parquet")
    hostile = (
        touchpoints.filter(pl.col("touchpoint") == "visit")
        .head(200)
        .with_columns(pl.lit(HOSTILE_TOUCHPOINT).alias("touchpoint"))
    )
    pl.concat([touchpoints, hostile]).write_parquet(data / "touchpoints.parquet")
    out = tmp_path_factory.mktemp("hostile-report") / "latest"
    done = _run_report(data, out)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def _pages(report: Path) -> list[Path]:
    pages = sorted(report.glob("*.html"))
    assert pages, f"no pages in {report}"
    return pages


def test_report_has_an_index_and_a_page_per_notebook_and_stage(sample_report):
    stages = cx.stage_model().stages  # the sample has no cx.toml: the default model
    expected = {job.name for job in plan(NOTEBOOKS, SAMPLE, {}, stages)}
    pages = {p.stem for p in _pages(sample_report)}
    assert pages == expected | {"index"}
    assert sum(1 for name in pages if name.startswith("20-stage")) == len(stages)


def test_index_shows_headline_kpis_and_links_every_page(sample_report):
    index = (sample_report / "index.html").read_text(encoding="utf-8")
    for label in ("Customers", "Conversion", "NPS", "CSAT", "Churn (label)"):
        assert f">{label}<" in index
    assert "What matters now" in index and "Data from " in index
    summary = json.loads((sample_report / "summary.json").read_text(encoding="utf-8"))
    assert 3 <= len(summary["findings"]) <= 5  # the sample has a stall, friction, omnichannel
    for finding in summary["findings"]:
        assert escape(finding["text"]) in index and f'href="{finding["page"]}.html"' in index
    for kpi in summary["kpis"]:  # one definition, the same words on the index and in summary
        assert escape(kpi["definition"]) in index
    with pytest.warns(cx.io.RejectedRowsWarning):
        loaded = cx.load(SAMPLE)
    customers = loaded.touchpoints["customer_id"].n_unique()
    assert f"{customers:,}" in index
    for page in _pages(sample_report):
        if page.name != "index.html":
            assert f'href="{page.name}"' in index


def test_index_says_how_many_rows_were_left_out(sample_report):
    index = (sample_report / "index.html").read_text(encoding="utf-8")
    with pytest.warns(cx.io.RejectedRowsWarning):
        summary = cx.load(SAMPLE).summary().filter(pl.col("rejected") > 0)
    assert summary.height and "Rows left out:" in index
    for kind, read, _, rejected in summary.iter_rows():
        assert f"{rejected:,} of {read:,} {kind} rows" in index
    assert "misread" not in index  # a handful of bad rows is no misread column


def test_pages_reference_nothing_outside_the_page(sample_report):
    for page in _pages(sample_report):
        text = page.read_text(encoding="utf-8")
        refs = re.findall(r'(?:src|href)\s*=\s*["\']?([^"\' >]+)', text, flags=re.IGNORECASE)
        external = [r for r in refs if re.match(r"(https?:)?//|[a-z]+://", r, re.IGNORECASE)]
        assert not external, (page.name, external[:5])
        assert "<script src" not in text.lower()
        for cdn in ("require.js", "mathjax", "cdn.jsdelivr", "unpkg.com", "cdnjs"):
            assert cdn not in text.lower(), (page.name, cdn)


def test_pages_show_no_code(sample_report):
    for page in _pages(sample_report):
        text = page.read_text(encoding="utf-8")
        for code in ("import cxlib", "cx.load(", "charts.use(", "jp-InputArea", "input_area"):
            assert code not in text, (page.name, code)


def test_pages_show_no_raw_customer_ids(sample_report):
    ids = set(pl.read_parquet(SAMPLE / "customers.parquet")["customer_id"].to_list())
    pattern = re.compile(r"\bC\d{6}\b")
    for page in _pages(sample_report):
        found = set(pattern.findall(page.read_text(encoding="utf-8"))) & ids
        assert not found, (page.name, sorted(found)[:5])


def test_charts_are_inline_svg(sample_report):
    for page in _pages(sample_report):
        if page.name == "index.html":
            continue
        text = page.read_text(encoding="utf-8")
        assert "<svg" in text, f"{page.name} has no chart"


def test_hostile_text_is_escaped_on_every_page(hostile_report):
    shown = 0
    for page in _pages(hostile_report):
        text = page.read_text(encoding="utf-8")
        assert "<script>alert" not in text, page.name
        assert "<img src=x" not in text, page.name
        assert "<b onmouseover" not in text, page.name
        shown += text.count("&lt;script&gt;alert") + text.count("&lt;b onmouseover")
    assert shown > 0, "the hostile strings should appear, escaped, somewhere in the report"


def test_contact_details_in_comments_are_masked_on_every_page(hostile_report):
    for page in _pages(hostile_report):
        text = page.read_text(encoding="utf-8")
        for contact in CONTACTS:
            assert contact.split(maxsplit=1)[1] not in text, (page.name, contact)
    health = (hostile_report / "00-data-health.html").read_text(encoding="utf-8")
    with pytest.warns(cx.io.RejectedRowsWarning):
        comments = cx.load(SAMPLE).surveys["comment"].drop_nulls()
    written = comments.filter(comments.str.strip_chars() != "").len()
    assert f">{written:,}<" in health  # every comment had an email, a phone, ...


def test_failed_notebook_keeps_the_last_good_report_and_is_named(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "01-good.ipynb", "print('all good')")
    out = tmp_path / "reports" / "latest"
    first = _run_report(SAMPLE, out, "--notebooks", str(notebooks))
    assert first.returncode == 0, first.stderr
    good_index = (out / "index.html").read_text(encoding="utf-8")

    write_notebook(notebooks / "02-broken.ipynb", "raise RuntimeError('planted failure')")
    second = _run_report(SAMPLE, out, "--notebooks", str(notebooks))
    assert second.returncode == 1
    assert "02-broken" in second.stderr
    assert "Traceback" not in second.stderr
    assert f"the last good report at {out} was kept" in second.stderr
    # the published report is the last good one, untouched
    assert (out / "index.html").read_text(encoding="utf-8") == good_index
    # the failed run is kept, with the executed notebook and its traceback
    failed = list((tmp_path / "reports").glob("latest.failed-*"))
    assert len(failed) == 1
    executed = failed[0] / "executed" / "02-broken.ipynb"
    outputs = [o for c in json.loads(executed.read_text())["cells"] for o in c.get("outputs", [])]
    assert any(o.get("ename") == "RuntimeError" for o in outputs)
    # and the good notebook still ran in the failed run
    assert (failed[0] / "site" / "01-good.html").exists()


def test_unusable_data_exits_2_with_one_line(tmp_path):
    done = _run_report(tmp_path / "missing", tmp_path / "out")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_notebooks_are_committed_without_outputs_or_run_metadata():
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        assert "papermill" not in notebook["metadata"], path.name
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [], path.name
                assert cell["execution_count"] is None, path.name
            assert "papermill" not in cell.get("metadata", {}), path.name
            assert "execution" not in cell.get("metadata", {}), path.name


def test_every_notebook_has_a_parameters_cell_of_literals():
    import ast

    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        tagged = [c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", [])]
        assert len(tagged) == 1, path.name
        source = "".join(tagged[0]["source"])
        for node in ast.parse(source).body:
            assert isinstance(node, ast.Assign), (path.name, ast.dump(node))
            assert isinstance(node.value, ast.Constant), (path.name, ast.unparse(node))
        for line in source.splitlines():
            assert "#" in line, f"{path.name}: parameter without a comment: {line}"


def test_papermill_sees_every_parameter():
    """A parameter papermill cannot parse (an ``=`` in its comment, say) is dropped from
    ``cx report -p`` and, for ``stage``, leaves one stage page instead of one per stage."""
    import papermill as pm

    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cell = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
        assigned = re.findall(r"^(\w+)\s*=", "".join(cell["source"]), flags=re.MULTILINE)
        assert sorted(pm.inspect_notebook(str(path))) == sorted(assigned), path.name


def test_notebooks_define_no_functions_or_classes():
    import ast

    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] != "code":
                continue
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Lambda), path.name


def test_report_workers_log_library_warnings_to_a_file_not_stderr(tmp_path):
    # A kernel shutting down after a failed cell can make zmq log a traceback; it must land
    # in the run's worker log, not on the CLI's stderr.
    code = (
        "import logging; from cxlib.report._run import _log_to_files\n"
        f"_log_to_files({str(tmp_path / 'logs')!r})\n"
        "log = logging.getLogger('tornado.application')\n"
        "try:\n    raise ValueError('boom')\n"
        "except ValueError:\n    log.exception('Exception in callback')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stderr == ""
    (log,) = (tmp_path / "logs").glob("worker-*.log")
    assert "Traceback" in log.read_text() and "boom" in log.read_text()
