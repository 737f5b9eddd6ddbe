"""An event nested too deep or holding a number beyond a double is refused on its own; its neighbours are stored.

Regression tests for bodies of a few hundred bytes that used to crash the ingest (500) or cost a whole batch.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from support.fakes import MemoryStore

from ingest_lambda.enrich import RequestContext, RequestEnrichment
from ingest_lambda.handler import handler
from ingest_lambda.ingest import rejected_line
from ingest_lambda.nesting import MAX_EVENT_DEPTH
from ingest_lambda.privacy import Pseudonymizer

pytestmark = pytest.mark.unit

VALID = {"eventName": "click", "clientId": "c-1", "eventId": "valid-1"}
# A refused event is kept with its reasons and a bounded copy of itself: a few KiB, whatever it was.
KEPT_LINE_MAX_BYTES = 8_192


def gateway(body: str | bytes, headers: dict[str, str] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0",
        "headers": {"content-type": "application/json", **(headers or {})},
        "isBase64Encoded": isinstance(body, bytes),
        "body": base64.b64encode(body).decode() if isinstance(body, bytes) else body,
        "requestContext": {
            "requestId": "shape-req",
            "timeEpoch": 1_765_000_000_000,
            "http": {"method": "POST", "path": "/clickstream", "sourceIp": "198.51.100.7", "userAgent": "x"},
        },
    }
    return event


def deep_event(levels: int) -> str:
    """``{"properties": {"x": [[[...]]]}}`` with `levels` nested arrays (the shape from the issue)."""
    return '{"eventName": "click", "clientId": "c-2", "properties": {"x": ' + "[" * levels + "]" * levels + "}}"


def batch(*events: str) -> str:
    return '{"events": [' + ", ".join(events) + "]}"


def check_kept(store: MemoryStore, index: int, message: str) -> dict[str, Any]:
    [data] = [data for key, data in store.objects.items() if key.startswith("rejected/")]
    assert len(data) <= KEPT_LINE_MAX_BYTES
    [kept] = store.lines("rejected/")
    assert kept["index"] == index
    assert any(message in error["message"] for error in kept["errors"]), kept["errors"]
    return kept


@pytest.mark.parametrize("levels", [300, 1_000, 2_000, 100_000])
@pytest.mark.parametrize("deep_first", [False, True], ids=["valid-first", "deep-first"])
def test_a_deep_event_beside_a_valid_one_is_refused_alone(
    memory_store: MemoryStore, lambda_context: Any, levels: int, deep_first: bool
) -> None:
    events = [deep_event(levels), json.dumps(VALID)] if deep_first else [json.dumps(VALID), deep_event(levels)]

    response = handler(gateway(batch(*events)), lambda_context)

    reply = json.loads(response["body"])
    assert response["statusCode"] == 200, reply
    assert reply["accepted"] == 1
    deep_index = 0 if deep_first else 1
    assert [r["index"] for r in reply["rejected"]] == [deep_index]
    assert [line["eventId"] for line in memory_store.lines("events/")] == ["valid-1"]
    check_kept(memory_store, deep_index, f"deeper than {MAX_EVENT_DEPTH} levels")


@pytest.mark.parametrize("levels", [300, 2_000])
def test_a_deep_event_in_a_gzip_batch_is_refused_alone(
    memory_store: MemoryStore, lambda_context: Any, levels: int
) -> None:
    body = gzip.compress(batch(json.dumps(VALID), deep_event(levels)).encode())
    response = handler(gateway(body, {"content-encoding": "gzip"}), lambda_context)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["accepted"] == 1


def test_the_retry_of_a_batch_with_a_deep_event_stores_the_valid_one_again(
    memory_store: MemoryStore, lambda_context: Any
) -> None:
    body = batch(json.dumps(VALID), deep_event(300))
    assert handler(gateway(body), lambda_context)["statusCode"] == 200
    assert handler(gateway(body), lambda_context)["statusCode"] == 200
    assert [line["eventId"] for line in memory_store.lines("events/")] == ["valid-1", "valid-1"]


@pytest.mark.parametrize("levels", [40, 300, 1_000, 5_000])
def test_a_single_deep_event_is_400_and_kept(memory_store: MemoryStore, lambda_context: Any, levels: int) -> None:
    response = handler(gateway(deep_event(levels)), lambda_context)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["rejected"][0]["index"] == 0
    check_kept(memory_store, 0, f"deeper than {MAX_EVENT_DEPTH} levels")


def test_the_deepest_allowed_nesting_is_refused_by_the_contract_not_by_the_depth_limit(
    memory_store: MemoryStore, lambda_context: Any
) -> None:
    # Exactly at the limit: the event is walked as usual and refused by validation (properties are flat).
    levels = MAX_EVENT_DEPTH - 2  # below the event and its properties
    response = handler(gateway(batch(json.dumps(VALID), deep_event(levels))), lambda_context)
    assert response["statusCode"] == 200
    [kept] = memory_store.lines("rejected/")
    assert not any("deeper than" in error["message"] for error in kept["errors"])


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1E309", "9" * 400, "-" + "1" * 5_000])
def test_a_number_beyond_a_double_beside_a_valid_event_is_refused_alone(
    memory_store: MemoryStore, lambda_context: Any, number: str
) -> None:
    out_of_range = '{"eventName": "click", "clientId": "c-2", "properties": {"n": ' + number + "}}"

    response = handler(gateway(batch(json.dumps(VALID), out_of_range)), lambda_context)

    reply = json.loads(response["body"])
    assert response["statusCode"] == 200, reply
    assert reply["accepted"] == 1
    assert reply["rejected"] == [
        {"index": 1, "errors": [{"path": "properties.n", "message": reply["rejected"][0]["errors"][0]["message"]}]}
    ]
    assert "out of range" in reply["rejected"][0]["errors"][0]["message"]
    kept = check_kept(memory_store, 1, "out of range")
    assert isinstance(kept["event"]["properties"]["n"], str)


def test_a_number_beyond_a_double_next_to_a_lone_surrogate_is_refused_alone(
    memory_store: MemoryStore, lambda_context: Any
) -> None:
    odd = '{"eventName": "click", "clientId": "c-2", "pageTitle": "\\ud800", "product": {"id": "p", "price": 1e999}}'
    response = handler(gateway(batch(json.dumps(VALID), odd)), lambda_context)
    assert response["statusCode"] == 200
    check_kept(memory_store, 1, "out of range")


def test_a_kept_refusal_is_written_whatever_the_event_holds() -> None:
    from datetime import UTC, datetime

    enrichment = RequestEnrichment(RequestContext("r", datetime(2025, 12, 6, tzinfo=UTC)), Pseudonymizer("s"))
    deep: Any = []
    for _ in range(300):
        deep = [deep]
    for event in (deep, {"n": object()}, {"n": 2**70}, {"ann@example.com": {1, 2}}):
        line = rejected_line(enrichment, {"index": 0, "errors": [], "event": event})
        record = json.loads(line)
        assert len(line) <= KEPT_LINE_MAX_BYTES
        assert "ann@example.com" not in line.decode()
        assert record["index"] == 0
