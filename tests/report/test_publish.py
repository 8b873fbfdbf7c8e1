"""Publishing is atomic and exclusive (issue 17, item 1): a reader of ``--out`` always finds
one complete report; a second run into the same folder stops with exit 75 and one line
naming the run that holds it; folders a killed run left behind are cleaned up."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tiny_notebooks import write_notebook

from cxlib.report import ReportBusy
from cxlib.report._publish import _exchange, exclusive, publish

CX = str(Path(sys.executable).parent / "cx")


def _site(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "index.html").write_text(text, encoding="utf-8")
    (folder / "page.html").write_text(text, encoding="utf-8")
    return folder


def test_the_exchange_is_available_here(tmp_path):
    # the atomic path is the one taken on Linux; the two-rename fallback is elsewhere
    a, b = tmp_path / "a", tmp_path / "b"
    for path, text in ((a, "a"), (b, "b")):
        path.mkdir()
        (path / "x").write_text(text)
    assert _exchange(a, b) is True
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


def test_a_reader_always_finds_a_complete_report_while_runs_publish(tmp_path):
    out = tmp_path / "latest"
    publish(_site(tmp_path / "s0", "0"), out, "r0")
    seen, stop = [], threading.Event()

    def read() -> None:
        while not stop.is_set():
            index, page = out / "index.html", out / "page.html"
            try:
                seen.append((index.read_text(encoding="utf-8"), page.exists()))
            except FileNotFoundError:
                seen.append((None, False))

    reader = threading.Thread(target=read)
    reader.start()
    for run in range(1, 60):
        publish(_site(tmp_path / f"s{run}", str(run)), out, f"r{run}")
    stop.set()
    reader.join()
    assert seen and all(text is not None and page for text, page in seen)
    assert (out / "index.html").read_text(encoding="utf-8") == "59"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest"]  # nothing left behind


def test_a_second_run_into_the_same_folder_stops_with_75_naming_the_first(tmp_path):
    out = tmp_path / "reports" / "latest"
    data = tmp_path / "data"
    data.mkdir()
    (data / "touchpoints.csv").write_text(
        "customer_id,ts,touchpoint,channel\na,2025-01-01T10:00:00Z,visit,web\n", encoding="utf-8"
    )
    with exclusive(out):
        with pytest.raises(ReportBusy, match=r"pid \d+"), exclusive(out):
            pass
        run = subprocess.run(
            [CX, "report", "--data", str(data), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert run.returncode == 75, run.stderr
    assert run.stderr.count("\n") == 1 and "is writing this report" in run.stderr
    assert not out.exists()


def test_folders_a_killed_run_left_behind_are_removed_by_the_next(tmp_path):
    out = tmp_path / "latest"
    for stale in (".latest.run-20250101T000000-abc", ".latest.new-x", ".latest.old-y"):
        (tmp_path / stale / "site").mkdir(parents=True)
    kept = tmp_path / "latest.failed-20250101T000000-abc"  # a failed run's notebooks: kept
    kept.mkdir()
    with exclusive(out):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == [".latest.lock", kept.name]


def _tagged(tag: str) -> list[int]:
    """Processes whose environment carries ``tag`` (a run and everything it started)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if tag.encode() in (proc / "environ").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def test_a_killed_run_leaves_no_process_and_the_last_report_stands(tmp_path):
    import os
    import signal
    import time

    data = tmp_path / "data"
    data.mkdir()
    (data / "touchpoints.csv").write_text(
        "customer_id,ts,touchpoint,channel\na,2025-01-01T10:00:00Z,visit,web\n", encoding="utf-8"
    )
    quick, slow = tmp_path / "quick", tmp_path / "slow"
    quick.mkdir()
    slow.mkdir()
    write_notebook(quick / "01-page.ipynb", "print('first report')")
    write_notebook(slow / "01-page.ipynb", "import time\ntime.sleep(120)")
    out = tmp_path / "reports" / "latest"

    def report(notebooks: Path, **options) -> subprocess.Popen:
        command = [CX, "report", "--data", str(data), "--out", str(out), "--notebooks"]
        return subprocess.Popen([*command, str(notebooks)], **options)

    assert report(quick).wait(timeout=300) == 0
    tag = f"CX_TEST_RUN={os.getpid()}-{time.time_ns()}"
    env = {**os.environ, tag.split("=")[0]: tag.split("=")[1]}
    run = report(slow, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120  # until the notebook's kernel is up
    while time.time() < deadline and len(_tagged(tag)) < 3:
        time.sleep(0.5)
    assert len(_tagged(tag)) >= 3, "the run, a worker and a kernel should be running"
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    deadline = time.time() + 30
    while time.time() < deadline and _tagged(tag):
        time.sleep(0.5)
    assert _tagged(tag) == [], "processes of the killed run are still running"
    assert "first report" in (out / "01-page.html").read_text(encoding="utf-8")
    assert report(quick).wait(timeout=300) == 0
    assert sorted(p.name for p in out.parent.iterdir()) == [".latest.lock", "latest"]


@pytest.mark.parametrize("step", ["move", "exchange", "cleanup"])
def test_a_publish_stopped_at_any_step_leaves_a_complete_report(tmp_path, monkeypatch, step):
    import cxlib.report._publish as publishing

    out = tmp_path / "latest"
    publish(_site(tmp_path / "old", "old"), out, "r0")

    def stop(*args, **kwargs):
        raise KeyboardInterrupt(step)  # a kill at this step

    target = {"move": "shutil.move", "exchange": "_exchange", "cleanup": "shutil.rmtree"}[step]
    if target == "_exchange":
        monkeypatch.setattr(publishing, "_exchange", stop)
    else:
        module, name = target.split(".")
        monkeypatch.setattr(getattr(publishing, module), name, stop)
    with pytest.raises(KeyboardInterrupt):
        publish(_site(tmp_path / "new", "new"), out, "r1")
    monkeypatch.undo()
    assert (out / "index.html").read_text(encoding="utf-8") in ("old", "new")
    assert (out / "page.html").exists()
    with exclusive(out):  # the next run removes what the stopped one left
        pass
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".latest")) == [
        ".latest.lock"
    ]
