"""Overview: the period's headline numbers beside the period before, and daily and hour-of-day trends."""

from __future__ import annotations

from collections.abc import Callable

from shiny import Inputs, Outputs, Session, module, reactive, render, ui

from dashboard import charts, formatting
from dashboard.data.overview import OverviewData, overview
from dashboard.filters import Filters
from dashboard.pages.loading import Problem, attempt, when_loaded
from dashboard.periods import describe
from dashboard.warehouse import Warehouse

# key, title, formatter
KPIS: tuple[tuple[str, str, Callable[[float | None], str]], ...] = (
    ("sessions", "Sessions", formatting.count),
    ("users", "Users", formatting.count),
    ("new_users", "New users", formatting.count),
    ("returning_users", "Returning users", formatting.count),
    ("page_views", "Page views", formatting.count),
    ("bounce_rate", "Bounce rate", formatting.percent),
    ("average_session_duration_seconds", "Avg. session duration", formatting.duration),
    ("conversion_rate", "Conversion rate", formatting.percent),
    ("orders", "Orders", formatting.count),
    ("revenue", "Revenue", formatting.money),
    ("average_order_value", "Avg. order value", formatting.money),
    ("returning_customer_rate", "Returning customers", formatting.percent),
)


@module.ui
def page_ui() -> ui.TagChild:
    return ui.div(
        ui.output_ui("kpis"),
        ui.layout_columns(
            ui.card(ui.card_header("Daily"), ui.output_ui("daily")),
            ui.card(ui.card_header("Hour of day"), ui.output_ui("hourly")),
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


@module.server
def page_server(
    input: Inputs, output: Outputs, session: Session, warehouse: Warehouse, filters: Callable[[], Filters]
) -> None:
    @reactive.calc
    def data() -> OverviewData | Problem:
        return attempt(lambda: overview(warehouse, filters()))

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
        by_hour = {row["hour"]: row["sessions"] for row in loaded.hourly}
        return charts.bars(
            "overview-hourly",
            "Sessions by hour the session started",
            [f"{hour:02d}" for hour in range(24)],
            [by_hour.get(hour, 0) for hour in range(24)],
        )
