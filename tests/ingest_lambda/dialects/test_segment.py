"""The Segment dialect through the ingest handler, from the requests @segment/analytics-next really sent
(tests/ingest_lambda/dialects/fixtures/segment*/, recorded in Chromium): each call becomes one stored v1 event with
the mapped fields, the rest of the call in properties, and its source."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from support.dialect_requests import gateway_event, recorded, replayed
from support.fakes import MemoryStore

from ingest_lambda.contract import MAX_PROPERTIES, ClickstreamEvent
from ingest_lambda.dialects.segment_spec import event_name
from ingest_lambda.handler import handler
from ingest_lambda.services import IngestServices, override_services

pytestmark = pytest.mark.unit

SOURCE = {"dialect": "segment", "library": "analytics.js", "version": "npm:next-1.84.3"}


def send(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    response = handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def only_event(store: MemoryStore) -> dict[str, Any]:
    (event,) = store.lines("events/")
    return event


def assert_valid_v1(stored: dict[str, Any]) -> None:
    """The stored line, less what the server adds, is a valid v1 event."""
    server = {"receivedAt", "requestId", "ipHash", "userAgent", "device", "schemaVersion", "userLoginState", "source"}
    server |= {"clientEventTimestamp"}
    ClickstreamEvent.model_validate({k: v for k, v in stored.items() if k not in server})


def test_a_page_call_is_a_page_view(memory_store: MemoryStore, lambda_context: Any) -> None:
    (page, *_) = recorded("segment")
    status, body = send(replayed(page), lambda_context)
    assert (status, body["accepted"], body["rejected"], body["success"]) == (200, 1, [], True)
    stored = only_event(memory_store)
    call = page["body"]
    assert stored["eventName"] == "page_view"
    assert stored["eventId"] == call["messageId"]
    assert stored["clientId"] == call["anonymousId"]
    assert "userId" not in stored  # sent as null
    assert stored["pageUrl"] == call["properties"]["url"]
    assert stored["pageTitle"] == call["properties"]["title"]
    assert stored["referrer"] == ""
    assert stored["clientEventTimestamp"] == call["timestamp"]
    assert stored["sentAt"] == call["sentAt"]
    assert stored["source"] == SOURCE
    # The rest of the call, flattened; the SDK's plumbing (write key, bundling metadata) is not kept.
    props = stored["properties"]
    assert props["path"] == "/products/mug"
    assert props["context.campaign.source"] == "news"
    assert props["context.locale"] == "en-US"
    assert not any(key.startswith(("writeKey", "_metadata", "context.library", "context.page")) for key in props)
    assert "writeKey" not in json.dumps(stored)
    assert_valid_v1(stored)
    assert memory_store.lines("rejected/") == []


def test_product_viewed_and_added_carry_the_product(memory_store: MemoryStore, lambda_context: Any) -> None:
    _, viewed, added, *_ = recorded("segment")
    for request in (viewed, added):
        assert send(replayed(request), lambda_context)[0] == 200
    by_name = {event["eventName"]: event for event in memory_store.lines("events/")}
    view = by_name["view_product"]
    assert view["product"] == {"id": "sku-1", "name": "Mug", "category": "Kitchen", "brand": "Acme", "price": 12.5}
    assert view["properties"]["currency"] == "EUR"
    assert view["properties"]["event"] == "Product Viewed"
    assert view["pageUrl"] == viewed["body"]["context"]["page"]["url"]
    cart = by_name["add_to_cart"]
    assert cart["product"] == {"id": "sku-1", "name": "Mug", "price": 12.5}
    assert cart["properties"]["quantity"] == 2
    assert cart["properties"]["cart_id"] == "cart-9"
    for stored in by_name.values():
        assert stored["source"] == SOURCE
        assert_valid_v1(stored)


def test_order_completed_is_a_purchase_with_its_order(memory_store: MemoryStore, lambda_context: Any) -> None:
    order = recorded("segment")[4]
    assert send(replayed(order), lambda_context)[0] == 200
    stored = only_event(memory_store)
    assert stored["eventName"] == "purchase"
    assert stored["userId"] == "user-42"
    assert stored["order"] == {
        "id": "order-1001",
        "revenue": 25,
        "currency": "EUR",
        "items": [{"productId": "sku-1", "quantity": 2, "price": 12.5}],
    }
    props = stored["properties"]
    assert (props["shipping"], props["tax"], props["coupon"]) == (4.5, 3.1, "SPRING")
    assert (props["products.0.sku"], props["products.0.name"]) == ("MUG-1", "Mug")
    assert_valid_v1(stored)


def test_identify_keeps_the_traits(memory_store: MemoryStore, lambda_context: Any) -> None:
    identify = recorded("segment")[3]
    assert send(replayed(identify), lambda_context)[0] == 200
    stored = only_event(memory_store)
    assert (stored["eventName"], stored["userId"]) == ("identify", "user-42")
    assert stored["properties"]["traits.plan"] == "gold"


def test_a_batch_from_the_batching_delivery_stores_each_call(memory_store: MemoryStore, lambda_context: Any) -> None:
    (batch,) = recorded("segment-batch")
    assert batch["path"] == "/clickstream/b"
    status, body = send(replayed(batch), lambda_context)
    assert (status, body["accepted"]) == (200, 5)
    stored = memory_store.lines("events/")
    names = sorted(event["eventName"] for event in stored)
    assert names == ["add_to_cart", "identify", "page_view", "purchase", "view_product"]
    # The batch's sentAt stands for each call's (analytics-next drops it from the calls of a batch).
    assert {event["sentAt"] for event in stored} == {batch["body"]["sentAt"]}
    assert {event["eventId"] for event in stored} == {call["messageId"] for call in batch["body"]["batch"]}


def test_the_http_api_paths_and_json_are_the_same_dialect(memory_store: MemoryStore, lambda_context: Any) -> None:
    page = recorded("segment")[0]
    event = replayed(page, path="/clickstream/v1/page", headers={"content-type": "application/json"})
    assert send(event, lambda_context)[0] == 200
    assert only_event(memory_store)["source"]["dialect"] == "segment"


def test_products_searched_is_a_search(memory_store: MemoryStore, lambda_context: Any) -> None:
    call = {"type": "track", "event": "Products Searched", "anonymousId": "a-1", "properties": {"query": "mug"}}
    assert send(gateway_event("/clickstream/v1/track", json.dumps(call)), lambda_context)[0] == 200
    stored = only_event(memory_store)
    assert (stored["eventName"], stored["search"]) == ("search", {"query": "mug"})


@pytest.mark.parametrize(
    ("name", "v1"),
    [
        ("Product Viewed", "view_product"),
        ("Product Added", "add_to_cart"),
        ("Product Removed", "remove_from_cart"),
        ("Checkout Started", "begin_checkout"),
        ("Order Completed", "purchase"),
        ("Products Searched", "search"),
        ("Video Played", "video_played"),
        ("  Newsletter: Signed-Up!! ", "newsletter_signed_up"),
        ("404 seen", "event_404_seen"),
        ("!!!", "event"),
    ],
)
def test_event_names(name: str, v1: str) -> None:
    assert event_name(name) == v1


def test_a_call_that_cannot_be_mapped_is_refused_alone_and_kept(memory_store: MemoryStore, lambda_context: Any) -> None:
    good = {"type": "page", "anonymousId": "a-1", "properties": {"url": "https://shop.example/"}}
    batch = {
        "batch": [
            good,
            {"type": "launch", "anonymousId": "a-1"},
            {"type": "track", "event": "Product Added", "anonymousId": "a-1", "properties": {"name": "no id"}},
        ]
    }
    status, body = send(gateway_event("/clickstream/v1/batch", json.dumps(batch)), lambda_context)
    assert (status, body["accepted"]) == (200, 1)
    assert [(r["index"], r["errors"][0]["path"]) for r in body["rejected"]] == [(1, "type"), (2, "")]
    assert "add_to_cart events require product" in body["rejected"][1]["errors"][0]["message"]
    kept = memory_store.lines("rejected/")
    assert [record["dialect"] for record in kept] == ["segment", "segment"]
    # The original call as it was sent, and (when it was mapped) the v1 event it became.
    assert kept[0]["event"] == batch["batch"][1]
    assert kept[1]["event"] == batch["batch"][2]
    assert kept[1]["mapped"]["eventName"] == "add_to_cart"


def test_what_does_not_fit_in_properties_is_kept_beside_the_stored_event(
    memory_store: MemoryStore, lambda_context: Any
) -> None:
    many = {f"field {i}": i for i in range(MAX_PROPERTIES + 10)}
    call = {"type": "track", "event": "Wishlist Shared", "anonymousId": "a-1", "properties": many}
    status, body = send(gateway_event("/clickstream/t", json.dumps(call)), lambda_context)
    assert (status, body["accepted"], body["rejected"]) == (200, 1, [])
    stored = only_event(memory_store)
    assert len(stored["properties"]) == MAX_PROPERTIES
    assert stored["properties"]["field_0"] == 0
    (kept,) = memory_store.lines("rejected/")
    assert kept["storedEventId"] == stored["eventId"]
    assert kept["event"] == call
    assert "did not fit in properties" in kept["errors"][0]["message"]


def test_the_write_key_from_basic_auth_or_the_body_meets_the_allowlist(
    memory_store: MemoryStore, lambda_context: Any
) -> None:
    from ingest_lambda.services import get_services

    services = get_services()
    allowing = IngestServices(services.store, services.pseudonymizer, services.limits, frozenset({"wk-shop"}))
    page = recorded("segment")[0]
    without_key = {k: v for k, v in page["body"].items() if k != "writeKey"}
    with override_services(allowing):
        # In the body (and in Basic auth), as analytics-next sends it.
        assert send(replayed(page), lambda_context)[0] == 200
        # Only in Basic auth.
        assert send(replayed(page, body=without_key), lambda_context)[0] == 200
        # An unknown key, and none at all: 401, kept with the reason.
        other = "Basic " + base64.b64encode(b"wk-other:").decode()
        status, body = send(replayed(page, body=without_key, headers={"authorization": other}), lambda_context)
        assert status == 401
        assert "unknown write key" in body["error"]
        assert send(replayed(page, body=without_key, headers={}), lambda_context)[0] == 401
    assert len(memory_store.lines("events/")) == 2
    kept = memory_store.lines("rejected/")
    assert [(record["status"], record["dialect"], record["path"]) for record in kept] == [
        (401, "segment", "/clickstream/p"),
        (401, "segment", "/clickstream/p"),
    ]


@pytest.mark.parametrize(
    ("method", "content_type", "body", "status"),
    [
        ("GET", "text/plain", None, 405),
        ("POST", "application/xml", "<call/>", 415),
        ("POST", "text/plain", "{not json", 400),
        ("POST", "text/plain", "[1, 2]", 400),
        ("POST", "text/plain", '{"batch": []}', 400),
        ("POST", "text/plain", '{"batch": {"type": "page"}}', 400),
    ],
)
def test_a_bad_request_is_refused_whole_and_kept(
    memory_store: MemoryStore, lambda_context: Any, method: str, content_type: str, body: str | None, status: int
) -> None:
    event = gateway_event("/clickstream/t", body, method=method, headers={"content-type": content_type})
    got, answer = send(event, lambda_context)
    assert (got, answer["success"]) == (status, False)
    assert memory_store.lines("events/") == []
    kept = memory_store.lines("rejected/")
    assert [record["dialect"] for record in kept] == (["segment"] if body else [])


def test_the_sdk_name_is_repaired_and_scrubbed_like_the_event(memory_store: MemoryStore, lambda_context: Any) -> None:
    library = {"name": "ann@example.com\u0000", "version": "\ud800"}
    call = {"type": "track", "event": "Clicked", "anonymousId": "a-1", "context": {"library": library}}
    assert send(gateway_event("/clickstream/t", json.dumps(call)), lambda_context)[0] == 200
    source = only_event(memory_store)["source"]
    assert source["dialect"] == "segment"
    assert source["library"].startswith("email:")
    assert "\u0000" not in source["library"]
    assert source["version"] == "\ufffd"
