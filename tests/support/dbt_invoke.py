"""dbt in-process against a test database, as the `transformer` role: what the dbt project's tests share."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg2
import pytest
from psycopg2 import sql

from local_only.postgres import Connection
from warehouse.connection import WarehouseSettings
from warehouse.migrate import migrate, set_role_passwords

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult

REPO = Path(__file__).resolve().parents[2]
PROFILES_DIR = REPO / "dbt_project"


def prepare_warehouse(warehouse: Connection, monkeypatch: pytest.MonkeyPatch) -> WarehouseSettings:
    """Migrate the test's database and point DW_PG_* at it as `transformer` (the loader's settings are returned).

    The only grant beyond migration 0002's is CREATE on the database, which a second copy of the schemas needs.
    """
    transformer, loader = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    admin = psycopg2.connect(warehouse.dsn())
    try:
        migrate(admin)
        set_role_passwords(admin, {"transformer": transformer, "loader": loader})
        with admin, admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("grant create on database {} to transformer").format(sql.Identifier(warehouse.database))
            )
    finally:
        admin.close()
    # profiles.yml reads DW_PG_*; the warehouse fixture pointed them at the database as its admin.
    monkeypatch.setenv("DW_PG_USER", "transformer")
    monkeypatch.setenv("DW_PG_PASSWORD", transformer)
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return WarehouseSettings(
        host=warehouse.host, port=warehouse.port, user="loader", password=loader, database=warehouse.database
    )


class Dbt:
    """`dbt` in-process, with its target and log directories in the test's tmp (parallel runs don't clash).

    Partial parsing stays on: after the first invocation only changed files (none) are parsed again.
    """

    def __init__(self, work: Path, project_dir: Path = REPO) -> None:
        from dbt.cli.main import dbtRunner

        self.runner = dbtRunner()
        # Another copy of the project (a test that changes dbt_project.yml works on a copy); same profiles.
        self.project_dir = project_dir
        self.target_path = work / "target"
        self.log_path = work / "logs"

    def invoke(self, command: str, *extra: str) -> None:
        outcome = self.attempt(command, *extra)
        if outcome.success:
            return
        from dbt.artifacts.schemas.run import RunExecutionResult

        if outcome.exception is not None:
            raise AssertionError(f"dbt {command} {' '.join(extra)} failed: {outcome.exception}") from outcome.exception
        problems = [
            f"{result.node.unique_id}: {result.status}: {result.message}"
            # A failed build's result is the run's; other commands answer other types (a manifest, a list).
            for result in (outcome.result if isinstance(outcome.result, RunExecutionResult) else [])
            if str(result.status) not in ("success", "pass", "skipped")
        ]
        pytest.fail(f"dbt {command} {' '.join(extra)} failed:\n" + "\n".join(problems))

    def attempt(self, command: str, *extra: str) -> dbtRunnerResult:
        """The invocation's result, whether it succeeded or not."""
        args = [
            *command.split(),  # "docs generate" is a command of two words
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(PROFILES_DIR),
            "--target-path",
            str(self.target_path),
            "--log-path",
            str(self.log_path),
            "--no-version-check",
            "--quiet",
            *extra,
        ]
        return self.runner.invoke(args)

    def build(self, *extra: str, data_tests: bool = True) -> None:
        # The unit tests do not depend on the data; `dbt test -s test_type:unit` runs them once, not every hour.
        self.invoke("build", "--exclude-resource-type", "unit_test", *([] if data_tests else ["test"]), *extra)

    def manifest_nodes(self) -> list[dict]:
        """The nodes of the manifest the last invocation wrote."""
        manifest = json.loads((self.target_path / "manifest.json").read_text(encoding="utf-8"))
        return list(manifest["nodes"].values())

    def incremental_relations(self) -> list[str]:
        """schema.table of every incremental model, from the manifest of the last invocation."""
        return sorted(
            f"{node['schema']}.{node['alias']}"
            for node in self.manifest_nodes()
            if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
        )
