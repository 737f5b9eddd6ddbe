"""The extract between two real databases: every changed row lands once across runs, updates and deletes as
docs/shop-database.md says, and each run is a row of ops.shop_extract_runs."""

from __future__ import annotations

from typing import Any

import psycopg2
import pytest
from support.shop_databases import Shop, seed_orders

from local_only.roles import RoleWarehouse
from shop_extract.run import run_extract
from shop_extract.settings import ShopExtractSettings

pytestmark = pytest.mark.integration


def landed(roles: RoleWarehouse, table: str, columns: str = "id, updated_at") -> set[tuple[Any, ...]]:
    """raw_shop's rows of `table`; fails when a row is there twice."""
    with psycopg2.connect(roles.admin.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute(f'select {columns} from raw_shop."{table}"')
        rows = cursor.fetchall()
    conn.close()
    assert len(rows) == len(set(rows)), f"raw_shop.{table} holds a row twice"
    return set(rows)


def ledger(roles: RoleWarehouse) -> list[tuple[Any, ...]]:
    with psycopg2.connect(roles.admin.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute(
            "select status, rows_extracted, cardinality(load_ids), error, locked_at, finished_at "
            "from ops.shop_extract_runs order by started_at"
        )
        rows = cursor.fetchall()
    conn.close()
    return rows


def extract(settings: ShopExtractSettings, roles: RoleWarehouse, **options: Any) -> dict[str, int]:
    outcome = run_extract(settings, roles.settings("transformer"), **options)
    assert outcome.status == "success", outcome.error
    return outcome.rows


def test__extract__lands_every_row_of_every_table_once_across_runs(
    shop: Shop, roles: RoleWarehouse, settings: ShopExtractSettings
) -> None:
    first = extract(settings, roles)
    assert first == {"order": 200, "order_item": 400, "product": 22, "inventory": 22}
    # an update (status and updatedAt move on), new orders, and a price change
    shop.execute(
        """update "Order" set status = 'SHIPPED', "updatedAt" = "updatedAt" + interval '1 day'
        where id = 'SO-00000007'"""
    )
    seed_orders(shop, 201, 30, at_seconds=3 * 86_400)
    shop.execute("""update "Product" set price = 24.99, "updatedAt" = timestamp '2025-03-05' where id = 'P-3'""")
    second = extract(settings, roles)
    for table, columns in (("Order", 'id, "updatedAt"'), ("OrderItem", 'id, "updatedAt"'), ("Product", "id, price")):
        target = {"Order": "order", "OrderItem": "order_item", "Product": "product"}[table]
        wanted = "id, updated_at" if columns.endswith('"updatedAt"') else "id, price"
        assert landed(roles, target, wanted) == shop.rows(table, columns)
    assert ("SO-00000007", "SHIPPED") in landed(roles, "order", "id, status")
    # incremental: the second run read the changed rows and the lag's overlap, not the whole shop again
    assert 31 <= second["order"] < 100
    # every product had the newest updatedAt of the first run: all were in the overlap
    assert second["product"] == 22
    # a third run with nothing changed reads only the overlap (the last 60 s of each table), lands nothing twice
    third = extract(settings, roles)
    assert third["product"] == 1
    assert third["order"] <= 61
    assert len(landed(roles, "order")) == 230
    runs = ledger(roles)
    assert [run[0] for run in runs] == ["success"] * 3
    assert runs[0][1] == first
    assert all(run[2] >= 1 for run in runs)


def test__extract__a_row_committed_late_within_the_lag_is_picked_up(
    shop: Shop, roles: RoleWarehouse, settings: ShopExtractSettings
) -> None:
    """Prisma sets updatedAt when the statement runs: a transaction committing after a newer one did shows up
    with an older updatedAt. Within SHOP_EXTRACT_LAG_SECONDS (60 s here) of the newest extracted, it lands."""
    extract(settings, roles)
    newest = max(updated for _, updated in shop.rows("Order"))
    shop.execute(
        """update "Order" set status = 'CANCELLED', "updatedAt" = %s - interval '30 seconds'
        where id = 'SO-00000150'""",
        (newest,),
    )
    extract(settings, roles)
    assert ("SO-00000150", "CANCELLED") in landed(roles, "order", "id, status")


def test__extract__a_deleted_row_stays_until_a_full_refresh(
    shop: Shop, roles: RoleWarehouse, settings: ShopExtractSettings
) -> None:
    """Hard deletes leave no updatedAt to see: an incremental run keeps the row, a full refresh removes it."""
    extract(settings, roles)
    shop.execute("""delete from "Order" where id = 'SO-00000042'""")
    extract(settings, roles)
    assert "SO-00000042" in {row[0] for row in landed(roles, "order")}
    extract(settings, roles, full_refresh=True)
    assert landed(roles, "order") == shop.rows("Order")
    assert landed(roles, "order_item") == shop.rows("OrderItem")
    assert ledger(roles)[-1][0] == "success"


def test__extract__a_failure_is_recorded_and_lands_nothing(
    shop: Shop, roles: RoleWarehouse, settings: ShopExtractSettings
) -> None:
    wrong = settings.model_copy(update={"database_url": shop.url(password="not-the-password")})
    outcome = run_extract(wrong, roles.settings("transformer"))
    assert outcome.status == "failed"
    assert outcome.exit_code == 1
    runs = ledger(roles)
    assert len(runs) == 1
    assert runs[0][0] == "failed"
    assert "password authentication failed" in runs[0][3]


def raw_shop_columns(roles: RoleWarehouse) -> list[tuple[Any, ...]]:
    with psycopg2.connect(roles.admin.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute(
            "select table_name, column_name, data_type, numeric_precision, numeric_scale, is_nullable "
            "from information_schema.columns where table_schema = 'raw_shop' and table_name not like '\\_dlt%' "
            "order by table_name, column_name"
        )
        rows = cursor.fetchall()
    conn.close()
    return rows


ORDER_COLUMNS = "id, user_id, client_id, status, currency, total, paid_at, cancelled_at, created_at, updated_at"


def test__extract__both_backends_land_the_same_columns_and_values(
    shop: Shop, roles: RoleWarehouse, settings: ShopExtractSettings
) -> None:
    """SHOP_EXTRACT_BACKEND: the row-wise backend and the Arrow one (the default) land the same raw_shop, with
    dlt's _dlt_load_id and _dlt_id, and a warehouse loaded by one goes on incrementally with the other."""
    assert settings.extract_backend == "pyarrow"
    row_wise = settings.model_copy(update={"extract_backend": "sqlalchemy"})
    extract(row_wise, roles)
    columns, orders = raw_shop_columns(roles), landed(roles, "order", ORDER_COLUMNS)
    assert ("order", "_dlt_id", "character varying", None, None, "NO") in columns
    extract(settings, roles, full_refresh=True)
    assert raw_shop_columns(roles) == columns
    assert landed(roles, "order", ORDER_COLUMNS) == orders
    assert len(landed(roles, "order_item", "_dlt_id")) == 400
    # the rows carry the load id of the run that loaded them (the ledger's)
    with psycopg2.connect(roles.admin.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute(
            'select distinct o._dlt_load_id = any(r.load_ids) from raw_shop."order" o, '
            "(select load_ids from ops.shop_extract_runs order by started_at desc limit 1) r"
        )
        assert cursor.fetchall() == [(True,)]
    conn.close()
    # and incrementally: a status change and new orders, read by Arrow into tables the row-wise backend made
    shop.execute(
        """update "Order" set status = 'REFUNDED', "updatedAt" = "updatedAt" + interval '1 day'
        where id = 'SO-00000042'"""
    )
    seed_orders(shop, 201, 5, at_seconds=2 * 86_400)
    extract(settings, roles)
    assert landed(roles, "order", 'id, status, "updated_at"') == shop.rows("Order", 'id, status::text, "updatedAt"')
    assert len(landed(roles, "order_item")) == 410
