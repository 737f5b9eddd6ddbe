"""What the warehouse benchmarks share: a migrated database on a local PostgreSQL, its roles, and the loader.

A database is created (or reopened) with the loader's and dbt's roles given fresh passwords, so a bench loads as
`loader` and builds as `transformer`, as the deployed warehouse does. `load` runs the loader's own `run_load` over
an invocation event (`{"fromHour", "toHour"}` or `{"targetUtcHour"}`), compaction off: compaction runs in the
loader Lambda and writes the store, not the warehouse.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from local_only.postgres import Connection, LocalPostgres
from warehouse.connection import WarehouseSettings
from warehouse.migrate import migrate, set_role_passwords
from warehouse.rows import one_row


@dataclass(frozen=True)
class BenchWarehouse:
    admin: Connection
    loader: WarehouseSettings
    transformer: WarehouseSettings

    def dbt_env(self) -> dict[str, str]:
        """DW_PG_* for dbt as `transformer` (dbt_project/profiles.yml reads them)."""
        return {**self.admin.env(), "DW_PG_USER": "transformer", "DW_PG_PASSWORD": self.transformer.password or ""}


def iso_hour(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def scalar(target: Connection, query: str) -> Any:
    with psycopg2.connect(target.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute(query)
        return one_row(cursor)[0]


def database_exists(server: LocalPostgres, name: str) -> bool:
    return bool(scalar(server.connection("postgres"), f"select count(*) from pg_database where datname = '{name}'"))


def fresh_warehouse(server: LocalPostgres, name: str) -> BenchWarehouse:
    """A new migrated database `name` (dropped first if it exists), its roles with new passwords."""
    admin = server.connection("postgres")
    conn = psycopg2.connect(admin.dsn())
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    conn.close()
    return reopen_warehouse(server, name)


def reopen_warehouse(server: LocalPostgres, name: str) -> BenchWarehouse:
    """The database `name`, migrated (a no-op when it is current) and its roles given new passwords."""
    admin = server.connection(name)
    target = Connection(admin.host, admin.port, admin.user, admin.password, name)
    transformer, loader = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    conn = psycopg2.connect(target.dsn())
    try:
        migrate(conn)
        set_role_passwords(conn, {"transformer": transformer, "loader": loader})
    finally:
        conn.close()
    return BenchWarehouse(
        target,
        WarehouseSettings(host=admin.host, port=admin.port, user="loader", password=loader, database=name),
        WarehouseSettings(host=admin.host, port=admin.port, user="transformer", password=transformer, database=name),
    )


def generate_days(store: Path, *, start: date, days: int, seed: int, events_per_day: int) -> int:
    """`clickstream generate` into the local file store at `store` (no fsync per object); the events sent."""
    from local_only.simulator.run import generate

    summary = generate(
        store.as_uri() + "?fsync=false",
        days=days,
        start=start,
        seed=seed,
        events_per_day=events_per_day,
        workers=min(2, os.cpu_count() or 1),
    )
    if summary.errors:
        raise RuntimeError(f"generation failed: {summary.error_samples}")
    return summary.events_sent


def load(store_url: str, loader: WarehouseSettings, event: dict[str, str]) -> int:
    """The loader over `event`'s hours; the rows it landed. Raises when the load did not fully succeed."""
    from loader_lambda.loader import run_load
    from loader_lambda.settings import LoaderSettings
    from loader_lambda.window import plan_from_event
    from raw_store import open_store

    settings = LoaderSettings(raw_store_url=store_url, compact=False, lock_timeout_seconds=60)
    now = datetime.now(UTC)
    summary = run_load(
        plan_from_event(event, now, settings.lookback_hours), open_store(store_url), settings, loader, now=now
    )
    if summary.status != "succeeded":
        raise RuntimeError(f"the loader failed: {summary.problems}")
    return summary.rows
