"""The project is installable and its two dependency lists agree."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name_and_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def _pyproject_runtime() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return dict(_name_and_spec(r) for r in meta["dependencies"])


def _conda_runtime() -> dict[str, str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("  # runtime")
    deps = {}
    for line in lines[start + 1 :]:
        if not line.startswith("  - "):
            break
        name, spec = _name_and_spec(line[4:])
        deps[name] = spec
    return deps


def test_environment_yml_lists_the_same_runtime_dependencies_as_pyproject():
    assert _conda_runtime() == _pyproject_runtime()


def test_required_packages_are_runtime_dependencies():
    required = {"jupyterlab", "pandas", "polars", "altair", "ipywidgets", "papermill"}
    assert required <= set(_pyproject_runtime())


def test_nbval_is_required_by_the_tests_and_the_conda_environment():
    # nbval runs the notebooks as tests; it pulls in pytest, so `make report` goes without it
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    test = dict(_name_and_spec(r) for r in extras["optional-dependencies"]["test"])
    assert "nbval" in test and "nbval" not in _pyproject_runtime()
    assert "  - nbval>=0.11" in (ROOT / "environment.yml").read_text().splitlines()


def test_cx_command_is_an_entry_point():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["scripts"]["cx"] == "cxlib.cli:main"


def test_public_api_is_listed_once_and_importable():
    import cxlib as cx

    assert sorted(cx.__all__) == list(cx.__all__), "keep __all__ sorted"
    assert len(set(cx.__all__)) == len(cx.__all__)
    for name in cx.__all__:
        assert getattr(cx, name) is not None, name
