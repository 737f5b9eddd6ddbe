"""``GET /clickstream.js`` of `clickstream serve`: the built tracker, for a shop page's ``<script>`` tag.

The file is `tracker/dist/clickstream.js` (``make tracker`` builds it), read again whenever it changes on disk, so
that a rebuild while `serve` runs is what the next page gets. Its strong ``ETag`` is a hash of its bytes: a
browser revalidates with ``If-None-Match`` after ``Cache-Control``'s five minutes and gets ``304`` while the build
is the same. Deployed, the same file is an S3 object (docs/deploy.md); this is the local stand-in.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import orjson

SCRIPT_PATH = "/clickstream.js"
SCRIPT_METHODS = ("GET", "HEAD", "OPTIONS")
DEFAULT_TRACKER_SCRIPT = Path(__file__).resolve().parents[1] / "tracker" / "dist" / "clickstream.js"
CONTENT_TYPE = "text/javascript; charset=utf-8"
# Short enough that a new build reaches pages within minutes; the ETag makes the revalidation after it cheap.
CACHE_CONTROL = "public, max-age=300"


@dataclass(frozen=True, slots=True)
class ScriptAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class _Loaded:
    stamp: tuple[int, int, int]
    body: bytes
    etag: str


class TrackerScript:
    """The tracker script at `path`, answered with its ETag; ``404`` saying how to build it while it is missing."""

    def __init__(self, path: Path = DEFAULT_TRACKER_SCRIPT) -> None:
        self.path = path
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    def answer(self, if_none_match: str | None) -> ScriptAnswer:
        """The answer to ``GET /clickstream.js`` (``HEAD`` is the same without the body, which serve leaves out)."""
        loaded = self._load()
        if loaded is None:
            body = orjson.dumps(
                {"error": f"the tracker is not built: run `make tracker` (no {self.path}), or pass --tracker-script"}
            )
            return ScriptAnswer(
                HTTPStatus.NOT_FOUND, {"Content-Type": "application/json", "Cache-Control": "no-store"}, body
            )
        headers = {
            "Content-Type": CONTENT_TYPE,
            "ETag": loaded.etag,
            "Cache-Control": CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
        }
        if if_none_match is not None and _matches(if_none_match, loaded.etag):
            return ScriptAnswer(HTTPStatus.NOT_MODIFIED, headers, b"")
        return ScriptAnswer(HTTPStatus.OK, headers, loaded.body)

    def _load(self) -> _Loaded | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        with self._lock:
            if self._loaded is not None and self._loaded.stamp == stamp:
                return self._loaded
            try:
                body = self.path.read_bytes()
            except OSError:
                return None
            self._loaded = _Loaded(stamp, body, etag_of(body))
            return self._loaded


def etag_of(body: bytes) -> str:
    """A strong entity tag: the first 128 bits of the body's SHA-256, quoted."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match's weak comparison (RFC 9110 13.1.2): ``*``, or any listed tag with W/ or without."""
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or etag in (tag.removeprefix("W/") for tag in tags)
