"""A shop's database at benchmark size, filled in bulk by SQL, and an hour of its changes.

The tables are Prisma's (local_only/shop_database's migration) and the rows have their real shape and sizes:
``cuid()`` ids, ``SO-`` order ids, a UUID clientId on most orders, a signed-in user on 60%, one to five items an
order (three on average), statuses as a shop's life leaves them (3% cancelled, 6% refunded, most delivered),
created over two years up to ``OPENED``. The generator (``clickstream generate --shop-database``) writes the same
shapes row by row from simulated traffic; at a million orders that would take hours, so the bench fills the
tables with ``insert ... select generate_series`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg2

# The shop's history ends here; hour k of the benchmark's changes is OPENED + k hours.
OPENED = datetime(2026, 11, 1)
HISTORY_DAYS = 730


def _cuid(seed_sql: str) -> str:
    """SQL for a Prisma cuid()-shaped id (``c`` and 24 lowercase hex/base-36 characters) derived from `seed_sql`."""
    return f"'c' || substr(md5({seed_sql}), 1, 24)"


def _price(product_sql: str) -> str:
    """SQL for the price of product number `product_sql` (from 9.99 to 998.99)."""
    return f"(9.99 + (({product_sql} * 37) % 990))::numeric(10,2)"


@dataclass(frozen=True)
class ShopSize:
    orders: int

    @property
    def users(self) -> int:
        return max(self.orders * 3 // 10, 10)

    @property
    def products(self) -> int:
        return max(self.orders // 500, 20)


def fill_shop(dsn: str, size: ShopSize) -> dict[str, int]:
    """Products, stock, users, orders with one to five items each and the refunds of 6% of them; the tables are
    then vacuumed and analyzed, as a production database's would be. Returns the row count of each table."""
    opened = f"timestamp '{OPENED:%Y-%m-%d %H:%M:%S}'"
    # An order's items, derived from its number g so the order's total can be computed in the same statement:
    # item n (1..1 + g % 5) is product (g * 7 + n * 13) % products, quantity 1 + (g + n) % 3, at the product's price.
    price = _price("p")
    statements = [
        f"""
        insert into "Product" (id, slug, name, category, brand, price, "discountPrice", cost, "createdAt", "updatedAt")
        select 'SKU-' || (array['LAP','PHN','AUD','CAM','TAB','ACC'])[1 + p % 6] || '-' || (1000 + p),
               'product-' || p, 'Product ' || p || ' ' || repeat('x', p % 20),
               (array['laptops','phones','audio','cameras','tablets','accessories'])[1 + p % 6],
               (array['Acme','Globex','Initech','Umbrella','Hooli'])[1 + p % 5],
               {price}, case when p % 10 = 0 then ({price} * 0.9)::numeric(10,2) end, ({price} * 0.6)::numeric(10,2),
               {opened} - interval '{HISTORY_DAYS} days', {opened} - make_interval(hours => p % 5000)
        from generate_series(0, {size.products} - 1) as p
        """,
        f"""
        insert into "Inventory" (id, "productId", quantity, reserved, "createdAt", "updatedAt")
        select {_cuid("'inv' || p")},
               'SKU-' || (array['LAP','PHN','AUD','CAM','TAB','ACC'])[1 + p % 6] || '-' || (1000 + p),
               50 + p % 400, p % 7, {opened} - interval '{HISTORY_DAYS} days', {opened} - make_interval(mins => p % 900)
        from generate_series(0, {size.products} - 1) as p
        """,
        f"""
        insert into "User" (id, "cognitoSub", email, name, "createdAt", "updatedAt")
        select {_cuid("'user' || u")}, md5('sub' || u)::uuid::text, 'customer' || u || '@example.com',
               case when u % 4 > 0 then 'Customer ' || u end,
               {opened} - make_interval(secs => (u::bigint * 7919) % ({HISTORY_DAYS} * 86400)),
               {opened} - make_interval(secs => (u::bigint * 7919) % ({HISTORY_DAYS} * 86400) / 2)
        from generate_series(1, {size.users}) as u
        """,
        # Order g was placed g/orders of the way through the history; a cancelled one (3%) changed within hours,
        # the others on delivery a few days later, a refunded one (6%) a week after that: all before OPENED, so
        # the benchmark's hours are the newest changes.
        f"""
        insert into "Order" (id, "userId", "clientId", status, currency, total, "paidAt", "cancelledAt", "createdAt",
                             "updatedAt")
        select 'SO-' || lpad(g::text, 9, '0'),
               case when g % 5 < 3 then {_cuid(f"'user' || (1 + (g * 31) % {size.users})")} end,
               case when g % 10 > 0 then md5('client' || g)::uuid::text end,
               (case when g % 100 < 3 then 'CANCELLED' when g % 100 < 9 then 'REFUNDED' else 'DELIVERED' end)
                   ::"OrderStatus",
               'USD',
               (select sum({_price(f"((g * 7 + n * 13) % {size.products})")} * (1 + (g + n) % 3))
                from generate_series(1, 1 + g % 5) as n),
               case when g % 100 >= 3 then placed + interval '2 minutes' end,
               case when g % 100 < 3 then placed + interval '3 hours' end,
               placed,
               placed + case when g % 100 < 3 then interval '3 hours' when g % 100 < 9 then interval '10 days'
                             else interval '3 days' end
        from generate_series(1, {size.orders}) as g,
             lateral (select {opened} - interval '{HISTORY_DAYS} days'
                             + make_interval(secs => g::float8 * {(HISTORY_DAYS - 10) * 86400} / {size.orders})
                             as placed) as t
        """,
        f"""
        insert into "OrderItem" (id, "orderId", "productId", quantity, "unitPrice", "createdAt", "updatedAt")
        select {_cuid("'item' || o.id || n")}, o.id,
               'SKU-' || (array['LAP','PHN','AUD','CAM','TAB','ACC'])[1 + p % 6] || '-' || (1000 + p),
               1 + (g + n) % 3, {price}, o."createdAt", o."createdAt"
        from "Order" o, lateral (select substr(o.id, 4)::int as g) as k,
             lateral generate_series(1, 1 + g % 5) as n, lateral (select (g * 7 + n * 13) % {size.products} as p) as q
        """,
        f"""
        insert into "Refund" (id, "orderId", amount, reason, status, "createdAt", "updatedAt")
        select {_cuid("'refund' || o.id")}, o.id, o.total,
               (array['damaged','not as described','changed mind',null])[1 + length(o.id) % 4], 'COMPLETED',
               o."updatedAt" - interval '2 days', o."updatedAt"
        from "Order" o where o.status = 'REFUNDED'
        """,
    ]
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        conn.commit()
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("vacuum (analyze)")
        return table_counts(conn)
    finally:
        conn.close()


