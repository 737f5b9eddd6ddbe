"""Create the reference shop's tables, as ``prisma migrate deploy`` would, in a database the caller names."""

from __future__ import annotations

from importlib import resources

import psycopg2

TABLES = ("User", "Product", "Order", "OrderItem", "Inventory", "Refund")


def migrations() -> list[str]:
    """The Prisma migrations' SQL, oldest first (their folder names start with a timestamp)."""
    root = resources.files("local_only.shop_database") / "prisma" / "migrations"
    folders = sorted((entry for entry in root.iterdir() if entry.is_dir()), key=lambda entry: entry.name)
    return [(folder / "migration.sql").read_text(encoding="utf-8") for folder in folders]


def apply_schema(dsn: str) -> bool:
    """Create the shop's tables unless they exist; True when it created them."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute("""select to_regclass('public."Order"') is not null""")
        row = cursor.fetchone()
        if row is not None and row[0]:
            return False
        for migration in migrations():
            cursor.execute(migration)
    return True


def grant_reader(dsn: str, password: str) -> None:
    """The read-only role the extract reads as (reader_role.sql, docs/shop-database.md), with `password`."""
    role_sql = resources.files("local_only.shop_database").joinpath("reader_role.sql").read_text(encoding="utf-8")
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(role_sql)
            cursor.execute("alter role shop_reader password %s", (password,))
    finally:
        conn.close()
