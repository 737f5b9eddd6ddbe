"""CORS as a real browser enforces it (Debian's chromium): a shop page on one origin, `clickstream serve` on another.

The page (a tiny http.server on its own port) calls serve with ``fetch``: refusals are readable by its script (a
status, not a TypeError), a request with ``Authorization`` passes its preflight, the tracker loads from
``/clickstream.js`` with credentials, and a page on an origin that is not allowed gets nothing back.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from support.serving import RunningServer, running_server
from support.waiting import wait_until

from ingest_lambda.contract import MAX_BODY_BYTES

pytestmark = pytest.mark.e2e

SCRIPT = b"window.Clickstream = { loadedFrom: document.currentScript.src };\n"
PAGE = b"<!doctype html><html><head><title>shop</title></head><body><h1>shop</h1></body></html>"
EVENT = '{"eventName":"page_view","clientId":"c-browser","pageUrl":"https://shop.example/"}'


class _ShopPage(BaseHTTPRequestHandler):
    """The shop's page: one HTML document at every path."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test says what went wrong."""


@dataclass(frozen=True)
class Origins:
    shop: str  # the page's origin, allowed by serve
    other: str  # the same page on another origin (localhost instead of 127.0.0.1), not allowed
    serve: RunningServer
    log: io.StringIO


@pytest.fixture(scope="module")
def origins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Origins]:
    shop = ThreadingHTTPServer(("127.0.0.1", 0), _ShopPage)
    thread = threading.Thread(target=shop.serve_forever, name="shop-page", daemon=True)
    thread.start()
    port = shop.server_address[1]
    script = tmp_path_factory.mktemp("tracker") / "clickstream.js"
    script.write_bytes(SCRIPT)
    log = io.StringIO()
    shop_origin = f"http://127.0.0.1:{port}"
    try:
        with running_server(
            tmp_path_factory.mktemp("raw"), log_stream=log, allow_origins=[shop_origin], tracker_script=script
        ) as served:
            yield Origins(shop=shop_origin, other=f"http://localhost:{port}", serve=served, log=log)
    finally:
        shop.shutdown()
        shop.server_close()
        thread.join(timeout=10)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


# What the page's script gets from a fetch: the status and body it can read, or the error it was given.
FETCH = """async ([url, init]) => {
  try {
    const response = await fetch(url, init);
    return { status: response.status, body: await response.text(),
             retryAfter: response.headers.get('retry-after') };
  } catch (error) {
    return { error: `${error.name}: ${error.message}` };
  }
}"""


def fetch(page: Any, url: str, **init: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(FETCH, [url, {"credentials": "include", **init}])
    return result


def test_a_400_is_readable_by_the_page_not_a_network_error(page: Any, origins: Origins) -> None:
    page.goto(origins.shop + "/")
    url = origins.serve.url + "/clickstream"
    plain = fetch(page, url, method="POST", body="{not json", headers={"content-type": "text/plain"})
    assert plain.get("status") == 400, plain
    assert "not valid JSON" in plain["body"]
    # application/json is preflighted; the refusal after it is readable too.
    as_json = fetch(page, url, method="POST", body="{not json", headers={"content-type": "application/json"})
    assert as_json.get("status") == 400, as_json


def test_serves_own_refusals_are_readable_by_the_page(page: Any, origins: Origins) -> None:
    page.goto(origins.shop + "/")
    too_large = fetch(page, origins.serve.url + "/clickstream", method="POST", body="x" * (MAX_BODY_BYTES + 1))
    assert too_large.get("status") == 413, too_large
    assert "exceeds" in too_large["body"]
    unknown = fetch(page, origins.serve.url + "/nope")
    assert unknown.get("status") == 404, unknown


def test_a_bearer_authorised_post_passes_its_preflight(page: Any, origins: Origins) -> None:
    page.goto(origins.shop + "/")
    before = origins.serve.objects("events")
    preflights = origins.log.getvalue().count("OPTIONS /clickstream 204")
    result = fetch(
        page,
        origins.serve.url + "/clickstream",
        method="POST",
        body=EVENT,
        headers={"content-type": "application/json", "authorization": "Bearer header.payload.signature"},
    )
    assert result.get("status") == 200, result
    assert '"accepted":1' in result["body"]
    assert len(origins.serve.objects("events") - before) == 1
    # The browser asked first: the preflight was answered 204 and the POST followed.
    wait_until(lambda: origins.log.getvalue().count("OPTIONS /clickstream 204") > preflights, "a 204 preflight")


def test_the_tracker_loads_from_serve_with_credentials(page: Any, origins: Origins) -> None:
    page.goto(origins.shop + "/")
    page.evaluate(
        """(src) => new Promise((resolve, reject) => {
             const tag = document.createElement('script');
             tag.src = src;
             tag.crossOrigin = 'use-credentials';
             tag.onload = resolve;
             tag.onerror = () => reject(new Error('the script did not load'));
             document.head.appendChild(tag);
           })""",
        origins.serve.url + "/clickstream.js",
    )
    assert page.evaluate("() => window.Clickstream.loadedFrom") == origins.serve.url + "/clickstream.js"


def test_a_page_on_an_origin_not_allowed_gets_nothing_back(page: Any, origins: Origins) -> None:
    page.goto(origins.other + "/")
    url = origins.serve.url + "/clickstream"
    before = origins.serve.objects("events")
    # A simple request (text/plain, as the tracker's beacon) is still sent and handled: only its answer is hidden.
    simple = fetch(page, url, method="POST", body=EVENT, headers={"content-type": "text/plain"})
    assert simple.get("error", "").startswith("TypeError"), simple
    assert len(origins.serve.objects("events") - before) == 1
    # A preflighted one is refused before it is sent.
    preflighted = fetch(page, url, method="POST", body=EVENT, headers={"content-type": "application/json"})
    assert preflighted.get("error", "").startswith("TypeError"), preflighted
    assert len(origins.serve.objects("events") - before) == 1
    assert "OPTIONS /clickstream 403" in origins.log.getvalue()


def test_the_same_requests_from_the_allowed_origin_are_answered(page: Any, origins: Origins) -> None:
    # The control for the test above: the same page, the same requests, from the allowed origin.
    page.goto(origins.shop + "/")
    url = origins.serve.url + "/clickstream"
    for content_type in ("text/plain", "application/json"):
        result = fetch(page, url, method="POST", body=EVENT, headers={"content-type": content_type})
        assert result.get("status") == 200, (content_type, result)
