"""The owner's money in a real browser (Debian's chromium through playwright), the dashboard served with the
production settings (the query cache on) from marts the real pipeline built: Overview's KPIs come revenue first,
each with a change coloured by whether it is good news and a sparkline, small samples greyed; the revenue and
orders trend overlays the comparison period dashed; Acquisition's money by channel and country (names) and
Products' formatted rates are the marts' numbers, in tables that sort by their numbers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from support.dashboard_browser import Marts, choose, open_dashboard, wait_idle

from dashboard.periods import Period
from dashboard.rates import RATE_MIN_SAMPLE

pytestmark = pytest.mark.e2e

# DASHBOARD_NOW of the served dashboard: 15:30 UTC on the traffic's last day (support/dashboard_kit.NOW).
TODAY = date(2025, 3, 10)
WEEK_BEFORE = date(2025, 3, 3)
OWNERS_KPIS = ["revenue", "orders", "average_order_value", "conversion_rate", "sessions", "returning_customer_rate"]


def _period(marts: Marts, period: Period) -> dict[str, Any]:
    """Sessions, bounce and conversion rates and revenue of a period (its last day cut at the hour), and its orders
    with a revenue: what the KPIs compare."""
    sessions, bounces, converted, revenue = marts.row(
        "select sum(sessions), sum(bounces), sum(converted_sessions), coalesce(sum(revenue), 0) "
        "from marts.sessions_daily where session_date between %s and %s "
        "and not coalesce(session_date = %s and session_hour >= %s, false)",
        (period.start, period.end, period.end, period.end_before_hour),
    )
    (priced_orders,) = marts.row(
        "select count(orders.revenue) from marts.orders join marts.sessions using (session_key) "
        "where orders.session_date between %s and %s and not coalesce(orders.session_date = %s "
        "and extract(hour from session_start at time zone 'UTC') >= %s, false)",
        (period.start, period.end, period.end, period.end_before_hour),
    )
    return {
        "sessions": sessions,
        "revenue": float(revenue),
        "bounce_rate": bounces / sessions,
        "conversion_rate": converted / sessions,
        "priced_orders": priced_orders,
    }


def _open(page: Any, url: str) -> None:
    """The dashboard, once Overview's KPIs are drawn."""
    open_dashboard(page, url)
    page.locator("[data-kpi=revenue]").wait_for(state="visible", timeout=30_000)
    wait_idle(page)


def _tone(current: float, previous: float, lower_is_better: bool = False) -> str:
    if current == previous or not previous:
        return "neutral"
    return "good" if (current > previous) != lower_is_better else "bad"


def test_the_owners_kpis_come_first_with_coloured_changes_and_sparklines(
    dashboard_url: str, page: Any, marts: Marts
) -> None:
    _open(page, dashboard_url)
    today, before = Period(TODAY, TODAY), Period(WEEK_BEFORE, WEEK_BEFORE, end_before_hour=15)
    # Today so far against the Monday before up to 15:00: both days have orders, so every change has a base.
    choose(page, "today", "previous_period", today, before)
    shown = page.eval_on_selector_all("[data-kpi]", "nodes => nodes.map(node => node.dataset.kpi)")
    assert shown[: len(OWNERS_KPIS)] == OWNERS_KPIS
    now, then = _period(marts, today), _period(marts, before)
    assert now["sessions"] >= RATE_MIN_SAMPLE, "the day's conversion rate is no small sample"
    expected = {
        "revenue": _tone(now["revenue"], then["revenue"]),
        "sessions": _tone(now["sessions"], then["sessions"]),
        "conversion_rate": _tone(now["conversion_rate"], then["conversion_rate"]),
        # A falling bounce rate is good news.
        "bounce_rate": _tone(now["bounce_rate"], then["bounce_rate"], lower_is_better=True),
    }
    assert set(expected.values()) >= {"good", "bad"}, expected
    colours = {"good": "text-success", "bad": "text-danger", "neutral": "text-muted"}
    for key, tone in expected.items():
        change = page.locator(f"[data-kpi-previous={key}] .kpi-change")
        assert change.get_attribute("data-tone") == tone, key
        assert colours[tone] in (change.get_attribute("class") or "").split(), key
    # One day's orders are a small sample: the average order value is greyed, its change uncoloured, noted.
    small = now["priced_orders"] < RATE_MIN_SAMPLE
    assert small, "one day of the generated shop has fewer orders than rate_min_sample"
    assert page.locator("[data-small-sample=average_order_value]").count() == 1
    assert "text-muted" in (page.locator("[data-kpi=average_order_value]").get_attribute("class") or "")
    assert page.locator("[data-kpi-previous=average_order_value] .kpi-change").get_attribute("data-tone") == "neutral"
    assert page.locator("[data-small-sample=conversion_rate]").count() == 0
    # A sparkline in each of the owner's KPIs, of the period's days (one here).
    for key in OWNERS_KPIS:
        box = page.locator(".bslib-value-box", has=page.locator(f"[data-kpi={key}]"))
        assert box.locator(f"svg[data-sparkline={key}]").count() == 1, key
    assert page.console_problems == []


