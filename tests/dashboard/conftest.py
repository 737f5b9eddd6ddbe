"""Warehouses in each state the dashboard must handle, and the dashboard served from them (browser: tests/conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from support.dashboard_browser import Marts
from support.dashboard_kit import NOW, build_marts, create_database, dashboard_env, load_traffic, serving

from local_only.postgres import LocalPostgres
from local_only.roles import RoleWarehouse

# Eight days of a small shop, Monday to Monday: the last day has the same weekday a week before to compare with.
TRAFFIC_START = date(2025, 3, 3)
TRAFFIC_DAYS = 8
EVENTS_PER_DAY = 1_000


@pytest.fixture(scope="session")
def built_marts(postgres_server: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> RoleWarehouse:
    work = tmp_path_factory.mktemp("dashboard-marts")
    built = create_database(postgres_server, "dashboard_marts")
    load_traffic(built, work / "raw", TRAFFIC_START, TRAFFIC_DAYS, EVENTS_PER_DAY, seed=5)
    build_marts(built, work)
    return built


@pytest.fixture(scope="session")
def empty_marts(postgres_server: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> RoleWarehouse:
    """Marts built from an empty raw layer: every table there, no rows."""
    built = create_database(postgres_server, "dashboard_empty_marts")
    build_marts(built, tmp_path_factory.mktemp("dashboard-empty"))
    return built


@pytest.fixture(scope="session")
def unbuilt(postgres_server: LocalPostgres) -> RoleWarehouse:
    """Migrated, never transformed: no marts at all."""
    return create_database(postgres_server, "dashboard_unbuilt")


@pytest.fixture(scope="session")
def dashboard_url(built_marts: RoleWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("dashboard-log") / "dashboard.log"
    with serving({**dashboard_env(built_marts), "DASHBOARD_NOW": NOW}, log) as url:
        yield url


@pytest.fixture(scope="module")
def marts(built_marts: RoleWarehouse) -> Iterator[Marts]:
    reader = Marts(built_marts)
    yield reader
    reader.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A browser tab of its own (a new context) that records console errors and page errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.console_problems = []
    tab.on("console", lambda message: message.type == "error" and tab.console_problems.append(message.text))
    tab.on("pageerror", lambda error: tab.console_problems.append(str(error)))
    yield tab
    context.close()
