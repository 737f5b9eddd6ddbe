"""``clickstream shop``: the demo shop (``local_only/demo_shop/``) on a local HTTP server.

A single-page app over the simulator's catalogue (``local_only.simulator.catalogue``, read here and served as
``/catalogue.json``, so the shop and the synthetic traffic sell the same products under the same ids and URLs),
instrumented only through the tracker's public API. The server answers only what the shop is made of: its page
(for every route of the app, with the collector's endpoint and the tracker's options written in), its two static
files and the catalogue. No path reaches the file system: every answer is looked up by exact path among those
prepared at start, so nothing else on the disk can be asked for.

The page loads the tracker as a shop's pages do, from elsewhere: by default the collector's own ``/clickstream.js``
(``clickstream serve`` answers it, as the deployed stack's assets bucket does), or any ``--tracker-src``.

It runs on the project's bounded server (``local_only.bounded_server``) like ``clickstream serve``, since it may be
reachable from other machines too.
"""

from __future__ import annotations

import html
import json
import sys
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from local_only.bounded_server import BoundedHTTPServer, BoundedRequestHandler, ServerLimits
from local_only.cli_options import port_option
from local_only.simulator.catalogue import CATEGORIES, CATEGORY_TITLES, shop_catalogue
from local_only.tracker_script import SCRIPT_PATH

STATIC_DIR = Path(__file__).with_name("demo_shop")
DEFAULT_PORT = 8081
DEFAULT_ENDPOINT = "http://127.0.0.1:8080/clickstream"
APP_ID = "demo-shop"
# The app's routes with no parameter (app.js's `route`): the page is served for each, 200.
_APP_PATHS = frozenset({"/", "/deals", "/search", "/cart", "/checkout", "/checkout/confirmation", "/login", "/account"})
_STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_HTML = "text/html; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    cache_control: str = "no-cache"


@dataclass(frozen=True)
class ShopSettings:
    """What the shop's page is told: where events go and how the tracker is loaded and configured."""

    endpoint: str = DEFAULT_ENDPOINT
    # The <script src> of the tracker; None: the endpoint's origin's /clickstream.js (what `clickstream serve` answers).
    tracker_src: str | None = None
    # Track a browser driven by WebDriver (navigator.webdriver): scripted test runs set it.
    allow_automation: bool = False

    def __post_init__(self) -> None:
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"the endpoint must be an http(s) URL, e.g. {DEFAULT_ENDPOINT}: got {self.endpoint!r}")

    @property
    def script_src(self) -> str:
        if self.tracker_src:
            return self.tracker_src
        parts = urlsplit(self.endpoint)
        return f"{parts.scheme}://{parts.netloc}{SCRIPT_PATH}"


def catalogue_document() -> dict[str, Any]:
    """The simulator's catalogue as the shop's app reads it: categories in order, products with the event fields."""
    catalogue = shop_catalogue()
    return {
        "categories": [{"id": category, "title": CATEGORY_TITLES[category]} for category in CATEGORIES],
        "products": [{**product.as_event_product(), "slug": product.slug} for product in catalogue.products],
    }


class ShopSite:
    """Every answer of the shop, by path; built once, so a request never touches the file system."""

    def __init__(self, settings: ShopSettings) -> None:
        self.settings = settings
        config = {"endpoint": settings.endpoint, "appId": APP_ID, "allowAutomation": settings.allow_automation}
        # Inside a <script> element: no "<" may close it early, whatever the endpoint holds.
        config_json = json.dumps(config).replace("<", "\\u003c")
        template = (STATIC_DIR / "index.html").read_text()
        page = template.replace("{{config}}", config_json).replace(
            "{{tracker_src}}", html.escape(settings.script_src, quote=True)
        )
        self.page = page.encode()
        document = catalogue_document()
        self.catalogue = json.dumps(document, separators=(",", ":")).encode()
        self.product_paths = frozenset(f"/product/{product['slug']}" for product in document["products"])
        self.category_paths = frozenset(f"/category/{category}" for category in CATEGORIES)
        self.static = {
            f"/{path.name}": Answer(HTTPStatus.OK, _STATIC_TYPES[path.suffix], path.read_bytes())
            for path in sorted(STATIC_DIR.iterdir())
            if path.suffix in _STATIC_TYPES
        }

    def answer(self, path: str) -> Answer:
        """The answer to a GET of `path` (the request target's path, not decoded)."""
        if path in self.static:
            return self.static[path]
        if path == "/catalogue.json":
            return Answer(HTTPStatus.OK, "application/json", self.catalogue)
        trimmed = path.rstrip("/") or "/"
        if trimmed in _APP_PATHS or trimmed in self.product_paths or trimmed in self.category_paths:
            return Answer(HTTPStatus.OK, _HTML, self.page)
        # The app shows its "not found" page; the status says it too.
        return Answer(HTTPStatus.NOT_FOUND, _HTML, self.page)


