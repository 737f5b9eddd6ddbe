"""Overview's data: the range's KPIs beside the comparison period's, and visitors by day and hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from psycopg2 import sql

from dashboard.filters import Filters, cut_conditions, filter_params, mart_conditions
from dashboard.rate_sql import denominator_sql, rate_sql
from dashboard.warehouse import Row, Warehouse

KPI_NAMES = (
    "sessions",
    "users",
    "new_users",
    "returning_users",
    "page_views",
    "bounce_rate",
    "average_session_duration_seconds",
    "conversion_rate",
    "orders",
    "revenue",
    "average_order_value",
    "returning_customer_rate",
)


@dataclass(frozen=True)
class OverviewData:
    current: dict[str, float | None]
    # The comparison period's KPIs, None when the range is compared with nothing.
    previous: dict[str, float | None] | None
    daily: list[Row]
    hourly: list[Row]
    # The currency of every revenue (the build's reporting_currency), None before the first order.
    currency: str | None = None
    # The comparison period's days, as `daily` (None without a comparison): the trend overlays them day by day.
    previous_daily: list[Row] | None = None


# The rates whose denominator (sessions, orders with a revenue, customers) each period's KPIs carry beside them, as
# `<rate>_sample`: fewer than RATE_MIN_SAMPLE makes the rate a small sample.
SAMPLED_RATES = ("bounce_rate", "conversion_rate", "average_order_value", "returning_customer_rate")


def _kpis(row: Row | None) -> dict[str, float | None]:
    row = row or {}
    sessions = row.get("sessions") or 0
    users = row.get("users") or 0
    new_users = row.get("new_users") or 0
    return {
        "sessions": sessions,
        "users": users,
        "new_users": new_users,
        "returning_users": users - new_users,
        "page_views": row.get("page_views") or 0,
        "bounce_rate": row.get("bounce_rate"),
        "average_session_duration_seconds": row.get("average_session_duration_seconds"),
        "conversion_rate": row.get("conversion_rate"),
        "orders": row.get("orders") or 0,
        "revenue": row.get("revenue") or 0.0,
        "average_order_value": row.get("average_order_value"),
        "returning_customer_rate": row.get("returning_customer_rate"),
        # Orders in a currency without a rate (currency_rates): counted in orders, left out of revenue.
        "orders_without_rate": row.get("orders_without_rate") or 0,
        **{f"{rate}_sample": row.get(f"{rate}_sample") or 0 for rate in SAMPLED_RATES},
    }


def _visitors_by_hour(include_bots: bool) -> sql.Composable:
    """marts.sessions in the shape of marts.visitors_daily, with the hour the session started: visitors_daily has
    no hour, and a comparison with "today so far" counts the visitors of its last day's first hours only."""
    return sql.SQL(
        """
        (
            select
                session_date,
                extract(hour from session_start at time zone %(timezone)s)::integer as session_hour,
                visitor_id as visitor_number,
                is_first_visit as is_new,
                coalesce(device_type, '(not set)') as device_type,
                channel
            from marts.sessions
            where {bots}
        ) as visitors_by_hour
        """
    ).format(bots=sql.SQL("true" if include_bots else "not is_bot"))


def _rates() -> dict[str, sql.Composable]:
    """The var rates Overview shows, for the placeholders of the same names in its queries."""
    return {name: rate_sql(name) for name in SAMPLED_RATES}


def _cut(warehouse: Warehouse, filters: Filters) -> tuple[sql.Composable, sql.Composable, sql.Composable]:
    """The period's WHERE clauses over marts.sessions_daily and marts.orders (`cut_conditions`), and the visitors'
    relation: marts.sessions in visitors_daily's shape when the last day is cut at an hour."""
    conditions, order_conditions = cut_conditions(filters)
    if filters.end_before_hour is None:
        return conditions, order_conditions, sql.SQL("marts.visitors_daily")
    return conditions, order_conditions, _visitors_by_hour(warehouse.settings.include_bots)


