"""What the report says, read through the dashboard's data layer only (dashboard/data/), so every number is the
one the dashboard shows for the same days: Overview's KPIs against the comparison period, Products' rows,
Acquisition's channels and Data health's totals and freshness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from dashboard.data.acquisition import acquisition
from dashboard.data.health import HealthData, health
from dashboard.data.overview import OverviewData, overview
from dashboard.data.products import products
from dashboard.filters import Filters, chosen_filters
from dashboard.periods import DEFAULT_COMPARISON, Preset
from dashboard.warehouse import Row, Warehouse

ReportPeriod = Literal["day", "week"]
REPORT_PERIODS: tuple[ReportPeriod, ...] = get_args(ReportPeriod)
# day: yesterday; week: the last 7 complete days. Both as the dashboard's presets, compared as it compares.
_PRESETS: dict[ReportPeriod, Preset] = {"day": "yesterday", "week": "last_7_days"}
TOP_PRODUCTS = 5


@dataclass(frozen=True)
class Summary:
    period: ReportPeriod
    filters: Filters
    overview: OverviewData
    # The best sellers by revenue (then units, views), Products' rows.
    top_products: list[Row]
    # Acquisition's channel rows, most sessions first; and the comparison period's, by channel.
    channels: list[Row]
    previous_channels: dict[str, Row]
    health: HealthData
    # Data health's modelled events in the comparison period (None: compared with nothing).
    previous_events: int | None
    # The reporting zone's wall clock when the report was made, and the zone.
    made_at: datetime
    timezone: str

    @property
    def events(self) -> int:
        return int(self.health.totals["modelled_events"])


def report_filters(period: ReportPeriod, now: datetime) -> Filters:
    """The days of `period` on the reporting zone's day of `now`, compared as the dashboard compares them."""
    return chosen_filters(_PRESETS[period], DEFAULT_COMPARISON, now)


def summarise(warehouse: Warehouse, period: ReportPeriod, now: datetime) -> Summary:
    """Every number of the report for `period`, `now` being the reporting zone's wall clock."""
    filters = report_filters(period, now)
    compared = filters.compared()
    shown = overview(warehouse, filters)
    sold = sorted(
        (row for row in products(warehouse, filters).products if row["purchases"]),
        key=lambda row: (-(row["revenue"] or 0), -(row["units"] or 0), -(row["views"] or 0), row["product_id"]),
    )
    channels = acquisition(warehouse, filters)["channel"]
    previous_channels: dict[str, Row] = {}
    previous_events: int | None = None
    if compared is not None:
        previous_channels = {row["value"]: row for row in acquisition(warehouse, compared)["channel"]}
        previous_events = int(health(warehouse, compared).totals["modelled_events"])
    return Summary(
        period=period,
        filters=filters,
        overview=shown,
        top_products=sold[:TOP_PRODUCTS],
        channels=channels,
        previous_channels=previous_channels,
        health=health(warehouse, filters),
        previous_events=previous_events,
        made_at=now,
        timezone=warehouse.settings.reporting_timezone,
    )
