"""The shop's own numbers in a real browser (Debian's chromium through playwright), the dashboard served with the
production settings (the query cache on) from marts built with the shop's database extracted: Overview shows net
revenue and orders from the shop beside the tracked ones (money with its currency) and a tracking-coverage badge,
amber with a warning below DASHBOARD_COVERAGE_WARNING_BELOW; Products has the shop's margin per product; and a
warehouse without a shop database says so rather than showing 0."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.dashboard_browser import Marts, open_dashboard, wait_idle
from support.dashboard_kit import NOW, dashboard_env, serving

from dashboard.formatting import DASH
from local_only.roles import RoleWarehouse

pytestmark = pytest.mark.e2e

# The default range with DASHBOARD_NOW at 15:30 on 10 March: the seven complete days before it.
FIRST, LAST = date(2025, 3, 3), date(2025, 3, 9)
# Products' table: the tracked columns (dashboard/pages/products.py TABLE_COLUMNS), then the shop's.
MARGIN_COLUMN = 14


def _open(page: Any, url: str, ready: str = "[data-kpi=shop_net_revenue]") -> None:
    open_dashboard(page, url)
    page.locator(ready).wait_for(state="visible", timeout=30_000)
    wait_idle(page)


def _text(page: Any, selector: str) -> str:
    return str(page.locator(selector).inner_text()).strip()


def test_overview_shows_the_shops_net_revenue_and_orders_beside_the_tracked_and_its_coverage(
    shop_dashboard_url: str, page: Any, shop_marts: RoleWarehouse
) -> None:
    marts = Marts(shop_marts)
    try:
        net, orders = marts.row(
            "select sum(net_revenue), count(*) from marts.shop_orders where order_date between %s and %s",
            (FIRST, LAST),
        )
        coverage, revenue_coverage = marts.row(
            "select round(sum(tracked_orders)::numeric / sum(orders), 4), "
            "round(sum(tracked_revenue) / sum(revenue), 4) from marts.tracking_coverage_daily "
            "where order_date between %s and %s",
            (FIRST, LAST),
        )
    finally:
        marts.close()
    _open(page, shop_dashboard_url)

    # (the dashboard formats floats: numeric arrives as Decimal and is read as a float)
    assert _text(page, "[data-kpi=shop_net_revenue]") == f"{float(net):,.2f}"
    assert _text(page, "[data-kpi=shop_orders]") == f"{orders:,}"
    # Beside each, the tracked KPI the page shows above (marts.orders), in the same currency.
    assert _text(page, "[data-beside=shop_net_revenue]") == f"tracked: {_text(page, '[data-kpi=revenue]')}"
    assert _text(page, "[data-beside=shop_orders]") == f"tracked: {_text(page, '[data-kpi=orders]')}"
    shop_box = page.locator(".bslib-value-box", has=page.locator("[data-kpi=shop_net_revenue]"))
    assert "Net revenue (USD), shop" in shop_box.inner_text()
    # The generated shop left about a fifth of its orders untracked; the badge is amber below the default 70%.
    assert 0.5 < coverage < 0.95
    assert _text(page, "[data-kpi=tracking_coverage]") == f"{float(coverage) * 100:.1f}%"
    badge = page.locator("[data-coverage-state]")
    assert badge.get_attribute("data-coverage-state") == ("low" if coverage < Decimal("0.7") else "ok")
    assert f"{float(revenue_coverage) * 100:.1f}% of their revenue" in badge.inner_text()
    assert page.console_problems == []


@pytest.mark.parametrize(("warn_below", "state"), [("0.95", "low"), ("0.3", "ok")])
def test_the_coverage_badge_warns_below_the_configured_level(
    shop_marts: RoleWarehouse, page: Any, tmp_path: Path, warn_below: str, state: str
) -> None:
    env = {**dashboard_env(shop_marts), "DASHBOARD_NOW": NOW, "DASHBOARD_COVERAGE_WARNING_BELOW": warn_below}
    with serving(env, tmp_path / "dashboard.log") as url:
        _open(page, url)
        badge = page.locator("[data-coverage-state]")
        assert badge.get_attribute("data-coverage-state") == state
        warning = page.locator("[data-coverage-warning]")
        if state == "low":
            assert "bg-warning" in str(badge.get_attribute("class"))
            assert warning.is_visible()
            assert warning.inner_text().startswith("Below 95.0%: the tracker misses orders")
        else:
            assert "bg-warning" not in str(badge.get_attribute("class"))
            assert warning.count() == 0
    assert page.console_problems == []


def test_products_show_the_shops_margin_per_product(
    shop_dashboard_url: str, page: Any, shop_marts: RoleWarehouse
) -> None:
    _open(page, shop_dashboard_url)
    page.get_by_role("tab", name="Products").click()
    table = page.locator("table[data-table=products]")
    table.locator("tbody tr").first.wait_for(state="visible", timeout=30_000)
    wait_idle(page)
    headers = table.locator("th").all_inner_texts()
    assert headers[MARGIN_COLUMN - 3 : MARGIN_COLUMN + 2] == [
        "Units (shop)",
        "Net revenue (shop)",
        "Cost",
        "Margin",
        "Margin %",
    ]
    marts = Marts(shop_marts)
    try:
        margins = {
            product_id: (margin, net)
            for product_id, margin, net in marts.rows(
                "select product_id, sum(margin), sum(net_revenue) from marts.product_margin_daily "
                "where order_date between %s and %s group by product_id",
                (FIRST, LAST),
            )
        }
    finally:
        marts.close()
    rows = [row.locator("td").all_inner_texts() for row in table.locator("tbody tr").all()]
    checked = 0
    for cells in rows:
        if cells[0] in margins:
            margin, net = margins[cells[0]]
            assert cells[MARGIN_COLUMN] == f"{float(margin):,.2f}", cells
            share = f"{float(round(margin / net, 4)) * 100:.1f}%" if net else DASH
            assert cells[MARGIN_COLUMN + 1] == share, cells
            checked += 1
        else:
            # A product the shop sold none of in the range: no margin, a dash.
            assert cells[MARGIN_COLUMN] == DASH, cells
    assert checked >= 5, rows[:3]
    # Sorting by margin orders by the numbers.
    table.locator("th", has_text="Margin").first.click()
    shown = table.locator(f"tbody tr td:nth-child({MARGIN_COLUMN + 1})").evaluate_all(
        "cells => cells.map(cell => cell.dataset.value)"
    )
    values = [Decimal(value) for value in shown if value]
    assert values == sorted(values, reverse=True) and values[0] > values[-1]
    assert page.console_problems == []


def test_without_a_shop_database_the_cards_say_so(dashboard_url: str, page: Any) -> None:
    open_dashboard(page, dashboard_url)
    page.locator("[data-shop-state=not-connected]").first.wait_for(state="visible", timeout=30_000)
    wait_idle(page)
    assert "No shop database is connected" in _text(page, "[data-shop-state=not-connected]")
    assert page.locator("[data-kpi=shop_net_revenue]").count() == 0
    assert page.locator("[data-coverage-state]").count() == 0
    page.get_by_role("tab", name="Products").click()
    note = page.locator(".tab-pane.active [data-shop-state=not-connected]")
    note.wait_for(state="visible", timeout=30_000)
    assert "Margin" not in page.locator("table[data-table=products] th").all_inner_texts()
    assert page.console_problems == []
