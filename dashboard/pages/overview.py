"""Overview: the period's headline numbers beside the period before, and daily and hour-of-day trends."""

from __future__ import annotations

from collections.abc import Callable

from shiny import Inputs, Outputs, Session, module, reactive, render, ui

from dashboard import charts, formatting
from dashboard.csv_export import to_csv
from dashboard.data.overview import OverviewData, overview
from dashboard.filters import Filters
from dashboard.pages.csv_download import card_header, csv_download, download_control
from dashboard.pages.loading import Problem, attempt, when_loaded
from dashboard.periods import describe
from dashboard.warehouse import Row, Warehouse

# key, title, formatter; the owner's numbers first (revenue leads on a phone too, two boxes a row)
KPIS: tuple[tuple[str, str, Callable[[float | None], str]], ...] = (
    ("revenue", "Revenue", formatting.money),
    ("orders", "Orders", formatting.count),
    ("average_order_value", "Avg. order value", formatting.money),
    ("conversion_rate", "Conversion rate", formatting.percent),
    ("sessions", "Sessions", formatting.count),
    ("returning_customer_rate", "Returning customers", formatting.percent),
    ("users", "Users", formatting.count),
    ("new_users", "New users", formatting.count),
    ("returning_users", "Returning users", formatting.count),
    ("page_views", "Page views", formatting.count),
    ("bounce_rate", "Bounce rate", formatting.percent),
    ("average_session_duration_seconds", "Avg. session duration", formatting.duration),
)


@module.ui
def page_ui() -> ui.TagChild:
    return ui.div(
        ui.div(download_control("kpis_csv"), class_="d-flex justify-content-end mb-1"),
        ui.output_ui("kpis"),
        ui.layout_columns(
            ui.card(card_header("Daily", "daily_csv"), ui.output_ui("daily")),
            ui.card(card_header("Hour of day", "hourly_csv"), ui.output_ui("hourly")),
            col_widths=(7, 5),
        ),
    )


def kpi_box(key: str, title: str, fmt: Callable[[float | None], str], data: OverviewData) -> ui.Tag:
    current = data.current.get(key)
    if fmt is formatting.money and data.currency:
        # Every revenue is in the build's reporting_currency (orders in others converted: docs/metrics.md).
        title = f"{title} ({data.currency})"
    if data.previous is None:
        compared: ui.TagChild = None
    else:
        previous = data.previous.get(key)
        compared = ui.span(
            f"vs {fmt(previous)} ({formatting.change(current, previous)})",
            class_="kpi-previous small",
            data_kpi_previous=key,
        )
    return ui.value_box(title, ui.span(fmt(current), class_="kpi-value", data_kpi=key), compared)


def comparison_note(filters: Filters) -> ui.Tag:
    """Which days the KPIs are, and which days they are compared with."""
    shown = describe(filters.period)
    against = "compared with nothing" if filters.comparison is None else f"vs {describe(filters.comparison)}"
    return ui.p(
        ui.span(shown, data_period="current"),
        ", ",
        ui.span(against, data_period="comparison"),
        class_="text-muted small mb-2",
    )


def kpis_csv(data: OverviewData, currency: str) -> str:
    """Each KPI of the range beside the comparison period's, money with its currency."""
    rows = [
        {
            "metric": key,
            "value": data.current.get(key),
            "comparison_value": None if data.previous is None else data.previous.get(key),
            "currency": (data.currency or currency) if fmt is formatting.money else None,
        }
        for key, _title, fmt in KPIS
    ]
    return to_csv(rows, {key: key for key in ("metric", "value", "comparison_value", "currency")})


def hours_of_day(data: OverviewData) -> list[Row]:
    """Sessions for each of the 24 hours, the hours without any as 0 (as the chart draws them)."""
    by_hour = {row["hour"]: row["sessions"] for row in data.hourly}
    return [{"hour": hour, "sessions": by_hour.get(hour, 0)} for hour in range(24)]


HOURLY_COLUMNS = {"hour": "hour", "sessions": "sessions"}
DAILY_COLUMNS = {key: key for key in ("day", "sessions", "users", "page_views", "converted_sessions", "revenue")}


@module.server
def page_server(
    input: Inputs, output: Outputs, session: Session, warehouse: Warehouse, filters: Callable[[], Filters]
) -> None:
    @reactive.calc
    def data() -> OverviewData | Problem:
        return attempt(lambda: overview(warehouse, filters()))

    currency = warehouse.settings.reporting_currency
    csv_download("kpis_csv", "overview-kpis", filters, data, lambda d: kpis_csv(d, currency))
    csv_download(
        "daily_csv", "overview-daily", filters, data, lambda d: to_csv(d.daily, DAILY_COLUMNS, d.currency or currency)
    )
    csv_download("hourly_csv", "overview-hours", filters, data, lambda d: to_csv(hours_of_day(d), HOURLY_COLUMNS))

    @render.ui
    @when_loaded(data)
    def kpis(loaded: OverviewData) -> ui.TagChild:
        shown = [
            comparison_note(filters()),
            ui.layout_column_wrap(*(kpi_box(*kpi, loaded) for kpi in KPIS), width="220px", fill=False),
        ]
        unconverted = loaded.current.get("orders_without_rate") or 0
        if unconverted:
            # Never added as if they were the reporting currency: counted as orders, left out of revenue and AOV.
            note = (
                f"{formatting.count(unconverted)} order(s) in a currency without a rate in currency_rates are left"
                " out of revenue and average order value (docs/metrics.md)."
            )
            shown.append(ui.p(note, class_="text-warning small", data_kpi_note="orders_without_rate"))
        return ui.div(*shown)

    @render.ui
    @when_loaded(data)
    def daily(loaded: OverviewData) -> ui.TagChild:
        days = [row["day"] for row in loaded.daily]
        return charts.lines(
            "overview-daily",
            "Sessions, users and converted sessions by day",
            days,
            {
                "Sessions": [row["sessions"] for row in loaded.daily],
                "Users": [row["users"] for row in loaded.daily],
                "Converted sessions": [row["converted_sessions"] for row in loaded.daily],
            },
        )

    @render.ui
    @when_loaded(data)
    def hourly(loaded: OverviewData) -> ui.TagChild:
        hours = hours_of_day(loaded)
        return charts.bars(
            "overview-hourly",
            "Sessions by hour the session started",
            [f"{row['hour']:02d}" for row in hours],
            [row["sessions"] for row in hours],
        )
