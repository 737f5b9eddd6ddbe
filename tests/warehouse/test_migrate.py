"""Migrations and roles against a real PostgreSQL server."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg2
import pytest
from click.testing import CliRunner

from clickstream.cli import cli
from local_only.postgres import Connection
from warehouse import migrate as migrate_module
from warehouse.migrate import Migration, MigrationError, available, current_version, migrate, set_role_passwords
from warehouse.rows import one_row

pytestmark = pytest.mark.integration
PgConnection = psycopg2.extensions.connection


@pytest.fixture
def admin(warehouse: Connection) -> Iterator[psycopg2.extensions.connection]:
    conn = psycopg2.connect(warehouse.dsn())
    yield conn
    conn.close()


def as_role(warehouse: Connection, role: str, password: str) -> psycopg2.extensions.connection:
    conn = psycopg2.connect(
        warehouse.dsn()
        .replace(f"user={warehouse.user}", f"user={role}")
        .replace(f"password={warehouse.password}", f"password={password}")
    )
    conn.autocommit = True
    return conn


@pytest.fixture
def roles(
    warehouse: Connection, admin: psycopg2.extensions.connection
) -> Iterator[dict[str, psycopg2.extensions.connection]]:
    """The migrated warehouse as each role, one autocommit connection each."""
    migrate(admin)
    passwords = {"loader": "l-pw", "transformer": "t-pw", "dashboard": "d-pw"}
    set_role_passwords(admin, passwords)
    conns = {role: as_role(warehouse, role, password) for role, password in passwords.items()}
    yield conns
    for conn in conns.values():
        conn.close()


def test_migrate_applies_each_migration_once_and_records_it(admin: psycopg2.extensions.connection) -> None:
    first = migrate(admin)
    second = migrate(admin)

    assert [m.version for m in first] == [m.version for m in available()]
    assert second == []
    assert current_version(admin) == available()[-1].version
    with admin.cursor() as cursor:
        cursor.execute("select count(*) from ops.schema_migrations")
        assert one_row(cursor)[0] == len(available())
        cursor.execute("select to_regclass('raw.raw_events'), to_regclass('raw.load_manifest')")
        assert all(one_row(cursor))


def test_a_changed_applied_migration_is_an_error(
    admin: psycopg2.extensions.connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate(admin)
    edited = [Migration(m.version, m.name, m.sql + "\n-- edited") for m in available()]
    monkeypatch.setattr(migrate_module, "available", lambda: edited)

    with pytest.raises(MigrationError, match="changed after it was applied"):
        migrate(admin)


def test_two_migrators_at_once_apply_everything_once(warehouse: Connection) -> None:
    results: list[list[Migration]] = []

    def run() -> None:
        conn = psycopg2.connect(warehouse.dsn())
        try:
            results.append(migrate(conn))
        finally:
            conn.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(len(r) for r in results) == [0, len(available())]


def test_roles_have_least_privilege(roles: dict[str, PgConnection]) -> None:
    loader, transformer, dashboard = roles["loader"], roles["transformer"], roles["dashboard"]
    with loader.cursor() as cursor:
        cursor.execute("select raw.ensure_day_partition('2025-12-06')")
        cursor.execute(
            "insert into raw.raw_events (payload, s3_key, line_no, received_at) "
            "values ('{}', 'events/2025/12/06/05/event-x.json', 1, '2025-12-06T05:00:00Z')"
        )
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute("create table marts.x (id int)")
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute("delete from raw.raw_events")
    with transformer.cursor() as cursor:
        cursor.execute("select count(*) from raw.raw_events")
        assert one_row(cursor)[0] == 1
        cursor.execute("create table marts.sessions_probe as select 1 as id")
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute("insert into raw.raw_events select * from raw.raw_events")
    with dashboard.cursor() as cursor:
        cursor.execute("select id from marts.sessions_probe")
        assert cursor.fetchone() == (1,)
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute("select * from raw.raw_events")


def test_partition_function_creates_each_day_once(admin: psycopg2.extensions.connection) -> None:
    migrate(admin)
    with admin, admin.cursor() as cursor:
        cursor.execute("select raw.ensure_day_partition('2025-12-31')")
        cursor.execute("select raw.ensure_day_partition('2025-12-31')")
        cursor.execute(
            "insert into raw.raw_events (payload, s3_key, line_no, received_at) "
            "values ('{}', 'k', 1, '2025-12-31T23:59:59.999Z')"
        )
        cursor.execute("select tableoid::regclass::text from raw.raw_events")
        assert one_row(cursor)[0] == "raw.raw_events_20251231"
        with pytest.raises(psycopg2.errors.CheckViolation):
            cursor.execute(
                "insert into raw.raw_events (payload, s3_key, line_no, received_at) "
                "values ('{}', 'k', 2, '2026-01-01T00:00:00Z')"
            )


def test_cli_migrate_is_idempotent(warehouse: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DW_DASHBOARD_PASSWORD", "dash-secret")
    runner = CliRunner()

    first = runner.invoke(cli, ["db", "migrate"])
    second = runner.invoke(cli, ["db", "migrate"])

    assert first.exit_code == 0, first.output
    assert "applied 0001_raw_layer" in first.output
    assert "logins set for dashboard" in first.output
    assert second.exit_code == 0 and "applied" not in second.output.replace("logins", "")
    as_role(warehouse, "dashboard", "dash-secret").close()


def test_cli_migrate_reports_an_unreachable_warehouse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DW_PG_HOST", "127.0.0.1")
    monkeypatch.setenv("DW_PG_PORT", "1")
    monkeypatch.setenv("DW_PG_PASSWORD", "x")

    result = CliRunner().invoke(cli, ["db", "migrate"])

    assert result.exit_code == 1
    assert "cannot reach the warehouse at 127.0.0.1:1" in result.output


def test_transform_runs_is_written_by_the_transformer_and_read_by_the_dashboard(
    roles: dict[str, PgConnection],
) -> None:
    loader, transformer, dashboard = roles["loader"], roles["transformer"], roles["dashboard"]
    insert = (
        "insert into ops.transform_runs (run_id, started_at, host, pid) "
        "values ('00000000-0000-0000-0000-000000000001', now(), 'host', 1)"
    )
    with transformer.cursor() as cursor:
        cursor.execute(insert)
        cursor.execute(
            "update ops.transform_runs set status = 'success', finished_at = now(), "
            "rows_added = '{\"marts.sessions\": 3}'"
        )
        with pytest.raises(psycopg2.errors.CheckViolation):
            cursor.execute("update ops.transform_runs set status = 'done'")
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute("delete from ops.transform_runs")
    with dashboard.cursor() as cursor:
        cursor.execute("select status, db_user, rows_added ->> 'marts.sessions' from ops.transform_runs")
        assert cursor.fetchall() == [("success", "transformer", "3")]
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute(insert.replace("01'", "02'"))
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute("select * from ops.schema_migrations")
    with loader.cursor() as cursor, pytest.raises(psycopg2.errors.InsufficientPrivilege):
        cursor.execute("select * from ops.transform_runs")


def test_a_running_row_cannot_claim_to_be_finished_without_a_time(admin: psycopg2.extensions.connection) -> None:
    migrate(admin)
    with admin, admin.cursor() as cursor, pytest.raises(psycopg2.errors.CheckViolation):
        cursor.execute(
            "insert into ops.transform_runs (run_id, started_at, status, host, pid) "
            "values ('00000000-0000-0000-0000-000000000003', now(), 'failed', 'host', 1)"
        )
