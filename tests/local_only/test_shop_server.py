"""`clickstream shop`: what the demo shop's server answers for each path, and that no path reaches anything else."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from clickstream.cli import cli
from local_only.bounded_server import serving_in_background
from local_only.shop_server import (
    STATIC_DIR,
    ShopServer,
    ShopSettings,
    ShopSite,
    make_shop_server,
    shop_origins,
)
from local_only.simulator.behaviour import category_page, product_page
from local_only.simulator.catalogue import CATEGORIES, SHOP_ORIGIN, shop_catalogue


@pytest.fixture
def site() -> ShopSite:
    return ShopSite(ShopSettings(endpoint="http://127.0.0.1:9999/clickstream"))


def _config(page: bytes) -> dict[str, object]:
    found = re.search(rb'<script type="application/json" id="shop-config">(.*?)</script>', page, re.S)
    assert found is not None
    return json.loads(found.group(1))


@pytest.mark.unit
def test_every_route_of_the_app_is_its_page_with_the_collector_written_in(site: ShopSite) -> None:
    catalogue = shop_catalogue()
    paths = ["/", "/deals", "/search", "/cart", "/cart/", "/checkout", "/checkout/confirmation", "/login", "/account"]
    # The simulator's own URLs for products and categories: the shop serves the same paths.
    paths += [product_page(product).url.removeprefix(SHOP_ORIGIN) for product in catalogue.products[:5]]
    paths += [category_page(category).url.removeprefix(SHOP_ORIGIN) for category in CATEGORIES]
    for path in paths:
        answer = site.answer(path)
        assert (answer.status, answer.content_type) == (200, "text/html; charset=utf-8"), path
        assert answer.body == site.page
    assert _config(site.page) == {
        "endpoint": "http://127.0.0.1:9999/clickstream",
        "appId": "demo-shop",
        "allowAutomation": False,
    }
    # The tracker from the collector, as `clickstream serve` answers it (the deployed stack: its assets bucket).
    assert b'<script src="http://127.0.0.1:9999/clickstream.js" defer></script>' in site.page
    other = ShopSite(
        ShopSettings(endpoint="https://api.example.com/clickstream", tracker_src="https://cdn.example/t.js")
    )
    assert b'<script src="https://cdn.example/t.js" defer></script>' in other.page


@pytest.mark.unit
def test_unknown_paths_and_traversal_attempts_are_404_and_never_a_file(site: ShopSite) -> None:
    for path in [
        "/product/no-such-thing",
        "/category/no-such-thing",
        "/product/",
        "/clickstream.js",
        "/index.html",
        "/demo_shop/app.js",
        "/../shop_server.py",
        "/..%2fshop_server.py",
        "/%2e%2e/%2e%2e/pyproject.toml",
        "//etc/passwd",
        "/app.js/..",
        "/static/../../../etc/passwd",
    ]:
        answer = site.answer(path)
        assert answer.status == 404, path
        # The app's own "not found" page, nothing read from the disk.
        assert answer.body == site.page, path


@pytest.mark.unit
def test_static_files_and_the_catalogue(site: ShopSite) -> None:
    app = site.answer("/app.js")
    assert (app.status, app.content_type, app.body) == (
        200,
        "text/javascript; charset=utf-8",
        (STATIC_DIR / "app.js").read_bytes(),
    )
    assert site.answer("/shop.css").content_type == "text/css; charset=utf-8"

    document = json.loads(site.answer("/catalogue.json").body)
    catalogue = shop_catalogue()
    assert [category["id"] for category in document["categories"]] == list(CATEGORIES)
    # The simulator's products, with the fields the events carry: one catalogue for the shop and the traffic.
    assert document["products"] == [
        {**product.as_event_product(), "slug": product.slug} for product in catalogue.products
    ]


@pytest.mark.unit
def test_the_page_settings_cannot_break_out_of_their_script_element() -> None:
    site = ShopSite(
        ShopSettings(
            endpoint="https://api.example.com/clickstream?x=</script><script>alert(1)</script>",
            tracker_src='https://cdn.example.com/clickstream.js"><script>alert(1)</script>',
            allow_automation=True,
        )
    )
    assert b"<script>alert" not in site.page
    assert _config(site.page)["endpoint"] == "https://api.example.com/clickstream?x=</script><script>alert(1)</script>"
    assert _config(site.page)["allowAutomation"] is True


@pytest.mark.unit
@pytest.mark.parametrize("endpoint", ["", "127.0.0.1:8080/clickstream", "ftp://example.com/clickstream", "http://"])
def test_an_endpoint_that_is_not_an_http_url_is_refused(endpoint: str) -> None:
    with pytest.raises(ValueError, match="http"):
        ShopSettings(endpoint=endpoint)
    result = CliRunner().invoke(cli, ["shop", "--port", "0", "--endpoint", endpoint])
    assert result.exit_code == 2 and "--endpoint" in result.output


@pytest.fixture
def shop(site: ShopSite) -> Iterator[ShopServer]:
    server = ShopServer(("127.0.0.1", 0), site, quiet=True)
    with serving_in_background(server, "shop"):
        yield server


def _request(server: ShopServer, method: str, target: str, body: bytes | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    # putrequest as is: http.client would not normalise "..", but says so explicitly.
    connection.putrequest(method, target, skip_accept_encoding=True)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.integration
def test_over_http_get_head_and_refusals(shop: ShopServer) -> None:
    assert _request(shop, "GET", "/").status == 200
    head = _request(shop, "HEAD", "/product/" + shop_catalogue().products[0].slug)
    assert head.status == 200 and int(head.headers["Content-Length"]) == len(shop.site.page)
    assert _request(shop, "GET", "/app.js?v=2").getheader("Content-Type") == "text/javascript; charset=utf-8"
    for target in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/nowhere"]:
        assert _request(shop, "GET", target).status == 404, target
    for method in ["POST", "PUT", "DELETE", "BREW"]:
        refused = _request(shop, method, "/", b"{}")
        # Never http.server's 501 for an unknown method: a client error is a 4xx.
        assert (refused.status, refused.getheader("Allow")) == (405, "GET, HEAD"), method


@pytest.mark.integration
def test_the_origins_to_allow_name_the_shop_by_address_and_by_name(site: ShopSite) -> None:
    server = make_shop_server(site.settings, port=0, quiet=True)
    try:
        assert shop_origins(server) == [server.url, f"http://localhost:{server.server_port}"]
    finally:
        server.server_close()
