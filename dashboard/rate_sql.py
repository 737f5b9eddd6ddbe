"""Rates as the dashboard asks the warehouse for them: dbt_project.yml's var rates (generated dashboard/rates.py)."""

from __future__ import annotations

from psycopg2 import sql

from dashboard.rates import RATES


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """A share of two counts the page shows beside it (a funnel step of the step before); None over nothing."""
    return None if not denominator else (numerator or 0) / denominator


def rate_sql(name: str) -> sql.Composable:
    """A rate of dbt_project.yml's var rates over the rows in scope, as the dbt macro rate() writes it.

    The expressions come from the generated dashboard/rates.py (checked there to be plain aggregates), never from
    a request. Not rounded: the page rounds once, as it shows the rate (a rate rounded here to 4 places and then
    to a tenth of a percent could show 38.4% for 38.349%).
    """
    rate = RATES[name]
    return sql.SQL("({})::numeric / nullif({}, 0)").format(sql.SQL(rate.numerator), sql.SQL(rate.denominator))


def denominator_sql(name: str) -> sql.Composable:
    """What a rate of the var rates is over (sessions, orders, customers, views): a rate over fewer than
    RATE_MIN_SAMPLE of them is a small sample (dashboard/rates.py, the dbt var rate_min_sample)."""
    return sql.SQL("({})").format(sql.SQL(RATES[name].denominator))
