"""The dashboard on a phone (390x844, touch, Debian's chromium through playwright) and on a laptop (1280x800):
the filters' bar and the first KPI (revenue) show without scrolling, the drawer opens at the top and its choice
changes the numbers, the navbar menu closes once a page is chosen, plotly's toolbar is gone on touch, a finger's
drag over a chart scrolls the page (a mouse's still zooms), a table scrolls sideways. A screenshot of every page at
both sizes goes to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.dashboard_browser import PAGES, open_dashboard, screenshot_name, wait_drawn, wait_idle, watched_tab

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    with watched_tab(browser, **PHONE) as tab:
        yield tab


def in_view(page: Any, selector: str) -> bool:
    """Whether the element is wholly inside the viewport as it is (nothing scrolled)."""
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return bool(
        box and box["y"] >= 0 and box["x"] >= 0 and box["y"] + box["height"] <= size["height"]
        and box["x"] + box["width"] <= size["width"]
    )  # fmt: skip


def choose_page(page: Any, title: str) -> None:
    """As a thumb does on a phone: open the navbar's menu, tap the page."""
    page.locator(".navbar-toggler").tap()
    page.locator(".navbar-collapse.show").wait_for(state="visible")
    page.get_by_role("tab", name=title).tap()
    wait_drawn(page, title)


def test_a_phone_shows_the_filters_and_revenue_first_without_scrolling(dashboard_url: str, phone: Any) -> None:
    open_dashboard(phone, dashboard_url)
    wait_drawn(phone, "Overview")
    assert phone.evaluate("() => [window.scrollY, document.scrollingElement.scrollTop]") == [0, 0]
    assert in_view(phone, "[data-open-filters]"), "the Filters button is at the top"
    assert "Last 7 days: 3 Mar to 9 Mar 2025, all devices, all channels" in phone.locator(".filters-bar").inner_text()
    kpis = phone.locator("#overview-kpis .bslib-value-box")
    assert "Revenue" in kpis.first.inner_text()
    assert in_view(phone, "[data-kpi=revenue]")
    # Two a row: the second box beside the first, the third under them.
    first, second, third = (kpis.nth(place).bounding_box() for place in range(3))
    assert second["y"] == first["y"] and second["x"] > first["x"] + first["width"] / 2
    assert third["y"] > first["y"] + first["height"] / 2 and third["x"] == first["x"]
    # The filters are a drawer: hidden until asked for, then at the top of the screen.
    assert not phone.locator("#preset").is_visible()
    phone.locator("[data-open-filters]").tap()
    phone.locator("#preset").wait_for(state="visible")
    phone.wait_for_function(
        "() => !document.querySelector('.bslib-sidebar-layout').classList.contains('transitioning')"
    )
    assert in_view(phone, "#preset") and in_view(phone, "#device_type")
    before = phone.locator("[data-kpi=sessions]").inner_text()
    phone.select_option("#preset", "yesterday")
    phone.locator(".bslib-sidebar-layout > .collapse-toggle").tap()
    phone.locator("#preset").wait_for(state="hidden")
    phone.wait_for_function(
        "(before) => document.querySelector('[data-kpi=sessions]')?.innerText !== before", arg=before
    )
    wait_idle(phone)
    assert "Yesterday: Sun 9 Mar 2025" in phone.locator(".filters-bar").inner_text()
    assert in_view(phone, "[data-open-filters]")


