"""The Umami dialect through the ingest handler, from the requests Umami's tracker script really sent
(tests/ingest_lambda/dialects/fixtures/umami/, recorded in Chromium from src/tracker/index.js of the ``umami`` 2.10.0
npm package): each call becomes one stored v1 event with the mapped fields and a visitor id derived server-side."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from support.dialect_requests import BROWSER_UA, recorded, replayed
from support.fakes import MemoryStore

from ingest_lambda.contract import ClickstreamEvent
from ingest_lambda.handler import handler
from ingest_lambda.privacy import Pseudonymizer

pytestmark = pytest.mark.unit

SERVER = {"receivedAt", "requestId", "ipHash", "userAgent", "device", "schemaVersion", "userLoginState", "source"}


def send(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    response = handler(event, context)
    return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def all_sent(memory_store: MemoryStore, lambda_context: Any) -> dict[str, dict[str, Any]]:
    for request in recorded("umami"):
        status, body = send(replayed(request), lambda_context)
        assert (status, body["accepted"], body["cache"]) == (200, 1, ""), body
    assert memory_store.lines("rejected/") == []
    return {event["eventName"]: event for event in memory_store.lines("events/")}


def test_a_page_view_and_the_derived_visitor(all_sent: dict[str, dict[str, Any]]) -> None:
    stored = all_sent["page_view"]
    assert stored["pageUrl"] == "https://127.0.0.1/products/mug?utm_source=news"
    assert stored["pageTitle"] == "/products/mug"  # sent URI-encoded
    assert stored["referrer"] == ""
    assert stored["properties"] == {"website": "site-uuid-1", "screen": "1280x720", "language": "en-US"}
    assert stored["source"] == {"dialect": "umami", "library": "umami", "version": None}
    (client_id,) = {event["clientId"] for event in all_sent.values()}
    day = date(2026, 12, 3)  # support.dialect_requests.RECEIVED_MS
    salted = Pseudonymizer("test-salt")
    assert client_id == salted.daily_visitor_id(day, "site-uuid-1", "198.51.100.7", BROWSER_UA)
    assert client_id != salted.daily_visitor_id(date(2026, 12, 4), "site-uuid-1", "198.51.100.7", BROWSER_UA)
    for event in all_sent.values():
        ClickstreamEvent.model_validate({k: v for k, v in event.items() if k not in SERVER})


def test_e_commerce_and_identify(all_sent: dict[str, dict[str, Any]]) -> None:
    product = {"id": "sku-1", "name": "Mug", "category": "Kitchen", "brand": "Acme", "price": 12.5}
    assert all_sent["view_product"]["product"] == product
    assert all_sent["add_to_cart"]["product"] == product
    assert all_sent["add_to_cart"]["properties"]["quantity"] == 2
    purchase = all_sent["purchase"]
    assert purchase["order"] == {
        "id": "order-1001",
        "revenue": 25,
        "currency": "EUR",
        "items": [{"productId": "sku-1", "quantity": 2, "price": 12.5}],
    }
    assert purchase["properties"]["coupon"] == "SPRING"
    assert purchase["properties"]["event"] == "Order Completed"
    assert all_sent["identify"]["properties"]["traits.plan"] == "gold"


def test_refusals_are_kept(memory_store: MemoryStore, lambda_context: Any) -> None:
    page = recorded("umami")[0]
    assert send(replayed(page, body="[]"), lambda_context)[0] == 400
    status, body = send(replayed(page, body={"type": "boom", "payload": {}}), lambda_context)
    assert status == 400
    assert body["rejected"][0]["errors"][0]["path"] == "type"
    kept = memory_store.lines("rejected/")
    assert [k["dialect"] for k in kept] == ["umami", "umami"]
    # The refused request with its body, the refused call with the call (object keys are in no set order).
    assert [k["event"] for k in kept if "event" in k] == [{"type": "boom", "payload": {}}]
    assert [json.loads(k["body"]) for k in kept if "body" in k] == [[]]
