"""Retention's data: weekly cohorts of new users and how many come back."""

from __future__ import annotations

from dashboard.filters import Filters, filter_params
from dashboard.warehouse import Row, Warehouse


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
