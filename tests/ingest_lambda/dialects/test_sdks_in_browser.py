"""The real third-party SDKs from npm (pinned in tracker/package-lock.json, bundled with esbuild; Umami's tracker from
its integrity-pinned tarball, tests/support/umami_script.py) in Chromium, on a shop page of one origin, pointed at
`clickstream serve` on another: a page view, a product view, an add to cart and a purchase with an order id each
land exactly once under events/ as valid v1 events with the mapped fields, and the SDK neither logs an error nor
sees a failed request."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from support.sdk_bundles import sdk_bundle, sdk_version
from support.serving import RunningServer, running_server
from support.shop_page import ShopPage, serving_shop_page
from support.umami_script import UMAMI_VERSION, umami_script
from support.waiting import wait_until

from ingest_lambda.contract import ClickstreamEvent

pytestmark = pytest.mark.e2e

WRITE_KEY = "wk-shop"
PRODUCT = "{product_id: 'sku-1', name: 'Mug', category: 'Kitchen', brand: 'Acme', price: 12.5, currency: 'EUR'}"
ORDER = (
    "{order_id: 'order-1001', revenue: 25, currency: 'EUR', coupon: 'SPRING',"
    " products: [{product_id: 'sku-1', name: 'Mug', price: 12.5, quantity: 2}]}"
)
# The shop's calls, the same for both SDKs (their APIs are the Segment spec's).
CALLS = f"""
  analytics.page();
  analytics.track('Product Viewed', {PRODUCT});
  analytics.track('Product Added', {{...{PRODUCT}, quantity: 2}});
  analytics.track('Order Completed', {ORDER});
"""
# docs/collector.md's configuration of each SDK, with the collector's host and port filled in by the test.
SEGMENT = f"""async ([host]) => {{
  const [analytics] = await window.AnalyticsBrowser.load({{
    writeKey: '{WRITE_KEY}',
    cdnSettings: {{integrations: {{'Segment.io': {{
      apiKey: '{WRITE_KEY}', apiHost: host + '/clickstream', protocol: 'http'}}}}}},
  }});
  {CALLS}
}}"""
RUDDERSTACK = f"""async ([host]) => {{
  const analytics = new window.RudderAnalytics();
  await new Promise((resolve) => analytics.load('{WRITE_KEY}', 'http://' + host + '/clickstream', {{
    getSourceConfig: () => ({{source: {{
      id: 'shop', name: 'shop', workspaceId: 'shop', enabled: true, config: {{}}, destinations: []}}}}),
    onLoaded: () => resolve(),
  }}));
  {CALLS}
}}"""
# PostHog's API is its own: capture() with the same e-commerce names (its spec is Segment's). A headless browser is
# a bot to posthog-js, which drops its events unless told not to; surveys would load a script from PostHog's CDN.
POSTHOG = f"""async ([host]) => {{
  const product = {PRODUCT};
  window.posthog.init('{WRITE_KEY}', {{
    api_host: 'http://' + host + '/clickstream', opt_out_useragent_filter: true, disable_surveys: true,
  }});
  window.posthog.capture('Product Viewed', product);
  window.posthog.capture('Product Added', {{...product, quantity: 2}});
  window.posthog.capture('Order Completed', {ORDER});
}}"""
# Plausible's props are strings and hold no list: the order is its id, and the revenue in `revenue`. Its tracker
# ignores 127.0.0.1 and a browser driven by a test (navigator.webdriver) unless told not to.
PLAUSIBLE = """async ([host]) => {
  window.__plausible = true;
  const {init, track} = window.PlausibleTracker;
  init({domain: 'shop.example', endpoint: 'http://' + host + '/clickstream/api/event', captureOnLocalhost: true});
  const product = {product_id: 'sku-1', name: 'Mug', category: 'Kitchen', brand: 'Acme', price: '12.5'};
  track('Product Viewed', {props: product});
  track('Product Added', {props: {...product, quantity: '2'}});
  track('Order Completed', {props: {order_id: 'order-1001', coupon: 'SPRING'}, revenue: {amount: 25, currency: 'EUR'}});
}"""
LIBRARIES = {
    "segment": ("analytics.js", lambda version: f"npm:next-{version}", SEGMENT),
    "rudderstack": ("RudderLabs JavaScript SDK", lambda version: version, RUDDERSTACK),
    "posthog": ("web", lambda version: version, POSTHOG),
    # Its events carry the tracker script's version, not the npm package's.
    "plausible": ("plausible", lambda _: "36", PLAUSIBLE),
}


# The product and the order of the shop's calls, as every SDK's events store them.
STORED_PRODUCT = {"id": "sku-1", "name": "Mug", "category": "Kitchen", "brand": "Acme", "price": 12.5}
STORED_ORDER = {
    "id": "order-1001",
    "revenue": 25,
    "currency": "EUR",
    "items": [{"productId": "sku-1", "quantity": 2, "price": 12.5}],
}


@dataclass
class Collector:
    shop: ShopPage
    serve: RunningServer
    bundles: Path
    log: io.StringIO = field(default_factory=io.StringIO)


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    bundles = tmp_path_factory.mktemp("sdks")
    log = io.StringIO()
    with (
        serving_shop_page() as shop,
        running_server(tmp_path_factory.mktemp("raw"), log_stream=log, allow_origins=[shop.origin]) as served,
    ):
        yield Collector(shop, served, bundles, log)


@dataclass
class Watch:
    """What the page's SDK gets wrong (console errors, page errors, failed requests), the URLs it requests and
    every answer it gets (URL, status, media type), as Playwright reports them."""

    page: Any
    problems: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    answers: list[tuple[str, int, str | None]] = field(default_factory=list)

    def settled(self, base: str) -> bool:
        """Whether every request to `base` has had its answer (or failed). A round trip first: the sync API
        delivers the page's events only while the test calls into Playwright."""
        self.page.evaluate("0")
        answered = [url for url, _, _ in self.answers if url.startswith(base)]
        failed = [problem for problem in self.problems if problem.startswith(f"failed: {base}")]
        sent = [url for url in self.sent if url.startswith(base)]
        return bool(sent) and len(answered) + len(failed) >= len(sent)


