"""Versioned SQL migrations (``warehouse/migrations/NNNN_name.sql``), applied in order, each exactly once.

Each migration runs in its own transaction with its row in ``ops.schema_migrations``; an advisory lock keeps two
migrators (the demo and the EC2 bootstrap, say) from interleaving. An applied migration whose file has changed is
an error, not silently re-run.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import psycopg2.extensions
from psycopg2 import sql

from warehouse.advisory_lock import MIGRATION_LOCK
from warehouse.rows import one_row

_MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
ROLE_NAMES = ("loader", "transformer", "dashboard")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available() -> list[Migration]:
    found = []
    for entry in resources.files("warehouse.migrations").iterdir():
        match = _MIGRATION_FILE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def migrate(conn: psycopg2.extensions.connection) -> list[Migration]:
    """Apply what is not applied yet; return what was applied now."""
    applied_now = []
    conn.autocommit = False
    with conn.cursor() as cursor:
        # Waits for as long as another migrator takes: a migration must not be skipped for want of patience.
        cursor.execute("select pg_advisory_lock(%s)", (MIGRATION_LOCK.key,))
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute("create schema if not exists ops")
            cursor.execute(
                """
                create table if not exists ops.schema_migrations (
                    version integer primary key,
                    name text not null,
                    checksum text not null,
                    applied_at timestamptz not null default now()
                )
                """
            )
            cursor.execute("select version, checksum from ops.schema_migrations")
            done = dict(cursor.fetchall())
        for migration in available():
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} changed after it was applied; "
                        "add a new migration instead"
                    )
                continue
            with conn, conn.cursor() as cursor:
                cursor.execute(migration.sql)
                cursor.execute(
                    "insert into ops.schema_migrations (version, name, checksum) values (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
            applied_now.append(migration)
    finally:
        conn.rollback()
        MIGRATION_LOCK.release(conn)
        conn.commit()
    return applied_now


def current_version(conn: psycopg2.extensions.connection) -> int:
    with conn.cursor() as cursor:
        cursor.execute("select to_regclass('ops.schema_migrations')")
        if one_row(cursor)[0] is None:
            return 0
        cursor.execute("select coalesce(max(version), 0) from ops.schema_migrations")
        return int(one_row(cursor)[0])


def set_role_passwords(conn: psycopg2.extensions.connection, passwords: dict[str, str]) -> list[str]:
    """Let each named role log in with its password; roles without a password keep no login."""
    changed = []
    with conn, conn.cursor() as cursor:
        for role, password in passwords.items():
            if role not in ROLE_NAMES:
                raise MigrationError(f"unknown role {role!r}: expected one of {', '.join(ROLE_NAMES)}")
            cursor.execute(sql.SQL("alter role {} with login password %s").format(sql.Identifier(role)), (password,))
            changed.append(role)
    return changed
