"""The demo shop end to end: a scripted visit in real Chromium (home, category, product, search, cart, checkout,
login, purchase) on the shop's origin, its tracker posting to `clickstream serve` on another origin, then the hourly
cycle on a real PostgreSQL and dbt: the visit is a session in marts.sessions with its order, every event type of it
is in marts.clickstream_events, and the funnel mart counts it at every step."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from support.loader_kit import Probe
from support.serving import running_server
from support.tracker_build import built_tracker_script
from support.transform_kit import hourly_cycle, migrated
from support.waiting import wait_until

from local_only.api_gateway import ROUTE_PATH
from local_only.bounded_server import serving_in_background
from local_only.postgres import Connection, free_port
from local_only.shop_server import ShopSettings, make_shop_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

# A desktop Chrome's user agent: headless Chromium says "HeadlessChrome", which the marts flag as a bot and leave out
# of the funnel, while the demo is about a person's visit.
DESKTOP_CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
# What the script below does, as the tracker reports it.
VISIT_EVENTS = Counter(
    {
        # home, category, product, results, product, deals, product, cart, checkout, login, checkout, confirmation
        "page_view": 12,
        "view_product": 3,
        "add_to_cart": 3,
        "remove_from_cart": 1,
        "search": 1,
        "begin_checkout": 1,
        "login": 1,
        "purchase": 1,
    }
)
WAIT_MS = 15_000


@pytest.fixture(scope="module")
def tracker_script() -> Path:
    return built_tracker_script()


@pytest.fixture
def shop_and_collector(tracker_script: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The shop on one origin, `clickstream serve` (allowing it, serving the built tracker) on another, writing into
    a directory store."""
    shop_port = free_port()
    shop_origin = f"http://127.0.0.1:{shop_port}"
    with running_server(tmp_path / "raw", quiet=True, allow_origins=[shop_origin]) as collector:
        # The page loads the tracker from the collector's /clickstream.js, which serves the build above.
        settings = ShopSettings(endpoint=collector.url + ROUTE_PATH, allow_automation=True)
        with serving_in_background(make_shop_server(settings, port=shop_port, quiet=True), "shop"):
            yield shop_origin, collector.store


@contextmanager
def _shop_page(browser: Browser, shop: str) -> Iterator[Page]:
    """A new visitor (its own context: storage, cookies) on the shop's home page, as a desktop Chrome; a script
    error on the page fails the test."""
    context = browser.new_context(user_agent=DESKTOP_CHROME)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(shop + "/")
        yield page
    finally:
        context.close()
    assert errors == []