def test_on_a_phone_the_menu_closes_charts_lose_the_toolbar_and_tables_scroll_sideways(
    dashboard_url: str, phone: Any
) -> None:
    open_dashboard(phone, dashboard_url)
    wait_drawn(phone, "Overview")
    assert not phone.locator(".navbar-collapse").is_visible(), "the menu starts folded"
    choose_page(phone, "Acquisition")
    phone.locator(".navbar-collapse").wait_for(state="hidden")
    assert phone.locator(".tab-pane.active [data-breakdown=channel]").count() == 1
    # plotly draws its toolbar; on a touch screen it is not shown.
    toolbar = phone.locator("#chart-acquisition-channels .modebar-container")
    assert toolbar.count() == 1 and not toolbar.is_visible()
    # The channels table keeps its columns and scrolls sideways inside its card (in the nearest box that scrolls
    # sideways, the card's body or the table's own frame); the page itself does not.
    scrolled = phone.locator("table[data-breakdown=channel]").evaluate(
        """(table) => {
            let box = table.parentElement;
            while (box && !["auto", "scroll"].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
            if (!box || !box.closest(".card")) return null;
            const widths = [box.scrollWidth, box.clientWidth];
            box.scrollLeft = 60;
            return [...widths, box.scrollLeft];
        }"""
    )
    assert scrolled is not None, "no box inside the card scrolls sideways"
    assert scrolled[0] > scrolled[1] and scrolled[2] > 0, scrolled
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    # Another page, then the page already shown: the menu closes each time.
    for title in ("Funnel", "Funnel"):
        choose_page(phone, title)
        phone.locator(".navbar-collapse").wait_for(state="hidden")


def swipe_up_on(page: Any, selector: str) -> None:
    """A finger's swipe up by 300 px from the middle of the element, as raw touch points through Chromium's input
    pipeline (CDP), so the browser itself decides whether the page scrolls; headless Chromium ignores
    `Input.synthesizeScrollGesture`'s touch gestures."""
    box = page.locator(selector).first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    session = page.context.new_cdp_session(page)
    for offset in range(0, 301, 50):
        kind = "touchStart" if offset == 0 else "touchMove"
        session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y - offset}]})
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    session.detach()


# How far the element's scrolling ancestor has scrolled: the dashboard's page scrolls inside its main column (a
# fillable bslib page), not the window.
SCROLLED = """(selector) => {
    for (let element = document.querySelector(selector).parentElement; element; element = element.parentElement) {
        const overflow = getComputedStyle(element).overflowY;
        if ((overflow === 'auto' || overflow === 'scroll') && element.scrollHeight > element.clientHeight) {
            return element.scrollTop;
        }
    }
    return document.scrollingElement.scrollTop;
}"""


def test_on_a_phone_a_swipe_over_a_chart_scrolls_the_page(dashboard_url: str, phone: Any) -> None:
    open_dashboard(phone, dashboard_url)
    wait_drawn(phone, "Overview")
    chart = "#chart-overview-trend"
    phone.locator(chart).scroll_into_view_if_needed()
    phone.wait_for_function(
        "(selector) => document.querySelector(selector)?._fullLayout?.dragmode === false", arg=chart
    )
    before = phone.evaluate(SCROLLED, chart)
    swipe_up_on(phone, chart)
    phone.wait_for_function(f"(before) => ({SCROLLED})('{chart}') > before + 100", arg=before)
    # The chart was not zoomed by the swipe: its x axis still spans the whole range.
    assert phone.evaluate(f"() => document.querySelector('{chart}').layout.xaxis.autorange") is not False


def test_with_a_mouse_a_drag_over_a_chart_still_zooms(dashboard_url: str, browser: Any) -> None:
    with watched_tab(browser, **DESKTOP) as tab:
        open_dashboard(tab, dashboard_url)
        wait_drawn(tab, "Overview")
        chart = "#chart-overview-trend"
        tab.locator(chart).wait_for(state="visible")
        assert tab.evaluate(f"() => document.querySelector('{chart}')._fullLayout.dragmode") == "zoom"


@pytest.mark.parametrize(("size", "options"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_every_page_at_both_sizes_is_screenshot(dashboard_url: str, browser: Any, size: str, options: Any) -> None:
    context = browser.new_context(**options)
    try:
        page = context.new_page()
        open_dashboard(page, dashboard_url)
        for title in PAGES:
            if size == "phone":
                choose_page(page, title)
                page.locator(".navbar-collapse").wait_for(state="hidden")
            else:
                page.get_by_role("tab", name=title).click()
                wait_drawn(page, title)
            panel = page.locator(".tab-pane.active")
            assert panel.locator(".shiny-output-error").count() == 0, title
            page.screenshot(path=str(screenshot_name(title, size)), full_page=True)
            assert screenshot_name(title, size).stat().st_size > 10_000, title
    finally:
        context.close()
