"""Hourly compaction and loading from compacted/: the same rows as from events/, and exactly once across sources."""

from __future__ import annotations

import gzip
from datetime import timedelta
from typing import Any

import pytest
from support.loader_kit import HOUR, Loader, Probe, Raw, event_line, iso_ms

from loader_lambda import loader as loader_module
from loader_lambda.compaction import compacted_key, read_compacted
from local_only.postgres import Connection
from raw_store import StorageError

pytestmark = pytest.mark.integration

ROWS = "select s3_key, line_no, payload::text, received_at from raw.raw_events"
REJECTED = "select s3_key, line_no, reason, raw_line::bytea from raw.rejected_lines"
NOW = HOUR + timedelta(hours=2, minutes=5)


def put_a_realistic_hour(raw: Raw) -> int:
    """Good objects and every kind of awkward one; returns the number of lines that load."""
    raw.put_events(HOUR, objects=40, lines_per_object=25)
    raw.put_lines(
        HOUR,
        "event-broken.json",
        [
            event_line("b-1", HOUR + timedelta(minutes=3)),
            b"not json",
            b"[1,2]",
            b'{"a":"\\u0000"}',
            b'{"a":"caf\xe9"}',
            b"",
            b'{"a":"\\ud800"}',
            b'{"n":%d}' % 2**70,
            event_line("b-9", HOUR, v="tab\there \\ back"),
        ],
    )
    raw.put(raw.key(HOUR, "event-crlf.json"), event_line("c-1", HOUR) + b"\r\n" + event_line("c-2", HOUR) + b"\r\n")
    raw.put(raw.key(HOUR, "event-gzip.json"), gzip.compress(event_line("g-1", HOUR) + b"\n" + event_line("g-2", HOUR)))
    raw.put(raw.key(HOUR, "event-truncated.json"), gzip.compress(event_line("t-1", HOUR) * 20 + b"\n")[:-10])
    raw.put_lines(
        HOUR,
        "event-times.json",
        [b'{"eventId":"no-time"}', b'{"eventId":"offset","receivedAt":"2025-12-06T07:59:59.999+02:00"}'],
    )
    return 40 * 25 + 3 + 2 + 2 + 2


def target_plan(source: str) -> dict[str, Any]:
    return {"targetUtcHour": iso_ms(HOUR), "source": source}


def test_loading_from_compacted_gives_the_same_rows_as_from_events(
    raw: Raw, loader: Loader, dw: Probe, second_warehouse: Connection
) -> None:
    good_lines = put_a_realistic_hour(raw)

    from_events = loader.run(target_plan("events"), now=NOW, compact=True)
    from_compacted = loader.run(target_plan("compacted"), now=NOW, target=second_warehouse)

    key = compacted_key(HOUR)
    assert from_events.compacted == [key]
    assert key in {info.key for info in raw.store.list("compacted/")}
    assert (from_events.status, from_compacted.status) == ("succeeded", "succeeded")
    assert (from_compacted.source, from_compacted.loaded, from_compacted.rows) == ("compacted", 45, good_lines)
    second = Probe(second_warehouse.dsn())
    try:
        rows_a, rows_b = dw.rows(ROWS), second.rows(ROWS)
        rejected_a = [(*r[:3], bytes(r[3])) for r in dw.rows(REJECTED)]
        rejected_b = [(*r[:3], bytes(r[3])) for r in second.rows(REJECTED)]
        assert len(rows_a) == good_lines
        assert set(rows_a) == set(rows_b)
        assert len(rejected_a) == 7
        assert set(rejected_a) == set(rejected_b)
        manifest = (
            "select s3_key, etag, size_bytes, lines, rows_loaded, lines_rejected, object_hour from raw.load_manifest"
        )
        assert set(dw.rows(manifest)) == set(second.rows(manifest))
        assert {s for (s,) in second.rows("select distinct source from raw.load_manifest")} == {"compacted"}
        second.assert_each_line_once(good_lines)
        second.assert_manifest_matches_rows()

        # Exactly once across sources, both ways round.
        compacted_after_events = loader.run(target_plan("compacted"), now=NOW)
        events_after_compacted = loader.run(target_plan("events"), now=NOW, target=second_warehouse, compact=True)
        assert (compacted_after_events.loaded, compacted_after_events.skipped) == (0, 45)
        assert (events_after_compacted.loaded, events_after_compacted.skipped) == (0, 45)
        assert events_after_compacted.compacted == []
        dw.assert_each_line_once(good_lines)
        second.assert_each_line_once(good_lines)
        assert len(dw.rows(REJECTED)) == len(second.rows(REJECTED)) == 7
    finally:
        second.close()


def test_the_compacted_file_keeps_every_line_as_stored(raw: Raw, loader: Loader, dw: Probe) -> None:
    put_a_realistic_hour(raw)
    loader.run(target_plan("events"), now=NOW, compact=True)

    by_key = {info.key: (info, lines) for info, lines in read_compacted(raw.store.get(compacted_key(HOUR)))}
    listed = {info.key: info for info in raw.store.list(f"events/{HOUR:%Y/%m/%d/%H}/")}
    assert set(by_key) == set(listed)
    for key, (info, lines) in by_key.items():
        assert (info.etag, info.size) == (listed[key].etag, listed[key].size)
        stored = raw.store.get(key)
        if key.endswith("truncated.json"):
            assert lines == [(0, stored)]
        else:
            assert [line for _, line in lines if not isinstance(line, bytes)] == []
            assert b"".join(line + b"\n" for _, line in lines if isinstance(line, bytes)) == (
                gzip.decompress(stored) + b"\n" if key.endswith("gzip.json") else stored
            )


def test_an_hour_still_open_is_not_compacted(raw: Raw, loader: Loader, dw: Probe) -> None:
    raw.put_events(HOUR, objects=2, lines_per_object=2)

    summary = loader.hour(now=HOUR + timedelta(minutes=59), compact=True)

    assert summary.loaded == 2 and summary.compacted == []
    assert list(raw.store.list("compacted/")) == []


def test_loading_from_compacted_without_a_compacted_file_is_a_reported_problem(
    raw: Raw, loader: Loader, dw: Probe
) -> None:
    raw.put_events(HOUR, objects=2, lines_per_object=2)

    summary = loader.run(target_plan("compacted"), now=NOW)

    assert summary.status == "partial"
    assert compacted_key(HOUR) in summary.problems[0]
    assert dw.counts()["raw_events"] == 0
    assert dw.rows("select status from raw.loader_runs") == [("partial",)]


def test_a_failed_compaction_is_retried_by_a_later_run(
    raw: Raw, loader: Loader, dw: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw.put_events(HOUR, objects=3, lines_per_object=2)

    def unavailable(store: Any, hour: Any) -> None:
        raise StorageError("injected: the bucket is unavailable")

    monkeypatch.setattr(loader_module, "compact_hour", unavailable)
    first = loader.run({"detail-type": "Scheduled Event", "time": iso_ms(HOUR + timedelta(hours=1))}, compact=True)
    assert first.status == "partial" and "compaction" in first.problems[0]
    monkeypatch.undo()

    later = loader.run({"detail-type": "Scheduled Event", "time": iso_ms(HOUR + timedelta(hours=2))}, compact=True)

    assert later.loaded == 0 and later.skipped == 3
    assert compacted_key(HOUR) in {info.key for info in raw.store.list("compacted/")}
