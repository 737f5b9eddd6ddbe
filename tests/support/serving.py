"""Test harness: a `clickstream serve` server in a thread, on a free port, writing into a temporary file store."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pytest

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
    hash_salt: str | None = "test-salt",
) -> Iterator[RunningServer]:
    """make_server on port 0 in a daemon thread; the ingest's environment and caches are restored afterwards.

    `hash_salt` None leaves HASH_SALT unset, so the server falls back to the local default.
    """
    import ingest_lambda.handler as ingest_handler
    from ingest_lambda.settings import get_settings

    with pytest.MonkeyPatch.context() as patch:
        # make_server sets these in os.environ; setting them here first makes the context restore them.
        patch.setenv("RAW_STORE_URL", store.as_uri())
        patch.setenv("HASH_SALT", hash_salt or "unset below")
        if hash_salt is None:
            patch.delenv("HASH_SALT")
        patch.delenv("RAW_BUCKET_NAME", raising=False)
        server = make_server(
            "127.0.0.1", 0, [SHOP_ORIGIN], store.as_uri(), quiet=quiet, log_stream=log_stream, limits=limits
        )
        thread = threading.Thread(target=server.serve_forever, name="clickstream-serve", daemon=True)
        thread.start()
        try:
            yield RunningServer(url=server.url, store=store, server=server)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
            get_settings.cache_clear()
            ingest_handler._services.cache_clear()