def _purchase(browser: Browser, shop: str) -> dict[str, Any]:
    """The scripted visit; what the page knows afterwards (the tracker's ids, the order, the signed-in user)."""
    with _shop_page(browser, shop) as page:
        page.get_by_role("button", name="Accept").click()
        page.locator("nav.categories").get_by_role("link", name="Laptops").click()
        page.wait_for_url("**/category/laptops")
        page.locator(".grid .product-link").first.click()
        page.wait_for_url("**/product/**")
        page.locator("#add-to-cart").click()
        page.wait_for_selector("#added:has-text('Added 1')")
        page.locator("#search-input").fill("wireless mouse")
        page.locator("#search-input").press("Enter")
        page.wait_for_url("**/search?q=wireless%20mouse")
        page.locator(".grid .product-link").first.click()
        page.wait_for_url("**/product/**")
        page.locator("#add-to-cart").click()
        page.wait_for_selector("#added:has-text('Added 1')")
        # A third product, two of it, then taken out of the cart again.
        page.locator("nav.categories").get_by_role("link", name="Deals").click()
        page.wait_for_url("**/deals")
        page.locator(".grid .product-link").first.click()
        page.wait_for_url("**/product/**")
        second_thoughts = page.locator("h1").inner_text()
        page.locator("#quantity").select_option("2")
        page.locator("#add-to-cart").click()
        page.wait_for_selector("#added:has-text('Added 2')")
        page.locator("#cart-link").click()
        page.wait_for_url("**/cart")
        line = page.locator("tr", has_text=second_thoughts)
        line.get_by_role("button", name="Remove").click()
        line.wait_for(state="detached")
        page.locator("#checkout").click()
        page.wait_for_url("**/checkout")
        page.locator("#checkout-sign-in").click()
        page.wait_for_url("**/login?next=/checkout")
        page.locator("input[name=email]").fill("ada@example.com")
        page.locator("input[name=password]").fill("correct horse")
        page.locator("#sign-in").click()
        page.wait_for_url("**/checkout")
        page.locator("#place-order").click()
        page.wait_for_url("**/checkout/confirmation?order=*")
        order_id = page.locator("#order-id").inner_text()
        # Every event delivered: the tracker empties its queue only once the collector accepted a request.
        page.wait_for_function("() => Clickstream.stats().queued === 0")
        known = page.evaluate(
            """() => ({
                clientId: localStorage.getItem('_cs_id'),
                session: JSON.parse(localStorage.getItem('_cs_s')),
                orders: JSON.parse(localStorage.getItem('shop_orders')),
                user: JSON.parse(localStorage.getItem('shop_user')),
                stats: Clickstream.stats(),
            })"""
        )
    assert known["orders"][0]["id"] == order_id
    known["removed"] = second_thoughts
    assert known["stats"] == {"queued": 0, "dropped": 0, "oversize": 0}
    return known


