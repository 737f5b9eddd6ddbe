"""The dashboard's tests' warehouse and server: marts built by the real pipeline, `clickstream dashboard` as a
process.

generate → loader → dbt (in-process) into a fresh migrated database. dbt builds as the `transformer` role, so the
marts carry migration 0002's default grant to `dashboard`, which is what the dashboard reads as.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from local_only.dashboard_process import CLICKSTREAM, serving, wait_until_answering
from local_only.postgres import Connection, LocalPostgres
from local_only.roles import RoleWarehouse
from support.transform_kit import migrated
from warehouse.migrate import ROLE_NAMES

REPO = Path(__file__).resolve().parents[2]
__all__ = ["CLICKSTREAM", "serving", "wait_until_answering"]  # the tests' names for local_only's (demo, browser)
# The generator's late flushes land a few hours after its last day.
LATE_HOURS = 6
# The moment the browser tests' dashboard takes as now (DASHBOARD_NOW): 15:30 on the last day of their traffic
# (tests/dashboard/conftest.py), which is then "today" and not part of the default range.
NOW = "2025-03-10T15:30:00Z"


# The roles are the cluster's, not a database's: one password each for the whole run, so a database created later
# (the empty or unbuilt warehouse) leaves the dashboard already serving another one able to open connections.
_ROLE_PASSWORDS = {role: secrets.token_urlsafe(12) for role in ROLE_NAMES}


def create_database(server: LocalPostgres, name: str) -> RoleWarehouse:
    """A fresh database, migrated, each role with a login and the run's password for it."""
    admin = server.connection("postgres")
    conn = psycopg2.connect(admin.dsn())
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
            cursor.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    target = Connection(admin.host, admin.port, admin.user, admin.password, name)
    return migrated(target, _ROLE_PASSWORDS)


def load_traffic(
    built: RoleWarehouse,
    raw_root: Path,
    start: date,
    days: int,
    events_per_day: int,
    seed: int,
    shop_database: str | None = None,
) -> None:
    """Generated traffic through the real ingest handler, landed by the real loader as the `loader` role; with
    `shop_database` (a DSN), the shop's own database from the same run (a fifth of the orders untracked)."""
    from loader_lambda.loader import run_load
    from loader_lambda.settings import LoaderSettings
    from loader_lambda.window import plan_backfill
    from local_only.simulator.run import generate
    from raw_store import open_store

    store_url = raw_root.as_uri() + "?fsync=false"
    summary = generate(
        store_url,
        days=days,
        start=start,
        seed=seed,
        events_per_day=events_per_day,
        workers=1,
        shop_database=shop_database,
    )
    assert summary.errors == 0, summary.error_samples
    first = datetime(start.year, start.month, start.day, tzinfo=UTC)
    last = first + timedelta(days=days, hours=LATE_HOURS)
    settings = LoaderSettings(raw_store_url=store_url, compact=False, lock_timeout_seconds=60)
    now = datetime.now(UTC)
    outcome = run_load(plan_backfill(first, last), open_store(store_url), settings, built.settings("loader"), now=now)
    assert outcome.status == "succeeded", outcome.problems


def extract_shop(built: RoleWarehouse, shop: Connection, work: Path) -> None:
    """`clickstream extract-shop` of `shop` into raw_shop as `transformer`, as the hourly cycle runs it."""
    from shop_extract.run import run_extract
    from shop_extract.settings import ShopExtractSettings

    url = f"postgresql://{shop.user}:{shop.password}@{shop.host}:{shop.port}/{shop.database}"
    settings = ShopExtractSettings(database_url=url, extract_workdir=work / "shop-extract")
    outcome = run_extract(settings, built.settings("transformer"), trigger="test")
    assert outcome.status == "success", outcome.error


def build_marts(built: RoleWarehouse, work: Path) -> None:
    """`dbt build` of the models and seeds (data tests are the dbt suite's business) as `transformer`."""
    from dbt.artifacts.schemas.run import RunExecutionResult
    from dbt.cli.main import dbtRunner

    with pytest.MonkeyPatch.context() as patch:
        for name, value in built.connection("transformer").env().items():
            patch.setenv(name, value)
        patch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        outcome = dbtRunner().invoke(
            [
                "build",
                "--project-dir", str(REPO),
                "--profiles-dir", str(REPO / "dbt_project"),
                "--target-path", str(work / "target"),
                "--log-path", str(work / "logs"),
                "--exclude-resource-type", "test",
                "--exclude-resource-type", "unit_test",
                "--no-version-check",
                "--quiet",
            ]
        )  # fmt: skip
    if not outcome.success:
        problems = [
            f"{result.node.unique_id}: {result.status}: {result.message}"
            # A failed build's result is the run's; other commands answer other types (a manifest, a list).
            for result in (outcome.result if isinstance(outcome.result, RunExecutionResult) else [])
            if str(result.status) not in ("success", "pass", "skipped")
        ]
        raise AssertionError(f"dbt build failed: {outcome.exception or problems}")


def dashboard_env(built: RoleWarehouse) -> dict[str, str]:
    """The environment `clickstream dashboard` runs with in production: the `dashboard` role and the default
    settings (the query cache on), so browser tests see what the shop owner sees."""
    env = {**os.environ, **built.connection("dashboard").env()}
    for name in [name for name in env if name.startswith("DASHBOARD_")]:
        del env[name]
    return env
