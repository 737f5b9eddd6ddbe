"""Fill the shop's database from a generated run's orders, as the shop's backend would have recorded them.

Each order's later life (paid, shipped, delivered, cancelled, refunded) and each id the shop mints are drawn from
an RNG of that order's own (``Random(f"{seed}-shop-{order id}")``), so the rows do not depend on the order the
work units finished in. Only what happened by the end of the generated period is written: a refund a week after
an order of the last day has not happened yet. Rows are upserted by primary key, so writing a run again changes
nothing.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg2
from psycopg2 import sql
from psycopg2.extras import execute_values

from local_only.shop_database.schema import apply_schema
from local_only.simulator.catalogue import Catalogue, Product
from local_only.simulator.clock import DAY_MS, HOUR_MS
from local_only.simulator.orders import ShopOrder

CANCEL_SHARE = 0.03
REFUND_SHARE = 0.06
FULL_REFUND_SHARE = 0.6
PRICE_CHANGE_SHARE = 0.05
REFUND_REASONS = ("damaged", "not as described", "changed mind", "arrived late")
_CUID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def cuid_from(rng: random.Random) -> str:
    """A Prisma ``cuid()``-shaped id (``c`` and 24 base-36 characters) from the caller's RNG."""
    return "c" + "".join(_CUID_ALPHABET[int(rng.random() * 36)] for _ in range(24))


def _at(ms: int) -> datetime:
    # Prisma's DateTime is timestamp(3) without time zone, holding UTC.
    return datetime.fromtimestamp(ms / 1000, UTC).replace(tzinfo=None, microsecond=(ms % 1000) * 1000)


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


@dataclass(frozen=True, slots=True)
class ShopRows:
    users: list[tuple[Any, ...]]
    products: list[tuple[Any, ...]]
    inventory: list[tuple[Any, ...]]
    orders: list[tuple[Any, ...]]
    items: list[tuple[Any, ...]]
    refunds: list[tuple[Any, ...]]


def _order_rows(
    order: ShopOrder, seed: int, user_ids: dict[str, str], end_ms: int
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]], bool]:
    """The order's row, its items, its refunds, and whether it still counts as sold (not cancelled)."""
    rng = random.Random(f"{seed}-shop-{order.id}")
    placed = order.placed_ms
    status, updated, paid_at, cancelled_at = "PAID", placed, placed, None
    refunds: list[tuple[Any, ...]] = []
    if rng.random() < CANCEL_SHARE:
        cancel = placed + int(rng.uniform(0.2, 20) * HOUR_MS)
        if cancel <= end_ms:
            status, updated, cancelled_at = "CANCELLED", cancel, _at(cancel)
    if status == "PAID":
        shipped = placed + int(rng.uniform(0.5, 2) * DAY_MS)
        delivered = shipped + int(rng.uniform(2, 5) * DAY_MS)
        for at, name in ((shipped, "SHIPPED"), (delivered, "DELIVERED")):
            if at <= end_ms:
                status, updated = name, at
        if rng.random() < REFUND_SHARE:
            requested = delivered + int(rng.uniform(1, 10) * DAY_MS)
            completed = requested + int(rng.uniform(1, 3) * DAY_MS)
            full = rng.random() < FULL_REFUND_SHARE
            amount = order.total_cents if full else max(line.unit_cents for line in order.lines)
            if requested <= end_ms:
                done = completed <= end_ms
                refund_updated = completed if done else requested
                refunds.append(
                    (
                        cuid_from(rng),
                        order.id,
                        _money(amount),
                        REFUND_REASONS[int(rng.random() * len(REFUND_REASONS))],
                        "COMPLETED" if done else "REQUESTED",
                        _at(requested),
                        _at(refund_updated),
                    )
                )
                if done and full:
                    status, updated = "REFUNDED", completed
    items = [
        (cuid_from(rng), order.id, line.product_id, line.quantity, _money(line.unit_cents), _at(placed), _at(placed))
        for line in order.lines
    ]
    row = (
        order.id,
        user_ids.get(order.user_sub) if order.user_sub is not None else None,
        order.client_id,
        status,
        order.currency,
        _money(order.total_cents),
        _at(paid_at) if status != "CANCELLED" else None,
        cancelled_at,
        _at(placed),
        _at(updated),
    )
    return row, items, refunds, status != "CANCELLED"


