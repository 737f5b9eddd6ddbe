"""The storage interface shared by the ingest and loader Lambdas."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


class StorageError(Exception):
    """The store could not do what was asked (unreachable, denied, missing object).

    Callers treat it as retryable: nothing was acknowledged.
    """


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    last_modified: datetime


class RawStore(Protocol):
    """Where raw objects live: an S3 bucket (production) or a local directory (demo, tests)."""

    @property
    def url(self) -> str:
        """Where the store is (``s3://bucket/prefix``, ``file:///...``): read-only, so a wrapper may derive it."""
        ...

    def put(self, key: str, data: bytes, content_type: str = "application/x-ndjson") -> ObjectInfo:
        """Store `data` under `key` durably and atomically; return only once it is safe."""
        ...

    def get(self, key: str) -> bytes:
        """Read a whole object."""
        ...

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Yield the objects whose key starts with `prefix`, in key order."""
        ...


@runtime_checkable
class StreamingStore(Protocol):
    """A store that can also hand an object over piece by piece, so reading it costs a chunk of memory, not its
    size (FileStore and S3Store do; a store without it is read whole)."""

    def stream(self, key: str, chunk_bytes: int = 1 << 20) -> Iterator[bytes]:
        """Yield the object's bytes in order, in chunks of at most `chunk_bytes`; StorageError if it cannot."""
        ...
