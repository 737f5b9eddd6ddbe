"""The built tracker in real Chromium, on a shop page of one origin, sending to `clickstream serve` on another.

The page (tests/support/shop_page.py) is docs/tracker.md's install snippet: it loads the fresh build of
tracker/dist/clickstream.js from the collector's ``/clickstream.js`` and calls ``Clickstream.init`` with the test's
options (``allowAutomation``: the tracker ignores WebDriver-driven browsers otherwise). The collector is the real
server (``local_only.serve``) over a directory raw store, CORS allowing the page's origin. What a test checks
is what the server stored under ``events/`` (and, for sizes and retries, the requests Chromium made). Timers that
would take real minutes run on Playwright's clock (``BrowserContext.clock``) instead.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import re
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, Response, Route
from support.faulty_store import FaultyStore
from support.serving import RunningServer, running_server
from support.shop_page import ShopPage, serving_shop_page
from support.waiting import wait_until

from local_only.api_gateway import ROUTE_PATH
from local_only.tracker_script import SCRIPT_PATH

pytestmark = pytest.mark.e2e

# The most a request body may hold (docs/tracker.md): what sendBeacon and keepalive fetch allow.
MAX_REQUEST_BYTES = 65_536
STORED_WITHIN_S = 15.0
# The statuses serve's request log shows, in order ("POST /clickstream 503 3.1ms").
LOGGED_POST = re.compile(rf"^POST {ROUTE_PATH} (\d{{3}}) ", re.MULTILINE)


@dataclasses.dataclass
class Collector:
    """`clickstream serve` as the tests see it: its endpoint, what it stored, what it logged."""

    running: RunningServer
    log: io.StringIO

    @property
    def endpoint(self) -> str:
        return self.running.url + ROUTE_PATH

    def events(self) -> list[dict[str, Any]]:
        """Every event stored under events/, across all objects."""
        store = self.running.store
        return [
            json.loads(line)
            for key in sorted(self.running.objects("events/"))
            for line in (store / key).read_text().splitlines()
        ]

    def wait_for(self, count: int, what: str = "events") -> list[dict[str, Any]]:
        """The stored events once there are at least `count` of them (a failure after STORED_WITHIN_S)."""
        wait_until(lambda: len(self.events()) >= count, f"{count} events stored ({what})", STORED_WITHIN_S)
        return self.events()

    def statuses(self, count: int) -> list[int]:
        """The status of every POST to the route, in the order served, once `count` are logged (serve logs a
        request after answering it, so the browser can have the answer first)."""
        wait_until(lambda: len(self._logged()) >= count, f"{count} requests logged")
        return self._logged()

    def _logged(self) -> list[int]:
        return [int(status) for status in LOGGED_POST.findall(self.log.getvalue())]


class Posts:
    """The POSTs Chromium made to the collector, as the browser saw them (bodies, answers, network failures).

    A beacon sent while its page closes is not seen here (the page is gone): the store shows those.
    """

    def __init__(self, context: BrowserContext, endpoint: str) -> None:
        self.endpoint = endpoint
        self.bodies: list[bytes] = []
        self.statuses: list[int] = []
        self.failed = 0
        context.on("request", self._request)
        context.on("response", self._response)
        context.on("requestfailed", self._failed)

    def _ours(self, request: Request) -> bool:
        return request.method == "POST" and request.url == self.endpoint

    def _request(self, request: Request) -> None:
        if self._ours(request):
            self.bodies.append(request.post_data_buffer or b"")

    def _response(self, response: Response) -> None:
        if self._ours(response.request):
            self.statuses.append(response.status)

    def _failed(self, request: Request) -> None:
        if self._ours(request):
            self.failed += 1

    def wait_for_answers(self, page: Page, count: int) -> list[int]:
        """The statuses once `count` answers have been seen. Playwright hands its events over only while a call to
        it is running, and not always before the result of a call made later: a short wait does both."""
        deadline = time.monotonic() + STORED_WITHIN_S
        while len(self.statuses) < count and time.monotonic() < deadline:
            page.wait_for_timeout(20)
        return self.statuses

    def event_ids(self) -> list[list[str]]:
        """The eventIds of each request, in the order sent."""
        return [[e["eventId"] for e in json.loads(body)["events"]] for body in self.bodies]


@pytest.fixture(scope="module")
def shop_page() -> Iterator[ShopPage]:
    with serving_shop_page() as page:
        yield page


@pytest.fixture
def shop(shop_page: ShopPage) -> str:
    """The shop page's origin, http://127.0.0.1:<port>."""
    return shop_page.origin


