"""Broken input against a real PostgreSQL: each bad line is set aside with its reason and bytes, and nothing
else in its object (or its COPY batch) is lost."""

from __future__ import annotations

import gzip

import pytest
from support.loader_kit import HOUR, Loader, Probe, Raw, event_line

pytestmark = pytest.mark.integration

HUGE = 2**70

# (line as stored, reason it is rejected, or None when it must load)
LINES: list[tuple[bytes, str | None]] = [
    (event_line("ok-1", HOUR), None),
    (b"this is not json", "not valid JSON"),
    (b'["an","array"]', "not a JSON object (it is an array)"),
    (b'{"a":"\\u0000"}', "holds \\u0000, which jsonb cannot store"),
    (b'{"eventId":"bad-utf8","name":"caf\xe9"}', "not valid UTF-8"),
    (b"", "empty line"),
    (b'{"a":"\\ud800"}', "holds an unpaired UTF-16 surrogate, which jsonb cannot store"),
    (b'{"eventId":"huge","n":%d}' % HUGE, None),
    (event_line("ok-9", HOUR), None),
]


def test_broken_lines_are_rejected_with_reason_and_bytes_and_their_neighbours_load(
    raw: Raw, loader: Loader, dw: Probe
) -> None:
    mixed = raw.put(raw.key(HOUR, "event-mixed.json"), b"\n".join(line for line, _ in LINES) + b"\n")
    truncated_bytes = gzip.compress(b"".join(event_line(f"t-{n}", HOUR) + b"\n" for n in range(50)))[:-10]
    truncated = raw.put(raw.key(HOUR, "event-truncated.json"), truncated_bytes)
    zipped = raw.put(
        raw.key(HOUR, "event-zipped.json"), gzip.compress(event_line("z-1", HOUR) + b"\n" + event_line("z-2", HOUR))
    )
    others = raw.put_events(HOUR, objects=3, lines_per_object=4)

    summary = loader.hour(max_records_per_batch=5)

    assert (summary.status, summary.loaded, summary.rejected) == ("succeeded", 6, 7)
    got = dw.rows("select line_no, payload->>'eventId' from raw.raw_events where s3_key = %s order by 1", (mixed,))
    assert got == [(1, "ok-1"), (8, "huge"), (9, "ok-9")]
    assert dw.scalar("select (payload->>'n')::numeric from raw.raw_events where payload->>'eventId' = 'huge'") == HUGE
    assert dw.scalar("select count(*) from raw.raw_events where s3_key = %s", (zipped,)) == 2
    dw.assert_each_line_once(3 + 2 + 12)

    rejected = {
        (key, n): (bytes(line), reason)
        for key, n, line, reason in dw.rows("select s3_key, line_no, raw_line, reason from raw.rejected_lines")
    }
    expected_rejects = {(mixed, n): (line, reason) for n, (line, reason) in enumerate(LINES, start=1) if reason}
    assert set(rejected) == {*expected_rejects, (truncated, 0)}
    for where, (line, reason) in expected_rejects.items():
        assert rejected[where][0] == line
        assert reason in rejected[where][1]
    assert rejected[(truncated, 0)] == (truncated_bytes, "object is a truncated gzip stream")

    manifest = {
        key: rest
        for key, *rest in dw.rows(
            "select s3_key, lines, rows_loaded, lines_rejected, size_bytes from raw.load_manifest"
        )
    }
    assert manifest[mixed] == [len(LINES), 3, 6, sum(len(line) + 1 for line, _ in LINES)]
    assert manifest[truncated] == [0, 0, 1, len(truncated_bytes)]
    assert manifest[zipped][:3] == [2, 2, 0]
    assert all(manifest[key][:3] == [4, 4, 0] for key in others)
    dw.assert_manifest_matches_rows()


def test_a_rejected_line_is_not_rejected_again_on_a_rerun(raw: Raw, loader: Loader, dw: Probe) -> None:
    raw.put_lines(HOUR, "event-one-bad.json", [event_line("a", HOUR), b"[]"])

    first, second = loader.hour(), loader.hour()

    assert (first.rejected, second.rejected, second.skipped) == (1, 0, 1)
    assert dw.counts()["rejected_lines"] == 1


@pytest.mark.parametrize("number", [b"1e200000", b"1e-20000"])
def test_a_number_jsonb_cannot_hold_is_rejected_not_fatal(raw: Raw, loader: Loader, dw: Probe, number: bytes) -> None:
    poisoned = raw.put_lines(HOUR, "event-a.json", [event_line("n-1", HOUR), b'{"a":' + number + b"}"])
    raw.put_events(HOUR, objects=2, lines_per_object=3)

    summary = loader.hour()

    assert summary.status == "succeeded"
    dw.assert_each_line_once(1 + 6)
    assert dw.rows("select s3_key, line_no from raw.rejected_lines") == [(poisoned, 2)]


def test_lines_shaped_like_the_ingests_but_refused_by_jsonb_are_found_after_copy(
    raw: Raw, loader: Loader, dw: Probe
) -> None:
    """The optimistic parse sends ingest-shaped lines straight to COPY; when jsonb refuses one, the group is
    parsed again exactly: the refused lines land in rejected_lines and every other line of the group loads."""
    tail = b',"receivedAt":"2025-12-06T05:10:00.000Z"}'
    shaped_but_broken = [
        (b'{"eventId":"nul","a":"\\u0000"' + tail, "holds \\u0000"),
        (b'{"eventId":"surrogate","a":"\\ud800"' + tail, "unpaired UTF-16 surrogate"),
        (b'{"eventId":"range","n":1e200000' + tail, "beyond the range jsonb"),
        (b'{"eventId":"syntax","a":,' + tail[1:], "not valid JSON"),
        (b'{"eventId":"utf8","a":"caf\xe9"' + tail, "not valid UTF-8"),
    ]
    mixed = raw.put_lines(
        HOUR, "event-shaped.json", [event_line("good-1", HOUR), *(line for line, _ in shaped_but_broken)]
    )
    neighbours = raw.put_events(HOUR, objects=4, lines_per_object=5)

    summary = loader.hour(max_records_per_batch=1000)  # one group: the broken lines share it with the neighbours

    assert (summary.status, summary.loaded, summary.rows, summary.rejected) == ("succeeded", 5, 21, 5)
    rejected = {
        n: (bytes(line), reason)
        for n, line, reason in dw.rows(
            "select line_no, raw_line, reason from raw.rejected_lines where s3_key = %s", (mixed,)
        )
    }
    assert set(rejected) == {2, 3, 4, 5, 6}
    for n, (line, reason) in enumerate(shaped_but_broken, start=2):
        assert rejected[n][0] == line
        assert reason in rejected[n][1]
    assert all(dw.scalar("select count(*) from raw.raw_events where s3_key = %s", (k,)) == 5 for k in neighbours)
    dw.assert_each_line_once(1 + 20)
    dw.assert_manifest_matches_rows()
