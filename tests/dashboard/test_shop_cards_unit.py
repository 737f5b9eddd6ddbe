"""Overview's shop cards and Products' margin columns from given data, in-process: the coverage badge's warning
against the setting, the note without a shop database, and the margin columns only with one."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dashboard.data.overview import OverviewData, ShopTruth
from dashboard.data.products import ProductMargins
from dashboard.pages.overview import coverage_badge, shop_cards
from dashboard.pages.products import products_table, with_margins
from dashboard.settings import DashboardSettings

pytestmark = pytest.mark.unit

TRACKED = OverviewData(current={"revenue": 900.0, "orders": 8}, previous=None, daily=[], hourly=[], currency="USD")
TRUTH = ShopTruth(
    connected=True, orders=10, net_revenue=1000.0, gross_revenue=1100.0, tracked_orders=8, order_coverage=0.8,
    revenue_coverage=0.79, currency="USD",
)  # fmt: skip


def test_the_badge_warns_only_below_the_setting() -> None:
    calm = str(coverage_badge(TRUTH, 0.7))
    assert 'data-coverage-state="ok"' in calm and "data-coverage-warning" not in calm and "80.0%" in calm
    low = str(coverage_badge(TRUTH, 0.85))
    assert 'data-coverage-state="low"' in low and "bg-warning" in low
    assert "Below 85.0%: the tracker misses orders" in low
    # Exactly at the level is not below it.
    assert 'data-coverage-state="ok"' in str(coverage_badge(TRUTH, 0.8))


def test_the_warning_level_is_a_share() -> None:
    assert DashboardSettings().coverage_warning_below == 0.7
    with pytest.raises(ValidationError):
        DashboardSettings(coverage_warning_below=70)


def test_net_revenue_and_orders_stand_beside_the_tracked_ones_in_the_reporting_currency() -> None:
    shown = str(shop_cards(TRUTH, TRACKED, 0.7))
    assert "Net revenue (USD), shop" in shown
    assert "1,000.00" in shown and "tracked: 900.00" in shown
    assert "tracked: 8" in shown and 'data-kpi="shop_orders"' in shown


def test_without_a_shop_database_the_cards_say_so_instead_of_zero() -> None:
    shown = str(shop_cards(ShopTruth(connected=False), TRACKED, 0.7))
    assert "No shop database is connected" in shown
    assert "data-kpi" not in shown and "0.00" not in shown


def test_margin_columns_only_with_a_shop_database() -> None:
    rows = [{"product_id": "P", "product_name": "Pan", "brand": None, "category": None, "views": 40}]
    margins = ProductMargins(True, {"P": {"product_id": "P", "margin": 12.5, "margin_percent": 0.25}})
    assert with_margins(rows, margins)[0]["margin"] == 12.5
    assert with_margins(rows, ProductMargins(False)) == rows
    assert "Margin %" in str(products_table(rows, margins))
    unconnected = str(products_table(rows, ProductMargins(False)))
    assert "Margin" not in unconnected.split("<tbody", maxsplit=1)[0] and "No shop database is connected" in unconnected
