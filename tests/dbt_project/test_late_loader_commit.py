"""Raw rows a loader run commits after a build read the table are staged by the next build; nothing else is re-read.

macros/raw_loaded_since.sql bounds what staging reads by the loader's ledger (raw.loader_runs) instead of always
going back loaded_at_lookback_minutes: proved here with a real transaction held open across a build, as a slow
loader run would, and by the bound a later build compiles once that run has finished.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
import psycopg2
import pytest
from support.dbt_invoke import Dbt, prepare_warehouse
from support.loader_kit import iso_ms

from local_only.postgres import Connection
from warehouse.rows import one_row

pytestmark = pytest.mark.integration

HOUR = datetime(2025, 3, 7, 10, tzinfo=UTC)


def _insert(cursor: psycopg2.extensions.cursor, key: str, event_id: str) -> None:
    payload = {
        "eventName": "page_view",
        "eventId": event_id,
        "clientId": f"visitor-{event_id}",
        "eventTimestamp": iso_ms(HOUR),
        "receivedAt": iso_ms(HOUR),
        "pageUrl": "https://shop.example.com/",
    }
    cursor.execute(
        "insert into raw.raw_events (payload, s3_key, line_no, received_at) values (%s, %s, 1, %s)",
        (orjson.dumps(payload).decode(), key, HOUR),
    )


def _start_run(cursor: psycopg2.extensions.cursor) -> str:
    run_id = str(uuid.uuid4())
    cursor.execute(
        "insert into raw.loader_runs (run_id, trigger, source) values (%s, 'test', 'events')",
        (run_id,),
    )
    return run_id


def _staged(cursor: psycopg2.extensions.cursor) -> list[str]:
    cursor.execute("select event_id from staging.stg_clickstream__events order by event_id")
    return [row[0] for row in cursor.fetchall()]


def _compiled_bound(dbt: Dbt) -> str:
    compiled = next(dbt.target_path.glob("compiled/**/stg_clickstream__events.sql")).read_text(encoding="utf-8")
    # `raw_rows.loaded_at > ('<bound>')::timestamptz` (macros/cross_db/timestamps.sql, cast_to_timestamptz).
    line = next(line for line in compiled.splitlines() if "raw_rows.loaded_at > ('" in line)
    return line.split("'")[1]


def test_a_run_committing_after_a_build_is_staged_by_the_next(
    warehouse: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare_warehouse(warehouse, monkeypatch)
    dbt = Dbt(tmp_path / "dbt")
    admin = psycopg2.connect(warehouse.dsn())
    admin.autocommit = True
    slow = psycopg2.connect(warehouse.dsn())
    try:
        with admin.cursor() as cursor:
            # Up front: it takes a transaction-long lock, which the slow transaction below would hold.
            cursor.execute("select raw.ensure_day_partition(%s::date)", (HOUR.date(),))
            _insert(cursor, "events/first.json", "first")
        dbt.build()

        # A slow run: recorded in the ledger first (as the loader does), then its transaction lands a row and stays
        # open across a build...
        slow_run = _start_run(admin.cursor())
        with slow.cursor() as cursor:
            _insert(cursor, "events/slow.json", "slow")
        # ...while a quicker one lands later rows and finishes, and a build stages them.
        with admin.cursor() as cursor:
            quick_run = _start_run(cursor)
            _insert(cursor, "events/quick.json", "quick")
            cursor.execute("update raw.loader_runs set finished_at = now() where run_id = %s", (quick_run,))
        dbt.build()
        with admin.cursor() as cursor:
            assert _staged(cursor) == ["first", "quick"]

        slow.commit()
        with admin.cursor() as cursor:
            cursor.execute("update raw.loader_runs set finished_at = now() where run_id = %s", (slow_run,))
        dbt.build()
        with admin.cursor() as cursor:
            assert _staged(cursor) == ["first", "quick", "slow"], "the late commit was lost"
            cursor.execute("select count(*) from marts.clickstream_events where event_id = 'slow'")
            assert one_row(cursor)[0] == 1

        # One more run, finished before the build that stages it: the build after that re-reads that run's rows
        # (it finished after its newest row was loaded), not the hour before them, where the slow row lies.
        with admin.cursor() as cursor:
            last_run = _start_run(cursor)
            _insert(cursor, "events/last.json", "last")
            cursor.execute("update raw.loader_runs set finished_at = now() where run_id = %s", (last_run,))
        dbt.build()
        dbt.build()
        with admin.cursor() as cursor:
            cursor.execute(
                "select %s::timestamptz = started_at - interval '1 second', "
                "%s::timestamptz > (select loaded_at from raw.raw_events where s3_key = 'events/slow.json') "
                "from raw.loader_runs where run_id = %s",
                (_compiled_bound(dbt), _compiled_bound(dbt), last_run),
            )
            assert cursor.fetchone() == (True, True)
            assert _staged(cursor) == ["first", "last", "quick", "slow"]
    finally:
        slow.close()
        admin.close()