def watched(page: Any) -> Watch:
    watch = Watch(page)
    problems, answers = watch.problems, watch.answers
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url} {request.failure}"))
    page.on("request", lambda request: watch.sent.append(request.url))
    page.on(
        "response",
        lambda response: answers.append((response.url, response.status, response.headers.get("content-type"))),
    )
    return watch


def stored(serve: RunningServer, dialect: str) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for key in sorted(serve.objects("events/")):
        lines.extend(json.loads(line) for line in (serve.store / key).read_text().splitlines())
    return [line for line in lines if line.get("source", {}).get("dialect") == dialect]


@pytest.mark.parametrize("sdk", ["segment", "rudderstack", "posthog", "plausible"])
def test_the_sdk_lands_each_event_once_as_v1(browser: Any, collector: Collector, sdk: str) -> None:
    library, version_of, script = LIBRARIES[sdk]
    bundle = sdk_bundle(sdk, collector.bundles)
    context = browser.new_context()
    page = context.new_page()
    watch = watched(page)
    problems, answers = watch.problems, watch.answers
    try:
        page.goto(collector.shop.origin + "/products/mug?utm_source=news")
        page.add_script_tag(path=str(bundle))
        page.evaluate(script, [collector.serve.url.removeprefix("http://")])
        wait_until(
            lambda: (
                {"page_view", "view_product", "add_to_cart", "purchase"}
                <= {event["eventName"] for event in stored(collector.serve, sdk)}
                and watch.settled(collector.serve.url)
            ),
            f"four {sdk} events stored and every request answered",
            timeout=30,
        )
    finally:
        context.close()

    # Plausible's engagement (time on page, scroll depth) and PostHog's page leave come when the page is hidden or
    # closed: not one of the four.
    events = [event for event in stored(collector.serve, sdk) if event["eventName"] not in ("engagement", "page_leave")]
    assert sorted(event["eventName"] for event in events) == ["add_to_cart", "page_view", "purchase", "view_product"]
    assert len({event["eventId"] for event in events}) == 4
    assert problems == []
    to_collector = [(url, status) for url, status, _ in answers if url.startswith(collector.serve.url)]
    assert to_collector
    accepted = 202 if sdk == "plausible" else 200  # what each one's own server answers
    assert all(status == accepted for _, status in to_collector), to_collector
    by_name = {event["eventName"]: event for event in events}
    assert by_name["page_view"]["pageUrl"] == collector.shop.origin + "/products/mug?utm_source=news"
    assert by_name["view_product"]["product"] == STORED_PRODUCT
    assert by_name["add_to_cart"]["product"]["id"] == "sku-1"
    # Plausible's purchase carries no items (its props are flat strings).
    expected_order = {key: value for key, value in STORED_ORDER.items() if sdk != "plausible" or key != "items"}
    assert by_name["purchase"]["order"] == expected_order
    assert by_name["purchase"]["properties"]["coupon"] == "SPRING"
    client_ids = {event["clientId"] for event in events}
    assert len(client_ids) == 1
    for event in events:
        assert event["source"] == {"dialect": sdk, "library": library, "version": version_of(sdk_version(sdk))}
        fields = ClickstreamEvent.model_json_schema(by_alias=True)["properties"]
        ClickstreamEvent.model_validate({k: v for k, v in event.items() if k in fields and k != "eventTimestamp"})
    assert not collector.serve.objects("rejected/")


