"""Driving the served dashboard in chromium (playwright): open it, wait until Shiny is idle, show a page once its
evidence is drawn. Shared by the dashboard's browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2

from dashboard.periods import Period, describe
from local_only.roles import RoleWarehouse
from warehouse.rows import one_row

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Each page's navbar title, and what shows it rendered with data.
PAGES = {
    "Overview": [
        "[data-kpi=sessions]",
        "#chart-overview-trend .main-svg",
        "#chart-overview-daily .main-svg",
        "#chart-overview-hourly .main-svg",
    ],
    "Funnel": ["[data-funnel-sessions=purchase]", "#chart-funnel .main-svg", "#chart-funnel-split .main-svg"],
    "Products": [
        "#chart-products-top .main-svg",
        "#chart-products-categories .main-svg",
        "table[data-table=products] tbody tr",
    ],
    "Acquisition": ["#chart-acquisition-channels .main-svg", "table[data-breakdown=country] tbody tr"],
    "Journeys": ["#chart-journeys-sankey .main-svg", "table[data-pages=landing] tbody tr"],
    "Retention": ["#chart-retention .main-svg"],
    "Data health": ["[data-health=data-up-to]", "#chart-health-refusals .main-svg", "#chart-health-lag .main-svg"],
}


class Marts:
    """The marts read directly, as the admin: the numbers the dashboard must show."""

    def __init__(self, built: RoleWarehouse) -> None:
        self.conn = psycopg2.connect(built.admin.dsn())
        self.conn.autocommit = True

    def row(self, query: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        with self.conn.cursor() as cursor:
            cursor.execute(query, params)
            return one_row(cursor)

    def rows(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cursor:
            cursor.execute(query, params)
            return list(cursor.fetchall())

    def close(self) -> None:
        self.conn.close()


def open_dashboard(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => window.Shiny && window.Shiny.initializedPromise")
    page.evaluate("() => window.Shiny.initializedPromise")


def wait_idle(page: Any) -> None:
    """Until the server is idle and no output of the page in view is recalculating (Shiny's classes for both)."""
    page.wait_for_function(
        "() => !document.documentElement.classList.contains('shiny-busy')"
        " && document.querySelectorAll('.tab-pane.active .recalculating').length === 0"
    )


def wait_drawn(page: Any, title: str) -> None:
    """Until the page `title` (already chosen) shows its evidence and nothing on it is recalculating."""
    for selector in PAGES[title]:
        page.locator(selector).first.wait_for(state="visible", timeout=30_000)
    wait_idle(page)


def screenshot_name(title: str, size: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"dashboard-{title.lower().replace(' ', '-')}-{size}.png"


@contextmanager
def watched_tab(browser: Any, **options: Any) -> Iterator[Any]:
    """A tab in a context of its own (`options`: viewport, touch, downloads); no script error on it by the end."""
    context = browser.new_context(**options)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    yield tab
    context.close()
    assert problems == []


def choose(page: Any, preset: str, compare: str, current: Period, compared: Period | None) -> None:
    """Pick the period and the comparison; return once Overview says it shows them."""
    page.select_option("#preset", preset)
    page.select_option("#compare", compare)
    against = "compared with nothing" if compared is None else f"vs {describe(compared)}"
    page.wait_for_function(
        "([shown, against]) => document.querySelector('[data-period=current]')?.innerText === shown"
        " && document.querySelector('[data-period=comparison]')?.innerText === against",
        arg=[describe(current), against],
    )
    wait_idle(page)
