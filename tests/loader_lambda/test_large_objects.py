"""Objects far larger than the ingest writes: over-long lines are rejected and kept (prefix, size, hash), large
objects are streamed and still land exactly once, and the loader's memory does not follow the object's size."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from datetime import timedelta

import pytest
from support.loader_kit import CLICKSTREAM, HOUR, Loader, Probe, Raw, cli_env, event_line, iso_ms, ndjson

from loader_lambda.compaction import compact_hour, compacted_key
from loader_lambda.large_objects import IN_MEMORY_MAX_BYTES
from loader_lambda.streaming import KEPT_PREFIX_BYTES, MAX_LINE_BYTES
from local_only.postgres import Connection

pytestmark = pytest.mark.integration


def long_event(event_id: str, size: int) -> bytes:
    """A valid, ingest-shaped JSON line of about `size` bytes."""
    return event_line(event_id, HOUR, pad="p" * size)


def assert_kept_as_overlong(dw: Probe, key: str, line_no: int, line: bytes) -> None:
    raw_line, reason = dw.rows(
        "select raw_line, reason from raw.rejected_lines where s3_key = %s and line_no = %s", (key, line_no)
    )[0]
    assert bytes(raw_line) == line[:KEPT_PREFIX_BYTES]
    assert f"{len(line)} bytes" in reason and hashlib.sha256(line).hexdigest() in reason


def test_over_long_lines_are_rejected_and_kept_and_large_objects_land_once(raw: Raw, loader: Loader, dw: Probe) -> None:
    small_long = long_event("s-long", MAX_LINE_BYTES + 10)  # in an object read whole
    small = raw.put_lines(HOUR, "event-small.json", [event_line("s-1", HOUR), small_long, event_line("s-3", HOUR)])
    # Over the in-memory limit: streamed. A good line, a broken one, a line jsonb refuses though it is shaped as
    # the ingest writes (so COPY refuses the optimistic attempt and the object is read again exactly), 1 KB lines.
    big_long = long_event("b-long", MAX_LINE_BYTES * 2)
    filler = [event_line(f"b-{n}", HOUR + timedelta(seconds=n), pad="q" * 1000) for n in range(5000)]
    big_lines = [big_long, b"{broken", event_line("b-nul", HOUR, v="\x00"), *filler]
    big = raw.put_lines(HOUR, "event-big.json", big_lines)
    assert len(ndjson(big_lines)) > IN_MEMORY_MAX_BYTES
    zipped_lines = [event_line(f"z-{n}", HOUR, pad="z" * 4000) for n in range(5000)]  # ~20 MB inflated
    zipped = raw.put(raw.key(HOUR, "event-zipped.json"), gzip.compress(ndjson(zipped_lines)))
    truncated_bytes = gzip.compress(ndjson(zipped_lines))[:-10]
    truncated = raw.put(raw.key(HOUR, "event-truncated.json"), truncated_bytes)

    first = loader.hour()
    second = loader.hour()

    assert (first.status, first.loaded, first.rows) == ("succeeded", 4, 2 + 5000 + 5000)
    assert first.rejected == 1 + 3 + 1
    assert (second.loaded, second.skipped) == (0, 4)
    dw.assert_each_line_once(2 + 5000 + 5000)
    dw.assert_manifest_matches_rows()
    assert_kept_as_overlong(dw, small, 2, small_long)
    assert_kept_as_overlong(dw, big, 1, big_long)
    reasons = dict(dw.rows("select line_no, reason from raw.rejected_lines where s3_key = %s", (big,)))
    assert reasons[2].startswith("not valid JSON") and "\\u0000" in reasons[3]
    assert dw.rows("select lines, rows_loaded, lines_rejected from raw.load_manifest where s3_key = %s", (big,)) == [
        (5003, 5000, 3)
    ]
    assert dw.scalar("select count(*) from raw.raw_events where s3_key = %s", (zipped,)) == 5000
    whole = dw.rows("select line_no, raw_line, reason from raw.rejected_lines where s3_key = %s", (truncated,))
    assert [(n, r) for n, _, r in whole] == [(0, "object is a truncated gzip stream")]
    assert bytes(whole[0][1]) == truncated_bytes  # small enough to keep whole, as before


def test_compaction_keeps_an_over_long_line_as_its_prefix_and_a_replay_rejects_it_the_same(
    raw: Raw, loader: Loader, dw: Probe, second_warehouse: Connection
) -> None:
    long = long_event("c-long", MAX_LINE_BYTES + 1)
    key = raw.put_lines(HOUR, "event-c.json", [event_line("c-1", HOUR), long])

    assert compact_hour(raw.store, HOUR) == (compacted_key(HOUR), 2)
    replay = loader.run({"targetUtcHour": iso_ms(HOUR), "source": "compacted"}, target=second_warehouse)
    direct = loader.hour()

    assert (replay.rows, replay.rejected) == (direct.rows, direct.rejected) == (1, 1)
    assert_kept_as_overlong(dw, key, 2, long)


def test_peak_memory_does_not_follow_a_single_line_object(raw: Raw, warehouse: Connection, dw: Probe) -> None:
    """`clickstream load` (compaction on) over one 120 MB single-line object, measured by a parent process."""
    size = 120 * 1024 * 1024
    key = raw.key(HOUR, "event-huge.json")
    path = raw.root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        file.write(b'{"eventId":"huge","pad":"')
        for _ in range(size // (1 << 20)):
            file.write(b"h" * (1 << 20))
        file.write(b'"}\n')
    measure = (
        "import resource, subprocess, sys;"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, repr(r.stderr[-400:]))"
    )
    env = {**cli_env(warehouse), "COMPACT": "true"}
    result = subprocess.run(
        [sys.executable, "-c", measure, CLICKSTREAM, "load", "--target-hour", iso_ms(HOUR), "--store", raw.url],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    code, peak_mb, stderr = result.stdout.split(" ", 2)

    assert code == "0", stderr
    assert int(peak_mb) < 200, f"peak RSS {peak_mb} MB for a {size >> 20} MB object"
    assert dw.rows("select line_no, length(raw_line) from raw.rejected_lines where s3_key = %s", (key,)) == [
        (1, KEPT_PREFIX_BYTES)
    ]
    assert raw.store.get(compacted_key(HOUR))  # compaction streamed the object too