def shop_rows(orders: Sequence[ShopOrder], catalogue: Catalogue, *, seed: int, start_ms: int, end_ms: int) -> ShopRows:
    """Every row the shop's database holds at `end_ms` for these orders (the catalogue opened before `start_ms`)."""
    orders = sorted(orders, key=lambda order: (order.placed_ms, order.id))
    first_order: dict[str, int] = {}
    for order in orders:
        if order.user_sub is not None:
            first_order.setdefault(order.user_sub, order.placed_ms)
    users: list[tuple[Any, ...]] = []
    user_ids: dict[str, str] = {}
    for sub, first_ms in first_order.items():
        rng = random.Random(f"shop-user-{sub}")
        user_ids[sub] = cuid_from(rng)
        joined = _at(first_ms - int(rng.uniform(0, 60) * DAY_MS))
        users.append((user_ids[sub], sub, f"{sub}@example.com", None, joined, joined))
    order_rows: list[tuple[Any, ...]] = []
    items: list[tuple[Any, ...]] = []
    refunds: list[tuple[Any, ...]] = []
    sold: dict[str, int] = defaultdict(int)
    last_sale: dict[str, int] = {}
    for order in orders:
        row, order_items, order_refunds, counts = _order_rows(order, seed, user_ids, end_ms)
        order_rows.append(row)
        items += order_items
        refunds += order_refunds
        if counts:
            for line in order.lines:
                sold[line.product_id] += line.quantity
                last_sale[line.product_id] = order.placed_ms
    opened = start_ms - 90 * DAY_MS
    products: list[tuple[Any, ...]] = []
    inventory: list[tuple[Any, ...]] = []
    for product in catalogue.products:
        products.append(_product_row(product, seed, opened, end_ms))
        rng = random.Random(f"shop-stock-{product.id}")
        stock = 20 + int(rng.random() * 380)
        counted = last_sale.get(product.id, opened)
        inventory.append((cuid_from(rng), product.id, max(stock - sold[product.id], 0), 0, _at(opened), _at(counted)))
    return ShopRows(users, products, inventory, order_rows, items, refunds)


def _product_row(product: Product, seed: int, opened_ms: int, end_ms: int) -> tuple[Any, ...]:
    rng = random.Random(f"shop-product-{product.id}")
    cost = int(product.paid_cents * rng.uniform(0.55, 0.8))
    price, discount, updated = product.price_cents, product.discount_cents, opened_ms
    # A price change at the end of the period: the traffic saw the old price throughout.
    change = random.Random(f"{seed}-shop-price-{product.id}")
    if change.random() < PRICE_CHANGE_SHARE:
        price = max(int(price * change.uniform(0.85, 1.1)) // 100, 1) * 100 - 1
        discount = None
        updated = end_ms - int(change.uniform(1, 6) * HOUR_MS)
    return (
        product.id,
        product.slug,
        product.name,
        product.category,
        product.brand,
        _money(price),
        _money(discount) if discount is not None else None,
        _money(cost),
        "USD",
        True,
        _at(opened_ms),
        _at(updated),
    )


_COLUMNS: dict[str, tuple[str, ...]] = {
    "User": ("id", "cognitoSub", "email", "name", "createdAt", "updatedAt"),
    "Product": (
        "id",
        "slug",
        "name",
        "category",
        "brand",
        "price",
        "discountPrice",
        "cost",
        "currency",
        "active",
        "createdAt",
        "updatedAt",
    ),
    "Inventory": ("id", "productId", "quantity", "reserved", "createdAt", "updatedAt"),
    "Order": (
        "id",
        "userId",
        "clientId",
        "status",
        "currency",
        "total",
        "paidAt",
        "cancelledAt",
        "createdAt",
        "updatedAt",
    ),
    "OrderItem": ("id", "orderId", "productId", "quantity", "unitPrice", "createdAt", "updatedAt"),
    "Refund": ("id", "orderId", "amount", "reason", "status", "createdAt", "updatedAt"),
}
# The key a second write of the same run meets: Inventory is unique by product, the others by id.
_CONFLICT = {"Inventory": "productId"}


def _upsert(cursor: Any, table: str, rows: Iterable[tuple[Any, ...]]) -> None:
    columns = _COLUMNS[table]
    key = _CONFLICT.get(table, "id")
    statement = sql.SQL("insert into {} ({}) values %s on conflict ({}) do update set {}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.Identifier(key),
        sql.SQL(", ").join(
            sql.SQL("{0} = excluded.{0}").format(sql.Identifier(column))
            for column in columns
            if column not in ("id", key)
        ),
    )
    execute_values(cursor, statement.as_string(cursor), list(rows), page_size=1000)


def write_shop(dsn: str, rows: ShopRows) -> None:
    """Create the shop's tables if needed and upsert the rows, in one transaction."""
    apply_schema(dsn)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        for table, table_rows in (
            ("User", rows.users),
            ("Product", rows.products),
            ("Inventory", rows.inventory),
            ("Order", rows.orders),
            ("OrderItem", rows.items),
            ("Refund", rows.refunds),
        ):
            _upsert(cursor, table, table_rows)
    conn.close()
