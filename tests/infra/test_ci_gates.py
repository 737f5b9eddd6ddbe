"""The gates are wired: .ci/run runs make lint, make lint-sql and make test, in that order; make lint runs each
tool CONTRIBUTING.md names; .pre-commit-config.yaml runs the fast ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


def recipe(target: str) -> list[str]:
    """The commands of `target`'s recipe in the Makefile (its tab-indented lines, @ and continuations joined)."""
    text = (REPO / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = text.splitlines()
    (start,) = [index for index, line in enumerate(lines) if re.match(rf"^{re.escape(target)}:", line)]
    commands = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        commands.append(line.strip().lstrip("@"))
    return commands


def ci_commands() -> list[str]:
    """The commands of .ci/run that run a make target, in order."""
    text = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if re.match(r"^\s*make\b", line)]


def test_ci_runs_the_lint_gates_then_the_sql_lint_then_the_tests() -> None:
    assert ci_commands() == ["make lint", "make lint-sql", "make test"]


def test_make_lint_runs_ruff_mypy_the_import_layers_generated_files_and_the_lock_check() -> None:
    commands = recipe("lint")
    expected = [
        "$(BIN)/ruff check .",
        "$(BIN)/ruff format --check .",
        "$(BIN)/mypy",
        "$(BIN)/lint-imports",
        "$(MAKE) --no-print-directory generate-check",
        "$(MAKE) --no-print-directory lock-check",
    ]
    assert [command for command in commands if command in expected] == expected


def test_the_generated_files_check_checks_what_make_generate_writes() -> None:
    from clickstream.generate_files_command import generated_files

    assert recipe("generate") == ["$(BIN)/clickstream generate-files"]
    assert recipe("generate-check") == ["$(BIN)/clickstream generate-files --check"]
    # One command for every file written from another: the event JSON Schema, the marts' passthrough columns, the
    # ingest's bot rules and the dashboard's rates.
    assert {path.relative_to(REPO).as_posix() for path in generated_files(REPO)} == {
        "docs/schema/event-v1.schema.json",
        "dbt_project/models/marts/clickstream_events.yml",
        "dbt_project/models/marts/sessions.yml",
        "ingest_lambda/bot_rules.py",
        "dashboard/rates.py",
    }


def test_make_lint_sql_needs_no_demo_nor_a_warehouse_of_its_own() -> None:
    assert recipe("lint-sql") == ["$(BIN)/python -m local_only.sql_lint"]


def test_mypy_checks_every_package() -> None:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    configured = re.search(r"\[tool\.mypy\].*?files = \[(.*?)\]", text, re.DOTALL)
    assert configured is not None
    files = set(re.findall(r'"([a-z_]+)"', configured.group(1)))
    packages = {path.parent.name for path in REPO.glob("*/__init__.py")}
    assert packages <= files, sorted(packages - files)


def test_pre_commit_runs_the_fast_gates_with_the_venvs_tools() -> None:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "mypy", "lint-imports", "generate-check"} <= set(hooks)
    assert {hook["language"] for hook in hooks.values()} == {"system"}
    for hook in hooks.values():
        tool = hook["entry"].split()[0]
        assert tool == "make" or tool.startswith(".venv/bin/"), hook
