"""Open a store from its URL: ``s3://bucket[/prefix]`` or ``file:///abs/dir``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from raw_store.base import RawStore


def open_store(url: str, *, sse: str = "AES256", kms_key_id: str | None = None) -> RawStore:
    """The store a URL names; a ValueError says what is wrong with a bad one.

    ``file://`` URLs accept ``?fsync=false`` for bulk local generation, where per-object durability is not worth
    an fsync; the bytes written are the same.
    """
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"store URL {url!r} names no bucket: use s3://bucket[/prefix]")
        from raw_store.s3_store import S3Store

        return S3Store(parsed.netloc, parsed.path.lstrip("/"), sse=sse, kms_key_id=kms_key_id)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ValueError(f"store URL {url!r} must be file:///absolute/dir")
        path = Path(unquote(parsed.path))
        if not path.is_absolute():
            raise ValueError(f"store URL {url!r} must name an absolute directory")
        options = parse_qs(parsed.query)
        fsync = options.get("fsync", ["true"])[0].lower() not in ("0", "false", "no")
        from raw_store.file_store import FileStore

        return FileStore(path, fsync=fsync)
    raise ValueError(f"unsupported store URL {url!r}: use s3://bucket[/prefix] or file:///abs/dir")
