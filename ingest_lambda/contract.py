"""Event contract v1: what a shop front end may send to ``POST /clickstream``.

The model is strict on purpose: a value of the wrong type is an error that names the field, never a silent
coercion, so what reaches the raw bucket is exactly what the client sent (plus server enrichment). Unknown
top-level fields are rejected; free-form data goes under ``properties``.

Evolution rule: within v1 changes are additive only (a new optional field, a new standard event name, a looser
limit). Anything else is v2, served side by side. The server is deployed before clients send a new field.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel

SCHEMA_VERSION = "1.0"
SCHEMA_MAJOR = "1"
MAX_BATCH_EVENTS = 500
MAX_BODY_BYTES = 1_048_576
MAX_PROPERTIES = 50

STANDARD_EVENT_NAMES = (
    "page_view",
    "view_product",
    "add_to_cart",
    "remove_from_cart",
    "begin_checkout",
    "purchase",
    "search",
    "login",
    "sign_up",
    "click",
)
# Events whose meaning needs a product, an order or a search to be useful downstream.
_REQUIRES = {
    "view_product": "product",
    "add_to_cart": "product",
    "remove_from_cart": "product",
    "purchase": "order",
    "search": "search",
}

# Timestamps before this are certainly a broken client clock, not history.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def parse_client_time(value: Any) -> datetime:
    """An ISO-8601 string with a UTC offset, or epoch milliseconds (what ``Date.now()`` gives), as aware UTC."""
    if isinstance(value, bool):
        raise ValueError("must be an ISO-8601 string or epoch milliseconds, not a boolean")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number of epoch milliseconds")
        try:
            moment = datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError("epoch milliseconds out of range") from exc
    elif isinstance(value, str):
        if len(value) > 40:
            raise ValueError("timestamp string too long")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            # RFC 3339 allows a lower-case "t" and "z"; Python's parser wants them upper-case.
            try:
                moment = datetime.fromisoformat(value.upper())
            except ValueError as exc:
                raise ValueError("must be ISO-8601, e.g. 2025-12-06T05:12:34.567Z") from exc
        if moment.tzinfo is None:
            raise ValueError("must carry a UTC offset or Z, e.g. 2025-12-06T05:12:34.567Z")
        moment = moment.astimezone(UTC)
    else:
        raise ValueError("must be an ISO-8601 string or epoch milliseconds")
    if not _EARLIEST <= moment < _LATEST:
        raise ValueError("must be between 2000-01-01 and 2100-01-01")
    return moment


ClientTime = Annotated[
    datetime,
    PlainValidator(parse_client_time),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time", "maxLength": 40},
                {
                    "type": "number",
                    "description": "epoch milliseconds",
                    "minimum": int(_EARLIEST.timestamp() * 1000),
                    "exclusiveMaximum": int(_LATEST.timestamp() * 1000),
                },
            ]
        }
    ),
]

Id = Annotated[str, StringConstraints(min_length=1, max_length=128)]
ShortText = Annotated[str, StringConstraints(max_length=256)]
Url = Annotated[str, StringConstraints(max_length=2048)]
Money = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]
_PROPERTY_KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]*$"
PropertyKey = Annotated[str, StringConstraints(pattern=_PROPERTY_KEY_PATTERN, max_length=64)]
EventName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$", max_length=64)]
PropertyValue = (
    Annotated[str, StringConstraints(max_length=1024)] | Annotated[float, Field(allow_inf_nan=False)] | bool | None
)
Properties = Annotated[
    dict[PropertyKey, PropertyValue],
    Field(max_length=MAX_PROPERTIES),
    # Stated by hand: pydantic puts the key pattern in patternProperties, which does not forbid other keys.
    WithJsonSchema(
        {
            "type": "object",
            "maxProperties": MAX_PROPERTIES,
            "propertyNames": {"pattern": _PROPERTY_KEY_PATTERN, "maxLength": 64},
            "additionalProperties": {
                "anyOf": [
                    {"type": "string", "maxLength": 1024},
                    {"type": "number"},
                    {"type": "boolean"},
                    {"type": "null"},
                ]
            },
        }
    ),
]


class _Part(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", strict=True, frozen=True)


class Product(_Part):
    """The product an event is about (the ``product`` object of docs/event-contract.md)."""

    id: Id
    name: ShortText | None = None
    category: ShortText | None = None
    brand: ShortText | None = None
    price: Money | None = None
    discount_price: Money | None = None


def _whole_number(value: Any) -> Any:
    """JSON has one number type and JSON Schema's "integer" admits 2.0: take a whole float as the int it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class OrderItem(_Part):
    product_id: Id
    quantity: Annotated[int, Field(ge=1, le=100_000), BeforeValidator(_whole_number)]
    price: Money


