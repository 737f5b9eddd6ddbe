"""Databases of the tests' PostgreSQL server beside the warehouse's: the shop's own database, made and dropped."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
from psycopg2 import sql

from local_only.postgres import Connection, LocalPostgres


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