def _period_row(warehouse: Warehouse, filters: Filters) -> Row:
    """The KPIs of one period, as a row: additive measures summed over marts.sessions_daily; users counted distinct
    over marts.visitors_daily (a visitor back on another day, or in another slice, is one user); orders, revenue (in
    reporting_currency), average order value and returning customers from marts.orders. Rates are the var rates'
    (dashboard/rates.py), each with its denominator (`<rate>_sample`)."""
    conditions, order_conditions, visitors = _cut(warehouse, filters)
    rows = warehouse.fetch(
        "overview.kpis",
        sql.SQL(
            """
            with measures as (
                select
                    sum(sessions)::bigint as sessions,
                    sum(page_views)::bigint as page_views,
                    sum(bounces)::bigint as bounces,
                    {bounce_rate} as bounce_rate,
                    round(sum(duration_seconds)::numeric / nullif(sum(sessions), 0), 1)
                        as average_session_duration_seconds,
                    sum(converted_sessions)::bigint as converted_sessions,
                    {conversion_rate} as conversion_rate,
                    {bounce_sample} as bounce_rate_sample,
                    {conversion_sample} as conversion_rate_sample
                from marts.sessions_daily
                where {conditions}
            ),
            orders as (
                select
                    count(*) as orders,
                    count(*) filter (where revenue is null) as orders_without_rate,
                    sum(revenue) as revenue,
                    {average_order_value} as average_order_value,
                    {returning_customer_rate} as returning_customer_rate,
                    {average_order_value_sample} as average_order_value_sample,
                    {returning_customer_sample} as returning_customer_rate_sample,
                    min(reporting_currency) as currency
                from marts.orders
                where {order_conditions}
            ),
            visitors as (
                -- One row per visitor first (hashed), then counted: count(distinct) would sort every row.
                select count(*) as users, count(*) filter (where is_new) as new_users
                from (
                    select visitor_number, bool_or(is_new) as is_new
                    from {visitors}
                    where {conditions}
                    group by visitor_number
                ) as range_visitors
            )
            select
                measures.*,
                visitors.users,
                visitors.new_users,
                orders.orders,
                orders.orders_without_rate,
                orders.revenue,
                orders.average_order_value,
                orders.returning_customer_rate,
                orders.average_order_value_sample,
                orders.returning_customer_rate_sample,
                orders.currency
            from measures
            cross join visitors
            cross join orders
            """
        ).format(
            conditions=conditions,
            order_conditions=order_conditions,
            visitors=visitors,
            **_rates(),
            bounce_sample=denominator_sql("bounce_rate"),
            conversion_sample=denominator_sql("conversion_rate"),
            average_order_value_sample=denominator_sql("average_order_value"),
            returning_customer_sample=denominator_sql("returning_customer_rate"),
        ),
        filter_params(filters, end_before_hour=filters.end_before_hour, timezone=warehouse.settings.reporting_timezone),
    )
    return rows[0] if rows else {}


def _daily(warehouse: Warehouse, filters: Filters) -> list[Row]:
    """One row per day of the period with sessions: the KPIs the sparklines and the trend draw, as `_period_row`
    counts them over one day (the same cut of the last day)."""
    conditions, order_conditions, visitors = _cut(warehouse, filters)
    return warehouse.fetch(
        "overview.daily",
        sql.SQL(
            """
            with measures as (
                select
                    session_date as day,
                    sum(sessions)::bigint as sessions,
                    sum(page_views)::bigint as page_views,
                    sum(converted_sessions)::bigint as converted_sessions,
                    sum(revenue) as revenue,
                    {bounce_rate} as bounce_rate,
                    {conversion_rate} as conversion_rate
                from marts.sessions_daily
                where {conditions}
                group by session_date
            ),
            visitors as (
                {daily_users}
            ),
            orders as (
                select
                    session_date as day,
                    count(*) as orders,
                    {average_order_value} as average_order_value,
                    {returning_customer_rate} as returning_customer_rate
                from marts.orders
                where {order_conditions}
                group by session_date
            )
            select measures.day, measures.sessions, visitors.users, measures.page_views,
                measures.converted_sessions, measures.revenue, measures.bounce_rate, measures.conversion_rate,
                coalesce(orders.orders, 0) as orders, orders.average_order_value, orders.returning_customer_rate
            from measures
            left join visitors on measures.day = visitors.day
            left join orders on measures.day = orders.day
            order by measures.day
            """
        ).format(
            conditions=conditions,
            order_conditions=order_conditions,
            daily_users=_daily_users(filters, conditions, visitors),
            **_rates(),
        ),
        filter_params(filters, end_before_hour=filters.end_before_hour, timezone=warehouse.settings.reporting_timezone),
    )


def _daily_users(filters: Filters, conditions: sql.Composable, visitors: sql.Composable) -> sql.Composable:
    """Users per day (`day`, `users`): one row a day of marts.users_daily, which has every slice the filters make
    ('(all)' for no filter); counted from `visitors` only when the last day is cut at an hour (users_daily has no
    hour)."""
    if filters.end_before_hour is None:
        return sql.SQL(
            """
            select session_date as day, users
            from marts.users_daily
            where session_date between %(start)s and %(end)s
                and device_type = coalesce(%(device_type)s, '(all)')
                and channel = coalesce(%(channel)s, '(all)')
            """
        )
    return sql.SQL(
        """
        select session_date as day, count(distinct visitor_number) as users
        from {visitors}
        where {conditions}
        group by session_date
        """
    ).format(visitors=visitors, conditions=conditions)


def every_day(filters: Filters, rows: list[Row], key: str) -> list[float | None]:
    """`key` of each day of the period in order, None for a day without sessions (the page draws a gap, or 0 for a
    count), so the days of a period and its comparison line up by their offset."""
    by_day: dict[date, Row] = {row["day"]: row for row in rows}
    days = (filters.start + timedelta(days=offset) for offset in range(filters.days))
    return [by_day[day].get(key) if day in by_day else None for day in days]


