"""The report's HTML as a mail client shows it: Chromium with JavaScript off (mail clients run none), at a desktop
mail pane's width and a phone's. Every section is there, the numbers are where the table puts them, nothing is
wider than the screen. Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support.report_kit import MORNING_AFTER

from dashboard import formatting
from dashboard.warehouse import Warehouse
from owner_report.alert import checks
from owner_report.render import render
from owner_report.summary import summarise

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.parametrize(("width", "name"), [(700, "desktop"), (390, "phone")])
def test_the_e_mail_reads_without_scripts_at_a_mail_pane_and_a_phone_width(
    browser: Browser, report_warehouse: Warehouse, tmp_path: Path, width: int, name: str
) -> None:
    summary = summarise(report_warehouse, "week", MORNING_AFTER)
    message = render(summary, checks(summary, 0.5))
    page_file = tmp_path / "report.html"
    page_file.write_text(message.html, encoding="utf-8")
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(page_file.as_uri())
        for heading in ("Key numbers", "Top products by revenue", "Channels", "Data health"):
            assert page.get_by_text(heading, exact=True).is_visible(), heading
        revenue = page.locator("tr:not(:has(tr))", has_text="Revenue (USD)")  # the row itself, not its tables
        cells = revenue.locator("td").all_inner_texts()
        current, previous = summary.overview.current["revenue"], summary.overview.previous["revenue"]  # type: ignore[index]
        assert cells == [
            "Revenue (USD)",
            formatting.money(current),
            formatting.money(previous),
            formatting.change(current, previous),
        ]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"report-week-{name}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{overflow} px wider than a {width} px screen"
    finally:
        context.close()
