"""The run ledgers (warehouse/run_ledger.py) on the migrated tables they write: ops.transform_runs and
ops.shop_extract_runs, each with its own columns."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest
from psycopg2.extras import Json

from local_only.postgres import Connection
from warehouse.migrate import migrate
from warehouse.run_ledger import Attempt, LedgerMissing, RunLedger

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
# Each ledger with a command-specific column known at the start, and one written at the end (and how it reads back).
LEDGERS: dict[str, tuple[RunLedger, dict[str, Any], dict[str, Any], tuple[Any, ...]]] = {
    "transform": (
        RunLedger("ops.transform_runs", "build"),
        {"dbt_args": ["build", "--select", "sessions"]},
        {"models_built": 3, "rows_added": Json({"marts.sessions": 5})},
        ("dbt_args", ["build", "--select", "sessions"], "rows_added", {"marts.sessions": 5}),
    ),
    "shop_extract": (
        RunLedger("ops.shop_extract_runs", "extract"),
        {"full_refresh": True},
        {"rows_extracted": Json({"order": 7}), "load_ids": ["1.5"]},
        ("full_refresh", True, "rows_extracted", {"order": 7}),
    ),
}


@pytest.fixture
def conn(warehouse: Connection) -> Iterator[psycopg2.extensions.connection]:
    connection = psycopg2.connect(warehouse.dsn())
    yield connection
    connection.close()


@pytest.fixture
def migrated(conn: psycopg2.extensions.connection) -> psycopg2.extensions.connection:
    migrate(conn)
    conn.autocommit = True
    return conn


def _rows(conn: psycopg2.extensions.connection, table: str, *columns: str) -> list[tuple[Any, ...]]:
    with conn.cursor() as cursor:
        cursor.execute(f"select run_id::text, {', '.join(columns)} from {table} order by started_at")
        return cursor.fetchall()


@pytest.mark.parametrize("name", LEDGERS)
def test_an_attempt_row_runs_then_ends_with_the_commands_columns(
    name: str, migrated: psycopg2.extensions.connection
) -> None:
    ledger, at_start, at_end, (start_column, start_value, end_column, end_value) = LEDGERS[name]
    attempt = Attempt("00000000-0000-0000-0000-000000000001", "cli", T0, at_start)

    ledger.record_start(migrated, attempt, T0 + timedelta(seconds=1))
    columns = ("status", "locked_at", "finished_at", "host", "pid", start_column)
    assert _rows(migrated, ledger.table, *columns) == [
        (attempt.run_id, "running", T0 + timedelta(seconds=1), None, attempt.host, attempt.pid, start_value)
    ]

    ledger.record_end(
        migrated, attempt.run_id, status="success", finished_at=T0 + timedelta(minutes=1), error=None, details=at_end
    )
    assert _rows(migrated, ledger.table, "status", "finished_at", "error", end_column) == [
        (attempt.run_id, "success", T0 + timedelta(minutes=1), None, end_value)
    ]


@pytest.mark.parametrize("name", LEDGERS)
def test_a_lock_timeout_is_one_finished_row_that_never_held_the_lock(
    name: str, migrated: psycopg2.extensions.connection
) -> None:
    ledger, at_start, _, (start_column, start_value, _, _) = LEDGERS[name]
    attempt = Attempt("00000000-0000-0000-0000-000000000002", "hourly", T0, at_start)

    ledger.record_lock_timeout(migrated, attempt, T0 + timedelta(seconds=30), "another one held the lock")

    assert _rows(migrated, ledger.table, "trigger", "status", "locked_at", "finished_at", "error", start_column) == [
        (
            attempt.run_id,
            "hourly",
            "lock_timeout",
            None,
            T0 + timedelta(seconds=30),
            "another one held the lock",
            start_value,
        )
    ]


@pytest.mark.parametrize("name", LEDGERS)
def test_close_abandoned_fails_the_dead_runs_rows_and_no_other(
    name: str, migrated: psycopg2.extensions.connection
) -> None:
    ledger, at_start, at_end, _ = LEDGERS[name]
    dead = Attempt("00000000-0000-0000-0000-00000000000d", "cli", T0, at_start)
    done = Attempt("00000000-0000-0000-0000-00000000000e", "cli", T0 + timedelta(minutes=1), at_start)
    current = Attempt("00000000-0000-0000-0000-00000000000f", "cli", T0 + timedelta(minutes=2), at_start)
    for attempt in (dead, done, current):
        ledger.record_start(migrated, attempt, attempt.started_at)
    ledger.record_end(
        migrated, done.run_id, status="success", finished_at=current.started_at, error=None, details=at_end
    )

    closed = ledger.close_abandoned(migrated, current.run_id, T0 + timedelta(minutes=3))

    assert closed == 1
    rows = _rows(migrated, ledger.table, "status", "finished_at", "error")
    assert rows == [
        (
            dead.run_id,
            "failed",
            T0 + timedelta(minutes=3),
            f"abandoned: the {ledger.command} ended without recording its outcome (process killed or host lost)",
        ),
        (done.run_id, "success", current.started_at, None),
        (current.run_id, "running", None, None),
    ]


@pytest.mark.parametrize("name", LEDGERS)
def test_an_unmigrated_warehouse_is_a_clear_error(name: str, conn: psycopg2.extensions.connection) -> None:
    ledger, at_start, _, _ = LEDGERS[name]
    conn.autocommit = True
    with pytest.raises(LedgerMissing, match=rf"{ledger.table} does not exist: run `clickstream db migrate`"):
        ledger.record_start(conn, Attempt("00000000-0000-0000-0000-000000000003", "cli", T0, at_start), T0)
