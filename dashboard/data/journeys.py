"""Journeys' data: the most common landing pages and the page-to-page links between them."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql

from dashboard.filters import Filters, filter_params, mart_conditions
from dashboard.rate_sql import rate_sql
from dashboard.warehouse import Row, Warehouse


@dataclass(frozen=True)
class JourneysData:
    landing_pages: list[Row]
    exit_pages: list[Row]
    transitions: list[Row]


def journeys(warehouse: Warehouse, filters: Filters, top: int = 15, links: int = 200) -> JourneysData:
    """Top landing and exit pages (landing_exit_pages_daily) and the most common page-to-page steps
    (page_transitions_daily).

    page_transitions_daily has no device type nor channel: the transitions follow the date range only.
    """
    pages = warehouse.fetch(
        "journeys.pages",
        sql.SQL(
            """
            with filtered as (
                select landing_page_path as landing_page, exit_page_path as exit_page, sessions, bounces
                from marts.landing_exit_pages_daily
                where {conditions}
            ),
            counted as (
                select
                    case when grouping(landing_page) = 0 then 'landing' else 'exit' end as kind,
                    coalesce(landing_page, exit_page) as page_path,
                    sum(sessions)::bigint as sessions,
                    sum(bounces)::bigint as bounces,
                    {bounce_rate} as bounce_rate,
                    row_number() over (
                        partition by grouping(landing_page)
                        order by sum(sessions) desc, coalesce(landing_page, exit_page)
                    ) as place
                from filtered
                group by grouping sets ((landing_page), (exit_page))
            )
            select kind, page_path, sessions, bounces, bounce_rate
            from counted
            where place <= %(top)s
            order by kind, place
            """
        ).format(conditions=mart_conditions(filters, "session_date", sliced=True), bounce_rate=rate_sql("bounce_rate")),
        filter_params(filters, top=top),
    )
    transitions = warehouse.fetch(
        "journeys.transitions",
        sql.SQL(
            """
            select from_page_path, to_page_path, sum(transitions) as transitions
            from marts.page_transitions_daily
            where {conditions}
            group by from_page_path, to_page_path
            order by transitions desc, from_page_path, to_page_path
            limit %(links)s
            """
        ).format(conditions=mart_conditions(filters, "session_date", sliced=False)),
        filter_params(filters, links=links),
    )
    return JourneysData(
        landing_pages=[row for row in pages if row["kind"] == "landing"],
        exit_pages=[row for row in pages if row["kind"] == "exit"],
        transitions=transitions,
    )