class ShopServer(BoundedHTTPServer):
    def __init__(
        self,
        address: tuple[str, int],
        site: ShopSite,
        *,
        quiet: bool = False,
        limits: ServerLimits | None = None,
    ) -> None:
        self.site = site
        self.quiet = quiet
        super().__init__(address, _ShopRequestHandler, limits)

    @property
    def url(self) -> str:
        host = self.server_address[0]
        text = host.decode() if isinstance(host, bytes | bytearray) else str(host)
        return f"http://{f'[{text}]' if ':' in text else text}:{self.server_port}"


class _ShopRequestHandler(BoundedRequestHandler):
    server: ShopServer
    server_version = "clickstream-demo-shop"

    def dispatch(self) -> None:
        if self.command not in ("GET", "HEAD"):
            self.close_connection = True
            body = f"method {self.command} is not allowed: the shop only answers GET and HEAD\n".encode()
            self._send(Answer(HTTPStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", body), {"Allow": "GET, HEAD"})
            return
        if self.headers.get("content-length") not in (None, "0") or self.headers.get("transfer-encoding"):
            # A GET with a body: not read, so the connection cannot be reused (and lingers, so that closing it
            # with unread input does not reset the answer away).
            self.close_connection = True
            self.linger_on_close = True
        # The target as sent, up to its query: never parsed as a URL ("//x" would become a host).
        self._send(self.server.site.answer(self.path.partition("?")[0].partition("#")[0] or "/"))

    def _send(self, answer: Answer, headers: dict[str, str] | None = None) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("Cache-Control", answer.cache_control)
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            sys.stderr.write(f"shop: {self.address_string()} - {format % args}\n")


def make_shop_server(
    settings: ShopSettings, host: str = "127.0.0.1", port: int = DEFAULT_PORT, *, quiet: bool = False
) -> ShopServer:
    """A shop server ready for ``serve_forever()`` (port 0: any free port)."""
    return ShopServer((host, port), ShopSite(settings), quiet=quiet)


def shop_origins(server: ShopServer) -> list[str]:
    """The origins a browser may give the shop's page: as served, and by name when it is on loopback (the
    collector must allow each: `clickstream serve --allow-origin`)."""
    origins = [server.url]
    if server.url.startswith("http://127.0.0.1:"):
        origins.append(f"http://localhost:{server.server_port}")
    return origins


@click.command("shop")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@port_option("--port", default=DEFAULT_PORT, help="Port to listen on.", any_free=True)
@click.option(
    "--endpoint",
    default=DEFAULT_ENDPOINT,
    show_default=True,
    help="The collector's route the shop's tracker posts to (`clickstream serve`, or the deployed API).",
)
@click.option(
    "--tracker-src",
    metavar="URL",
    help="The tracker's <script src> (e.g. a deployed stack's TrackerScriptUrl). [default: the endpoint's origin's "
    "/clickstream.js, which clickstream serve answers]",
)
@click.option("--allow-automation", is_flag=True, help="Track browsers driven by WebDriver too (scripted runs).")
def shop_command(host: str, port: int, endpoint: str, tracker_src: str | None, allow_automation: bool) -> None:
    """Serve the demo shop: a computer-and-accessories store instrumented only through the tracker."""
    try:
        settings = ShopSettings(endpoint=endpoint, tracker_src=tracker_src, allow_automation=allow_automation)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--endpoint") from exc
    try:
        server = make_shop_server(settings, host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc
    click.echo(
        f"demo shop on {server.url}/ (tracker from {settings.script_src}, events to {endpoint}; the collector must "
        f"allow its origin: clickstream serve --allow-origin {server.url}); Ctrl-C stops"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