def table_counts(conn: psycopg2.extensions.connection) -> dict[str, int]:
    counts = {}
    with conn.cursor() as cursor:
        for table in ("User", "Product", "Inventory", "Order", "OrderItem", "Refund"):
            cursor.execute(f'select count(*) from "{table}"')
            row = cursor.fetchone()
            counts[table] = int(row[0]) if row else 0
    return counts


def hours_changed(dsn: str) -> int:
    """How many of change_hour's hours the shop has had (a kept shop database is reused by the next bench)."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cursor:
            cursor.execute('select max("updatedAt") from "Order"')
            row = cursor.fetchone()
    finally:
        conn.close()
    newest = row[0] if row else None
    return 0 if newest is None or newest < OPENED else int((newest - OPENED) / timedelta(hours=1))


def change_hour(dsn: str, size: ShopSize, hour: int, share: float = 0.01) -> dict[str, int]:
    """Hour `hour` of the shop's life after OPENED: `share` of the orders change (most move on to delivered, a tenth
    are cancelled, a tenth refunded with a new Refund row), the items of those orders with them (about `share` of
    the items), `share` of the products change price and of the stock is counted again, and share/10 new orders
    with their items arrive. Every change's updatedAt falls within the hour. Returns the rows written per table."""
    start = OPENED + timedelta(hours=hour)
    at = f"timestamp '{start:%Y-%m-%d %H:%M:%S}'"
    changed = max(int(size.orders * share), 1)
    new = max(changed // 10, 1)
    spread = "make_interval(secs => (row_number() over () %% 3500)::float8 + random())"
    written: dict[str, int] = {}
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cursor:
            cursor.execute("select setseed(%s)", (hour / 1000,))
            cursor.execute(
                f"""
                create temp table changed_orders on commit drop as
                select id, row_number() over () as k, {at} + {spread} as at
                from "Order" tablesample bernoulli (%(percent)s) repeatable (%(hour)s)
                where status not in ('CANCELLED', 'REFUNDED') limit %(changed)s
                """,
                {"percent": min(share * 100 * 1.3, 100), "hour": hour, "changed": changed},
            )
            cursor.execute(
                """
                update "Order" o set
                    status = (case when c.k % 10 = 0 then 'CANCELLED' when c.k % 10 = 1 then 'REFUNDED'
                                   else 'DELIVERED' end)::"OrderStatus",
                    "cancelledAt" = case when c.k % 10 = 0 then c.at end,
                    "updatedAt" = c.at
                from changed_orders c where o.id = c.id
                """
            )
            written["Order"] = cursor.rowcount
            cursor.execute(
                f"""
                insert into "Refund" (id, "orderId", amount, reason, status, "createdAt", "updatedAt")
                select {_cuid("'refund' || c.id")}, c.id, o.total, 'changed mind', 'COMPLETED', c.at, c.at
                from changed_orders c join "Order" o using (id) where c.k % 10 = 1
                on conflict (id) do update set "updatedAt" = excluded."updatedAt"
                """
            )
            written["Refund"] = cursor.rowcount
            cursor.execute(
                """
                update "OrderItem" i set "updatedAt" = c.at from changed_orders c where i."orderId" = c.id
                """
            )
            written["OrderItem"] = cursor.rowcount
            cursor.execute(
                f"""
                update "Product" p set price = (p.price * 1.05)::numeric(10,2), "updatedAt" = {at} + interval '5 min'
                where p.id in (select id from "Product" order by md5(id || %(hour)s) limit %(count)s)
                """,
                {"hour": hour, "count": max(int(size.products * share), 1)},
            )
            written["Product"] = cursor.rowcount
            cursor.execute(
                f"""
                update "Inventory" v set quantity = greatest(v.quantity - 1, 0), "updatedAt" = {at} + interval '6 min'
                where v.id in (select id from "Inventory" order by md5(id || %(hour)s) limit %(count)s)
                """,
                {"hour": hour, "count": max(int(size.products * share), 1)},
            )
            written["Inventory"] = cursor.rowcount
            cursor.execute("""select max(substr(id, 4)::int) + 1 from "Order" where id like 'SO-%'""")
            row = cursor.fetchone()
            first = int(row[0]) if row and row[0] is not None else 1
            cursor.execute(
                f"""
                insert into "Order" (id, "clientId", status, total, "paidAt", "createdAt", "updatedAt")
                select 'SO-' || lpad(g::text, 9, '0'), md5('client' || g)::uuid::text, 'PAID', 0,
                       {at} + make_interval(secs => (g %% 3500)), {at} + make_interval(secs => (g %% 3500)),
                       {at} + make_interval(secs => (g %% 3500))
                from generate_series(%(first)s, %(last)s) as g
                """,
                {"first": first, "last": first + new - 1},
            )
            written["Order"] += cursor.rowcount
            cursor.execute(
                f"""
                insert into "OrderItem" (id, "orderId", "productId", quantity, "unitPrice", "createdAt", "updatedAt")
                select {_cuid("'item' || o.id || n")}, o.id, p.id, 1, p.price, o."createdAt", o."updatedAt"
                from "Order" o, generate_series(1, 3) as n,
                     lateral (select id, price from "Product" order by id offset (length(o.id) + n) %% %(products)s
                              limit 1) as p
                where o.id between %(low)s and %(high)s
                """,
                {
                    "products": size.products,
                    "low": f"SO-{first:09d}",
                    "high": f"SO-{first + new - 1:09d}",
                },
            )
            written["OrderItem"] += cursor.rowcount
            cursor.execute(
                """
                update "Order" o set total = s.total
                from (select "orderId", sum(quantity * "unitPrice") as total from "OrderItem"
                      where "orderId" between %(low)s and %(high)s group by "orderId") as s
                where o.id = s."orderId"
                """,
                {"low": f"SO-{first:09d}", "high": f"SO-{first + new - 1:09d}"},
            )
        conn.commit()
        return written
    finally:
        conn.close()
