"""A warehouse the report reads: two weeks and a day of a small shop built by the real pipeline (the dashboard's
kit), so both a day and a week have a comparison period with data, and the warehouse as the report opens it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.dashboard_kit import build_marts, create_database, load_traffic
from support.report_kit import EVENTS_PER_DAY, TRAFFIC_DAYS, TRAFFIC_START

from dashboard.settings import DashboardSettings
from dashboard.warehouse import Warehouse
from local_only.postgres import LocalPostgres
from local_only.roles import RoleWarehouse
from warehouse.connection import WarehouseSettings


@pytest.fixture(scope="session")
def report_marts(postgres_server: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> RoleWarehouse:
    work = tmp_path_factory.mktemp("report-marts")
    built = create_database(postgres_server, "report_marts")
    load_traffic(built, work / "raw", TRAFFIC_START, TRAFFIC_DAYS, EVENTS_PER_DAY, seed=11)
    build_marts(built, work)
    return built


@pytest.fixture
def report_warehouse(report_marts: RoleWarehouse) -> Iterator[Warehouse]:
    """The dashboard's production settings (the cache on), in UTC, bots left out; as the admin, as
    tests/dashboard/test_data_queries.py connects: other fixtures give the cluster-wide roles new passwords."""
    role = report_marts.admin
    connection = WarehouseSettings(
        host=role.host, port=role.port, database=role.database, user=role.user, password=role.password
    )
    opened = Warehouse(connection, DashboardSettings(reporting_timezone="UTC", include_bots=False))
    yield opened
    opened.close()
