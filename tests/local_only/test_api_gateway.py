"""The one API Gateway HTTP API event encoder (local_only/api_gateway.py) that serve, generate and tests share."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from local_only.api_gateway import ROUTE_KEY, ROUTE_PATH, event_from_http, http_api_event, request_time

pytestmark = pytest.mark.unit


def test_request_time_is_api_gateways_format_for_any_moment() -> None:
    rng = random.Random(3)
    for epoch_ms in [0, 1_741_381_445_123, *(rng.randrange(0, 4_102_444_800_000) for _ in range(500))]:
        moment = datetime.fromtimestamp(epoch_ms // 1000, UTC)
        assert request_time(epoch_ms) == moment.strftime("%d/%b/%Y:%H:%M:%S +0000")


def test_an_event_carries_the_route_and_the_request_context_the_handler_reads() -> None:
    event = http_api_event(
        headers={"content-type": "application/json", "user-agent": "ua"},
        body="{}",
        is_base64_encoded=False,
        source_ip="198.51.100.7",
        request_id="r-1",
        time_epoch_ms=1_741_381_445_123,
        domain_name="api.shop.example.com",
        jwt_claims={"sub": "u-1"},
    )

    assert (event["routeKey"], event["rawPath"]) == (ROUTE_KEY, ROUTE_PATH)
    context = event["requestContext"]
    assert (context["routeKey"], context["requestId"], context["domainPrefix"]) == (ROUTE_KEY, "r-1", "api")
    assert context["http"] == {
        "method": "POST",
        "path": ROUTE_PATH,
        "protocol": "HTTP/1.1",
        "sourceIp": "198.51.100.7",
        "userAgent": "ua",
    }
    assert context["time"] == "07/Mar/2025:21:04:05 +0000"
    assert context["authorizer"]["jwt"]["claims"] == {"sub": "u-1"}
    assert (event["body"], event["isBase64Encoded"]) == ("{}", False)
    assert "cookies" not in event and "queryStringParameters" not in event


def test_a_real_request_is_encoded_through_the_same_shape() -> None:
    now = datetime(2025, 3, 7, 21, 4, 5, 123000, tzinfo=UTC)
    headers = [("Content-Type", "application/json"), ("User-Agent", "ua"), ("X-Amzn-Trace-Id", "t")]
    real = event_from_http(
        method="POST",
        raw_path=ROUTE_PATH,
        raw_query="",
        headers=headers,
        body=b"{}",
        protocol="HTTP/1.1",
        source_ip="127.0.0.1",
        domain_name="localhost",
        port=8080,
        now=now,
        request_id="r-2",
    )
    shaped = http_api_event(
        headers={
            "content-type": "application/json",
            "user-agent": "ua",
            "x-amzn-trace-id": "t",
            "x-forwarded-for": "127.0.0.1",
            "x-forwarded-proto": "http",
            "x-forwarded-port": "8080",
        },
        body="{}",
        is_base64_encoded=False,
        source_ip="127.0.0.1",
        request_id="r-2",
        time_epoch_ms=int(now.timestamp() * 1000),
    )
    assert real == shaped
