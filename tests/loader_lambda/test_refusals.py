"""The ingest's refusals (rejected/<hour>/rejected-<uuid>.json) land in raw.ingest_refusals exactly once, under the
same manifest and crash guarantees as events, so dbt can count them (docs/loader.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import orjson
import psycopg2
import pytest
from support.loader_kit import HOUR, Loader, Probe, Raw, iso_ms, kill_at, ndjson
from support.waiting import wait_until

from local_only.postgres import Connection

pytestmark = pytest.mark.integration


def refusal_line(n: int, received_at: Any, **extra: Any) -> bytes:
    """A refused event as the ingest keeps it: its own fields first, then the reasons and the event (which may hold
    a client's `receivedAt` of its own: refused, never the row's time)."""
    record = {
        "receivedAt": iso_ms(received_at),
        "requestId": f"req-{n}",
        "schemaVersion": "1.0",
        "index": 0,
        "errors": [{"path": "eventName", "message": "Field required"}],
        "event": {"clientId": f"c-{n}", "receivedAt": "2001-01-01T00:00:00.000Z"},
        **extra,
    }
    return orjson.dumps(record)


def put_refusals(raw: Raw, hour: Any, name: str, lines: list[bytes]) -> str:
    return raw.put(raw.key(hour, name, "rejected"), ndjson(lines))


def test_refusals_land_once_beside_events(raw: Raw, loader: Loader, dw: Probe) -> None:
    raw.put_events(HOUR, objects=3, lines_per_object=4)
    one = put_refusals(raw, HOUR, "rejected-1.json", [refusal_line(1, HOUR + timedelta(minutes=5))])
    request = {"status": 400, "errors": [{"path": "", "message": "the body is not JSON"}], "body": "{oops"}
    two = put_refusals(
        raw,
        HOUR,
        "rejected-2.json",
        [refusal_line(2, HOUR + timedelta(minutes=9), **request), b"{cut short", refusal_line(3, HOUR)],
    )

    first = loader.hour()
    second = loader.hour()

    assert (first.status, first.objects, first.loaded, first.rows, first.refusals, first.rejected) == (
        "succeeded",
        5,
        5,
        12,
        3,
        1,
    )
    assert (second.loaded, second.skipped, second.rows, second.refusals) == (0, 5, 0, 0)
    dw.assert_each_line_once(12)
    dw.assert_manifest_matches_rows()
    assert dw.rows(
        "select s3_key, source, lines, rows_loaded, lines_rejected, object_hour from raw.load_manifest "
        "where source = 'rejected' order by s3_key"
    ) == [(one, "rejected", 1, 1, 0, HOUR), (two, "rejected", 3, 2, 1, HOUR)]
    assert dw.rows(
        "select s3_key, line_no, received_at, payload->>'requestId' from raw.ingest_refusals order by s3_key, line_no"
    ) == [
        (one, 1, HOUR + timedelta(minutes=5), "req-1"),
        (two, 1, HOUR + timedelta(minutes=9), "req-2"),
        (two, 3, HOUR, "req-3"),
    ]
    assert dw.rows("select s3_key, line_no from raw.rejected_lines") == [(two, 2)]
    assert dw.rows("select rows_loaded, refusals_loaded from raw.loader_runs order by started_at") == [(12, 3), (0, 0)]


def test_a_late_refusal_object_is_picked_up_by_the_next_schedule(raw: Raw, loader: Loader, dw: Probe) -> None:
    put_refusals(raw, HOUR, "rejected-1.json", [refusal_line(1, HOUR)])
    scheduled = {"detail-type": "Scheduled Event", "time": iso_ms(HOUR + timedelta(hours=1, minutes=5))}
    assert loader.run(scheduled).refusals == 1
    late = put_refusals(raw, HOUR, "rejected-late.json", [refusal_line(2, HOUR + timedelta(minutes=59))])

    following = loader.run({"detail-type": "Scheduled Event", "time": iso_ms(HOUR + timedelta(hours=2, minutes=5))})

    assert (following.loaded, following.refusals) == (1, 1)
    assert dw.scalar("select count(*) from raw.ingest_refusals where s3_key = %s", (late,)) == 1
    dw.assert_manifest_matches_rows()


def test_an_override_prefix_loads_only_that_prefix(raw: Raw, loader: Loader, dw: Probe) -> None:
    raw.put_events(HOUR, objects=1, lines_per_object=2)
    put_refusals(raw, HOUR, "rejected-1.json", [refusal_line(1, HOUR)])

    summary = loader.run({"overridePrefix": f"events/{HOUR:%Y/%m/%d/%H}/"})

    assert (summary.rows, summary.refusals) == (2, 0)
    assert dw.scalar("select count(*) from raw.ingest_refusals") == 0


@pytest.fixture
def gate(warehouse: Connection) -> Iterator[psycopg2.extensions.connection]:
    conn = psycopg2.connect(warehouse.dsn())
    yield conn
    conn.close()


def test_a_loader_killed_inside_a_refusal_transaction_leaves_nothing_and_a_rerun_lands_each_once(
    raw: Raw, warehouse: Connection, dw: Probe, gate: psycopg2.extensions.connection
) -> None:
    objects, lines = 40, 5
    for n in range(objects):
        put_refusals(raw, HOUR, f"rejected-{n:03d}.json", [refusal_line(n * 10 + j, HOUR) for j in range(lines)])
    # SHARE on the manifest: the loader's first group COPYs its refusals, then waits to write its manifest rows,
    # inside its transaction. The kill falls exactly there.
    with gate.cursor() as cursor:
        cursor.execute("lock table raw.load_manifest in share mode")

    def inside_the_transaction() -> None:
        wait_until(
            lambda: dw.waiting_on_lock(warehouse.database, "copy raw.load_manifest") >= 1,
            "the loader to wait inside a refusal group's transaction",
        )

    sessions = kill_at(
        inside_the_transaction, ["--target-hour", iso_ms(HOUR), "--store", raw.url], warehouse, dw, gate, batch=10
    )
    wait_until(lambda: not sessions & set(dw.backend_pids(warehouse.database)), "the killed loader's session to end")
    assert (
        dw.scalar("select count(*) from raw.ingest_refusals"),
        dw.scalar("select count(*) from raw.load_manifest"),
    ) == (
        0,
        0,
    )

    rerun = Loader(raw, warehouse).hour(max_records_per_batch=10)

    assert (rerun.status, rerun.loaded, rerun.refusals) == ("succeeded", objects, objects * lines)
    assert dw.rows("select count(*), count(distinct (s3_key, line_no)) from raw.ingest_refusals") == [
        (objects * lines, objects * lines)
    ]
    dw.assert_manifest_matches_rows()
