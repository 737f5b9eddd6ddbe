"""`clickstream load` as real processes: two at once on the same hour, and an unreachable warehouse."""

from __future__ import annotations

import psycopg2
import pytest
from support.loader_kit import HOUR, Loader, Probe, Raw, cli_env, iso_ms, run_cli, start_cli
from support.waiting import wait_until

from loader_lambda.ledger import HOUR_LOCK_NAMESPACE
from local_only.postgres import Connection, free_port

pytestmark = pytest.mark.integration

OBJECTS, LINES = 300, 20


@pytest.mark.parametrize("start", ["both-waiting-on-the-hour", "free-race"])
def test_two_loader_processes_at_once_land_each_line_once(
    raw: Raw, warehouse: Connection, dw: Probe, start: str
) -> None:
    """Started together. In the first variant the test holds the hour until both processes have started their run
    and are queued on it, so they are certain to overlap; in the second they race freely."""
    raw.put_events(HOUR, objects=OBJECTS, lines_per_object=LINES)
    env = cli_env(warehouse, MAX_RECORDS_PER_BATCH="200")
    args = ["--target-hour", iso_ms(HOUR), "--store", raw.url]
    gate = psycopg2.connect(warehouse.dsn())
    gate.autocommit = True
    lock_args = (HOUR_LOCK_NAMESPACE, f"{HOUR:%Y/%m/%d/%H}")
    if start == "both-waiting-on-the-hour":
        with gate.cursor() as cursor:
            cursor.execute("select pg_advisory_lock(%s, hashtext(%s))", lock_args)
    processes = [start_cli(args, env) for _ in range(2)]
    try:
        if start == "both-waiting-on-the-hour":
            wait_until(
                lambda: dw.waiting_on_lock(warehouse.database, "select pg_advisory_lock") == 2,
                "both loaders to queue on the hour lock",
            )
            assert dw.rows("select status from raw.loader_runs") == [("running",), ("running",)]
            with gate.cursor() as cursor:
                cursor.execute("select pg_advisory_unlock(%s, hashtext(%s))", lock_args)
        outputs = [process.communicate(timeout=60) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        gate.close()

    assert [process.returncode for process in processes] == [0, 0], outputs
    dw.assert_each_line_once(OBJECTS * LINES)
    dw.assert_manifest_matches_rows()
    assert dw.scalar("select count(*) from raw.load_manifest") == OBJECTS
    runs = dw.rows("select status, objects_loaded, objects_skipped from raw.loader_runs order by objects_loaded")
    assert runs == [("succeeded", 0, OBJECTS), ("succeeded", OBJECTS, 0)]
    stdout = sorted(out for out, _ in outputs)
    assert stdout[0].startswith("succeeded: 0 objects loaded") and f"{OBJECTS} already loaded" in stdout[0]
    assert stdout[1].startswith(f"succeeded: {OBJECTS} objects loaded ({OBJECTS * LINES} rows")


def test_cli_with_nothing_listening_names_host_and_port(raw: Raw) -> None:
    raw.put_events(HOUR, objects=1, lines_per_object=1)
    port = free_port()
    env = {
        **cli_env(Connection("127.0.0.1", port, "postgres", "secret-pw", "clickstream_dw")),
        "DW_PG_CONNECT_TIMEOUT": "5",
    }

    result = run_cli(["--target-hour", iso_ms(HOUR), "--store", raw.url], env)

    assert result.returncode == 1, result
    assert f"Error: cannot reach the warehouse at 127.0.0.1:{port}/clickstream_dw" in result.stderr
    assert "Traceback" not in result.stderr
    assert "secret-pw" not in result.stdout + result.stderr


def test_cli_with_a_wrong_password_fails_and_marks_nothing_loaded(
    raw: Raw, loader: Loader, warehouse: Connection, dw: Probe
) -> None:
    raw.put_events(HOUR, objects=5, lines_per_object=4)
    loader.hour()
    raw.put_events(HOUR, objects=3, lines_per_object=4, first=100)
    manifest = "select s3_key, etag, run_id, loaded_at from raw.load_manifest order by s3_key"
    before, manifest_before = dw.counts(), dw.rows(manifest)
    wrong = Connection(warehouse.host, warehouse.port, warehouse.user, "not-the-password", warehouse.database)

    result = run_cli(["--target-hour", iso_ms(HOUR), "--store", raw.url], cli_env(wrong))

    assert result.returncode == 1, result
    assert f"cannot reach the warehouse at 127.0.0.1:{warehouse.port}/{warehouse.database}" in result.stderr
    assert "password authentication failed" in result.stderr
    assert "not-the-password" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert dw.counts() == before
    assert dw.rows(manifest) == manifest_before
    # Nothing was marked loaded, so the retry lands exactly what was missing.
    retry = loader.hour()
    assert (retry.loaded, retry.skipped) == (3, 5)
    dw.assert_each_line_once(32)
