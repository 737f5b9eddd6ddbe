"""The shop's numbers on Overview and Products (dashboard/data/overview.py `shop_truth`, dashboard/data/products.py
`product_margins`) equal their definitions (docs/metrics.md, "The shop's own numbers") written out by hand: net
revenue from the shop's orders and completed refunds as raw_shop holds them, coverage from order_reconciliation's
classes, margins from product_margin_daily; and across marts, the products' net revenue adds up to the orders'.
On marts the real pipeline built from generated traffic with its shop database; without a shop database the data
says so (connected False), never 0."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg2
import psycopg2.extras
import pytest

from dashboard.data.overview import shop_truth
from dashboard.data.products import product_margins
from dashboard.data.status import status
from dashboard.filters import Filters
from dashboard.settings import DashboardSettings
from dashboard.warehouse import Warehouse
from local_only.roles import RoleWarehouse
from warehouse.connection import WarehouseSettings

pytestmark = pytest.mark.integration

# Each shop order of the range with the slice of its attributed session ('unknown' without one), its net revenue
# by definition (0 when cancelled, else its total less completed refunds, at its day's rate) and whether a
# purchase event reported it.
PLAIN_SHOP_ORDERS = """
    with refunds as (
        select order_id, sum(amount) as refunded from raw_shop.refund where status = 'COMPLETED' group by order_id
    )
    select
        count(*) as orders,
        sum(
            case when raw.status = 'CANCELLED' then 0 else raw.total - coalesce(refunds.refunded, 0) end
            * mart.exchange_rate
        ) as net_revenue,
        sum(raw.total * mart.exchange_rate) as gross_revenue,
        count(*) filter (where reconciliation.reconciliation_class = 'matched') as tracked_orders
    from raw_shop."order" as raw
    join marts.shop_orders as mart on mart.order_id = raw.id
    join marts.order_reconciliation as reconciliation on reconciliation.order_id = raw.id
    left join refunds on refunds.order_id = raw.id
    where raw.created_at::date between %(start)s and %(end)s
        and not coalesce(
            raw.created_at::date = %(end)s
            and extract(hour from raw.created_at) >= %(end_before_hour)s,
            false
        )
        and (%(device_type)s::text is null or coalesce(reconciliation.device_type, 'unknown') = %(device_type)s)
        and (%(channel)s::text is null or coalesce(reconciliation.channel, 'unknown') = %(channel)s)
"""

PLAIN_MARGINS = """
    select product_id, sum(units) as shop_units, sum(net_revenue) as net_revenue, sum(cost) as cost,
        sum(margin) as margin
    from marts.product_margin_daily
    where order_date between %(start)s and %(end)s
    group by product_id
"""


def _reader(built: RoleWarehouse) -> Warehouse:
    # As the admin: other fixtures give the cluster-wide roles new passwords (the browser tests cover the role).
    role = built.admin
    connection = WarehouseSettings(
        host=role.host, port=role.port, database=role.database, user=role.user, password=role.password
    )
    return Warehouse(connection, DashboardSettings(include_bots=False))


@pytest.fixture(scope="module")
def warehouse(shop_marts: RoleWarehouse) -> Iterator[Warehouse]:
    opened = _reader(shop_marts)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def plain(shop_marts: RoleWarehouse) -> Iterator[Any]:
    conn = psycopg2.connect(shop_marts.admin.dsn())
    conn.autocommit = True
    # raw_shop's times are UTC (as dlt landed Prisma's): days and hours in UTC, the reporting_timezone.
    with conn.cursor() as cursor:
        cursor.execute("set timezone = 'UTC'")

    def rows(query: str, filters: Filters) -> list[dict[str, Any]]:
        params: dict[str, object] = {"start": filters.start, "end": filters.end}
        params |= {"device_type": filters.device_type, "channel": filters.channel}
        params["end_before_hour"] = filters.end_before_hour
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
            cursor.execute(query, params)
            return [dict(row) for row in cursor.fetchall()]

    yield rows
    conn.close()


def _variants(warehouse: Warehouse) -> list[Filters]:
    found = status(warehouse)
    assert found.first_day is not None and found.last_day is not None
    whole = Filters(found.first_day, found.last_day)
    device = next(kind for kind in found.device_types if kind != "(not set)")
    return [
        whole,
        replace(whole, start=found.last_day, end_before_hour=15),
        replace(whole, device_type=device),
        replace(whole, channel=found.channels[0]),
    ]


def _money(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def test_overview_shop_numbers_are_their_definitions(warehouse: Warehouse, plain: Any) -> None:
    for filters in _variants(warehouse):
        shown = shop_truth(warehouse, filters)
        expected = plain(PLAIN_SHOP_ORDERS, filters)[0]
        assert shown.connected
        assert shown.orders == expected["orders"] > 0, filters
        assert abs(_money(shown.net_revenue) - _money(expected["net_revenue"])) < Decimal("0.000001"), filters
        assert abs(_money(shown.gross_revenue) - _money(expected["gross_revenue"])) < Decimal("0.000001"), filters
        assert shown.currency == "USD"
        if filters.end_before_hour is None:
            # Coverage is over whole days: the shop's orders a purchase event reported, of all of them.
            assert shown.tracked_orders == expected["tracked_orders"], filters
            coverage = Decimal(expected["tracked_orders"]) / Decimal(expected["orders"])
            assert shown.order_coverage == pytest.approx(float(round(coverage, 4)), abs=1e-9), filters
    whole = shop_truth(warehouse, _variants(warehouse)[0])
    # The generated shop: a fifth untracked (over a few dozen orders, so roughly), refunds and cancellations make
    # net revenue lower than gross.
    assert whole.order_coverage is not None and 0.5 < whole.order_coverage < 0.95
    assert whole.net_revenue is not None and whole.gross_revenue is not None
    assert whole.net_revenue < whole.gross_revenue


def test_product_margins_are_the_marts_and_add_up_to_the_orders_net_revenue(warehouse: Warehouse, plain: Any) -> None:
    filters = _variants(warehouse)[0]
    shown = product_margins(warehouse, filters)
    assert shown.connected
    expected = {row["product_id"]: row for row in plain(PLAIN_MARGINS, filters)}
    assert set(shown.by_product) == set(expected) and expected
    for product_id, row in expected.items():
        got = shown.by_product[product_id]
        assert got["shop_units"] == row["shop_units"]
        assert _money(got["net_revenue"]) == _money(row["net_revenue"])
        assert _money(got["margin"]) == _money(row["margin"]) == _money(row["net_revenue"]) - _money(row["cost"])
        if row["net_revenue"]:
            assert got["margin_percent"] == pytest.approx(float(round(row["margin"] / row["net_revenue"], 4)))
    # An order's refunds are spread over its lines, so the products' net revenue is the orders' (to the rounding
    # of each product-day to 6 decimals).
    products_net = sum(_money(row["net_revenue"]) for row in expected.values())
    orders_net = _money(shop_truth(warehouse, filters).net_revenue)
    assert abs(products_net - orders_net) < Decimal("0.0001") * len(expected)


def test_without_a_shop_database_the_data_says_so(empty_marts: RoleWarehouse) -> None:
    reader = _reader(empty_marts)
    try:
        day = Filters(date(2025, 3, 3), date(2025, 3, 10))
        assert not shop_truth(reader, day).connected
        assert not product_margins(reader, day).connected
    finally:
        reader.close()
