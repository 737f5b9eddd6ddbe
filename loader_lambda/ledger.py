"""What the loader writes to the warehouse: rows with COPY, and the ledger that proves each object landed once.

A group of objects commits in one transaction: their rows, their rejected lines and their manifest rows. A crash
at any moment before the commit leaves nothing of the group behind; after it, everything. The manifest's key
refuses a second copy of an object even if two loaders ever raced past the hour lock.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import psycopg2
import psycopg2.extensions
from psycopg2 import sql
from psycopg2.extras import execute_values

from loader_lambda.lines import ParsedObject
from loader_lambda.window import LoadPlan

_HOUR_LOCK_NAMESPACE = 0x6C6F6164  # "load"


@dataclass
class Group:
    """Objects that commit together, with their rows already in COPY's text format (one buffer)."""

    objects: list[ParsedObject]
    copy_data: bytes

    @classmethod
    def of(cls, objects: list[ParsedObject]) -> Group:
        rows = [row for o in objects for row in o.copy_rows]
        if rows:
            rows.append(b"")  # so the join ends every row with its newline
        for o in objects:
            o.copy_rows = []  # the buffer holds them now; keep one copy in memory, not two
        return cls(objects, b"\n".join(rows))


def _manifest_rows(objects: list[ParsedObject], hour: datetime, source: str, run_id: uuid.UUID) -> bytes:
    tail = f"\t{hour.isoformat()}\t{source}\t{run_id}\n".encode()
    return b"".join(
        b"%s\t%s\t%d\t%d\t%d\t%d%s"
        % (_copy_text(o.key), _copy_text(o.etag), o.size, o.lines, o.rows, len(o.rejected), tail)
        for o in objects
    )


def _copy_text(value: str) -> bytes:
    return value.encode().replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n").replace(b"\r", b"\\r")


class HourBusy(RuntimeError):
    """Another loader holds the hour and did not let go within the lock timeout."""


@dataclass
class RunStats:
    objects_listed: int = 0
    objects_loaded: int = 0
    objects_skipped: int = 0
    objects_failed: int = 0
    rows_loaded: int = 0
    lines_rejected: int = 0
    problems: list[str] = field(default_factory=list)


class Ledger:
    """One connection to the warehouse, used by one loader run."""

    def __init__(self, conn: psycopg2.extensions.connection, table: str, lock_timeout_seconds: int) -> None:
        self.conn = conn
        schema, name = table.split(".")
        self.table = sql.Identifier(schema, name)
        self.known_days: set[str] = set()
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("set lock_timeout = %s", (f"{lock_timeout_seconds}s",))
            cursor.execute("set timezone = 'UTC'")
            # A group's rows and its manifest rows commit in one transaction, so if a server crash loses the last
            # commits it loses both together and the next run loads those objects again: exactly once holds
            # without waiting for a disk flush at every commit.
            cursor.execute("set synchronous_commit = off")

    # -- the run ---------------------------------------------------------------------------------------------

    def start_run(self, plan: LoadPlan) -> uuid.UUID:
        run_id = uuid.uuid4()
        start, end = plan.window
        with self.conn.cursor() as cursor:
            cursor.execute(
                "insert into raw.loader_runs (run_id, trigger, source, window_start, window_end) "
                "values (%s, %s, %s, %s, %s)",
                (str(run_id), plan.trigger, plan.source, start, end),
            )
        return run_id

    def finish_run(self, run_id: uuid.UUID, stats: RunStats, status: str, error: str | None) -> None:
        with self.conn.cursor() as cursor:
            cursor.execute(
                "update raw.loader_runs set finished_at = now(), objects_listed = %s, objects_loaded = %s, "
                "objects_skipped = %s, objects_failed = %s, rows_loaded = %s, lines_rejected = %s, status = %s, "
                "error = %s where run_id = %s",
                (
                    stats.objects_listed,
                    stats.objects_loaded,
                    stats.objects_skipped,
                    stats.objects_failed,
                    stats.rows_loaded,
                    stats.lines_rejected,
                    status,
                    error,
                    str(run_id),
                ),
            )

    # -- locks, manifest, partitions -------------------------------------------------------------------------

    @contextmanager
    def hour_lock(self, hour: datetime) -> Iterator[None]:
        """Two runs never load the same hour at once, from either source: the second waits (up to the lock timeout)."""
        key = f"{hour:%Y/%m/%d/%H}"
        with self.conn.cursor() as cursor:
            try:
                cursor.execute("select pg_advisory_lock(%s, hashtext(%s))", (_HOUR_LOCK_NAMESPACE, key))
            except psycopg2.errors.LockNotAvailable as exc:
                raise HourBusy(f"another loader has held {key} for longer than the lock timeout") from exc
        try:
            yield
        finally:
            # A lost connection has released the lock with the session; unlocking it would only hide the error.
            if not self.conn.closed:
                with self.conn.cursor() as cursor:
                    cursor.execute("select pg_advisory_unlock(%s, hashtext(%s))", (_HOUR_LOCK_NAMESPACE, key))

    def loaded_etags(self, keys: list[str]) -> dict[str, str]:
        with self.conn.cursor() as cursor:
            cursor.execute("select s3_key, etag from raw.load_manifest where s3_key = any(%s)", (keys,))
            return dict(cursor.fetchall())

    def ensure_partitions(self, days: set[str]) -> None:
        """Create the day partitions a group needs, each in its own short transaction, never inside the load's."""
        for day in sorted(days - self.known_days):
            with self.conn.cursor() as cursor:
                cursor.execute("select raw.ensure_day_partition(%s::date)", (day,))
            self.known_days.add(day)

    # -- the load --------------------------------------------------------------------------------------------

    def commit_group(self, group: Group, run_id: uuid.UUID, source: str, hour: datetime) -> None:
        """Land a group of objects in one transaction: all of it, or (on any error) none of it."""
        objects = group.objects
        self.ensure_partitions(set().union(*(o.days for o in objects)))
        self.conn.autocommit = False
        try:
            with self.conn.cursor() as cursor:
                if group.copy_data:
                    copy = sql.SQL("copy {} (payload, s3_key, line_no, received_at) from stdin").format(self.table)
                    cursor.copy_expert(copy.as_string(cursor), io.BytesIO(group.copy_data), size=1 << 20)
                rejected = [
                    (o.key, number, psycopg2.Binary(raw), reason, str(run_id))
                    for o in objects
                    for number, raw, reason in o.rejected
                ]
                if rejected:
                    execute_values(
                        cursor,
                        "insert into raw.rejected_lines (s3_key, line_no, raw_line, reason, run_id) values %s",
                        rejected,
                    )
                # COPY too: with small objects the manifest has a row per ten lines, and formatting them one by
                # one as INSERT values cost more than the lines' own COPY.
                cursor.copy_expert(
                    "copy raw.load_manifest (s3_key, etag, size_bytes, lines, rows_loaded, lines_rejected, "
                    "object_hour, source, run_id) from stdin",
                    io.BytesIO(_manifest_rows(objects, hour, source, run_id)),
                    size=1 << 20,
                )
            self.conn.commit()
        except BaseException:
            if not self.conn.closed:  # a dead connection cannot roll back: let its own error through
                self.conn.rollback()
            raise
        finally:
            if not self.conn.closed:
                self.conn.autocommit = True
