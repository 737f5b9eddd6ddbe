"""`clickstream hourly` with a shop database configured: the extract runs after the load and before dbt."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.loader_kit import Probe
from support.shop_databases import fresh_database, seed_shop
from support.transform_kit import generate_traffic, migrated

from clickstream.cli import cli
from local_only.postgres import Connection, LocalPostgres

pytestmark = pytest.mark.integration


def test_hourly_extracts_the_shop_database_before_the_build(
    warehouse: Connection, postgres_server: LocalPostgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roles = migrated(warehouse)
    store = tmp_path / "raw"
    generate_traffic(store, date(2025, 3, 7), events_per_day=300)
    with fresh_database(postgres_server, "hourly_shop") as admin:
        shop = seed_shop(admin)
        for name, value in {
            "RAW_STORE_URL": store.as_uri(),
            "DW_LOADER_PASSWORD": roles.passwords["loader"],
            "DW_TRANSFORMER_PASSWORD": roles.passwords["transformer"],
            "SHOP_DATABASE_URL": shop.url(),
            "SHOP_EXTRACT_WORKDIR": str(tmp_path / "dlt"),
        }.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(
            cli, ["hourly", "--at", "2025-03-07T19:40:00Z", "--quiet", "--target-path", str(tmp_path / "target")]
        )
        orders = shop.rows("Order")

    assert result.exit_code == 0, result.output
    assert "shop extract success" in result.output
    probe = Probe(roles.admin.dsn())
    assert set(probe.rows('select id, updated_at from raw_shop."order"')) == orders
    (extract,) = probe.rows("select status, trigger, db_user, finished_at from ops.shop_extract_runs")
    assert extract[:3] == ("success", "hourly", "transformer")
    (build,) = probe.rows("select status, locked_at from ops.transform_runs")
    assert build[0] == "success"
    assert extract[3] <= build[1]