def _stored_events(store: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted((store / "events").rglob("*.json"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]


def test_a_scripted_purchase_in_the_shop_lands_in_the_marts(
    browser: Browser, warehouse: Connection, shop_and_collector: tuple[str, Path], tmp_path: Path
) -> None:
    roles = migrated(warehouse)
    shop, store = shop_and_collector

    known = _purchase(browser, shop)

    client_id, session_id = known["clientId"], known["session"]["i"]
    order = known["orders"][0]
    user_id = known["user"]["id"]
    events = _stored_events(store)
    # Every event exactly once, all of this visit's one session.
    assert Counter(event["eventName"] for event in events) == VISIT_EVENTS
    assert len({event["eventId"] for event in events}) == len(events)
    assert {(event["clientId"], event["sessionId"]) for event in events} == {(client_id, session_id)}
    purchase = next(event for event in events if event["eventName"] == "purchase")
    assert purchase["order"]["id"] == order["id"] and purchase["userId"] == user_id
    assert purchase["order"]["revenue"] == order["revenue"] > 0
    removed = next(event for event in events if event["eventName"] == "remove_from_cart")
    assert (removed["product"]["name"], removed["properties"]["quantity"]) == (known["removed"], 2)
    # What was bought: the laptop and the mouse, not what left the cart.
    assert len(purchase["order"]["items"]) == 2
    assert removed["product"]["id"] not in {item["productId"] for item in purchase["order"]["items"]}
    assert not (store / "rejected").exists() or not any((store / "rejected").rglob("*.json"))

    # `clickstream hourly` as it runs just after this hour: load it (and the lookback hours before), then build.
    outcome = hourly_cycle(roles, store, datetime.now(UTC), tmp_path)
    assert outcome.exit_code == 0, outcome.describe()

    probe = Probe(roles.admin.dsn())
    sessions = probe.rows(
        "select client_id, user_id, stitched_user_id, events, products_viewed, add_to_carts, searches, "
        "funnel_step_reached, orders, revenue, is_bot, landing_page_path, session_date "
        "from marts.sessions where client_session_id = %s",
        (session_id,),
    )
    assert len(sessions) == 1
    (cid, uid, stitched, count, viewed, carts, searches, step, orders, revenue, is_bot, landing, day) = sessions[0]
    assert (cid, uid, stitched) == (client_id, user_id, user_id)
    assert (count, viewed, carts, searches) == (VISIT_EVENTS.total(), 3, 3, 1)
    assert (step, orders, float(revenue), is_bot) == (4, 1, order["revenue"], False)
    assert landing == "/"

    in_marts = Counter(
        dict(
            probe.rows(
                "select event_name, count(*) from marts.clickstream_events where session_id = %s group by 1",
                (session_id,),
            )
        )
    )
    assert in_marts == VISIT_EVENTS
    assert probe.rows(
        "select order_id, order_revenue::float from marts.clickstream_events where event_name = 'purchase'"
    ) == [(order["id"], order["revenue"])]

    funnel = dict(
        probe.rows(
            "select step_name, sum(sessions)::int from marts.funnel_steps_daily where session_date = %s group by 1",
            (day,),
        )
    )
    assert funnel == {"view_product": 1, "add_to_cart": 1, "begin_checkout": 1, "purchase": 1}


def test_declined_consent_sends_and_stores_nothing_until_accepted(
    browser: Browser, shop_and_collector: tuple[str, Path]
) -> None:
    """The shop's banner drives the tracker's consent: declined, nothing is sent nor kept on the device; accepted
    later (Privacy choices), what follows is sent."""
    shop, store = shop_and_collector
    with _shop_page(browser, shop) as page:
        page.get_by_role("button", name="Decline").click()
        page.locator("nav.categories").get_by_role("link", name="Monitors").click()
        page.locator(".grid .product-link").first.click()
        page.locator("#add-to-cart").click()
        page.wait_for_selector("#added:has-text('Added 1')")
        page.evaluate("() => Clickstream.flush()")
        on_device = page.evaluate(
            "() => [Object.keys(localStorage).filter((key) => key.startsWith('_cs')), document.cookie]"
        )
        assert on_device == [[], ""]
        assert _stored_events(store) == []

        page.get_by_role("link", name="Privacy choices").click()
        page.get_by_role("button", name="Accept").click()
        page.locator("nav.categories").get_by_role("link", name="Mice").click()
        page.wait_for_url("**/category/mice")
        page.evaluate("() => Clickstream.flush()")
        client_id, cookie = page.evaluate("() => [localStorage.getItem('_cs_id'), document.cookie]")

    events = _stored_events(store)
    assert [(event["eventName"], event["pageUrl"]) for event in events] == [("page_view", f"{shop}/category/mice")]
    # A new visitor: the ids are made on consent, and kept in both places the tracker keeps them.
    assert events[0]["clientId"] == client_id
    assert f"_cs_id={client_id}" in cookie


def test_each_page_view_carries_its_own_page_title_back_and_forward_too(
    browser: Browser, shop_and_collector: tuple[str, Path]
) -> None:
    """The app renders a page before the history changes (pushState; its popstate listener runs before the
    tracker's), so the tracker's automatic page views name the page they are about."""
    shop, store = shop_and_collector
    with _shop_page(browser, shop) as page:
        page.get_by_role("button", name="Accept").click()
        page.locator("nav.categories").get_by_role("link", name="Storage").click()
        page.wait_for_url("**/category/storage")
        page.locator("nav.categories").get_by_role("link", name="Deals").click()
        page.wait_for_url("**/deals")
        page.go_back()
        page.wait_for_url("**/category/storage")
        page.go_forward()
        page.wait_for_url("**/deals")
        # Sent with the next batch (the tracker's 5 s timer): the five page views, stored.
        wait_until(lambda: len(_stored_events(store)) == 5, "five page views stored", timeout=WAIT_MS / 1000)

    # Two views can share a millisecond: a stable sort on the time keeps a batch's own order for those.
    views = sorted(_stored_events(store), key=lambda event: event["eventTimestamp"])
    assert [(event["pageUrl"].removeprefix(shop), event["pageTitle"]) for event in views] == [
        ("/", "Computers, Laptops & Accessories | Example Tech Shop"),
        ("/category/storage", "Storage | Example Tech Shop"),
        ("/deals", "Today's Deals | Example Tech Shop"),
        ("/category/storage", "Storage | Example Tech Shop"),
        ("/deals", "Today's Deals | Example Tech Shop"),
    ]