@pytest.fixture
def collector(shop_page: ShopPage, built_tracker: Path, tmp_path: Path) -> Iterator[Collector]:
    """A fresh `clickstream serve` over a directory store, allowing the shop's origin (another origin, as live),
    serving the tracker the shop's page loads."""
    log = io.StringIO()
    with running_server(
        tmp_path / "raw", log_stream=log, allow_origins=[shop_page.origin], tracker_script=built_tracker
    ) as running:
        shop_page.script_url = running.url + SCRIPT_PATH
        yield Collector(running, log)


OpenContext = Callable[..., tuple[BrowserContext, Posts]]


@pytest.fixture
def open_context(browser: Browser, collector: Collector) -> Iterator[OpenContext]:
    """Opens a browser context (a profile: its own storage, cookies and clock) whose pages init the tracker with
    the collector's endpoint, `allowAutomation` and the given options; `clock` installs Playwright's fake timers.
    Whatever a test does to the network or the clock, nothing may be thrown into the page (checked at the end)."""
    opened: list[BrowserContext] = []
    thrown: list[str] = []

    def open_(*, clock: bool = False, **options: Any) -> tuple[BrowserContext, Posts]:
        context = browser.new_context()
        opened.append(context)
        context.on("weberror", lambda error: thrown.append(str(error.error)))
        if clock:
            context.clock.install()
        init = {"endpoint": collector.endpoint, "allowAutomation": True, **options}
        context.add_init_script(script=f"window.trackerOptions = {json.dumps(init)};")
        return context, Posts(context, collector.endpoint)

    yield open_
    for context in opened:
        context.close()
    assert thrown == [], "uncaught in the page"


