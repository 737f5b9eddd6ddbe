"""The shop's own database as ``clickstream generate --shop-database`` writes it, against the traffic it sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg2
import pytest
from support.shop_databases import fresh_database

from local_only.postgres import Connection, LocalPostgres
from local_only.shop_database.schema import TABLES
from local_only.shop_database.writer import ShopRows, shop_rows, write_shop
from local_only.simulator.catalogue import shop_catalogue
from local_only.simulator.clock import day_start_ms
from local_only.simulator.orders import ShopOrder
from local_only.simulator.plan import TrafficOptions, UnitTraffic, iter_traffic
from local_only.simulator.requests import decode_body

pytestmark = pytest.mark.integration

START = date(2025, 3, 3)
DAYS = 10
SEED = 11
SHARE = 0.2


@pytest.fixture(scope="module")
def traffic() -> list[UnitTraffic]:
    options = TrafficOptions(start=START, days=DAYS, seed=SEED, visits_per_day=1500, untracked_share=SHARE)
    return list(iter_traffic(options))


@pytest.fixture(scope="module")
def orders(traffic: list[UnitTraffic]) -> list[ShopOrder]:
    return [order for unit in traffic for order in unit.orders]


@pytest.fixture(scope="module")
def purchases(traffic: list[UnitTraffic]) -> dict[str, list[dict[str, Any]]]:
    """Every purchase event the browsers sent (retries and reloads included), by order id."""
    found: dict[str, list[dict[str, Any]]] = {}
    for unit in traffic:
        for request in unit.requests:
            for event in decode_body(request.event):
                if event.get("eventName") == "purchase" and isinstance(event.get("order"), dict):
                    found.setdefault(str(event["order"].get("id")), []).append(event)
    return found


@pytest.fixture(scope="module")
def rows(orders: list[ShopOrder]) -> ShopRows:
    end = day_start_ms(START + timedelta(days=DAYS))
    return shop_rows(orders, shop_catalogue(), seed=SEED, start_ms=day_start_ms(START), end_ms=end)


@pytest.fixture(scope="module")
def shop(postgres_server: LocalPostgres, rows: ShopRows) -> Iterator[Connection]:
    with fresh_database(postgres_server, "shop_writer") as connection:
        write_shop(connection.dsn(), rows)
        yield connection


def _query(connection: Connection, statement: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(connection.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute(statement)
        result = cursor.fetchall()
    conn.close()
    return result


def test__generate__every_tracked_order_is_the_purchase_event_the_browser_sent(
    orders: list[ShopOrder], purchases: dict[str, list[dict[str, Any]]]
) -> None:
    tracked = [order for order in orders if order.tracked]
    assert len(tracked) > 100
    for order in tracked:
        # a defect may damage one copy (the invalid share): the order is in at least one intact one
        intact = [
            event
            for event in purchases.get(order.id, [])
            if event["order"].get("revenue") == order.total_cents / 100 and event["clientId"] == order.client_id
        ]
        assert intact, order.id
        event = intact[0]
        assert event["order"]["currency"] == order.currency
        items = [(item["productId"], item["quantity"], round(item["price"] * 100)) for item in event["order"]["items"]]
        assert items == [(line.product_id, line.quantity, line.unit_cents) for line in order.lines]


def test__generate__an_untracked_order_sends_no_purchase_event(
    orders: list[ShopOrder], purchases: dict[str, list[dict[str, Any]]]
) -> None:
    untracked = [order for order in orders if not order.tracked]
    assert untracked
    assert not {order.id for order in untracked} & purchases.keys()
    # every purchase event the browsers sent is an order of the shop's
    assert purchases.keys() <= {order.id for order in orders}


def test__generate__the_untracked_share_is_the_one_asked_for(orders: list[ShopOrder]) -> None:
    share = sum(not order.tracked for order in orders) / len(orders)
    # a binomial draw over the run's orders: four standard deviations either side
    margin = 4 * (SHARE * (1 - SHARE) / len(orders)) ** 0.5
    assert abs(share - SHARE) < margin


def test__generate__without_a_shop_database_no_order_goes_untracked() -> None:
    options = TrafficOptions(start=START, days=1, seed=SEED, visits_per_day=1500)
    placed = [order for unit in iter_traffic(options) for order in unit.orders]
    assert placed
    assert all(order.tracked for order in placed)


def test__shop_database__has_the_prisma_tables_and_every_order(shop: Connection, orders: list[ShopOrder]) -> None:
    tables = {name for (name,) in _query(shop, "select table_name from information_schema.tables")}
    assert set(TABLES) <= tables
    stored = dict(_query(shop, 'select id, "clientId" from "Order"'))
    assert stored == {order.id: order.client_id for order in orders}
    totals = _query(
        shop,
        'select o.id from "Order" o join "OrderItem" i on i."orderId" = o.id '
        'group by o.id, o.total having o.total <> sum(i.quantity * i."unitPrice")',
    )
    assert totals == []


def test__shop_database__refunds_and_cancellations_happen_after_the_order_and_within_the_period(
    shop: Connection,
) -> None:
    end = f"'{START + timedelta(days=DAYS):%Y-%m-%d}'"
    statuses = dict(_query(shop, 'select status::text, count(*) from "Order" group by 1'))
    assert statuses.get("CANCELLED", 0) > 0
    assert statuses.get("DELIVERED", 0) > 0
    refunds = _query(
        shop,
        f"""select r.amount, o.total, r."createdAt" > o."createdAt", r."updatedAt" <= {end}
        from "Refund" r join "Order" o on o.id = r."orderId\"""",
    )
    assert refunds
    for amount, total, after, within in refunds:
        assert Decimal(0) < amount <= total
        assert after
        assert within
    cancelled = _query(shop, """select count(*) from "Order" where status = 'CANCELLED' and "cancelledAt" is null""")
    assert cancelled == [(0,)]
    late = _query(shop, f'select count(*) from "Order" where "updatedAt" > {end} or "updatedAt" < "createdAt"')
    assert late == [(0,)]


def test__shop_database__stock_and_prices(shop: Connection) -> None:
    assert _query(shop, 'select count(*) from "Inventory" where quantity < 0') == [(0,)]
    products = _query(shop, 'select count(*), count(*) filter (where "updatedAt" > "createdAt") from "Product"')
    total, changed = products[0]
    assert total == len(shop_catalogue().products)
    assert 0 < changed < total
    assert _query(shop, 'select count(*) from "Product" where cost >= coalesce("discountPrice", price)') == [(0,)]


def test__shop_database__writing_the_same_run_again_changes_nothing(shop: Connection, rows: ShopRows) -> None:
    def snapshot() -> dict[str, list[tuple[Any, ...]]]:
        return {table: _query(shop, f'select * from "{table}" order by id') for table in TABLES}

    before = snapshot()
    write_shop(shop.dsn(), rows)
    assert snapshot() == before
