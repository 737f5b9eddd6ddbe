"""Helpers for the loader's tests (tests/loader_lambda): a raw store in a temporary directory, probes of the
warehouse, and the loader run in-process or as `clickstream load` processes.

Raw objects are written straight into a `file://` store, laid out as the ingest lays them out
(``events/YYYY/MM/DD/HH/event-<n>.json``), with lines shaped like the ingest's (``eventId``, ``eventName`` and a
``receivedAt`` inside the object's hour).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg2

from loader_lambda.loader import LoadSummary, run_load
from loader_lambda.settings import LoaderSettings
from loader_lambda.window import LoadPlan, plan_from_event
from local_only.postgres import Connection
from raw_store import RawStore, open_store
from warehouse.connection import WarehouseSettings
from warehouse.migrate import migrate
from warehouse.rows import one_row

HOUR = datetime(2025, 12, 6, 5, tzinfo=UTC)
CLICKSTREAM = str(Path(sys.executable).with_name("clickstream"))


def iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_line(event_id: str, received_at: datetime, **extra: Any) -> bytes:
    """One NDJSON line as the ingest writes it (without the newline)."""
    event = {
        "eventId": event_id,
        "eventName": "page_view",
        "sessionId": f"s-{event_id[:6]}",
        "receivedAt": iso_ms(received_at),
        "page": {"path": "/products/42", "title": "Trail shoe"},
        **extra,
    }
    return orjson.dumps(event)


def ndjson(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


class Raw:
    """The raw store of one test (a temporary directory), with helpers to lay objects out by hour."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.url = root.as_uri()
        self.store: RawStore = open_store(self.url + "?fsync=false")

    def key(self, hour: datetime, name: str, kind: str = "events") -> str:
        return f"{kind}/{hour:%Y/%m/%d/%H}/{name}"

    def put(self, key: str, data: bytes) -> str:
        self.store.put(key, data)
        return key

    def put_lines(self, hour: datetime, name: str, lines: list[bytes]) -> str:
        return self.put(self.key(hour, name), ndjson(lines))

    def put_events(self, hour: datetime, objects: int, lines_per_object: int, *, first: int = 0) -> list[str]:
        """`objects` objects of `lines_per_object` good lines each, spread over the hour."""
        keys = []
        for n in range(first, first + objects):
            received = hour + timedelta(seconds=(n * 7) % 3600)
            lines = [event_line(f"{n:06d}-{j:03d}", received) for j in range(lines_per_object)]
            keys.append(self.put_lines(hour, f"event-{n:06d}.json", lines))
        return keys


