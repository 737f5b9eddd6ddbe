"""Overview: the owner's KPIs first (revenue, orders, AOV, conversion, sessions, returning customers), each beside
the comparison period with a coloured change and a sparkline; a revenue and orders trend with the comparison
overlaid; then the traffic numbers and the daily and hour-of-day trends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from shiny import Inputs, Outputs, Session, module, reactive, render, ui

from dashboard import charts, formatting
from dashboard.csv_export import to_csv
from dashboard.data.overview import OverviewData, ShopTruth, every_day, overview, shop_truth
from dashboard.filters import Filters
from dashboard.pages.csv_download import card_header, csv_download, download_control
from dashboard.pages.loading import Problem, attempt, when_loaded
from dashboard.periods import describe
from dashboard.rates import RATE_MIN_SAMPLE
from dashboard.sparkline import sparkline
from dashboard.warehouse import Row, Warehouse


@dataclass(frozen=True)
class Kpi:
    key: str
    title: str
    fmt: Callable[[float | None], str]
    # A fall is good news (bounce rate): its change is green when it falls.
    lower_is_better: bool = False
    # What a small sample is counted in, for the note ("over 12 orders"); None: not a rate.
    sample_of: str | None = None


# The owner's numbers first, revenue first (issue 16), then the traffic's.
KPIS: tuple[Kpi, ...] = (
    Kpi("revenue", "Revenue", formatting.money),
    Kpi("orders", "Orders", formatting.count),
    Kpi("average_order_value", "Avg. order value", formatting.money, sample_of="orders"),
    Kpi("conversion_rate", "Conversion rate", formatting.percent, sample_of="sessions"),
    Kpi("sessions", "Sessions", formatting.count),
    Kpi("returning_customer_rate", "Returning customers", formatting.percent, sample_of="customers"),
    Kpi("users", "Users", formatting.count),
    Kpi("new_users", "New users", formatting.count),
    Kpi("returning_users", "Returning users", formatting.count),
    Kpi("page_views", "Page views", formatting.count),
    Kpi("bounce_rate", "Bounce rate", formatting.percent, lower_is_better=True, sample_of="sessions"),
    Kpi("average_session_duration_seconds", "Avg. session duration", formatting.duration),
)
# The KPIs with a sparkline: those counted per day (dashboard/data/overview.py, `daily`).
SPARKLINES = {"revenue", "orders", "average_order_value", "conversion_rate", "sessions", "returning_customer_rate"}
SPARKLINES |= {"users", "page_views", "bounce_rate"}
TONE_CLASSES = {"good": "text-success", "bad": "text-danger", "neutral": "text-muted"}


@module.ui
def page_ui() -> ui.TagChild:
    return ui.div(
        ui.div(download_control("kpis_csv"), class_="d-flex justify-content-end mb-1"),
        ui.output_ui("kpis"),
        ui.output_ui("shop"),
        ui.card(card_header("Revenue and orders", "trend_csv"), ui.output_ui("trend")),
        ui.layout_columns(
            ui.card(card_header("Daily", "daily_csv"), ui.output_ui("daily")),
            ui.card(card_header("Hour of day", "hourly_csv"), ui.output_ui("hourly")),
            col_widths=(7, 5),
        ),
    )


def small_sample(kpi: Kpi, data: OverviewData) -> int | None:
    """The rate's denominator when it is below RATE_MIN_SAMPLE (the dbt var rate_min_sample), else None."""
    if kpi.sample_of is None:
        return None
    sample = int(data.current.get(f"{kpi.key}_sample") or 0)
    return sample if sample < RATE_MIN_SAMPLE else None


