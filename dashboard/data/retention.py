"""Retention's data: weekly cohorts of new users and how many come back, and the best customers a range brought."""

from __future__ import annotations

from dashboard.filters import Filters, filter_params
from dashboard.warehouse import Row, Warehouse

BEST_CUSTOMERS = 10


def retention(warehouse: Warehouse, filters: Filters) -> list[Row]:
    """marts.retention_weekly for the cohorts first seen in the range's weeks (it has no device type nor channel)."""
    return warehouse.fetch(
        "retention.cohorts",
        """
        select cohort_week, weeks_since_first_seen, cohort_size, retained_visitors, retention_rate
        from marts.retention_weekly
        where cohort_week between date_trunc('week', %(start)s::date)::date and %(end)s
        order by cohort_week, weeks_since_first_seen
        """,
        filter_params(filters),
    )


def best_customers(warehouse: Warehouse, filters: Filters) -> list[Row]:
    """marts.users: the people first seen in the range who have bought, the most revenue to date first.

    Revenue, orders and visits are the person's to date (up to the last build, past the range's end): what the
    customers the range brought turned out to be worth. A person is a stitched user (every device of one login) or a
    visitor never identified. The mart has no device type nor channel of its own (first_channel is where the person
    came from, shown, not filtered on)."""
    return warehouse.fetch(
        "retention.best_customers",
        """
        select user_key, user_id, visitors, first_seen_date, last_seen_date, sessions, orders, revenue, first_channel
        from marts.users
        where first_seen_date between %(start)s and %(end)s and orders > 0
        order by revenue desc, orders desc, user_key
        limit %(limit)s
        """,
        filter_params(filters, limit=BEST_CUSTOMERS),
    )
