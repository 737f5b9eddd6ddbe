"""The ingest Lambda end to end: API Gateway v2 event in, objects in the store and an HTTP reply out."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.fakes import MemoryStore, load_event

from ingest_lambda.handler import handler
from ingest_lambda.handler import logger as handler_logger

pytestmark = pytest.mark.unit

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)


def api_event(body: str | bytes | None, *, headers: dict[str, str] | None = None, **overrides: Any) -> dict[str, Any]:
    event = load_event("apigw_v2_sample_request.json")
    event["headers"] = {"content-type": "application/json", "user-agent": CHROME, **(headers or {})}
    if isinstance(body, bytes):
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    else:
        event["body"], event["isBase64Encoded"] = body, False
    if body is None:
        del event["body"]
    for key, value in overrides.items():
        if key == "method":
            event["requestContext"]["http"]["method"] = value
        else:
            event["requestContext"][key] = value
    return event


def view(**fields: Any) -> dict[str, Any]:
    return {
        "eventName": "view_product",
        "clientId": "c-1",
        "sessionId": "s-1",
        "pageUrl": "https://shop.example.com/product/sku-1",
        "product": {"id": "sku-1", "price": 10},
        **fields,
    }


def reply(response: dict[str, Any]) -> dict[str, Any]:
    assert response["headers"]["content-type"] == "application/json"
    return json.loads(response["body"])


def stored_objects(root: Path, kind: str) -> list[Path]:
    return sorted((root / kind).rglob("*.json")) if (root / kind).exists() else []


def test_seed_event_verbatim_is_stored_with_all_enrichment(file_store_env: Path, lambda_context: Any) -> None:
    # GIVEN the sample API Gateway event (tests/events), byte for byte
    event = load_event("apigw_v2_sample_request.json")
    before = datetime.now(UTC).replace(microsecond=0)

    # WHEN the handler receives it
    response = handler(event, lambda_context)

    # THEN it answers 200 after writing exactly one object in the current UTC hour
    assert response["statusCode"] == 200, response
    assert reply(response) == {"accepted": 1, "rejected": [], "requestId": "test-request-id"}
    objects = stored_objects(file_store_env, "events")
    assert len(objects) == 1
    hour = objects[0].relative_to(file_store_env).parts[1:5]
    assert "/".join(hour) in {f"{before:%Y/%m/%d/%H}", f"{datetime.now(UTC):%Y/%m/%d/%H}"}
    assert re.fullmatch(r"event-[0-9a-f-]{36}\.json", objects[0].name)
    raw = objects[0].read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 1
    line = json.loads(raw)
    client_fields = json.loads(event["body"])
    assert {k: line[k] for k in client_fields} == client_fields
    assert UUID4.match(line["eventId"])
    assert ISO_MS.match(line["receivedAt"]) and line["eventTimestamp"] == line["receivedAt"]
    assert line["requestId"] == "test-request-id"
    assert line["userAgent"] == "Mozilla/5.0"
    assert set(line["device"]) == {"type", "browser", "browserVersion", "os", "osVersion", "model"}
    assert re.fullmatch(r"[0-9a-f]{32}", line["ipHash"])
    assert line["schemaVersion"] == "1.0"
    assert b"203.0.113.1" not in raw
    assert not stored_objects(file_store_env, "rejected")


def test_country_identity_and_skew_are_enriched(memory_store: MemoryStore, lambda_context: Any) -> None:
    # GIVEN a logged-in visitor (JWT authorizer claims) whose clock runs two hours behind
    received = datetime(2025, 12, 6, 5, 30, tzinfo=UTC)
    body = view(
        userId="client-claims-to-be-admin",
        eventTimestamp="2025-12-06T03:29:50.000Z",
        sentAt="2025-12-06T03:30:00.000Z",
    )
    event = api_event(
        json.dumps(body),
        headers={"cloudfront-viewer-country": "VN"},
        timeEpoch=int(received.timestamp() * 1000),
        authorizer={"jwt": {"claims": {"sub": "0f6c-sub", "email": "ann@example.com"}, "scopes": None}},
    )

    # WHEN
    response = handler(event, lambda_context)

    # THEN identity comes from the token, time is corrected by the skew, country from CloudFront
    assert response["statusCode"] == 200
    [line] = memory_store.lines("events/2025/12/06/05/")
    assert line["userId"] == "0f6c-sub"
    assert line["clientUserId"] == "client-claims-to-be-admin"
    assert line["userLoginState"] == "logged_in"
    assert line["identitySource"] == "cognito"
    assert line["eventTimestamp"] == "2025-12-06T05:29:50.000Z"
    assert line["clientEventTimestamp"] == "2025-12-06T03:29:50.000Z"
    assert line["sentAt"] == "2025-12-06T03:30:00.000Z"
    assert line["receivedAt"] == "2025-12-06T05:30:00.000Z"
    assert line["country"] == "VN"
    assert line["device"]["type"] == "desktop" and line["device"]["browser"] == "Chrome"
    assert "ann@example.com" not in json.dumps(line)


def _from(address: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    event = api_event(json.dumps(view()), headers=headers, timeEpoch=1_765_000_000_000)
    event["requestContext"]["http"]["sourceIp"] = address
    return event


@pytest.mark.parametrize(
    ("address", "country"),
    [
        ("81.2.69.160", "GB"),
        ("1.0.16.1", "JP"),
        ("200.160.2.3", "BR"),
        ("14.161.1.1", "VN"),
        ("2001:4860:4860::8888", "US"),
        ("2a00:1450:4001::1", "IE"),
        ("2402:800::1", "VN"),
        ("2409:4040::1", "IN"),
    ],
)
def test_country_comes_from_the_client_address_without_cloudfront(
    memory_store: MemoryStore, lambda_context: Any, address: str, country: str
) -> None:
    # GIVEN a request straight from API Gateway (no CloudFront, so no cloudfront-viewer-country)
    # WHEN the handler stores its event
    response = handler(_from(address), lambda_context)

    # THEN the address's country is stored, the address itself nowhere
    assert response["statusCode"] == 200, response
    [line] = memory_store.lines("events/")
    assert line["country"] == country
    assert address not in json.dumps(line)


def test_cloudfront_country_wins_over_the_address(memory_store: MemoryStore, lambda_context: Any) -> None:
    response = handler(_from("81.2.69.160", {"cloudfront-viewer-country": "fr"}), lambda_context)

    assert response["statusCode"] == 200
    [line] = memory_store.lines("events/")
    assert line["country"] == "FR"


def test_an_unusable_cloudfront_header_falls_back_to_the_address(
    memory_store: MemoryStore, lambda_context: Any
) -> None:
    response = handler(_from("2a00:1450:4001::1", {"cloudfront-viewer-country": "??"}), lambda_context)

    assert response["statusCode"] == 200
    [line] = memory_store.lines("events/")
    assert line["country"] == "IE"


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.10", "127.0.0.1", "::1", "fd12:3456::1", "203.0.113.1",
                                     "", "unknown", "8.8.8.8, 10.0.0.1"])  # fmt: skip
def test_private_or_unknown_addresses_store_no_country(
    memory_store: MemoryStore, lambda_context: Any, address: str
) -> None:
    response = handler(_from(address), lambda_context)

    assert response["statusCode"] == 200, response
    [line] = memory_store.lines("events/")
    assert "country" not in line


@pytest.mark.parametrize(
    ("content_type", "encode"),
    [
        ("text/plain;charset=UTF-8", lambda b: b.decode()),
        ("application/json", gzip.compress),
        ("text/plain", gzip.compress),
    ],
    ids=["beacon", "gzip-json", "gzip-beacon"],
)
def test_beacons_and_gzip_batches_are_accepted(
    memory_store: MemoryStore, lambda_context: Any, content_type: str, encode: Any
) -> None:
    events = [view(eventId=str(uuid.uuid4())) for _ in range(3)]
    raw = json.dumps({"events": events}).encode()
    body = encode(raw)
    headers = {"content-type": content_type}
    if isinstance(body, bytes):
        headers["content-encoding"] = "gzip"

    response = handler(api_event(body, headers=headers), lambda_context)

    assert response["statusCode"] == 200, response
    assert reply(response)["accepted"] == 3
    assert [line["eventId"] for line in memory_store.lines("events/")] == [e["eventId"] for e in events]
    assert len(memory_store.objects) == 1


def test_invalid_events_are_rejected_one_by_one_and_kept(memory_store: MemoryStore, lambda_context: Any) -> None:
    # GIVEN a batch whose second event has a negative price and whose third is not an object
    batch = {"events": [view(eventId="ok-1"), view(product={"id": "x", "price": -1}), "oops", view(eventId="ok-2")]}

    response = handler(api_event(json.dumps(batch)), lambda_context)

    # THEN the valid ones are stored and each refused one is named with its field path and kept with its reason
    assert response["statusCode"] == 200
    body = reply(response)
    assert body["accepted"] == 2
    assert body["rejected"] == [
        {"index": 1, "errors": [{"path": "product.price", "message": "Input should be greater than or equal to 0"}]},
        {"index": 2, "errors": [{"path": "", "message": "an event must be a JSON object, got string"}]},
    ]
    assert [line["eventId"] for line in memory_store.lines("events/")] == ["ok-1", "ok-2"]
    kept = memory_store.lines("rejected/")
    assert [(k["index"], k["event"]) for k in kept] == [(1, batch["events"][1]), (2, "oops")]
    assert all(k["errors"] and k["requestId"] == "test-request-id" and "ipHash" in k for k in kept)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("not json", 400, "body is not valid JSON"),
        ("[1, 2]", 400, "body must be a JSON object"),
        ('{"events": []}', 400, "'events' is empty"),
        (json.dumps({"eventName": "view_product", "clientId": "c"}), 400, "view_product events require product"),
        (json.dumps({"events": [view()] * 501}), 413, "batch has 501 events; the limit is 500"),
        ("x" * 1_048_577, 413, "the limit is 1048576"),
    ],
    ids=["not-json", "array", "empty-batch", "no-valid-event", "batch-too-big", "body-too-big"],
)
def test_bad_bodies_get_a_clear_error_and_are_kept(
    memory_store: MemoryStore, lambda_context: Any, body: str, status: int, message: str
) -> None:
    response = handler(api_event(body), lambda_context)

    assert response["statusCode"] == status
    assert message in json.dumps(reply(response))
    [kept] = memory_store.lines("rejected/")
    assert message in json.dumps(kept["errors"])
    assert not memory_store.lines("events/")


def test_method_and_media_type_are_checked(memory_store: MemoryStore, lambda_context: Any) -> None:
    assert handler(api_event(None, method="GET"), lambda_context)["statusCode"] == 405
    xml = handler(api_event("<event/>", headers={"content-type": "application/xml"}), lambda_context)
    assert xml["statusCode"] == 415
    assert "application/xml" in reply(xml)["error"]
    brotli = handler(api_event(json.dumps(view()), headers={"content-encoding": "br"}), lambda_context)
    assert brotli["statusCode"] == 415


def test_storage_failure_answers_503_and_nothing_is_acknowledged(
    memory_store: MemoryStore, lambda_context: Any
) -> None:
    memory_store.fail_writes = True

    response = handler(api_event(json.dumps(view())), lambda_context)

    assert response["statusCode"] == 503
    assert reply(response)["error"] == "events could not be stored; retry later"
    assert "Traceback" not in response["body"]


def test_unwritable_file_store_answers_503(file_store_env: Path, lambda_context: Any) -> None:
    file_store_env.parent.mkdir(parents=True, exist_ok=True)
    file_store_env.write_text("a file where the store's directory should be")

    response = handler(api_event(json.dumps(view())), lambda_context)

    assert response["statusCode"] == 503


def test_misconfiguration_answers_503(tmp_path: Path, lambda_context: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest_lambda.services import override_services

    # Nothing installed: the handler builds its services from an environment that names a store but no salt.
    monkeypatch.setenv("RAW_STORE_URL", (tmp_path / "raw").as_uri())
    monkeypatch.delenv("HASH_SALT", raising=False)
    monkeypatch.delenv("HASH_SALT_PARAM", raising=False)
    with override_services(None):
        response = handler(api_event(json.dumps(view())), lambda_context)

    assert response["statusCode"] == 503
    assert not stored_objects(tmp_path / "raw", "events")


def test_malformed_gateway_event_is_a_400_not_an_exception(memory_store: MemoryStore, lambda_context: Any) -> None:
    assert handler({"version": "2.0"}, lambda_context)["statusCode"] == 400


def test_no_raw_email_is_ever_written(memory_store: MemoryStore, lambda_context: Any) -> None:
    batch = {
        "events": [
            view(userId="Ann.Lee@Example.com", pageUrl="https://shop.example.com/?email=ann.lee%40example.com"),
            view(product={"id": "sku", "price": -5}, properties={"note": "write to bob@example.org"}),
        ]
    }

    response = handler(api_event(json.dumps(batch)), lambda_context)

    assert response["statusCode"] == 200
    written = b"".join(memory_store.objects.values()).decode().lower()
    assert "ann.lee" not in written and "bob@" not in written
    [line] = memory_store.lines("events/")
    assert line["userId"].startswith("email:")
    assert line["userId"] in line["pageUrl"]  # the same address maps to the same token


def test_text_jsonb_cannot_hold_is_replaced_and_noted(memory_store: MemoryStore, lambda_context: Any) -> None:
    body = json.dumps(view(pageTitle="Laptop\u0000 deals", properties={"bad": "\ud800"}))

    response = handler(api_event(body), lambda_context)

    assert response["statusCode"] == 200
    raw = b"".join(memory_store.objects.values())
    assert b"\\u0000" not in raw and b"\x00" not in raw
    raw.decode("utf-8")  # strict: no surrogates survived
    [line] = memory_store.lines("events/")
    assert line["pageTitle"] == "Laptop\ufffd deals"
    assert line["properties"]["bad"] == "\ufffd"
    assert line["sanitized"] == ["pageTitle", "properties.bad"]


@pytest.fixture
def handler_log_lines() -> Iterator[list[str]]:
    """The handler's log lines at INFO and above, formatted as Powertools writes them to CloudWatch."""
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    capture = Capture()
    capture.setFormatter(handler_logger.registered_formatter)
    stdlib_logger = logging.getLogger(handler_logger.service)
    saved_level = stdlib_logger.level
    stdlib_logger.addHandler(capture)
    stdlib_logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        stdlib_logger.removeHandler(capture)
        stdlib_logger.setLevel(saved_level)


def test_a_refusal_is_logged_with_the_lambda_context_and_api_gateways_request_id(
    memory_store: MemoryStore, lambda_context: Any, handler_log_lines: list[str]
) -> None:
    # WHEN a request with one invalid event of two, then a malformed API Gateway event, arrive
    handler(api_event(json.dumps({"events": [view(), {"eventName": "view_product"}]})), lambda_context)
    handler({"requestContext": {"requestId": "broken-1"}}, lambda_context)

    # THEN each is one structured line carrying its own request id and the invocation's
    refused, malformed = (json.loads(line) for line in handler_log_lines)
    assert refused["message"] == "request handled"
    assert (refused["level"], refused["status"], refused["accepted"], refused["rejected"]) == ("INFO", 200, 1, 1)
    assert refused["correlation_id"] == "test-request-id"
    assert refused["function_request_id"] == lambda_context.aws_request_id
    assert refused["function_name"] == lambda_context.function_name
    assert isinstance(refused["cold_start"], bool)
    assert (malformed["level"], malformed["message"]) == ("WARNING", "malformed API Gateway event")
    assert malformed["correlation_id"] == "broken-1"
