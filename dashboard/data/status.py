"""What the warehouse holds: whether there is anything to show, the filters' choices, a range with data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from dashboard.filters import Filters, chosen_filters
from dashboard.periods import Period
from dashboard.warehouse import MartsMissing, Warehouse
from warehouse.connection import WarehouseUnreachable


@dataclass(frozen=True)
class WarehouseStatus:
    state: Literal["ready", "empty", "no_marts", "down"]
    message: str = ""
    first_day: date | None = None
    last_day: date | None = None
    device_types: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()


def status(warehouse: Warehouse) -> WarehouseStatus:
    """Whether there is anything to show, and the filters' choices when there is."""
    try:
        present = warehouse.fetch(
            "status.marts",
            "select to_regclass('marts.sessions_daily') is not null as traffic,"
            " to_regclass('marts.funnel_steps_daily') is not null as funnel",
            {},
        )[0]
        if not (present["traffic"] and present["funnel"]):
            return WarehouseStatus("no_marts", "The marts are not built yet: run the transform (dbt build).")
        days = warehouse.fetch(
            "status.days", "select min(session_date) as first, max(session_date) as last from marts.sessions_daily", {}
        )[0]
        if days["last"] is None:
            return WarehouseStatus("empty", "No data yet: the marts are built but hold no sessions.")
        choices = warehouse.fetch(
            "status.choices",
            "select array_agg(distinct device_type order by device_type) as devices,"
            " array_agg(distinct channel order by channel) as channels from marts.funnel_steps_daily",
            {},
        )[0]
    except MartsMissing as error:
        return WarehouseStatus("no_marts", f"The marts are not built yet: {error}")
    except WarehouseUnreachable as error:
        return WarehouseStatus("down", str(error))
    return WarehouseStatus(
        "ready",
        first_day=days["first"],
        last_day=days["last"],
        device_types=tuple(choices["devices"] or ()),
        channels=tuple(choices["channels"] or ()),
    )


def last_days_with_data(found: WarehouseStatus, days: int) -> Filters:
    """`days` days up to the newest day with data (within what exists), compared with the weeks before them: a
    range over data generated in the past (benchmarks, tests). The dashboard's default is periods.default_period."""
    if found.last_day is None or found.first_day is None:
        raise ValueError("no data: there is no range of days with data")
    period = Period(max(found.first_day, found.last_day - timedelta(days=days - 1)), found.last_day)
    after = datetime.combine(found.last_day + timedelta(days=1), time())
    return chosen_filters("custom", "previous_period", after, custom=period)
