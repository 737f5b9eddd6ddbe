# Clickstream Warehouse. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
DEV_LOCK := requirements/dev.lock
RUNTIME_LOCK := requirements/runtime.lock
# Both locks: CPython 3.11 and up on every platform (the Lambdas run 3.12, the warehouse EC2 3.11 on arm64), with
# hashes. Re-running it keeps every pin the lock file already has unless pyproject.toml asks otherwise.
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --generate-hashes --python-version 3.11 \
	--custom-compile-command 'make lock' pyproject.toml requirements/tools.in

.PHONY: help install lock lock-check test test-unit test-integration lint lint-sql format generate generate-check schema demo \
	demo-down hourly bench package clean tracker spark-venv spark-lock

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

# Every dependency, pip and setuptools included, at the version and hashes requirements/dev.lock holds (make lock
# writes it): the locked pip first (its own entry of the lock), which then installs the rest; --no-deps because the
# lock is the whole closure (pip check below proves it), and older pips refuse extras in hash-checking mode
# otherwise. The project itself goes in last, built by the locked setuptools.
$(STAMP): pyproject.toml $(DEV_LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	awk '/^pip==/ {entry = 1} entry {print} entry && !/\\$$/ {exit}' $(DEV_LOCK) >$(VENV)/pip.lock
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(VENV)/pip.lock
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools, from requirements/dev.lock

lock: $(STAMP) ## Re-resolve requirements/*.lock after editing pyproject.toml; UPGRADE=1 (or UPGRADE_PACKAGE=name) takes the newest versions too
	$(UV_COMPILE) --extra dev $(if $(UPGRADE),--upgrade) $(if $(UPGRADE_PACKAGE),--upgrade-package $(UPGRADE_PACKAGE)) -o $(DEV_LOCK)
	$(UV_COMPILE) --constraint $(DEV_LOCK) -o $(RUNTIME_LOCK)
	@echo "lock: done; make install installs it (CONTRIBUTING.md: refreshing the lock)"

# Resolves again into copies (uv keeps their pins) and compares: any difference means pyproject.toml changed
# without make lock. Needs PyPI (or uv's cache).
lock-check: $(STAMP) ## requirements/*.lock are what make lock would write
	@work=$$(mktemp -d) && trap 'rm -rf "$$work"' EXIT && \
	cp $(DEV_LOCK) $(RUNTIME_LOCK) "$$work"/ && \
	$(UV_COMPILE) --extra dev -o "$$work/dev.lock" && \
	$(UV_COMPILE) --constraint $(DEV_LOCK) -o "$$work/runtime.lock" && \
	diff -u $(DEV_LOCK) "$$work/dev.lock" && diff -u $(RUNTIME_LOCK) "$$work/runtime.lock" || \
	{ echo "lock-check: requirements/*.lock are out of date with pyproject.toml: run make lock" >&2; exit 1; }

test: $(STAMP) ## Run the whole test suite (bootstraps .venv when missing)
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: $(STAMP) ## Only the fast in-process tests
	$(BIN)/pytest -m unit $(PYTEST_ARGS)

test-integration: $(STAMP) ## Only the tests that start real services
	$(BIN)/pytest -m "integration or e2e" $(PYTEST_ARGS)

# The gates .ci/run runs before the tests (CONTRIBUTING.md: the lint gates); tests/infra/test_ci_gates.py checks
# that each is named here. mypy and lint-imports read their settings from pyproject.toml.
lint: $(STAMP) ## ruff (check, format), mypy, the import layers, generated files and locks up to date (SQL: lint-sql)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory generate-check
	$(MAKE) --no-print-directory lock-check
	@echo "lint: done; the dbt models' SQL is linted by make lint-sql"

# sqlfluff's dbt templater compiles every model, so it needs a warehouse: local_only/sql_lint.py starts a
# throwaway PostgreSQL (Debian's binaries, as the tests do), migrates it, lints, builds, lints again, removes it.
lint-sql: $(STAMP) ## sqlfluff over dbt_project/ (dbt templater), empty and built, against a throwaway PostgreSQL
	$(BIN)/python -m local_only.sql_lint

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every generated file, one command each (other generators join both lists); generate-check checks each without
# writing, and fails when one is stale.
schema: $(STAMP) ## Regenerate docs/schema/event-v1.schema.json from the event model
	$(BIN)/clickstream schema

generate: $(STAMP) ## Regenerate every generated file: the event JSON Schema, the marts' passthrough columns, the bot rules and the dashboard's rates
	$(BIN)/clickstream generate-files

generate-check: $(STAMP) ## Fail when a generated file is out of date with its source (make generate fixes it)
	$(BIN)/clickstream generate-files --check

# The demo's data folder, as local_only/paths.py finds it.
DEMO_DATA = $(or $(CLICKSTREAM_DATA_DIR),.data)
TRACKER_JS := tracker/dist/clickstream.js

demo: $(STAMP) $(TRACKER_JS) ## Run the pipeline end to end on the embedded default (.data/), then serve the dashboard and the demo shop
	$(BIN)/clickstream demo $(DEMO_ARGS)

# The hourly cycle for the current hour (`--at` it: it and its lookback hours), so that visits to the demo shop
# a minute ago are loaded and built; as transformer and loader, with the passwords make demo wrote.
hourly: $(STAMP) ## One hourly cycle on the demo's warehouse, this hour included: after a visit to the demo shop
	source $(DEMO_DATA)/warehouse.env && $(BIN)/clickstream hourly \
		--target-path $(DEMO_DATA)/dbt-target --at "$$(date -u +%Y-%m-%dT%H:00Z)"

# The demo shop loads the built tracker. Its build is committed (tests/tracker/test_tracker_size.py checks it is what
# the sources build), so without Node's npm the demo uses that; with npm it is rebuilt when a source is newer.
$(TRACKER_JS): tracker/package-lock.json tracker/scripts/build.mjs $(wildcard tracker/src/*.ts)
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory tracker; \
	else echo "npm not found: the demo shop uses the committed $(TRACKER_JS) (make tracker rebuilds it: Node.js 18.19+)"; fi

demo-down: $(STAMP) ## Stop the demo's PostgreSQL
	$(BIN)/clickstream demo --stop

package: $(STAMP) ## Lambda zips in dist/ (python3.12, x86_64), sizes against Lambda's limit; PACKAGE_ARGS='--only warehouse' for the EC2 bundle (arm64; --warehouse-arch x86_64)
	$(BIN)/python -m infra.package $(PACKAGE_ARGS)

bench: $(STAMP) ## Run the benchmarks (docs/benchmarks.md has the figures and the same commands)
	$(BIN)/python -m bench.bench_ingest
	$(BIN)/python -m bench.bench_dialects
	$(BIN)/python -m bench.bench_email_scan
	$(BIN)/python -m bench.bench_loader

# The browser tracker (docs/tracker.md): Node's packages exactly as tracker/package-lock.json pins them, the type
# check, then dist/clickstream.js (minified IIFE, for a <script> tag) and dist/clickstream.mjs (ES module). make test
# runs its unit tests, size budget and wire check (tests/tracker/).
tracker: ## Build the browser tracker into tracker/dist/ (npm ci from the lock, tsc --noEmit, esbuild)
	cd tracker && npm ci --no-audit --no-fund && npx tsc --noEmit && npm run build

# The Spark tier (docs/scaling.md): its own venv and lock, so the dev lock does not carry Spark (~400 MB). The slow
# test tests/dbt_project/test_spark_port.py runs the project on it; it needs Java 17 (java on PATH).
SPARK_VENV := .venv-spark
SPARK_LOCK := requirements/spark.lock

$(SPARK_VENV)/.installed-stamp: $(SPARK_LOCK)
	@test -x $(SPARK_VENV)/bin/python || $(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r $(SPARK_LOCK)
	$(SPARK_VENV)/bin/python -m pip check
	@touch $@

spark-venv: $(SPARK_VENV)/.installed-stamp ## .venv-spark (pyspark, dbt-spark) from requirements/spark.lock, for the Spark port check
spark-lock: $(STAMP) ## Re-resolve requirements/spark.lock after editing requirements/spark.in
	$(BIN)/uv pip compile --quiet --universal --generate-hashes --python-version 3.11 \
		--custom-compile-command 'make spark-lock' requirements/spark.in -o $(SPARK_LOCK)

clean: ## Remove the venvs, caches and local data
	rm -rf $(VENV) $(SPARK_VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache .hypothesis .data
	rm -rf tracker/node_modules tracker/dist/clickstream.mjs
