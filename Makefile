# Clickstream Warehouse. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: help install test test-unit test-integration lint lint-sql format schema demo demo-down bench package clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools

test: $(STAMP) ## Run the whole test suite (bootstraps .venv when missing)
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: $(STAMP) ## Only the fast in-process tests
	$(BIN)/pytest -m unit $(PYTEST_ARGS)

test-integration: $(STAMP) ## Only the tests that start real services
	$(BIN)/pytest -m "integration or e2e" $(PYTEST_ARGS)

lint: $(STAMP) ## ruff (lint + format check) and the generated JSON Schema up to date (the SQL: make lint-sql)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/clickstream schema --check
	@echo "lint: Python and schema done; the dbt models' SQL is linted by make lint-sql (it needs a warehouse)"

# sqlfluff's dbt templater compiles every model, so it needs a warehouse: the one DW_PG_* name, else the demo's
# (started if stopped; it picks a new port on each start, hence the port file).
lint-sql: $(STAMP) ## sqlfluff over dbt_project/ (dbt templater) against DW_PG_*, else the demo's PostgreSQL
	@if [ -z "$$DW_PG_HOST" ]; then \
		test -f .data/warehouse.env || { echo "lint-sql: set DW_PG_* or run make demo first" >&2; exit 2; }; \
		$(BIN)/python -c 'from pathlib import Path; from clickstream.local_postgres import LocalPostgres; \
			LocalPostgres(Path(".data/pg")).ensure_running()' && \
		set -a && . ./.data/warehouse.env && set +a && export DW_PG_PORT=$$(cat .data/pg/port); \
	fi; \
	$(BIN)/sqlfluff lint dbt_project

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(STAMP) ## Regenerate docs/schema/event-v1.schema.json from the event model
	$(BIN)/clickstream schema

demo: $(STAMP) ## Run the pipeline end to end on the embedded default (.data/); again reuses what is there
	$(BIN)/clickstream demo $(DEMO_ARGS)

demo-down: $(STAMP) ## Stop the demo's PostgreSQL
	$(BIN)/clickstream demo --stop

package: $(STAMP) ## Lambda zips in dist/ (python3.12, x86_64), sizes against Lambda's limit; PACKAGE_ARGS='--only warehouse' for the EC2 bundle (arm64; --warehouse-arch x86_64)
	$(BIN)/python -m infra.package $(PACKAGE_ARGS)

bench: $(STAMP) ## Run the benchmarks (docs/benchmarks.md has the figures and the same commands)
	$(BIN)/python -m bench.bench_ingest
	$(BIN)/python -m bench.bench_email_scan
	$(BIN)/python -m bench.bench_loader

clean: ## Remove the venv, caches and local data
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .data
