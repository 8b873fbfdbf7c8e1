"""Progress bars on long loops: a tqdm bar with an ETA on stderr when asked for or watched,
nothing otherwise, the same results either way, and none in the kernels of ``cx report``."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from tiny_notebooks import write_notebook

import cxlib as cx
from cxlib import _progress, churn, omnichannel
from cxlib._progress import progress, progress_bar
from cxlib.report import _kernel, run_report
from cxlib.voc import key_drivers

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
ETA = re.compile(r"\d+/\d+ \[\d\d:\d\d<\d\d:\d\d")  # "3/3 [00:00<00:00": elapsed<remaining


@pytest.fixture(autouse=True)
def _default_switch(monkeypatch):
    """Every test starts from the default rules, with bars drawn at once."""
    monkeypatch.delenv("CX_PROGRESS", raising=False)
    monkeypatch.setattr(_progress, "DELAY", 0.0)
    cx.show_progress(None)
    yield
    cx.show_progress(None)


def test_cx_progress_1_draws_a_bar_with_an_eta_on_stderr(monkeypatch, capsys):
    monkeypatch.setenv("CX_PROGRESS", "1")
    assert [n * 2 for n in progress(range(3), desc="doubling", unit="step")] == [0, 2, 4]
    err = capsys.readouterr().err
    assert "doubling" in err and ETA.search(err), err


def test_cx_progress_0_draws_nothing_and_returns_the_iterable_itself(monkeypatch, capsys):
    monkeypatch.setenv("CX_PROGRESS", "0")
    items = [1, 2, 3]
    assert progress(items, desc="counting") is items
    with progress_bar(total=2, desc="by hand") as bar:
        bar.update()
        bar.update()
    assert capsys.readouterr().err == ""


def test_without_a_terminal_or_a_notebook_bars_are_off_by_default(capsys):
    # pytest's captured stderr is not a terminal, and no Jupyter kernel runs here
    assert not _progress.enabled()
    list(progress(range(3), desc="quiet"))
    assert capsys.readouterr().err == ""


def test_a_terminal_turns_bars_on_by_default(monkeypatch):
    monkeypatch.setattr(_progress, "_stderr_is_terminal", lambda: True)
    assert _progress.enabled()
    monkeypatch.setenv("CX_PROGRESS", "0")  # a scheduled job's shell can still say no
    assert not _progress.enabled()


def test_show_progress_overrides_the_environment_until_reset(monkeypatch, capsys):
    monkeypatch.setenv("CX_PROGRESS", "0")
    cx.show_progress(True)
    list(progress(range(2), desc="asked for"))
    assert "asked for" in capsys.readouterr().err
    monkeypatch.setenv("CX_PROGRESS", "1")
    cx.show_progress(False)
    assert not _progress.enabled()
    cx.show_progress(None)
    assert _progress.enabled()
    with pytest.raises(TypeError, match="True, False or None"):
        cx.show_progress("yes")


def test_a_quick_loop_shows_no_bar_before_the_delay(monkeypatch, capsys):
    monkeypatch.setenv("CX_PROGRESS", "1")
    monkeypatch.setattr(_progress, "DELAY", 60.0)
    list(progress(range(3), desc="instant"))
    assert "instant" not in capsys.readouterr().err


def _customers(n: int = 300) -> pl.DataFrame:
    rng = np.random.default_rng(3)
    tenure = rng.integers(1, 60, n)
    plan = rng.choice(["basic", "plus", "pro"], n)
    risk = -tenure / 20 + (plan == "basic") * 1.0 + rng.normal(0, 0.5, n)
    return pl.DataFrame(
        {"tenure": tenure, "plan": plan, "noise": rng.normal(size=n), "churned": risk > -1}
    )


def _shop() -> pl.DataFrame:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    rows = [
        (f"c{i}", start + timedelta(days=d), "purchase", channel, 20.0 + 7 * i + d)
        for i in range(12)
        for d, channel in enumerate(["store", "web"] if i % 3 else ["store", "store"])
    ]
    return pl.DataFrame(
        rows, schema=["customer_id", "ts", "touchpoint", "channel", "revenue"], orient="row"
    )


def _results() -> dict[str, pl.DataFrame]:
    model = churn.fit(_customers(), folds=3, max_iter=20)
    answers = _customers().select(pl.col("tenure").cast(pl.Float64).alias("score"), "noise", "plan")
    return {
        "folds": model.cv.fold_scores,
        "importance": model.importance(),
        "bootstrap": omnichannel.compare(
            _shop(), groups={"store": ["store"], "online": ["web"]}, n_boot=200, seed=4
        ),
        "key_drivers": key_drivers(answers, n_boot=50, seed=2),
    }


def test_results_are_the_same_with_progress_on_and_off(monkeypatch, capsys):
    monkeypatch.setenv("CX_PROGRESS", "0")
    quiet = _results()
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("CX_PROGRESS", "1")
    shown = _results()
    err = capsys.readouterr().err
    for desc in ("cross-validation", "churn drivers", "bootstrap intervals", "key drivers"):
        assert desc in err, desc
    for name, frame in quiet.items():
        assert frame.equals(shown[name]), name


@pytest.mark.xdist_group("report")
def test_report_kernels_run_with_progress_off(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    seen = tmp_path / "seen.txt"
    write_notebook(
        notebooks / "01-progress.ipynb",
        f"import os\nopen({str(seen)!r}, 'w').write(str(os.environ.get('CX_PROGRESS')))",
    )
    result = run_report(SAMPLE, tmp_path / "out", notebooks_dir=notebooks, jobs=1)
    assert result.ok, [o.error for o in result.outcomes]
    assert seen.read_text() == "0"


def test_cx_progress_1_reaches_the_report_kernels_when_asked(monkeypatch):
    assert _kernel._kernel_environment()["CX_PROGRESS"] == "0"
    monkeypatch.setenv("CX_PROGRESS", "1")
    environment = _kernel._kernel_environment()
    assert environment["CX_PROGRESS"] == "1"
    assert environment["PATH"] == os.environ["PATH"]
