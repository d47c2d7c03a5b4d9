# Every target does its own set-up, so each works on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV_STAMP := $(VENV)/.dev-installed
RUN_STAMP := $(VENV)/.run-installed

.PHONY: test demo lint typecheck imports pytest bench bench-robustness bench-index bench-service clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(RUN_STAMP)

test: lint typecheck imports pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(DEV_STAMP)
	$(BIN)/mypy --strict src

imports: $(DEV_STAMP)
	$(BIN)/lint-imports

pytest: $(DEV_STAMP)
	$(BIN)/pytest -W error

demo: $(RUN_STAMP)
	$(BIN)/python -m mediamatch.demo

bench: $(DEV_STAMP)
	$(BIN)/python bench/hash_speed.py

bench-robustness: $(DEV_STAMP)
	$(BIN)/python bench/robustness.py

bench-service: $(DEV_STAMP)
	$(BIN)/python bench/service_load.py

bench-index: $(DEV_STAMP)
	$(BIN)/python bench/index_speed.py
	$(BIN)/python bench/import_speed.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
