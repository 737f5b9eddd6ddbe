"""A run that dies leaves no row `running` for good, and a run whose warehouse goes away says so in one line.

Each loader is held on the hour's advisory lock by the test's own session (as in test_crash.py), so it is
certainly mid-run when it is killed or its sessions are terminated (what a PostgreSQL restart does to clients).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import timedelta

import psycopg2
import pytest
from support.loader_kit import HOUR, Loader, Probe, Raw, cli_env, iso_ms, start_cli
from support.waiting import wait_until

from loader_lambda.ledger import HOUR_LOCK_NAMESPACE
from local_only.postgres import Connection

pytestmark = pytest.mark.integration


@pytest.fixture
def gate(warehouse: Connection) -> Iterator[psycopg2.extensions.connection]:
    conn = psycopg2.connect(warehouse.dsn())
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("select pg_advisory_lock(%s, hashtext(%s))", (HOUR_LOCK_NAMESPACE, f"{HOUR:%Y/%m/%d/%H}"))
    yield conn
    conn.close()


def held_loader(raw: Raw, warehouse: Connection, dw: Probe) -> tuple[object, str]:
    """A `clickstream load` of HOUR, waiting on the hour's lock; and its run_id."""
    process = start_cli(["--target-hour", iso_ms(HOUR), "--store", raw.url], cli_env(warehouse))
    wait_until(lambda: dw.waiting_on_lock(warehouse.database, "select pg_advisory_lock") >= 1, "the loader to wait")
    (run_id,) = dw.rows("select run_id::text from raw.loader_runs where status = 'running'")[0]
    return process, run_id


def status(dw: Probe, run_id: str) -> tuple[str, bool, str | None]:
    return dw.rows("select status, finished_at is not null, error from raw.loader_runs where run_id = %s", (run_id,))[0]


def test_a_killed_runs_row_is_closed_by_the_next_run_and_a_live_runs_row_is_left_alone(
    raw: Raw, loader: Loader, warehouse: Connection, dw: Probe, gate: psycopg2.extensions.connection
) -> None:
    raw.put_events(HOUR, objects=3, lines_per_object=2)
    raw.put_events(HOUR + timedelta(hours=1), objects=2, lines_per_object=2, first=50)
    process, held = held_loader(raw, warehouse, dw)
    try:
        meanwhile = loader.hour(HOUR + timedelta(hours=1))
        assert meanwhile.status == "succeeded"
        assert status(dw, held) == ("running", False, None)  # alive: another run must not close it

        sessions = set(dw.backend_pids(warehouse.database))
        process.send_signal(signal.SIGKILL)  # type: ignore[attr-defined]
        process.wait(timeout=30)  # type: ignore[attr-defined]
    finally:
        if process.poll() is None:  # type: ignore[attr-defined]
            process.kill()  # type: ignore[attr-defined]
    # Its session, queued on the lock, notices its client is gone only once it gets the lock.
    gate.close()
    wait_until(lambda: not sessions & set(dw.backend_pids(warehouse.database)), "the killed run's sessions to end")
    assert status(dw, held) == ("running", False, None)  # nothing in a killed process can say it died

    after = loader.hour()

    state, finished, error = status(dw, held)
    assert (state, finished) == ("failed", True)
    assert error is not None and error.startswith("abandoned")
    assert after.status == "succeeded" and after.loaded == 3
    assert dw.scalar("select count(*) from raw.loader_runs where status = 'running'") == 0


def test_a_warehouse_gone_mid_run_ends_the_cli_with_one_line_and_exit_1(
    raw: Raw, loader: Loader, warehouse: Connection, dw: Probe, gate: psycopg2.extensions.connection
) -> None:
    raw.put_events(HOUR, objects=3, lines_per_object=2)
    process, held = held_loader(raw, warehouse, dw)
    try:
        terminated = dw.rows(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s "
            "and application_name = 'clickstream'",
            (warehouse.database,),
        )
        assert terminated
        stdout, stderr = process.communicate(timeout=60)  # type: ignore[attr-defined]
    finally:
        if process.poll() is None:  # type: ignore[attr-defined]
            process.kill()  # type: ignore[attr-defined]

    assert process.returncode == 1, (stdout, stderr)  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: the warehouse failed mid-run"), lines[0]
    assert "run again" in lines[0]

    gate.close()
    after = loader.hour()

    assert status(dw, held)[:2] == ("failed", True)
    assert after.status == "succeeded" and after.loaded == 3
