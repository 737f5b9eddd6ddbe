"""The query cache as production runs it (the default settings): a loader called again within the TTL answers from
the cache with the same result, whatever the caller did to the rows it got, and two calls that differ in any
argument (the funnel's split) are two queries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dashboard.data.acquisition import acquisition
from dashboard.data.funnel import funnel
from dashboard.data.status import status
from dashboard.filters import Filters
from dashboard.settings import DashboardSettings
from dashboard.warehouse import Warehouse
from local_only.roles import RoleWarehouse
from warehouse.connection import WarehouseSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def warehouse(built_marts: RoleWarehouse) -> Iterator[Warehouse]:
    role = built_marts.admin
    connection = WarehouseSettings(
        host=role.host, port=role.port, database=role.database, user=role.user, password=role.password
    )
    settings = DashboardSettings()
    assert settings.cache_ttl_seconds >= 60, "the production cache is on"
    opened = Warehouse(connection, settings)
    yield opened
    opened.close()


def _whole(warehouse: Warehouse) -> Filters:
    found = status(warehouse)
    assert found.first_day is not None and found.last_day is not None
    return Filters(found.first_day, found.last_day)


def test_acquisition_twice_gives_the_same_tables_from_the_cache(warehouse: Warehouse) -> None:
    filters = _whole(warehouse)
    first = acquisition(warehouse, filters)
    queries = warehouse.queries_run
    again = acquisition(warehouse, filters)
    assert warehouse.queries_run == queries, "the second call answered from the cache"
    assert again == first
    assert all(first[dimension] for dimension in first), "every breakdown has rows"


def test_rows_changed_by_a_caller_leave_the_cache_as_it_was(warehouse: Warehouse) -> None:
    query = "select 1 as one, array[1, 2] as pair"
    params: dict[str, object] = {}
    rows = warehouse.fetch("test.rows", query, params)
    rows[0]["one"] = 99
    rows[0].pop("pair")
    rows.append({"one": 3})
    assert warehouse.fetch("test.rows", query, params) == [{"one": 1, "pair": (1, 2)}]


def test_each_funnel_split_has_its_own_segments(warehouse: Warehouse) -> None:
    filters = _whole(warehouse)
    found = status(warehouse)
    by_device = funnel(warehouse, filters, "device_type")
    by_channel = funnel(warehouse, filters, "channel")
    assert set(by_device.segments) <= set(found.device_types)
    assert set(by_channel.segments) <= set(found.channels)
    assert set(by_device.segments).isdisjoint(by_channel.segments)
    assert funnel(warehouse, filters, "device_type") == by_device
    assert by_channel.steps == by_device.steps, "the split changes the segments, not the totals"
