"""Hourly compaction: every raw line of an hour in one Parquet file, so a replay reads one object, not thousands.

``compacted/YYYY/MM/DD/HH/events.parquet`` (zstd) has one row per line: the original object's key, etag and size,
the line number and the line's bytes exactly as stored (broken lines included; an unreadable object is one row with
line 0 and its whole bytes). Loading from it goes through the same parser and ledger as loading the small objects,
under the original keys, so each object still lands exactly once whichever source is used. Once an hour is
compacted its small objects may expire (see docs/loader.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from loader_lambda.lines import WHOLE_OBJECT, read_lines
from raw_store import KeyKind, ObjectInfo, RawStore, hour_prefix

SCHEMA = pa.schema(
    [
        ("s3_key", pa.string()),
        ("etag", pa.string()),
        ("size", pa.int64()),
        ("line_no", pa.int32()),
        ("line", pa.binary()),
    ]
)
ROW_GROUP_ROWS = 50_000


def compacted_key(hour: datetime) -> str:
    return hour_prefix(KeyKind.COMPACTED, hour) + "events.parquet"


def compact_hour(store: RawStore, hour: datetime) -> tuple[str, int] | None:
    """Write the hour's compacted file from its objects; None when the hour has no objects."""
    objects = list(store.list(hour_prefix(KeyKind.EVENTS, hour)))
    if not objects:
        return None
    sink = pa.BufferOutputStream()
    rows = 0
    with pq.ParquetWriter(sink, SCHEMA, compression="zstd") as writer:
        batch: dict[str, list] = {name: [] for name in SCHEMA.names}
        for info in objects:
            data = store.get(info.key)
            lines = read_lines(data)
            numbered = [(WHOLE_OBJECT, data)] if isinstance(lines, str) else enumerate(lines, start=1)
            for number, line in numbered:
                batch["s3_key"].append(info.key)
                batch["etag"].append(info.etag)
                batch["size"].append(info.size)
                batch["line_no"].append(number)
                batch["line"].append(line)
                rows += 1
            if len(batch["line"]) >= ROW_GROUP_ROWS:
                writer.write_table(pa.table(batch, schema=SCHEMA))
                batch = {name: [] for name in SCHEMA.names}
        if batch["line"]:
            writer.write_table(pa.table(batch, schema=SCHEMA))
    key = compacted_key(hour)
    store.put(key, sink.getvalue().to_pybytes(), content_type="application/vnd.apache.parquet")
    return key, rows


def read_compacted(data: bytes) -> Iterator[tuple[ObjectInfo, list[tuple[int, bytes]]]]:
    """The original objects in a compacted file, each with its numbered lines, one object at a time."""
    parquet = pq.ParquetFile(pa.BufferReader(data))
    current: ObjectInfo | None = None
    lines: list[tuple[int, bytes]] = []
    for record_batch in parquet.iter_batches(batch_size=ROW_GROUP_ROWS):
        columns = record_batch.to_pydict()
        for key, etag, size, number, line in zip(
            columns["s3_key"], columns["etag"], columns["size"], columns["line_no"], columns["line"], strict=True
        ):
            if current is None or key != current.key:
                if current is not None:
                    yield current, lines
                current, lines = ObjectInfo(key, size, etag, datetime.now(UTC)), []
            lines.append((number, line))
    if current is not None:
        yield current, lines
