"""``ops.transform_runs``: one row per transform attempt, written as the attempt goes.

A row is inserted once the build lock is held (or once waiting for it failed), so every row still ``running``
that another process finds while it holds the lock belongs to a build that died without recording its end.
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
    """The warehouse has no ops.transform_runs yet: it needs `clickstream db migrate`."""


@dataclass(frozen=True)
class Attempt:
    """Who is trying to build, and with what."""

    run_id: str
    trigger: str
    started_at: datetime
    dbt_args: tuple[str, ...]
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)


@dataclass(frozen=True)
class Ending:
    status: str
    finished_at: datetime
    models_built: int = 0
    tests_failed: int = 0
    rows_added: dict[str, int] = field(default_factory=dict)
    rows_written: dict[str, int] = field(default_factory=dict)
    freshness_minutes: float | None = None
    newest_event_at: datetime | None = None
    error: str | None = None


def _execute(conn: psycopg2.extensions.connection, query: str, params: dict[str, Any]) -> int:
    try:
        with conn.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.rowcount
    except psycopg2.errors.UndefinedTable as exc:
        raise LedgerMissing(
            "ops.transform_runs does not exist: run `clickstream db migrate` against this warehouse first"
        ) from exc


def _attempt_params(attempt: Attempt) -> dict[str, Any]:
    return {
        "run_id": attempt.run_id,
        "trigger": attempt.trigger,
        "started_at": attempt.started_at,
        "host": attempt.host,
        "pid": attempt.pid,
        "dbt_args": list(attempt.dbt_args),
    }


def record_start(conn: psycopg2.extensions.connection, attempt: Attempt, locked_at: datetime) -> None:
    _execute(
        conn,
        """
        insert into ops.transform_runs (run_id, trigger, started_at, locked_at, status, host, pid, dbt_args)
        values (%(run_id)s, %(trigger)s, %(started_at)s, %(locked_at)s, 'running', %(host)s, %(pid)s, %(dbt_args)s)
        """,
        {**_attempt_params(attempt), "locked_at": locked_at},
    )


def close_abandoned(conn: psycopg2.extensions.connection, current_run_id: str, now: datetime) -> int:
    """Mark `failed` the rows left `running` by builds that died; call only while holding the build lock."""
    return _execute(
        conn,
        """
        update ops.transform_runs
        set status = 'failed', finished_at = %(now)s,
            error = 'abandoned: the build ended without recording its outcome (process killed or host lost)'
        where status = 'running' and run_id <> %(run_id)s
        """,
        {"run_id": current_run_id, "now": now},
    )


def record_end(conn: psycopg2.extensions.connection, run_id: str, ending: Ending) -> None:
    _execute(
        conn,
        """
        update ops.transform_runs
        set status = %(status)s, finished_at = %(finished_at)s, models_built = %(models_built)s,
            tests_failed = %(tests_failed)s, rows_added = %(rows_added)s, rows_written = %(rows_written)s,
            freshness_minutes = %(freshness_minutes)s, newest_event_at = %(newest_event_at)s, error = %(error)s
        where run_id = %(run_id)s
        """,
        {**_ending_params(ending), "run_id": run_id},
    )


def record_lock_timeout(conn: psycopg2.extensions.connection, attempt: Attempt, ending: Ending) -> None:
    """The attempt that never got the lock: one finished row, so the ledger shows it was tried."""
    _execute(
        conn,
        """
        insert into ops.transform_runs (
            run_id, trigger, started_at, finished_at, status, host, pid, dbt_args, error
        ) values (
            %(run_id)s, %(trigger)s, %(started_at)s, %(finished_at)s, %(status)s, %(host)s, %(pid)s, %(dbt_args)s,
            %(error)s
        )
        """,
        {**_attempt_params(attempt), **_ending_params(ending)},
    )


def _ending_params(ending: Ending) -> dict[str, Any]:
    return {
        "status": ending.status,
        "finished_at": ending.finished_at,
        "models_built": ending.models_built,
        "tests_failed": ending.tests_failed,
        "rows_added": Json(ending.rows_added),
        "rows_written": Json(ending.rows_written),
        "freshness_minutes": ending.freshness_minutes,
        "newest_event_at": ending.newest_event_at,
        "error": ending.error,
    }
