"""The dashboard's fast queries give the numbers of the plain ones: Overview and Acquisition count distinct users
one row per visitor first (so PostgreSQL hashes rather than sorts every session), and here each of their numbers is
checked against `count(distinct visitor_id)` straight over marts.sessions, on marts the real pipeline built. The
rates (dbt_project.yml's var rates, docs/metrics.md) are checked against their definitions written out by hand over
marts.sessions and the deduplicated orders, rounded as the var's rates are (4 digits)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import psycopg2
import psycopg2.extras
import pytest

from dashboard.data.acquisition import acquisition
from dashboard.data.journeys import journeys
from dashboard.data.overview import overview
from dashboard.data.products import products
from dashboard.data.retention import BEST_CUSTOMERS, best_customers
from dashboard.data.status import last_days_with_data, status
from dashboard.filters import Filters
from dashboard.periods import Period
from dashboard.rates import PRODUCT_LIST_MIN_VIEWS
from dashboard.settings import DashboardSettings
from dashboard.warehouse import Warehouse
from local_only.roles import RoleWarehouse
from local_only.simulator.geography import COUNTRIES
from warehouse.connection import WarehouseSettings

pytestmark = pytest.mark.integration

# The filters as the page applies them: the range, bots left out, device type and channel when chosen.
WHERE = """
    not is_bot and session_date between %(start)s and %(end)s
    and not coalesce(
        session_date = %(end)s and extract(hour from session_start at time zone 'UTC') >= %(end_before_hour)s, false
    )
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
        count(*) filter (where orders > 0) as converted_sessions,
        count(*) filter (where is_bounce)::numeric / nullif(count(*), 0) as bounce_rate,
        count(*) filter (where orders > 0)::numeric / nullif(count(*), 0) as conversion_rate,
        sum(revenue) / nullif(sum(orders), 0) as average_order_value
    from marts.sessions
    where {WHERE}
"""

# A customer is the stitched user, else the visitor; a returning one had ordered before (at any time) an order
# of the period.
NUMBERED_ORDERS = """
    with numbered as (
        select
            sessions.*,
            coalesce('user:' || sessions.stitched_user_id, 'visitor:' || sessions.visitor_id) as customer,
            rank() over (
                partition by coalesce('user:' || sessions.stitched_user_id, 'visitor:' || sessions.visitor_id)
                order by orders.ordered_at, orders.order_id
            ) as nth_order
        from intermediate.int_orders_deduplicated as orders
        join marts.sessions using (session_key)
        where not is_bot
    )
"""
RETURNING_RATE = """
    count(distinct customer) filter (where nth_order > 1)::numeric / nullif(count(distinct customer), 0)
        as returning_customer_rate
"""
PLAIN_RETURNING_CUSTOMERS = f"""
    {NUMBERED_ORDERS}
    select count(distinct customer) as customers, {RETURNING_RATE}
    from numbered
    where {WHERE}
"""

# The best customers a range brought, person by person straight from marts.sessions (as marts.users defines a
# person: the stitched user with all its visitors, else the visitor), not from marts.users.
PLAIN_BEST_CUSTOMERS = f"""
    with people as (
        select
            coalesce('user:' || stitched_user_id, 'visitor:' || visitor_id) as user_key,
            min(stitched_user_id) as user_id,
            count(distinct visitor_id) as visitors,
            min(session_date) as first_seen_date,
            count(*) as sessions,
            sum(orders) as orders,
            sum(revenue) as revenue,
            (array_agg(channel order by session_start, session_key))[1] as first_channel
        from marts.sessions
        where not is_bot
        group by 1
    )
    select * from people
    where first_seen_date between %(start)s and %(end)s and orders > 0
    order by revenue desc, orders desc, user_key
    limit {BEST_CUSTOMERS}
"""

PLAIN_PRODUCTS = """
    select
        product_id,
        sum(views) as views,
        sum(add_to_carts) as add_to_carts,
        sum(purchases) as purchases,
        sum(add_to_carts)::numeric / nullif(sum(views), 0) as add_to_cart_rate,
        sum(purchases)::numeric / nullif(sum(views), 0) as purchase_rate
    from marts.product_performance_daily
    where event_date between %(start)s and %(end)s
    group by product_id
"""

PLAIN_DAILY = f"""
    select session_date as day, count(*) as sessions, count(distinct visitor_id) as users,
        coalesce(sum(page_views), 0) as page_views, count(*) filter (where orders > 0) as converted_sessions,
        coalesce(sum(revenue), 0) as revenue, coalesce(sum(orders), 0) as orders,
        count(*) filter (where is_bounce)::numeric / count(*) as bounce_rate,
        count(*) filter (where orders > 0)::numeric / count(*) as conversion_rate,
        sum(revenue) / nullif(sum(orders), 0) as average_order_value
    from marts.sessions
    where {WHERE}
    group by session_date
    order by session_date
