"""The package's rules (docs/architecture.md), checked on the source: private modules and
names stay in their package, nothing imports ``cxlib`` itself, only the engine layer knows
the backends, files stay readable in one sitting, and every old public path still imports.
The layers themselves are the import-linter contract in pyproject.toml (``lint-imports``)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import cxlib as cx

PACKAGE = Path(cx.__file__).parent
ROOT = PACKAGE.parent
MAX_LINES = 600
# Where a backend may be named: the engine layer, and the funnel's choice of its polars
# fast path (and the polars-only aggregation of that fast path's result).
BACKEND_ALLOWED = ("_engine/", "journey/funnel/")
BACKEND_CHECKS = {"is_polars", "is_pandas", "is_duckdb", "is_pyspark", "is_pyspark_connect"}
BACKEND_MODULES = {"pandas", "duckdb", "pyspark"}


def _modules() -> list[tuple[str, Path, ast.Module]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, path, ast.parse(path.read_text(encoding="utf-8"))))
    return found


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rsplit(".", 1)[0]


def _imports(tree: ast.Module, module: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, imported names, line) for every import, relative ones resolved."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = _package_of(module, path).split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            out.append((base, [alias.name for alias in node.names], node.lineno))
    return out


def _private_owner(target: str) -> str | None:
    """The package a private module belongs to (``cxlib.io._read`` -> ``cxlib.io``)."""
    parts = target.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_"):
            return ".".join(parts[:i])
    return None


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_private_modules_and_names_stay_in_their_package():
    wrong = []
    for module, path, tree in _modules():
        for target, names, line in _imports(tree, module, path):
            if not target.startswith("cxlib"):
                continue
            owner = _private_owner(target)
            if owner is not None and not _inside(module, owner):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
            private_names = [n for n in names if n.startswith("_")]
            home = (
                target if (ROOT / target.replace(".", "/")).is_dir() else target.rsplit(".", 1)[0]
            )
            for name in private_names:  # `from cxlib.x._m import _y`: only from inside cxlib.x
                if not _inside(module, home):
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name} from {target}")
    assert wrong == []


def test_nothing_inside_cxlib_imports_cxlib_itself():
    wrong = [
        f"{path.relative_to(ROOT)}:{line}"
        for module, path, tree in _modules()
        for target, names, line in _imports(tree, module, path)
        if target == "cxlib" and not (module == "cxlib" and names == ["_compat"])
    ]
    assert wrong == []


def _backend_uses(tree: ast.Module) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in BACKEND_CHECKS:
            lines.append(node.lineno)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            if any((n or "").split(".")[0] in BACKEND_MODULES for n in names):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "isinstance"
            and "pl.DataFrame" in ast.unparse(node.args[1]) + " "
            or isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "isinstance"
            and "pl.LazyFrame" in ast.unparse(node.args[1])
        ):
            lines.append(node.lineno)
    return lines


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Lines under ``if TYPE_CHECKING:`` (type hints, not backend checks)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def test_only_the_engine_layer_checks_the_backend():
    wrong = []
    for _, path, tree in _modules():
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(BACKEND_ALLOWED):
            continue
        hints = _type_checking_lines(tree)
        wrong += [f"{relative}:{line}" for line in _backend_uses(tree) if line not in hints]
    assert wrong == []


def test_backend_check_finds_a_planted_check():
    """The rule above would see a backend check (so its empty answer means something)."""
    planted = ast.parse(
        "import duckdb\nif frame.implementation.is_pandas(): pass\n"
        "ok = isinstance(x, pl.LazyFrame)\n"
    )
    assert sorted(_backend_uses(planted)) == [1, 2, 3]


def test_every_file_is_readable_in_one_sitting():
    long = {
        path.relative_to(ROOT).as_posix(): lines
        for _, path, _ in _modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_package_has_few_top_level_entries():
    # the topic packages and cli, and a few private modules every layer shares (_engine,
    # _errors, _stats, _progress, _compat): no flat folder of modules again
    entries = [p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"]
    private = [name for name in entries if name.startswith("_") and name != "__init__.py"]
    assert len(entries) <= 20 and len(private) <= 5, sorted(entries)


# Old module paths (before the concept packages) and where they live now.
OLD_PATHS = {
    "cxlib.loaders": "cxlib.io",
    "cxlib.config": "cxlib.io",
    "cxlib.stages": "cxlib.io",
    "cxlib.survival": "cxlib.churn.survival",
    "cxlib.charts": "cxlib.pages.charts",
    "cxlib.tables": "cxlib.pages.tables",
    "cxlib.explore": "cxlib.pages.explore",
    "cxlib.health": "cxlib.pages.health",
    "cxlib.stage_view": "cxlib.pages.stage_view",
}
UNMOVED = [
    "cxlib.value",
    "cxlib.churn",
    "cxlib.voc",
    "cxlib.omnichannel",
    "cxlib.attribution",
    "cxlib.sample",
    "cxlib.report",
    "cxlib.privacy",
    "cxlib.cli",
]


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_a_moved_module_path_still_imports_with_a_deprecation_warning(old):
    code = (
        "import importlib, warnings\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('always')\n"
        f"    module = importlib.import_module({old!r})\n"
        "print(module.__name__)\n"
        "print([str(w.message) for w in seen if w.category is DeprecationWarning])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    name, messages = done.stdout.splitlines()
    assert name == OLD_PATHS[old]
    assert f"{old} moved to {OLD_PATHS[old]}" in messages


@pytest.mark.parametrize("path", UNMOVED)
def test_a_topic_module_path_imports_without_a_warning(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert importlib.import_module(path).__name__ == path


@pytest.mark.parametrize(
    "name",
    [
        "attribution",
        "charts",
        "churn",
        "explore",
        "health",
        "i18n",
        "io",
        "journey",
        "omnichannel",
        "pages",
        "report",
        "sample",
        "stage_view",
        "survival",
        "tables",
        "value",
        "voc",
    ],
)
def test_every_topic_is_a_namespace_of_cx(name):
    module = getattr(cx, name)
    assert module.__name__ == cx.NAMESPACES[name]
    assert hasattr(module, "__all__"), f"{module.__name__} lists its public API in __all__"
    missing = [
        n
        for n in module.__all__
        if not hasattr(module, n) and importlib.util.find_spec(f"{module.__name__}.{n}") is None
    ]
    assert missing == []


# The flat API as it was before the packages (every name must keep working).
FLAT_API = [
    "Config",
    "DataError",
    "Dataset",
    "Loaded",
    "StageModel",
    "attribution",
    "ces",
    "ces_change",
    "csat",
    "csat_change",
    "dropoffs",
    "funnel",
    "funnel_trend",
    "journey_map",
    "lifecycle",
    "load",
    "make_sample",
    "next_touchpoints",
    "nps",
    "nps_change",
    "omnichannel",
    "path_variants",
    "paths_between",
    "read_config",
    "read_customers",
    "read_surveys",
    "read_touchpoints",
    "retention",
    "stage_model",
    "stage_summary",
    "stickiness",
    "stickiness_ratio",
    "transitions",
    "value",
    "voc",
    "with_period",
    "write_sample",
]


def test_every_name_of_the_flat_api_still_works():
    assert [n for n in FLAT_API if not hasattr(cx, n)] == []
    assert set(FLAT_API) <= set(cx.__all__)


def test_old_names_used_by_notebooks_and_users_still_import():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from cxlib.charts import funnel_chart
        from cxlib.explore import FunnelExplorer
        from cxlib.loaders import RejectedRowsWarning
        from cxlib.stages import PRESETS
        from cxlib.survival import kaplan_meier
        from cxlib.tables import table
    assert callable(funnel_chart) and callable(table) and callable(kaplan_meier)
    assert issubclass(RejectedRowsWarning, UserWarning) and "5-stage" in PRESETS
    assert FunnelExplorer.__module__ == "cxlib.pages.explore"
    assert cx.loaders.RejectedRowsWarning is RejectedRowsWarning
