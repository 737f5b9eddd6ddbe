"""AWS Clickstream Analytics' web SDK (@aws/clickstream-web; its mobile SDKs post the same).

Requests: ``POST /clickstream?platform=Web&appId=...&event_bundle_sequence_id=N&upload_timestamp=ms&hashCode=...``
with a JSON array of events (``application/json``, with credentials); the query is what tells it from a v1 request
to the same path. Each event: ``event_type`` (preset ones start with ``_``: ``_page_view``, ``_search``, ...; the
shop's own are what it records), ``event_id``, ``device_id``, ``timestamp`` (ms), ``items[]``, ``user`` (each
attribute as ``{value, set_timestamp}``) and ``attributes`` (``_session_id``, ``_page_url``, ... and the shop's).

The mapping (docs/collector.md has the table): preset names without their ``_`` (``_page_view`` is ``page_view``),
GA4's e-commerce names as v1's (``view_item`` is ``view_product``), the product from ``items[0]``, the order from
``attributes.transaction_id``, ``value`` and ``currency`` and the items; everything else to ``properties``.

The answer: the SDK counts only a 200 as sent; anything else it logs as an error and sends again, three times in
all, then drops. A request whose every event is refused (each kept once under ``rejected/``) is therefore answered
200 with the refusals in the body: the same body sent twice more would only be refused and kept twice more.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ingest_lambda.body import HttpRequest, RequestRejected, check_method_and_type, parse_body, read_body
from ingest_lambda.dialects.flatten import Flattened
from ingest_lambda.dialects.seam import Decoded, Mapped, Source, Unmappable
from ingest_lambda.dialects.values import id_text, is_number, snake_name, taken_product
from ingest_lambda.limits import IngestLimits
from ingest_lambda.nesting import TooDeep
from ingest_lambda.reply import Reply

# GA4's recommended e-commerce names (which AWS's documentation uses) and AWS's presets, as v1's standard names.
EVENT_NAMES = {
    "_page_view": "page_view",
    "_search": "search",
    "_click": "click",
    "view_item": "view_product",
    "select_item": "click",
    "add_to_cart": "add_to_cart",
    "remove_from_cart": "remove_from_cart",
    "begin_checkout": "begin_checkout",
    "purchase": "purchase",
    "search": "search",
    "login": "login",
    "sign_up": "sign_up",
}
_PRODUCT_EVENTS = ("view_product", "add_to_cart", "remove_from_cart", "click")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_DIGITS = re.compile(r"^[0-9]{1,15}$")


class AwsClickstreamDialect:
    name = "aws-clickstream"

    def claims(self, request: HttpRequest) -> bool:
        return request.path in ("", "/") and "appId" in request.query and "platform" in request.query

    def claims_payload(self, payload: dict[str, Any]) -> bool:
        return False

    def decode(self, request: HttpRequest, limits: IngestLimits) -> Decoded:
        check_method_and_type(request)
        body = read_body(request, limits.max_body_bytes)
        payload, may_hold_markers = parse_body(body)
        if isinstance(payload, TooDeep):
            return Decoded([payload], body, True, request.query.get("appId") or None)
        if not isinstance(payload, list) or not payload:
            raise RequestRejected(400, "body must be a non-empty JSON array of events")
        if len(payload) > limits.max_batch_events:
            raise RequestRejected(413, f"batch has {len(payload)} events; the limit is {limits.max_batch_events}")
        shared: dict[str, Any] = {}
        sent_at = request.query.get("upload_timestamp", "")
        if sent_at:
            shared["sentAt"] = int(sent_at) if _DIGITS.match(sent_at) else sent_at
        return Decoded(payload, body, may_hold_markers, request.query.get("appId") or None, shared)

    def translate(self, original: Any, shared: Mapping[str, Any]) -> Mapped:
        if not isinstance(original, dict):
            raise Unmappable("an event must be a JSON object")
        rest = dict(original)
        kind = rest.pop("event_type", None)
        if not isinstance(kind, str) or not kind.strip():
            raise Unmappable("an event needs its 'event_type'", "event_type")
        event: dict[str, Any] = {"eventName": EVENT_NAMES.get(kind) or snake_name(kind)}
        if event["eventName"] != kind:
            rest["event_type"] = kind
        attributes = rest.pop("attributes", None)
        attributes = (
            dict(attributes)
            if isinstance(attributes, dict)
            else ({} if attributes is None else {"attributes": attributes})
        )
        user = rest.pop("user", None)
        user = dict(user) if isinstance(user, dict) else ({} if user is None else {"user": user})
        items = rest.pop("items", None)
        items = [dict(item) if isinstance(item, dict) else item for item in items] if isinstance(items, list) else items
        for key, target in (("event_id", "eventId"), ("device_id", "clientId"), ("timestamp", "eventTimestamp")):
            if rest.get(key) not in (None, ""):
                event[target] = rest.pop(key)
        if "sentAt" in shared:
            event["sentAt"] = shared["sentAt"]
        user_id = user.get("_user_id")
        if isinstance(user_id, dict) and user_id.get("value") not in (None, ""):
            user["_user_id"] = dict(user_id)
            event["userId"] = id_text(user["_user_id"].pop("value"))
        for key, target in (
            ("_session_id", "sessionId"),
            ("_page_url", "pageUrl"),
            ("_page_title", "pageTitle"),
            ("_page_referrer", "referrer"),
        ):
            if isinstance(attributes.get(key), str) and (attributes[key] or target == "referrer"):
                event[target] = attributes.pop(key)
        if event["eventName"] == "search":
            term = attributes.pop("_search_term", None)
            if term is None:
                term = attributes.pop("search_term", None)
            if term is not None:
                event["search"] = {"query": term}
        _commerce(event, items, attributes)
        found = Flattened()
        found.add(attributes)
        library, version = rest.pop("sdk_name", None), rest.pop("sdk_version", None)
        found.add(rest)
        if user:
            found.add(user, "user")
        if items:
            found.add(items, "items")
        if found.properties:
            event["properties"] = found.properties
        source = Source(
            self.name,
            library[:128] if isinstance(library, str) else None,
            version[:64] if isinstance(version, str) else None,
        )
        return Mapped(event, source, found.leftover())

    def answer(self, reply: Reply) -> Reply:
        if reply.status == 400 and "rejected" in reply.body and reply.body.get("accepted") == 0:
            return reply.with_status(200)
        return reply


def _commerce(event: dict[str, Any], items: Any, attributes: dict[str, Any]) -> None:
    products = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    name = event["eventName"]
    if name in _PRODUCT_EVENTS and products and products[0].get("id") not in (None, ""):
        event["product"] = taken_product(products[0])
    elif name == "purchase":
        id_key = next(
            (k for k in ("transaction_id", "_transaction_id", "order_id") if attributes.get(k) not in (None, "")), None
        )
        if id_key is None:
            return
        order: dict[str, Any] = {"id": id_text(attributes.pop(id_key))}
        complete = (
            products
            and all(
                product.get("id") not in (None, "")
                and is_number(product.get("price"))
                and is_number(product.get("quantity", 1))
                for product in products
            )
            and len(products) == len(items)
        )
        revenue_key = next((k for k in ("value", "_value", "revenue") if k in attributes), None)
        if revenue_key is not None:
            order["revenue"] = attributes.pop(revenue_key)
        elif complete:
            order["revenue"] = round(sum(p["price"] * p.get("quantity", 1) for p in products), 2)
        currency_key = next((k for k in ("currency", "_currency") if k in attributes), None)
        if (
            currency_key is not None
            and isinstance(attributes[currency_key], str)
            and _CURRENCY.match(attributes[currency_key])
        ):
            order["currency"] = attributes.pop(currency_key).upper()
        if complete:
            order["items"] = [
                {"productId": id_text(p.pop("id")), "quantity": p.pop("quantity", 1), "price": p.pop("price")}
                for p in products
            ]
        event["order"] = order
