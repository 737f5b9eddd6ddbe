"""The Plausible dialect through the ingest handler, from the requests @plausible-analytics/tracker really sent
(tests/ingest_lambda/dialects/fixtures/plausible/, recorded in Chromium): each event becomes one stored v1 event
with the mapped fields, a visitor id derived server-side that is new each day, and its source."""

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


def assert_valid_v1(stored: dict[str, Any]) -> None:
    ClickstreamEvent.model_validate({k: v for k, v in stored.items() if k not in SERVER})


@pytest.fixture
def all_sent(memory_store: MemoryStore, lambda_context: Any) -> dict[str, dict[str, Any]]:
    for request in recorded("plausible"):
        status, body = send(replayed(request), lambda_context)
        assert (status, body["accepted"]) == (202, 1), body
    assert memory_store.lines("rejected/") == []
    return {event["eventName"]: event for event in memory_store.lines("events/")}


def test_a_pageview_is_a_page_view(all_sent: dict[str, dict[str, Any]]) -> None:
    page = recorded("plausible")[0]["body"]
    stored = all_sent["page_view"]
    assert stored["pageUrl"] == page["u"]
    assert "referrer" not in stored  # sent as null: none
    assert stored["properties"] == {"domain": "shop.example", "event": "pageview"}
    assert stored["source"] == {"dialect": "plausible", "library": "plausible", "version": "36"}
    assert stored["eventTimestamp"] == stored["receivedAt"]  # Plausible sends no time
    assert_valid_v1(stored)


def test_e_commerce_from_props_and_revenue(all_sent: dict[str, dict[str, Any]]) -> None:
    product = {"id": "sku-1", "name": "Mug", "category": "Kitchen", "brand": "Acme", "price": 12.5}
    assert all_sent["view_product"]["product"] == product
    assert all_sent["add_to_cart"]["product"] == product
    assert all_sent["add_to_cart"]["properties"]["quantity"] == 2
    purchase = all_sent["purchase"]
    assert purchase["order"] == {"id": "order-1001", "revenue": 25, "currency": "EUR"}
    assert purchase["properties"]["coupon"] == "SPRING"
    engagement = all_sent["engagement"]["properties"]
    assert (engagement["sd"], engagement["e"]) == (100, recorded("plausible")[4]["body"]["e"])
    for event in all_sent.values():
        assert_valid_v1(event)


def test_the_visitor_is_derived_and_new_each_day(all_sent: dict[str, dict[str, Any]]) -> None:
    (client_id,) = {event["clientId"] for event in all_sent.values()}
    salted = Pseudonymizer("test-salt")
    today = date(2026, 12, 3)  # the day the requests are received (support.dialect_requests.RECEIVED_MS)
    ua = BROWSER_UA
    assert client_id == salted.daily_visitor_id(today, "shop.example", "198.51.100.7", ua)
    assert client_id != salted.daily_visitor_id(date(2026, 12, 4), "shop.example", "198.51.100.7", ua)
    assert client_id != salted.daily_visitor_id(today, "other.example", "198.51.100.7", ua)
    assert client_id != salted.daily_visitor_id(today, "shop.example", "198.51.100.8", ua)
    assert client_id != Pseudonymizer("other-salt").daily_visitor_id(today, "shop.example", "198.51.100.7", ua)
    assert "198.51.100.7" not in json.dumps(all_sent)


def test_the_same_event_posted_to_the_base_is_plausibles(memory_store: MemoryStore, lambda_context: Any) -> None:
    page = recorded("plausible")[0]
    status, body = send(replayed(page, path="/clickstream"), lambda_context)
    assert (status, body["accepted"]) == (202, 1)
    (stored,) = memory_store.lines("events/")
    assert (stored["eventName"], stored["source"]["dialect"]) == ("page_view", "plausible")


def test_long_field_names_and_a_purchase_without_order_id(memory_store: MemoryStore, lambda_context: Any) -> None:
    page = recorded("plausible")[0]
    long_names = {"name": "Order Completed", "url": "https://shop.example/done", "domain": "shop.example"}
    no_order = {**long_names, "revenue": {"amount": "9.5", "currency": "eur"}}
    status, body = send(replayed(page, body=no_order), lambda_context)
    # No order id: refused with the reason, the original kept.
    assert status == 400
    assert "order" in body["rejected"][0]["errors"][0]["message"]
    (kept,) = memory_store.lines("rejected/")
    assert (kept["dialect"], kept["event"]) == ("plausible", no_order)
    with_order = {**no_order, "props": {"order_id": "o-7"}}
    assert send(replayed(page, body=with_order), lambda_context)[0] == 202
    (stored,) = memory_store.lines("events/")
    assert stored["order"] == {"id": "o-7", "revenue": 9.5, "currency": "EUR"}


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [("[1]", 400, "one Plausible event"), ('{"u": "https://shop.example/", "d": "shop.example"}', 400, "no valid")],
)
def test_a_refused_request_is_kept(
    memory_store: MemoryStore, lambda_context: Any, body: str, status: int, message: str
) -> None:
    page = recorded("plausible")[0]
    answer = send(replayed(page, body=body), lambda_context)
    assert answer[0] == status
    assert message in answer[1]["error"]
    (kept,) = memory_store.lines("rejected/")
    assert kept["dialect"] == "plausible"
