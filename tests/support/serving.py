"""Test harness: a `clickstream serve` server in a thread, on a free port, writing into a temporary file store."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from local_only.bounded_server import ServerLimits
from local_only.serve import ClickstreamServer, make_server

SHOP_ORIGIN = "https://shop.example"


@dataclass(frozen=True)
class RunningServer:
    url: str
    store: Path
    server: ClickstreamServer
    log: io.StringIO | None = None

    def objects(self, prefix: str = "") -> set[str]:
        """Keys of the objects in the store, e.g. ``events/2025/12/06/05/event-<uuid>.json``."""
        root = self.store / prefix
        if not root.exists():
            return set()
        return {
            path.relative_to(self.store).as_posix()
            for path in root.rglob("*")
            if path.is_file() and not path.name.startswith(".tmp-")
        }


@contextmanager
def running_server(
    store: Path,
    *,
    quiet: bool = False,
    log_stream: TextIO | None = None,
    limits: ServerLimits | None = None,
    tracker_script: Path | None = None,
    hash_salt: str | None = "test-salt",
    allow_origins: Iterable[str] = (SHOP_ORIGIN,),
) -> Iterator[RunningServer]:
    """make_server on port 0 in a daemon thread; the ingest services installed before are restored afterwards.

    `hash_salt` None leaves it to the server, which falls back to ``HASH_SALT``, else the local default.
    `allow_origins` are the page origins allowed by CORS (``--allow-origin``).
    """
    from ingest_lambda.services import override_services

    # make_server installs the ingest's services for the process; the override puts back what was there.
    with override_services(None):
        server = make_server(
            "127.0.0.1",
            0,
            allow_origins,
            store.as_uri(),
            quiet=quiet,
            log_stream=log_stream,
            limits=limits,
            tracker_script=tracker_script,
            hash_salt=hash_salt,
        )
        thread = threading.Thread(target=server.serve_forever, name="clickstream-serve", daemon=True)
        thread.start()
        try:
            yield RunningServer(url=server.url, store=store, server=server)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
