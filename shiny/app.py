"""The shop owner's dashboard: Shiny for Python (Core), one module per page, reading only the marts.

``clickstream dashboard`` serves this App (``shiny run shiny/app.py`` does too). This folder must never become a
package (no ``__init__.py``): it would shadow the Shiny library; the code it runs lives in ``dashboard/``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import plotly
from shiny import App, Inputs, Outputs, Session, reactive, req, ui
from starlette.requests import Request

from dashboard.data_access import Filters, Warehouse, WarehouseStatus, default_filters, status
from dashboard.freshness_badge import freshness_badge
from dashboard.pages import acquisition, funnel, health, journeys, overview, products, retention
from dashboard.settings import DashboardSettings, get_settings
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


def filters_sidebar(found: WarehouseStatus) -> ui.Sidebar:
    defaults = default_filters(found, SETTINGS.default_days)
    return ui.sidebar(
        ui.input_date_range(
            "dates", "Dates", start=defaults.start, end=defaults.end, min=found.first_day, max=found.last_day
        ),
        ui.input_select("device_type", "Device type", {ALL: "All devices", **{d: d for d in found.device_types}}),
        ui.input_select("channel", "Channel", {ALL: "All channels", **{c: c for c in found.channels}}),
        ui.p(
            f"Days in {SETTINGS.reporting_timezone}. Each number is compared with the period of the same length "
            "just before.",
            class_="text-muted small",
        ),
        width=260,
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
        header=ui.head_content(NO_FAVICON, ui.include_js(PLOTLY_JS, method="link_files")),
        window_title="Clickstream dashboard",
    )


def server(input: Inputs, output: Outputs, session: Session) -> None:
    found = status(WAREHOUSE)
    if found.state != "ready":
        return

    @reactive.calc
    def filters() -> Filters:
        start, end = input.dates()
        req(start, end)
        start, end = min(start, end), max(start, end)
        return Filters(start, end, input.device_type() or None, input.channel() or None)

    for page_id, _title, page in PAGES:
        if page is health:
            health.page_server(page_id, warehouse=WAREHOUSE, filters=filters, stale_after=SETTINGS.stale_after)
        else:
            page.page_server(page_id, warehouse=WAREHOUSE, filters=filters)


app = App(app_ui, server)
