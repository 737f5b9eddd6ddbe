"""The AWS Clickstream dialect through the ingest handler, from the requests @aws/clickstream-web 0.12.6 really sent
(tests/ingest_lambda/dialects/fixtures/aws/, recorded in Chromium): its preset events (first open, session start,
page view, profile set) and the shop's view_item, add_to_cart and purchase with items."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.dialect_requests import client_fields, gateway_event, recorded, replayed, stored_time
from support.fakes import MemoryStore

from ingest_lambda.contract import ClickstreamEvent
from ingest_lambda.handler import handler

pytestmark = pytest.mark.unit

SOURCE = {"dialect": "aws-clickstream", "library": "aws-solution-clickstream-sdk", "version": "0.12.6"}
PRODUCT = {"id": "sku-1", "name": "Mug", "category": "Kitchen", "brand": "Acme", "price": 12.5}


def send(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    response = handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def test_each_event_is_one_v1_event(memory_store: MemoryStore, lambda_context: Any) -> None:
    requests = recorded("aws")
    assert {(request["method"], request["path"]) for request in requests} == {("POST", "/clickstream")}
    for request in requests:
        status, body = send(replayed(request), lambda_context)
        assert (status, body["accepted"], body["rejected"]) == (200, len(request["body"]), [])
    stored = {event["eventId"]: event for event in memory_store.lines("events/")}
    originals = [original for request in requests for original in request["body"]]
    assert set(stored) == {original["event_id"] for original in originals}
    for request in requests:
        upload = int(request["query"].split("upload_timestamp=")[1].split("&")[0])
        for original in request["body"]:
            event = stored[original["event_id"]]
            assert event["source"] == SOURCE
            assert event["clientId"] == original["device_id"]
            assert event["sessionId"] == original["attributes"]["_session_id"]
            assert event["pageUrl"] == original["attributes"]["_page_url"]
            assert event["clientEventTimestamp"] == stored_time(original["timestamp"])
            assert event["sentAt"] == stored_time(upload)
            assert event["properties"]["app_id"] == "wk-shop"
            ClickstreamEvent.model_validate(client_fields(event))
    by_name = {event["eventName"]: event for event in stored.values()}
    assert set(by_name) == {
        "first_open",
        "session_start",
        "page_view",
        "profile_set",
        "view_product",
        "add_to_cart",
        "purchase",
    }
    assert by_name["page_view"]["properties"]["event_type"] == "_page_view"
    assert by_name["view_product"]["product"] == PRODUCT
    assert by_name["view_product"]["properties"]["items.0.currency"] == "EUR"
    assert by_name["add_to_cart"]["product"] == PRODUCT
    assert by_name["add_to_cart"]["properties"]["items.0.quantity"] == 2
    assert by_name["purchase"]["order"] == {
        "id": "order-1001",
        "revenue": 25,
        "currency": "EUR",
        "items": [{"productId": "sku-1", "quantity": 2, "price": 12.5}],
    }
    assert by_name["purchase"]["properties"]["coupon"] == "SPRING"
    assert by_name["purchase"]["userId"] == "user-42"
    assert memory_store.lines("rejected/") == []


def test_a_refused_batch_is_answered_200_and_kept_once(memory_store: MemoryStore, lambda_context: Any) -> None:
    request = recorded("aws")[-1]
    purchase = dict(request["body"][0])
    purchase["attributes"] = {k: v for k, v in purchase["attributes"].items() if k != "transaction_id"}
    status, body = send(replayed(request, body=[purchase]), lambda_context)
    # The SDK would send a refused body twice more: it is answered 200, the refusal in the body.
    assert (status, body["accepted"]) == (200, 0)
    assert body["rejected"][0]["errors"][0]["message"] == "purchase events require order"
    (kept,) = memory_store.lines("rejected/")
    assert kept["dialect"] == "aws-clickstream"
    assert memory_store.lines("events/") == []


def test_v1_at_the_base_path_is_unchanged_and_a_bad_array_is_refused(
    memory_store: MemoryStore, lambda_context: Any
) -> None:
    v1 = {"eventName": "page_view", "clientId": "c-1", "pageUrl": "https://shop.example/"}
    assert send(gateway_event("/clickstream", json.dumps(v1)), lambda_context)[0] == 200
    assert "source" not in memory_store.lines("events/")[0]
    query = "platform=Web&appId=wk-shop&upload_timestamp=1796309897111"
    status, body = send(gateway_event("/clickstream", json.dumps(v1), query=query), lambda_context)
    assert status == 400
    assert "JSON array" in body["error"]
