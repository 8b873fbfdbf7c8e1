"""The analyst's JupyterLab, live: JupyterLab runs headless on a copy of the notebooks, and
headless Chromium opens them with every request beyond this machine refused.

For the funnel explorer and the journey map, all cells run (JupyterLab's "Run All Cells"),
then, measured in the browser:
- no cell fails, no request leaves localhost, the console shows no error;
- every chart is drawn: each Vega view holds marks, one per chart the notebook displayed,
  and no "Error loading script" (altair's CDN renderer offline) or "JavaScript Error";
- the explorer answers: changing its order control changes the numbers it shows, and a click
  on a bar of its chart opens the drop-off panel.

The notebooks and the sample data are copied to a temporary folder in the same layout, so the
notebooks' default ``data = "../data/sample"`` holds and no output lands in notebooks/.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, SAMPLE
from playwright.sync_api import Error as PlaywrightError

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("lab")]

STARTUP = 120  # s for JupyterLab to answer, on a busy 2-core machine
RUN_ALL = 240_000  # ms for a notebook's cells to run
STEP = 60_000  # ms for the page to react to one action
LOCAL = {"127.0.0.1", "localhost", "[::1]", "::1"}

STATE = r"""() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return {ready: false};
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.filter((c) => c.model.type === "code");
  const outputs = cells.flatMap((c) => c.model.outputs.toJSON());
  return {
    ready: panel.context.isReady && !!kernel,
    idle: !!kernel && kernel.status === "idle",
    ran: cells.filter((c) => c.model.executionCount !== null).length,
    cells: cells.length,
    errors: outputs.filter((o) => o.output_type === "error")
      .map((o) => `${o.ename}: ${o.evalue}`),
    // a chart output, whichever renderer made it: altair's widget or its HTML
    charts: outputs.filter((o) => /JupyterChart|^alt\./
      .test((o.data && o.data["text/plain"] || "").toString())).length,
  };
}"""

CHARTS = """() => [...document.querySelectorAll(".jp-NotebookPanel .vega-embed")].map((e) => ({
  marks: e.querySelectorAll("svg g.role-mark > *").length,
  canvas: [...e.querySelectorAll("canvas")].filter((c) => c.width > 0 && c.height > 0).length,
  explorer: !!e.closest(".widget-vbox"),
}))"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Lab:
    """A headless JupyterLab on a temporary copy of notebooks/ and data/sample/."""

    def __init__(self, home: Path) -> None:
        self.root = home / "work"
        shutil.copytree(
            ROOT / "notebooks",
            self.root / "notebooks",
            ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
        )
        shutil.copytree(SAMPLE, self.root / "data" / "sample")
        settings = home / "settings"
        # no "fetch news?" toast, no update check: both would ask jupyter.org
        notification = settings / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True)
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / "lab.log"
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(home / "config"),  # none of the user's configuration
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
            "IPYTHONDIR": str(home / "ipython"),
            # the kernel is the .venv's Python (the kernelspec of this interpreter's prefix)
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: its commands, state
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterLab exited ({self.process.returncode}):\n{self.logged()}")
            try:
                with urllib.request.urlopen(self.api("status"), timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        pytest.fail(f"JupyterLab did not answer in {STARTUP} s:\n{self.logged()}")

    def api(self, path: str) -> str:
        return f"{self.url}/api/{path}?token={self.token}"

    def notebook(self, name: str) -> str:
        return f"{self.url}/lab/tree/notebooks/{name}?token={self.token}"

    def logged(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        """Shut the server down with its kernels (``/api/shutdown``), then make sure."""
        try:
            request = urllib.request.Request(self.api("shutdown"), method="POST")
            urllib.request.urlopen(request, timeout=10).close()
        except (urllib.error.URLError, OSError):
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    assert importlib.util.find_spec("jupyterlab"), "JupyterLab missing: `make test` installs it"
    server = Lab(tmp_path_factory.mktemp("lab"))
    yield server
    server.stop()


class Session:
    """One browser tab on the lab: requests beyond localhost refused and remembered, console
    errors and uncaught exceptions collected."""

    def __init__(self, browser, lab: Lab) -> None:
        self.lab = lab
        self.refused: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.route("**/*", self._local_only)
        self.page = self.context.new_page()
        self.page.set_default_timeout(STEP)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _local_only(self, route) -> None:
        url = urlsplit(route.request.url)
        if url.scheme in ("data", "blob") or url.hostname in LOCAL:
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort()

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def run_all(self, name: str) -> dict:
        """Open ``name``, wait for its kernel, run all cells and wait until all have run."""
        self.page.goto(self.lab.notebook(name), wait_until="domcontentloaded")
        self.page.wait_for_function(f"() => ({STATE})().ready && ({STATE})().idle", timeout=RUN_ALL)
        # not awaited here: the wait below bounds how long the cells may take
        self.page.evaluate(
            "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }"
        )
        self.page.wait_for_function(
            f"""() => {{
              const s = ({STATE})();
              return s.errors.length > 0 || (s.idle && s.ran === s.cells);
            }}""",
            timeout=RUN_ALL,
            polling=500,
        )
        state = self.page.evaluate(STATE)
        assert not state["errors"], f"{name}: cells failed: {state['errors']}"
        return state

    def charts(self, expected: int) -> list[dict]:
        """Wait until ``expected`` Vega views have drawn marks; return every view's count."""
        self.page.wait_for_function(
            f"""() => {{
              const views = ({CHARTS})();
              return views.filter((v) => v.marks > 0 || v.canvas > 0).length >= {expected};
            }}""",
            timeout=RUN_ALL,
            polling=500,
        )
        return self.page.evaluate(CHARTS)

    def text(self) -> str:
        return self.page.evaluate("() => document.body.innerText")

    def close(self) -> None:
        """Shut the notebook's kernel down (one kernel at a time on a small machine)."""
        with contextlib.suppress(PlaywrightError):  # a broken page: the test says why
            self.page.evaluate(
                "() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()"
            )
        self.context.close()


@pytest.fixture
def session(chromium, lab):
    tab = Session(chromium, lab)
    yield tab
    tab.close()


def _assert_charts_drawn(session: Session, state: dict, expected: int, name: str) -> None:
    views = session.charts(expected)
    drawn = [v for v in views if v["marks"] > 0 or v["canvas"] > 0]
    assert len(drawn) == len(views) >= expected > 0, f"{name}: charts not all drawn: {views}"
    text = session.text()
    assert "Error loading script" not in text, f"{name}: a chart needed the network"
    assert "JavaScript Error" not in text, f"{name}: a chart failed to draw"


def _headline(session: Session) -> str:
    """The explorer's status line without its timing ("Updated in 12 ms")."""
    line = session.page.locator(".widget-html", has_text="customers entered").first
    return re.sub(r"Updated in \d+ ms\.?", "", line.inner_text()).strip()


def test_the_funnel_explorer_draws_answers_and_opens_the_dropoff_panel(session):
    name = "30-funnel-explorer.ipynb"
    state = session.run_all(name)
    # the explorer's own chart, then every chart the notebook displays
    _assert_charts_drawn(session, state, state["charts"] + 1, name)
    explorer = session.page.locator(".widget-vbox").filter(has=session.page.locator(".vega-embed"))
    assert explorer.count() >= 1, "the explorer did not show"
    explorer = explorer.first

    before = _headline(session)
    explorer.locator(".widget-toggle-button", has_text="strict").click()
    session.page.wait_for_function(
        """(before) => {
          const line = [...document.querySelectorAll(".widget-html")]
            .find((e) => e.innerText.includes("customers entered"));
          return line && line.innerText.replace(/Updated in \\d+ ms\\.?/, "").trim() !== before;
        }""",
        arg=before,
        polling=250,
    )
    assert _headline(session) != before
    assert explorer.locator(".vega-embed svg g.role-mark > *").count() > 0, "chart not redrawn"

    bar = explorer.locator(".vega-embed svg g.mark-rect.role-mark path").first
    bar.click()
    panel = explorer.locator(".widget-html", has_text="After step 1")
    panel.wait_for(state="visible")
    assert "customers left" in panel.inner_text()
    assert "What they did next" in panel.inner_text()

    assert not session.refused, f"requests beyond localhost: {session.refused}"
    assert not session.errors, f"browser errors: {session.errors}"


def test_the_journey_map_draws_every_chart_offline(session):
    name = "10-journey-map.ipynb"
    state = session.run_all(name)
    assert state["charts"] > 0, f"{name} displayed no chart"
    _assert_charts_drawn(session, state, state["charts"], name)
    assert not session.refused, f"requests beyond localhost: {session.refused}"
    assert not session.errors, f"browser errors: {session.errors}"
