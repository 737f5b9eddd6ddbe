"""From an HTTP request to raw events (ingest_lambda/body.py): method, media type, decoding, JSON, batches."""

from __future__ import annotations

import base64
import gzip
import json
import tracemalloc
import zlib
from typing import Any

import orjson
import pytest

from ingest_lambda.body import (
    HttpRequest,
    RequestRejected,
    check_method_and_type,
    parse_body,
    parse_json,
    read_body,
    split_events,
)
from ingest_lambda.contract import MAX_BATCH_EVENTS, MAX_BODY_BYTES
from ingest_lambda.nesting import SAMPLE_CHARS, OutOfRange, TooDeep

pytestmark = pytest.mark.unit

SEED_BODY = (
    '{"eventName":"view_product","userId":"u-123","sessionId":"s-abc",'
    '"pageUrl":"https://example.com/product/sku-1","referrer":"https://google.com","userLoginState":"guest",'
    '"product":{"id":"sku-1","name":"Laptop","category":"Computers","brand":"SBW","price":1200,"discountPrice":999}}'
)


def post(headers: dict[str, str] | None = None, body: str | None = SEED_BODY, *, b64: bool = False) -> HttpRequest:
    return HttpRequest(method="POST", headers=headers or {}, body=body, is_base64_encoded=b64)


def rejected(call: Any, *args: Any) -> RequestRejected:
    with pytest.raises(RequestRejected) as caught:
        call(*args)
    return caught.value


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- method and media type ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "OPTIONS", "DELETE"])
def test_methods_other_than_post_get_405(method: str) -> None:
    error = rejected(check_method_and_type, HttpRequest(method=method))
    assert error.status == 405
    assert method in error.message
    assert "POST" in error.message


def test_post_is_case_insensitive() -> None:
    check_method_and_type(HttpRequest(method="post", headers={"content-type": "application/json"}))


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "text/plain;charset=UTF-8",  # what navigator.sendBeacon sends for a string
        'text/plain; charset="utf8"',
    ],
)
def test_accepted_content_types(content_type: str) -> None:
    check_method_and_type(post({"content-type": content_type}))


def test_missing_content_type_is_accepted() -> None:
    check_method_and_type(post({}))


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        pytest.param({"content-type": "application/xml"}, "application/xml", id="xml"),
        pytest.param({"content-type": "multipart/form-data; boundary=x"}, "multipart/form-data", id="multipart"),
        pytest.param({"content-type": ""}, "(empty)", id="empty"),
        pytest.param({"content-type": "application/json; charset=latin-1"}, "latin-1", id="latin-1"),
        pytest.param({"content-type": "text/plain; charset=utf-16"}, "utf-16", id="utf-16"),
        pytest.param({"content-encoding": "br"}, "br", id="brotli"),
        pytest.param({"content-encoding": "deflate"}, "deflate", id="deflate"),
    ],
)
def test_unsupported_media_types_get_415_naming_the_problem(headers: dict[str, str], fragment: str) -> None:
    error = rejected(check_method_and_type, post(headers))
    assert error.status == 415
    assert fragment in error.message


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "identity", "GZIP"])
def test_gzip_and_identity_encodings_are_accepted(encoding: str) -> None:
    check_method_and_type(post({"content-encoding": encoding}))


# --- read_body: base64, gzip, limits --------------------------------------------------------------------------


def test_plain_body_is_returned_as_utf8_bytes() -> None:
    assert read_body(post(body='{"q":"phở"}'), MAX_BODY_BYTES) == '{"q":"phở"}'.encode()


def test_missing_body_is_empty() -> None:
    assert read_body(post(body=None), MAX_BODY_BYTES) == b""


def test_base64_body_is_decoded() -> None:
    assert read_body(post(body=b64(SEED_BODY.encode()), b64=True), MAX_BODY_BYTES) == SEED_BODY.encode()


@pytest.mark.parametrize("body", ["not base64!!", "abc", "eyJh\nYiI6MX0="])
def test_invalid_base64_is_400(body: str) -> None:
    error = rejected(read_body, post(body=body, b64=True), MAX_BODY_BYTES)
    assert error.status == 400
    assert "base64" in error.message


