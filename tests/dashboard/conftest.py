"""Warehouses in each state the dashboard must handle, and the dashboard served from them (browser: tests/conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg2
import pytest
from support.dashboard_browser import Marts
from support.dashboard_kit import (
    NOW,
    build_marts,
    create_database,
    dashboard_env,
    extract_shop,
    load_traffic,
    serving,
)
from support.shop_databases import fresh_database

from local_only.postgres import Connection, LocalPostgres
from local_only.roles import RoleWarehouse

# Eight days of a small shop, Monday to Monday: the last day has the same weekday a week before to compare with.
TRAFFIC_START = date(2025, 3, 3)
TRAFFIC_DAYS = 8
EVENTS_PER_DAY = 1_000


@pytest.fixture(scope="session")
def built_marts(postgres_server: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> RoleWarehouse:
    work = tmp_path_factory.mktemp("dashboard-marts")
    built = create_database(postgres_server, "dashboard_marts")
    load_traffic(built, work / "raw", TRAFFIC_START, TRAFFIC_DAYS, EVENTS_PER_DAY, seed=5)
    build_marts(built, work)
    return built


@pytest.fixture(scope="session")
def shop_marts(postgres_server: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoleWarehouse]:
    """The same eight days with the shop's own database beside them (a fifth of the orders untracked, refunds and
    cancellations), extracted into raw_shop before the build: the shop's cards and margins have data."""
    from local_only.shop_database.schema import apply_schema

    work = tmp_path_factory.mktemp("dashboard-shop-marts")
    built = create_database(postgres_server, "dashboard_shop_marts")
    with fresh_database(postgres_server, "dashboard_shop") as shop:
        apply_schema(shop.dsn())
        load_traffic(built, work / "raw", TRAFFIC_START, TRAFFIC_DAYS, EVENTS_PER_DAY, seed=5, shop_database=shop.dsn())
        _refund_some(shop)
        extract_shop(built, shop, work)
        build_marts(built, work)
        yield built


def _refund_some(shop: Connection) -> None:
    """Eight days are too few for the generator's refunds (days after delivery): the shop refunds its first ten
    orders (not cancelled) two days after each was placed, every other one in full (REFUNDED), the rest a third."""
    with psycopg2.connect(shop.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute(
            """
            with first as (
                select id, total, "createdAt", row_number() over (order by "createdAt", id) as number
                from "Order" where status <> 'CANCELLED' order by "createdAt", id limit 10
            ),
            refunded as (
                insert into "Refund" (id, "orderId", amount, reason, status, "createdAt", "updatedAt")
                select 'test-refund-' || number, id,
                    case when number % 2 = 0 then total else round(total / 3, 2) end, 'damaged', 'COMPLETED',
                    "createdAt" + interval '2 days', "createdAt" + interval '2 days'
                from first
                returning "orderId", amount, "updatedAt"
            )
            update "Order" set status = 'REFUNDED', "updatedAt" = refunded."updatedAt"
            from refunded
            where "Order".id = refunded."orderId" and refunded.amount = "Order".total
            """
        )
    conn.close()


@pytest.fixture(scope="session")
def shop_dashboard_url(shop_marts: RoleWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard over shop_marts with its production settings (the coverage warning at its default)."""
    log = tmp_path_factory.mktemp("dashboard-shop-log") / "dashboard.log"
    with serving({**dashboard_env(shop_marts), "DASHBOARD_NOW": NOW}, log) as url:
        yield url


@pytest.fixture(scope="session")
def empty_marts(postgres_server: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> RoleWarehouse:
    """Marts built from an empty raw layer: every table there, no rows."""
    built = create_database(postgres_server, "dashboard_empty_marts")
    build_marts(built, tmp_path_factory.mktemp("dashboard-empty"))
    return built


@pytest.fixture(scope="session")
def unbuilt(postgres_server: LocalPostgres) -> RoleWarehouse:
    """Migrated, never transformed: no marts at all."""
    return create_database(postgres_server, "dashboard_unbuilt")


@pytest.fixture(scope="session")
def dashboard_url(built_marts: RoleWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("dashboard-log") / "dashboard.log"
    with serving({**dashboard_env(built_marts), "DASHBOARD_NOW": NOW}, log) as url:
        yield url


@pytest.fixture(scope="module")
def marts(built_marts: RoleWarehouse) -> Iterator[Marts]:
    reader = Marts(built_marts)
    yield reader
    reader.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A browser tab of its own (a new context) that records console errors and page errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.console_problems = []
    tab.on("console", lambda message: message.type == "error" and tab.console_problems.append(message.text))
    tab.on("pageerror", lambda error: tab.console_problems.append(str(error)))
    yield tab
    context.close()
