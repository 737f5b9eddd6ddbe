"""Test harness: a shop page that loads the built tracker, served from its own origin by a tiny HTTP server.

The browser tests put the page on one origin (``http://127.0.0.1:<port>``) and ``clickstream serve`` on another,
as a shop and its collector are. Every path but ``/clickstream.js`` answers the same page, titled with its path,
so a test can visit several pages (and reload any of them). The page calls ``Clickstream.init(window.trackerOptions)``
when a test has set those options (``BrowserContext.add_init_script``, so every page and reload of the context has
them); without them the tracker stays uninitialised and the test calls ``init`` itself.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

SCRIPT_PATH = "/clickstream.js"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<script src="{script}"></script>
<script>if (window.trackerOptions) Clickstream.init(window.trackerOptions);</script>
</head>
<body><h1>{title}</h1></body>
</html>
"""


class _PageServer(ThreadingHTTPServer):
    daemon_threads = True
    script: bytes


class _PageHandler(BaseHTTPRequestHandler):
    server: _PageServer
    # No caching: a reload must load the page and the script again, from this server.
    headers_out: ClassVar[dict[str, str]] = {"Cache-Control": "no-store"}

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == SCRIPT_PATH:
            self._send("text/javascript", self.server.script)
        else:
            page = PAGE.format(title=html.escape(path), script=SCRIPT_PATH)
            self._send("text/html; charset=utf-8", page.encode("utf-8"))

    def _send(self, content_type: str, body: bytes) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in self.headers_out.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the tests look at the collector's requests, not the page's."""


@contextmanager
def serving_tracker_page(script: Path) -> Iterator[str]:
    """The shop page on a free port of 127.0.0.1, loading `script` (the built IIFE); yields its origin."""
    server = _PageServer(("127.0.0.1", 0), _PageHandler)
    server.script = script.read_bytes()
    thread = threading.Thread(target=server.serve_forever, name="tracker-page", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
