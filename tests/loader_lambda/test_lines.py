"""An object's bytes → COPY rows and rejected lines, without a database.

A COPY row is ``payload \\t s3_key \\t line_no \\t received_at`` in COPY's text format; these tests undo that
format the way PostgreSQL does, so that what they check is what the server would read.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime

import orjson
import pytest

from loader_lambda.lines import ParsedObject, parse_numbered, parse_object, read_lines
from loader_lambda.streaming import Overlong

pytestmark = pytest.mark.unit

HOUR = datetime(2025, 12, 6, 5, tzinfo=UTC)
KEY = "events/2025/12/06/05/event-0001.json"
_COPY_ESCAPE = re.compile(rb"\\(.)")
_COPY_CHARS = {b"\\": b"\\", b"t": b"\t", b"r": b"\r", b"n": b"\n"}


def copy_fields(row: bytes) -> tuple[bytes, str, int, str]:
    """One COPY text-format row back to its values, as the server reads it."""
    fields = row.split(b"\t")
    assert len(fields) == 4, row
    payload, key, number, received = (_COPY_ESCAPE.sub(lambda m: _COPY_CHARS[m.group(1)], f) for f in fields)
    return payload, key.decode(), int(number), received.decode()


def parse(data: bytes, key: str = KEY) -> ParsedObject:
    return parse_object(key, "etag-1", data, HOUR)


def line(**fields: object) -> bytes:
    return orjson.dumps({"eventId": "e-1", "eventName": "page_view", **fields})


def test_good_lines_become_rows_numbered_from_one() -> None:
    data = line(receivedAt="2025-12-06T05:10:00.000Z") + b"\n" + line(receivedAt="2025-12-06T05:11:00.000Z") + b"\n"

    parsed = parse(data)

    assert (parsed.lines, parsed.rows, parsed.rejected) == (2, 2, [])
    rows = [copy_fields(row) for row in parsed.copy_rows]
    assert [(key, number) for _, key, number, _ in rows] == [(KEY, 1), (KEY, 2)]
    assert rows[0][3] == "2025-12-06T05:10:00.000+00:00"
    assert parsed.days == {"2025-12-06"}
    assert parsed.size == len(data)


def test_tabs_backslashes_and_carriage_returns_survive_copy_escaping() -> None:
    text = line(v="a\tb \\ c \\t \r\n end", receivedAt="2025-12-06T05:10:00.000Z")
    spaced = b'{"a":\t1,\r"b":\t"x\\\\y"}'  # a tab and a carriage return as JSON whitespace between tokens

    parsed = parse(text + b"\n" + spaced + b"\n")

    assert parsed.rejected == []
    (first, *_), (second, *_) = (copy_fields(row) for row in parsed.copy_rows)
    assert first == text
    assert json.loads(first)["v"] == "a\tb \\ c \\t \r\n end"
    assert second == spaced


def test_a_key_with_a_backslash_is_escaped_too() -> None:
    key = "events/2025/12/06/05/odd\\name.json"

    (row,) = parse(line() + b"\n", key=key).copy_rows

    assert copy_fields(row)[1] == key


def test_crlf_line_endings_are_not_part_of_the_payload() -> None:
    data = line(receivedAt="2025-12-06T05:10:00.000Z") + b"\r\n" + b"[1]\r\n" + line(n=2) + b"\r\n"

    parsed = parse(data)

    assert parsed.lines == 3
    assert [copy_fields(row)[0] for row in parsed.copy_rows] == [line(receivedAt="2025-12-06T05:10:00.000Z"), line(n=2)]
    assert parsed.rejected == [(2, b"[1]", "not a JSON object (it is an array)")]


def test_last_line_without_newline_is_kept_and_no_phantom_line_is_added() -> None:
    parsed = parse(line(n=1) + b"\n" + line(n=2))

    assert (parsed.lines, parsed.rows) == (2, 2)


def test_empty_object_has_no_lines() -> None:
    parsed = parse(b"")

    assert (parsed.lines, parsed.rows, parsed.rejected) == (0, 0, [])


@pytest.mark.parametrize(
    "received_at",
    [
        pytest.param(None, id="missing"),
        pytest.param("yesterday", id="not-a-time"),
        pytest.param(1765000000, id="a-number"),
        pytest.param("2025-12-06T05:10:00", id="no-offset"),
        pytest.param("x" * 41, id="too-long"),
    ],
)
def test_received_at_falls_back_to_the_objects_hour(received_at: object) -> None:
    fields = {} if received_at is None else {"receivedAt": received_at}

    (row,) = parse(line(**fields) + b"\n").copy_rows

    assert copy_fields(row)[3] == "2025-12-06T05:00:00.000+00:00"


def test_received_at_with_an_offset_is_converted_to_utc_and_its_day() -> None:
    data = line(receivedAt="2025-12-06T07:10:00.250+02:00") + b"\n" + line(receivedAt="2025-12-06T01:30:00+03:00")

    parsed = parse(data)

    assert [copy_fields(row)[3] for row in parsed.copy_rows] == [
        "2025-12-06T05:10:00.250+00:00",
        "2025-12-05T22:30:00.000+00:00",
    ]
    assert parsed.days == {"2025-12-06", "2025-12-05"}


@pytest.mark.parametrize("received_at", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"])
def test_received_at_out_of_range_falls_back_to_the_objects_hour(received_at: str) -> None:
    (row,) = parse(line(receivedAt=received_at) + b"\n").copy_rows

    assert copy_fields(row)[3] == "2025-12-06T05:00:00.000+00:00"


BROKEN = [
    pytest.param(b"not json at all", "not valid JSON", id="not-json"),
    pytest.param(b'["an", "array"]', "not a JSON object (it is an array)", id="array"),
    pytest.param(b'"a string"', "not a JSON object (it is a string)", id="string"),
    pytest.param(b"null", "not a JSON object (it is null)", id="null"),
    pytest.param(b"42", "not a JSON object (it is a number)", id="number"),
    pytest.param(b'{"a":"\\u0000"}', "\\u0000", id="nul-escape"),
    pytest.param(b'{"\\u0000":1}', "\\u0000", id="nul-escape-in-a-key"),
    pytest.param(b'{"a":"caf\xe9"}', "not valid UTF-8 (byte 9)", id="invalid-utf8"),
    pytest.param(b"", "empty line", id="empty"),
    pytest.param(b"   ", "empty line", id="blank"),
    pytest.param(b'{"a":"\\ud800"}', "unpaired UTF-16 surrogate", id="lone-surrogate"),
    pytest.param(b'{"a":["\\udc00"]}', "unpaired UTF-16 surrogate", id="lone-low-surrogate-nested"),
    pytest.param(b'{"a":NaN}', "not valid JSON", id="nan"),
    pytest.param(b'{"a":1} {"b":2}', "not valid JSON", id="two-documents"),
    pytest.param(b"\xef\xbb\xbf{}", "not valid JSON", id="bom"),
]


@pytest.mark.parametrize(("raw", "reason"), BROKEN)
def test_a_broken_line_is_rejected_with_its_bytes_and_neighbours_load(raw: bytes, reason: str) -> None:
    before, after = line(n=1), line(n=3)

    parsed = parse(before + b"\n" + raw + b"\n" + after + b"\n")

    assert parsed.lines == 3
    assert [(number, payload) for payload, _, number, _ in map(copy_fields, parsed.copy_rows)] == [
        (1, before),
        (3, after),
    ]
    ((number, kept, why),) = parsed.rejected
    assert (number, kept) == (2, raw)
    assert reason in why


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"n":%d}' % 2**70, id="huge-integer"),
        pytest.param(b'{"a":"\\\\u0000"}', id="escaped-backslash-before-u0000"),
        pytest.param(b'{"a":"\\ud83d\\ude00"}', id="surrogate-pair"),
        pytest.param(b'{"a":1.5e308,"b":-0}', id="big-float"),
    ],
)
def test_valid_json_that_jsonb_stores_is_not_rejected(raw: bytes) -> None:
    parsed = parse(raw + b"\n")

    assert parsed.rejected == []
    assert copy_fields(parsed.copy_rows[0])[0] == raw


def test_gzip_object_is_inflated() -> None:
    parsed = parse(gzip.compress(line(n=1) + b"\n" + line(n=2) + b"\n"))

    assert [copy_fields(row)[0] for row in parsed.copy_rows] == [line(n=1), line(n=2)]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(gzip.compress(line(n=1) * 50 + b"\n")[:-10], "truncated gzip", id="truncated"),
        pytest.param(b"\x1f\x8b" + b"garbage" * 10, "does not inflate", id="not-gzip-after-magic"),
    ],
)
def test_unreadable_gzip_is_rejected_whole_as_line_zero(data: bytes, reason: str) -> None:
    parsed = parse(data)

    assert (parsed.lines, parsed.rows) == (0, 0)
    ((number, kept, why),) = parsed.rejected
    assert (number, kept) == (0, data)
    assert reason in why


def test_every_member_of_a_multi_member_gzip_is_read() -> None:
    data = gzip.compress(line(n=1) + b"\n") + gzip.compress(line(n=2) + b"\n")
    assert gzip.decompress(data).count(b"\n") == 2

    parsed = parse(data)

    assert [copy_fields(row)[0] for row in parsed.copy_rows] == [line(n=1), line(n=2)]


def test_read_lines_splits_on_newline_only() -> None:
    assert read_lines(b"a\rb\nc\r\n\n") == [b"a\rb", b"c\r", b""]


def test_parse_numbered_matches_parse_object() -> None:
    data = line(n=1) + b"\n[1]\n\n" + line(n=4) + b"\r\n"
    numbered: list[tuple[int, bytes | Overlong]] = list(enumerate(data.split(b"\n")[:-1], start=1))

    from_object = parse(data)
    from_numbered = parse_numbered(KEY, "etag-1", len(data), numbered, HOUR)

    assert from_numbered.copy_rows == from_object.copy_rows
    assert from_numbered.rejected == from_object.rejected
    assert (from_numbered.lines, from_numbered.size) == (from_object.lines, from_object.size)