def test_gzip_body_is_inflated() -> None:
    compressed = gzip.compress(SEED_BODY.encode())
    request = post({"content-encoding": "gzip"}, b64(compressed), b64=True)
    assert read_body(request, MAX_BODY_BYTES) == SEED_BODY.encode()


def test_base64_gzip_is_inflated_even_without_content_encoding() -> None:
    compressed = gzip.compress(SEED_BODY.encode())
    assert read_body(post({}, b64(compressed), b64=True), MAX_BODY_BYTES) == SEED_BODY.encode()


def test_truncated_gzip_is_400() -> None:
    compressed = gzip.compress(SEED_BODY.encode())
    request = post({"content-encoding": "gzip"}, b64(compressed[: len(compressed) // 2]), b64=True)
    error = rejected(read_body, request, MAX_BODY_BYTES)
    assert error.status == 400
    assert "truncated" in error.message


def test_garbage_marked_gzip_is_400() -> None:
    request = post({"content-encoding": "gzip"}, b64(b"this is not gzip at all"), b64=True)
    error = rejected(read_body, request, MAX_BODY_BYTES)
    assert error.status == 400
    assert "gzip" in error.message


def test_plain_text_marked_gzip_is_400() -> None:
    error = rejected(read_body, post({"content-encoding": "gzip"}, SEED_BODY), MAX_BODY_BYTES)
    assert error.status == 400


def _gzip_of_zeros(size: int, chunk: int = 1 << 20) -> bytes:
    """gzip of `size` zero bytes, built in chunks so the test itself never holds `size` bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(chunk)
    parts = [compressor.compress(zeros) for _ in range(size // chunk)]
    parts.append(compressor.flush())
    return b"".join(parts)


@pytest.fixture(scope="module")
def gzip_bomb_b64() -> str:
    bomb = _gzip_of_zeros(50 * 1024 * 1024)
    assert len(bomb) < 100_000  # the whole point: tiny on the wire
    return b64(bomb)


def test_gzip_bomb_is_413_without_inflating_it(gzip_bomb_b64: str) -> None:
    request = post({"content-encoding": "gzip"}, gzip_bomb_b64, b64=True)
    tracemalloc.start()
    try:
        with pytest.raises(RequestRejected) as caught:
            read_body(request, MAX_BODY_BYTES)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.status == 413
    assert peak < 5 * 1024 * 1024, f"read_body allocated {peak} bytes for a 50 MB gzip bomb"


def test_gzip_inflating_to_exactly_the_limit_is_accepted() -> None:
    data = b" " * 1000
    request = post({"content-encoding": "gzip"}, b64(gzip.compress(data)), b64=True)
    assert read_body(request, 1000) == data
    assert rejected(read_body, request, 999).status == 413


def test_plain_body_over_the_limit_is_413() -> None:
    error = rejected(read_body, post(body="x" * 101), 100)
    assert error.status == 413
    assert "100" in error.message


def test_plain_body_at_the_limit_is_accepted() -> None:
    assert read_body(post(body="x" * 100), 100) == b"x" * 100


def test_limit_counts_bytes_not_characters() -> None:
    # 50 two-byte characters are 100 bytes.
    assert rejected(read_body, post(body="é" * 51), 100).status == 413
    assert len(read_body(post(body="é" * 50), 100)) == 100


def test_base64_body_over_the_limit_is_413() -> None:
    error = rejected(read_body, post(body=b64(b"x" * 101), b64=True), 100)
    assert error.status == 413


def test_huge_base64_text_is_refused_before_decoding() -> None:
    # Invalid base64 would be a 400 if it were decoded: 413 shows the size check comes first.
    error = rejected(read_body, post(body="!" * 10_000, b64=True), 100)
    assert error.status == 413


@pytest.mark.parametrize("shape", ["two-members", "trailing-garbage"])
def test_gzip_stream_is_read_to_its_real_end(shape: str) -> None:
    first, second = SEED_BODY[:40].encode(), SEED_BODY[40:].encode()
    if shape == "two-members":
        # RFC 1952 section 2.2: a gzip file is a series of members; gzip.decompress reads them all.
        data = gzip.compress(first) + gzip.compress(second)
        assert gzip.decompress(data) == SEED_BODY.encode()
        assert read_body(post({"content-encoding": "gzip"}, b64(data), b64=True), MAX_BODY_BYTES) == (
            SEED_BODY.encode()
        )
    else:
        data = gzip.compress(SEED_BODY.encode()) + b"garbage"
        error = rejected(read_body, post({"content-encoding": "gzip"}, b64(data), b64=True), MAX_BODY_BYTES)
        assert error.status == 400


# --- parse_json -----------------------------------------------------------------------------------------------


def test_seed_body_parses() -> None:
    assert parse_json(SEED_BODY.encode()) == json.loads(SEED_BODY)


@pytest.mark.parametrize("raw", [b"NaN", b"[NaN]", b'{"a": Infinity}', b"[-Infinity]"])
def test_non_finite_constants_are_400(raw: bytes) -> None:
    assert rejected(parse_json, raw).status == 400


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"1e400", OutOfRange("1e400")),
        (b'{"price": -1e400}', {"price": OutOfRange("-1e400")}),
        (b'["\\ud800", 1e400]', ["\ud800", OutOfRange("1e400")]),
        (b"[" + b"9" * 400 + b"]", [OutOfRange("9" * 400)]),
    ],
)
def test_a_number_beyond_a_double_parses_to_a_marker_not_a_400(raw: bytes, expected: Any) -> None:
    # Only the event that holds it fails (ingest_lambda.nesting), not the whole body: see test_handler_limits.
    assert parse_body(raw) == (expected, True)


def test_non_finite_constants_are_rejected_on_the_fallback_path_too() -> None:
    # A lone surrogate makes orjson refuse the body, so the standard library parses it: NaN must still fail.
    assert rejected(parse_json, b'["\\ud800", NaN]').status == 400


def test_orjson_bodies_are_marked_free_of_markers() -> None:
    assert parse_body(b'{"a": [1, 2.5]}') == ({"a": [1, 2.5]}, False)


@pytest.mark.parametrize("raw", [b'{"q": "\xff"}', b'{"q": "caf\xe9"}', b'"\xed\xa0\x80"'])
def test_invalid_utf8_is_400_naming_utf8(raw: bytes) -> None:
    error = rejected(parse_json, raw)
    assert error.status == 400
    assert "UTF-8" in error.message


def test_lone_surrogate_escape_parses_through_the_fallback() -> None:
    assert parse_json(b'{"pageTitle": "abc\\ud800"}') == {"pageTitle": "abc\ud800"}


def test_valid_surrogate_pair_escape_parses() -> None:
    assert parse_json(b'"\\uD83D\\uDE00"') == "\U0001f600"


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"a":' * 50_000, b"[" * 100_000 + b"]" * 99_999])
def test_unterminated_deep_nesting_is_400_not_recursion_error(raw: bytes) -> None:
    assert rejected(parse_json, raw).status == 400


def test_a_body_too_deep_for_the_parser_is_one_too_deep_value() -> None:
    payload, markers = parse_body(b"[" * 100_000 + b"]" * 100_000)
    assert markers
    assert payload == TooDeep("[" * SAMPLE_CHARS)


def test_a_batch_element_too_deep_for_the_parser_becomes_a_marker_beside_its_neighbours() -> None:
    deep = b'{"properties": {"x": ' + b"[" * 5_000 + b'"]}"' + b"]" * 5_000 + b"}}"
    raw = b'{"events": [{"a": 1}, ' + deep + b', {"b": "\\u0000"}, []]}'
    payload, markers = parse_body(raw)
    assert markers
    first, marker, third, fourth = payload["events"]
    assert (first, third, fourth) == ({"a": 1}, {"b": "\x00"}, [])
    assert marker == TooDeep(deep[:SAMPLE_CHARS].decode())


@pytest.mark.parametrize(
    "raw",
    [
        b'{"events": [' + b"[" * 5_000 + b"]" * 4_999 + b"}]}",
        b'{"events": [' + b"[" * 5_000 + b"]" * 5_000 + b"}",
        b'{"events": [' + b"[" * 5_000 + b"]" * 5_000 + b",]}",
        b'{"events": [' + b"[" * 5_000 + b"]" * 5_000 + b"]} x",
    ],
)
def test_a_deep_batch_must_still_be_json_around_its_elements(raw: bytes) -> None:
    assert rejected(parse_json, raw).status == 400


def test_a_deep_single_event_is_one_too_deep_value() -> None:
    raw = b'{"eventName": "click", "properties": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"
    payload, _ = parse_body(raw)
    assert payload == TooDeep(raw[:SAMPLE_CHARS].decode())
    assert split_events(payload, MAX_BATCH_EVENTS) == ([payload], False)


@pytest.mark.parametrize("raw", [b"", b"{", b'{"a":1,}', b"{'a': 1}", b'{"a": 1} x'])
def test_malformed_json_is_400(raw: bytes) -> None:
    error = rejected(parse_json, raw)
    assert error.status == 400
    assert "not valid JSON" in error.message


def test_integer_with_thousands_of_digits_is_a_marker_not_an_error() -> None:
    # int() refuses more than 4,300 digits; the number is out of a double's range anyway.
    assert parse_json(b"1" * 5000) == OutOfRange("1" * 5000)


@pytest.mark.parametrize("number", [b"18446744073709551616", b"-9223372036854775809", b"1" + b"0" * 30])
def test_integers_beyond_64_bits_parse_the_same_on_both_paths(number: bytes) -> None:
    # A lone surrogate sends the body to the stdlib parser; its integers must still be ones orjson can write.
    fast = parse_json(b"[" + number + b"]")[0]
    fallback = parse_json(b'["\\ud800", ' + number + b"]")[1]
    assert type(fallback) is type(fast)
    assert fallback == fast
    orjson.dumps(fallback)


def test_64_bit_integers_stay_integers_on_the_fallback_path() -> None:
    values = parse_json(b'["\\ud800", 18446744073709551615, -9223372036854775808, 7]')[1:]
    assert values == [2**64 - 1, -(2**63), 7]
    assert all(type(value) is int for value in values)


# --- split_events ---------------------------------------------------------------------------------------------


def test_single_object_is_one_event() -> None:
    payload = {"eventName": "click"}
    events, batch = split_events(payload, MAX_BATCH_EVENTS)
    assert events == [payload]
    assert batch is False


def test_batch_is_its_events() -> None:
    payload = {"events": [{"eventName": "a"}, {"eventName": "b"}]}
    events, batch = split_events(payload, MAX_BATCH_EVENTS)
    assert events == [{"eventName": "a"}, {"eventName": "b"}]
    assert batch is True


def test_batch_items_are_passed_through_even_if_not_objects() -> None:
    # Each event is judged on its own later; the split does not drop or refuse a bad neighbour.
    events, _ = split_events({"events": [{"eventName": "a"}, 5, None]}, MAX_BATCH_EVENTS)
    assert events == [{"eventName": "a"}, 5, None]


def test_batch_with_an_extra_key_is_400_naming_it() -> None:
    error = rejected(split_events, {"events": [{"eventName": "a"}], "sentAt": 1}, MAX_BATCH_EVENTS)
    assert error.status == 400
    assert "sentAt" in error.message


def test_empty_batch_is_400() -> None:
    error = rejected(split_events, {"events": []}, MAX_BATCH_EVENTS)
    assert error.status == 400
    assert "empty" in error.message


def test_events_not_an_array_is_400() -> None:
    assert rejected(split_events, {"events": {"eventName": "a"}}, MAX_BATCH_EVENTS).status == 400


def test_batch_at_the_limit_is_accepted() -> None:
    events, _ = split_events({"events": [{}] * MAX_BATCH_EVENTS}, MAX_BATCH_EVENTS)
    assert len(events) == MAX_BATCH_EVENTS == 500


def test_501_events_are_413() -> None:
    error = rejected(split_events, {"events": [{}] * 501}, MAX_BATCH_EVENTS)
    assert error.status == 413
    assert "501" in error.message


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        pytest.param([{"eventName": "a"}], "list", id="array"),
        pytest.param(None, "null", id="null"),
        pytest.param("text", "str", id="string"),
        pytest.param(42, "int", id="number"),
    ],
)
def test_top_level_must_be_an_object(payload: Any, kind: str) -> None:
    error = rejected(split_events, payload, MAX_BATCH_EVENTS)
    assert error.status == 400
    assert f"got {kind}" in error.message