def kpi_box(kpi: Kpi, data: OverviewData, filters: Filters) -> ui.Tag:
    current = data.current.get(kpi.key)
    title = kpi.title
    if kpi.fmt is formatting.money and data.currency:
        # Every revenue is in the build's reporting_currency (orders in others converted: docs/metrics.md).
        title = f"{title} ({data.currency})"
    sample = small_sample(kpi, data)
    parts: list[ui.TagChild] = []
    if data.previous is not None:
        previous = data.previous.get(kpi.key)
        # A change over a small sample is noise: shown, never coloured.
        tone = (
            "neutral"
            if sample is not None
            else formatting.change_tone(current, previous, lower_is_better=kpi.lower_is_better)
        )
        parts.append(
            ui.span(
                f"vs {kpi.fmt(previous)} (",
                ui.span(
                    formatting.change(current, previous), class_=f"kpi-change {TONE_CLASSES[tone]}", data_tone=tone
                ),
                ")",
                class_="kpi-previous small",
                data_kpi_previous=kpi.key,
            )
        )
    if sample is not None:
        parts.append(
            ui.div(
                f"small sample: over {formatting.count(sample)} {kpi.sample_of} (fewer than {RATE_MIN_SAMPLE})",
                class_="text-muted small",
                data_small_sample=kpi.key,
            )
        )
    if kpi.key in SPARKLINES:
        parts.append(ui.div(sparkline(kpi.key, every_day(filters, data.daily, kpi.key)), class_="text-primary"))
    value_class = "kpi-value text-muted" if sample is not None else "kpi-value"
    return ui.value_box(title, ui.span(kpi.fmt(current), class_=value_class, data_kpi=kpi.key), *parts)


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
            "metric": kpi.key,
            "value": data.current.get(kpi.key),
            "comparison_value": None if data.previous is None else data.previous.get(kpi.key),
            "currency": (data.currency or currency) if kpi.fmt is formatting.money else None,
        }
        for kpi in KPIS
    ]
    return to_csv(rows, {key: key for key in ("metric", "value", "comparison_value", "currency")})


def hours_of_day(data: OverviewData) -> list[Row]:
    """Sessions for each of the 24 hours, the hours without any as 0 (as the chart draws them)."""
    by_hour = {row["hour"]: row["sessions"] for row in data.hourly}
    return [{"hour": hour, "sessions": by_hour.get(hour, 0)} for hour in range(24)]


def coverage_badge(truth: ShopTruth, warn_below: float) -> ui.Tag:
    """The share of the shop's orders the tracker saw, amber with a warning below `warn_below` (the setting
    DASHBOARD_COVERAGE_WARNING_BELOW)."""
    coverage = truth.order_coverage
    low = coverage is not None and coverage < warn_below
    parts: list[ui.TagChild] = [
        ui.span(
            f"of the shop's orders ({formatting.count(truth.tracked_orders)} of {formatting.count(truth.orders)})",
            class_="small",
        )
    ]
    if truth.revenue_coverage is not None:
        parts.append(ui.div(f"{formatting.percent(truth.revenue_coverage)} of their revenue", class_="small"))
    if low:
        parts.append(
            ui.div(
                f"Below {formatting.percent(warn_below)}: the tracker misses orders (ad blockers, declined consent, a "
                "broken tag); tracked figures are low by as much (docs/metrics.md).",
                class_="small fw-semibold",
                data_coverage_warning="true",
            )
        )
    return ui.value_box(
        "Tracking coverage",
        ui.span(formatting.percent(coverage), class_="kpi-value", data_kpi="tracking_coverage"),
        *parts,
        theme="warning" if low else None,
        data_coverage_state="low" if low else "ok",
    )


