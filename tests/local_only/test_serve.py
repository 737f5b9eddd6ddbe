"""`clickstream serve`: real HTTP requests through the local server to the ingest handler and the file store."""

from __future__ import annotations

import base64
import dataclasses
import gzip
import http.client
import io
import json
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from support.fakes import load_event
from support.serving import SHOP_ORIGIN, RunningServer, running_server

from ingest_lambda.contract import MAX_BODY_BYTES
from local_only.api_gateway import event_from_http
from local_only.serve import serve_command

pytestmark = pytest.mark.integration

# The sample request body (the product view of docs/event-contract.md, kept in tests/events), byte for byte.
SEED_EVENT = load_event("apigw_v2_sample_request.json")
SEED_BODY: bytes = SEED_EVENT["body"].encode("utf-8")
EVENT_KEY = re.compile(r"^events/(\d{4})/(\d\d)/(\d\d)/(\d\d)/event-[0-9a-f-]{36}\.json$")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    log = io.StringIO()
    with running_server(tmp_path_factory.mktemp("raw"), log_stream=log) as running:
        yield dataclasses.replace(running, log=log)


def request(
    served: RunningServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (names lower-cased) and body of one request; HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(served.url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def raw_request(served: RunningServer, head: str) -> tuple[int, dict[str, str], bytes]:
    """Send a request head exactly as given (no body) and read the answer, for what urllib will not send."""
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode("latin-1"))
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def post_json(served: RunningServer, payload: Any, **headers: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    status, response_headers, data = request(
        served, "POST", "/clickstream", body, {"Content-Type": "application/json", **headers}
    )
    return status, response_headers, json.loads(data)


def stored_lines(served: RunningServer, key: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (served.store / key).read_bytes().splitlines()]


def test_seed_event_is_accepted_and_stored_under_its_hour(served: RunningServer) -> None:
    before_keys = served.objects("events")
    before = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    status, headers, data = request(
        served,
        "POST",
        "/clickstream",
        SEED_BODY,
        {"Content-Type": "application/json", "User-Agent": "Mozilla/5.0"},
    )
    after = datetime.now(UTC)
    reply = json.loads(data)

    assert status == 200
    assert headers["content-type"] == "application/json"
    assert reply == {"accepted": 1, "rejected": [], "requestId": headers["apigw-requestid"]}
    new_keys = served.objects("events") - before_keys
    assert len(new_keys) == 1
    key = new_keys.pop()
    match = EVENT_KEY.match(key)
    assert match, key
    year, month, day, hour_of_day = (int(part) for part in match.groups())
    hour = datetime(year, month, day, hour_of_day, tzinfo=UTC)
    assert before <= hour <= after
    [line] = stored_lines(served, key)
    sent = json.loads(SEED_BODY)
    assert {name: line[name] for name in sent} == sent
    assert line["requestId"] == reply["requestId"]
    assert line["ipHash"] and "127.0.0.1" not in json.dumps(line)
    assert line["userAgent"] == "Mozilla/5.0"


def test_text_plain_beacon_batch(served: RunningServer) -> None:
    batch = {
        "events": [
            {"eventName": "page_view", "clientId": "c-42", "pageUrl": "https://shop.example/"},
            {"eventName": "click", "clientId": "c-42", "properties": {"target": "buy-button"}},
        ]
    }
    status, _, data = request(
        served,
        "POST",
        "/clickstream",
        json.dumps(batch).encode(),
        {"Content-Type": "text/plain;charset=UTF-8", "Origin": SHOP_ORIGIN},
    )
    reply = json.loads(data)
    assert status == 200
    assert reply["accepted"] == 2
    assert reply["rejected"] == []


def test_gzip_body_is_passed_base64_and_inflated(served: RunningServer) -> None:
    before = served.objects("events")
    events = [{"eventName": "click", "sessionId": f"s-{n}", "properties": {"n": n}} for n in range(50)]
    status, _, reply = post_json(
        served, gzip.compress(json.dumps({"events": events}).encode()), **{"Content-Encoding": "gzip"}
    )
    assert status == 200
    assert reply["accepted"] == 50
    [key] = served.objects("events") - before
    assert [line["properties"]["n"] for line in stored_lines(served, key)] == list(range(50))


def test_a_batch_with_one_bad_event_stores_the_others(served: RunningServer) -> None:
    status, _, reply = post_json(served, {"events": [{"eventName": "click", "clientId": "c"}, {"eventName": "click"}]})
    assert status == 200
    assert reply["accepted"] == 1
    assert reply["rejected"][0]["index"] == 1


def test_invalid_json_is_400_with_an_error(served: RunningServer) -> None:
    status, _, reply = post_json(served, b"{not json")
    assert status == 400
    assert reply["error"].startswith("body is not valid JSON")


def test_unknown_path_is_404_json(served: RunningServer) -> None:
    status, headers, data = request(served, "GET", "/nope")
    assert status == 404
    assert headers["content-type"] == "application/json"
    assert "error" in json.loads(data)


def test_get_clickstream_is_the_handlers_405(served: RunningServer) -> None:
    status, _, data = request(served, "GET", "/clickstream")
    reply = json.loads(data)
    assert status == 405
    assert "POST" in reply["error"]
    assert reply["requestId"]


def test_healthz(served: RunningServer) -> None:
    status, headers, data = request(served, "GET", "/healthz")
    assert (status, headers["content-type"], json.loads(data)) == (200, "application/json", {"status": "ok"})
    status, headers, _ = request(served, "POST", "/healthz", b"{}")
    assert status == 405
    assert headers["allow"] == "GET, HEAD"


def test_oversized_content_length_is_413_without_reading_the_body(served: RunningServer) -> None:
    head = (
        "POST /clickstream HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n"
    )
    # No body follows: a server that tried to read it would time out instead of answering.
    status, headers, data = raw_request(served, head)
    assert status == 413
    assert headers["connection"] == "close"
    assert "error" in json.loads(data)


@pytest.mark.parametrize(
    ("length_header", "status"),
    [("", 411), ("Content-Length: abc\r\n", 400), ("Content-Length: -1\r\n", 400), ("Content-Length: 1, 2\r\n", 400)],
)
def test_missing_or_invalid_content_length(served: RunningServer, length_header: str, status: int) -> None:
    head = f"POST /clickstream HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n{length_header}\r\n"
    answer, _, data = raw_request(served, head)
    assert answer == status
    assert "error" in json.loads(data)


def test_chunked_body_is_411(served: RunningServer) -> None:
    head = "POST /clickstream HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    status, _, _ = raw_request(served, head)
    assert status == 411


def test_a_handler_crash_is_a_json_500_without_traceback(
    served: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest_lambda.handler

    def crash(event: dict[str, Any], context: object) -> dict[str, Any]:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(ingest_lambda.handler, "handler", crash)
    status, _, data = request(served, "POST", "/clickstream", SEED_BODY, {"Content-Type": "application/json"})
    assert status == 500
    assert json.loads(data)["error"] == "internal error"
    assert b"Traceback" not in data and b"secret detail" not in data


def test_a_huge_integer_is_a_400_not_a_crash(served: RunningServer) -> None:
    """Regression: an integer beyond a double made the stdlib JSON fallback hand orjson an int it cannot write."""
    huge = b'{"eventName":"click","clientId":"c","properties":{"n":1' + b"0" * 400 + b"}}"
    status, _, reply = post_json(served, huge)
    # A number beyond a double fails only its own event (docs/event-contract.md); here it is the only one.
    assert status == 400
    assert reply["rejected"][0]["errors"][0]["path"] == "properties.n"
    # The fallback parser runs for an unpaired surrogate escape; a 100-bit integer then becomes a float, as in orjson.
    body = b'{"eventName":"click","clientId":"c\\ud800","properties":{"n":1' + b"0" * 30 + b"}}"
    status, _, reply = post_json(served, body)
    assert status == 200, reply


def test_one_log_line_per_request(served: RunningServer) -> None:
    request(served, "GET", "/healthz?probe=log")
    assert served.log is not None
    deadline = time.monotonic() + 5
    # The line is written once the response is out, so it can trail the client by a moment.
    while not re.search(r"^GET /healthz 200 \d+\.\dms$", served.log.getvalue(), re.MULTILINE):
        assert time.monotonic() < deadline, served.log.getvalue()[-500:]
        time.sleep(0.01)


def test_405_lists_the_allowed_methods(served: RunningServer) -> None:
    status, headers, _ = request(served, "DELETE", "/clickstream")
    assert status == 405
    assert "POST" in headers.get("allow", "")


def test_an_integral_float_quantity_is_accepted(served: RunningServer) -> None:
    order = {"id": "o-1", "revenue": 20, "items": [{"productId": "p", "quantity": 2.0, "price": 10}]}
    status, _, reply = post_json(served, {"eventName": "purchase", "clientId": "c", "order": order})
    assert status == 200, reply


def test_serve_refuses_a_bad_store_url() -> None:
    result = CliRunner().invoke(serve_command, ["--port", "0", "--store", "ftp://nowhere/raw"])
    assert result.exit_code == 1
    assert "unsupported store URL" in result.output


@pytest.mark.unit
def test_event_from_http_follows_api_gateway_payload_v2() -> None:
    now = datetime(2025, 12, 6, 5, 12, 34, 567000, tzinfo=UTC)
    event = event_from_http(
        method="POST",
        raw_path="/clickstream",
        raw_query="a=1&b=2&a=3&empty=",
        headers=[
            ("Content-Type", "application/json"),
            ("X-Custom", "one"),
            ("x-custom", "two"),
            ("Cookie", "sid=abc; theme=dark"),
            ("User-Agent", "Mozilla/5.0"),
        ],
        body=b'{"eventName":"click"}',
        protocol="HTTP/1.1",
        source_ip="198.51.100.7",
        domain_name="localhost:8080",
        port=8080,
        now=now,
        request_id="req-1",
    )
    seed_shape = load_event("apigw_v2_sample_request.json")
    assert set(seed_shape) <= set(event)
    assert set(seed_shape["requestContext"]) <= set(event["requestContext"])
    assert set(seed_shape["requestContext"]["http"]) == set(event["requestContext"]["http"])
    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "POST /clickstream"
    assert event["rawQueryString"] == "a=1&b=2&a=3&empty="
    assert event["queryStringParameters"] == {"a": "1,3", "b": "2", "empty": ""}
    assert event["headers"]["x-custom"] == "one,two"
    assert event["headers"]["content-type"] == "application/json"
    assert event["headers"]["x-forwarded-for"] == "198.51.100.7"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["sid=abc", "theme=dark"]
    assert event["body"] == '{"eventName":"click"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["requestId"] == "req-1"
    assert context["stage"] == "$default"
    assert context["timeEpoch"] == 1764997954567
    assert context["time"] == "06/Dec/2025:05:12:34 +0000"
    assert context["http"] == {
        "method": "POST",
        "path": "/clickstream",
        "protocol": "HTTP/1.1",
        "sourceIp": "198.51.100.7",
        "userAgent": "Mozilla/5.0",
    }


@pytest.mark.unit
@pytest.mark.parametrize(
    ("content_type", "encoding", "body", "as_text"),
    [
        ("application/json", None, b"{}", True),
        ("text/plain;charset=UTF-8", None, b"{}", True),
        ("application/json", "gzip", gzip.compress(b"{}"), False),
        ("application/json", None, b"\xff\xfe", False),
        ("application/octet-stream", None, b"{}", False),
        (None, None, b"{}", False),
    ],
)
def test_event_from_http_body_encoding(
    content_type: str | None, encoding: str | None, body: bytes, as_text: bool
) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    if encoding:
        headers.append(("Content-Encoding", encoding))
    event = event_from_http(
        method="POST",
        raw_path="/clickstream",
        raw_query="",
        headers=headers,
        body=body,
        protocol="HTTP/1.1",
        source_ip="127.0.0.1",
        domain_name="localhost",
        port=8080,
    )
    assert event["isBase64Encoded"] is not as_text
    assert (event["body"].encode() if as_text else base64.b64decode(event["body"])) == body
    assert "queryStringParameters" not in event


@pytest.mark.unit
def test_event_from_http_without_a_body_has_no_body_key() -> None:
    event = event_from_http(
        method="GET",
        raw_path="/clickstream",
        raw_query="",
        headers=[],
        body=None,
        protocol="HTTP/1.1",
        source_ip="127.0.0.1",
        domain_name="localhost",
        port=8080,
    )
    assert "body" not in event
    assert event["isBase64Encoded"] is False


def _id_token(claims: dict[str, Any]) -> str:
    """A JWT of these claims; its signature is never checked locally (local_only/jwt_authorizer.py)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'test'})}.{part(claims)}.c2lnbmF0dXJl"


def test_the_signed_in_route_stores_the_tokens_subject_as_the_user(served: RunningServer) -> None:
    before = served.objects("events")
    token = _id_token({"sub": "cognito-sub-7", "exp": int(time.time()) + 600, "token_use": "id"})
    body = json.dumps({"events": [{"eventName": "login", "clientId": "c-7", "userId": "shop-user-7"}]}).encode()
    status, headers, data = request(
        served,
        "POST",
        "/clickstream/auth",
        body,
        {"Content-Type": "text/plain", "Authorization": f"Bearer {token}", "Origin": SHOP_ORIGIN},
    )
    assert (status, json.loads(data)["accepted"]) == (200, 1)
    assert headers["access-control-allow-origin"] == SHOP_ORIGIN
    [key] = served.objects("events") - before
    [line] = stored_lines(served, key)
    assert (line["userId"], line["clientUserId"], line["userLoginState"]) == (
        "cognito-sub-7",
        "shop-user-7",
        "logged_in",
    )


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-jwt",
        "Bearer a.%%%.c",
        f"Bearer {_id_token({'sub': 'gone', 'exp': 1_000_000_000})}",
        f"Bearer {_id_token({'sub': 'no-expiry'})}",
    ],
)
def test_the_signed_in_route_refuses_a_missing_malformed_or_expired_token(
    served: RunningServer, authorization: str | None
) -> None:
    before = served.objects("events")
    headers = {"Content-Type": "text/plain", "Origin": SHOP_ORIGIN}
    if authorization is not None:
        headers["Authorization"] = authorization
    body = json.dumps({"eventName": "login", "clientId": "c-8"}).encode()
    status, answer_headers, data = request(served, "POST", "/clickstream/auth", body, headers)
    # API Gateway's JWT authorizer's own answer; the browser can read it (CORS), and nothing is stored.
    assert (status, json.loads(data)) == (401, {"message": "Unauthorized"})
    assert answer_headers["access-control-allow-origin"] == SHOP_ORIGIN
    assert served.objects("events") == before
