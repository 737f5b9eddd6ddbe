"""An object's lines read piece by piece, so the loader's memory does not grow with the size of an object.

The ingest never writes a line over 1 MiB (docs/event-contract.md); a line longer than `MAX_LINE_BYTES` is not
ours, and is never held whole: it comes out as an `Overlong` (its first `KEPT_PREFIX_BYTES`, its size and its
SHA-256), which the loader records in ``raw.rejected_lines``. Gzip is inflated as it streams, within the same
ceiling as an object read whole.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from raw_store.gzip_bounded import GZIP_MAGIC, InflatedTooLarge, InflateError

# Twice the ingest's largest body: room for its enrichment of a maximal event, far below what would hurt memory.
MAX_LINE_BYTES = 2 * 1024 * 1024
# What is kept of an over-long line (or of an unreadable object too large to keep whole).
KEPT_PREFIX_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Overlong:
    """A line longer than the limit: what is kept of it, and enough to identify it."""

    prefix: bytes
    size: int
    sha256: str

    @property
    def reason(self) -> str:
        return overlong_reason(self.size, self.sha256)


def overlong_reason(size: int, sha256: str, what: str = "line") -> str:
    return (
        f"{what} of {size} bytes is longer than the {MAX_LINE_BYTES}-byte limit; its first "
        f"{min(size, KEPT_PREFIX_BYTES)} bytes are kept, sha256 {sha256}"
    )


def overlong(line: bytes) -> Overlong:
    return Overlong(line[:KEPT_PREFIX_BYTES], len(line), hashlib.sha256(line).hexdigest())


def split_lines(chunks: Iterable[bytes], max_line: int = MAX_LINE_BYTES) -> Iterator[bytes | Overlong]:
    """The lines of a stream of chunks (without their newlines; a final empty line is not a line), each at most
    `max_line` bytes; a longer one comes out as an `Overlong` without ever being held whole."""
    pending = bytearray()
    long_hash: hashlib._Hash | None = None
    long_prefix = b""
    long_size = 0
    for chunk in chunks:
        start = 0
        while start < len(chunk):
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            start = len(chunk) if end < 0 else end + 1
            if long_hash is not None:
                long_hash.update(piece)
                long_size += len(piece)
            else:
                pending += piece
                if len(pending) > max_line:
                    long_hash = hashlib.sha256(pending)
                    long_prefix, long_size = bytes(pending[:KEPT_PREFIX_BYTES]), len(pending)
                    pending = bytearray()
            if end >= 0:
                if long_hash is not None:
                    yield Overlong(long_prefix, long_size, long_hash.hexdigest())
                    long_hash = None
                else:
                    yield bytes(pending)
                    pending = bytearray()
    if long_hash is not None:
        yield Overlong(long_prefix, long_size, long_hash.hexdigest())
    elif pending:
        yield bytes(pending)


def inflate_if_gzip(chunks: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    """The chunks as they are, or inflated when the stream starts as gzip does (every member, as
    ``gzip.decompress`` reads them); InflateError when the stream is not a complete gzip or inflates past
    `max_bytes`. The error can come after some chunks were yielded: a caller discards what it made of them."""
    source = iter(chunks)
    first = b""
    for chunk in source:
        first += chunk
        if len(first) >= 2:
            break
    if first[:2] != GZIP_MAGIC:
        if first:
            yield first
        yield from source
        return
    yield from _inflate(first, source, max_bytes)


def _inflate(first: bytes, rest: Iterator[bytes], max_bytes: int) -> Iterator[bytes]:
    inflater: Any = None  # None between members
    total = 0
    data = first
    while True:
        while data:
            if inflater is None:
                if len(data) < 2:
                    break  # the next member's magic may straddle two chunks
                if data[:2] != GZIP_MAGIC:
                    raise InflateError("has trailing data after its gzip stream")
                inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            try:
                out = inflater.decompress(data, 1 << 20)
            except zlib.error as exc:
                raise InflateError(f"does not inflate: {exc}") from exc
            total += len(out)
            if total > max_bytes:
                raise InflatedTooLarge(f"inflates to more than {max_bytes} bytes")
            if out:
                yield out
            if inflater.eof:
                data, inflater = inflater.unused_data, None
            else:
                data = inflater.unconsumed_tail
        more = next(rest, None)
        if more is None:
            if inflater is not None:
                raise InflateError("is a truncated gzip stream")
            if data:
                raise InflateError("has trailing data after its gzip stream")
            return
        data = bytes(data) + more
