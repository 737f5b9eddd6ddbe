"""A store that fails reads: every readable line still lands exactly once, and what cannot be read is recorded,
retried by later runs whatever its age, and visible (run `partial`, exit 1, raw.load_failures)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg2
import psycopg2.errors
import pytest
from click.testing import CliRunner
from support.faulty_store import FaultyStore
from support.loader_kit import HOUR, Loader, Probe, Raw, iso_ms

from clickstream import load_command as load_command_module
from clickstream.load_command import load_command
from loader_lambda.compaction import compacted_key, read_compacted
from loader_lambda.loader import LoadSummary, run_load
from loader_lambda.window import floor_hour, plan_from_event
from local_only.lambda_context import LocalLambdaContext
from local_only.postgres import Connection
from warehouse.migrate import set_role_passwords

pytestmark = pytest.mark.integration

OBJECTS, LINES = 40, 5


def scheduled(loader: Loader, store: FaultyStore, now: datetime, **settings: object) -> LoadSummary:
    """One scheduled run (EventBridge's input) at `now`, reading through `store`."""
    values = loader.settings(read_retry_seconds=0, **settings)
    plan = plan_from_event({"detail-type": "Scheduled Event"}, now, values.lookback_hours)
    return run_load(plan, store, values, loader.warehouse(), now=now)


@pytest.mark.parametrize("mode", ["never", "one-read-in-five", "always-for-one-object"])
def test_every_readable_line_lands_once_within_three_scheduled_runs(
    mode: str, raw: Raw, dw: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`clickstream load` on the schedule's input (no option), three times, over a store failing reads as `mode`
    says; the SDK's own retries are over, so each failure reaches the loader."""
    hour = floor_hour(datetime.now(UTC)) - timedelta(hours=1)
    keys = raw.put_events(hour, objects=OBJECTS, lines_per_object=LINES)
    broken = keys[7]
    store = FaultyStore(
        raw.store,
        every=5 if mode == "one-read-in-five" else 0,
        always=frozenset({broken}) if mode == "always-for-one-object" else frozenset(),
    )
    monkeypatch.setattr(load_command_module, "open_store", lambda url: store)
    monkeypatch.setenv("READ_RETRY_SECONDS", "0")
    monkeypatch.setenv("COMPACT", "false")  # compaction reads the hour again; its failures are another matter

    results = [CliRunner().invoke(load_command, ["--store", raw.url, "--quiet"]) for _ in range(3)]

    readable = OBJECTS - (1 if mode == "always-for-one-object" else 0)
    dw.assert_each_line_once(readable * LINES)
    dw.assert_manifest_matches_rows()
    assert dw.scalar("select count(*) from raw.load_manifest") == readable
    statuses = [status for (status,) in dw.rows("select status from raw.loader_runs order by started_at")]
    if mode == "always-for-one-object":
        assert [r.exit_code for r in results] == [1, 1, 1], [r.output for r in results]
        assert statuses == ["partial"] * 3
        assert all(broken in r.stderr and "raw.load_failures" in r.stderr for r in results)
        assert dw.rows("select s3_key, object_hour, attempts, resolved_at from raw.load_failures") == [
            (broken, hour, 3, None)
        ]
        assert "injected InternalError" in dw.scalar("select error from raw.load_failures")
        assert dw.scalar("select sum(objects_failed) from raw.loader_runs") == 3
    elif mode == "never":
        assert [r.exit_code for r in results] == [0, 0, 0], [r.output for r in results]
        assert statuses == ["succeeded"] * 3
        assert dw.scalar("select count(*) from raw.load_failures") == 0
    else:
        # The in-run retries absorb nearly every fault; an object whose retries all land on a failing read (the
        # fetch threads interleave) is recorded, that run is partial (exit 1), and the next run loads it.
        assert store.failed >= OBJECTS // 5
        assert [r.exit_code for r in results] == [0 if s == "succeeded" else 1 for s in statuses]
        assert statuses[-1] == "succeeded"
        assert dw.scalar("select count(*) from raw.load_failures where resolved_at is null") == 0


def test_an_object_unreadable_in_its_run_loads_in_a_later_run_outside_the_lookback(
    raw: Raw, loader: Loader, dw: Probe
) -> None:
    """Its neighbours and the later hour load at once; the object itself loads once a run can read it, though
    its hour has long left the lookback."""
    earlier, later = HOUR - timedelta(hours=1), HOUR
    neighbours = raw.put_events(earlier, objects=5, lines_per_object=4)
    flaky = raw.put_lines(earlier, "event-flaky.json", [b'{"eventId":"f-1"}', b'{"eventId":"f-2"}'])
    on_time = raw.put_events(later, objects=3, lines_per_object=4, first=100)
    store = FaultyStore(raw.store, first={flaky: 2})

    first = scheduled(loader, store, HOUR + timedelta(hours=1, minutes=5), read_attempts=2)

    assert (first.status, first.loaded, first.failed, first.rows) == ("partial", 8, 1, 32)
    assert flaky in first.problems[0] and "raw.load_failures" in first.problems[0]
    assert dw.rows("select s3_key, object_hour, attempts, resolved_at is null from raw.load_failures") == [
        (flaky, earlier, 1, True)
    ]
    assert {k for (k,) in dw.rows("select s3_key from raw.load_manifest")} == {*neighbours, *on_time}

    much_later = HOUR + timedelta(hours=30)  # the lookback (2 hours) is far from `earlier`
    second = scheduled(loader, store, much_later, read_attempts=2)

    assert (second.status, second.loaded, second.failed, second.rows) == ("succeeded", 1, 0, 2)
    assert second.hours[0] == f"{earlier:%Y-%m-%dT%H}:00:00Z"
    assert dw.scalar("select resolved_at is not null from raw.load_failures where s3_key = %s", (flaky,))
    dw.assert_each_line_once(34)
    dw.assert_manifest_matches_rows()

    third = scheduled(loader, store, much_later + timedelta(hours=1), read_attempts=2)

    assert (third.status, third.loaded) == ("succeeded", 0)
    assert f"{earlier:%Y-%m-%dT%H}:00:00Z" not in third.hours  # resolved: no longer revisited
    dw.assert_each_line_once(34)


def test_an_hour_that_cannot_be_listed_is_recorded_and_retried(raw: Raw, loader: Loader, dw: Probe) -> None:
    keys = raw.put_events(HOUR, objects=3, lines_per_object=2)

    class Unlistable(FaultyStore):
        def list(self, prefix: str):  # type: ignore[no-untyped-def]
            if self.first.get(prefix, 0) > 0:
                self.first[prefix] -= 1
                from raw_store import StorageError

                raise StorageError(f"cannot list {prefix}: injected")
            return self.inner.list(prefix)

    prefix = f"events/{HOUR:%Y/%m/%d/%H}/"
    store = Unlistable(raw.store, first={prefix: 2})

    first = scheduled(loader, store, HOUR + timedelta(hours=1, minutes=5), read_attempts=2)
    second = scheduled(loader, store, HOUR + timedelta(hours=20), read_attempts=2)

    assert (first.status, first.loaded) == ("partial", 0)
    assert (second.status, second.loaded) == ("succeeded", 3)
    assert dw.rows("select s3_key, resolved_at is not null from raw.load_failures") == [(prefix, True)]
    assert {k for (k,) in dw.rows("select s3_key from raw.load_manifest")} == set(keys)


def test_the_loader_role_may_record_retry_and_resolve_failures_and_close_dead_runs(
    raw: Raw, warehouse: Connection, dw: Probe
) -> None:
    """Least privilege holds: everything above works as the `loader` role, which can insert but not delete."""
    admin = psycopg2.connect(warehouse.dsn())
    try:
        set_role_passwords(admin, {"loader": "loader-test-password"})
        with admin.cursor() as cursor:  # a row left by a run that died
            cursor.execute(
                "insert into raw.loader_runs (run_id, trigger, source) values (gen_random_uuid(), 'schedule', 'events')"
            )
        admin.commit()
    finally:
        admin.close()
    as_loader = Connection(warehouse.host, warehouse.port, "loader", "loader-test-password", warehouse.database)
    keys = raw.put_events(HOUR, objects=4, lines_per_object=3)
    store = FaultyStore(raw.store, first={keys[2]: 2})
    loader = Loader(raw, as_loader)

    first = scheduled(loader, store, HOUR + timedelta(hours=1, minutes=5), read_attempts=2)
    second = scheduled(loader, store, HOUR + timedelta(hours=9), read_attempts=2)

    assert (first.status, first.loaded, first.failed) == ("partial", 3, 1)
    assert (second.status, second.loaded) == ("succeeded", 1)
    assert dw.rows("select attempts, resolved_at is not null from raw.load_failures") == [(1, True)]
    assert dw.scalar("select count(*) from raw.loader_runs where status = 'running'") == 0
    dw.assert_each_line_once(12)
    conn = psycopg2.connect(as_loader.dsn())
    try:
        with conn.cursor() as cursor, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute("delete from raw.load_failures")
    finally:
        conn.close()


def test_the_lambda_publishes_the_failed_objects_metric(
    raw: Raw, dw: Probe, capsys: pytest.CaptureFixture[str]
) -> None:
    from loader_lambda.handler import handler
    from loader_lambda.services import LoaderServices, override_services
    from loader_lambda.settings import LoaderSettings
    from warehouse.connection import WarehouseSettings

    keys = raw.put_events(HOUR, objects=3, lines_per_object=2)
    store = FaultyStore(raw.store, always=frozenset({keys[0]}))
    settings = LoaderSettings(raw_store_url=raw.url, read_retry_seconds=0, compact=False)
    with override_services(LoaderServices(settings=settings, store=store, warehouse=WarehouseSettings())):
        summary = handler({"targetUtcHour": iso_ms(HOUR)}, LocalLambdaContext("loader-test"))

    assert (summary["status"], summary["failed"], summary["loaded"]) == ("partial", 1, 2)
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [m["LoaderObjectsFailed"] for m in emf] == [[1.0]]  # EMF: one datapoint, as a list
    assert emf[0]["service"] == "clickstream-loader"


def test_an_hour_with_an_unreadable_object_is_compacted_once_it_has_all_loaded(
    raw: Raw, loader: Loader, dw: Probe
) -> None:
    keys = raw.put_events(HOUR, objects=4, lines_per_object=2)
    store = FaultyStore(raw.store, first={keys[1]: 2})

    first = scheduled(loader, store, HOUR + timedelta(hours=1, minutes=5), read_attempts=2, compact=True)

    assert (first.status, first.compacted) == ("partial", [])
    assert store.reads == 4 + 1  # each object once, the unreadable one twice; no compaction read
    assert not list(raw.store.list(f"compacted/{HOUR:%Y/%m/%d/%H}/"))

    second = scheduled(loader, store, HOUR + timedelta(hours=12), read_attempts=2, compact=True)

    assert (second.status, second.loaded, second.compacted) == ("succeeded", 1, [compacted_key(HOUR)])
    assert {info.key for info, _ in read_compacted(raw.store.get(compacted_key(HOUR)))} == set(keys)


def test_a_recorded_object_that_disappears_from_the_store_stays_visible(raw: Raw, loader: Loader, dw: Probe) -> None:
    keys = raw.put_events(HOUR, objects=2, lines_per_object=2)
    store = FaultyStore(raw.store, always=frozenset({keys[0]}))
    scheduled(loader, store, HOUR + timedelta(hours=1, minutes=5), read_attempts=1)
    (raw.root / keys[0]).unlink()  # e.g. expired by the bucket's lifecycle before it could be read

    later = scheduled(loader, store, HOUR + timedelta(hours=40), read_attempts=1)

    assert later.status == "partial"
    assert any("no longer in the store" in problem and keys[0] in problem for problem in later.problems)
    assert dw.scalar("select resolved_at is null from raw.load_failures where s3_key = %s", (keys[0],))
