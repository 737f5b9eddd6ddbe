"""The PostHog dialect through the ingest handler, from the requests posthog-js really sent
(tests/ingest_lambda/dialects/fixtures/posthog*/, recorded in Chromium: gzip batches, a plain JSON one, sendBeacon's
``data=`` form): each event becomes one stored v1 event with the mapped fields, the rest in properties, and its
source; its configuration and flags calls are answered and store nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.dialect_requests import gateway_event, recorded, wire_event
from support.fakes import MemoryStore

from ingest_lambda.contract import ClickstreamEvent
from ingest_lambda.handler import handler
from ingest_lambda.services import IngestServices, get_services, override_services

pytestmark = pytest.mark.unit

SOURCE = {"dialect": "posthog", "library": "web", "version": "1.449.2"}
SERVER = {"receivedAt", "requestId", "ipHash", "userAgent", "device", "schemaVersion", "userLoginState", "source"}


def send(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    response = handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def assert_valid_v1(stored: dict[str, Any]) -> None:
    ClickstreamEvent.model_validate({k: v for k, v in stored.items() if k not in SERVER | {"clientEventTimestamp"}})


def by_name(store: MemoryStore) -> dict[str, dict[str, Any]]:
    return {event["eventName"]: event for event in store.lines("events/")}


def sent(sdk: str, name: str) -> dict[str, Any]:
    """The recorded event called `name` and the batch that carried it."""
    for request in recorded(sdk):
        for event in (request.get("body") or {}).get("batch", []):
            if event["event"] == name:
                return {"event": event, "sent_at": request["body"]["sent_at"]}
    raise AssertionError(f"no {name} recorded")


@pytest.fixture
def all_sent(memory_store: MemoryStore, lambda_context: Any) -> MemoryStore:
    for request in recorded("posthog"):
        response = handler(wire_event(request), lambda_context)
        assert response["statusCode"] == 200, response["body"]
    return memory_store


def test_a_pageview_is_a_page_view(all_sent: MemoryStore) -> None:
    stored = by_name(all_sent)["page_view"]
    original = sent("posthog", "$pageview")
    event, properties = original["event"], original["event"]["properties"]
    assert stored["eventId"] == event["uuid"]
    assert stored["clientId"] == properties["$device_id"]
    assert stored["sessionId"] == properties["$session_id"]
    assert "userId" not in stored  # not identified yet: distinct_id is the device id
    assert stored["clientEventTimestamp"] == event["timestamp"]
    assert stored["sentAt"] == original["sent_at"]
    assert stored["pageUrl"] == properties["$current_url"]
    assert stored["pageTitle"] == properties["title"]
    assert stored["referrer"] == ""  # PostHog's "$direct"
    assert stored["source"] == SOURCE
    props = stored["properties"]
    assert props["event"] == "$pageview"
    assert props["utm_source"] == "news"
    assert props["_window_id"] == properties["$window_id"]
    assert props["_screen_width"] == 1280
    # Plumbing, what the user agent says, nulls and the page view's own id repeated are not kept.
    for gone in ("token", "_lib", "_insert_id", "_raw_user_agent", "_os", "_time", "utm_medium", "_pageview_id"):
        assert gone not in props
    assert "phc_shop" not in json.dumps(stored)
    assert_valid_v1(stored)
    assert all_sent.lines("rejected/") == []


def test_e_commerce_events_carry_product_order_and_search(all_sent: MemoryStore) -> None:
    events = by_name(all_sent)
    product = {"id": "sku-1", "name": "Mug", "category": "Kitchen", "brand": "Acme", "price": 12.5}
    assert events["view_product"]["product"] == product
    assert events["view_product"]["properties"]["currency"] == "EUR"
    assert events["add_to_cart"]["product"] == product
    assert events["add_to_cart"]["properties"]["quantity"] == 2
    assert events["remove_from_cart"]["product"] == product
    assert events["search"]["search"] == {"query": "blue mug"}
    purchase = events["purchase"]
    assert purchase["order"] == {
        "id": "order-1001",
        "revenue": 25,
        "currency": "EUR",
        "items": [{"productId": "sku-1", "quantity": 2, "price": 12.5}],
    }
    assert purchase["properties"]["coupon"] == "SPRING"
    assert purchase["properties"]["products.0.name"] == "Mug"
    for event in events.values():
        assert_valid_v1(event)
    # Eight events in six requests (one carried three); the config and flags calls stored nothing.
    assert len(all_sent.lines("events/")) == 7
    assert len({event["clientId"] for event in events.values()}) == 1
    assert len({event["sessionId"] for event in events.values()}) == 1


def test_after_identify_the_distinct_id_is_the_user_id(all_sent: MemoryStore) -> None:
    events = by_name(all_sent)
    identify = events["identify"]
    device = sent("posthog", "$identify")["event"]["properties"]["$device_id"]
    assert (identify["userId"], identify["clientId"]) == ("user-42", device)
    assert identify["properties"]["set.plan"] == "gold"
    assert identify["properties"]["_anon_distinct_id"] == device
    # $set_once's first-touch values are kept (under set_once.), less what repeats the event's own.
    assert identify["properties"]["set_once._initial_utm_source"] == "news"
    assert not any(key.startswith("set_once.utm_") for key in identify["properties"])
    assert events["purchase"]["userId"] == "user-42"
    assert "userId" not in events["view_product"]


@pytest.mark.parametrize("sdk", ["posthog-plain", "posthog-beacon"])
def test_plain_json_and_the_beacons_form_are_read(memory_store: MemoryStore, lambda_context: Any, sdk: str) -> None:
    (request,) = [r for r in recorded(sdk) if r.get("body")]
    status, body = send(wire_event(request), lambda_context)
    assert (status, body["status"], body["accepted"]) == (200, "Ok", 1)
    (stored,) = memory_store.lines("events/")
    assert stored["eventId"] == request["body"]["batch"][0]["uuid"]
    assert_valid_v1(stored)


def test_the_other_capture_paths_and_shapes(memory_store: MemoryStore, lambda_context: Any) -> None:
    page = next(r for r in recorded("posthog") if r["path"] == "/clickstream/e/")
    (event,) = page["body"]["batch"]
    for path, body in (
        ("/clickstream/i/v0/e/", page["body"]),
        ("/clickstream/batch/", [event]),
        ("/clickstream/e", event),
    ):
        request = {**page, "path": path, "body": body, "wire": "json"}
        assert send(wire_event(request), lambda_context)[0] == 200, path
    # The same event three times: one id, stored three times (dbt deduplicates by eventId).
    assert {stored["eventId"] for stored in memory_store.lines("events/")} == {event["uuid"]}
    # The gzip header, when a library sends one.
    gzipped = wire_event({**page, "headers": {"content-type": "application/json", "content-encoding": "gzip"}})
    assert send(gzipped, lambda_context)[0] == 200


def test_config_and_flags_are_answered_and_store_nothing(memory_store: MemoryStore, lambda_context: Any) -> None:
    response = handler(gateway_event("/clickstream/array/phc_shop/config.js", None, method="GET"), lambda_context)
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == "application/javascript"
    assert 'window._POSTHOG_REMOTE_CONFIG||{};c["phc_shop"]={config:{' in response["body"]
    assert '"hasFeatureFlags":false' in response["body"]
    status, config = send(gateway_event("/clickstream/array/phc_shop/config", None, method="GET"), lambda_context)
    assert (status, config["token"], config["hasFeatureFlags"], config["surveys"]) == (200, "phc_shop", False, False)
    flags = next(r for r in recorded("posthog") if r["path"] == "/clickstream/flags/")
    status, answer = send(wire_event(flags), lambda_context)
    assert (status, answer["flags"], answer["featureFlags"]) == (200, {}, {})
    assert answer["errorsWhileComputingFlags"] is False
    assert memory_store.objects == {}


def test_a_refused_event_is_kept_with_its_original(memory_store: MemoryStore, lambda_context: Any) -> None:
    page = next(r for r in recorded("posthog") if r["path"] == "/clickstream/e/")
    (event,) = page["body"]["batch"]
    bad_order = {**event, "uuid": "u-2", "event": "Order Completed", "properties": {**event["properties"]}}
    no_name = {"uuid": "u-3", "properties": {"$device_id": "d"}}
    body = {**page["body"], "batch": [event, bad_order, no_name]}
    status, answer = send(wire_event(page, body=body), lambda_context)
    assert (status, answer["accepted"]) == (200, 1)
    assert [r["index"] for r in answer["rejected"]] == [1, 2]
    assert "order" in answer["rejected"][0]["errors"][0]["message"]
    assert answer["rejected"][1]["errors"][0]["path"] == "event"
    kept = memory_store.lines("rejected/")
    assert [(k["dialect"], k["event"]["uuid"]) for k in kept] == [("posthog", "u-2"), ("posthog", "u-3")]
    assert kept[0]["mapped"]["eventName"] == "purchase"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        ("data=%%%", "application/x-www-form-urlencoded", 400, "neither JSON nor valid base64"),
        ("data=abc&compression=lz64", "application/x-www-form-urlencoded", 415, "lz64"),
        ('{"batch": []}', "application/json", 400, "no event"),
        ('{"batch": 3}', "application/json", 400, "'batch' must be an array"),
        ("7", "application/json", 400, "body must be an event"),
        ("{}", "application/xml", 415, "application/xml"),
    ],
)
def test_a_refused_request_is_kept(
    memory_store: MemoryStore, lambda_context: Any, body: str, content_type: str, status: int, message: str
) -> None:
    answer = send(gateway_event("/clickstream/e/", body, headers={"content-type": content_type}), lambda_context)
    assert answer[0] == status
    assert message in answer[1]["error"]
    (kept,) = memory_store.lines("rejected/")
    assert (kept["dialect"], kept["path"], kept["status"]) == ("posthog", "/clickstream/e/", status)


def test_the_project_token_is_the_write_key(memory_store: MemoryStore, lambda_context: Any) -> None:
    page = next(r for r in recorded("posthog") if r["path"] == "/clickstream/e/")
    services = get_services()
    allowing = IngestServices(services.store, services.pseudonymizer, services.limits, frozenset({"phc_other"}))
    with override_services(allowing):
        assert send(wire_event(page), lambda_context)[0] == 401
        body = {**page["body"], "api_key": "phc_other"}
        assert send(wire_event(page, body=body), lambda_context)[0] == 200
