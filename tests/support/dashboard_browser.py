"""Driving the served dashboard in chromium (playwright): open it, wait until Shiny is idle, show a page once its
evidence is drawn. Shared by the dashboard's browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Each page's navbar title, and what shows it rendered with data.
PAGES = {
    "Overview": ["[data-kpi=sessions]", "#chart-overview-daily .main-svg", "#chart-overview-hourly .main-svg"],
    "Funnel": ["[data-funnel-sessions=purchase]", "#chart-funnel .main-svg", "#chart-funnel-split .main-svg"],
    "Products": ["#chart-products-top .main-svg", "#chart-products-categories .main-svg", ".shiny-data-grid tbody tr"],
    "Acquisition": ["#chart-acquisition-channels .main-svg", "table[data-breakdown=country] tbody tr"],
    "Journeys": ["#chart-journeys-sankey .main-svg", "table[data-pages=landing] tbody tr"],
    "Retention": ["#chart-retention .main-svg"],
    "Data health": ["[data-health=data-up-to]", "#chart-health-refusals .main-svg", "#chart-health-lag .main-svg"],
}


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
