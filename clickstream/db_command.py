"""``clickstream db``: set up the warehouse (schemas, ledger, roles) with the same steps everywhere."""

from __future__ import annotations

import os

import click
import psycopg2
from pydantic import ValidationError

from warehouse.connection import WarehouseSettings
from warehouse.migrate import ROLE_NAMES, MigrationError, current_version, migrate, set_role_passwords


def _settings() -> WarehouseSettings:
    try:
        return WarehouseSettings()
    except ValidationError as exc:
        raise click.ClickException(f"warehouse connection is not configured: {exc.errors()[0]['msg']}") from exc


@click.group("db")
def db_group() -> None:
    """Warehouse schema and roles."""


@db_group.command("migrate")
def migrate_command() -> None:
    """Apply the SQL migrations not applied yet, then give each role whose DW_<ROLE>_PASSWORD is set a login.

    Connects with DW_PG_* as an owner (the warehouse's admin user). Safe to run again: it changes nothing then.
    """
    settings = _settings()
    try:
        conn = settings.connect()
    except psycopg2.OperationalError as exc:
        raise click.ClickException(f"cannot reach the warehouse at {settings.host}:{settings.port}: {exc}") from exc
    try:
        applied = migrate(conn)
        passwords = {
            role: os.environ[f"DW_{role.upper()}_PASSWORD"]
            for role in ROLE_NAMES
            if os.environ.get(f"DW_{role.upper()}_PASSWORD")
        }
        roles = set_role_passwords(conn, passwords)
        version = current_version(conn)
    except (MigrationError, psycopg2.Error) as exc:
        raise click.ClickException(f"migration failed: {exc}") from exc
    finally:
        conn.close()
    for migration in applied:
        click.echo(f"applied {migration.version:04d}_{migration.name}")
    click.echo(f"warehouse at version {version}" + (f"; logins set for {', '.join(roles)}" if roles else ""))
