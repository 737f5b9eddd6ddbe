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
from typing import IO

import psycopg2
import psycopg2.extensions
from psycopg2 import sql
from psycopg2.extras import execute_values

from loader_lambda.lines import ParsedObject
from loader_lambda.window import LoadPlan
from raw_store import ObjectInfo
from warehouse.rows import one_row

HOUR_LOCK_NAMESPACE = 0x6C6F6164  # "load"
# A run holds this lock (keyed by its run_id) for as long as its first session lives, so a later run can tell a
# row left 'running' by a dead run (killed, or its server restarted) from one whose run is still going.
_RUN_LOCK_NAMESPACE = 0x72756E73  # "runs"
# Refusal objects (rejected/…, the ingest's refusals) land here instead of the target table; their manifest rows say
# source 'rejected'. Not partitioned: refusals are few (warehouse/migrations/0007_ingest_refusals.sql).
REFUSALS_TABLE = sql.Identifier("raw", "ingest_refusals")
REFUSALS_SOURCE = "rejected"
ABANDONED = "abandoned: the run ended without recording its outcome (process killed or its connection lost)"


@dataclass
class Group:
    """Objects that commit together, with their rows already in COPY's text format (one buffer).

    A group can instead name one large object (`streamed`), which the writer that takes it reads and spools
    itself, in its own transaction; after landing, `failed` holds an object that could not be read."""

    objects: list[ParsedObject]
    copy_data: bytes
    streamed: ObjectInfo | None = None
    failed: tuple[ObjectInfo, str] | None = None

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
        % (_copy_text(o.key), _copy_text(o.etag), o.size, o.lines, o.rows, rejected_count(o), tail)
        for o in objects
    )