def test_the_last_seven_days_draw_a_point_a_day_and_the_comparison_dashed(
    dashboard_url: str, page: Any, marts: Marts
) -> None:
    _open(page, dashboard_url)  # the last 7 complete days, against the week before (no traffic then)
    days = marts.rows(
        "select session_date, sum(revenue) from marts.sessions_daily where session_date between %s and %s "
        "group by 1 order by 1",
        (WEEK_BEFORE, date(2025, 3, 9)),
    )
    assert len(days) == 7
    assert page.locator("svg[data-sparkline=sessions]").get_attribute("data-points") == "7"
    page.locator("#chart-overview-trend .main-svg").first.wait_for(state="visible", timeout=30_000)
    traces = page.evaluate(
        "() => document.getElementById('chart-overview-trend').data.map("
        "trace => ({name: trace.name, dash: trace.line && trace.line.dash, y: Array.from(trace.y)}))"
    )
    names = [trace["name"] for trace in traces]
    assert names == ["Revenue (USD)", "Revenue (USD) (comparison)", "Orders", "Orders (comparison)"]
    revenue, compared_revenue = traces[0], traces[1]
    assert revenue["y"] == pytest.approx([float(value) for _, value in days])
    assert compared_revenue["dash"] == "dash" and revenue["dash"] != "dash"
    assert compared_revenue["y"] == [0] * 7, "the week before has no traffic"
    choose(page, "last_7_days", "none", Period(WEEK_BEFORE, date(2025, 3, 9)), None)
    page.wait_for_function("() => document.getElementById('chart-overview-trend')?.data?.length === 2")
    assert page.locator("[data-kpi-previous]").count() == 0
    assert page.console_problems == []


def _table(page: Any, name: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"table[data-table={name}] tbody tr",
        "rows => rows.map(row => Array.from(row.children).map(cell => cell.dataset.value))",
    )


def test_acquisition_is_about_money(dashboard_url: str, page: Any, marts: Marts) -> None:
    _open(page, dashboard_url)
    choose(page, "today", "previous_period", Period(TODAY, TODAY), Period(WEEK_BEFORE, WEEK_BEFORE, 15))
    page.get_by_role("tab", name="Acquisition").click()
    page.locator("table[data-table=channel] tbody tr").first.wait_for(state="visible", timeout=30_000)
    wait_idle(page)
    headers = page.eval_on_selector_all("table[data-table=channel] th", "nodes => nodes.map(node => node.innerText)")
    assert headers[1:5] == ["Revenue", "Orders", "Conversion", "AOV"]
    expected = {
        channel: (float(revenue), orders)
        for channel, revenue, orders in marts.rows(
            "select channel, sum(revenue), count(*) from marts.orders where session_date = %s group by 1",
            (TODAY,),
        )
    }
    shown = {row[0]: (round(float(row[1]), 2), int(row[2])) for row in _table(page, "channel") if int(row[2]) > 0}
    assert shown == expected and expected
    # Highest revenue first, and a click on a column sorts by its numbers, highest first, then lowest first.
    revenues = [float(row[1]) for row in _table(page, "channel")]
    assert revenues == sorted(revenues, reverse=True)
    sessions_header = page.locator("table[data-table=channel] th", has_text="Sessions")
    sessions_header.click()
    sessions = [int(row[5]) for row in _table(page, "channel")]
    assert len(sessions) > 2 and sessions == sorted(sessions, reverse=True)
    sessions_header.click()
    assert [int(row[5]) for row in _table(page, "channel")] == sorted(sessions)
    # Changes against the comparison, coloured.
    tones = page.eval_on_selector_all(
        "table[data-table=channel] [data-tone]", "nodes => nodes.map(node => node.dataset.tone)"
    )
    assert tones and set(tones) <= {"good", "bad", "neutral"} and set(tones) & {"good", "bad"}
    # Countries by name; a session without any UTM parameter is one "(not set)" campaign.
    countries = [row[0] for row in _table(page, "country")]
    assert "United States" in countries and "US" not in countries
    campaigns = [row[0] for row in _table(page, "campaign")]
    assert campaigns.count("(not set)") == 1 and "(not set) / (not set) / (not set)" not in campaigns
    assert page.console_problems == []


def test_products_rates_read_as_percentages_and_money_with_separators(
    dashboard_url: str, page: Any, marts: Marts
) -> None:
    _open(page, dashboard_url)
    page.get_by_role("tab", name="Products").click()
    first = page.locator("table[data-table=products] tbody tr").first
    first.wait_for(state="visible", timeout=30_000)
    wait_idle(page)
    product_id, brand, views, carts, purchases, revenue = marts.row(
        "select product_id, (array_agg(product_brand order by event_date desc)"
        " filter (where product_brand is not null))[1], sum(views), sum(add_to_carts), sum(purchases), sum(revenue)"
        " from marts.product_performance_daily where event_date between %s and %s"
        " group by product_id order by sum(views) desc, product_id limit 1",
        (WEEK_BEFORE, date(2025, 3, 9)),
    )
    cells = first.locator("td").all_inner_texts()
    assert cells[0] == product_id and cells[2] == (brand or "")
    assert cells[4] == f"{views:,}"
    assert cells[6] == f"{carts / views * 100:.1f}%"
    assert cells[8] == f"{purchases / views * 100:.1f}%"
    assert cells[10] == f"{revenue:,.2f}"
    page.locator("table[data-table=products] th", has_text="Revenue").click()
    ordered = [float(row[10]) for row in _table(page, "products") if row[10] != ""]
    assert ordered == sorted(ordered, reverse=True) and ordered[0] > ordered[-1]
    assert page.console_problems == []
