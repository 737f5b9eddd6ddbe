"""Databases of the tests' PostgreSQL server beside the warehouse's: the shop's own database, made and dropped."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg2
from psycopg2 import sql

from local_only.postgres import Connection, LocalPostgres
from local_only.shop_database.schema import apply_schema, grant_reader


@contextmanager
def fresh_database(server: LocalPostgres, name: str) -> Iterator[Connection]:
    """An empty database `name` (dropped first if left over), dropped again afterwards."""
    admin = server.connection("postgres")
    conn = psycopg2.connect(admin.dsn())
    conn.autocommit = True
    drop = sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
    try:
        with conn.cursor() as cursor:
            cursor.execute(drop)
            cursor.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        yield Connection(admin.host, admin.port, admin.user, admin.password, name)
        with conn.cursor() as cursor:
            cursor.execute(drop)
    finally:
        conn.close()


READER_PASSWORD = "shop-reader-test-pw"
BASE = "timestamp '2025-03-01 00:00:00'"


@dataclass(frozen=True)
class Shop:
    admin: Connection

    def url(self, user: str = "shop_reader", password: str = READER_PASSWORD) -> str:
        return f"postgresql://{user}:{password}@{self.admin.host}:{self.admin.port}/{self.admin.database}"

    def execute(self, statement: str, params: Any = None) -> None:
        with psycopg2.connect(self.admin.dsn()) as conn, conn.cursor() as cursor:
            cursor.execute(statement, params)
        conn.close()

    def rows(self, table: str, columns: str = 'id, "updatedAt"') -> set[tuple[Any, ...]]:
        with psycopg2.connect(self.admin.dsn()) as conn, conn.cursor() as cursor:
            cursor.execute(f'select {columns} from "{table}"')
            result = set(cursor.fetchall())
        conn.close()
        return result


def seed_orders(shop: Shop, first: int, count: int, *, at_seconds: int = 0) -> None:
    """`count` orders (ids first..first+count-1) of two items each, updatedAt one second apart from `at_seconds`."""
    shop.execute(
        f"""
        insert into "Order" (id, "clientId", status, total, "createdAt", "updatedAt")
        select 'SO-' || lpad(g::text, 8, '0'), 'client-' || g, 'PAID', 59.98,
               {BASE} + make_interval(secs => %(at)s + g - %(first)s),
               {BASE} + make_interval(secs => %(at)s + g - %(first)s)
        from generate_series(%(first)s, %(last)s) as g;
        insert into "OrderItem" (id, "orderId", "productId", quantity, "unitPrice", "createdAt", "updatedAt")
        select 'item-' || g || '-' || n, 'SO-' || lpad(g::text, 8, '0'), 'P-' || (g %% 20 + n), 1, 29.99,
               {BASE} + make_interval(secs => %(at)s + g - %(first)s),
               {BASE} + make_interval(secs => %(at)s + g - %(first)s)
        from generate_series(%(first)s, %(last)s) as g, generate_series(1, 2) as n;
        """,
        {"first": first, "last": first + count - 1, "at": at_seconds},
    )


def seed_shop(admin: Connection) -> Shop:
    """Prisma's tables in `admin`'s database, the read-only shop_reader (reader_role.sql), 22 products with stock
    and 200 orders."""
    apply_schema(admin.dsn())
    grant_reader(admin.dsn(), READER_PASSWORD)
    shop = Shop(admin)
    shop.execute(
        f"""
        insert into "Product" (id, slug, name, category, brand, price, cost, "createdAt", "updatedAt")
        select 'P-' || g, 'product-' || g, 'Product ' || g, 'laptops', 'Acme', 29.99, 18.00, {BASE}, {BASE}
        from generate_series(1, 22) as g;
        insert into "Inventory" (id, "productId", quantity, "createdAt", "updatedAt")
        select 'inv-' || g, 'P-' || g, 100, {BASE}, {BASE} from generate_series(1, 22) as g;
        """
    )
    seed_orders(shop, 1, 200)
    return shop
