"""The report's workers are forked before the data is loaded, and run as many kernels at
once as the memory budget holds (cxlib/report/_lanes.py)."""

from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path

import pytest
from tiny_notebooks import write_notebook

from cxlib.cli import main
from cxlib.report import _lanes, _run, run_report

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"


def test_a_kernel_is_estimated_from_the_size_of_the_tables():
    # calibrated on benchmarks/report.py: sample ~15 MB of tables -> ~650 MB kernel peak,
    # 10M touchpoints ~550 MB of tables -> ~4.4 GB
    assert 500 < _lanes.kernel_mb(15) < 800
    assert 4000 < _lanes.kernel_mb(550) < 5000


@pytest.mark.parametrize(
    ("jobs", "pages", "data_mb", "budget_mb", "lanes"),
    [
        (2, 11, 15, 6144, 2),  # the sample fits twice over
        (2, 11, 550, 6144, 1),  # 10M touchpoints: one kernel at a time
        (2, 11, 550, 24000, 2),
        (8, 3, 1, 64000, 3),  # never more lanes than pages
        (2, 0, 1, 64000, 1),  # nothing to run: one lane, left idle
        (2, 11, 5000, 1000, 1),  # one kernel does not fit: run anyway, on one lane
    ],
)
def test_lanes_fit_the_budget(jobs, pages, data_mb, budget_mb, lanes):
    assert _lanes.plan(jobs, pages, data_mb, budget_mb) == lanes


def test_fewer_lanes_than_jobs_are_explained_in_the_log(caplog):
    with caplog.at_level(logging.INFO, logger="cx.report"):
        assert _lanes.plan(2, 11, 550, 6144) == 1
    assert "1 notebook(s) at a time, not 2" in caplog.text
    assert "--memory" in caplog.text


def test_the_default_budget_is_a_quarter_of_the_machine(monkeypatch):
    monkeypatch.setattr(_lanes, "machine_mb", lambda: 4 * (500 + 2 * _lanes.kernel_mb(100)))
    assert _lanes.plan(4, 11, 100) == 2


def test_the_machine_is_the_cgroup_limit_when_lower(tmp_path, monkeypatch):
    limit = tmp_path / "memory.max"
    limit.write_text(f"{2**30}\n")
    monkeypatch.setattr(_lanes, "_CGROUP_LIMIT", limit)
    assert _lanes.machine_mb() == 1024
    limit.write_text("max\n")
    assert _lanes.machine_mb() > 0


@pytest.mark.xdist_group("report")
def test_workers_are_forked_before_the_data_is_loaded(tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / "01-only.ipynb", "print('fine')")
    seen = []
    real_load = _run.load

    def load(data):  # the workers must exist already, forked from a process without data
        seen.append(len(multiprocessing.active_children()))
        return real_load(data)

    monkeypatch.setattr(_run, "load", load)
    assert run_report(SAMPLE, tmp_path / "out", notebooks_dir=notebooks, jobs=1).ok
    assert seen == [1]


@pytest.mark.xdist_group("report")
def test_a_small_budget_runs_every_page_in_one_kernel(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    pid_file = tmp_path / "pids.txt"
    body = f"import os\nwith open({str(pid_file)!r}, 'a') as f:\n    f.write(f'{{os.getpid()}}\\n')"
    for name in ("01-a", "02-b", "03-c"):
        write_notebook(notebooks / f"{name}.ipynb", body)
    result = run_report(SAMPLE, tmp_path / "out", notebooks_dir=notebooks, jobs=2, memory_mb=1)
    assert result.ok and [o.status for o in result.outcomes] == ["ran"] * 3
    assert len(set(pid_file.read_text().split())) == 1
    assert result.cpu_seconds > 0


@pytest.mark.parametrize("size", ["abc", "-1G", "0", "6X"])
def test_a_bad_memory_budget_exits_2_with_one_line(size, capsys):
    assert main(["report", "--data", str(SAMPLE), f"--memory={size}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --memory") and err.count("\n") == 1
