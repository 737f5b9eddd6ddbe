"""``clickstream generate --shop-database``: the run writes the shop's own database beside the traffic."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest
from click.testing import CliRunner
from support.shop_databases import fresh_database

from local_only.postgres import LocalPostgres
from local_only.simulator.command import generate_command

pytestmark = pytest.mark.integration


def test__generate__writes_the_shop_database_and_reports_its_orders(
    postgres_server: LocalPostgres, tmp_path: Path
) -> None:
    store = f"{(tmp_path / 'raw').as_uri()}?fsync=false"
    args = ["--days", "1", "--start", "2025-03-07", "--visitors-per-day", "800", "--store", store, "--workers", "1"]
    with fresh_database(postgres_server, "generate_shop") as shop:
        url = f"postgresql://{shop.user}:{shop.password}@{shop.host}:{shop.port}/{shop.database}"
        result = CliRunner().invoke(generate_command, [*args, "--shop-database", url, "-q"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        with psycopg2.connect(shop.dsn()) as conn, conn.cursor() as cursor:
            cursor.execute('select count(*) from "Order"')
            row = cursor.fetchone()
        conn.close()
    assert row is not None
    assert row[0] > 0
    assert f"shop orders      {row[0]:,} (" in result.output


def test__generate__an_untracked_share_without_a_shop_database_is_refused(tmp_path: Path) -> None:
    args = ["--days", "1", "--store", (tmp_path / "raw").as_uri(), "--untracked-share", "0.3"]
    result = CliRunner().invoke(generate_command, args)
    assert result.exit_code == 2
    assert "--untracked-share needs --shop-database" in result.output
    assert not (tmp_path / "raw").exists()
