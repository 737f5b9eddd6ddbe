"""The one role-warehouse helper (local_only/roles.py): the same warehouse as each role."""

from __future__ import annotations

import pytest

from local_only.postgres import Connection
from local_only.roles import RoleWarehouse
from warehouse.connection import WarehouseSettings

pytestmark = pytest.mark.unit

PASSWORDS = {"loader": "l-pw", "transformer": "t-pw", "dashboard": "d-pw"}


def test_each_role_is_the_same_server_and_database_with_its_own_login() -> None:
    roles = RoleWarehouse(Connection("db.example", 6543, "postgres", "admin-pw", "dw"), PASSWORDS)

    for role, password in PASSWORDS.items():
        settings = roles.settings(role)
        assert (settings.host, settings.port, settings.database, settings.ssl) == ("db.example", 6543, "dw", False)
        assert (settings.user, settings.resolve_password()) == (role, password)
        assert roles.connection(role) == Connection("db.example", 6543, role, password, "dw")
    env = roles.env("loader", EXTRA="1")
    assert (env["DW_PG_USER"], env["DW_PG_PASSWORD"], env["DW_PG_PORT"]) == ("loader", "l-pw", "6543")
    assert env["EXTRA"] == "1"


def test_from_the_admins_settings_ssl_carries_over() -> None:
    admin = WarehouseSettings(host="db.example", port=5432, user="admin", password="a", database="dw", ssl=True)
    roles = RoleWarehouse.from_settings(admin, PASSWORDS)

    assert roles.admin == Connection("db.example", 5432, "admin", "a", "dw")
    assert roles.settings("dashboard").ssl is True
    with pytest.raises(KeyError):
        roles.settings("nobody")
