"""Acquisition's data: sessions, conversion and revenue by channel, referrer, campaign, device and country."""

from __future__ import annotations

from psycopg2 import sql

from dashboard.filters import Filters, filter_params, mart_conditions
from dashboard.rate_sql import rate_sql
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


def acquisition(warehouse: Warehouse, filters: Filters) -> dict[str, list[Row]]:
    """Sessions, users, conversion and revenue by channel, referrer host, UTM campaign, device type and country.

    Sums over marts.sessions_daily and distinct users over marts.visitors_daily, each with grouping sets (one scan
    each); both have device type and channel, so the shared filters apply to every table of the page.
    """
    rows = warehouse.fetch(
        "acquisition.breakdowns",
        sql.SQL(
            """
            with measures as (
                select
                    {dimension} as dimension,
                    {value} as value,
                    sum(sessions)::bigint as sessions,
                    sum(converted_sessions)::bigint as converted_sessions,
                    {conversion_rate} as conversion_rate,
                    sum(revenue) as revenue
                from marts.sessions_daily
                where {conditions}
                group by {grouping_sets}
            ),
            visitors as (
                select
                    {dimension} as dimension,
                    {value} as value,
                    count(distinct visitor_number) as users
                from marts.visitors_daily
                where {conditions}
                group by {grouping_sets}
            )
            select
                measures.dimension,
                measures.value,
                measures.sessions,
                visitors.users,
                measures.converted_sessions,
                measures.conversion_rate,
                measures.revenue
            from measures
            left join visitors on measures.dimension = visitors.dimension and measures.value = visitors.value
            order by measures.dimension, measures.sessions desc, measures.value
            """
        ).format(
            dimension=_GROUPED_DIMENSION,
            value=_GROUPED_VALUE,
            grouping_sets=_ACQUISITION_GROUPING_SETS,
            conditions=mart_conditions(filters, "session_date", sliced=True),
            conversion_rate=rate_sql("conversion_rate"),
        ),
        filter_params(filters),
    )
    breakdowns: dict[str, list[Row]] = {dimension: [] for dimension in ACQUISITION_DIMENSIONS}
    for row in rows:
        breakdowns[row.pop("dimension")].append(row)
    return breakdowns
