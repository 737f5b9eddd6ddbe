"""The extract never writes to the shop's database: its role cannot, and its sessions refuse writes anyway."""

from __future__ import annotations

from typing import Any

import psycopg2
import psycopg2.errors
import pytest
from support.shop_databases import READER_PASSWORD, Shop

from local_only.roles import RoleWarehouse
from local_only.shop_database.schema import TABLES
from shop_extract.run import run_extract
from shop_extract.settings import ShopExtractSettings

pytestmark = pytest.mark.integration

WRITES = (
    """insert into "Order" (id, total, "updatedAt") values ('SO-FORGED', 1, now())""",
    """update "Order" set total = 0 where id = 'SO-00000001'""",
    """delete from "OrderItem" where "orderId" = 'SO-00000001'""",
    """truncate "Refund\"""",
    "create table public.dlt_scratch (id int)",
    "create schema scratch",
)


def _as_reader(shop: Shop, statement: str, *, read_only_session: bool) -> None:
    options = "" if read_only_session else "-c default_transaction_read_only=off"
    with (
        psycopg2.connect(
            host=shop.admin.host,
            port=shop.admin.port,
            dbname=shop.admin.database,
            user="shop_reader",
            password=READER_PASSWORD,
            options=options,
        ) as conn,
        conn.cursor() as cursor,
    ):
        cursor.execute(statement)


@pytest.mark.parametrize("statement", WRITES)
def test__shop_reader__cannot_write_even_with_a_read_write_session(shop: Shop, statement: str) -> None:
    """The grants alone refuse it: the session asks for read-write and still may not."""
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        _as_reader(shop, statement, read_only_session=False)


@pytest.mark.parametrize("statement", WRITES[:3])
def test__shop_reader__sessions_are_read_only_by_default(shop: Shop, statement: str) -> None:
    with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
        _as_reader(shop, statement, read_only_session=True)


def test__extract__leaves_the_shop_database_as_it_was(
    shop: Shop, roles: RoleWarehouse, settings: ShopExtractSettings
) -> None:
    def snapshot() -> dict[str, Any]:
        state: dict[str, Any] = {table: shop.rows(table, "*") for table in TABLES}
        with psycopg2.connect(shop.admin.dsn()) as conn, conn.cursor() as cursor:
            cursor.execute("select schemaname, tablename from pg_tables where schemaname not like 'pg\\_%'")
            state["tables"] = set(cursor.fetchall())
        conn.close()
        return state

    before = snapshot()
    outcome = run_extract(settings, roles.settings("transformer"))
    assert outcome.status == "success", outcome.error
    assert snapshot() == before