# docs/collector.md's configuration of Snowplow's tracker and its e-commerce plugin; `method` is its eventMethod.
SNOWPLOW_PRODUCT = "{id: 'sku-1', name: 'Mug', category: 'Kitchen', brand: 'Acme', price: 12.5, currency: 'EUR'}"
SNOWPLOW = f"""async ([host, method]) => {{
  const sp = window.snowplow;
  sp.newTracker('sp-' + method, 'http://' + host + '/clickstream', {{
    appId: '{WRITE_KEY}', eventMethod: method, plugins: [sp.SnowplowEcommercePlugin()]}});
  sp.trackPageView();
  sp.trackProductView({SNOWPLOW_PRODUCT});
  sp.trackAddToCart({{products: [{{...{SNOWPLOW_PRODUCT}, quantity: 2}}], total_value: 25, currency: 'EUR'}});
  sp.trackTransaction({{transaction_id: 'order-1001', revenue: 25, currency: 'EUR', discount_code: 'SPRING',
    products: [{{...{SNOWPLOW_PRODUCT}, quantity: 2}}]}});
}}"""


@pytest.mark.parametrize("method", ["post", "get"])
def test_snowplows_tracker_lands_each_event_once_as_v1(browser: Any, collector: Collector, method: str) -> None:
    bundle = sdk_bundle("snowplow", collector.bundles)
    context = browser.new_context()
    page = context.new_page()
    watch = watched(page)
    problems, answers = watch.problems, watch.answers

    def landed() -> list[dict[str, Any]]:
        return [event for event in stored(collector.serve, "snowplow") if event["properties"]["tna"] == f"sp-{method}"]

    try:
        page.goto(collector.shop.origin + "/products/mug?utm_source=news")
        page.add_script_tag(path=str(bundle))
        page.evaluate(SNOWPLOW, [collector.serve.url.removeprefix("http://"), method])
        wait_until(
            lambda: len(landed()) >= 4 and watch.settled(collector.serve.url),
            f"four Snowplow events ({method}) stored and every request answered",
            timeout=30,
        )
    finally:
        context.close()

    events = landed()
    assert sorted(event["eventName"] for event in events) == ["add_to_cart", "page_view", "purchase", "view_product"]
    assert len({event["eventId"] for event in events}) == 4
    assert problems == []
    to_collector = [answer for answer in answers if answer[0].startswith(collector.serve.url)]
    assert to_collector
    assert all(status == 200 for _, status, _ in to_collector), to_collector
    if method == "get":
        assert {content_type for _, _, content_type in to_collector} == {"image/gif"}
    by_name = {event["eventName"]: event for event in events}
    assert by_name["page_view"]["pageUrl"] == collector.shop.origin + "/products/mug?utm_source=news"
    assert by_name["view_product"]["product"] == STORED_PRODUCT
    assert by_name["add_to_cart"]["product"] == STORED_PRODUCT
    assert by_name["purchase"]["order"] == STORED_ORDER
    assert by_name["purchase"]["properties"]["transaction.discount_code"] == "SPRING"
    assert len({event["clientId"] for event in events}) == 1
    assert len({event["sessionId"] for event in events}) == 1
    version = sdk_version("snowplow")
    fields = ClickstreamEvent.model_json_schema(by_alias=True)["properties"]
    for event in events:
        assert event["source"] == {"dialect": "snowplow", "library": "js", "version": version}
        ClickstreamEvent.model_validate({k: v for k, v in event.items() if k in fields and k != "eventTimestamp"})
    assert not collector.serve.objects("rejected/")