def rejected_count(parsed: ParsedObject) -> int:
    return len(parsed.rejected) + (parsed.spool.rejected_count if parsed.spool is not None else 0)


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
    refusals_loaded: int = 0
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
        """Record a new run, once it holds its own liveness lock, and close the rows of runs that died."""
        run_id = uuid.uuid4()
        start, end = plan.window
        with self.conn.cursor() as cursor:
            cursor.execute("select pg_advisory_lock(%s, hashtext(%s))", (_RUN_LOCK_NAMESPACE, str(run_id)))
        self.close_abandoned_runs()
        with self.conn.cursor() as cursor:
            cursor.execute(
                "insert into raw.loader_runs (run_id, trigger, source, window_start, window_end) "
                "values (%s, %s, %s, %s, %s)",
                (str(run_id), plan.trigger, plan.source, start, end),
            )
        return run_id

    def close_abandoned_runs(self) -> int:
        """Mark `failed` every row left `running` whose run no longer holds its lock (its session is gone)."""
        closed = 0
        with self.conn.cursor() as cursor:
            cursor.execute("select run_id::text from raw.loader_runs where status = 'running'")
            for (run_id,) in cursor.fetchall():
                cursor.execute("select pg_try_advisory_lock(%s, hashtext(%s))", (_RUN_LOCK_NAMESPACE, run_id))
                if not one_row(cursor)[0]:
                    continue  # alive
                try:
                    cursor.execute(
                        "update raw.loader_runs set status = 'failed', finished_at = now(), error = %s "
                        "where run_id = %s and status = 'running'",
                        (ABANDONED, run_id),
                    )
                    closed += cursor.rowcount
                finally:
                    cursor.execute("select pg_advisory_unlock(%s, hashtext(%s))", (_RUN_LOCK_NAMESPACE, run_id))
        return closed

    # -- objects that could not be read -----------------------------------------------------------------------

    def open_failures(self) -> dict[str, datetime]:
        """Keys (or hour prefixes) recorded as unreadable and not loaded since, with their hours."""
        with self.conn.cursor() as cursor:
            cursor.execute("select s3_key, object_hour from raw.load_failures where resolved_at is null")
            return dict(cursor.fetchall())

    def record_failures(self, failures: list[tuple[str, datetime, str | None, str]], run_id: uuid.UUID) -> None:
        """(key, hour, etag, error) of what could not be read: a new row, or one more attempt on an open one."""
        if not failures:
            return
        with self.conn.cursor() as cursor:
            execute_values(
                cursor,
                "insert into raw.load_failures as f (s3_key, object_hour, etag, error, run_id) values %s "
                "on conflict (s3_key) do update set attempts = f.attempts + 1, last_failed_at = now(), "
                "etag = excluded.etag, error = excluded.error, run_id = excluded.run_id, resolved_at = null",
                [(key, hour, etag, error[:4000], str(run_id)) for key, hour, etag, error in failures],
            )

    def resolve_failures(self, keys: list[str]) -> None:
        """Outside a group's transaction: an hour whose listing failed before has listed."""
        with self.conn.cursor() as cursor:
            _resolve(cursor, keys)

    def finish_run(self, run_id: uuid.UUID, stats: RunStats, status: str, error: str | None) -> None:
        with self.conn.cursor() as cursor:
            cursor.execute(
                "update raw.loader_runs set finished_at = now(), objects_listed = %s, objects_loaded = %s, "
                "objects_skipped = %s, objects_failed = %s, rows_loaded = %s, refusals_loaded = %s, "
                "lines_rejected = %s, status = %s, error = %s where run_id = %s",
                (
                    stats.objects_listed,
                    stats.objects_loaded,
                    stats.objects_skipped,
                    stats.objects_failed,
                    stats.rows_loaded,
                    stats.refusals_loaded,
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
                cursor.execute("select pg_advisory_lock(%s, hashtext(%s))", (HOUR_LOCK_NAMESPACE, key))
            except psycopg2.errors.LockNotAvailable as exc:
                raise HourBusy(f"another loader has held {key} for longer than the lock timeout") from exc
        try:
            yield
        finally:
            # A lost connection has released the lock with the session; unlocking it would only hide the error.
            if not self.conn.closed:
                with self.conn.cursor() as cursor:
                    cursor.execute("select pg_advisory_unlock(%s, hashtext(%s))", (HOUR_LOCK_NAMESPACE, key))

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

    def commit_group(
        self, group: Group, run_id: uuid.UUID, source: str, hour: datetime, resolves: list[str] | None = None
    ) -> None:
        """Land a group of objects in one transaction: all of it, or (on any error) none of it. `resolves`: keys
        of recorded failures among the group's objects, marked resolved in the same transaction. Refusal objects
        (`source` 'rejected') land in raw.ingest_refusals, under the same manifest."""
        objects = group.objects
        refusals = source == REFUSALS_SOURCE
        table = REFUSALS_TABLE if refusals else self.table
        if not refusals:
            self.ensure_partitions(set().union(*(o.days for o in objects)))
        self.conn.autocommit = False
        try:
            with self.conn.cursor() as cursor:
                copy = sql.SQL("copy {} (payload, s3_key, line_no, received_at) from stdin").format(table)
                if group.copy_data:
                    cursor.copy_expert(copy.as_string(cursor), io.BytesIO(group.copy_data), size=1 << 20)
                for o in objects:
                    if o.spool is not None:
                        cursor.copy_expert(copy.as_string(cursor), _rewound(o.spool.rows), size=1 << 20)
                        cursor.copy_expert(
                            "copy raw.rejected_lines (s3_key, line_no, raw_line, reason, run_id) from stdin",
                            _rewound(o.spool.rejected),
                            size=1 << 20,
                        )
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
                if resolves:
                    _resolve(cursor, resolves)
            self.conn.commit()
        except BaseException:
            if not self.conn.closed:  # a dead connection cannot roll back: let its own error through
                self.conn.rollback()
            raise
        finally:
            if not self.conn.closed:
                self.conn.autocommit = True


def _resolve(cursor: psycopg2.extensions.cursor, keys: list[str]) -> None:
    if keys:
        cursor.execute(
            "update raw.load_failures set resolved_at = now() where s3_key = any(%s) and resolved_at is null", (keys,)
        )


def _rewound(file: IO[bytes]) -> IO[bytes]:
    file.seek(0)
    return file


def rejected_copy_row(key: str, number: int, raw: bytes, reason: str, run_id: str) -> bytes:
    """One raw.rejected_lines row in COPY's text format (raw_line as bytea hex)."""
    return b"%s\t%d\t\\\\x%s\t%s\t%s\n" % (
        _copy_text(key),
        number,
        raw.hex().encode(),
        _copy_text(reason),
        run_id.encode(),
    )
