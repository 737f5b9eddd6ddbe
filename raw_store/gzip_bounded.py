"""Gzip inflation with a ceiling: what the ingest reads from a client and the loader reads from the bucket."""

from __future__ import annotations

import zlib

GZIP_MAGIC = b"\x1f\x8b"


class InflateError(ValueError):
    """The bytes are not a complete gzip stream; the message says how."""


class InflatedTooLarge(InflateError):
    """The stream inflates past the ceiling (a gzip bomb stops here, at the ceiling's cost in memory)."""


def gunzip_bounded(data: bytes, max_bytes: int) -> bytes:
    """Inflate every member of a gzip stream (as ``gzip.decompress`` does), at most `max_bytes` in all."""
    out = bytearray()
    remaining = data
    while True:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(remaining, max_bytes + 1 - len(out))
        except zlib.error as exc:
            raise InflateError(f"does not inflate: {exc}") from exc
        if len(out) > max_bytes or inflater.unconsumed_tail:
            raise InflatedTooLarge(f"inflates to more than {max_bytes} bytes")
        if not inflater.eof:
            raise InflateError("is a truncated gzip stream")
        remaining = inflater.unused_data
        if not remaining:
            return bytes(out)
        if remaining[:2] != GZIP_MAGIC:
            raise InflateError("has trailing data after its gzip stream")
