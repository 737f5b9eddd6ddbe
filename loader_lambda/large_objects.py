"""Objects too large to hold in memory: read as a stream, their rows spooled to temporary files, landed alone.

An object over `IN_MEMORY_MAX_BYTES` (or a gzip object inflating past `IN_MEMORY_MAX_INFLATED`) is never read
whole. Its lines come from the store chunk by chunk (loader_lambda/streaming.py: an over-long line is kept as its
prefix, size and hash), and its COPY rows and rejected rows go to spool files that stay in memory up to
`SPOOL_MEMORY_BYTES` each and then move to disk. Its transaction carries only it, so the loader's memory is about
a chunk, a line and the spools' memory part whatever the object's size; the disk it needs is about the object's
size (the Lambda's ephemeral storage).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime
from tempfile import SpooledTemporaryFile

from loader_lambda.ledger import rejected_copy_row
from loader_lambda.lines import (
    MAX_INFLATED_BYTES,
    WHOLE_OBJECT,
    ParsedObject,
    Spool,
    add_line,
    add_overlong,
    copy_time,
    escaped_key,
)
from loader_lambda.streaming import KEPT_PREFIX_BYTES, MAX_LINE_BYTES, Overlong, inflate_if_gzip, split_lines
from raw_store import ObjectInfo
from raw_store.gzip_bounded import InflateError

IN_MEMORY_MAX_BYTES = 4 * 1024 * 1024
IN_MEMORY_MAX_INFLATED = 16 * 1024 * 1024
SPOOL_MEMORY_BYTES = 4 * 1024 * 1024
_FLUSH_ROWS = 1000


def parse_streamed(
    info: ObjectInfo,
    chunks: Callable[[], Iterator[bytes]],
    fallback_received_at: datetime,
    run_id: str,
    *,
    optimistic: bool,
) -> ParsedObject:
    """The object's rows and refusals, spooled. `chunks` opens the object's stream (again, for an unreadable gzip,
    whose bytes are then kept as line 0); StorageError from it propagates."""
    parsed = ParsedObject(key=info.key, etag=info.etag, size=info.size)
    parsed.spool = Spool(_spool(), _spool())
    try:
        try:
            _parse_lines(parsed, chunks(), fallback_received_at, run_id, optimistic)
        except InflateError as exc:
            parsed.spool.close()
            parsed = ParsedObject(key=info.key, etag=info.etag, size=info.size, spool=Spool(_spool(), _spool()))
            _reject_whole(parsed, chunks(), f"object {exc}", run_id)
    except BaseException:
        if parsed.spool is not None:
            parsed.spool.close()
        raise
    return parsed


def _spool() -> SpooledTemporaryFile[bytes]:
    return SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES, mode="w+b")


def _parse_lines(
    parsed: ParsedObject, chunks: Iterator[bytes], fallback_received_at: datetime, run_id: str, optimistic: bool
) -> None:
    assert parsed.spool is not None
    fallback = copy_time(fallback_received_at)
    key = escaped_key(parsed.key)
    lines = split_lines(inflate_if_gzip(chunks, MAX_INFLATED_BYTES))
    for number, line in enumerate(lines, start=1):
        if isinstance(line, Overlong):
            add_overlong(parsed, number, line)
        else:
            add_line(parsed, number, line, key, fallback, optimistic=optimistic)
        if len(parsed.copy_rows) >= _FLUSH_ROWS or parsed.rejected:
            _flush(parsed, run_id)
    _flush(parsed, run_id)


def _flush(parsed: ParsedObject, run_id: str) -> None:
    assert parsed.spool is not None
    if parsed.copy_rows:
        parsed.spool.rows.write(b"\n".join(parsed.copy_rows) + b"\n")
        parsed.copy_rows = []
    for number, raw, reason in parsed.rejected:
        parsed.spool.rejected.write(rejected_copy_row(parsed.key, number, raw, reason, run_id))
        parsed.spool.rejected_count += 1
    parsed.rejected = []


def _reject_whole(parsed: ParsedObject, chunks: Iterator[bytes], reason: str, run_id: str) -> None:
    """An object that cannot be read as lines is line 0: its bytes when they fit the line limit, else its prefix,
    with its size and hash in the reason."""
    kept = bytearray()
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        if len(kept) <= MAX_LINE_BYTES:
            kept += chunk[: MAX_LINE_BYTES + 1 - len(kept)]
    if size > MAX_LINE_BYTES:
        kept = kept[:KEPT_PREFIX_BYTES]
        reason = f"{reason}; {size} bytes, the first {KEPT_PREFIX_BYTES} kept, sha256 {digest.hexdigest()}"
    parsed.rejected.append((WHOLE_OBJECT, bytes(kept), reason))
    _flush(parsed, run_id)