# docs/collector.md's configuration of AWS Clickstream's web SDK; the product and order as GA4's e-commerce events.
AWS_ITEM = "{id: 'sku-1', name: 'Mug', category: 'Kitchen', brand: 'Acme', price: 12.5, currency: 'EUR'}"
AWS = f"""async ([host]) => {{
  const analytics = window.ClickstreamAnalytics;
  analytics.init({{appId: '{WRITE_KEY}', endpoint: 'http://' + host + '/clickstream',
    sendMode: window.ClickstreamSendMode.Immediate}});
  analytics.record({{name: 'view_item', items: [{AWS_ITEM}]}});
  analytics.record({{name: 'add_to_cart', items: [{{...{AWS_ITEM}, quantity: 2}}]}});
  analytics.record({{name: 'purchase', attributes: {{transaction_id: 'order-1001', value: 25, currency: 'EUR'}},
    items: [{{...{AWS_ITEM}, quantity: 2}}]}});
}}"""


def test_aws_clickstreams_sdk_lands_each_event_once_as_v1(browser: Any, collector: Collector) -> None:
    bundle = sdk_bundle("aws", collector.bundles)
    context = browser.new_context()
    page = context.new_page()
    watch = watched(page)
    wanted = ["add_to_cart", "page_view", "purchase", "view_product"]

    def landed() -> list[dict[str, Any]]:
        return [event for event in stored(collector.serve, "aws-clickstream") if event["eventName"] in wanted]

    try:
        page.goto(collector.shop.origin + "/products/mug?utm_source=news")
        page.add_script_tag(path=str(bundle))
        page.evaluate(AWS, [collector.serve.url.removeprefix("http://")])
        wait_until(
            lambda: len(landed()) >= 4 and watch.settled(collector.serve.url),
            "four AWS Clickstream events stored and every request answered",
            timeout=30,
        )
    finally:
        context.close()

    events = landed()
    assert sorted(event["eventName"] for event in events) == wanted
    assert watch.problems == []
    to_collector = [answer for answer in watch.answers if answer[0].startswith(collector.serve.url)]
    assert to_collector
    assert all(status == 200 for _, status, _ in to_collector), to_collector
    by_name = {event["eventName"]: event for event in events}
    assert by_name["page_view"]["pageUrl"] == collector.shop.origin + "/products/mug?utm_source=news"
    assert by_name["view_product"]["product"] == STORED_PRODUCT
    assert by_name["add_to_cart"]["product"] == STORED_PRODUCT
    assert by_name["purchase"]["order"] == STORED_ORDER
    assert len({event["clientId"] for event in events}) == 1
    assert len({event["sessionId"] for event in events}) == 1
    fields = ClickstreamEvent.model_json_schema(by_alias=True)["properties"]
    for event in events:
        assert event["source"] == {
            "dialect": "aws-clickstream",
            "library": "aws-solution-clickstream-sdk",
            "version": sdk_version("aws"),
        }
        ClickstreamEvent.model_validate({k: v for k, v in event.items() if k in fields and k != "eventTimestamp"})
    assert not collector.serve.objects("rejected/")


