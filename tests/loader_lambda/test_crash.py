"""A `clickstream load` process killed with SIGKILL, then run again: every line lands exactly once.

Each kill point is reached by watching the warehouse, not the clock, and the test asserts that the kill really
landed there (the process was still running, and the manifest holds none, some or all of the hour's objects) rather
than hoping a delay was right. Three points are pinned by a lock the test holds, so the loader is stopped exactly
there: waiting for the hour, inside a group's transaction after its COPY, and after the last commit. One is not
pinned: the kill falls wherever the loader happens to be (often mid-COPY) once some groups have committed.
Every tenth object has a broken line, so each group's transaction is COPY, then rejected lines, then manifest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
from support.loader_kit import HOUR, Loader, Probe, Raw, event_line, iso_ms, kill_at
from support.waiting import wait_until

from loader_lambda.ledger import HOUR_LOCK_NAMESPACE
from local_only.postgres import Connection

pytestmark = pytest.mark.integration

OBJECTS, LINES, BATCH = 2000, 20, 200  # 10 objects per transaction: 200 commits in the hour
BROKEN_EVERY = 10  # every tenth object ends with a broken line, so every group also writes raw.rejected_lines
GOOD_ROWS = OBJECTS * LINES - OBJECTS // BROKEN_EVERY


@pytest.fixture(scope="module")
def big_raw(tmp_path_factory: pytest.TempPathFactory) -> Raw:
    raw = Raw(Path(tmp_path_factory.mktemp("crash")) / "raw")
    for n in range(OBJECTS):
        received = HOUR + timedelta(seconds=n)
        lines = [event_line(f"{n:06d}-{j:03d}", received) for j in range(LINES)]
        if n % BROKEN_EVERY == 0:
            lines[-1] = b'{"eventId": "cut short'
        raw.put_lines(HOUR, f"event-{n:06d}.json", lines)
    return raw


@pytest.fixture
def gate(warehouse: Connection) -> Iterator[psycopg2.extensions.connection]:
    """The test's own session, for holding the locks that stop the loader at a chosen point."""
    conn = psycopg2.connect(warehouse.dsn())
    yield conn
    conn.close()


def hold_the_hour(gate: psycopg2.extensions.connection) -> None:
    gate.autocommit = True
    with gate.cursor() as cursor:
        cursor.execute("select pg_advisory_lock(%s, hashtext(%s))", (HOUR_LOCK_NAMESPACE, f"{HOUR:%Y/%m/%d/%H}"))


def lock_table(gate: psycopg2.extensions.connection, table: str) -> None:
    """SHARE mode: the loader can still read it, but its next insert or update into it waits."""
    with gate.cursor() as cursor:
        cursor.execute(f"lock table {table} in share mode")


