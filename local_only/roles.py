"""One warehouse as each of its roles: how the demo and the tests connect as loader, transformer and dashboard.

``clickstream db migrate`` (warehouse/migrate.py) creates the roles; whoever migrated the warehouse holds the admin
login and a password per role, and connects as any of them from here (docs/operations.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import psycopg2

from local_only.postgres import Connection
from warehouse.connection import WarehouseSettings
from warehouse.migrate import migrate, set_role_passwords


@dataclass(frozen=True)
class RoleWarehouse:
    """The admin login to a migrated warehouse and the password of each role."""

    admin: Connection
    passwords: Mapping[str, str]
    ssl: bool = False

    @classmethod
    def from_settings(cls, admin: WarehouseSettings, passwords: Mapping[str, str]) -> RoleWarehouse:
        """The same, from the admin's settings (DW_PG_*), its password resolved."""
        login = Connection(admin.host, admin.port, admin.user, admin.resolve_password(), admin.database)
        return cls(login, passwords, ssl=admin.ssl)

    @classmethod
    def migrated(cls, admin: Connection, passwords: Mapping[str, str]) -> RoleWarehouse:
        """`admin`'s database migrated (warehouse/migrate.py), each role given its password from `passwords`."""
        conn = psycopg2.connect(admin.dsn())
        try:
            migrate(conn)
            set_role_passwords(conn, dict(passwords))
        finally:
            conn.close()
        return cls(admin, passwords)

    def connection(self, role: str) -> Connection:
        return Connection(self.admin.host, self.admin.port, role, self.passwords[role], self.admin.database)

    def settings(self, role: str) -> WarehouseSettings:
        """`role`'s settings, as the loader, the transform runner and the dashboard take them."""
        return WarehouseSettings(
            host=self.admin.host,
            port=self.admin.port,
            database=self.admin.database,
            ssl=self.ssl,
            user=role,
            password=self.passwords[role],
        )

    def env(self, role: str, **extra: str) -> dict[str, str]:
        """A subprocess environment: this process's, with DW_PG_* for `role`, then `extra`."""
        return {**os.environ, **self.connection(role).env(), **extra}
