"""``cx.io.keep_loaded``: a report kernel loads the data once for all its notebooks, and
never serves tables of files that changed since."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import cxlib as cx


@pytest.fixture
def keeping():
    cx.io.keep_loaded()
    yield
    cx.io.keep_loaded(False)


def _project(tmp_path: Path) -> Path:
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "touchpoints.csv").write_text(
        "customer_id,ts,touchpoint,channel\n"
        "a,2024-01-01T10:00:00Z,visit,web\n"
        "b,2024-01-02T10:00:00Z,visit,app\n"
        "c,not a time,visit,web\n"
    )
    return folder


def test_off_by_default_every_load_reads_the_files(tmp_path):
    folder = _project(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first, second = cx.load(folder), cx.load(folder)
    assert first.touchpoints is not second.touchpoints


def test_a_second_load_of_unchanged_files_returns_the_kept_tables(tmp_path, keeping):
    folder = _project(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = cx.load(folder)
        second = cx.load(str(folder))
    assert second.touchpoints is first.touchpoints
    assert second is not first  # reassigning an attribute in one notebook stays there
    assert second.rejects.height == first.rejects.height == 1


def test_the_rejects_warning_is_repeated_for_every_load(tmp_path, keeping):
    folder = _project(tmp_path)
    for _ in range(2):
        with pytest.warns(cx.io.RejectedRowsWarning, match="1 row rejected"):
            cx.load(folder)


def test_a_changed_file_is_read_again(tmp_path, keeping):
    folder = _project(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = cx.load(folder)
        path = folder / "touchpoints.csv"
        path.write_text(path.read_text() + "d,2024-01-03T10:00:00Z,visit,web\n")
        second = cx.load(folder)
    assert first.touchpoints.height == 2 and second.touchpoints.height == 3


def test_a_changed_cx_toml_is_read_again(tmp_path, keeping):
    folder = _project(tmp_path)
    toml = folder / "cx.toml"
    toml.write_text('[data]\ntouchpoints = "touchpoints.csv"\n')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = cx.load(toml)
        toml.write_text('# edited\n[data]\ntouchpoints = "touchpoints.csv"\n')
        second = cx.load(toml)
    assert second.touchpoints is not first.touchpoints


def test_turning_it_off_forgets_what_was_kept(tmp_path, keeping):
    folder = _project(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = cx.load(folder)
        cx.io.keep_loaded(False)
        cx.io.keep_loaded()
        second = cx.load(folder)
    assert second.touchpoints is not first.touchpoints
