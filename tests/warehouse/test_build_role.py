"""Whoever runs dbt, the warehouse ends up as the `transformer` role would leave it (dbt_project/profiles.yml's
`role:`): a build by the superuser leaves transformer-owned relations the dashboard reads and the next transformer
build replaces; a login that may not become transformer is refused with PostgreSQL's own words."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql
from support.dbt_invoke import Dbt, prepare_warehouse

from local_only.postgres import Connection

pytestmark = pytest.mark.integration

DBT_SCHEMAS = ("staging", "intermediate", "marts")


def owners(warehouse: Connection) -> dict[str, str]:
    """schema.name of every table and view in dbt's schemas, and its owner."""
    conn = psycopg2.connect(warehouse.dsn())
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                """
                select n.nspname || '.' || c.relname, pg_get_userbyid(c.relowner)
                from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = any(%s) and c.relkind in ('r', 'v', 'm', 'p')
                """,
                (list(DBT_SCHEMAS),),
            )
            return dict(cursor.fetchall())
    finally:
        conn.close()


def unreadable_marts(warehouse: Connection, dashboard_password: str, relations: list[str]) -> dict[str, str]:
    """The marts the `dashboard` role cannot select from, with PostgreSQL's reason."""
    conn = psycopg2.connect(
        host=warehouse.host,
        port=warehouse.port,
        user="dashboard",
        password=dashboard_password,
        dbname=warehouse.database,
    )
    conn.autocommit = True
    refused = {}
    try:
        for relation in relations:
            schema, name = relation.split(".")
            with conn.cursor() as cursor:
                try:
                    cursor.execute(
                        sql.SQL("select count(*) from {}.{}").format(sql.Identifier(schema), sql.Identifier(name))
                    )
                except psycopg2.Error as exc:
                    refused[relation] = str(exc).strip()
    finally:
        conn.close()
    return refused


def dashboard_login(warehouse: Connection) -> str:
    password = "dashboard-test-pw"
    conn = psycopg2.connect(warehouse.dsn())
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute("alter role dashboard with login password %s", (password,))
    finally:
        conn.close()
    return password


def failures(outcome: object) -> list[str]:
    """Each failed node's message, and dbt's own exception when it stopped before running any."""
    messages = [str(result.message) for result in getattr(outcome, "result", None) or [] if result.message]
    exception = getattr(outcome, "exception", None)
    return [*messages, *([str(exception)] if exception else [])]


def test_a_build_by_the_superuser_leaves_the_marts_to_the_transformer_and_the_dashboard(
    warehouse: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare_warehouse(warehouse, monkeypatch)
    dashboard_password = dashboard_login(warehouse)
    # The warehouse fixture's superuser, as `.data/warehouse.env` exported it before.
    monkeypatch.setenv("DW_PG_USER", warehouse.user)
    monkeypatch.setenv("DW_PG_PASSWORD", warehouse.password)
    dbt = Dbt(tmp_path / "dbt")

    dbt.build(data_tests=False)

    built = owners(warehouse)
    marts = sorted(relation for relation in built if relation.startswith("marts."))
    assert len(marts) >= 10, marts
    assert {relation: owner for relation, owner in built.items() if owner != "transformer"} == {}
    assert unreadable_marts(warehouse, dashboard_password, marts) == {}

    # The transformer's next build replaces every table and view the superuser's made.
    prepare_warehouse(warehouse, monkeypatch)
    dbt.build("--full-refresh", data_tests=False)
    assert unreadable_marts(warehouse, dashboard_password, marts) == {}


def test_a_login_that_may_not_become_the_transformer_is_refused(
    warehouse: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare_warehouse(warehouse, monkeypatch)
    monkeypatch.setenv("DW_PG_USER", "dashboard")
    monkeypatch.setenv("DW_PG_PASSWORD", dashboard_login(warehouse))

    outcome = Dbt(tmp_path / "dbt").attempt("run", "--select", "stg_clickstream__events")

    assert not outcome.success
    said = "\n".join(failures(outcome))
    assert 'permission denied to set role "transformer"' in said, said
    assert owners(warehouse) == {}


def test_a_warehouse_without_the_role_says_so(
    warehouse: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DW_PG_ROLE stands in for a warehouse that was never migrated (roles are the whole server's, so the suite's
    server always has `transformer`)."""
    prepare_warehouse(warehouse, monkeypatch)
    monkeypatch.setenv("DW_PG_USER", warehouse.user)
    monkeypatch.setenv("DW_PG_PASSWORD", warehouse.password)
    monkeypatch.setenv("DW_PG_ROLE", "no_such_role")

    outcome = Dbt(tmp_path / "dbt").attempt("run", "--select", "stg_clickstream__events")

    assert not outcome.success
    said = "\n".join(failures(outcome))
    assert 'role "no_such_role" does not exist' in said, said
    assert owners(warehouse) == {}
