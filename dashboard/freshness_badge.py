"""The "data up to HH:MM" badge every page shows in its header: how far the marts reach, not when a job last ran.

It is worked out when a page is served (the marts change once an hour, and the query is cached with the rest).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shiny import ui

from dashboard.data.health import freshness
from dashboard.warehouse import MartsMissing, Warehouse
from warehouse.connection import WarehouseUnreachable


def data_up_to_text(moment: datetime | None, now: datetime, timezone: str) -> str:
    """`data up to 14:05` in the reporting timezone; the date too when it is not today's there."""
    if moment is None:
        return "no data yet"
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    when = f"{local:%H:%M}" if local.date() == now.astimezone(zone).date() else f"{local:%Y-%m-%d %H:%M}"
    return f"data up to {when} ({timezone})"


def freshness_badge(warehouse: Warehouse, now: datetime, timezone: str, stale_after: timedelta) -> ui.Tag:
    """A small badge: green while the newest modelled event is younger than `stale_after`, else red."""
    try:
        moment = freshness(warehouse).newest_modelled_at
    except (MartsMissing, WarehouseUnreachable):
        moment = None
    stale = moment is None or now - moment > stale_after
    return ui.span(
        data_up_to_text(moment, now, timezone),
        class_=f"badge {'text-bg-danger' if stale else 'text-bg-success'}",
        title="The newest event the marts hold (when the ingest received it)",
        data_freshness="data-up-to",
        data_newest=moment.isoformat() if moment is not None else "",
        data_stale=str(stale).lower(),
    )