# docs/collector.md's Umami snippet: the shop's page loads Umami's script with data-website-id and data-host-url
# pointing at the collector; the script reads them from document.currentScript and tracks the page view at once (the
# page is loaded). The tag is added to the shop page as served, its script the built file's text as a blob: URL. Not
# a Playwright route: while routes are on, Playwright answers CORS preflights itself, so a header the collector does
# not allow (x-umami-cache) would pass; and a page answered by a route has no address, so Chromium would refuse its
# requests to the loopback collector.
UMAMI_TAG = """([source, website, hostUrl]) => new Promise((resolve, reject) => {
  const script = document.createElement('script');
  script.src = URL.createObjectURL(new Blob([source], {type: 'text/javascript'}));
  script.dataset.websiteId = website;
  script.dataset.hostUrl = hostUrl;
  script.onload = resolve;
  script.onerror = () => reject(new Error("Umami's script did not load"));
  document.head.append(script);
})"""
UMAMI_CALLS = f"""async () => {{
  await umami.track('Product Viewed', {PRODUCT});
  await umami.track('Product Added', {{...{PRODUCT}, quantity: 2}});
  await umami.track('Order Completed', {ORDER});
}}"""


@pytest.fixture(scope="module")
def umami_js(pytestconfig: pytest.Config, collector: Collector) -> Path:
    """Umami's real tracker, built from the pinned `umami` tarball (kept in pytest's cache, keyed by version)."""
    return umami_script(pytestconfig.cache.mkdir(f"umami-{UMAMI_VERSION}"), collector.bundles)


def test_umamis_tracker_lands_each_event_once_as_v1(browser: Any, collector: Collector, umami_js: Path) -> None:
    context = browser.new_context()
    page = context.new_page()
    watch = watched(page)
    shop = collector.shop.origin
    host_url = collector.serve.url + "/clickstream"
    wanted = ["add_to_cart", "page_view", "purchase", "view_product"]
    try:
        page.goto(f"{shop}/products/mug?utm_source=news")
        page.evaluate(UMAMI_TAG, [umami_js.read_text(), WRITE_KEY, host_url])
        wait_until(
            lambda: "page_view" in {event["eventName"] for event in stored(collector.serve, "umami")},
            "Umami's page view on load stored",
            timeout=30,
        )
        page.evaluate(UMAMI_CALLS)
        wait_until(
            lambda: len(stored(collector.serve, "umami")) >= 4 and watch.settled(host_url),
            "four Umami events stored and every request answered",
            timeout=30,
        )
    finally:
        context.close()

    events = stored(collector.serve, "umami")
    assert sorted(event["eventName"] for event in events) == wanted
    assert len({event["eventId"] for event in events}) == 4
    assert watch.problems == []
    to_collector = [answer for answer in watch.answers if answer[0].startswith(host_url)]
    # One POST a call; each after the first echoes the previous answer in x-umami-cache, which the preflight allows.
    assert [url for url in watch.sent if url.startswith(host_url)] == [host_url + "/api/send"] * 4
    assert [(status, content_type) for _, status, content_type in to_collector] == [(200, "application/json")] * 4
    by_name = {event["eventName"]: event for event in events}
    # Umami sends the host name and the path: the scheme is https:// and the port is lost (docs/collector.md).
    assert by_name["page_view"]["pageUrl"] == "https://127.0.0.1/products/mug?utm_source=news"
    assert by_name["page_view"]["pageTitle"] == "/products/mug"
    assert by_name["view_product"]["product"] == STORED_PRODUCT
    assert by_name["add_to_cart"]["product"]["id"] == "sku-1"
    assert by_name["purchase"]["order"] == STORED_ORDER
    assert by_name["purchase"]["properties"]["coupon"] == "SPRING"
    assert len({event["clientId"] for event in events}) == 1
    fields = ClickstreamEvent.model_json_schema(by_alias=True)["properties"]
    for event in events:
        assert event["source"] == {"dialect": "umami", "library": "umami", "version": None}
        assert event["properties"]["website"] == WRITE_KEY
        ClickstreamEvent.model_validate({k: v for k, v in event.items() if k in fields and k != "eventTimestamp"})
    assert not collector.serve.objects("rejected/")
