"""The set-up is lean: `make report` installs what a report needs, `make test` the rest.

The report's install line is read from `make -n -B report` (what a fresh clone would run),
and the packages it brings in are the closure of pyproject's runtime dependencies over the
installed distributions' own requirements: no test runner, Spark, DuckDB, browser driver or
docs tool may be among them.
"""

import os
import re
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# What a report must never pull in (the test, spark and docs extras, and their big parts).
NOT_FOR_REPORTS = {
    "pytest",
    "pytest-xdist",
    "hypothesis",
    "nbval",
    "pyspark",
    "duckdb",
    "playwright",
    "ruff",
    "import-linter",
    "nbstripout",
    "mkdocs",
    "mkdocs-material",
    "mkdocstrings",
}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _make_dry_run(*args: str) -> str:
    """The commands `make` would run from scratch (-B: as on a fresh clone), none run."""
    done = subprocess.run(
        ["make", "-n", "-B", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _pip_installs(commands: str) -> list[str]:
    return [line for line in commands.splitlines() if re.search(r"\bpip install\b", line)]


def _requires(requirement: Requirement) -> list[Requirement]:
    """An installed distribution's own requirements, with the extras asked for."""
    try:
        texts = metadata.requires(requirement.name) or []
    except metadata.PackageNotFoundError:  # not for this platform
        return []
    extras = ("", *requirement.extras)
    return [
        r
        for r in map(Requirement, texts)
        if r.marker is None or any(r.marker.evaluate({"extra": e}) for e in extras)
    ]


def _runtime_closure() -> set[str]:
    """Every distribution `pip install -e .` brings in, from the installed metadata."""
    todo = [Requirement(r) for r in _pyproject()["dependencies"]]
    todo = [r for r in todo if r.marker is None or r.marker.evaluate({"extra": ""})]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        requirement = todo.pop()
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if key not in seen:
            seen.add(key)
            todo.extend(_requires(requirement))
    return {name for name, _ in seen}


def test_make_report_installs_cxlib_without_extras():
    installs = _pip_installs(_make_dry_run("report"))
    project = [line for line in installs if re.search(r"-e\s+'?\.", line)]
    assert project, installs
    for line in project:
        assert "[" not in line, f"make report installs an extra: {line}"
    assert not any(name in " ".join(installs) for name in ("pytest", "pyspark", "mkdocs"))


def test_make_test_installs_the_test_spark_and_docs_extras():
    installs = " ".join(_pip_installs(_make_dry_run("test")))
    assert ".[test,spark,docs]" in installs


def test_make_docs_installs_only_the_docs_extra():
    commands = _make_dry_run("docs")
    installs = " ".join(_pip_installs(commands))
    assert ".[docs]" in installs and "test" not in installs and "spark" not in installs
    assert "mkdocs build --strict" in commands


def test_setup_stamps_are_separate_files():
    makefile = (ROOT / "Makefile").read_text()
    stamps = re.findall(r"^(\w*STAMP) := (\S+)", makefile, flags=re.MULTILINE)
    assert len({path for _, path in stamps}) == len(stamps) >= 3, stamps
    assert re.search(r"^report: setup$", makefile, flags=re.MULTILINE)
    assert re.search(r"^lab: setup$", makefile, flags=re.MULTILINE)


def test_report_dependencies_include_no_test_spark_or_docs_package():
    closure = _runtime_closure()
    assert "polars" in closure and "papermill" in closure  # the walk did walk
    assert not closure & NOT_FOR_REPORTS, sorted(closure & NOT_FOR_REPORTS)


def test_extras_hold_the_test_spark_and_docs_tools():
    extras = {
        group: {canonicalize_name(Requirement(r).name) for r in requirements}
        for group, requirements in _pyproject()["optional-dependencies"].items()
    }
    assert {"pytest", "nbval", "duckdb", "playwright", "hypothesis"} <= extras["test"]
    assert extras["spark"] == {"pyspark"}
    assert {"mkdocs", "mkdocs-material", "mkdocstrings"} <= extras["docs"]


def test_make_lab_allows_root_only_when_run_as_root():
    def lab_line(*args: str) -> str:
        done = subprocess.run(
            ["make", "-n", "lab", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return next(line for line in done.stdout.splitlines() if "jupyter lab" in line)

    as_me = lab_line()
    assert "notebooks/" in as_me and "--ServerApp.ip=127.0.0.1" in as_me
    assert ("--allow-root" in as_me) == (os.geteuid() == 0)
    assert "--allow-root" in lab_line("USER_ID=0")
    assert "--allow-root" not in lab_line("USER_ID=1000")


def test_readme_quickstart_starts_jupyterlab_with_make_lab():
    readme = (ROOT / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert "make lab" in quickstart
    assert not re.search(r"^\s*\S*jupyter lab\b", readme, flags=re.MULTILINE), (
        "start JupyterLab with `make lab` (it adds --allow-root as root)"
    )
