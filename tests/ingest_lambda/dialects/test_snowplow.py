"""The Snowplow dialect through the ingest handler, from the requests @snowplow/browser-tracker 4.10.1 with
@snowplow/browser-plugin-snowplow-ecommerce really sent (tests/ingest_lambda/dialects/fixtures/snowplow*/,
recorded in Chromium): a POST envelope of eight events (page view, product view, add to and remove from cart,
checkout step, transaction, a structured event, a custom self-describing event) and two GET pixel requests."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from support.dialect_requests import client_fields, gateway_event, recorded, replayed, stored_time
from support.fakes import MemoryStore

from ingest_lambda.contract import ClickstreamEvent
from ingest_lambda.dialects.snowplow import PIXEL
from ingest_lambda.handler import handler
from ingest_lambda.nesting import MAX_EVENT_DEPTH

pytestmark = pytest.mark.unit

SOURCE = {"dialect": "snowplow", "library": "js", "version": "4.10.1"}
PRODUCT = {"id": "sku-1", "name": "Mug", "category": "Kitchen", "brand": "Acme", "price": 12.5}


def send(event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any]]:
    response = handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def test_the_envelope_is_one_v1_event_per_snowplow_event(memory_store: MemoryStore, lambda_context: Any) -> None:
    (request,) = recorded("snowplow")
    assert request["path"] == "/clickstream/com.snowplowanalytics.snowplow/tp2"
    originals = request["body"]["data"]
    status, body = send(replayed(request), lambda_context)
    assert (status, body["accepted"], body["rejected"]) == (200, 8, [])
    stored = {event["eventId"]: event for event in memory_store.lines("events/")}
    assert set(stored) == {original["eid"] for original in originals}
    for original in originals:
        event = stored[original["eid"]]
        assert event["source"] == SOURCE
        assert (event["clientId"], event["sessionId"], event["userId"]) == (
            original["duid"],
            original["sid"],
            original["uid"],
        )
        # dtm and stm: epoch milliseconds as strings.
        assert event["clientEventTimestamp"] == stored_time(original["dtm"])
        assert event["sentAt"] == stored_time(original["stm"])
        assert event["pageUrl"] == original["url"]
        # The tracker's other fields under their protocol names; the page's entity under its schema's name.
        assert event["properties"]["aid"] == "wk-shop"
        assert event["properties"]["lang"] == "en-US"
        assert event["properties"]["web_page.id"]
        ClickstreamEvent.model_validate(client_fields(event))
    by_name = {event["eventName"]: event for event in stored.values()}
    assert set(by_name) == {
        "page_view",
        "view_product",
        "add_to_cart",
        "remove_from_cart",
        "begin_checkout",
        "purchase",
        "play",
        "newsletter_signup",
    }
    assert by_name["page_view"]["pageTitle"] == "/products/mug"
    assert by_name["view_product"]["product"] == PRODUCT
    # What the product entity carries beyond v1's product stays in properties.
    assert by_name["view_product"]["properties"]["product.currency"] == "EUR"
    assert by_name["add_to_cart"]["product"] == PRODUCT
    assert by_name["add_to_cart"]["properties"]["product.quantity"] == 2
    assert by_name["add_to_cart"]["properties"]["cart.total_value"] == 25
    assert by_name["remove_from_cart"]["product"]["id"] == "sku-1"
    assert by_name["begin_checkout"]["properties"]["checkout_step.step"] == 1
    assert by_name["purchase"]["order"] == {
        "id": "order-1001",
        "revenue": 25,
        "currency": "EUR",
        "items": [{"productId": "sku-1", "quantity": 2, "price": 12.5}],
    }
    assert by_name["purchase"]["properties"]["transaction.payment_method"] == "card"
    assert by_name["purchase"]["properties"]["product.name"] == "Mug"
    structured = by_name["play"]["properties"]
    assert (structured["se_ca"], structured["se_ac"], structured["se_la"], structured["se_va"]) == (
        "video",
        "play",
        "intro",
        "3",
    )
    custom = by_name["newsletter_signup"]["properties"]
    assert custom["list"] == "weekly"
    assert custom["schema"] == "iglu:com.acme/newsletter_signup/jsonschema/1-0-0"
    assert memory_store.lines("rejected/") == []


def test_the_pixel_is_a_gif_and_its_base64_json_is_read(memory_store: MemoryStore, lambda_context: Any) -> None:
    requests = recorded("snowplow-get")
    assert [(request["method"], request["path"]) for request in requests] == [("GET", "/clickstream/i")] * 2
    for request in requests:
        response = handler(replayed(request), lambda_context)
        assert response["statusCode"] == 200
        assert response["headers"]["content-type"] == "image/gif"
        assert response["isBase64Encoded"] is True
        assert base64.b64decode(response["body"]) == PIXEL
    page_view, product_view = sorted(memory_store.lines("events/"), key=lambda event: event["eventName"])
    assert (page_view["eventName"], product_view["eventName"]) == ("page_view", "view_product")
    assert product_view["product"] == PRODUCT
    assert page_view["source"] == SOURCE
    assert page_view["sentAt"] >= page_view["clientEventTimestamp"]


def test_the_envelope_posted_to_the_base_path_is_snowplow(memory_store: MemoryStore, lambda_context: Any) -> None:
    (request,) = recorded("snowplow")
    status, body = send(replayed(request, path="/clickstream"), lambda_context)
    assert (status, body["accepted"]) == (200, 8)
    assert {event["source"]["dialect"] for event in memory_store.lines("events/")} == {"snowplow"}


def test_a_post_to_i_is_still_segments_identify(memory_store: MemoryStore, lambda_context: Any) -> None:
    call = recorded("segment")[3]
    assert call["path"] == "/clickstream/i"
    assert send(replayed(call), lambda_context)[0] == 200
    (stored,) = memory_store.lines("events/")
    assert stored["source"]["dialect"] == "segment"


def test_a_bad_event_is_refused_alone_and_kept(memory_store: MemoryStore, lambda_context: Any) -> None:
    (request,) = recorded("snowplow")
    envelope = request["body"]
    product_view = dict(envelope["data"][1])
    # A product view whose product entity lost its id, and an event with no type.
    product_view["co"] = product_view["co"].replace('"id":"sku-1",', "")
    body = {**envelope, "data": [envelope["data"][0], product_view, {"eid": "x"}]}
    status, answer = send(replayed(request, body=body), lambda_context)
    assert (status, answer["accepted"]) == (200, 1)
    assert [refused["index"] for refused in answer["rejected"]] == [1, 2]
    kept = {line["index"]: line for line in memory_store.lines("rejected/")}
    assert kept[1]["dialect"] == "snowplow"
    assert kept[1]["errors"][0]["message"] == "view_product events require product"
    # The original as sent, its entities decoded.
    assert kept[1]["event"]["co"]["data"][0]["data"]["name"] == "Mug"
    assert kept[2]["errors"] == [{"path": "e", "message": "an event needs its type 'e' (pv, se, ue, ...)"}]


def test_the_app_id_is_the_write_key(memory_store: MemoryStore, lambda_context: Any) -> None:
    from ingest_lambda.services import IngestServices, get_services, override_services

    (request,) = recorded("snowplow")
    services = get_services()
    with override_services(IngestServices(services.store, services.pseudonymizer, services.limits, frozenset({"x"}))):
        status, answer = send(replayed(request), lambda_context)
    assert status == 401
    assert "unknown write key" in answer["error"]
    (kept,) = memory_store.lines("rejected/")
    assert (kept["status"], kept["dialect"]) == (401, "snowplow")
    assert memory_store.lines("events/") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4", "data": []}, "non-empty"),
        ([1, 2], "payload_data envelope"),
    ],
)
def test_a_body_that_is_no_envelope_is_refused(
    memory_store: MemoryStore, lambda_context: Any, body: Any, message: str
) -> None:
    event = gateway_event("/clickstream/com.snowplowanalytics.snowplow/tp2", json.dumps(body))
    status, answer = send(event, lambda_context)
    assert status == 400
    assert message in answer["error"]
    assert memory_store.lines("rejected/")[0]["dialect"] == "snowplow"


def test_base64_entities_are_scrubbed_of_email_addresses(memory_store: MemoryStore, lambda_context: Any) -> None:
    contexts = {
        "schema": "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0",
        "data": [
            {
                "schema": "iglu:com.snowplowanalytics.snowplow.ecommerce/user/jsonschema/1-0-0",
                "data": {"id": "u-1", "email": "jane@example.com"},
            }
        ],
    }
    cx = base64.urlsafe_b64encode(json.dumps(contexts).encode()).decode().rstrip("=")
    query = f"e=pv&url=https%3A%2F%2Fshop.example%2F&duid=d-1&eid=e-1&cx={cx}"
    response = handler(gateway_event("/clickstream/i", None, method="GET", query=query), lambda_context)
    assert response["statusCode"] == 200
    (stored,) = memory_store.lines("events/")
    assert stored["properties"]["user.id"] == "u-1"
    assert "jane@example.com" not in json.dumps(stored)


def _nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize("inside", ["the JSON of a string (co)", "the event itself"])
def test_an_event_nested_past_the_limit_is_refused_alone(
    memory_store: MemoryStore, lambda_context: Any, inside: str
) -> None:
    # The depth check reads the JSON in the events' strings apart from the body (a cheaper text) when the events
    # are the protocol's flat maps of strings, and the whole body when they are not: the limit is the same.
    (request,) = recorded("snowplow")
    envelope = request["body"]
    data = []
    for levels in (MAX_EVENT_DEPTH - 1, MAX_EVENT_DEPTH):
        event = {"e": "pv", "url": "https://shop.example/", "duid": "d-1", "eid": f"e-{levels}"}
        if inside.startswith("the JSON"):
            event["co"] = json.dumps(_nested(levels))
        else:
            event["x"] = _nested(levels)
        data.append(event)
    status, answer = send(replayed(request, body={**envelope, "data": data}), lambda_context)
    assert (status, answer["accepted"]) == (200, 1)
    (refused,) = answer["rejected"]
    assert refused["index"] == 1
    assert "nested deeper than 32 levels" in refused["errors"][0]["message"]