"""

# Per day, the returning-customer rate (as PLAIN_RETURNING_CUSTOMERS over the whole period).
PLAIN_DAILY_CUSTOMERS = f"""
    {NUMBERED_ORDERS}
    select session_date as day, {RETURNING_RATE}
    from numbered
    where {WHERE}
    group by session_date
"""

PLAIN_BREAKDOWN = """
    select {value} as value, count(*) as sessions, count(distinct visitor_id) as users,
        count(*) filter (where orders > 0) as converted_sessions, coalesce(sum(revenue), 0) as revenue,
        coalesce(sum(orders), 0) as orders, sum(revenue) / nullif(sum(orders), 0) as average_order_value
    from marts.sessions
    where {where}
    group by 1
"""

# Journeys' landing (or exit) pages: sessions and bounces per page, most sessions first, straight over sessions.
PLAIN_PAGES = """
    select coalesce({column}, '(not set)') as page_path, count(*) as sessions,
        count(*) filter (where is_bounce) as bounces
    from marts.sessions
    where {where}
    group by 1
    order by 2 desc, 1
    limit 8
"""

BREAKDOWN_VALUES = {
    "channel": "channel",
    "referrer_host": "coalesce(referrer_host, '(none)')",
    "campaign": "case when utm_source is null and utm_medium is null and utm_campaign is null then '(not set)' else"
    " concat_ws(' / ', coalesce(lower(utm_source), '(not set)'), coalesce(lower(utm_medium), '(not set)'),"
    " coalesce(lower(utm_campaign), '(not set)')) end",
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
    # The production cache (on, its default TTL): a loader asked twice for the same filters answers from it.
    opened = Warehouse(connection, DashboardSettings(include_bots=False))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def plain(built_marts: RoleWarehouse) -> Iterator[Any]:
    conn = psycopg2.connect(built_marts.admin.dsn())
    conn.autocommit = True

    def rows(query: str, filters: Filters) -> list[dict[str, Any]]:
        params: dict[str, object] = {"start": filters.start, "end": filters.end}
        params |= {"device_type": filters.device_type, "channel": filters.channel}
        params["end_before_hour"] = filters.end_before_hour
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
            cursor.execute(query, params)
            return [{name: _number(value) for name, value in row.items()} for row in cursor.fetchall()]

    yield rows
    conn.close()


def _number(value: Any) -> Any:
    return float(value) if hasattr(value, "as_integer_ratio") and not isinstance(value, int) else value


def _close(expected: float | None) -> Any:
    """Equal to `expected` up to float rounding (numeric divided in SQL, then a float); None is None."""
    return None if expected is None else pytest.approx(expected, rel=1e-12)


def _variants(warehouse: Warehouse) -> list[Filters]:
    found = status(warehouse)
    whole = last_days_with_data(found, 28)
    assert found.first_day is not None and found.last_day is not None
    # The last day against the same weekday a week before, whole and up to 15:00: both periods hold sessions.
    last_day = Filters(found.last_day, found.last_day)
    week_before = found.last_day - timedelta(days=7)
    assert week_before >= found.first_day
    day = replace(last_day, comparison=Period(week_before, week_before))
    so_far = replace(last_day, comparison=Period(week_before, week_before, end_before_hour=15))
    device = next(kind for kind in found.device_types if kind != "(not set)")
    channel = found.channels[0]
    both = replace(whole, device_type=device, channel=channel)
    return [whole, day, so_far, replace(whole, device_type=device), replace(so_far, channel=channel), both]


def test_overview_counts_what_count_distinct_counts(warehouse: Warehouse, plain: Any) -> None:
    for filters in _variants(warehouse):
        shown = overview(warehouse, filters)
        compared = filters.compared()
        assert compared is not None and shown.previous is not None
        for period, kpis in ((filters, shown.current), (compared, shown.previous)):
            (expected,) = plain(PLAIN_KPIS, period)
            if period is filters:
                assert expected["sessions"] > 0, period
            for name in ("sessions", "users", "new_users", "page_views", "orders", "revenue"):
                assert kpis[name] == expected[name], (period, name)
            assert kpis["returning_users"] == expected["users"] - expected["new_users"]
            assert kpis["average_session_duration_seconds"] == expected["average_session_duration_seconds"]
            for name in ("bounce_rate", "conversion_rate", "average_order_value"):
                assert kpis[name] == expected[name], (filters, period, name)
            (customers,) = plain(PLAIN_RETURNING_CUSTOMERS, period)
            assert kpis["returning_customer_rate"] == customers["returning_customer_rate"], (filters, period)
            # What each rate is over: the small-sample flag (RATE_MIN_SAMPLE) reads these.
            assert kpis["conversion_rate_sample"] == kpis["bounce_rate_sample"] == expected["sessions"]
            assert kpis["average_order_value_sample"] == expected["orders"]
            assert kpis["returning_customer_rate_sample"] == customers["customers"]
        for period, daily in ((filters, shown.daily), (compared, shown.previous_daily)):
            assert daily is not None
            expected_days = plain(PLAIN_DAILY, period)
            assert [row["day"] for row in daily] == [row["day"] for row in expected_days], period
            customers_by_day = {row["day"]: row for row in plain(PLAIN_DAILY_CUSTOMERS, period)}
            for row, expected in zip(daily, expected_days, strict=True):
                for name, value in expected.items():
                    assert row[name] == value, (period, row["day"], name)
                assert row["returning_customer_rate"] == customers_by_day.get(row["day"], {}).get(
                    "returning_customer_rate"
                ), (period, row["day"])
        assert shown.currency == "USD"
    (whole_day,) = plain(PLAIN_KPIS, _variants(warehouse)[1].compared())
    (so_far,) = plain(PLAIN_KPIS, _variants(warehouse)[2].compared())
    assert 0 < so_far["sessions"] < whole_day["sessions"], "the cut at 15:00 leaves the evening out"


def test_overview_without_a_comparison_reads_one_period(warehouse: Warehouse) -> None:
    found = status(warehouse)
    shown = overview(warehouse, replace(last_days_with_data(found, 7), comparison=None))
    assert shown.previous is None
    assert shown.current["sessions"]


def test_the_kpis_are_not_trivially_equal(warehouse: Warehouse, plain: Any) -> None:
    """The traffic the checks above run on has orders, bounces and rates strictly between 0 and 1.

    Two days of it hold no customer who ordered twice, so the returning-customer rate is 0 here: its positive case
    is the orders mart's dbt unit test (orders_customers_currencies_and_slices).
    """
    whole = last_days_with_data(status(warehouse), 28)
    kpis = overview(warehouse, whole).current
    for name in ("bounce_rate", "conversion_rate"):
        rate = kpis[name]
        assert rate is not None and 0 < rate < 1, (name, rate)
    assert kpis["returning_customer_rate"] == 0
    average_order_value, orders = kpis["average_order_value"], kpis["orders"]
    assert average_order_value is not None and average_order_value > 0
    assert orders is not None and orders > 10 and kpis["orders_without_rate"] == 0


def test_products_rates_and_lists_are_the_marts(warehouse: Warehouse, plain: Any) -> None:
    """Per product the var rates' add-to-cart and purchase rates; the lists hold exactly the products with enough
    views and no purchase (and, carted but not bought, an add to cart)."""
    whole = last_days_with_data(status(warehouse), 28)
    shown = products(warehouse, whole)
    expected = {row.pop("product_id"): row for row in plain(PLAIN_PRODUCTS, whole)}
    assert {row["product_id"] for row in shown.products} == set(expected)
    for row in shown.products:
        for name in ("views", "add_to_carts", "purchases", "add_to_cart_rate", "purchase_rate"):
            assert row[name] == expected[row["product_id"]][name], (row["product_id"], name)
    never_bought = {
        key for key, row in expected.items() if row["views"] >= PRODUCT_LIST_MIN_VIEWS and row["purchases"] == 0
    }
    assert [row["product_id"] for row in shown.viewed_not_bought] == sorted(
        never_bought, key=lambda key: (-expected[key]["views"], key)
    )
    assert {row["product_id"] for row in shown.carted_not_bought} == {
        key for key in never_bought if expected[key]["add_to_carts"] > 0
    }


def _check_acquisition(warehouse: Warehouse, plain: Any, filters: Filters) -> None:
    shown = acquisition(warehouse, filters)
    for dimension, value in BREAKDOWN_VALUES.items():
        query = PLAIN_BREAKDOWN.format(value=value, where=WHERE)
        expected = {row.pop("value"): row for row in plain(query, filters)}
        got = {row["value"]: row for row in shown[dimension]}
        assert set(got) == set(expected), (filters, dimension)
        compared = filters.compared()
        assert compared is not None
        before = {row.pop("value"): row for row in plain(query, compared)}
        for key, row in expected.items():
            for name in ("sessions", "users", "converted_sessions", "revenue", "orders"):
                assert got[key][name] == row[name], (filters, dimension, key, name)
            rate = row["converted_sessions"] / row["sessions"]
            assert got[key]["conversion_rate"] == pytest.approx(rate, rel=1e-12), (filters, dimension, key)
            assert got[key]["conversion_rate_sample"] == row["sessions"]
            assert got[key]["average_order_value_sample"] == row["orders"]  # every order has a rate here
            assert got[key]["average_order_value"] == _close(row["average_order_value"]), (dimension, key)
            # The comparison period's, the value's own (its last day cut at the hour when it is).
            earlier = before.get(key, {})
            for name in ("sessions", "orders", "revenue", "average_order_value"):
                assert got[key][f"previous_{name}"] == _close(earlier.get(name)), (dimension, key, name)


def test_acquisition_counts_what_count_distinct_counts(warehouse: Warehouse, plain: Any) -> None:
    for filters in _variants(warehouse):
        _check_acquisition(warehouse, plain, filters)


def test_acquisition_users_of_a_range_after_the_first_days(warehouse: Warehouse, plain: Any) -> None:
    """All traffic over days 4 to 6 of the eight, against days 1 to 3: users come from
    marts.acquisition_visitor_days, each visitor counted on its first day of the range with the value. Visitors of
    the range came with the same value before it (their first day in it has a previous day before the start) and
    came back within it (a previous day inside the range: not counted again), so both sides of the rule count."""
    found = status(warehouse)
    assert found.first_day is not None
    start = found.first_day + timedelta(days=3)
    filters = Filters(start, start + timedelta(days=2), comparison=Period(found.first_day, start - timedelta(days=1)))
    _check_acquisition(warehouse, plain, filters)
    (previous_days,) = plain(
        """
        select
            count(*) filter (where previous_session_date < %(start)s) as back_from_before,
            count(*) filter (where previous_session_date >= %(start)s) as back_within
        from marts.acquisition_visitor_days
        where session_date between %(start)s and %(end)s
        """,
        filters,
    )
    assert previous_days["back_from_before"] > 0 and previous_days["back_within"] > 0, previous_days


def test_acquisition_countries_come_from_the_visitors_addresses(warehouse: Warehouse) -> None:
    # The generated traffic sends no cloudfront-viewer-country (API Gateway alone passes none): each country in
    # the table was looked up from a visitor's address by the ingest, and every session has one.
    whole = last_days_with_data(status(warehouse), 28)
    countries = {row["value"]: row["sessions"] for row in acquisition(warehouse, whole)["country"]}
    assert {country.code for country in COUNTRIES} <= set(countries)
    assert "(not set)" not in countries
    assert max(countries, key=countries.__getitem__) == "US"


def test_the_best_customers_are_the_people_the_sessions_make(warehouse: Warehouse, plain: Any) -> None:
    """Retention's best customers (marts.users) against the same people summed from marts.sessions."""
    found = status(warehouse)
    assert found.last_day is not None
    whole = last_days_with_data(found, 28)
    for filters in (whole, Filters(found.last_day, found.last_day)):
        expected = plain(PLAIN_BEST_CUSTOMERS, filters)
        shown = [{key: _number(row[key]) for key in expected[0]} for row in best_customers(warehouse, filters)]
        assert shown == expected
    ranked = best_customers(warehouse, whole)
    # Enough buyers to rank, identified and anonymous ones among them, the richest first.
    assert len(ranked) == BEST_CUSTOMERS
    assert {row["user_id"] is None for row in ranked} == {True, False}
    assert ranked[0]["revenue"] > ranked[-1]["revenue"]


def test_journeys_pages_are_what_sessions_count(warehouse: Warehouse, plain: Any) -> None:
    # landing_exit_pages_daily summed over the range and slice: the top pages of marts.sessions, in the same order.
    for filters in _variants(warehouse):
        shown = journeys(warehouse, filters, top=8)
        for kind, column in (("landing_pages", "landing_page_path"), ("exit_pages", "exit_page_path")):
            expected = plain(PLAIN_PAGES.format(column=column, where=WHERE), replace(filters, end_before_hour=None))
            assert len(expected) > 1
            got = [{name: row[name] for name in ("page_path", "sessions", "bounces")} for row in getattr(shown, kind)]
            assert got == expected, (filters, kind)
            for row in getattr(shown, kind):
                assert row["bounce_rate"] == pytest.approx(row["bounces"] / row["sessions"], rel=1e-12)
