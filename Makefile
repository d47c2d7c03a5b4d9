# Every target does its own set-up, so each works on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV_STAMP := $(VENV)/.dev-installed
RUN_STAMP := $(VENV)/.run-installed

.PHONY: test demo lint typecheck imports pytest chromium bench bench-robustness bench-precision bench-index bench-service bench-scan clean

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

# The API client generator the schema is tested with pins an older Typer than ours, so it gets an
# environment of its own; if it cannot be installed, the generated-client test is skipped.
GENERATOR_VENV := .venv-openapi
GENERATOR := $(GENERATOR_VENV)/bin/openapi-python-client
$(GENERATOR):
	@$(PYTHON) -m venv $(GENERATOR_VENV) && \
	$(GENERATOR_VENV)/bin/pip install --quiet 'openapi-python-client==0.29.1' || \
	echo "openapi-python-client could not be installed: the generated-client test will be skipped"

# PostgreSQL tests run whenever a server answers on 127.0.0.1:5432 (as in CI), unless the
# caller names its own with MEDIAMATCH_TEST_POSTGRES_URL; otherwise they skip with that reason.
PG_LOCAL := postgresql://postgres@127.0.0.1:5432/test
# Likewise the Redis tests (shared rate limits) whenever a server answers on 127.0.0.1:6379.
REDIS_LOCAL := redis://127.0.0.1:6379/15
pytest: $(DEV_STAMP) chromium $(GENERATOR)
	@url="$${MEDIAMATCH_TEST_POSTGRES_URL:-}"; \
	if [ -z "$$url" ] && command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then \
		url="$(PG_LOCAL)"; fi; \
	redis="$${MEDIAMATCH_TEST_REDIS_URL:-}"; \
	if [ -z "$$redis" ] && $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 6379), 1)" 2>/dev/null; then \
		redis="$(REDIS_LOCAL)"; fi; \
	MEDIAMATCH_TEST_POSTGRES_URL="$$url" MEDIAMATCH_TEST_REDIS_URL="$$redis" \
	MEDIAMATCH_OPENAPI_GENERATOR="$(GENERATOR)" $(BIN)/pytest -W error

# The report's browser test needs Debian's chromium; installed when missing and apt is usable,
# otherwise that test is skipped with its reason.
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; } || \
		echo "chromium could not be installed: the report's browser test will be skipped"; \
	else echo "chromium is missing and apt-get is not usable here: the report's browser test will be skipped"; fi

demo: $(RUN_STAMP)
	$(BIN)/python -m mediamatch.demo

bench: $(DEV_STAMP)
	$(BIN)/python bench/hash_speed.py

bench-robustness: $(DEV_STAMP)
	$(BIN)/python bench/robustness.py

# The sizes of docs/precision.md's 2026-12-04 run (about 45 minutes on 2 cores: verification is
# the cost); the script's defaults (10,000 queries, 60 photos) take about twice as long.
bench-precision: $(DEV_STAMP)
	$(BIN)/python bench/negatives.py --out .negatives --photos .corpus/photos
	$(BIN)/python bench/precision.py --negatives .negatives --photos .corpus/photos \
		--queries 5000 --edited 1000 --recall-photos 30

bench-service: $(DEV_STAMP)
	$(BIN)/python bench/service_load.py

bench-scan: $(DEV_STAMP)
	$(BIN)/python bench/scan_speed.py

bench-index: $(DEV_STAMP)
	$(BIN)/python bench/index_speed.py
	$(BIN)/python bench/import_speed.py

clean:
	rm -rf $(VENV) $(GENERATOR_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
