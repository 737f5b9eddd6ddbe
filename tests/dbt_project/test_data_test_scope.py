"""The data tests of the event- and session-grain tables check the rows the build wrote, not the whole history.

macros/touched_visitors.sql narrows their generic tests (and the exactly-one-session test) to the visitors the
last build touched, so an hourly build tests its hour. Proved both ways: after an incremental build that touched
visitor B only, a bad row of visitor A (written by an earlier build, tested then) is not looked at again, and
the same bad value in B's rows fails the build's tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import psycopg2
import pytest
from support.dbt_invoke import Dbt, prepare_warehouse
from support.loader_kit import iso_ms

from local_only.postgres import Connection

pytestmark = pytest.mark.integration

HOUR = datetime(2025, 3, 7, 10, tzinfo=UTC)
# channel is never null (a not_null test; the contract has no constraint, so an update can make it null).
BAD_CHANNEL = "update marts.clickstream_events set channel = null where visitor_id = %s"


def _land(conn: psycopg2.extensions.connection, key: str, events: list[tuple[str, str, datetime]]) -> None:
    """Raw rows as the loader lands them: one object `key`, one line per (eventId, clientId, time)."""
    with conn, conn.cursor() as cursor:
        cursor.execute("select raw.ensure_day_partition(%s::date)", (HOUR.date(),))
        for line_no, (event_id, client_id, at) in enumerate(events, start=1):
            payload = {
                "eventName": "page_view",
                "eventId": event_id,
                "clientId": client_id,
                "sessionId": f"sid-{client_id}",
                "eventTimestamp": iso_ms(at),
                "receivedAt": iso_ms(at),
                "pageUrl": "https://shop.example.com/",
            }
            cursor.execute(
                "insert into raw.raw_events (payload, s3_key, line_no, received_at) values (%s, %s, %s, %s)",
                (orjson.dumps(payload).decode(), key, line_no, at),
            )


def _channel_tests_pass(dbt: Dbt) -> bool:
    return dbt.attempt("test", "--select", "test_name:not_null,clickstream_events").success


def test_an_hourly_build_tests_the_touched_visitors_rows(
    warehouse: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad value in an untouched visitor's rows is left alone; in a touched visitor's rows it fails."""
    prepare_warehouse(warehouse, monkeypatch)
    dbt = Dbt(tmp_path / "dbt")
    admin = psycopg2.connect(warehouse.dsn())
    try:
        _land(admin, "events/a.json", [("a1", "visitor-a", HOUR), ("b1", "visitor-b", HOUR)])
        dbt.build()
        _land(admin, "events/b.json", [("b2", "visitor-b", HOUR + timedelta(minutes=5))])
        dbt.build()
        with admin.cursor() as cursor:
            cursor.execute("select visitor_id from intermediate.int_visitors_touched")
            assert cursor.fetchall() == [("visitor-b",)]
        assert _channel_tests_pass(dbt)

        with admin, admin.cursor() as cursor:
            cursor.execute(BAD_CHANNEL, ("visitor-a",))
        assert _channel_tests_pass(dbt), "the untouched visitor's rows were tested again"

        with admin, admin.cursor() as cursor:
            cursor.execute(BAD_CHANNEL, ("visitor-b",))
        assert not _channel_tests_pass(dbt), "the touched visitor's bad rows passed"
    finally:
        admin.close()
