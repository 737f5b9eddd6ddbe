"""The dashboard in a real browser (Debian's chromium through playwright), served by `clickstream dashboard` as
the `dashboard` role from marts the real pipeline built: every page renders with data and no console error, a
filter changes the numbers, and Overview's and Funnel's numbers are those SQL reads straight from the marts.
Screenshots of every page go to test-artifacts/.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from shiny.playwright import controller
from support.dashboard_browser import ARTIFACTS, PAGES, Marts
from support.dashboard_browser import choose as _choose
from support.dashboard_browser import open_dashboard as _open
from support.dashboard_browser import wait_idle as _wait_idle
from support.dashboard_kit import dashboard_env, serving

from dashboard.periods import Period, describe
from local_only.postgres import free_port
from local_only.roles import RoleWarehouse

pytestmark = pytest.mark.e2e

# DASHBOARD_NOW of the served dashboard (support/dashboard_kit.NOW): 15:30 UTC on the traffic's last day.
TODAY = date(2025, 3, 10)
YESTERDAY = TODAY - timedelta(days=1)


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


def _show(page: Any, title: str) -> str:
    """Open the page `title` once its evidence is drawn; its text, after checking it shows no error."""
    page.get_by_role("tab", name=title).click()
    for selector in PAGES[title]:
        page.locator(selector).first.wait_for(state="visible", timeout=30_000)
    _wait_idle(page)
    panel = page.locator(".tab-pane.active")
    errors = panel.locator(".shiny-output-error")
    assert errors.count() == 0, f"{title}: {errors.first.inner_text()}"
    text: str = panel.inner_text()
    return text


def test_every_page_twice_and_in_a_second_tab_shows_the_same(dashboard_url: str, page: Any) -> None:
    """With the production query cache on, a reload and another tab answer from it: no page breaks on rows the
    cache handed out before (Acquisition's KeyError), and each shows what it showed the first time."""
    _open(page, dashboard_url)
    first = {title: _show(page, title) for title in PAGES}
    page.reload()
    _open(page, dashboard_url)
    reloaded = {title: _show(page, title) for title in PAGES}
    second = page.context.new_page()
    _open(second, dashboard_url)
    other_tab = {title: _show(second, title) for title in PAGES}
    for title in PAGES:
        if title != "Data health":  # its ages ("3 min ago") move with the clock
            assert first[title] == reloaded[title] == other_tab[title], title
    assert _date_range(second) == _date_range(page)
    assert page.console_problems == []


def _split_chart(page: Any) -> tuple[str, list[str]]:
    title, names = page.evaluate(
        "() => { const chart = document.getElementById('chart-funnel-split');"
        " return [chart.layout.title.text, chart.data.map(trace => trace.name)]; }"
    )
    return title, names


def test_each_funnel_split_shows_its_own_segments(dashboard_url: str, page: Any, marts: Marts) -> None:
    _open(page, dashboard_url)
    start, end = _date_range(page)
    _show(page, "Funnel")
    segments: dict[str, list[str]] = {}
    for split, label, column in (("Channel", "channel", "channel"), ("Device type", "device type", "device_type")):
        page.get_by_role("radio", name=split, exact=True).check()
        page.wait_for_function(
            "(label) => document.getElementById('chart-funnel-split')?.layout?.title?.text?.endsWith('by ' + label)",
            arg=label,
        )
        _wait_idle(page)
        (expected,) = marts.row(
            f"select array_agg(distinct {column} order by {column}) from marts.funnel_steps_daily "
            "where session_date between %s and %s",
            (start, end),
        )
        title, names = _split_chart(page)
        assert title.endswith(f"by {label}")
        assert sorted(names) == expected, split
        segments[split] = names
    assert len(segments["Channel"]) > 1 and len(segments["Device type"]) > 1
    # And back to channels, now from the cache: still the channels.
    page.get_by_role("radio", name="Channel", exact=True).check()
    page.wait_for_function(
        "() => document.getElementById('chart-funnel-split')?.layout?.title?.text?.endsWith('by channel')"
    )
    _wait_idle(page)
    assert _split_chart(page)[1] == segments["Channel"]
    assert page.console_problems == []


def _sessions(marts: Marts, period: Period) -> int:
    """Sessions of the period straight from marts.sessions_daily, its last day cut at the hour when it is."""
    (sessions,) = marts.row(
        "select coalesce(sum(sessions), 0) from marts.sessions_daily where session_date between %s and %s "
        "and not coalesce(session_date = %s and session_hour >= %s, false)",
        (period.start, period.end, period.end, period.end_before_hour),
    )
    return int(sessions)


def _compared_sessions(page: Any) -> int:
    text = _text(page, "[data-kpi-previous=sessions]")
    assert text.startswith("vs "), text
    return _count(text.removeprefix("vs ").split(" ")[0])


def test_the_default_range_is_the_last_seven_complete_days(dashboard_url: str, page: Any, marts: Marts) -> None:
    _open(page, dashboard_url)
    assert page.locator("#preset").input_value() == "last_7_days"
    assert page.locator("#compare").input_value() == "previous_period"
    assert _date_range(page) == (str(date(2025, 3, 3)), str(YESTERDAY))
    assert _text(page, "[data-timezone]") == "UTC"
    week = Period(date(2025, 3, 3), YESTERDAY)
    assert _count(_text(page, "[data-kpi=sessions]")) == _sessions(marts, week) > 0
    assert _sessions(marts, Period(TODAY, TODAY)) > 0, "today has sessions, and the default range leaves them out"
    assert _compared_sessions(page) == _sessions(marts, Period(date(2025, 2, 24), date(2025, 3, 2))) == 0


def test_presets_and_comparisons_show_the_marts_numbers(dashboard_url: str, page: Any, marts: Marts) -> None:
    _open(page, dashboard_url)
    week_before = TODAY - timedelta(days=7)
    cases: list[tuple[str, str, Period, Period | None]] = [
        (
            "yesterday",
            "previous_period",
            Period(YESTERDAY, YESTERDAY),
            Period(YESTERDAY - timedelta(days=7), YESTERDAY - timedelta(days=7)),
        ),
        # Today so far at 15:30: against the Monday before up to 15:00, then against a year before.
        ("today", "previous_period", Period(TODAY, TODAY), Period(week_before, week_before, 15)),
        ("today", "previous_year", Period(TODAY, TODAY), Period(date(2024, 3, 10), date(2024, 3, 10), 15)),
        # Ten days of March so far: two weeks before, its last day up to 15:00 too.
        (
            "this_month",
            "previous_period",
            Period(date(2025, 3, 1), TODAY),
            Period(date(2025, 2, 15), date(2025, 2, 24), 15),
        ),
        ("last_7_days", "none", Period(date(2025, 3, 3), YESTERDAY), None),
    ]
    for preset, compare, current, compared in cases:
        _choose(page, preset, compare, current, compared)
        assert _date_range(page) == (str(current.start), str(current.end)), preset
        assert _count(_text(page, "[data-kpi=sessions]")) == _sessions(marts, current) > 0, preset
        if compared is None:
            assert page.locator("[data-kpi-previous]").count() == 0
        else:
            assert _compared_sessions(page) == _sessions(marts, compared), (preset, compare)
    # The same hours matter: the whole Monday before has more sessions than its hours before 15:00.
    assert _sessions(marts, Period(week_before, week_before)) > _sessions(marts, Period(week_before, week_before, 15))
    assert page.console_problems == []


def test_dates_of_ones_own_are_a_custom_range(dashboard_url: str, page: Any, marts: Marts) -> None:
    _open(page, dashboard_url)
    # Typed as a person types (shiny's own controller): the date picker ignores a value filled in at once.
    controller.InputDateRange(page, "dates").set(("2025-03-05", None))
    custom = Period(date(2025, 3, 5), YESTERDAY)
    page.wait_for_function("() => document.querySelector('#preset').value === 'custom'")
    page.wait_for_function(
        "(shown) => document.querySelector('[data-period=current]')?.innerText === shown", arg=describe(custom)
    )
    _wait_idle(page)
    assert _count(_text(page, "[data-kpi=sessions]")) == _sessions(marts, custom)
    assert _compared_sessions(page) == _sessions(marts, Period(date(2025, 2, 26), date(2025, 3, 2)))


def test_overview_numbers_are_the_marts_numbers(dashboard_url: str, page: Any, marts: Marts) -> None:
    _open(page, dashboard_url)
    start, end = _date_range(page)
    sessions, page_views, bounces, converted, revenue = marts.row(
        "select sum(sessions), sum(page_views), sum(bounces), sum(converted_sessions), sum(revenue) "
        "from marts.sessions_daily where session_date between %s and %s",
        (start, end),
    )
    orders, average_order_value, currency = marts.row(
        "select count(*), sum(revenue) / count(revenue), min(reporting_currency) "
        "from marts.orders where session_date between %s and %s",
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
    assert _count(_text(page, "[data-kpi=orders]")) == orders
    assert _text(page, "[data-kpi=average_order_value]") == f"{average_order_value:,.2f}"
    # Revenue is shown with its currency (every revenue is in the build's reporting_currency).
    revenue_box = page.locator(".bslib-value-box", has=page.locator("[data-kpi=revenue]"))
    assert revenue_box.get_by_text(f"Revenue ({currency})", exact=True).count() == 1
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


def test_a_shop_in_hanoi_has_its_own_today(built_marts: RoleWarehouse, page: Any, tmp_path: Path) -> None:
    """18:30 UTC on 9 March is 01:30 on the 10th in Hanoi: its last seven complete days end on the 9th, not the 8th."""
    env = {
        **dashboard_env(built_marts),
        "DASHBOARD_REPORTING_TIMEZONE": "Asia/Ho_Chi_Minh",
        "DASHBOARD_NOW": "2025-03-09T18:30:00Z",
    }
    with serving(env, tmp_path / "dashboard.log") as url:
        _open(page, url)
        assert _date_range(page) == ("2025-03-03", "2025-03-09")
        assert _text(page, "[data-timezone]") == "Asia/Ho_Chi_Minh"
        assert "01:30 there now" in page.locator("[data-timezone]").locator("xpath=..").inner_text()
        _choose(page, "today", "previous_period", Period(TODAY, TODAY), Period(date(2025, 3, 3), date(2025, 3, 3), 1))


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
