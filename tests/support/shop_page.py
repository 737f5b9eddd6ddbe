"""Test harness: a shop's page on an origin of its own, served by a tiny HTTP server, for the browser tests.

A shop and its collector are on different origins; the browser tests put this page on ``http://127.0.0.1:<port>``
and ``clickstream serve`` on another port. Every path answers the same page, titled with its path, so a test can
visit several pages (and reload any of them). With a `script_url` (the collector's ``/clickstream.js``), the page
is the install snippet of docs/tracker.md: it loads the tracker and calls ``Clickstream.init(window.trackerOptions)``
when a test has set those options (``BrowserContext.add_init_script``, so every page and reload of the context has
them). Without one it is a bare page.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
{tracker}
</head>
<body><h1>{title}</h1></body>
</html>
"""
# docs/tracker.md's install snippet, the options left to the test.
TRACKER = """<script src="{script_url}" defer></script>
<script>
  addEventListener('DOMContentLoaded', () => {{
    if (window.trackerOptions) Clickstream.init(window.trackerOptions);
  }});
</script>"""


@dataclass
class ShopPage:
    """The page's origin, and the tracker script it loads (None: none); a test may point it at its collector."""

    origin: str
    script_url: str | None = None


class _PageServer(ThreadingHTTPServer):
    daemon_threads = True
    page: ShopPage


class _PageHandler(BaseHTTPRequestHandler):
    server: _PageServer

    def do_GET(self) -> None:
        title = html.escape(urlsplit(self.path).path)
        script_url = self.server.page.script_url
        tracker = TRACKER.format(script_url=html.escape(script_url)) if script_url else ""
        body = PAGE.format(title=title, tracker=tracker).encode("utf-8")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        # A reload loads the page again from here, never from a cache.
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests look at the collector's requests, not the page's."""


@contextmanager
def serving_shop_page() -> Iterator[ShopPage]:
    """The shop page on a free port of 127.0.0.1 (also reachable as ``localhost``, another origin)."""
    server = _PageServer(("127.0.0.1", 0), _PageHandler)
    server.page = ShopPage(origin=f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, name="shop-page", daemon=True)
    thread.start()
    try:
        yield server.page
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
