"""Two real databases on the tests' PostgreSQL server: the shop's (Prisma's tables, a read-only role) and the
warehouse (migrated, with its roles); the extract reads one as shop_reader and writes the other as transformer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.shop_databases import Shop, fresh_database, seed_shop
from support.transform_kit import migrated

from local_only.postgres import Connection, LocalPostgres
from local_only.roles import RoleWarehouse
from shop_extract.settings import ShopExtractSettings


@pytest.fixture
def shop(postgres_server: LocalPostgres, request: pytest.FixtureRequest) -> Iterator[Shop]:
    """The shop's database: Prisma's tables, a catalogue of 22 products with stock, 200 orders, a shop_reader."""
    name = "shop_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:40]
    with fresh_database(postgres_server, name) as admin:
        yield seed_shop(admin)


@pytest.fixture
def roles(warehouse: Connection) -> RoleWarehouse:
    return migrated(warehouse)


@pytest.fixture
def settings(shop: Shop, tmp_path: Path) -> ShopExtractSettings:
    return ShopExtractSettings(
        database_url=shop.url(),
        extract_lag_seconds=60,
        extract_workdir=tmp_path / "dlt",
        extract_lock_timeout_seconds=120,
    )


@pytest.fixture
def extract_env(shop: Shop, roles: RoleWarehouse, tmp_path: Path) -> dict[str, str]:
    """The environment `clickstream extract-shop` runs with: the shop as shop_reader, the warehouse as transformer."""
    return roles.env(
        "transformer",
        SHOP_DATABASE_URL=shop.url(),
        SHOP_EXTRACT_LAG_SECONDS="60",
        SHOP_EXTRACT_WORKDIR=str(tmp_path / "dlt"),
        RUNTIME__DLTHUB_TELEMETRY="false",
    )
