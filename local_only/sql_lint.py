"""``sqlfluff lint dbt_project`` (``make lint-sql``): the dbt models' SQL, linted against a throwaway warehouse.

sqlfluff's dbt templater compiles each model as dbt does, so it needs a warehouse to connect to. A model compiles
one way before its table exists (a first build) and another once it does (``is_incremental()`` blocks, the window
models' previous state), so the project is linted twice: against the freshly migrated, empty warehouse, and again
after a build. ``make lint-sql`` starts its own PostgreSQL (Debian's binaries, as the test suite does) in a
temporary directory and removes it afterwards, so it needs neither ``make demo`` nor ``DW_PG_*``;
tests/dbt_project/test_sqlfluff_lint.py runs the same lint against the suite's server.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import psycopg2
from psycopg2 import sql

from local_only.postgres import Connection, LocalPostgres
from warehouse.migrate import migrate, set_role_passwords

PROJECT = Path(__file__).resolve().parents[1]
# Models every lint must have read: a model the templater cannot compile is reported, not silently left out.
EXPECTED_MODELS = frozenset({"sessions.sql", "stg_clickstream__events.sql", "int_visitors_touched.sql"})


class SqlLintError(RuntimeError):
    """sqlfluff could not lint the project (no report, a crash, a model left out): not a style finding."""


def _tool(name: str) -> str:
    """A console script of this venv (sqlfluff, dbt), beside the running interpreter."""
    return str(Path(sys.executable).with_name(name))


def violations(
    env: Mapping[str, str],
    work: Path,
    project: Path = PROJECT,
    paths: tuple[str, ...] = ("dbt_project",),
    expected: frozenset[str] = EXPECTED_MODELS,
) -> list[str]:
    """``path:line: CODE description`` for each sqlfluff finding in `paths` of `project` (its dbt models by
    default), with DW_PG_* from `env`; `expected` names files that must have been linted, not skipped.

    dbt's target and logs go to `work`, not into the repository's target/.
    """
    result = subprocess.run(
        [_tool("sqlfluff"), "lint", *paths, "--format", "json", "--nocolor"],
        cwd=project,
        env={**env, "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs")},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if not result.stdout.strip():
        raise SqlLintError(f"sqlfluff printed no report (exit {result.returncode}):\n{result.stderr[-3000:]}")
    files = json.loads(result.stdout)
    found = [
        f"{entry['filepath']}:{violation.get('start_line_no')}: {violation['code']} {violation['description']}"
        for entry in files
        for violation in entry["violations"]
    ]
    if not found and result.returncode != 0:
        raise SqlLintError(f"sqlfluff failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    missing = expected - {Path(entry["filepath"]).name for entry in files}
    if missing:
        raise SqlLintError(f"sqlfluff did not lint {sorted(missing)}:\n{result.stderr[-3000:]}")
    return found


def prepare(admin: Connection) -> dict[str, str]:
    """Migrate `admin`'s database and return the environment in which dbt connects to it as ``transformer``.

    The only grant beyond the migrations' is CREATE on the database, which dbt's schemas need on a fresh one.
    """
    password = secrets.token_urlsafe(12)
    conn = psycopg2.connect(admin.dsn())
    try:
        migrate(conn)
        set_role_passwords(conn, {"transformer": password})
        with conn, conn.cursor() as cursor:
            cursor.execute(sql.SQL("grant create on database {} to transformer").format(sql.Identifier(admin.database)))
    finally:
        conn.close()
    return {
        **os.environ,
        **admin.env(),
        "DW_PG_USER": "transformer",
        "DW_PG_PASSWORD": password,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def build(env: Mapping[str, str], work: Path, project: Path = PROJECT) -> None:
    """``dbt build`` of the models alone (no data tests, no unit tests): enough for every table to exist."""
    result = subprocess.run(
        [
            _tool("dbt"),
            "build",
            "--exclude-resource-type",
            "unit_test",
            "test",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project / "dbt_project"),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
            "--no-version-check",
            "--quiet",
        ],
        cwd=project,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    if result.returncode != 0:
        raise SqlLintError(f"dbt build failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}")


def lint_both_states(admin: Connection, work: Path, project: Path = PROJECT) -> dict[str, list[str]]:
    """The findings as a first build compiles the models, and as an incremental build does."""
    env = prepare(admin)
    first = violations(env, work / "first", project)
    build(env, work / "dbt", project)
    return {"first build": first, "incremental build": violations(env, work / "incremental", project)}


def main() -> int:
    # The server's directory is outside the private tmp of root so that the postgres user, which runs the server
    # when we are root, can reach it; the work directory (dbt's target and logs) stays ours.
    root = Path(tempfile.mkdtemp(prefix="clickstream-sql-lint-pg-"))
    root.chmod(0o755)
    work = Path(tempfile.mkdtemp(prefix="clickstream-sql-lint-"))
    server = LocalPostgres(root, durable=False)
    try:
        found = lint_both_states(server.ensure_running("clickstream_dw"), work)
    except SqlLintError as error:
        print(f"lint-sql: {error}", file=sys.stderr)
        return 2
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    for state, lines in found.items():
        for line in lines:
            print(f"{line}  (compiled as a {state})")
    total = sum(len(lines) for lines in found.values())
    print(f"lint-sql: {total} violation(s) in dbt_project/, linted as a first and as an incremental build")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