def shop_cards(truth: ShopTruth, data: OverviewData, warn_below: float) -> ui.Tag:
    """Net revenue and orders from the shop's database beside the tracked ones, and the coverage badge; or, without
    a shop database, a note saying so (never a 0 that reads as no sales)."""
    if not truth.connected:
        return ui.p(
            "No shop database is connected, so net revenue, shop orders and tracking coverage are not shown: "
            "set SHOP_DATABASE_URL (docs/shop-database.md).",
            class_="text-muted small",
            data_shop_state="not-connected",
        )
    currency = truth.currency or data.currency
    money_title = f"Net revenue ({currency})" if currency else "Net revenue"
    tracked_revenue = formatting.money(data.current.get("revenue"))
    boxes = [
        ui.value_box(
            money_title + ", shop",
            ui.span(formatting.money(truth.net_revenue), class_="kpi-value", data_kpi="shop_net_revenue"),
            ui.span(f"tracked: {tracked_revenue}", class_="small", data_beside="shop_net_revenue"),
            ui.div(f"gross {formatting.money(truth.gross_revenue)}, after refunds and cancellations", class_="small"),
        ),
        ui.value_box(
            "Orders, shop",
            ui.span(formatting.count(truth.orders), class_="kpi-value", data_kpi="shop_orders"),
            ui.span(
                f"tracked: {formatting.count(data.current.get('orders'))}", class_="small", data_beside="shop_orders"
            ),
        ),
        coverage_badge(truth, warn_below),
    ]
    shown: list[ui.TagChild] = [ui.layout_column_wrap(*boxes, width="220px", fill=False)]
    if truth.orders_without_rate:
        shown.append(
            ui.p(
                f"{formatting.count(truth.orders_without_rate)} shop order(s) in a currency without a rate in "
                "currency_rates are left out of net revenue (docs/metrics.md).",
                class_="text-warning small",
            )
        )
    return ui.div(ui.h6("From the shop's database", class_="mt-2"), *shown, data_shop_state="connected")


def trend_rows(data: OverviewData) -> list[Row]:
    """The trend chart's days: the range's, then the comparison period's (the dashed lines)."""
    return [
        {"period": period, "day": row["day"], "revenue": row.get("revenue"), "orders": row.get("orders")}
        for period, rows in (("current", data.daily), ("comparison", data.previous_daily or []))
        for row in rows
    ]


HOURLY_COLUMNS = {"hour": "hour", "sessions": "sessions"}
TREND_COLUMNS = {key: key for key in ("period", "day", "revenue", "orders")}
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
    csv_download(
        "trend_csv",
        "overview-trend",
        filters,
        data,
        lambda d: to_csv(trend_rows(d), TREND_COLUMNS, d.currency or currency),
    )

    @render.ui
    @when_loaded(data)
    def kpis(loaded: OverviewData) -> ui.TagChild:
        chosen = filters()
        shown = [
            comparison_note(chosen),
            ui.layout_column_wrap(*(kpi_box(kpi, loaded, chosen) for kpi in KPIS), width="220px", fill=False),
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

    @reactive.calc
    def shop_data() -> tuple[ShopTruth, OverviewData] | Problem:
        tracked = data()
        if isinstance(tracked, Problem):
            return tracked
        truth = attempt(lambda: shop_truth(warehouse, filters()))
        return truth if isinstance(truth, Problem) else (truth, tracked)

    @render.ui
    @when_loaded(shop_data)
    def shop(loaded: tuple[ShopTruth, OverviewData]) -> ui.TagChild:
        truth, tracked = loaded
        return shop_cards(truth, tracked, warehouse.settings.coverage_warning_below)

    @render.ui
    @when_loaded(data)
    def trend(loaded: OverviewData) -> ui.TagChild:
        chosen = filters()
        compared = chosen.compared()
        days = [chosen.start + offset for offset in _offsets(chosen)]
        revenue = f"Revenue ({loaded.currency})" if loaded.currency else "Revenue"

        def series(period: Filters, rows: list[dict[str, object]]) -> dict[str, list[float | None]]:
            return {
                revenue: [value or 0 for value in every_day(period, rows, "revenue")],
                "Orders": [value or 0 for value in every_day(period, rows, "orders")],
            }

        return charts.trend_with_comparison(
            "overview-trend",
            "Revenue and orders by day" + ("" if compared is None else ", the comparison period dashed"),
            days,
            series(chosen, loaded.daily),
            None if compared is None else [compared.start + offset for offset in _offsets(compared)],
            None if compared is None or loaded.previous_daily is None else series(compared, loaded.previous_daily),
            secondary="Orders",
        )

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


def _offsets(filters: Filters) -> list[timedelta]:
    return [timedelta(days=offset) for offset in range(filters.days)]
