"""``ops.shop_extract_runs``: one row per extract attempt, written as it goes (as ``ops.transform_runs`` is).

A row is inserted once the extract lock is held (or once waiting for it failed), so a row still ``running`` that
another run finds while it holds the lock belongs to an extract that died (``kill -9``, a lost host).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg2.errors
import psycopg2.extensions
from psycopg2.extras import Json


class LedgerMissing(RuntimeError):
    """The warehouse has no ops.shop_extract_runs yet: it needs `clickstream db migrate`."""


@dataclass(frozen=True)
class Attempt:
    run_id: str
    trigger: str
    started_at: datetime
    full_refresh: bool = False
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)


def _execute(conn: psycopg2.extensions.connection, query: str, params: dict[str, Any]) -> int:
    try:
        with conn.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.rowcount
    except psycopg2.errors.UndefinedTable as exc:
        raise LedgerMissing(
            "ops.shop_extract_runs does not exist: run `clickstream db migrate` against this warehouse first"
        ) from exc


def _attempt(attempt: Attempt) -> dict[str, Any]:
    return {
        "run_id": attempt.run_id,
        "trigger": attempt.trigger,
        "started_at": attempt.started_at,
        "full_refresh": attempt.full_refresh,
        "host": attempt.host,
        "pid": attempt.pid,
    }


def record_start(conn: psycopg2.extensions.connection, attempt: Attempt, locked_at: datetime | None) -> None:
    """The attempt's row: ``running`` with the lock held, or already ``lock_timeout`` when it never was."""
    status = "running" if locked_at is not None else "lock_timeout"
    _execute(
        conn,
        """
        insert into ops.shop_extract_runs
            (run_id, trigger, started_at, locked_at, finished_at, status, full_refresh, host, pid, error)
        values (%(run_id)s, %(trigger)s, %(started_at)s, %(locked_at)s,
                case when %(status)s = 'running' then null else now() end, %(status)s, %(full_refresh)s,
                %(host)s, %(pid)s,
                case when %(status)s = 'running' then null else 'another extract held the lock' end)
        """,
        {**_attempt(attempt), "locked_at": locked_at, "status": status},
    )


def close_abandoned(conn: psycopg2.extensions.connection, run_id: str, now: datetime) -> int:
    """Mark `failed` the rows left `running` by extracts that died; call only while holding the extract lock."""
    return _execute(
        conn,
        """
        update ops.shop_extract_runs
        set status = 'failed', finished_at = %(now)s,
            error = 'abandoned: the extract ended without recording its outcome (process killed or host lost)'
        where status = 'running' and run_id <> %(run_id)s
        """,
        {"run_id": run_id, "now": now},
    )


def record_end(
    conn: psycopg2.extensions.connection,
    run_id: str,
    *,
    status: str,
    finished_at: datetime,
    rows_extracted: dict[str, int],
    load_ids: list[str],
    error: str | None,
) -> None:
    _execute(
        conn,
        """
        update ops.shop_extract_runs
        set status = %(status)s, finished_at = %(finished_at)s, rows_extracted = %(rows)s, load_ids = %(load_ids)s,
            error = %(error)s
        where run_id = %(run_id)s
        """,
        {
            "run_id": run_id,
            "status": status,
            "finished_at": finished_at,
            "rows": Json(rows_extracted),
            "load_ids": load_ids,
            "error": error,
        },
    )
