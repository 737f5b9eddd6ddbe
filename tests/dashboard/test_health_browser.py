"""Data health in a real browser (Debian's chromium through playwright), from marts the real pipeline built out of
generated traffic (whose defective events the ingest refuses): the refusals the page counts are SQL's over the
marts, and the freshness it shows is the newest event's, both on the page and in every page's header badge.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg2
import pytest

from local_only.roles import RoleWarehouse

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def admin(built_marts: RoleWarehouse) -> Iterator[psycopg2.extensions.connection]:
    conn = psycopg2.connect(built_marts.admin.dsn())
    conn.autocommit = True
    yield conn
    conn.close()


def sql_rows(conn: psycopg2.extensions.connection, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with conn.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    yield opened
    context.close()
    assert problems == []


def health_page(tab: Any, url: str) -> tuple[str, str]:
    """Open the dashboard on Data health, wait for its numbers; the date range it shows."""
    tab.goto(url)
    tab.wait_for_function("() => window.Shiny && window.Shiny.initializedPromise")
    tab.get_by_role("tab", name="Data health").click()
    tab.locator("[data-health=ingest-refusals]").wait_for(state="visible", timeout=30_000)
    tab.locator("[data-refusals]").first.wait_for(state="visible", timeout=30_000)
    dates = tab.locator("#dates input")
    return dates.nth(0).input_value(), dates.nth(1).input_value()


def test_the_refusals_shown_are_the_marts_refusals(dashboard_url: str, tab: Any, admin: Any) -> None:
    start, end = health_page(tab, dashboard_url)
    window = (
        "received_hour >= %s::timestamp at time zone 'UTC' "
        "and received_hour < (%s::date + 1)::timestamp at time zone 'UTC'"
    )
    [(refusals, reasons)] = sql_rows(
        admin,
        f"select coalesce(sum(refusals), 0), count(distinct (refusal_kind, refusal_reason)) "
        f"from marts.ingest_refusals_hourly where {window}",
        (start, end),
    )
    # The mart counts every refusal the loader landed: nothing refused by the ingest is missing from it.
    [(landed,)] = sql_rows(admin, "select count(*) from raw.ingest_refusals")
    [(in_mart,)] = sql_rows(admin, "select sum(refusals) from marts.ingest_refusals_hourly")

    shown = int(tab.locator("[data-health=ingest-refusals]").inner_text().replace(",", ""))

    assert refusals > 0, "the generated traffic should hold refused events"
    assert shown == refusals
    assert in_mart == landed
    table = tab.locator("table[data-refusals=reasons] tbody tr")
    assert table.count() == reasons
    counts = [int(table.nth(i).locator("td").nth(2).inner_text().replace(",", "")) for i in range(table.count())]
    assert sum(counts) == refusals and counts == sorted(counts, reverse=True)
    tab.locator("#chart-health-refusals .main-svg").first.wait_for(state="visible")


def test_freshness_is_the_newest_events_not_the_last_runs(dashboard_url: str, tab: Any, admin: Any) -> None:
    health_page(tab, dashboard_url)
    [(newest_event, newest_loaded, last_load)] = sql_rows(
        admin,
        "select (select max(received_at) from marts.clickstream_events), "
        "(select max(received_at) from raw.raw_events), (select max(loaded_at) from raw.raw_events)",
    )
    up_to = tab.locator("[data-health=data-up-to]")

    assert up_to.inner_text().strip() == f"{newest_event.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    loaded = tab.locator("[data-health=newest-loaded]").inner_text().strip()
    assert loaded == f"{newest_loaded.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    # The loader ran minutes ago; the newest event is months old: the page says stale, never "fresh".
    assert datetime.now(UTC) - last_load < datetime.now(UTC) - newest_event
    box = tab.locator(".bslib-value-box", has=up_to)
    assert box.get_attribute("data-stale") == "true"
    assert "stale" in box.inner_text()

    for title in ("Overview", "Data health", "Products"):
        tab.get_by_role("tab", name=title).click()
        badge = tab.locator("[data-freshness=data-up-to]")
        badge.wait_for(state="visible")
        assert datetime.fromisoformat(badge.get_attribute("data-newest")) == newest_event
        assert badge.get_attribute("data-stale") == "true"
        # The demo's reporting timezone is UTC (dbt_project.yml): the badge names it.
        assert badge.inner_text().strip() == f"data up to {newest_event.astimezone(UTC):%Y-%m-%d %H:%M} (UTC)"
