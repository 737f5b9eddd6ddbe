"""The Segment spec (https://segment.com/docs/connections/spec/), which Segment's analytics.js / analytics-next,
RudderStack and every "Segment-compatible" library speak: reading its requests and mapping its events to v1.

One call per event type (``/v1/track``, ``/v1/page``, ...; analytics-next's short ``/t``, ``/p``, ...) or a batch
(``{"batch": [...], "sentAt"}`` at ``/v1/batch`` or ``/b``); the write key in the body, in HTTP Basic auth, or (a
beacon, which can set no header) in the query. The mapping (docs/collector.md has the table):

- ``page`` is ``page_view``; ``track`` maps the e-commerce spec v2 names (``Product Viewed`` is ``view_product``,
  ...), any other name snake_cased (``Video Played`` is ``video_played``); ``screen``, ``identify``, ``group`` and
  ``alias`` are ``screen_view``, ``identify``, ``group`` and ``alias``.
- ``messageId`` is ``eventId``, ``anonymousId`` ``clientId``, ``userId`` ``userId``, ``timestamp``
  ``eventTimestamp``, ``sentAt`` (the event's, else the batch's) ``sentAt``; ``context.sessionId`` (RudderStack)
  ``sessionId``.
- The page from ``context.page`` (a page call's own ``properties.url/title/referrer`` first), the product from the
  properties of a product event, the order (``order_id``, ``revenue``, else ``total``, ``currency``, ``products``)
  from ``Order Completed``, the query from ``Products Searched``.
- Everything else the event carries (its other properties, ``traits``, the rest of ``context``, ``name``,
  ``category``, ``groupId``, ``previousId``, ...) goes to ``properties`` (ingest_lambda.dialects.flatten). Only the
  SDK's delivery plumbing is left out: ``writeKey`` (checked, never stored), ``_metadata`` (which destinations were
  bundled), ``integrations``, ``context.library`` (the stored line's ``source``) and ``context.userAgent`` (the
  request's own header is stored).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from ingest_lambda.body import HttpRequest, RequestRejected, check_method_and_type, parse_body, read_body
from ingest_lambda.dialects.flatten import Flattened
from ingest_lambda.dialects.seam import Decoded, Mapped, Source, Unmappable
from ingest_lambda.dialects.values import id_text, is_number, snake_name
from ingest_lambda.limits import IngestLimits
from ingest_lambda.nesting import TooDeep
from ingest_lambda.reply import Reply

# The call each path names: the spec's own and analytics-next's first letters. None: a batch.
CALL_OF_PATH: dict[str, str | None] = {
    "track": "track",
    "page": "page",
    "screen": "screen",
    "identify": "identify",
    "group": "group",
    "alias": "alias",
    "batch": None,
    "t": "track",
    "p": "page",
    "s": "screen",
    "i": "identify",
    "g": "group",
    "a": "alias",
    "b": None,
}
MEDIA_TYPES = ("application/json", "text/plain")

# E-commerce spec v2 (and the B2B spec's sign-up and sign-in) to the v1 standard names.
EVENT_NAMES = {
    "Product Viewed": "view_product",
    "Product Clicked": "click",
    "Product Added": "add_to_cart",
    "Product Removed": "remove_from_cart",
    "Checkout Started": "begin_checkout",
    "Order Completed": "purchase",
    "Products Searched": "search",
    "Signed Up": "sign_up",
    "Signed In": "login",
}
_CALL_NAMES = {"page": "page_view", "screen": "screen_view", "identify": "identify", "group": "group", "alias": "alias"}
_PRODUCT_EVENTS = ("view_product", "add_to_cart", "remove_from_cart", "click")
# What the SDK adds for its own delivery: not the shop's data (docs/collector.md, "what is lost").
_PLUMBING = ("writeKey", "_metadata", "integrations", "options")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


def call_of(path: str, prefixes: tuple[str, ...]) -> tuple[bool, str | None]:
    """(whether `path` is a Segment-spec route under one of `prefixes`, the call it names or None for a batch)."""
    for prefix in prefixes:
        if path.startswith(prefix):
            name = path[len(prefix) :].strip("/")
            if name in CALL_OF_PATH:
                return True, CALL_OF_PATH[name]
    return False, None


def decode_spec_request(request: HttpRequest, limits: IngestLimits, call: str | None, is_batch: bool) -> Decoded:
    """The events of one Segment-spec request: one call, or a batch's; the write key wherever it was sent."""
    check_method_and_type(request, MEDIA_TYPES)
    text = read_body(request, limits.max_body_bytes)
    payload, may_hold_markers = parse_body(text)
    if isinstance(payload, TooDeep):
        return Decoded([payload], text, True, _write_key(request, None))
    if not isinstance(payload, dict):
        raise RequestRejected(400, 'body must be a JSON object: one call, or {"batch": [...]}')
    shared: dict[str, Any] = {}
    if call is not None:
        shared["call"] = call
    if is_batch or "batch" in payload:
        originals = payload.get("batch")
        if not isinstance(originals, list):
            raise RequestRejected(400, "a batch is {\"batch\": [...]}: 'batch' must be an array of calls")
        if not originals:
            raise RequestRejected(400, "'batch' is empty: send at least one call")
        if len(originals) > limits.max_batch_events:
            raise RequestRejected(413, f"batch has {len(originals)} calls; the limit is {limits.max_batch_events}")
        if "sentAt" in payload:
            shared["sentAt"] = payload["sentAt"]
    else:
        originals = [payload]
    return Decoded(originals, text, may_hold_markers, _write_key(request, payload), shared)


