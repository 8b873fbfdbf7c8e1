# Two commands on a fresh machine: `make report` and `make test`.
# Both set up what they need first; both are idempotent and quick when nothing changed.
# `make report` (and `make lab`) install only cxlib and its runtime dependencies; `make test`
# adds the test, Spark and docs extras, `make docs` the docs extra. One stamp file each.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-runtime
TEST_STAMP := $(VENV)/.installed-test
DOCS_STAMP := $(VENV)/.installed-docs
PIP := $(BIN)/python -m pip install -q
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export NO_MKDOCS_2_WARNING := 1
# JupyterLab refuses to start as root without --allow-root (containers, CI machines).
USER_ID ?= $(shell id -u)
LAB_ROOT := $(if $(filter 0,$(USER_ID)),--allow-root)
LAB_ARGS ?=

.PHONY: setup setup-test setup-docs test report lab docs lint sample bench clean system strip

setup: $(STAMP)
setup-test: $(TEST_STAMP)
setup-docs: $(DOCS_STAMP)

# What the report and the notebooks need: cxlib and its runtime dependencies, no extras.
# Reinstalled only when the package metadata changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

# The docs tools (mkdocs-material, mkdocstrings), on top of the runtime.
$(DOCS_STAMP): $(STAMP)
	$(PIP) -e '.[docs]'
	touch $@

# The test suite's tools (pytest, DuckDB, Playwright, ruff, ...), PySpark and the docs tools.
$(TEST_STAMP): $(STAMP) $(DOCS_STAMP)
	$(PIP) -e '.[test,spark,docs]'
	touch $@

# System-side needs of the test suite (headless Chromium for browser tests; Java for PySpark).
system:
	@bash scripts/system-deps.sh

test: setup-test system docs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests
	$(BIN)/python -m pytest -n 2 -p no:randomly --doctest-modules cxlib -q
	$(BIN)/python -m pytest --nbval-lax -p no:randomly notebooks/ -q

report: setup
	$(BIN)/cx report --data data/sample --out reports/latest

# JupyterLab on the notebooks, listening on this machine only (LAB_ARGS="--port 9999" to add).
lab: setup
	$(BIN)/jupyter lab notebooks/ --ServerApp.ip=127.0.0.1 $(LAB_ROOT) $(LAB_ARGS)

# The reference docs into site/ (warnings are errors); open site/index.html. Rebuilt only
# when a page, the config or a docstring (cxlib's sources) changed.
DOCS_SOURCES := mkdocs.yml $(shell find docs cxlib -type f -not -path '*/__pycache__/*' 2>/dev/null)
docs: site/.built
site/.built: $(DOCS_STAMP) $(DOCS_SOURCES)
	$(BIN)/mkdocs build --strict --quiet
	touch $@

sample: setup
	$(BIN)/cx sample --out data/sample

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: setup-test
	$(BIN)/python benchmarks/funnel.py

# Notebooks are committed without outputs or papermill metadata.
strip: setup-test
	$(BIN)/nbstripout --extra-keys "metadata.papermill cell.metadata.papermill cell.metadata.execution" notebooks/*.ipynb

clean:
	rm -rf $(VENV) reports site .pytest_cache .ruff_cache .hypothesis