class Probe:
    """Read-only questions to the warehouse, on a connection of the test's own."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True

    def scalar(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        with self.conn.cursor() as cursor:
            cursor.execute(query, params)
            return one_row(cursor)[0]

    def rows(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    def counts(self) -> dict[str, int]:
        return {
            table: self.scalar(f"select count(*) from raw.{table}")
            for table in ("raw_events", "load_manifest", "rejected_lines", "loader_runs")
        }

    def assert_each_line_once(self, expected_rows: int) -> None:
        total, distinct = self.rows("select count(*), count(distinct (s3_key, line_no)) from raw.raw_events")[0]
        assert (total, distinct) == (expected_rows, expected_rows)

    def assert_manifest_matches_rows(self) -> None:
        """Every manifest row's rows_loaded is what raw_events (ingest_refusals, for a refusal object) holds for its
        key, and no row lacks a manifest row: docs/loader.md's audit."""
        mismatched = self.rows(
            """
            select m.s3_key, m.rows_loaded, count(e.s3_key)
            from raw.load_manifest m
            left join (
                select s3_key, false as refusal from raw.raw_events
                union all
                select s3_key, true from raw.ingest_refusals
            ) e on e.s3_key = m.s3_key and e.refusal = (m.source = 'rejected')
            group by m.s3_key, m.rows_loaded
            having m.rows_loaded <> count(e.s3_key)
            """
        )
        assert mismatched == []
        for table in ("raw_events", "ingest_refusals"):
            orphans = self.scalar(
                f"select count(*) from raw.{table} e where not exists "
                "(select 1 from raw.load_manifest m where m.s3_key = e.s3_key)"
            )
            assert orphans == 0, table
        orphan_rejects = self.scalar(
            "select count(*) from raw.rejected_lines r where not exists "
            "(select 1 from raw.load_manifest m where m.s3_key = r.s3_key)"
        )
        assert orphan_rejects == 0
        bad_sums = self.scalar(
            "select count(*) from raw.load_manifest m where m.lines_rejected <> "
            "(select count(*) from raw.rejected_lines r where r.s3_key = m.s3_key)"
        )
        assert bad_sums == 0

    def backend_pids(self, database: str) -> list[int]:
        return [
            pid
            for (pid,) in self.rows(
                "select pid from pg_stat_activity where datname = %s and application_name = 'clickstream'",
                (database,),
            )
        ]

    def waiting_on_lock(self, database: str, query: str = "") -> int:
        """Loader sessions waiting on a lock, in a statement starting with `query`. A run has several sessions
        (writers may briefly queue behind each other on a new day's partition), so a test names the wait it means."""
        return self.scalar(
            "select count(*) from pg_stat_activity where datname = %s and application_name = 'clickstream' "
            "and wait_event_type = 'Lock' and starts_with(query, %s)",
            (database, query),
        )

    def close(self) -> None:
        self.conn.close()


def migrated(dsn: str) -> None:
    conn = psycopg2.connect(dsn)
    try:
        migrate(conn)
    finally:
        conn.close()


@dataclass
class Loader:
    """Runs the loader in-process against the test's store and warehouse."""

    raw: Raw
    target: Connection

    def settings(self, **overrides: Any) -> LoaderSettings:
        values: dict[str, Any] = {"raw_store_url": self.raw.url, "compact": False, "lock_timeout_seconds": 60}
        return LoaderSettings(**{**values, **overrides})

    def warehouse(self, target: Connection | None = None) -> WarehouseSettings:
        target = target or self.target
        return WarehouseSettings(
            host=target.host,
            port=target.port,
            user=target.user,
            password=target.password,
            database=target.database,
        )

    def run(
        self,
        plan: LoadPlan | dict[str, Any],
        *,
        now: datetime = HOUR + timedelta(hours=3),
        target: Connection | None = None,
        **settings: Any,
    ) -> LoadSummary:
        loader_settings = self.settings(**settings)
        if isinstance(plan, dict):
            plan = plan_from_event(plan, now, loader_settings.lookback_hours)
        return run_load(plan, self.raw.store, loader_settings, self.warehouse(target), now=now)

    def hour(self, hour: datetime = HOUR, **kwargs: Any) -> LoadSummary:
        return self.run({"targetUtcHour": iso_ms(hour)}, **kwargs)


def cli_env(target: Connection, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DW_PG_", "RAW_"))}
    return {**env, **target.env(), "COMPACT": "false", **extra}


def start_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CLICKSTREAM, "load", *args, "--quiet"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_cli(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLICKSTREAM, "load", *args, "--quiet"], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def kill_at(
    reach_point: Callable[[], None],
    args: list[str],
    warehouse: Connection,
    dw: Probe,
    gate: psycopg2.extensions.connection,
    *,
    batch: int,
) -> set[int]:
    """Start a loader (`batch` lines per transaction), wait for the point, SIGKILL it while it is still running;
    return its sessions' pids. `gate` (the test's session holding the locks that stop the loader) is let go of."""
    process = start_cli(args, cli_env(warehouse, MAX_RECORDS_PER_BATCH=str(batch)))
    try:
        reach_point()
        sessions = set(dw.backend_pids(warehouse.database))
        assert process.poll() is None, process.communicate()  # still running: the kill interrupts it
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        gate.rollback()  # let go of any table lock; the hour's advisory lock goes with the connection
        gate.close()
    assert process.returncode == -signal.SIGKILL
    return sessions