def _write_key(request: HttpRequest, payload: Any) -> str | None:
    """The write key: the body's ``writeKey``, else HTTP Basic auth's user name, else the query's ``writeKey``."""
    if isinstance(payload, dict):
        key = payload.get("writeKey")
        if key is None and isinstance(payload.get("batch"), list) and payload["batch"]:
            first = payload["batch"][0]
            key = first.get("writeKey") if isinstance(first, dict) else None
        if isinstance(key, str) and key:
            return key
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and token:
        try:
            user = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, ValueError):
            user = ""
        if user:
            return user
    return request.query.get("writeKey") or None


def spec_answer(reply: Reply) -> Reply:
    """The ingest's JSON answer with ``success`` (Segment's HTTP API's word): true when something was stored."""
    return reply.with_body({"success": reply.status < 400, **reply.body})


def translate_spec_event(original: Any, shared: Mapping[str, Any], dialect: str) -> Mapped:
    """One Segment-spec call as a v1 event (see the module's docstring for the mapping)."""
    if not isinstance(original, dict):
        raise Unmappable("a call must be a JSON object")
    rest = dict(original)
    for key in _PLUMBING:
        rest.pop(key, None)
    call = rest.pop("type", None) or shared.get("call")
    if not isinstance(call, str) or (call != "track" and call not in _CALL_NAMES):
        raise Unmappable(
            f"type {str(call)[:40]!r} is none of the spec's calls (track, page, screen, identify, group, alias)", "type"
        )
    context = rest.pop("context", None)
    context = dict(context) if isinstance(context, dict) else ({} if context is None else {"context": context})
    properties = rest.pop("properties", None)
    properties = (
        dict(properties) if isinstance(properties, dict) else ({} if properties is None else {"value": properties})
    )
    event: dict[str, Any] = {}

    if call == "track":
        name = rest.pop("event", None)
        if not isinstance(name, str) or not name.strip():
            raise Unmappable("a track call needs its event name", "event")
        event["eventName"] = event_name(name)
        if event["eventName"] != name:
            rest["event"] = name
    else:
        event["eventName"] = _CALL_NAMES[call]
    _ids(rest, context, shared, event)
    _page(call, properties, context, event)
    commerce(event["eventName"], properties, event)

    library = context.pop("library", None)
    context.pop("userAgent", None)
    found = Flattened()
    found.add(properties)
    if "traits" in rest:
        found.add(rest.pop("traits"), "traits")
    found.add(rest)
    if context:
        # The same in every call of a page (and a batch's calls share one): flattened once.
        found.add_repeated(context, "context")
    if found.properties:
        event["properties"] = found.properties
    name_, version = (library.get("name"), library.get("version")) if isinstance(library, dict) else (None, None)
    source = Source(dialect, _text(name_, 128), _text(version, 64))
    return Mapped(event, source, found.leftover())


def event_name(name: str) -> str:
    """A spec event name as a v1 name: the standard one it means, else snake_case (``Video Played``:
    ``video_played``), at most 64 characters, starting with a letter."""
    return EVENT_NAMES.get(name) or snake_name(name)


