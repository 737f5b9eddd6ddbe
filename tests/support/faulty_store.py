"""A raw store that fails on purpose: every n-th read, every read of some keys, the first reads of some, or the
first writes.

The error is a plain StorageError, as a store raises for an error its SDK does not retry (a 500 after the SDK's
own attempts, a connection reset mid-body). Listing passes through untouched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from raw_store import ObjectInfo, RawStore, StorageError


@dataclass
class FaultyStore:
    inner: RawStore
    every: int = 0  # fail every n-th read (0: never), counted over all keys
    always: frozenset[str] = frozenset()  # keys that can never be read
    first: dict[str, int] = field(default_factory=dict)  # key -> how many of its first reads fail
    failing_puts: int = 0  # how many of the first writes fail (the ingest answers those requests 503)
    reads: int = 0
    failed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return self.inner.url

    def _read(self, key: str) -> None:
        with self._lock:
            self.reads += 1
            fail = key in self.always or (self.every > 0 and self.reads % self.every == 0)
            if self.first.get(key, 0) > 0:
                self.first[key] -= 1
                fail = True
            if fail:
                self.failed += 1
                raise StorageError(f"cannot read {key}: injected InternalError (read {self.reads})")

    def put(self, key: str, data: bytes, content_type: str = "application/x-ndjson") -> ObjectInfo:
        with self._lock:
            if self.failing_puts > 0:
                self.failing_puts -= 1
                self.failed += 1
                raise StorageError(f"cannot write {key}: injected InternalError")
        return self.inner.put(key, data, content_type)

    def get(self, key: str) -> bytes:
        self._read(key)
        return self.inner.get(key)

    def stream(self, key: str, chunk_bytes: int = 1 << 20) -> Iterator[bytes]:
        self._read(key)
        yield from self.inner.stream(key, chunk_bytes)  # type: ignore[attr-defined]

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        return self.inner.list(prefix)
