"""The shop owner's dashboard: Shiny for Python (Core), one module per page, reading only the marts.

``clickstream dashboard`` serves this App (``shiny run shiny/app.py`` does too). This folder must never become a
package (no ``__init__.py``): it would shadow the Shiny library; the code it runs lives in ``dashboard/``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import plotly
from shiny import App, Inputs, Outputs, Session, reactive, render, req, ui
from starlette.requests import Request

from dashboard.data.status import WarehouseStatus, status
from dashboard.filters import Filters, chosen_filters
from dashboard.freshness_badge import freshness_badge
from dashboard.pages import acquisition, funnel, health, journeys, overview, products, retention
from dashboard.periods import (
    COMPARISONS,
    DEFAULT_COMPARISON,
    DEFAULT_PRESET,
    PRESETS,
    Period,
    comparison_kind,
    default_period,
    describe,
    preset,
    preset_period,
    preset_starts,
)
from dashboard.responsive import filters_bar
from dashboard.responsive import head as responsive_head
from dashboard.settings import DashboardSettings, get_settings
from dashboard.warehouse import Warehouse
from warehouse.connection import WarehouseSettings

# id, navbar title, module
PAGES = (
    ("overview", "Overview", overview),
    ("funnel", "Funnel", funnel),
    ("products", "Products", products),
    ("acquisition", "Acquisition", acquisition),
    ("journeys", "Journeys", journeys),
    ("retention", "Retention", retention),
    ("health", "Data health", health),
)
# Served by the app itself: the dashboard runs where the internet may be out of reach (a private subnet).
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
ALL = ""
# No favicon file to fetch: a browser's request for one would 404 and log a console error on every page.
NO_FAVICON = ui.tags.link(rel="icon", href="data:,")

SETTINGS: DashboardSettings = get_settings()
WAREHOUSE = Warehouse(WarehouseSettings(), SETTINGS)


def message_page(found: WarehouseStatus) -> ui.Tag:
    """What a warehouse with nothing to show, or one that is down, looks like: a plain page, no traceback."""
    headings = {
        "empty": "No data yet",
        "no_marts": "No data yet",
        "down": "The warehouse is not answering",
    }
    hints = {
        "empty": "Once the hourly load and transform have run, this page shows the shop's numbers.",
        "no_marts": "Run `clickstream transform` (or `make demo`) to build the marts; then reload this page.",
        "down": "Check that PostgreSQL is running and that DW_PG_* point at it; then reload this page.",
    }
    return ui.page_fillable(
        ui.head_content(NO_FAVICON),
        ui.card(
            ui.card_header(ui.h2(headings[found.state])),
            ui.p(found.message),
            ui.p(hints[found.state], class_="text-muted"),
            data_state=found.state,
            class_="mx-auto mt-5",
            style="max-width: 46rem",
        ),
        title="Clickstream dashboard",
    )


Name = TypeVar("Name", bound=str)


def _choices(labels: Mapping[Name, str]) -> dict[str, str]:
    # A dict keyed by a Literal is not the dict[str, str] shiny's choices are typed as (dict is invariant).
    return {str(name): label for name, label in labels.items()}


def filters_sidebar(found: WarehouseStatus) -> ui.Sidebar:
    now = SETTINGS.current_time()
    default = default_period(now.date())
    zone = SETTINGS.reporting_timezone
    return ui.sidebar(
        ui.input_select("preset", "Period", _choices(PRESETS), selected=DEFAULT_PRESET),
        ui.input_date_range(
            "dates",
            "Dates",
            start=default.start,
            end=default.end,
            # Every preset's days can be shown, data or not (a new shop's last 90 days start before its first).
            min=min(day for day in (found.first_day, *preset_starts(now.date())) if day is not None),
            max=max(day for day in (found.last_day, now.date()) if day is not None),
        ),
        ui.input_select("compare", "Compare to", _choices(COMPARISONS), selected=DEFAULT_COMPARISON),
        ui.input_select("device_type", "Device type", {ALL: "All devices", **{d: d for d in found.device_types}}),
        ui.input_select("channel", "Channel", {ALL: "All channels", **{c: c for c in found.channels}}),
        ui.p(
            "Days and hours in ",
            ui.strong(zone, data_timezone=zone),
            f" ({now:%H:%M} there now), the build's reporting_timezone (set in dbt_project.yml and "
            "DASHBOARD_REPORTING_TIMEZONE).",
            class_="text-muted small",
        ),
        width=290,
        # A phone opens the filters as a drawer from the bar above each page (dashboard/responsive.py), rather than
        # finding them under the page (page_navbar's default there: always open, below).
        open={"desktop": "open", "mobile": "closed"},
    )


def app_ui(request: Request) -> ui.Tag:
    found = status(WAREHOUSE)
    if found.state != "ready":
        return message_page(found)
    return ui.page_navbar(
        *(ui.nav_panel(title, page.page_ui(page_id), value=page_id) for page_id, title, page in PAGES),
        ui.nav_spacer(),
        ui.nav_control(
            freshness_badge(WAREHOUSE, datetime.now(UTC), SETTINGS.reporting_timezone, SETTINGS.stale_after)
        ),
        title="Clickstream",
        id="page",
        sidebar=filters_sidebar(found),
        header=ui.TagList(
            ui.head_content(NO_FAVICON, ui.include_js(PLOTLY_JS, method="link_files")),
            responsive_head(),
            filters_bar(ui.output_text("filters_summary", inline=True)),
        ),
        window_title="Clickstream dashboard",
    )


def server(input: Inputs, output: Outputs, session: Session) -> None:
    found = status(WAREHOUSE)
    if found.state != "ready":
        return

    @reactive.calc
    def filters() -> Filters:
        # The presets move with the clock: worked out again at the top of each hour.
        reactive.invalidate_later(3600 - time.time() % 3600 + 1)
        now = SETTINGS.current_time()
        chosen, compare = input.preset(), input.compare()
        req(chosen in PRESETS, compare in COMPARISONS)  # anything else did not come from the page's own lists
        custom = None
        if chosen == "custom":
            start, end = input.dates()
            req(start, end)
            custom = Period(min(start, end), max(start, end))
        return chosen_filters(
            preset(chosen),
            comparison_kind(compare),
            now,
            custom=custom,
            device_type=input.device_type() or None,
            channel=input.channel() or None,
        )

    @render.text
    def filters_summary() -> str:
        """What the filters in the phone's drawer are set to, on its bar: "Last 7 days: 3 Mar to 9 Mar 2025, all
        devices, all channels"."""
        chosen = filters()  # after its req(): the preset is one of PRESETS
        slices = ", ".join((chosen.device_type or "all devices", chosen.channel or "all channels"))
        return f"{PRESETS[preset(input.preset())]}: {describe(chosen.period)}, {slices}"

    @reactive.effect
    @reactive.event(input.preset, ignore_init=True)  # the page starts with the default preset's dates
    def _show_the_presets_dates() -> None:
        if input.preset() in PRESETS and input.preset() != "custom":
            period = preset_period(preset(input.preset()), SETTINGS.current_time().date())
            ui.update_date_range("dates", start=period.start, end=period.end)

    @reactive.effect
    @reactive.event(input.dates, ignore_init=True)
    def _dates_of_ones_own_are_custom() -> None:
        start, end = input.dates()
        if start is None or end is None or input.preset() not in PRESETS or input.preset() == "custom":
            return
        if preset_period(preset(input.preset()), SETTINGS.current_time().date()) != Period(start, end):
            ui.update_select("preset", selected="custom")

    for page_id, _title, page in PAGES:
        if page is health:
            health.page_server(page_id, warehouse=WAREHOUSE, filters=filters, stale_after=SETTINGS.stale_after)
        else:
            page.page_server(page_id, warehouse=WAREHOUSE, filters=filters)


app = App(app_ui, server)
