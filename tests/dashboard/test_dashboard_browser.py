"""The dashboard in a real browser (Debian's chromium through playwright), served by `clickstream dashboard` as
the `dashboard` role from marts the real pipeline built: every page renders with data and no console error, a
filter changes the numbers, and Overview's and Funnel's numbers are those SQL reads straight from the marts.
Screenshots of every page go to test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from support.dashboard_kit import dashboard_env, serving

from local_only.postgres import free_port
from local_only.roles import RoleWarehouse
from warehouse.rows import one_row

pytestmark = pytest.mark.e2e

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


class Marts:
    """The marts read directly, as the admin: the numbers the dashboard must show."""

    def __init__(self, built: RoleWarehouse) -> None:
        self.conn = psycopg2.connect(built.admin.dsn())
        self.conn.autocommit = True

    def row(self, query: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        with self.conn.cursor() as cursor:
            cursor.execute(query, params)
            return one_row(cursor)

    def close(self) -> None:
        self.conn.close()


@pytest.fixture(scope="module")
def marts(built_marts: RoleWarehouse) -> Iterator[Marts]:
    reader = Marts(built_marts)
    yield reader
    reader.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.console_problems = []
    tab.on("console", lambda message: message.type == "error" and tab.console_problems.append(message.text))
    tab.on("pageerror", lambda error: tab.console_problems.append(str(error)))
    yield tab
    context.close()


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => window.Shiny && window.Shiny.initializedPromise")
    page.evaluate("() => window.Shiny.initializedPromise")


def _wait_idle(page: Any) -> None:
    """Until the server is idle and no output of the page in view is recalculating (Shiny's classes for both)."""
    page.wait_for_function(
        "() => !document.documentElement.classList.contains('shiny-busy')"
        " && document.querySelectorAll('.tab-pane.active .recalculating').length === 0"
    )


def _text(page: Any, selector: str) -> str:
    locator = page.locator(selector).first
    locator.wait_for(state="visible")
    return locator.inner_text().strip()


def _count(text: str) -> int:
    return int(text.replace(",", ""))


def _date_range(page: Any) -> tuple[str, str]:
    inputs = page.locator("#dates input")
    return inputs.nth(0).input_value(), inputs.nth(1).input_value()


def test_every_page_renders_with_data_and_no_console_error(dashboard_url: str, page: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    _open(page, dashboard_url)
    for title, evidence in PAGES.items():
        page.get_by_role("tab", name=title).click()
        for selector in evidence:
            page.locator(selector).first.wait_for(state="visible", timeout=30_000)
        _wait_idle(page)
        panel = page.locator(".tab-pane.active")
        assert panel.locator(".shiny-output-error").count() == 0, title
        assert panel.locator(".alert-warning").count() == 0, panel.locator(".alert-warning").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{title.lower().replace(' ', '-')}.png"), full_page=True)
    assert page.console_problems == []


def test_a_reload_and_a_second_tab_show_the_same_numbers(dashboard_url: str, page: Any, marts: Marts) -> None:
    """With the production query cache on, a reload and another tab answer from it and still show the marts."""
    _open(page, dashboard_url)
    start, end = _date_range(page)
    (sessions,) = marts.row(
        "select sum(sessions) from marts.traffic_daily where session_date between %s and %s", (start, end)
    )
    first = _count(_text(page, "[data-kpi=sessions]"))
    page.reload()
    _open(page, dashboard_url)
    reloaded = _count(_text(page, "[data-kpi=sessions]"))
    second = page.context.new_page()
    _open(second, dashboard_url)
    other_tab = _count(_text(second, "[data-kpi=sessions]"))
    assert first == reloaded == other_tab == sessions
    assert _date_range(second) == (start, end)


def test_overview_numbers_are_the_marts_numbers(dashboard_url: str, page: Any, marts: Marts) -> None:
    _open(page, dashboard_url)
    start, end = _date_range(page)
    sessions, page_views, bounces, converted, revenue = marts.row(
        "select sum(sessions), sum(page_views), sum(bounces), sum(converted_sessions), sum(revenue) "
        "from marts.traffic_daily where session_date between %s and %s",
        (start, end),
    )
    users, new_users, duration = marts.row(
        "select count(distinct visitor_id), count(distinct visitor_id) filter (where is_first_visit), "
        "avg(duration_seconds) from marts.sessions where not is_bot and session_date between %s and %s",
        (start, end),
    )
    assert sessions > 100
    assert _count(_text(page, "[data-kpi=sessions]")) == sessions
    assert _count(_text(page, "[data-kpi=page_views]")) == page_views
    assert _count(_text(page, "[data-kpi=users]")) == users
    assert _count(_text(page, "[data-kpi=new_users]")) == new_users
    assert _count(_text(page, "[data-kpi=returning_users]")) == users - new_users
    assert _text(page, "[data-kpi=bounce_rate]") == f"{bounces / sessions * 100:.1f}%"
    assert _text(page, "[data-kpi=conversion_rate]") == f"{converted / sessions * 100:.1f}%"
    assert _text(page, "[data-kpi=revenue]") == f"{revenue:,.2f}"
    minutes, seconds = divmod(round(duration), 60)
    assert _text(page, "[data-kpi=average_session_duration_seconds]") in (f"{minutes}m {seconds:02d}s", f"{seconds}s")


def test_funnel_numbers_are_the_marts_numbers(dashboard_url: str, page: Any, marts: Marts) -> None:
    _open(page, dashboard_url)
    start, end = _date_range(page)
    page.get_by_role("tab", name="Funnel").click()
    (total,) = marts.row(
        "select sum(slice_sessions) from marts.funnel_steps_daily "
        "where step_number = 1 and session_date between %s and %s",
        (start, end),
    )
    assert _count(_text(page, "[data-funnel-total=sessions]")) == total
    before = total
    for step in ("view_product", "add_to_cart", "begin_checkout", "purchase"):
        (reached,) = marts.row(
            "select sum(sessions) from marts.funnel_steps_daily "
            "where step_name = %s and session_date between %s and %s",
            (step, start, end),
        )
        assert _count(_text(page, f"[data-funnel-sessions={step}]")) == reached, step
        assert _text(page, f"[data-funnel-conversion={step}]") == f"{reached / before * 100:.1f}%", step
        assert _count(_text(page, f"[data-funnel-dropped={step}]")) == before - reached, step
        before = reached
    assert before > 0, "no purchase in the generated traffic"


def test_a_filter_changes_the_numbers_to_the_slices_numbers(dashboard_url: str, page: Any, marts: Marts) -> None:
    _open(page, dashboard_url)
    start, end = _date_range(page)
    everyone = _count(_text(page, "[data-kpi=sessions]"))
    (device,) = marts.row(
        "select device_type from marts.funnel_steps_daily where step_number = 1 "
        "group by device_type order by sum(slice_sessions) desc limit 1"
    )
    (expected,) = marts.row(
        "select sum(slice_sessions) from marts.funnel_steps_daily "
        "where step_number = 1 and device_type = %s and session_date between %s and %s",
        (device, start, end),
    )
    page.select_option("#device_type", device)
    page.wait_for_function(
        "(before) => document.querySelector('[data-kpi=sessions]')?.innerText.trim() !== before",
        arg=_text(page, "[data-kpi=sessions]"),
    )
    _wait_idle(page)
    shown = _count(_text(page, "[data-kpi=sessions]"))
    assert 0 < shown < everyone
    assert shown == expected
    page.get_by_role("tab", name="Funnel").click()
    assert _count(_text(page, "[data-funnel-total=sessions]")) == expected
    assert page.console_problems == []


def _state_page(page: Any, url: str) -> str:
    page.goto(url)
    return page.locator("body").inner_text()


def test_marts_without_rows_show_no_data_yet(empty_marts: RoleWarehouse, page: Any, tmp_path: Path) -> None:
    with serving(dashboard_env(empty_marts), tmp_path / "dashboard.log") as url:
        text = _state_page(page, url)
    assert "No data yet" in text
    assert page.locator("[data-state=empty]").count() == 1
    assert "Traceback" not in text
    page.screenshot(path=str(ARTIFACTS / "dashboard-state-empty.png"))


def test_a_warehouse_without_marts_shows_no_data_yet(unbuilt: RoleWarehouse, page: Any, tmp_path: Path) -> None:
    with serving(dashboard_env(unbuilt), tmp_path / "dashboard.log") as url:
        text = _state_page(page, url)
    assert "No data yet" in text
    assert page.locator("[data-state=no_marts]").count() == 1
    assert "clickstream transform" in text


def test_a_warehouse_that_is_down_shows_a_clear_message(built_marts: RoleWarehouse, page: Any, tmp_path: Path) -> None:
    closed_port = str(free_port())
    env = {**dashboard_env(built_marts), "DW_PG_PORT": closed_port}
    with serving(env, tmp_path / "dashboard.log") as url:
        text = _state_page(page, url)
    assert "The warehouse is not answering" in text
    assert f"127.0.0.1:{closed_port}" in text
    assert page.locator("[data-state=down]").count() == 1
    assert "Traceback" not in text and "psycopg2" not in text
    page.screenshot(path=str(ARTIFACTS / "dashboard-state-down.png"))
