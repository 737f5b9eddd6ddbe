"""The RudderStack dialect through the ingest handler, from the requests @rudderstack/analytics-js v3 really sent
(tests/ingest_lambda/dialects/fixtures/rudderstack*/, recorded in Chromium): its XHR calls and its beacon batch."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.dialect_requests import recorded, replayed
from support.fakes import MemoryStore

from ingest_lambda.contract import ClickstreamEvent
from ingest_lambda.handler import handler

pytestmark = pytest.mark.unit

SOURCE = {"dialect": "rudderstack", "library": "RudderLabs JavaScript SDK", "version": "3.34.1"}
SERVER_FIELDS = {"receivedAt", "requestId", "ipHash", "userAgent", "device", "schemaVersion", "userLoginState"}


def send(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    response = handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def test_each_xhr_call_is_one_v1_event_with_the_session(memory_store: MemoryStore, lambda_context: Any) -> None:
    calls = recorded("rudderstack")
    assert [call["path"] for call in calls] == [
        "/clickstream/v1/page",
        "/clickstream/v1/track",
        "/clickstream/v1/track",
        "/clickstream/v1/identify",
        "/clickstream/v1/track",
    ]
    for call in calls:
        status, body = send(replayed(call), lambda_context)
        assert (status, body["accepted"], body["rejected"]) == (200, 1, [])
    stored = {event["eventId"]: event for event in memory_store.lines("events/")}
    assert set(stored) == {call["body"]["messageId"] for call in calls}
    for call in calls:
        event = stored[call["body"]["messageId"]]
        assert event["source"] == SOURCE
        assert event["clientId"] == call["body"]["anonymousId"]
        # context.sessionId: the session's start in milliseconds, as the v1 sessionId.
        assert event["sessionId"] == str(call["body"]["context"]["sessionId"])
        assert event["clientEventTimestamp"] == call["body"]["originalTimestamp"]
        assert event["sentAt"] == call["body"]["sentAt"]
        assert event["pageUrl"] == call["body"]["context"]["page"]["url"]
        # "$direct" is RudderStack's "no referrer".
        assert event["referrer"] == ""
        assert event["properties"]["channel"] == "web"
        ClickstreamEvent.model_validate(
            {k: v for k, v in event.items() if k not in {*SERVER_FIELDS, "source", "clientEventTimestamp"}}
        )
    by_name = {event["eventName"]: event for event in stored.values()}
    assert set(by_name) == {"page_view", "view_product", "add_to_cart", "identify", "purchase"}
    assert by_name["view_product"]["product"]["id"] == "sku-1"
    assert by_name["purchase"]["order"]["id"] == "order-1001"
    assert by_name["purchase"]["order"]["items"] == [{"productId": "sku-1", "quantity": 2, "price": 12.5}]
    assert by_name["purchase"]["userId"] == "user-42"
    assert memory_store.lines("rejected/") == []


def test_the_beacon_batch_names_its_write_key_in_the_query(memory_store: MemoryStore, lambda_context: Any) -> None:
    from ingest_lambda.services import IngestServices, get_services, override_services

    (beacon,) = recorded("rudderstack-beacon")
    assert (beacon["path"], beacon["query"]) == ("/clickstream/beacon/v1/batch", "writeKey=wk-shop")
    services = get_services()
    allowing = IngestServices(services.store, services.pseudonymizer, services.limits, frozenset({"wk-shop"}))
    with override_services(allowing):
        status, body = send(replayed(beacon), lambda_context)
        assert (status, body["accepted"]) == (200, 5)
        assert send(replayed(beacon, query="writeKey=wk-other"), lambda_context)[0] == 401
    stored = memory_store.lines("events/")
    assert {event["source"]["dialect"] for event in stored} == {"rudderstack"}
    assert sorted(event["eventName"] for event in stored) == [
        "add_to_cart",
        "identify",
        "page_view",
        "purchase",
        "view_product",
    ]


def test_the_same_path_without_rudderstack_headers_is_segment(memory_store: MemoryStore, lambda_context: Any) -> None:
    call = recorded("rudderstack")[0]
    plain = {"content-type": "application/json", "authorization": call["headers"]["authorization"]}
    assert send(replayed(call, headers=plain), lambda_context)[0] == 200
    (stored,) = memory_store.lines("events/")
    # Which SDK sent it is still known from the call itself.
    assert stored["source"] == {**SOURCE, "dialect": "segment"}
