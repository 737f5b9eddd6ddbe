"""Hourly compaction: every raw line of an hour in one Parquet file, so a replay reads one object, not thousands.

``compacted/YYYY/MM/DD/HH/events.parquet`` (zstd) has one row per line: the original object's key, etag and size,
the line number and the line's bytes exactly as stored (broken lines included; an unreadable object is one row with
line 0 and its whole bytes). Loading from it goes through the same parser and ledger as loading the small objects,
under the original keys, so each object still lands exactly once whichever source is used. Once an hour is
compacted its small objects may expire (see docs/loader.md).
"""

from __future__ import annotations

import hashlib
import itertools
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from loader_lambda.lines import MAX_INFLATED_BYTES, WHOLE_OBJECT
from loader_lambda.streaming import KEPT_PREFIX_BYTES, MAX_LINE_BYTES, Overlong, inflate_if_gzip, split_lines
from raw_store import KeyKind, ObjectInfo, RawStore, StreamingStore, hour_prefix
from raw_store.gzip_bounded import GZIP_MAGIC, InflateError

SCHEMA = pa.schema(
    [
        ("s3_key", pa.string()),
        ("etag", pa.string()),
        ("size", pa.int64()),
        ("line_no", pa.int32()),
        ("line", pa.binary()),
        # Set only for a line over the limit (or an unreadable object too large to keep): `line` is then its
        # first bytes, these its full size and SHA-256. Files written before these columns existed lack them.
        ("line_bytes", pa.int64()),
        ("line_sha256", pa.string()),
    ]
)
ROW_GROUP_ROWS = 50_000
# A row group is also cut at this many bytes of lines (and Python's own cost for each row, about 400 bytes), so
# memory stays bounded however long or short the lines are.
ROW_GROUP_BYTES = 16 * 1024 * 1024
_ROW_OVERHEAD_BYTES = 400


def compacted_key(hour: datetime) -> str:
    return hour_prefix(KeyKind.COMPACTED, hour) + "events.parquet"


def compact_hour(store: RawStore, hour: datetime) -> tuple[str, int] | None:
    """Write the hour's compacted file from its objects; None when the hour has no objects.

    Objects are read as streams and rows go out in bounded row groups to a temporary file; only the finished,
    compressed file is read back for the upload."""
    objects = list(store.list(hour_prefix(KeyKind.EVENTS, hour)))
    if not objects:
        return None
    rows = 0
    chunks_of = _chunk_reader(store)
    with tempfile.TemporaryFile() as sink:
        with pq.ParquetWriter(sink, SCHEMA, compression="zstd") as writer:
            batch = _Batch()
            for info in objects:
                for number, line in numbered_lines(chunks_of, info.key):
                    batch.add(info, number, line)
                    rows += 1
                    if batch.full():
                        writer.write_table(batch.table())
                        batch = _Batch()
            if batch.rows:
                writer.write_table(batch.table())
        sink.seek(0)
        data = sink.read()
    key = compacted_key(hour)
    store.put(key, data, content_type="application/vnd.apache.parquet")
    return key, rows


class _Batch:
    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
        self.rows = 0
        self.bytes = 0

    def add(self, info: ObjectInfo, number: int, line: bytes | Overlong) -> None:
        columns = self.columns
        columns["s3_key"].append(info.key)
        columns["etag"].append(info.etag)
        columns["size"].append(info.size)
        columns["line_no"].append(number)
        if isinstance(line, Overlong):
            columns["line"].append(line.prefix)
            columns["line_bytes"].append(line.size)
            columns["line_sha256"].append(line.sha256)
            self.bytes += len(line.prefix)
        else:
            columns["line"].append(line)
            columns["line_bytes"].append(None)
            columns["line_sha256"].append(None)
            self.bytes += len(line)
        self.rows += 1
        self.bytes += _ROW_OVERHEAD_BYTES

    def full(self) -> bool:
        return self.rows >= ROW_GROUP_ROWS or self.bytes >= ROW_GROUP_BYTES

    def table(self) -> pa.Table:
        return pa.table(self.columns, schema=SCHEMA)


def numbered_lines(chunks_of: ChunkReader, key: str) -> Iterator[tuple[int, bytes | Overlong]]:
    """An object's numbered lines, streamed; an object that cannot be read as lines is one row, line 0 (checked
    in a first pass, since that is only known at its end)."""
    chunks = chunks_of(key)
    first = next(chunks, b"")
    if first[:2] != GZIP_MAGIC:
        following = next(chunks, None)
        if following is None and len(first) <= MAX_LINE_BYTES:
            # The whole object came in one chunk, as nearly every one does (a request's few KB): split it at once,
            # no line of it can be over the limit.
            lines = first.split(b"\n")
            if lines[-1] == b"":
                lines.pop()
            yield from enumerate(lines, start=1)
            return
        rest = itertools.chain((first,), () if following is None else (following,), chunks)
        yield from enumerate(split_lines(rest), start=1)
        return
    try:
        for _ in inflate_if_gzip(itertools.chain((first,), chunks), MAX_INFLATED_BYTES):
            pass
    except InflateError:
        yield WHOLE_OBJECT, _whole(chunks_of, key)
        return
    yield from enumerate(split_lines(inflate_if_gzip(chunks_of(key), MAX_INFLATED_BYTES)), start=1)


ChunkReader = Callable[[str], Iterator[bytes]]


def _chunk_reader(store: RawStore) -> ChunkReader:
    # Decided once per hour: isinstance against a runtime-checkable Protocol costs about as much as reading one
    # small object.
    if isinstance(store, StreamingStore):
        return store.stream
    return lambda key: iter((store.get(key),))


def _whole(chunks_of: ChunkReader, key: str) -> bytes | Overlong:
    kept = bytearray()
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks_of(key):
        digest.update(chunk)
        size += len(chunk)
        if len(kept) <= MAX_LINE_BYTES:
            kept += chunk[: MAX_LINE_BYTES + 1 - len(kept)]
    if size > MAX_LINE_BYTES:
        return Overlong(bytes(kept[:KEPT_PREFIX_BYTES]), size, digest.hexdigest())
    return bytes(kept)


def read_compacted(data: bytes) -> Iterator[tuple[ObjectInfo, list[tuple[int, bytes | Overlong]]]]:
    """The original objects in a compacted file, each with its numbered lines, one object at a time."""
    parquet = pq.ParquetFile(pa.BufferReader(data))
    current: ObjectInfo | None = None
    lines: list[tuple[int, bytes | Overlong]] = []
    for record_batch in parquet.iter_batches(batch_size=ROW_GROUP_ROWS):
        columns = record_batch.to_pydict()
        count = len(columns["s3_key"])
        sizes = columns.get("line_bytes", [None] * count)
        hashes = columns.get("line_sha256", [None] * count)
        for key, etag, size, number, line, line_bytes, sha in zip(
            columns["s3_key"],
            columns["etag"],
            columns["size"],
            columns["line_no"],
            columns["line"],
            sizes,
            hashes,
            strict=True,
        ):
            if current is None or key != current.key:
                if current is not None:
                    yield current, lines
                current, lines = ObjectInfo(key, size, etag, datetime.now(UTC)), []
            lines.append((number, line if line_bytes is None else Overlong(line, line_bytes, sha)))
    if current is not None:
        yield current, lines
