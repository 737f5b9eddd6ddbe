"""The run ledgers (``ops.transform_runs``, ``ops.shop_extract_runs``): one row per attempt, written as it goes.

A row is inserted once the command's lock is held (or once waiting for it failed), so a row still ``running`` that
another run finds while it holds the lock belongs to one that died without recording its end (``kill -9``, a lost
host). Each command keeps its own table and its own columns (``details``); the row's life is the same for all.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg2.errors
import psycopg2.extensions
from psycopg2 import sql


class LedgerMissing(RuntimeError):
    """The warehouse has no ledger table yet: it needs `clickstream db migrate`."""


@dataclass(frozen=True)
class Attempt:
    """Who is trying to run, and the command's own columns known from the start (dbt_args, full_refresh)."""

    run_id: str
    trigger: str
    started_at: datetime
    details: Mapping[str, Any] = field(default_factory=dict)
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)

    def columns(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "trigger": self.trigger,
            "started_at": self.started_at,
            "host": self.host,
            "pid": self.pid,
            **self.details,
        }


@dataclass(frozen=True)
class RunLedger:
    table: str  # schema-qualified: "ops.transform_runs"
    command: str  # what the abandoned rows' error calls a run: "build", "extract"

    def record_start(self, conn: psycopg2.extensions.connection, attempt: Attempt, locked_at: datetime) -> None:
        """The attempt's row, ``running``, once the lock is held."""
        self._insert(conn, {**attempt.columns(), "locked_at": locked_at, "status": "running"})

    def record_lock_timeout(
        self, conn: psycopg2.extensions.connection, attempt: Attempt, finished_at: datetime, error: str
    ) -> None:
        """The attempt that never got the lock: one finished row, so the ledger shows it was tried."""
        self._insert(conn, {**attempt.columns(), "finished_at": finished_at, "status": "lock_timeout", "error": error})

    def close_abandoned(self, conn: psycopg2.extensions.connection, run_id: str, now: datetime) -> int:
        """Mark `failed` the rows left `running` by runs that died; call only while holding the command's lock."""
        query = sql.SQL(
            """
            update {table}
            set status = 'failed', finished_at = %(now)s, error = %(error)s
            where status = 'running' and run_id <> %(run_id)s
            """
        ).format(table=self._table())
        error = f"abandoned: the {self.command} ended without recording its outcome (process killed or host lost)"
        return self._execute(conn, query, {"run_id": run_id, "now": now, "error": error})

    def record_end(
        self,
        conn: psycopg2.extensions.connection,
        run_id: str,
        *,
        status: str,
        finished_at: datetime,
        error: str | None,
        details: Mapping[str, Any],
    ) -> None:
        """Close the attempt's row: how it ended, and the command's own columns (rows, models built, ...)."""
        values = {"status": status, "finished_at": finished_at, **details, "error": error}
        query = sql.SQL("update {table} set {assignments} where run_id = %(run_id)s").format(
            table=self._table(),
            assignments=sql.SQL(", ").join(
                sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder(name)) for name in values
            ),
        )
        self._execute(conn, query, {**values, "run_id": run_id})

    def _insert(self, conn: psycopg2.extensions.connection, values: dict[str, Any]) -> None:
        query = sql.SQL("insert into {table} ({names}) values ({placeholders})").format(
            table=self._table(),
            names=sql.SQL(", ").join(map(sql.Identifier, values)),
            placeholders=sql.SQL(", ").join(map(sql.Placeholder, values)),
        )
        self._execute(conn, query, values)

    def _table(self) -> sql.Identifier:
        return sql.Identifier(*self.table.split(".", 1))

    def _execute(self, conn: psycopg2.extensions.connection, query: sql.Composable, params: dict[str, Any]) -> int:
        try:
            with conn.cursor() as cursor:
                cursor.execute(query, params)
                return cursor.rowcount
        except psycopg2.errors.UndefinedTable as exc:
            raise LedgerMissing(
                f"{self.table} does not exist: run `clickstream db migrate` against this warehouse first"
            ) from exc
