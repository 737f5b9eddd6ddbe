"""Acquisition's data: revenue, orders, conversion, average order value and sessions by channel, referrer,
campaign, device and country, beside the comparison period's."""

from __future__ import annotations

from psycopg2 import sql

from dashboard.country_names import country_name
from dashboard.filters import Filters, cut_conditions, filter_params, mart_conditions
from dashboard.rate_sql import denominator_sql, rate_sql
from dashboard.warehouse import Row, Warehouse

# Which grouping set a row of the Acquisition queries belongs to (the others' columns are null in it).
_GROUPED_DIMENSION = sql.SQL(
    """
    case
        when grouping(channel) = 0 then 'channel'
        when grouping(referrer_host) = 0 then 'referrer_host'
        when grouping(campaign) = 0 then 'campaign'
        when grouping(device_type) = 0 then 'device_type'
        else 'country'
    end
    """
)
# The value of that dimension in the row, and the grouping sets themselves.
_GROUPED_VALUE = sql.SQL("coalesce(channel, referrer_host, campaign, device_type, country)")
_ACQUISITION_GROUPING_SETS = sql.SQL("grouping sets ((channel), (referrer_host), (campaign), (device_type), (country))")
ACQUISITION_DIMENSIONS = ("channel", "referrer_host", "campaign", "device_type", "country")
# The measures of a row that its comparison carries beside it, as `previous_<measure>`.
# Not users: visitors_daily has no hour, so a comparison cut at an hour ("today so far") could not count them.
COMPARED = ("sessions", "orders", "revenue", "conversion_rate", "average_order_value")


def acquisition(warehouse: Warehouse, filters: Filters) -> dict[str, list[Row]]:
    """Per dimension (channel, referrer host, UTM campaign, device type, country), its values' rows: `value`, a
    `label` to show (a country's name), sessions, users, converted sessions, conversion rate, orders, revenue and
    average order value with the denominators of both rates (`<rate>_sample`), and each of COMPARED in the
    comparison period as `previous_<measure>` (None without a comparison, or where the value had no sessions)."""
    breakdowns = _breakdowns(warehouse, filters, count_users=True)
    compared = filters.compared()
    before = _breakdowns(warehouse, compared, count_users=False) if compared is not None else {}
    for dimension, rows in breakdowns.items():
        earlier = {row["value"]: row for row in before.get(dimension, [])}
        for row in rows:
            row["label"] = country_name(row["value"]) if dimension == "country" else row["value"]
            previous = earlier.get(row["value"], {})
            for measure in COMPARED:
                row[f"previous_{measure}"] = previous.get(measure)
    return breakdowns


def _breakdowns(warehouse: Warehouse, filters: Filters, *, count_users: bool) -> dict[str, list[Row]]:
    """Sums over marts.sessions_daily, distinct users (`_users`) and orders over marts.orders, each with grouping
    sets (one scan each); all of them have device type and channel, so the shared filters apply to every table of
    the page. Orders and revenue count on the session's day, as on Overview. A period whose last day is cut at an
    hour (a comparison with "today so far") counts its users over the whole last day. Without `count_users` (the
    comparison period: COMPARED has no users) users are null and cost nothing."""
    conditions, order_conditions = cut_conditions(filters)
    rows = warehouse.fetch(
        "acquisition.breakdowns" if count_users else "acquisition.breakdowns_without_users",
        sql.SQL(
            """
            with measures as (
                select
                    {dimension} as dimension,
                    {value} as value,
                    sum(sessions)::bigint as sessions,
                    sum(converted_sessions)::bigint as converted_sessions,
                    {conversion_rate} as conversion_rate,
                    {conversion_sample} as conversion_rate_sample,
                    sum(revenue) as revenue
                from marts.sessions_daily
                where {conditions}
                group by {grouping_sets}
            ),
            visitors as (
                {users}
            ),
            orders as (
                select
                    {dimension} as dimension,
                    {value} as value,
                    count(*) as orders,
                    {average_order_value} as average_order_value,
                    {average_order_value_sample} as average_order_value_sample
                from marts.orders
                where {order_conditions}
                group by {grouping_sets}
            )
            select
                measures.dimension,
                measures.value,
                measures.sessions,
                visitors.users,
                measures.converted_sessions,
                measures.conversion_rate,
                measures.conversion_rate_sample,
                coalesce(orders.orders, 0) as orders,
                measures.revenue,
                orders.average_order_value,
                coalesce(orders.average_order_value_sample, 0) as average_order_value_sample
            from measures
            left join visitors on measures.dimension = visitors.dimension and measures.value = visitors.value
            left join orders on measures.dimension = orders.dimension and measures.value = orders.value
            order by measures.dimension, measures.revenue desc, measures.sessions desc, measures.value
            """
        ).format(
            dimension=_GROUPED_DIMENSION,
            value=_GROUPED_VALUE,
            grouping_sets=_ACQUISITION_GROUPING_SETS,
            conditions=conditions,
            order_conditions=order_conditions,
            users=_users(filters) if count_users else _NO_USERS,
            conversion_rate=rate_sql("conversion_rate"),
            conversion_sample=denominator_sql("conversion_rate"),
            average_order_value=rate_sql("average_order_value"),
            average_order_value_sample=denominator_sql("average_order_value"),
        ),
        filter_params(filters, end_before_hour=filters.end_before_hour, timezone=warehouse.settings.reporting_timezone),
    )
    breakdowns: dict[str, list[Row]] = {dimension: [] for dimension in ACQUISITION_DIMENSIONS}
    for row in rows:
        breakdowns[row.pop("dimension")].append(row)
    return breakdowns


# The comparison period's users: none (its measures are COMPARED), in the shape of `_users`' rows.
_NO_USERS = sql.SQL(
    "select cast(null as text) as dimension, cast(null as text) as value, cast(null as bigint) as users where false"
)


def _users(filters: Filters) -> sql.Composable:
    """The exact distinct users of each dimension's values over the range. All traffic: one sum over
    marts.acquisition_visitor_days, each visitor counted on its first day of the range with the value (its previous
    day with it null or before the range), a fraction of the cost of counting distinct visitors. With a device type
    or channel chosen, distinct visitor_numbers of marts.visitors_daily in that slice: the mart's previous day is
    the visitor's previous day with the value in any slice, so its first day of the range within one slice could
    not be told."""
    if filters.device_type is None and filters.channel is None:
        return sql.SQL(
            """
            select
                dimension,
                value,
                sum(visitors)::bigint as users
            from marts.acquisition_visitor_days
            where
                session_date between %(start)s and %(end)s
                and (previous_session_date is null or previous_session_date < %(start)s)
            group by dimension, value
            """
        )
    return sql.SQL(
        """
        select
            {dimension} as dimension,
            {value} as value,
            count(distinct visitor_number) as users
        from marts.visitors_daily
        where {conditions}
        group by {grouping_sets}
        """
    ).format(
        dimension=_GROUPED_DIMENSION,
        value=_GROUPED_VALUE,
        conditions=mart_conditions(filters, "session_date", sliced=True),
        grouping_sets=_ACQUISITION_GROUPING_SETS,
    )
