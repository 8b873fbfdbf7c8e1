"""A report always comes out: pages the data cannot fill say so, `[report] skip` switches
pages off, and a genuine failure is reported whole. Tiny data and tiny notebooks, so that
each run starts at most one kernel."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook
from tiny_notebooks import write_notebook

import cxlib as cx
from cxlib.pages import needs
from cxlib.privacy import escape
from cxlib.report._plan import needs_of
from cxlib.report._run import _error_message, _sections_left_out

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CX = str(Path(sys.executable).parent / "cx")
MUST_NOT_RUN = "raise RuntimeError('this notebook must not run')"
# a message longer than the 300 characters the log and the index used to keep
LONG_ERROR = "the planted failure says " + "why " * 100 + "and ends here: END-OF-MESSAGE"

pytestmark = pytest.mark.xdist_group("report")


def _run_report(data: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CX, "report", "--data", str(data), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )


def _tiny_data(folder: Path, toml: str = "") -> Path:
    """Three touchpoints, all in one stage (awareness), no surveys, no customers."""
    folder.mkdir(parents=True)
    (folder / "touchpoints.csv").write_text(
        "customer_id,ts,touchpoint,channel\n"
        "a,2025-01-01T10:00:00Z,ad_click,web\n"
        "a,2025-01-02T10:00:00Z,social_view,app\n"
        "b,2025-01-03T10:00:00Z,ad_click,web\n",
        encoding="utf-8",
    )
    if toml:
        (folder / "cx.toml").write_text(toml, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def left_out_report(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """One run: a good page (with a section the data lacks), a page needing surveys, a
    per-stage page needing stages, and a page switched off by ``[report] skip``."""
    root = tmp_path_factory.mktemp("left-out")
    data = _tiny_data(root / "data", '[report]\nskip = ["04-off"]\n')
    notebooks = root / "notebooks"
    notebooks.mkdir()
    section = (
        "import cxlib as cx\nfrom cxlib.pages import needs\nfrom IPython.display import HTML\n"
        'HTML(needs.unavailable(cx.load(data), "nps"))'
    )
    write_notebook(notebooks / "01-good.ipynb", section, needs=[])
    write_notebook(notebooks / "02-voice.ipynb", MUST_NOT_RUN, needs=["surveys", "comments"])
    write_notebook(notebooks / "03-stage.ipynb", MUST_NOT_RUN, needs=["stages"], stage=True)
    write_notebook(notebooks / "04-off.ipynb", MUST_NOT_RUN)
    out = root / "reports" / "latest"
    return _run_report(data, out, "--notebooks", str(notebooks)), out


def test_notebook_with_unmet_needs_becomes_a_not_available_page_and_the_run_exits_0(
    left_out_report,
):
    done, out = left_out_report
    assert done.returncode == 0, done.stdout + done.stderr
    assert {p.name for p in out.glob("*.html")} == {
        "index.html",
        "01-good.html",
        "02-voice.html",
        "03-stage.html",
    }
    page = (out / "02-voice.html").read_text(encoding="utf-8")
    assert "Not available for this data" in page
    for need in ("surveys", "comments"):
        assert f"<li>{escape(needs.explain(need))}</li>" in page
    assert "must not run" not in page
    assert 'href="index.html"' in page  # the same shell as the other pages
    refs = re.findall(r'(?:src|href)\s*=\s*["\']?([^"\' >]+)', page, flags=re.IGNORECASE)
    assert refs == ["index.html"]


def test_stage_notebook_with_unmet_stages_gets_one_page_not_one_per_stage(left_out_report):
    _, out = left_out_report
    assert [p.name for p in out.glob("03-stage*.html")] == ["03-stage.html"]
    page = (out / "03-stage.html").read_text(encoding="utf-8")
    assert escape(needs.explain("stages")) in page


def test_index_lists_a_not_available_page_with_the_reason(left_out_report):
    _, out = left_out_report
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="01-good.html">' in index
    (voice,) = re.findall(r'<li class="unavailable">.*?</li>', index.split("03-stage")[0])
    assert '<a href="02-voice.html">' in voice
    assert "not available for this data" in voice
    assert escape(needs.explain("surveys")) in voice


def test_report_skip_leaves_the_page_out_and_exits_0(left_out_report):
    done, out = left_out_report
    assert done.returncode == 0
    assert not (out / "04-off.html").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<li class="skipped">Off: skipped by configuration' in index
    assert "04-off left out: skipped by [report] skip" in done.stdout


def test_log_says_which_pages_and_sections_were_left_out_and_why(left_out_report):
    done, _ = left_out_report
    log = done.stdout
    assert f"02-voice left out: not available for this data: {needs.explain('surveys')}" in log
    assert f"03-stage left out: not available for this data: {needs.explain('stages')}" in log
    assert f"01-good: a section left out: not available for this data: {needs.explain('nps')}" in (
        log
    )
    assert "left out of this report: 02-voice (not available), 03-stage (not available), " in log


def test_unknown_skip_name_is_a_one_line_data_error(tmp_path):
    data = _tiny_data(tmp_path / "data", '[report]\nskip = ["40-curn"]\n')
    done = _run_report(data, tmp_path / "out")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert str(data / "cx.toml") in line
    assert "'40-curn'" in line and "did you mean '40-churn'?" in line
    for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        assert repr(notebook.stem) in line
    assert not (tmp_path / "out").exists()


def test_failing_notebook_message_is_whole_in_the_log_and_the_index(tmp_path):
    assert len(LONG_ERROR) > 300
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "01-broken.ipynb", f"raise ValueError({LONG_ERROR!r})")
    out = tmp_path / "reports" / "latest"
    done = _run_report(_tiny_data(tmp_path / "data"), out, "--notebooks", str(notebooks))
    assert done.returncode == 1
    assert "01-broken (" in done.stdout
    assert f"FAILED: ValueError: {LONG_ERROR} (in cell [" in done.stdout
    (failed,) = (tmp_path / "reports").glob("latest.failed-*")
    index = (failed / "site" / "index.html").read_text(encoding="utf-8")
    assert escape(f"failed (ValueError: {LONG_ERROR}") in index
    # nothing was ever published at --out: the message must not claim a last good report
    assert f"no report has been published at {out} yet" in done.stderr
    assert "last good report" not in done.stderr
    assert not out.exists()


def test_error_message_is_the_exception_whole_not_the_start_of_the_traceback():
    from papermill.exceptions import PapermillExecutionError

    traceback = ["\x1b[0;31m---------\x1b[0m", "Traceback (most recent call last)"] * 20
    err = PapermillExecutionError(2, 3, "raise ...", "DataError", LONG_ERROR, traceback)
    assert _error_message(err) == f"DataError: {LONG_ERROR} (in cell [3])"
    assert _error_message(TimeoutError()) == "TimeoutError"


def test_sections_left_out_are_read_from_the_notes_a_notebook_showed():
    lacking = (
        '<div class="cx-unavailable"><b>x</b><ul><li>needs a &lt;b&gt;: add it</li></ul></div>'
    )
    notebook = new_notebook(cells=[new_code_cell("")])
    notebook.cells[0].outputs = [{"output_type": "display_data", "data": {"text/html": lacking}}]
    assert _sections_left_out(notebook) == ("needs a <b>: add it",)


def test_every_report_notebook_declares_needs_from_the_vocabulary():
    for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        assert set(needs_of(notebook)) <= set(needs.NEEDS), notebook.name


def test_an_unknown_need_in_a_notebook_is_a_data_error(tmp_path):
    write_notebook(tmp_path / "01-typo.ipynb", "", needs=["survey"])
    with pytest.raises(cx.DataError, match=r"01-typo.ipynb: metadata cx.needs: unknown need "):
        needs_of(tmp_path / "01-typo.ipynb")


def test_a_stage_no_touchpoint_maps_to_gets_a_not_available_page(tmp_path):
    data = _tiny_data(tmp_path / "data")  # every touchpoint is in awareness
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(
        notebooks / "20-stage.ipynb", "print('the stage page ran')", needs=[], stage=True
    )
    out = tmp_path / "reports" / "latest"
    done = _run_report(data, out, "--notebooks", str(notebooks))
    assert done.returncode == 0, done.stdout + done.stderr
    stages = cx.stage_model().stages
    pages = {p.stem: p.read_text(encoding="utf-8") for p in out.glob("20-stage-*.html")}
    assert sorted(pages) == sorted(f"20-stage-{i}-{s}" for i, s in enumerate(stages, 1))
    for name, page in pages.items():
        empty = "awareness" not in name
        assert ("Not available for this data" in page) is empty, name
        assert (escape(needs.explain("stage_touchpoints")) in page) is empty, name
    log = done.stdout + done.stderr
    assert "no touchpoint maps to stage 'retention'" in log


def test_a_stage_named_like_a_path_stays_in_the_report_folder(tmp_path):
    toml = (
        '[stages]\nmodel = "custom"\norder = ["../../escaped", "a/b"]\n'
        '[stages.mapping]\nad_click = "../../escaped"\nsocial_view = "a/b"\n'
    )
    data = _tiny_data(tmp_path / "data", toml)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "20-stage.ipynb", "print('ran')", needs=[], stage=True)
    out = tmp_path / "reports" / "latest"
    done = _run_report(data, out, "--notebooks", str(notebooks))
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in out.glob("20-stage-*.html")) == [
        "20-stage-1-escaped.html",
        "20-stage-2-a-b.html",
    ]
    written = [p for p in tmp_path.rglob("*escaped*") if p.suffix == ".html"]
    assert written and all(p.parent == out for p in written)