def visit(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    return page


def act(page: Page, script: str) -> Any:
    """Runs `script` (awaited when it gives a promise), then waits until the page's clock has left that millisecond,
    so that the events of successive calls have distinct, ordered eventTimestamps."""
    result, at = page.evaluate(f"async () => [await ({script}), Date.now()]")
    page.wait_for_function("at => Date.now() > at", arg=at)
    return result


def settle(page: Page) -> None:
    """Waits for the request the tracker has in flight, if any, and checks nothing is left queued."""
    page.evaluate("Clickstream.flush()")
    assert page.evaluate("Clickstream.stats()") == {"queued": 0, "dropped": 0, "oversize": 0}


def once_each(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The events by eventId, each of which must have been stored exactly once."""
    counts = Counter(e["eventId"] for e in events)
    assert [event_id for event_id, n in counts.items() if n != 1] == [], "events stored more than once"
    return {e["eventId"]: e for e in events}


def one_visitor(events: list[dict[str, Any]]) -> None:
    """All the events are one browser's (clientId) and one session's."""
    assert len({e["clientId"] for e in events}) == 1
    assert len({e["sessionId"] for e in events}) == 1
    assert {e["properties"]["sessionIndex"] for e in events} == {1}
    assert {e["isFirstVisit"] for e in events} == {True}


def test_a_visit_lands_every_event_once_in_one_session(
    open_context: OpenContext, shop: str, collector: Collector
) -> None:
    context, _ = open_context()
    page = visit(context, f"{shop}/products/laptop-42?utm_source=news&utm_medium=email&utm_campaign=winter")
    act(page, "Clickstream.viewProduct({id: 42, name: 'Laptop 42', category: 'laptops', brand: 'Acme', price: 999})")
    act(page, "Clickstream.addToCart({id: 42, price: 999}, 2)")
    # the shop sends what this page holds before it leaves (page 2's events are then all later than these arrived)
    act(page, "Clickstream.flush()")
    page.goto(f"{shop}/checkout")
    act(page, "Clickstream.beginCheckout({value: 1998, currency: 'EUR'})")
    # a key event: sent at once, with what is queued
    act(
        page,
        "Clickstream.purchase({id: 'order-1', revenue: 1998, currency: 'EUR',"
        " items: [{productId: 42, quantity: 2, price: 999}]})",
    )
    events = collector.wait_for(6)
    settle(page)
    events = collector.events()

    stored = once_each(events)
    assert len(stored) == 6
    in_time = sorted(events, key=lambda e: e["eventTimestamp"])
    assert [e["eventName"] for e in in_time] == [
        "page_view",
        "view_product",
        "add_to_cart",
        "page_view",
        "begin_checkout",
        "purchase",
    ]
    one_visitor(events)
    first, product, cart, second, _, purchase = in_time
    assert first["pageUrl"].endswith("/products/laptop-42?utm_source=news&utm_medium=email&utm_campaign=winter")
    assert first["pageTitle"] == "/products/laptop-42"
    assert second["pageUrl"] == f"{shop}/checkout"
    assert product["product"] == {
        "id": "42",
        "name": "Laptop 42",
        "category": "laptops",
        "brand": "Acme",
        "price": 999,
    }
    assert cart["properties"]["quantity"] == 2
    assert purchase["order"]["id"] == "order-1"
    assert purchase["order"]["revenue"] == 1998
    assert purchase["order"]["items"] == [{"productId": "42", "quantity": 2, "price": 999}]
    assert collector.statuses(2) == [200, 200]


def test_closing_the_page_mid_batch_still_delivers_by_beacon(
    open_context: OpenContext, shop: str, collector: Collector
) -> None:
    context, posts = open_context(clock=True)
    # Timers stand still: the 5 s flush cannot fire, only the page's going away sends.
    context.clock.pause_at(time.time() + 1)  # seconds
    page = visit(context, f"{shop}/products/mouse-7")
    page.evaluate("Clickstream.viewProduct({id: 'mouse-7', price: 25})")
    page.evaluate("Clickstream.addToCart({id: 'mouse-7', price: 25})")
    assert page.evaluate("Clickstream.stats().queued") == 3  # under the batch size of 10
    assert posts.bodies == [], "nothing is sent before the batch is full or its timer fires"

    page.close()

    events = collector.wait_for(3, "after the page closed")
    once_each(events)
    assert sorted(e["eventName"] for e in events) == ["add_to_cart", "page_view", "view_product"]
    assert collector.statuses(1) == [200], "one request: the beacon"


def test_a_page_closed_with_more_than_a_beacon_holds_sends_the_rest_from_the_next_page(
    open_context: OpenContext, shop: str, collector: Collector
) -> None:
    # Chrome lets keepalive requests in flight (beacons included) hold 64 KB together: a page going away with more
    # queued sends one beacon's worth, and the rest waits on the device for the next page of the shop.
    context, _ = open_context(batchSize=1000, flushIntervalMs=600_000)
    page = visit(context, f"{shop}/search")
    page.evaluate("for (let n = 0; n < 199; n++) Clickstream.track('list_scroll', {n, note: 'x'.repeat(400)})")
    assert page.evaluate("Clickstream.stats().queued") == 200

    page.close()
    first = collector.wait_for(1, "after the page closed")
    left = 200 - len(first)
    assert 0 < left < 200, "one beacon's worth went"

    again = visit(context, f"{shop}/search")
    events = collector.wait_for(201, "from the next page")
    settle(again)
    stored = once_each(collector.events())
    assert len(stored) == 201  # the 200, and the second page's view
    assert sorted(e["properties"]["n"] for e in events if e["eventName"] == "list_scroll") == list(range(199))


def test_offline_for_a_minute_then_every_event_arrives(
    open_context: OpenContext, shop: str, collector: Collector
) -> None:
    context, posts = open_context(clock=True)
    page = visit(context, f"{shop}/catalogue")
    settle(page)
    collector.wait_for(1, "online")

    context.set_offline(True)
    started = page.evaluate("Date.now()")
    for script in [
        "Clickstream.viewProduct({id: 'monitor-3'})",
        "Clickstream.addToCart({id: 'monitor-3'})",
        "Clickstream.search('usb-c cable')",
    ]:
        page.evaluate(script)
    offline_ids = [e["eventId"] for e in json.loads(page.evaluate("localStorage.getItem('_cs_q')"))]
    assert len(offline_ids) == 3

    def run_for(ms: int) -> None:
        """The page's clock on by `ms`, then until the request that fired (if any) has come back."""
        context.clock.run_for(ms)
        page.evaluate("Clickstream.flush()")  # while backing off this sends nothing: it waits for the one in flight

    while page.evaluate("Date.now()") - started < 40_000:
        run_for(5_000)
    assert posts.failed >= 3, "the tracker kept retrying while offline"
    assert len(collector.events()) == 1

    # A reload while offline: Chromium would show its offline page, so the test hands the page and the script over
    # itself, as a browser cache would. (A page that came from no address counts as public to Chromium's local
    # network access checks, which would then refuse its fetches to 127.0.0.1: the context allows them.)
    def from_servers(route: Route) -> None:
        with urllib.request.urlopen(route.request.url, timeout=10) as answer:
            route.fulfill(status=200, body=answer.read(), content_type=answer.headers["content-type"])

    cached = [f"{shop}/**", collector.running.url + SCRIPT_PATH]
    context.grant_permissions(["local-network-access"])
    for url in cached:
        context.route(url, from_servers)
    page.reload()
    queued = [e["eventId"] for e in json.loads(page.evaluate("localStorage.getItem('_cs_q')"))]
    assert queued[:3] == offline_ids, "the queue survived the reload"
    assert len(queued) == 4  # and the reload's page view joined it

    while page.evaluate("Date.now()") - started < 65_000:
        run_for(5_000)
    assert len(collector.events()) == 1, "nothing arrived while offline"
    for url in cached:
        context.unroute(url)
    context.set_offline(False)

    deadline = time.monotonic() + STORED_WITHIN_S
    while len(collector.events()) < 5 and time.monotonic() < deadline:
        run_for(5_000)  # backoff reaches a minute at most
    collector.wait_for(5, "back online")
    settle(page)
    stored = once_each(collector.events())
    assert set(offline_ids + queued) <= set(stored)
    assert len(stored) == 5
    one_visitor(list(stored.values()))


def test_a_503_is_retried_until_the_events_land(open_context: OpenContext, shop: str, collector: Collector) -> None:
    from ingest_lambda.services import get_services, set_services

    # The ingest cannot store the first request's events: serve answers 503, as the Lambda does.
    services = get_services()
    set_services(dataclasses.replace(services, store=FaultyStore(services.store, failing_puts=1)))
    context, posts = open_context()
    page = visit(context, f"{shop}/")
    page.evaluate("Clickstream.track('newsletter_signup', {source: 'footer'})")
    page.evaluate("Clickstream.flush()")

    events = collector.wait_for(2, "after the retry")
    settle(page)
    once_each(collector.events())
    assert collector.statuses(2) == [503, 200]
    assert posts.wait_for_answers(page, 2) == [503, 200], "the page read the 503 (CORS let it)"
    first, again = posts.event_ids()
    assert first == again == [e["eventId"] for e in events]


def test_a_400_is_not_retried(open_context: OpenContext, shop: str, collector: Collector) -> None:
    context, posts = open_context(clock=True)
    page = visit(context, f"{shop}/")
    settle(page)
    collector.wait_for(1)
    # Not a v1 event name: the ingest refuses the request (its only event) with a 400.
    page.evaluate("Clickstream.track('Not A Valid Name')")
    settle(page)
    assert posts.wait_for_answers(page, 2) == [200, 400]
    # A retry would have come within a minute (the backoff's cap): two minutes pass on the page's clock.
    context.clock.run_for(120_000)
    page.evaluate("Clickstream.track('still_tracking')")
    settle(page)

    events = collector.wait_for(2)
    assert sorted(e["eventName"] for e in events) == ["page_view", "still_tracking"]
    assert collector.statuses(3) == [200, 400, 200]
    assert posts.wait_for_answers(page, 3) == [200, 400, 200]
    refused = posts.event_ids()[1]
    assert [ids for ids in posts.event_ids() if set(ids) & set(refused)] == [refused], "the refused event went once"
    assert collector.running.objects("rejected/"), "the ingest kept the refused request"


def test_spa_navigation_makes_page_views(open_context: OpenContext, shop: str, collector: Collector) -> None:
    context, _ = open_context()
    page = visit(context, f"{shop}/catalogue")
    act(page, "history.pushState({}, '', '/products/7')")
    act(page, "history.replaceState({}, '', '/products/7')")  # the same URL: no page view
    act(page, "history.replaceState({}, '', '/products/7?colour=red')")
    page.evaluate("history.back()")  # popstate, back to the catalogue
    page.wait_for_function("() => location.pathname == '/catalogue'")
    page.evaluate("Clickstream.flush()")

    events = collector.wait_for(4)
    settle(page)
    page_views = sorted(once_each(collector.events()).values(), key=lambda e: e["eventTimestamp"])
    assert [
        (e["eventName"], e["pageUrl"].removeprefix(shop), e["referrer"].removeprefix(shop)) for e in page_views
    ] == [
        ("page_view", "/catalogue", ""),
        ("page_view", "/products/7", "/catalogue"),
        ("page_view", "/products/7?colour=red", "/products/7"),
        ("page_view", "/catalogue", "/products/7?colour=red"),
    ]
    one_visitor(events)


DEVICE_STORAGE = """async () => ({
  localStorage: Object.keys(localStorage),
  sessionStorage: Object.keys(sessionStorage),
  cookie: document.cookie,
  indexedDB: (await indexedDB.databases()).map((db) => db.name),
  caches: await caches.keys(),
})"""
NOTHING_STORED = {"localStorage": [], "sessionStorage": [], "cookie": "", "indexedDB": [], "caches": []}


def pending_visit(context: BrowserContext, shop: str) -> Page:
    """A page with consent pending, a few events recorded, and the flush timer long past: nothing stored or sent."""
    page = visit(context, f"{shop}/products/keyboard-9")
    page.evaluate("Clickstream.viewProduct({id: 'keyboard-9'})")
    page.evaluate("Clickstream.addToCart({id: 'keyboard-9'})")
    context.clock.run_for(60_000)
    page.evaluate("Clickstream.flush()")
    assert page.evaluate(DEVICE_STORAGE) == NOTHING_STORED
    assert context.cookies() == []
    assert page.evaluate("Clickstream.stats().queued") == 3
    return page


def test_consent_pending_stores_and_sends_nothing_until_granted(
    open_context: OpenContext, shop: str, collector: Collector
) -> None:
    context, posts = open_context(clock=True, consent="pending")
    page = pending_visit(context, shop)
    assert posts.bodies == []

    page.evaluate("Clickstream.consent('granted')")
    context.clock.run_for(1_000)
    events = collector.wait_for(3, "after consent")
    settle(page)
    once_each(collector.events())
    assert sorted(e["eventName"] for e in events) == ["add_to_cart", "page_view", "view_product"]
    one_visitor(events)
    assert page.evaluate("localStorage.getItem('_cs_id')") == events[0]["clientId"]


def test_consent_denied_drops_the_waiting_events(open_context: OpenContext, shop: str, collector: Collector) -> None:
    context, posts = open_context(clock=True, consent="pending")
    page = pending_visit(context, shop)

    page.evaluate("Clickstream.consent('denied')")
    page.evaluate("Clickstream.track('after_denial')")
    context.clock.run_for(60_000)
    page.evaluate("Clickstream.flush()")
    assert page.evaluate("Clickstream.stats().queued") == 0
    assert page.evaluate(DEVICE_STORAGE) == NOTHING_STORED
    assert context.cookies() == []
    assert posts.bodies == []
    assert collector.events() == []


def test_500_events_go_in_requests_of_at_most_64_kb_once_each(
    open_context: OpenContext, shop: str, collector: Collector
) -> None:
    context, posts = open_context()
    page = visit(context, f"{shop}/search")
    # the page view and 499 more, about 600 bytes each: several requests' worth, recorded at once
    page.evaluate("for (let n = 0; n < 499; n++) Clickstream.track('list_scroll', {n, note: 'x'.repeat(400)})")
    page.evaluate("Clickstream.flush()")

    events = collector.wait_for(500)
    settle(page)
    stored = once_each(collector.events())
    assert len(stored) == 500
    assert sorted(e["properties"]["n"] for e in events if e["eventName"] == "list_scroll") == list(range(499))
    sizes = [len(body) for body in posts.bodies]
    assert len(sizes) >= 5 and sum(sizes) > 5 * MAX_REQUEST_BYTES * 0.8
    assert max(sizes) <= MAX_REQUEST_BYTES, f"request sizes: {sizes}"
    assert sum(len(ids) for ids in posts.event_ids()) == 500, "no event was sent twice"
    assert collector.statuses(len(sizes)) == [200] * len(sizes)


def test_a_reload_and_a_second_tab_keep_the_visitor_and_session(
    open_context: OpenContext, shop: str, collector: Collector
) -> None:
    context, _ = open_context(clock=True)
    first = visit(context, f"{shop}/")
    first.evaluate("Clickstream.track('banner_click')")
    settle(first)
    first.reload()
    settle(first)
    # 20 minutes later, within the 30 minutes of a session, a product opens in a second tab
    context.clock.fast_forward("20:00")
    second = visit(context, f"{shop}/products/headset-5")
    second.evaluate("Clickstream.viewProduct({id: 'headset-5'})")
    settle(second)
    settle(first)

    events = collector.wait_for(5)
    stored = once_each(collector.events())
    assert len(stored) == 5
    one_visitor(events)
    by_page = Counter(e["pageUrl"].removeprefix(shop) for e in events)
    assert by_page == {"/": 3, "/products/headset-5": 2}

    # the control: 31 minutes without an event end the session; the browser is the same visitor
    context.clock.fast_forward("31:00")
    first.evaluate("Clickstream.track('banner_click')")
    settle(first)
    later = [e for e in collector.wait_for(6) if e["eventId"] not in stored]
    assert len(later) == 1
    assert later[0]["clientId"] == events[0]["clientId"]
    assert later[0]["sessionId"] != events[0]["sessionId"]
    assert (later[0]["properties"]["sessionIndex"], later[0]["isFirstVisit"]) == (2, False)


def test_the_client_id_survives_the_loss_of_either_copy(
    open_context: OpenContext, shop: str, collector: Collector
) -> None:
    context, _ = open_context()
    page = visit(context, f"{shop}/")
    settle(page)
    client_id = page.evaluate("localStorage.getItem('_cs_id')")
    assert {c["name"]: c["value"] for c in context.cookies()}.get("_cs_id") == client_id
    # localStorage cleared (the cookie is left): the next page has the id from the cookie, and writes it back
    page.evaluate("localStorage.clear()")
    page.reload()
    settle(page)
    assert page.evaluate("localStorage.getItem('_cs_id')") == client_id
    # the cookies cleared (localStorage is left)
    context.clear_cookies()
    page.reload()
    settle(page)

    events = collector.wait_for(3)
    assert [e["clientId"] for e in events] == [client_id] * 3


def test_a_signed_in_visitor_posts_to_the_authenticated_route_with_the_token(
    open_context: OpenContext, shop: str, collector: Collector
) -> None:
    """identify() with an id token: the events after it go to /clickstream/auth (a preflighted fetch, as the
    Authorization header makes it), pass the authorizer, and are stored with the token's subject as the user."""
    claims = {"sub": "cognito-sub-1", "exp": 4_102_444_800, "token_use": "id"}
    token = ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
        for part in ({"alg": "RS256"}, claims, {"signature": "unchecked locally"})
    )
    context, posts = open_context()
    page = visit(context, f"{shop}/account")
    act(page, "Clickstream.flush()")
    act(page, f"Clickstream.identify('shop-user-1', {{idToken: {json.dumps(token)}}})")
    act(page, "Clickstream.track('login', {method: 'cognito'})")
    act(page, "Clickstream.track('click', {target: 'orders'})")
    settle(page)
    events = once_each(collector.wait_for(3))

    signed_in = [e for e in events.values() if e.get("userLoginState") == "logged_in"]
    assert sorted(e["eventName"] for e in signed_in) == ["click", "login"]
    assert {(e["userId"], e["clientUserId"]) for e in signed_in} == {("cognito-sub-1", "shop-user-1")}
    [anonymous] = [e for e in events.values() if e["eventName"] == "page_view"]
    assert anonymous["userLoginState"] != "logged_in" and "userId" not in anonymous
    assert re.findall(r"POST /clickstream/auth (\d+)", collector.log.getvalue()) == ["200", "200"]
    assert posts.statuses == [200]  # the anonymous route: the page view only