def overview(warehouse: Warehouse, filters: Filters) -> OverviewData:
    """KPIs for the range and its comparison period (one query each, so either is cached on its own), daily and
    hour-of-day trends."""
    compared = filters.compared()
    current = _period_row(warehouse, filters)
    previous = _period_row(warehouse, compared) if compared is not None else None
    daily = _daily(warehouse, filters)
    previous_daily = _daily(warehouse, compared) if compared is not None else None
    conditions = mart_conditions(filters, "session_date", sliced=True)
    # session_hour is in the build's reporting_timezone (the dashboard's setting must agree with it).
    hourly = warehouse.fetch(
        "overview.hourly",
        sql.SQL(
            """
            select
                session_hour as hour,
                sum(sessions)::bigint as sessions,
                sum(converted_sessions)::bigint as converted_sessions
            from marts.sessions_daily
            where {conditions}
            group by session_hour
            order by session_hour
            """
        ).format(conditions=conditions),
        filter_params(filters),
    )
    currencies = [row.get("currency") for row in (current, previous or {}) if row.get("currency") is not None]
    return OverviewData(
        current=_kpis(current),
        previous=_kpis(previous) if previous is not None else None,
        daily=daily,
        hourly=hourly,
        currency=currencies[0] if currencies else None,
        previous_daily=previous_daily,
    )


@dataclass(frozen=True)
class ShopTruth:
    """The shop's own orders in the range beside what the tracker saw (docs/metrics.md, "Net revenue" and "Tracking
    coverage"): marts.shop_orders and marts.tracking_coverage_daily."""

    # False when marts.shop_orders has no row at all: no shop database is extracted (raw_shop empty), and the
    # page says so rather than showing 0.
    connected: bool
    orders: int = 0
    net_revenue: float | None = None
    gross_revenue: float | None = None
    # Shop orders in a currency without a rate: counted in orders, left out of the revenues.
    orders_without_rate: int = 0
    # The shop's orders (of the range, the slice) a purchase event reported, and their share: the coverage.
    tracked_orders: int = 0
    order_coverage: float | None = None
    revenue_coverage: float | None = None
    currency: str | None = None


def shop_truth(warehouse: Warehouse, filters: Filters) -> ShopTruth:
    """The range's orders and net revenue from the shop's database, and the tracker's coverage of them.

    An order counts on the day it was placed (reporting_timezone), cut at the same hour as the tracked KPIs when
    the last day is "today so far"; a device or channel slice keeps the orders attributed to a session of it
    (order_reconciliation), so unattributed orders count only unsliced. Coverage is over whole days
    (tracking_coverage_daily has no hour)."""
    rows = warehouse.fetch(
        "overview.shop_truth",
        sql.SQL(
            """
            with shop as (
                select
                    count(*) as orders,
                    count(*) filter (where exchange_rate is null) as orders_without_rate,
                    sum(net_revenue) as net_revenue,
                    sum(gross_revenue) as gross_revenue,
                    min(reporting_currency) as currency
                from (
                    select
                        shop_orders.order_date,
                        shop_orders.ordered_at,
                        shop_orders.exchange_rate,
                        shop_orders.net_revenue,
                        shop_orders.gross_revenue,
                        shop_orders.reporting_currency,
                        coalesce(reconciliation.device_type, 'unknown') as device_type,
                        coalesce(reconciliation.channel, 'unknown') as channel
                    from marts.shop_orders
                    left join marts.order_reconciliation as reconciliation
                        on shop_orders.order_id = reconciliation.order_id
                ) as sliced
                where {conditions}
                    and not coalesce(
                        order_date = %(end)s
                        and extract(hour from ordered_at at time zone %(timezone)s) >= %(end_before_hour)s,
                        false
                    )
            ),
            coverage as (
                select
                    sum(orders) as coverage_orders,
                    sum(tracked_orders) as tracked_orders,
                    round(sum(tracked_orders)::numeric / nullif(sum(orders), 0), 4) as order_coverage,
                    round(sum(tracked_revenue) / nullif(sum(revenue), 0), 4) as revenue_coverage
                from marts.tracking_coverage_daily
                where {conditions}
            )
            select
                exists (select from marts.shop_orders) as connected,
                shop.*,
                coverage.tracked_orders,
                coverage.order_coverage,
                coverage.revenue_coverage
            from shop
            cross join coverage
            """
        ).format(conditions=mart_conditions(filters, "order_date", sliced=True)),
        filter_params(filters, end_before_hour=filters.end_before_hour, timezone=warehouse.settings.reporting_timezone),
    )
    row = rows[0] if rows else {}
    if not row.get("connected"):
        return ShopTruth(connected=False)
    return ShopTruth(
        connected=True,
        orders=row.get("orders") or 0,
        net_revenue=row.get("net_revenue"),
        gross_revenue=row.get("gross_revenue"),
        orders_without_rate=row.get("orders_without_rate") or 0,
        tracked_orders=row.get("tracked_orders") or 0,
        order_coverage=row.get("order_coverage"),
        revenue_coverage=row.get("revenue_coverage"),
        currency=row.get("currency"),
    )
