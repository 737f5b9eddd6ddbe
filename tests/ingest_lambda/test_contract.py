"""Event contract v1 (ingest_lambda/contract.py): what a client may send, and the published JSON Schema."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ingest_lambda.contract import (
    MAX_BATCH_EVENTS,
    MAX_PROPERTIES,
    STANDARD_EVENT_NAMES,
    ClickstreamEvent,
    parse_client_time,
    request_json_schema,
)

pytestmark = pytest.mark.unit

# The sample product view (docs/event-contract.md), the body of tests/events' API Gateway event.
SEED_EVENT: dict[str, Any] = {
    "eventName": "view_product",
    "userId": "u-123",
    "sessionId": "s-abc",
    "pageUrl": "https://example.com/product/sku-1",
    "referrer": "https://google.com",
    "userLoginState": "guest",
    "product": {
        "id": "sku-1",
        "name": "Laptop",
        "category": "Computers",
        "brand": "SBW",
        "price": 1200,
        "discountPrice": 999,
    },
}
# The smallest valid event: a custom name needs no product/order/search, and clientId attributes it.
MINIMAL: dict[str, Any] = {"eventName": "click", "clientId": "c-1"}


def event(**fields: Any) -> dict[str, Any]:
    return {**MINIMAL, **fields}


def validate(data: dict[str, Any]) -> ClickstreamEvent:
    return ClickstreamEvent.model_validate(data)


def errors_of(data: dict[str, Any]) -> list[ErrorDetails]:
    with pytest.raises(ValidationError) as caught:
        ClickstreamEvent.model_validate(data)
    return caught.value.errors()


def error_locs(data: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {tuple(error["loc"]) for error in errors_of(data)}


def test_seed_event_is_valid_and_keeps_its_values() -> None:
    parsed = validate(copy.deepcopy(SEED_EVENT))
    assert parsed.event_name == "view_product"
    assert parsed.user_id == "u-123"
    assert parsed.session_id == "s-abc"
    assert parsed.product is not None
    assert parsed.product.id == "sku-1"
    assert parsed.product.price == 1200
    assert parsed.product.discount_price == 999


# --- event names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", STANDARD_EVENT_NAMES)
def test_every_standard_name_is_accepted(name: str) -> None:
    # Give every event what any standard name may require, so only the name is under test.
    data = event(
        eventName=name,
        pageUrl="https://example.com/",
        product={"id": "p-1"},
        order={"id": "o-1", "revenue": 10},
        search={"query": "laptop"},
    )
    assert validate(data).event_name == name


@pytest.mark.parametrize("name", ["wishlist_add", "video_played_25", "x", "a" * 64])
def test_custom_snake_case_names_up_to_64_characters_are_accepted(name: str) -> None:
    assert validate(event(eventName=name)).event_name == name


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("ViewProduct", id="camel-case"),
        pytest.param("viewProduct", id="lower-camel-case"),
        pytest.param("view product", id="space"),
        pytest.param("a" * 65, id="65-chars"),
        pytest.param("1st_visit", id="leading-digit"),
        pytest.param("_click", id="leading-underscore"),
        pytest.param("click_", id="trailing-underscore"),
        pytest.param("add__to_cart", id="double-underscore"),
        pytest.param("view-product", id="hyphen"),
        pytest.param("", id="empty"),
        pytest.param("click\n", id="trailing-newline"),
    ],
)
def test_bad_event_names_are_rejected_on_the_event_name_field(name: str) -> None:
    assert error_locs(event(eventName=name)) == {("eventName",)}


def test_event_name_is_required() -> None:
    assert ("eventName",) in error_locs({"clientId": "c-1"})


# --- strict types ----------------------------------------------------------------------------------------------


def test_price_as_string_is_rejected_not_coerced() -> None:
    assert error_locs({**SEED_EVENT, "product": {"id": "sku-1", "price": "1200"}}) == {("product", "price")}


def test_price_as_integer_is_accepted() -> None:
    parsed = validate({**SEED_EVENT, "product": {"id": "sku-1", "price": 1200}})
    assert parsed.product is not None
    assert parsed.product.price == 1200.0


def test_price_as_boolean_is_rejected() -> None:
    assert error_locs({**SEED_EVENT, "product": {"id": "sku-1", "price": True}}) == {("product", "price")}


@pytest.mark.parametrize("price", [-1, 1e9 + 1])
def test_price_out_of_range_is_rejected(price: float) -> None:
    assert error_locs({**SEED_EVENT, "product": {"id": "sku-1", "price": price}}) == {("product", "price")}


@pytest.mark.parametrize("value", ["true", 1, "1"])
def test_is_first_visit_must_be_a_real_boolean(value: Any) -> None:
    assert error_locs(event(isFirstVisit=value)) == {("isFirstVisit",)}


def test_is_first_visit_boolean_is_accepted() -> None:
    assert validate(event(isFirstVisit=True)).is_first_visit is True


def test_user_id_as_number_is_rejected() -> None:
    assert error_locs(event(userId=123)) == {("userId",)}


def test_user_login_state_outside_the_literal_is_rejected() -> None:
    assert error_locs(event(userLoginState="admin")) == {("userLoginState",)}


# --- unknown fields --------------------------------------------------------------------------------------------


def test_unknown_top_level_field_is_rejected() -> None:
    errors = errors_of(event(color="red"))
    assert [(tuple(e["loc"]), e["type"]) for e in errors] == [(("color",), "extra_forbidden")]


def test_snake_case_spelling_of_a_known_field_is_unknown() -> None:
    # The wire format is camelCase only; the Python attribute names are not accepted as aliases.
    assert ("event_name",) in error_locs({"event_name": "click", "eventName": "click", "clientId": "c"})


def test_unknown_field_nested_in_product_is_rejected() -> None:
    errors = errors_of({**SEED_EVENT, "product": {"id": "sku-1", "color": "red"}})
    assert [(tuple(e["loc"]), e["type"]) for e in errors] == [(("product", "color"), "extra_forbidden")]


def test_unknown_field_nested_in_order_item_is_rejected() -> None:
    order = {"id": "o-1", "revenue": 10, "items": [{"productId": "p", "quantity": 1, "price": 10, "sku": "x"}]}
    locs = error_locs(event(eventName="purchase", order=order))
    assert locs == {("order", "items", 0, "sku")}


# --- events that need a product, an order, a search or a page URL ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("view_product", "view_product events require product"),
        ("add_to_cart", "add_to_cart events require product"),
        ("remove_from_cart", "remove_from_cart events require product"),
        ("purchase", "purchase events require order"),
        ("search", "search events require search"),
        ("page_view", "page_view events require pageUrl"),
    ],
)
def test_events_missing_what_they_are_about_are_rejected_with_a_message(name: str, message: str) -> None:
    errors = errors_of(event(eventName=name))
    assert len(errors) == 1
    assert message in errors[0]["msg"]


def test_view_product_without_product_is_rejected_even_with_everything_else() -> None:
    data = {key: value for key, value in SEED_EVENT.items() if key != "product"}
    assert "view_product events require product" in errors_of(data)[0]["msg"]


def test_page_view_with_page_url_is_accepted() -> None:
    assert validate(event(eventName="page_view", pageUrl="https://example.com/")).page_url == "https://example.com/"


# --- attribution ----------------------------------------------------------------------------------------------


def test_an_event_without_client_user_or_session_id_is_rejected() -> None:
    errors = errors_of({"eventName": "click", "pageUrl": "https://example.com/"})
    assert len(errors) == 1
    assert "at least one of clientId, userId, sessionId" in errors[0]["msg"]


@pytest.mark.parametrize("field", ["clientId", "userId", "sessionId"])
def test_any_one_id_is_enough_to_attribute_an_event(field: str) -> None:
    validate({"eventName": "click", field: "id-1"})


def test_empty_id_does_not_count_as_attribution() -> None:
    assert ("clientId",) in error_locs({"eventName": "click", "clientId": ""})


# --- client timestamps -----------------------------------------------------------------------------------------


def test_iso_timestamp_with_z() -> None:
    parsed = validate(event(eventTimestamp="2025-12-06T05:12:34.567Z"))
    assert parsed.event_timestamp == datetime(2025, 12, 6, 5, 12, 34, 567000, tzinfo=UTC)
    offset = parsed.event_timestamp.utcoffset()
    assert offset is not None and offset.total_seconds() == 0


def test_iso_timestamp_with_offset_is_converted_to_utc() -> None:
    parsed = validate(event(eventTimestamp="2025-12-06T12:12:34.567+07:00"))
    assert parsed.event_timestamp == datetime(2025, 12, 6, 5, 12, 34, 567000, tzinfo=UTC)
    # Not only equal as an instant: the stored value is in UTC itself.
    assert parsed.event_timestamp.tzinfo == UTC
    assert parsed.event_timestamp.hour == 5


def test_epoch_milliseconds_number() -> None:
    millis = 1_765_000_354_567  # 2025-12-06T05:52:34.567Z
    parsed = validate(event(eventTimestamp=millis, sentAt=millis + 1000))
    assert parsed.event_timestamp == datetime(2025, 12, 6, 5, 52, 34, 567000, tzinfo=UTC)
    assert parsed.sent_at == datetime(2025, 12, 6, 5, 52, 35, 567000, tzinfo=UTC)


def test_epoch_seconds_are_not_mistaken_for_milliseconds() -> None:
    # 1765000354 s read as ms is January 1970: out of range, so a client sending seconds hears about it.
    errors = errors_of(event(eventTimestamp=1_765_000_354))
    assert "between 2000-01-01 and 2100-01-01" in errors[0]["msg"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("2025-12-06T05:12:34", "must carry a UTC offset", id="naive-iso"),
        pytest.param("2025-12-06", "must carry a UTC offset", id="date-only"),
        pytest.param("1999-12-31T23:59:59Z", "between 2000-01-01 and 2100-01-01", id="year-1999"),
        pytest.param("2100-01-01T00:00:00Z", "between 2000-01-01 and 2100-01-01", id="year-2100"),
        pytest.param(True, "not a boolean", id="bool-true"),
        pytest.param(False, "not a boolean", id="bool-false"),
        pytest.param(float("nan"), "finite", id="nan"),
        pytest.param(float("inf"), "finite", id="infinity"),
        pytest.param(10**30, "out of range", id="huge-epoch"),
        pytest.param("yesterday", "must be ISO-8601", id="not-a-date"),
        pytest.param("2025-12-06T05:12:34.567Z" + " " * 40, "too long", id="too-long"),
        pytest.param(["2025-12-06T05:12:34Z"], "ISO-8601 string or epoch", id="list"),
        pytest.param({"t": 1}, "ISO-8601 string or epoch", id="object"),
    ],
)
def test_bad_timestamps_are_rejected_with_a_reason(value: Any, message: str) -> None:
    errors = errors_of(event(eventTimestamp=value))
    assert [tuple(e["loc"]) for e in errors] == [("eventTimestamp",)]
    assert message in errors[0]["msg"]


def test_sent_at_is_validated_like_event_timestamp() -> None:
    assert error_locs(event(sentAt="2025-12-06T05:12:34")) == {("sentAt",)}


def test_parse_client_time_rejects_nan_directly() -> None:
    # JSON cannot carry NaN (the body parser refuses it); the validator refuses it on its own as well.
    with pytest.raises(ValueError, match="finite"):
        parse_client_time(float("nan"))


def test_parse_client_time_boundaries() -> None:
    assert parse_client_time("2000-01-01T00:00:00Z") == datetime(2000, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="between"):
        parse_client_time("1999-12-31T23:59:59.999Z")


# --- properties -----------------------------------------------------------------------------------------------


def test_properties_accept_string_number_bool_and_null() -> None:
    props = {"plan": "pro", "count": 3, "ratio": 0.25, "beta": True, "coupon": None}
    parsed = validate(event(properties=props))
    assert parsed.properties == {"plan": "pro", "count": 3, "ratio": 0.25, "beta": True, "coupon": None}
    assert parsed.properties is not None
    assert parsed.properties["beta"] is True


def test_fifty_properties_are_accepted_and_fifty_one_are_not() -> None:
    assert MAX_PROPERTIES == 50
    validate(event(properties={f"k{i}": i for i in range(50)}))
    assert error_locs(event(properties={f"k{i}": i for i in range(51)})) == {("properties",)}


@pytest.mark.parametrize("value", [{"nested": 1}, [1, 2], float("nan")])
def test_property_values_must_be_scalars(value: Any) -> None:
    locs = error_locs(event(properties={"k": value}))
    assert locs
    assert all(loc[:2] == ("properties", "k") for loc in locs)


def test_property_string_value_is_limited_to_1024_characters() -> None:
    validate(event(properties={"k": "x" * 1024}))
    assert error_locs(event(properties={"k": "x" * 1025}))


@pytest.mark.parametrize("key", ["plan", "_private", "utm.source", "ab-test_1", "A1"])
def test_property_keys_matching_the_pattern_are_accepted(key: str) -> None:
    validate(event(properties={key: 1}))


@pytest.mark.parametrize("key", ["1st", "has space", "", "-dash", "k" * 65, "é"])
def test_property_keys_outside_the_pattern_are_rejected(key: str) -> None:
    locs = error_locs(event(properties={key: 1}))
    assert locs == {("properties", key, "[key]")}


# --- order, search, schemaVersion -----------------------------------------------------------------------------


def purchase(**order: Any) -> dict[str, Any]:
    return event(eventName="purchase", order={"id": "o-1", "revenue": 99.5, **order})


def test_purchase_with_currency_and_items_is_accepted() -> None:
    parsed = validate(purchase(currency="VND", items=[{"productId": "p-1", "quantity": 2, "price": 49.75}]))
    assert parsed.order is not None
    assert parsed.order.currency == "VND"
    assert parsed.order.items is not None
    assert parsed.order.items[0].quantity == 2


@pytest.mark.parametrize("currency", ["usd", "US", "USDT", "US1", "USD\n"])
def test_order_currency_must_be_three_upper_case_letters(currency: str) -> None:
    assert error_locs(purchase(currency=currency)) == {("order", "currency")}


@pytest.mark.parametrize("quantity", [0, -1])
def test_order_item_quantity_must_be_at_least_one(quantity: int) -> None:
    items = [{"productId": "p-1", "quantity": quantity, "price": 1}]
    assert error_locs(purchase(items=items)) == {("order", "items", 0, "quantity")}


def test_order_item_quantity_must_be_an_integer() -> None:
    items = [{"productId": "p-1", "quantity": 1.5, "price": 1}]
    assert error_locs(purchase(items=items)) == {("order", "items", 0, "quantity")}


def test_order_requires_id_and_revenue() -> None:
    locs = error_locs(event(eventName="purchase", order={}))
    assert locs == {("order", "id"), ("order", "revenue")}


def test_search_query_is_required_in_search() -> None:
    assert error_locs(event(eventName="search", search={})) == {("search", "query")}


@pytest.mark.parametrize("version", ["1", "1.2", "1.0", "1.2.3"])
def test_schema_version_1_x_is_accepted(version: str) -> None:
    assert validate(event(schemaVersion=version)).schema_version == version


@pytest.mark.parametrize("version", ["2", "2.0", "10", "1.", "1.2.3.4", "v1", "1\n", ""])
def test_schema_versions_other_than_1_x_are_rejected(version: str) -> None:
    assert error_locs(event(schemaVersion=version)) == {("schemaVersion",)}


def test_schema_version_as_number_is_rejected() -> None:
    assert error_locs(event(schemaVersion=1)) == {("schemaVersion",)}


# --- the published JSON Schema --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema_validator() -> jsonschema.Draft202012Validator:
    schema = request_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_request_schema_is_a_valid_2020_12_schema() -> None:
    schema = request_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_seed_event_validates_against_the_schema(schema_validator: jsonschema.Draft202012Validator) -> None:
    assert list(schema_validator.iter_errors(SEED_EVENT)) == []


def test_event_with_unknown_field_does_not_validate(schema_validator: jsonschema.Draft202012Validator) -> None:
    assert not schema_validator.is_valid({**SEED_EVENT, "color": "red"})


def test_nested_unknown_field_does_not_validate(schema_validator: jsonschema.Draft202012Validator) -> None:
    assert not schema_validator.is_valid({**SEED_EVENT, "product": {"id": "sku-1", "color": "red"}})


def test_schema_types_match_the_model(schema_validator: jsonschema.Draft202012Validator) -> None:
    assert not schema_validator.is_valid({**SEED_EVENT, "product": {"id": "sku-1", "price": "1200"}})
    assert not schema_validator.is_valid({**SEED_EVENT, "isFirstVisit": "true"})
    assert not schema_validator.is_valid({**SEED_EVENT, "schemaVersion": "2"})
    assert schema_validator.is_valid({**SEED_EVENT, "eventTimestamp": 1_765_000_354_567})
    assert schema_validator.is_valid({**SEED_EVENT, "eventTimestamp": "2025-12-06T05:12:34.567Z"})


def test_schema_accepts_a_batch_and_bounds_its_size(schema_validator: jsonschema.Draft202012Validator) -> None:
    assert schema_validator.is_valid({"events": [SEED_EVENT, MINIMAL]})
    assert not schema_validator.is_valid({"events": []})
    assert not schema_validator.is_valid({"events": [MINIMAL] * (MAX_BATCH_EVENTS + 1)})
    assert not schema_validator.is_valid({"events": [SEED_EVENT], "extra": 1})
    assert not schema_validator.is_valid([SEED_EVENT])


def test_schema_property_value_types(schema_validator: jsonschema.Draft202012Validator) -> None:
    assert schema_validator.is_valid(event(properties={"plan": "pro", "n": 1, "b": False, "z": None}))
    assert not schema_validator.is_valid(event(properties={"plan": {"nested": 1}}))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"eventName": "click"}, id="no-attribution-id"),
        pytest.param({"eventName": "view_product", "clientId": "c"}, id="view_product-without-product"),
        pytest.param({"eventName": "view_product", "clientId": "c", "product": None}, id="view_product-null-product"),
        pytest.param({"eventName": "purchase", "clientId": "c"}, id="purchase-without-order"),
        pytest.param({"eventName": "search", "clientId": "c"}, id="search-without-search"),
        pytest.param({"eventName": "page_view", "clientId": "c", "pageUrl": None}, id="page_view-null-url"),
        pytest.param(event(properties={f"k{i}": i for i in range(51)}), id="51-properties"),
        pytest.param(event(eventTimestamp=True), id="bool-timestamp"),
        pytest.param(purchase(currency="usd"), id="lower-case-currency"),
        pytest.param(purchase(items=[{"productId": "p", "quantity": 0, "price": 1}]), id="quantity-0"),
        pytest.param({"eventName": "click", "clientId": None, "userId": None, "sessionId": None}, id="all-ids-null"),
        pytest.param(event(properties={"has space": {"nested": ["anything"]}}), id="property-key-outside-pattern"),
        pytest.param(event(eventTimestamp=0), id="epoch-1970"),
    ],
)
def test_schema_refuses_what_the_model_refuses(
    schema_validator: jsonschema.Draft202012Validator, data: dict[str, Any]
) -> None:
    assert errors_of(data)  # the server refuses it...
    assert not schema_validator.is_valid(data)  # ...so the published contract must too


def test_schema_checks_timestamps_when_formats_are_asserted() -> None:
    checked = jsonschema.Draft202012Validator(
        request_json_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert checked.is_valid(event(eventTimestamp="2025-12-06T05:12:34.567Z"))
    assert not checked.is_valid(event(eventTimestamp="2025-12-06T05:12:34"))
