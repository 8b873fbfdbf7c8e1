"""Shared by the report tests: the sample report, made once per test session (a minute or
more), and the headless Chromium that browser tests open pages in.

Tests that use ``sample_report`` carry ``pytest.mark.xdist_group("report")``, so that under
``pytest -n`` they share one worker and therefore one report.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
CX = str(Path(sys.executable).parent / "cx")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory) -> Path:
    """The published report of ``cx report`` on data/sample."""
    out = tmp_path_factory.mktemp("report") / "latest"
    done = subprocess.run(
        [CX, "report", "--data", str(SAMPLE), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium (the system's, which `make test` installs) for a test module."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium missing: `make test` installs it (apt-get)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