class Order(_Part):
    """A purchase. ``id`` is what makes a purchase sent twice count once."""

    id: Id
    revenue: Money
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    items: Annotated[list[OrderItem], Field(max_length=200)] | None = None


class Search(_Part):
    query: Annotated[str, StringConstraints(max_length=512)]


class ClickstreamEvent(_Part):
    """One clickstream event as a client sends it (camelCase on the wire)."""

    model_config = ConfigDict(
        title="ClickstreamEvent",
        json_schema_extra={
            "description": "One clickstream event, contract v" + SCHEMA_VERSION,
            # The cross-field rules of `_coherent`, stated in the schema too so that clients and generated
            # test data see the whole contract.
            "anyOf": [
                {"required": [name], "properties": {name: {"type": "string"}}}
                for name in ("clientId", "userId", "sessionId")
            ],
            "allOf": [
                {
                    "if": {"properties": {"eventName": {"const": name}}, "required": ["eventName"]},
                    "then": {"required": [field], "properties": {field: {"not": {"type": "null"}}}},
                }
                for name, field in [*_REQUIRES.items(), ("page_view", "pageUrl")]
            ],
        },
    )

    event_name: EventName = Field(
        description="One of the standard names (" + ", ".join(STANDARD_EVENT_NAMES) + ") or a custom snake_case name"
    )
    event_id: Id | None = Field(None, description="Client-generated id, the dedup key; a uuid4 is set when absent")
    event_timestamp: ClientTime | None = Field(None, description="When the event happened on the client")
    sent_at: ClientTime | None = Field(None, description="When the client sent the request; enables skew correction")
    schema_version: Annotated[str, StringConstraints(pattern=r"^1(\.\d+){0,2}$")] | None = None
    client_id: Id | None = Field(None, description="Stable anonymous visitor id (first-party cookie/localStorage)")
    user_id: Id | None = None
    session_id: Id | None = None
    user_login_state: Literal["guest", "logged_in"] | None = None
    identity_source: Annotated[str, StringConstraints(max_length=64)] | None = None
    is_first_visit: bool | None = None
    page_url: Url | None = None
    page_title: Annotated[str, StringConstraints(max_length=512)] | None = None
    referrer: Url | None = None
    product: Product | None = None
    order: Order | None = None
    search: Search | None = None
    properties: Properties | None = None

    @model_validator(mode="after")
    def _coherent(self) -> ClickstreamEvent:
        if self.client_id is None and self.user_id is None and self.session_id is None:
            raise ValueError("at least one of clientId, userId, sessionId is required to attribute the event")
        needed = _REQUIRES.get(self.event_name)
        if needed is not None and getattr(self, needed) is None:
            raise ValueError(f"{self.event_name} events require {needed}")
        if self.event_name == "page_view" and self.page_url is None:
            raise ValueError("page_view events require pageUrl")
        return self


def request_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of a request body: one event, or a batch of events."""
    event_schema = ClickstreamEvent.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    defs = event_schema.pop("$defs", {})
    defs["ClickstreamEvent"] = event_schema
    defs["EventBatch"] = {
        "title": "EventBatch",
        "type": "object",
        "additionalProperties": False,
        "required": ["events"],
        "properties": {
            "events": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_BATCH_EVENTS,
                "items": {"$ref": "#/$defs/ClickstreamEvent"},
            }
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://clickstream-warehouse.dev/schemas/event-v1.json",
        "title": f"Clickstream request, contract v{SCHEMA_VERSION}",
        "description": "POST /clickstream body: one event, or {events: [...]} with up to "
        f"{MAX_BATCH_EVENTS} events. At most {MAX_BODY_BYTES} bytes after base64 decoding and gzip inflation.",
        "oneOf": [{"$ref": "#/$defs/ClickstreamEvent"}, {"$ref": "#/$defs/EventBatch"}],
        "$defs": defs,
    }
