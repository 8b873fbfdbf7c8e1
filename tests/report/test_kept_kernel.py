"""A report worker runs its notebooks one after another in one kernel: each notebook must
still start from an empty namespace, a failure must not reach the next notebook, and the
run reports the time and CPU of every page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_notebooks import write_notebook

from cxlib.report import run_report

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"

pytestmark = pytest.mark.xdist_group("report")


def test_a_notebook_sees_none_of_the_previous_notebooks_variables(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(
        notebooks / "01-first.ipynb", "left_behind = 42\nimport os\nKERNEL = os.getpid()"
    )
    write_notebook(
        notebooks / "02-second.ipynb",
        "assert 'left_behind' not in globals(), 'a variable of the previous notebook'\n"
        "import os\nprint('kernel', os.getpid())",
    )
    result = run_report(SAMPLE, tmp_path / "out", notebooks_dir=notebooks, jobs=1)
    assert result.ok, [o.error for o in result.outcomes]
    assert [o.status for o in result.outcomes] == ["ran", "ran"]


def test_the_second_notebook_runs_in_the_kernel_the_first_one_started(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    pid_file = tmp_path / "pids.txt"
    body = f"import os\nwith open({str(pid_file)!r}, 'a') as f:\n    f.write(f'{{os.getpid()}}\\n')"
    write_notebook(notebooks / "01-first.ipynb", body)
    write_notebook(notebooks / "02-second.ipynb", body)
    assert run_report(SAMPLE, tmp_path / "out", notebooks_dir=notebooks, jobs=1).ok
    pids = pid_file.read_text().split()
    assert len(pids) == 2 and pids[0] == pids[1]


def test_after_a_failed_notebook_the_next_one_runs_in_a_new_kernel(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    pid_file = tmp_path / "pids.txt"
    record = (
        f"import os\nwith open({str(pid_file)!r}, 'a') as f:\n    f.write(f'{{os.getpid()}}\\n')\n"
    )
    write_notebook(notebooks / "01-broken.ipynb", record + "raise RuntimeError('planted')")
    write_notebook(notebooks / "02-after.ipynb", record + "print('fine')")
    result = run_report(SAMPLE, tmp_path / "out", notebooks_dir=notebooks, jobs=1)
    assert [o.status for o in result.outcomes] == ["failed", "ran"]
    assert "planted" in result.outcomes[0].error
    first, second = pid_file.read_text().split()
    assert first != second


def test_summary_json_gives_every_page_its_wall_and_cpu_seconds(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    busy = "total = 0\nfor i in range(3_000_000):\n    total += i\nprint(total)"
    write_notebook(notebooks / "01-busy.ipynb", busy)
    write_notebook(notebooks / "02-idle.ipynb", "print('idle')")
    result = run_report(SAMPLE, tmp_path / "out", notebooks_dir=notebooks, jobs=1)
    assert result.ok
    pages = {
        p["page"]: p for p in json.loads((tmp_path / "out" / "summary.json").read_text())["pages"]
    }
    # a pure-Python loop of 3M additions costs CPU in the kernel: it must be counted there
    assert pages["01-busy"]["cpu_seconds"] > 0.05
    assert all(p["cpu_seconds"] >= 0 and p["seconds"] > 0 for p in pages.values())
    assert result.cpu_seconds >= sum(o.cpu_seconds for o in result.outcomes) - 0.5


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="Linux /proc only")
def test_each_page_reports_the_kernels_memory_peak_during_that_page(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    # 300 MB touched, then freed: the next page's peak must not carry it over
    write_notebook(notebooks / "01-big.ipynb", "block = bytearray(300 * 2**20)\ndel block")
    write_notebook(notebooks / "02-small.ipynb", "print('small')")
    result = run_report(SAMPLE, tmp_path / "out", notebooks_dir=notebooks, jobs=1)
    assert result.ok
    big, small = (o.peak_mb for o in result.outcomes)
    assert big - small > 250


def test_a_kernel_that_dies_while_starting_is_replaced(monkeypatch):
    # jupyter_client picks free TCP ports; another process may take one before the kernel
    # binds it, and that kernel dies at once: the worker starts another instead of failing
    import jupyter_client

    from cxlib.report import _kernel

    started = []

    class FakeManager:
        def __init__(self, kernel_name):
            self.dead = not started  # the first one dies
            started.append(self)

        async def start_kernel(self, **kwargs):
            return None

        async def is_alive(self):
            return not self.dead

        async def shutdown_kernel(self, now=False):
            self.dead = True

    async def run_code(km, code):
        if km.dead:
            raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(jupyter_client, "AsyncKernelManager", FakeManager)
    monkeypatch.setattr(_kernel, "_run_code", run_code)
    monkeypatch.setattr(_kernel, "_register_engine", lambda: None)
    monkeypatch.setattr(_kernel, "_kernel", None)
    km = _kernel._ready("python3", ROOT)
    assert len(started) == 2 and km is started[1] and _kernel._kernel is km
