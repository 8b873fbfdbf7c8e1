# Two commands on a fresh machine: `make report` and `make test`.
# Both set up what they need first; both are idempotent and quick when nothing changed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup test report lint sample bench clean system strip

setup: $(STAMP)

# Reinstall only when the package metadata changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,spark]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# System-side needs of the test suite (headless Chromium for browser tests; Java for PySpark).
system:
	@bash scripts/system-deps.sh

test: setup system
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests
	$(BIN)/python -m pytest -n 2 -p no:randomly --doctest-modules cxlib -q
	$(BIN)/python -m pytest --nbval-lax -p no:randomly notebooks/ -q

report: setup
	$(BIN)/cx report --data data/sample --out reports/latest

sample: setup
	$(BIN)/cx sample --out data/sample

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python benchmarks/funnel.py

# Notebooks are committed without outputs or papermill metadata.
strip: setup
	$(BIN)/nbstripout --extra-keys "metadata.papermill cell.metadata.papermill cell.metadata.execution" notebooks/*.ipynb

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache .hypothesis