def _ids(rest: dict[str, Any], context: dict[str, Any], shared: Mapping[str, Any], event: dict[str, Any]) -> None:
    for source_key, target in (("messageId", "eventId"), ("anonymousId", "clientId"), ("userId", "userId")):
        value = rest.pop(source_key, None)
        if value is not None and value != "":
            event[target] = id_text(value)
    timestamp = rest.pop("timestamp", None) or rest.get("originalTimestamp")
    if timestamp is not None:
        event["eventTimestamp"] = timestamp
        if rest.get("originalTimestamp") == timestamp:
            rest.pop("originalTimestamp")
    sent_at = rest.pop("sentAt", None) or shared.get("sentAt")
    if sent_at is not None:
        event["sentAt"] = sent_at
    session = context.pop("sessionId", None)
    if isinstance(session, int | float | str) and not isinstance(session, bool) and session != "":
        event["sessionId"] = str(session)
    elif session is not None:
        context["sessionId"] = session


def _page(call: str, properties: dict[str, Any], context: dict[str, Any], event: dict[str, Any]) -> None:
    """pageUrl, pageTitle and referrer: a page call's own properties first, else the context's page."""
    page = context.get("page")
    if not isinstance(page, dict):
        page = {}
    elif page:
        # A copy: the original is kept as it was sent when part of it fits nowhere.
        page = context["page"] = dict(page)
    for key, target in (("url", "pageUrl"), ("title", "pageTitle"), ("referrer", "referrer")):
        value = properties.pop(key, None) if call == "page" and isinstance(properties.get(key), str) else None
        if value is not None and page.get(key) == value:
            page.pop(key)
        if value is None and isinstance(page.get(key), str):
            value = page.pop(key)
        if value is not None:
            # RudderStack's word for no referrer; Segment's is "" (which v1 keeps as "", read as none downstream).
            event[target] = "" if target == "referrer" and value == "$direct" else value
    if call == "page":
        # What the call's properties repeat of the context's page is said once.
        for key in ("path", "search"):
            if key in properties and properties[key] == page.get(key):
                page.pop(key)
    if "page" in context and not context["page"]:
        context.pop("page")


def commerce(name: str, properties: dict[str, Any], event: dict[str, Any]) -> None:
    """The product, order or search of a v1 event named `name` from the spec's `properties` (taken out of them)."""
    if name in _PRODUCT_EVENTS:
        product = _product(properties)
        if product is not None:
            event["product"] = product
    elif name == "purchase":
        order = _order(properties)
        if order is not None:
            event["order"] = order
    elif name == "search" and "query" in properties:
        event["search"] = {"query": properties.pop("query")}


def _product(properties: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("product_id", "sku", "id"):
        if properties.get(key) not in (None, ""):
            break
    else:
        return None
    product: dict[str, Any] = {"id": id_text(properties.pop(key))}
    for source_key in ("name", "category", "brand", "price"):
        if source_key in properties and properties[source_key] is not None:
            product[source_key] = properties.pop(source_key)
    return product


def _order(properties: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("order_id", "checkout_id"):
        if properties.get(key) not in (None, ""):
            break
    else:
        return None
    order: dict[str, Any] = {"id": id_text(properties.pop(key))}
    products = properties.get("products")
    items = _items(products) if isinstance(products, list) else None
    revenue_key = next((k for k in ("revenue", "total", "value") if k in properties), None)
    if revenue_key is not None:
        order["revenue"] = properties.pop(revenue_key)
    elif items:
        order["revenue"] = round(sum(item["price"] * item["quantity"] for item in items), 2)
    currency = properties.get("currency")
    if isinstance(currency, str) and _CURRENCY.match(currency):
        order["currency"] = properties.pop("currency").upper()
    if items is not None:
        order["items"] = items
        # What the items carry beyond id, price and quantity (name, sku, category, ...) stays in properties.
        leftovers = [_beyond_item(product) for product in products]  # type: ignore[union-attr]
        if any(leftovers):
            properties["products"] = leftovers
        else:
            properties.pop("products")
    return order


def _items(products: list[Any]) -> list[dict[str, Any]] | None:
    """The order's items, when every product has an id and a numeric price (else None: they stay in properties)."""
    items = []
    for product in products:
        if not isinstance(product, dict):
            return None
        product_id, price = product.get("product_id") or product.get("id"), product.get("price")
        quantity = product.get("quantity", 1)
        if product_id in (None, "") or not is_number(price) or not is_number(quantity):
            return None
        items.append({"productId": id_text(product_id), "quantity": quantity, "price": price})
    return items


def _beyond_item(product: dict[str, Any]) -> dict[str, Any]:
    """What a product carries beyond the keys its order item holds."""
    held = ("product_id", "price", "quantity") if product.get("product_id") else ("id", "price", "quantity")
    return {k: v for k, v in product.items() if k not in held}


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None
