"""Fixtures for the loader's tests: a raw store in a temporary directory, a migrated warehouse, and a probe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql
from support.loader_kit import Loader, Probe, Raw, migrated

from local_only.postgres import Connection, LocalPostgres


@pytest.fixture
def raw(tmp_path: Path) -> Raw:
    return Raw(tmp_path / "raw")


@pytest.fixture
def dw(warehouse: Connection) -> Iterator[Probe]:
    """The test's warehouse, migrated, and a probe connection to it."""
    migrated(warehouse.dsn())
    probe = Probe(warehouse.dsn())
    yield probe
    probe.close()


@pytest.fixture
def loader(raw: Raw, warehouse: Connection, dw: Probe) -> Loader:
    return Loader(raw, warehouse)


@pytest.fixture
def second_warehouse(postgres_server: LocalPostgres, warehouse: Connection) -> Iterator[Connection]:
    """Another fresh, migrated database on the same server (DW_PG_* keep pointing at the first)."""
    name = (warehouse.database + "_b")[:63]
    admin = psycopg2.connect(postgres_server.connection("postgres").dsn())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    target = Connection(warehouse.host, warehouse.port, warehouse.user, warehouse.password, name)
    migrated(target.dsn())
    yield target
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    admin.close()
