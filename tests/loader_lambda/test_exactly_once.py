"""Exactly once against a real PostgreSQL: reruns, late objects, rewritten objects, and the manifest's own guard."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg2
import pytest
from click.testing import CliRunner
from support.loader_kit import HOUR, Loader, Probe, Raw, event_line, iso_ms

from clickstream.load_command import load_command
from loader_lambda.compaction import compacted_key, read_compacted
from loader_lambda.ledger import Ledger
from local_only.lambda_context import LocalLambdaContext

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("writers", [1, 2, 4])
def test_loading_the_same_window_twice_lands_each_line_once(raw: Raw, loader: Loader, dw: Probe, writers: int) -> None:
    keys = raw.put_events(HOUR, objects=30, lines_per_object=10)
    broken = raw.put_lines(HOUR, "event-broken.json", [event_line("b-1", HOUR), b"{oops", event_line("b-3", HOUR)])

    first = loader.hour(max_records_per_batch=25, writer_connections=writers)
    second = loader.hour(max_records_per_batch=25, writer_connections=writers)

    assert (first.status, first.objects, first.loaded, first.skipped) == ("succeeded", 31, 31, 0)
    assert (first.rows, first.rejected) == (302, 1)
    assert (second.status, second.objects, second.loaded, second.skipped, second.rows) == ("succeeded", 31, 0, 31, 0)
    dw.assert_each_line_once(302)
    dw.assert_manifest_matches_rows()
    manifest = {
        key: rest
        for key, *rest in dw.rows(
            "select s3_key, lines, rows_loaded, lines_rejected, source, object_hour, run_id::text "
            "from raw.load_manifest"
        )
    }
    assert set(manifest) == {*keys, broken}
    assert all(manifest[key] == [10, 10, 0, "events", HOUR, first.run_id] for key in keys)
    assert manifest[broken] == [3, 2, 1, "events", HOUR, first.run_id]
    runs = dw.rows(
        "select run_id::text, status, objects_listed, objects_loaded, objects_skipped, rows_loaded, lines_rejected, "
        "window_start, window_end, finished_at is not null from raw.loader_runs order by started_at"
    )
    assert runs == [
        (first.run_id, "succeeded", 31, 31, 0, 302, 1, HOUR, HOUR + timedelta(hours=1), True),
        (second.run_id, "succeeded", 31, 0, 31, 0, 0, HOUR, HOUR + timedelta(hours=1), True),
    ]


def test_payload_round_trips_through_copy_exactly(raw: Raw, loader: Loader, dw: Probe) -> None:
    tricky = "a\tb \\ c \\t \\\\N \r\n end \\."
    lines = [
        event_line("e-1", HOUR, v=tricky),
        b'{"eventId":"e-2",\t"v":\r"x\\\\y"}',
        b"\\.",  # COPY's end-of-data marker, as a (rejected) line of its own
        event_line("e-4", HOUR, v="after"),
    ]
    key = raw.put_lines(HOUR, "event-tricky.json", lines)

    summary = loader.hour()

    assert (summary.rows, summary.rejected) == (3, 1)
    got = dw.rows("select line_no, payload->>'v' from raw.raw_events order by line_no")
    assert got == [(1, tricky), (2, "x\\y"), (4, "after")]
    assert [(n, bytes(b)) for n, b in dw.rows("select line_no, raw_line from raw.rejected_lines")] == [(3, b"\\.")]
    assert dw.scalar("select count(*) from raw.raw_events where s3_key = %s", (key,)) == 3


def test_an_object_that_arrives_after_its_hour_was_loaded_is_picked_up_by_the_next_schedule(
    raw: Raw, dw: Probe
) -> None:
    from loader_lambda.handler import handler
    from loader_lambda.services import build_services, override_services
    from loader_lambda.settings import LoaderSettings
    from warehouse.connection import WarehouseSettings

    services = build_services(LoaderSettings(raw_store_url=raw.url, lookback_hours=2), WarehouseSettings())
    context = LocalLambdaContext(function_name="clickstream-loader-test")
    earlier = raw.put_events(HOUR - timedelta(hours=1), objects=3, lines_per_object=4, first=100)
    on_time = raw.put_events(HOUR, objects=5, lines_per_object=4)
    with override_services(services):
        first = handler(schedule(HOUR + timedelta(hours=1)), context)
        late = raw.put_lines(HOUR, "event-late.json", [event_line("late-1", HOUR + timedelta(minutes=59))])
        second = handler(schedule(HOUR + timedelta(hours=2)), context)
        third = handler(schedule(HOUR + timedelta(hours=3)), context)

    assert first["hours"] == [f"2025-12-06T0{h}:00:00Z" for h in (3, 4, 5)]
    assert (first["status"], first["loaded"], first["rows"]) == ("succeeded", 8, 32)
    assert second["hours"] == [f"2025-12-06T0{h}:00:00Z" for h in (4, 5, 6)]
    assert (second["status"], second["loaded"], second["skipped"], second["rows"]) == ("succeeded", 1, 8, 1)
    assert third["hours"][0] == "2025-12-06T05:00:00Z"
    assert (third["loaded"], third["skipped"]) == (0, 6)
    dw.assert_each_line_once(33)
    dw.assert_manifest_matches_rows()
    assert dw.rows("select run_id::text from raw.load_manifest where s3_key = %s", (late,)) == [(second["run_id"],)]
    assert {k for (k,) in dw.rows("select s3_key from raw.load_manifest")} == {*earlier, *on_time, late}
    # The hour was compacted again once the late object landed, so a replay from compacted/ is complete.
    compacted = {info.key for info, _ in read_compacted(raw.store.get(compacted_key(HOUR)))}
    assert compacted == {*on_time, late}


def schedule(at: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": iso_ms(at.replace(minute=5)).replace(".000", ""),
        "detail": {},
    }


def test_an_object_rewritten_after_loading_is_reported_not_reloaded(raw: Raw, loader: Loader, dw: Probe) -> None:
    keys = raw.put_events(HOUR, objects=4, lines_per_object=5)
    loader.hour()
    etag_before = dw.scalar("select etag from raw.load_manifest where s3_key = %s", (keys[1],))
    rewritten = [event_line(f"new-{n}", HOUR) for n in range(7)]
    raw.put_lines(HOUR, keys[1].rsplit("/", 1)[1], rewritten)
    assert next(i for i in raw.store.list(keys[1])).etag != etag_before  # the precondition: a new etag

    summary = loader.hour()
    result = CliRunner().invoke(load_command, ["--target-hour", iso_ms(HOUR), "--store", raw.url, "--quiet"])

    assert summary.status == "partial"
    assert (summary.loaded, summary.skipped, summary.failed, summary.rows) == (0, 3, 1, 0)
    assert len(summary.problems) == 1 and keys[1] in summary.problems[0]
    assert result.exit_code == 1, result.output
    assert keys[1] in result.stderr and "changed after it was loaded" in result.stderr
    dw.assert_each_line_once(20)
    assert dw.scalar("select count(*) from raw.raw_events where payload->>'eventId' like 'new-%%'") == 0
    assert dw.scalar("select etag from raw.load_manifest where s3_key = %s", (keys[1],)) == etag_before
    runs = dw.rows("select status, objects_failed, error from raw.loader_runs order by started_at")
    assert [status for status, _, _ in runs] == ["succeeded", "partial", "partial"]
    assert runs[1][1] == 1 and keys[1] in runs[1][2]


def test_the_manifest_refuses_a_second_copy_even_without_the_hour_lock(
    raw: Raw, loader: Loader, dw: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs that both got past the hour lock and both saw an empty manifest: the manifest's key still lets
    each object land once (a loser's group rolls back whole)."""
    raw.put_events(HOUR, objects=60, lines_per_object=10)
    both_listed = threading.Barrier(2, timeout=30)
    original = Ledger.loaded_etags

    @contextmanager
    def no_lock(self: Ledger, hour: Any) -> Any:
        yield

    def loaded_etags_then_wait(self: Ledger, keys: list[str]) -> dict[str, str]:
        known = original(self, keys)
        both_listed.wait()
        return known

    monkeypatch.setattr(Ledger, "hour_lock", no_lock)
    monkeypatch.setattr(Ledger, "loaded_etags", loaded_etags_then_wait)
    outcomes: list[Any] = []

    def run() -> None:
        try:
            outcomes.append(loader.hour(max_records_per_batch=50))
        except psycopg2.Error as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(outcomes) == 2
    assert any(isinstance(o, psycopg2.errors.UniqueViolation) for o in outcomes), outcomes  # they did collide
    dw.assert_manifest_matches_rows()
    assert dw.scalar("select count(*) - count(distinct (s3_key, line_no)) from raw.raw_events") == 0
    monkeypatch.undo()
    rerun = loader.hour()
    assert rerun.status == "succeeded"
    dw.assert_each_line_once(600)
    dw.assert_manifest_matches_rows()
    assert "failed" in {status for (status,) in dw.rows("select status from raw.loader_runs")}