@pytest.mark.parametrize("point", ["waiting-for-the-hour", "mid-load", "inside-a-transaction", "after-the-last-commit"])
def test_sigkill_then_rerun_lands_each_line_exactly_once(
    point: str,
    big_raw: Raw,
    warehouse: Connection,
    dw: Probe,
    gate: psycopg2.extensions.connection,
) -> None:
    database = warehouse.database

    def manifest() -> int:
        return dw.scalar("select count(*) from raw.load_manifest")

    def blocked_on_lock(query: str) -> Callable[[], bool]:
        return lambda: dw.waiting_on_lock(database, query) >= 1

    def reach_point() -> None:
        if point == "waiting-for-the-hour":
            wait_until(blocked_on_lock("select pg_advisory_lock"), "the loader to queue on the hour lock")
        elif point == "mid-load":
            wait_until(lambda: manifest() >= OBJECTS // 5, "a fifth of the objects to be committed")
        elif point == "inside-a-transaction":
            wait_until(lambda: manifest() >= OBJECTS // 5, "a fifth of the objects to be committed")
            lock_table(gate, "raw.rejected_lines")
            # A group's COPY is done but not committed; once the lock goes, this insert completes on the server
            # (which has not noticed the client is gone), and only the commit that never comes separates it from
            # the manifest rows.
            wait_until(
                blocked_on_lock("insert into raw.rejected_lines"), "the loader to wait inside a group's transaction"
            )
        else:
            wait_until(lambda: dw.scalar("select count(*) from raw.loader_runs") == 1, "the run to start")
            lock_table(gate, "raw.loader_runs")
            wait_until(
                blocked_on_lock("update raw.loader_runs"), "the loader to finish loading and wait to record its run"
            )

    if point == "waiting-for-the-hour":
        hold_the_hour(gate)
    killed_sessions = kill_at(
        reach_point, ["--target-hour", iso_ms(HOUR), "--store", big_raw.url], warehouse, dw, gate, batch=BATCH
    )
    wait_until(lambda: not killed_sessions & set(dw.backend_pids(database)), "the killed loader's session to end")

    after_kill = manifest()
    if point == "waiting-for-the-hour":
        assert after_kill == 0
        assert dw.rows("select status from raw.loader_runs") == [("running",)]
    elif point == "after-the-last-commit":
        assert after_kill == OBJECTS
    else:
        assert 0 < after_kill < OBJECTS  # the kill really landed mid-way
    # Nothing of an uncommitted group survived the kill.
    dw.assert_each_line_once(dw.scalar("select coalesce(sum(rows_loaded), 0) from raw.load_manifest"))
    dw.assert_manifest_matches_rows()

    rerun = Loader(big_raw, warehouse).hour(max_records_per_batch=BATCH)

    assert rerun.status == "succeeded"
    assert (rerun.loaded, rerun.skipped) == (OBJECTS - after_kill, after_kill)
    dw.assert_each_line_once(GOOD_ROWS)
    dw.assert_manifest_matches_rows()
    assert dw.rows("select count(*), min(lines), max(lines), sum(rows_loaded) from raw.load_manifest") == [
        (OBJECTS, LINES, LINES, GOOD_ROWS)
    ]
    assert dw.scalar("select count(*) from raw.rejected_lines") == OBJECTS // BROKEN_EVERY
    assert dw.scalar("select count(*) from raw.loader_runs where status = 'succeeded'") >= 1


def test_a_connection_lost_mid_run_fails_the_run_and_a_rerun_completes(
    big_raw: Raw, warehouse: Connection, dw: Probe
) -> None:
    """The server side of a crash: the loader's session is terminated between two groups (or in one)."""
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(Loader(big_raw, warehouse).hour(max_records_per_batch=BATCH))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        wait_until(lambda: dw.scalar("select count(*) from raw.load_manifest") >= OBJECTS // 5, "some commits")
        terminated = dw.rows(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s "
            "and application_name = 'clickstream'",
            (warehouse.database,),
        )
    finally:
        thread.join(60)

    assert terminated and all(ok for (ok,) in terminated)  # every session of the run: its writers too
    (error,) = outcome
    assert isinstance(error, psycopg2.Error), error  # the run fails loudly (which error: see the test below)
    after = dw.scalar("select count(*) from raw.load_manifest")
    assert 0 < after < OBJECTS
    assert dw.rows("select status from raw.loader_runs") == [("running",)]  # its session died before it could say
    dw.assert_manifest_matches_rows()
    dw.assert_each_line_once(dw.scalar("select coalesce(sum(rows_loaded), 0) from raw.load_manifest"))

    rerun = Loader(big_raw, warehouse).hour()

    assert (rerun.status, rerun.loaded, rerun.skipped) == ("succeeded", OBJECTS - after, after)
    dw.assert_each_line_once(GOOD_ROWS)
    dw.assert_manifest_matches_rows()


def test_a_connection_lost_inside_a_group_reports_the_real_error(
    raw: Raw, warehouse: Connection, dw: Probe, gate: psycopg2.extensions.connection
) -> None:
    raw.put_events(HOUR, objects=5, lines_per_object=3)
    with gate.cursor() as cursor:  # the day's partition exists, so what waits is the COPY, inside its transaction
        cursor.execute("select raw.ensure_day_partition(%s::date)", (HOUR.date(),))
    gate.commit()
    lock_table(gate, "raw.raw_events")
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(Loader(raw, warehouse).hour())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        wait_until(lambda: dw.waiting_on_lock(warehouse.database, "copy ") == 1, "the loader's COPY to wait")
        dw.rows(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s "
            "and application_name = 'clickstream'",
            (warehouse.database,),
        )
    finally:
        gate.rollback()
        thread.join(60)

    (error,) = outcome
    assert dw.counts()["load_manifest"] == 0
    assert isinstance(error, psycopg2.OperationalError), repr(error)
