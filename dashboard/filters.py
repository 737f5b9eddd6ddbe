"""The filters every page shares, and the SQL they become: WHERE clauses over the marts and their parameters."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from psycopg2 import sql

from dashboard.periods import Comparison, Period, Preset, compared_period, preset_period


@dataclass(frozen=True)
class Filters:
    """The shared filters: a date range (days in reporting_timezone, both ends included), device type, channel,
    and the period Overview compares the range with (dashboard/periods.py; None: no comparison)."""

    start: date
    end: date
    device_type: str | None = None
    channel: str | None = None
    # On the last day, only the sessions that started before this hour: a comparison with "today so far".
    end_before_hour: int | None = None
    comparison: Period | None = None

    def __post_init__(self) -> None:
        Period(self.start, self.end, self.end_before_hour)  # refuses a range that ends before it starts

    @property
    def days(self) -> int:
        return self.period.days

    @property
    def period(self) -> Period:
        return Period(self.start, self.end, self.end_before_hour)

    def compared(self) -> Filters | None:
        """The comparison period with the same device type and channel, when there is one."""
        if self.comparison is None:
            return None
        return replace(
            self,
            start=self.comparison.start,
            end=self.comparison.end,
            end_before_hour=self.comparison.end_before_hour,
            comparison=None,
        )


def chosen_filters(
    name: Preset,
    comparison: Comparison,
    now: datetime,
    *,
    custom: Period | None = None,
    device_type: str | None = None,
    channel: str | None = None,
) -> Filters:
    """What a period preset (Custom: the `custom` days) and a comparison choice select, `now` being the reporting
    zone's wall clock: the dashboard's sidebar, the owner's report and the benchmarks' ranges all ask this."""
    period = custom if name == "custom" and custom is not None else preset_period(name, now.date())
    return Filters(period.start, period.end, device_type, channel, comparison=compared_period(period, comparison, now))


def mart_conditions(filters: Filters, day_column: str, sliced: bool) -> sql.Composable:
    """Filters on a daily mart: the range, and device type and channel when the mart has them (`sliced`)."""
    parts: list[sql.Composable] = [sql.SQL("{} between %(start)s and %(end)s").format(sql.Identifier(day_column))]
    if sliced and filters.device_type is not None:
        parts.append(sql.SQL("device_type = %(device_type)s"))
    if sliced and filters.channel is not None:
        parts.append(sql.SQL("channel = %(channel)s"))
    return sql.SQL(" and ").join(parts)


def cut_conditions(filters: Filters) -> tuple[sql.Composable, sql.Composable]:
    """The WHERE clauses of a period over marts.sessions_daily and over marts.orders: with `end_before_hour` (a
    comparison with "today so far"), the last day's sessions that started from that hour on, and their orders, are
    left out. Parameters: `filter_params(filters, end_before_hour=..., timezone=...)`."""
    conditions = mart_conditions(filters, "session_date", sliced=True)
    if filters.end_before_hour is None:
        return conditions, conditions
    cut = sql.SQL(" and not (session_date = %(end)s and session_hour >= %(end_before_hour)s)")
    # An order counts with its session: marts.orders has no session hour, marts.sessions has its start.
    order_cut = sql.SQL(
        " and session_key not in (select session_key from marts.sessions where session_date = %(end)s"
        " and extract(hour from session_start at time zone %(timezone)s) >= %(end_before_hour)s)"
    )
    return sql.Composed([conditions, cut]), sql.Composed([conditions, order_cut])


def filter_params(filters: Filters, **extra: Any) -> dict[str, Any]:
    return {
        "start": filters.start,
        "end": filters.end,
        "device_type": filters.device_type,
        "channel": filters.channel,
        **extra,
    }
