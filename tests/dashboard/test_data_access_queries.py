"""The dashboard's fast queries give the numbers of the plain ones: Overview and Acquisition count distinct users
one row per visitor first (so PostgreSQL hashes rather than sorts every session), and here each of their numbers is
checked against `count(distinct visitor_id)` straight over marts.sessions, on marts the real pipeline built."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import psycopg2
import psycopg2.extras
import pytest

from dashboard.data_access import Filters, Warehouse, acquisition, default_filters, overview, status
from dashboard.settings import DashboardSettings
from local_only.roles import RoleWarehouse
from local_only.simulator.geography import COUNTRIES
from warehouse.connection import WarehouseSettings

pytestmark = pytest.mark.integration

# The filters as the page applies them: the range, bots left out, device type and channel when chosen.
WHERE = """
    not is_bot and session_date between %(start)s and %(end)s
    and (%(device_type)s::text is null or coalesce(device_type, '(not set)') = %(device_type)s)
    and (%(channel)s::text is null or channel = %(channel)s)
"""

PLAIN_KPIS = f"""
    select
        count(*) as sessions,
        count(distinct visitor_id) as users,
        count(distinct visitor_id) filter (where is_first_visit) as new_users,
        coalesce(sum(page_views), 0) as page_views,
        round(avg(duration_seconds), 1) as average_session_duration_seconds,
        coalesce(sum(orders), 0) as orders,
        coalesce(sum(revenue), 0) as revenue,
        count(*) filter (where is_bounce) as bounces,
        count(*) filter (where orders > 0) as converted_sessions
    from marts.sessions
    where {WHERE}
"""

PLAIN_DAILY = f"""
    select session_date as day, count(*) as sessions, count(distinct visitor_id) as users,
        coalesce(sum(page_views), 0) as page_views, count(*) filter (where orders > 0) as converted_sessions,
        coalesce(sum(revenue), 0) as revenue
    from marts.sessions
    where {WHERE}
    group by session_date
    order by session_date
"""

PLAIN_BREAKDOWN = """
    select {value} as value, count(*) as sessions, count(distinct visitor_id) as users,
        count(*) filter (where orders > 0) as converted_sessions, coalesce(sum(revenue), 0) as revenue
    from marts.sessions
    where {where}
    group by 1
"""

BREAKDOWN_VALUES = {
    "channel": "channel",
    "referrer_host": "coalesce(referrer_host, '(none)')",
    "campaign": "concat_ws(' / ', coalesce(lower(utm_source), '(not set)'), coalesce(lower(utm_medium), '(not set)'),"
    " coalesce(lower(utm_campaign), '(not set)'))",
    "device_type": "coalesce(device_type, '(not set)')",
    "country": "coalesce(country, '(not set)')",
}


@pytest.fixture(scope="module")
def warehouse(built_marts: RoleWarehouse) -> Iterator[Warehouse]:
    # As the admin: other fixtures give the cluster-wide roles new passwords (the browser tests cover the role).
    role = built_marts.admin
    connection = WarehouseSettings(
        host=role.host, port=role.port, database=role.database, user=role.user, password=role.password
    )
    opened = Warehouse(connection, DashboardSettings(cache_ttl_seconds=0, include_bots=False))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def plain(built_marts: RoleWarehouse) -> Iterator[Any]:
    conn = psycopg2.connect(built_marts.admin.dsn())
    conn.autocommit = True

    def rows(query: str, filters: Filters) -> list[dict[str, Any]]:
        params: dict[str, object] = {"start": filters.start, "end": filters.end}
        params |= {"device_type": filters.device_type, "channel": filters.channel}
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
            cursor.execute(query, params)
            return [{name: _number(value) for name, value in row.items()} for row in cursor.fetchall()]

    yield rows
    conn.close()


def _number(value: Any) -> Any:
    return float(value) if hasattr(value, "as_integer_ratio") and not isinstance(value, int) else value


def _variants(warehouse: Warehouse) -> list[Filters]:
    found = status(warehouse)
    whole = default_filters(found, 28)
    assert found.first_day is not None and found.last_day is not None
    # The last day against the day before: both periods of Overview hold sessions.
    last_day = Filters(found.last_day, found.last_day)
    assert last_day.previous().start >= found.first_day
    device = next(kind for kind in found.device_types if kind != "(not set)")
    return [whole, last_day, replace(whole, device_type=device), replace(last_day, channel=found.channels[0])]


def test_overview_counts_what_count_distinct_counts(warehouse: Warehouse, plain: Any) -> None:
    for filters in _variants(warehouse):
        shown = overview(warehouse, filters)
        for period, kpis in (("current", shown.current), ("previous", shown.previous)):
            chosen = filters if period == "current" else filters.previous()
            (expected,) = plain(PLAIN_KPIS, chosen)
            if period == "current":
                assert expected["sessions"] > 0, filters
            for name in ("sessions", "users", "new_users", "page_views", "orders", "revenue"):
                assert kpis[name] == expected[name], (filters, period, name)
            assert kpis["returning_users"] == expected["users"] - expected["new_users"]
            assert kpis["average_session_duration_seconds"] == expected["average_session_duration_seconds"]
            if expected["sessions"]:
                assert kpis["bounce_rate"] == expected["bounces"] / expected["sessions"]
                assert kpis["conversion_rate"] == expected["converted_sessions"] / expected["sessions"]
        assert shown.daily == plain(PLAIN_DAILY, filters), filters


def test_acquisition_counts_what_count_distinct_counts(warehouse: Warehouse, plain: Any) -> None:
    for filters in _variants(warehouse):
        shown = acquisition(warehouse, filters)
        for dimension, value in BREAKDOWN_VALUES.items():
            query = PLAIN_BREAKDOWN.format(value=value, where=WHERE)
            expected = {row.pop("value"): row for row in plain(query, filters)}
            got = {row["value"]: row for row in shown[dimension]}
            assert set(got) == set(expected), (filters, dimension)
            for key, row in expected.items():
                for name in ("sessions", "users", "converted_sessions", "revenue"):
                    assert got[key][name] == row[name], (filters, dimension, key, name)


def test_acquisition_countries_come_from_the_visitors_addresses(warehouse: Warehouse) -> None:
    # The generated traffic sends no cloudfront-viewer-country (API Gateway alone passes none): each country in
    # the table was looked up from a visitor's address by the ingest, and every session has one.
    whole = default_filters(status(warehouse), 28)
    countries = {row["value"]: row["sessions"] for row in acquisition(warehouse, whole)["country"]}
    assert {country.code for country in COUNTRIES} <= set(countries)
    assert "(not set)" not in countries
    assert max(countries, key=countries.__getitem__) == "US"
