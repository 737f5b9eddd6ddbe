"""The shop's orders beside the tracked ones, end to end: generated traffic with a known untracked share and the
shop's database, loaded, extracted and built; order_reconciliation and tracking_coverage_daily against what the
generator made."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from support.shop_databases import fresh_database
from support.transform_kit import dbt_options, migrated

from loader_lambda.loader import run_load
from loader_lambda.settings import LoaderSettings
from loader_lambda.window import plan_from_event
from local_only.postgres import Connection, LocalPostgres
from local_only.shop_database.schema import apply_schema
from local_only.simulator.orders import ShopOrder
from local_only.simulator.plan import TrafficOptions, iter_traffic
from local_only.simulator.run import generate
from raw_store import open_store
from shop_extract.run import run_extract
from shop_extract.settings import ShopExtractSettings
from transform_runner.run import run_transform
from transform_runner.settings import TransformSettings

pytestmark = pytest.mark.e2e

DAY = date(2025, 3, 7)
SEED = 13
VISITS = 2_500
SHARE = 0.2


def _rows(connection: Connection, statement: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(connection.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute(statement)
        rows = cursor.fetchall()
    conn.close()
    return rows


def test__reconciliation__classifies_every_order_as_generated_and_coverage_is_the_tracked_share(
    warehouse: Connection, postgres_server: LocalPostgres, tmp_path: Path
) -> None:
    roles = migrated(warehouse)
    store = (tmp_path / "raw").as_uri()
    # the orders as the generator made them: the same options, the pure generator
    options = TrafficOptions(start=DAY, days=1, seed=SEED, visits_per_day=VISITS, invalid_rate=0, untracked_share=SHARE)
    made: list[ShopOrder] = [order for unit in iter_traffic(options) for order in unit.orders]
    with fresh_database(postgres_server, "reconciliation_shop") as shop:
        apply_schema(shop.dsn())
        summary = generate(
            store + "?fsync=false",
            days=1,
            start=DAY,
            seed=SEED,
            visitors_per_day=VISITS,
            invalid_rate=0,
            workers=1,
            shop_database=shop.dsn(),
            untracked_share=SHARE,
        )
        assert summary.orders == len(made)
        now = datetime.now(UTC)
        window = {"fromHour": "2025-03-07T00:00:00Z", "toHour": "2025-03-08T06:00:00Z"}
        loaded = run_load(
            plan_from_event(window, now, 0),
            open_store(store),
            LoaderSettings(raw_store_url=store, compact=False),
            roles.settings("loader"),
            now=now,
        )
        assert loaded.status == "succeeded", loaded.problems
        # the extract as the warehouse runs it: a read-only role on the shop's database (the admin's here)
        settings = ShopExtractSettings(
            database_url=f"postgresql://{shop.user}:{shop.password}@{shop.host}:{shop.port}/{shop.database}",
            extract_workdir=tmp_path / "dlt",
        )
        extracted = run_extract(settings, roles.settings("transformer"))
        assert extracted.status == "success", extracted.error
    build = run_transform(
        dbt_options(tmp_path / "dbt"),
        roles.settings("transformer"),
        TransformSettings(freshness_metric_namespace=None),
        trigger="test",
    )
    assert build.exit_code == 0, build.describe()

    classes = dict(_rows(warehouse, "select order_id, reconciliation_class from marts.order_reconciliation"))
    assert classes == {order.id: "matched" if order.tracked else "backend_only" for order in made}

    orders, tracked = _rows(warehouse, "select sum(orders), sum(tracked_orders) from marts.tracking_coverage_daily")[0]
    made_share = sum(order.tracked for order in made) / len(made)
    assert orders == len(made)
    assert abs(float(tracked) / float(orders) - made_share) < 0.01
    assert abs(made_share - (1 - SHARE)) < 0.1

    attributed = dict(
        _rows(
            warehouse,
            "select attributed_by, count(*) from marts.order_reconciliation group by attributed_by",
        )
    )
    # every tracked order by its purchase event; the untracked ones by the clientId their checkout stored
    assert attributed.get("purchase_event") == sum(order.tracked for order in made)
    assert attributed.get("client_id") == sum(not order.tracked for order in made)
