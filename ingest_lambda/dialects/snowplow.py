"""The Snowplow tracker protocol (https://docs.snowplow.io/docs/events/tracker-protocol/), as the JavaScript tracker
(@snowplow/browser-tracker) and its e-commerce plugin (@snowplow/browser-plugin-snowplow-ecommerce) speak it.

Requests: ``POST /clickstream/com.snowplowanalytics.snowplow/tp2`` (the default ``postPath``) with the
``payload_data`` envelope ``{"schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4",
"data": [...]}``, the same envelope posted to ``/clickstream`` itself, and ``GET /clickstream/i?e=pv&...`` (the
tracker's ``eventMethod: 'get'``, and a pixel in an ``<img>``): one event as the query. Each event is a flat map of
strings; its self-describing event (``ue_pr``, or base64url ``ue_px``) and its entities (``co``, or ``cx``) are JSON
in those strings, decoded here so that the ingest's checks (depth, e-mail scrub, text repair) see them and a kept
original shows them.

The mapping (docs/collector.md has the table): ``e`` ``pv`` is ``page_view``; ``ue`` with a
``snowplow_ecommerce_action`` is its action (``product_view`` is ``view_product``, ``transaction`` ``purchase``,
...), the product from the first ``product`` entity, the order from the ``transaction`` entity and the product
entities; any other self-describing event is its schema's name; ``se`` is its action, snake_cased. ``eid`` is
``eventId``, ``duid`` ``clientId``, ``sid`` ``sessionId``, ``uid`` ``userId``, ``ttm`` (else ``dtm``)
``eventTimestamp``, ``stm`` ``sentAt``, ``url``/``page``/``refr`` the page. The rest goes to ``properties``:
the event's other fields under their protocol names, the event's data and each entity under its schema's name.
Only ``tv`` (the stored line's ``source``) and the envelopes' schema URIs are left out.

The answer: the JavaScript tracker counts any 2xx as sent and does not retry 400, 401, 403, 410 or 422 (it retries
anything else); the body is not read, so it is the ingest's JSON; ``/i`` answers a 1x1 GIF whatever happened.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ingest_lambda.body import HttpRequest, RequestRejected, check_method_and_type, parse_body, read_body
from ingest_lambda.dialects.flatten import Flattened
from ingest_lambda.dialects.seam import Decoded, Mapped, Source, Unmappable
from ingest_lambda.dialects.values import id_text, is_number, snake_name, taken_product
from ingest_lambda.limits import IngestLimits
from ingest_lambda.nesting import TooDeep
from ingest_lambda.reply import Reply

POST_PATH = "/com.snowplowanalytics.snowplow/tp2"
PIXEL_PATH = "/i"
PAYLOAD_DATA = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/"
MEDIA_TYPES = ("application/json", "text/plain")
# The smallest transparent GIF: what a Snowplow collector answers at /i.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

_ECOMMERCE_ACTION = "snowplow_ecommerce_action"
# The e-commerce plugin's action types to the v1 standard names; others keep their own (``list_view``, ``refund``).
ACTION_NAMES = {
    "product_view": "view_product",
    "add_to_cart": "add_to_cart",
    "remove_from_cart": "remove_from_cart",
    "list_click": "click",
    "transaction": "purchase",
}
_PRODUCT_EVENTS = ("view_product", "add_to_cart", "remove_from_cart", "click")
# Event types of the protocol other than pv, se and ue.
_EVENT_TYPES = {"pp": "page_ping", "tr": "purchase", "ti": "transaction_item"}
# The JSON fields, as sent in a POST (``ue_pr``, ``co``) and base64url-encoded (``ue_px``, ``cx``).
_JSON_FIELDS = {"ue_pr": False, "ue_px": True, "co": False, "cx": True}
_IGLU = re.compile(r"^iglu:([^/]+)/([^/]+)/jsonschema/([0-9-]+)$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_DIGITS = re.compile(r"^[0-9]{1,15}$")
_STRINGS_ONLY = frozenset({str})


class SnowplowDialect:
    name = "snowplow"

    def claims(self, request: HttpRequest) -> bool:
        return request.path == POST_PATH

    def claims_payload(self, payload: dict[str, Any]) -> bool:
        schema = payload.get("schema")
        return isinstance(schema, str) and schema.startswith(PAYLOAD_DATA)

    def decode(self, request: HttpRequest, limits: IngestLimits) -> Decoded:
        if request.path == PIXEL_PATH:
            if not request.query:
                raise RequestRejected(400, "a pixel request carries its event in the query (e=pv&...)", "GET")
            originals: list[Any] = [dict(request.query)]
            texts = [b""]
            may_hold_markers = False
        else:
            check_method_and_type(request, MEDIA_TYPES)
            body = read_body(request, limits.max_body_bytes)
            payload, may_hold_markers = parse_body(body)
            if isinstance(payload, TooDeep):
                return Decoded([payload], body, True, None)
            if not isinstance(payload, dict) or not self.claims_payload(payload):
                raise RequestRejected(
                    400, f'body must be the payload_data envelope: {{"schema": "{PAYLOAD_DATA}1-0-4", "data": [...]}}'
                )
            events = payload.get("data")
            if not isinstance(events, list) or not events:
                raise RequestRejected(400, "the envelope's 'data' must be a non-empty array of events")
            if len(events) > limits.max_batch_events:
                raise RequestRejected(413, f"envelope has {len(events)} events; the limit is {limits.max_batch_events}")
            originals = [dict(event) if isinstance(event, dict) else event for event in events]
            texts = [body]
        # The protocol's events are flat maps of strings: then only the JSON in those strings can nest, and the
        # depth check reads that JSON alone, not the body where it is escaped (a third of a batch's cost to check).
        flat = all(
            type(original) is dict and set(map(type, original.values())) <= _STRINGS_ONLY for original in originals
        )
        for original in originals:
            if isinstance(original, dict):
                may_hold_markers |= _decode_json_fields(original, texts)
        app_ids = {_app_id(original) for original in originals}
        # The app id is the write key when every event names the same one (else none: refused if keys are listed).
        write_key = app_ids.pop() if len(app_ids) == 1 else None
        # One array of the decoded values: each is a member of its event as it is an element here, one level down.
        shape = b"[" + b",".join(texts[1:]) + b"]" if flat else None
        return Decoded(originals, b"\n".join(texts), may_hold_markers, write_key or None, shape_text=shape)

    def translate(self, original: Any, shared: Mapping[str, Any]) -> Mapped:
        if not isinstance(original, dict):
            raise Unmappable("an event must be a JSON object (a map of the protocol's fields)")
        rest = dict(original)
        kind = rest.pop("e", None)
        if not isinstance(kind, str) or not kind:
            raise Unmappable("an event needs its type 'e' (pv, se, ue, ...)", "e")
        found = Flattened()
        event: dict[str, Any] = {}
        entities = _entities(rest)
        if kind == "pv":
            event["eventName"] = "page_view"
        elif kind == "se":
            action = rest.get("se_ac")
            if not isinstance(action, str) or not action.strip():
                raise Unmappable("a structured event needs its action 'se_ac'", "se_ac")
            event["eventName"] = snake_name(action)
        elif kind == "ue":
            event["eventName"] = _self_describing(rest, entities, found)
        else:
            event["eventName"] = _EVENT_TYPES.get(kind) or snake_name(kind)
            if kind != event["eventName"]:
                found.add(kind, "e")
        _ids(rest, event)
        _commerce(event["eventName"], entities, event, rest)
        tracker = rest.pop("tv", None)
        found.add(rest)
        for name, data in entities.items():
            found.add(data[0] if len(data) == 1 else data, name)
        if found.properties:
            event["properties"] = found.properties
        return Mapped(event, _source(self.name, tracker), found.leftover())

    def answer(self, reply: Reply) -> Reply:
        return reply


class SnowplowPixelDialect(SnowplowDialect):
    """``GET /clickstream/i``: one event in the query, answered with a 1x1 GIF (an ``<img>`` shows it)."""

    def claims(self, request: HttpRequest) -> bool:
        # A GET: analytics-next posts its identify calls to the same /i (ingest_lambda.dialects.segment).
        return request.path == PIXEL_PATH and request.method.upper() == "GET"

    def claims_payload(self, payload: dict[str, Any]) -> bool:
        return False

    def answer(self, reply: Reply) -> Reply:
        return reply.sent_as(PIXEL, "image/gif")


def _app_id(original: Any) -> str:
    app_id = original.get("aid") if isinstance(original, dict) else None
    return app_id if isinstance(app_id, str) else ""


def _decode_json_fields(original: dict[str, Any], texts: list[bytes]) -> bool:
    """The event's JSON fields (``ue_pr``/``ue_px``, ``co``/``cx``) as the values they encode, their text added to
    `texts`; a field that is no valid JSON stays the string it was (the mapping then says so). Whether a decoded
    value may hold `OutOfRange`/`TooDeep` markers."""
    markers = False
    for key, encoded in _JSON_FIELDS.items():
        value = original.get(key)
        if not isinstance(value, str):
            continue
        raw = value.encode("utf-8", "surrogatepass")
        if encoded:
            try:
                raw = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
            except (binascii.Error, ValueError):
                continue
        try:
            parsed, deep = parse_body(raw)
        except RequestRejected:
            continue
        original[key] = parsed
        texts.append(raw)
        markers |= deep
    return markers


def _source(dialect: str, tracker: Any) -> Source:
    """The tracker as ``tv`` names it: ``js-4.10.1`` is library ``js``, version ``4.10.1``."""
    if not isinstance(tracker, str) or not tracker:
        return Source(dialect)
    return _tracker_source(dialect, tracker) if len(tracker) <= _MAX_CACHED_CHARS else _parsed_source(dialect, tracker)


# Every event of a tracker names the same tracker and the same few schemas: each read once (bounded: texts of the
# length such names have, the most recent few hundred).
_MAX_CACHED_CHARS = 256


@lru_cache(maxsize=64)
def _tracker_source(dialect: str, tracker: str) -> Source:
    return _parsed_source(dialect, tracker)


def _parsed_source(dialect: str, tracker: str) -> Source:
    library, dash, version = tracker.rpartition("-")
    return Source(dialect, (library if dash else tracker)[:128], (version if dash else None) and version[:64])


def _entities(rest: dict[str, Any]) -> dict[str, list[Any]]:
    """The event's entities (``co``/``cx``, decoded) by their schema's name: ``product``, ``transaction``,
    ``web_page``, ... A field that is not the contexts envelope stays in `rest` (for properties) as it was."""
    entities: dict[str, list[Any]] = {}
    for key in ("co", "cx"):
        contexts = rest.get(key)
        if not isinstance(contexts, dict) or not isinstance(contexts.get("data"), list):
            continue
        rest.pop(key)
        for entity in contexts["data"]:
            name = _schema_name(entity.get("schema")) if isinstance(entity, dict) else None
            if name is None or "data" not in entity:
                entities.setdefault("contexts", []).append(entity)
            else:
                data = entity["data"]
                entities.setdefault(name, []).append(dict(data) if isinstance(data, dict) else data)
    return entities


def _self_describing(rest: dict[str, Any], entities: dict[str, list[Any]], found: Flattened) -> str:
    """The v1 name of a self-describing event (``ue_pr``/``ue_px``, decoded); its data goes to properties."""
    envelope = rest.pop("ue_pr", None)
    if envelope is None:
        envelope = rest.pop("ue_px", None)
    inner = envelope.get("data") if isinstance(envelope, dict) else None
    schema = inner.get("schema") if isinstance(inner, dict) else None
    name = _schema_name(schema)
    if name is None or not isinstance(inner, dict):
        raise Unmappable(
            "a self-describing event needs 'ue_pr' (or 'ue_px'): {schema, data: {schema: 'iglu:...'}}", "ue_pr"
        )
    data = inner.get("data")
    data = dict(data) if isinstance(data, dict) else {"data": data}
    found.add(schema, "schema")
    if name == _ECOMMERCE_ACTION:
        action = data.pop("type", None)
        if not isinstance(action, str) or not action:
            raise Unmappable("an e-commerce action needs its 'type'", "ue_pr.data.data.type")
        if action == "checkout_step":
            step = entities.get("checkout_step", [{}])[0]
            # The first step is where the checkout begins; the later ones are steps of it.
            name = "begin_checkout" if isinstance(step, dict) and step.get("step") == 1 else action
        else:
            name = ACTION_NAMES.get(action, action)
    found.add(data)
    return snake_name(name)


def _ids(rest: dict[str, Any], event: dict[str, Any]) -> None:
    for key, target in (
        ("eid", "eventId"),
        ("duid", "clientId"),
        ("sid", "sessionId"),
        ("uid", "userId"),
        ("url", "pageUrl"),
        ("page", "pageTitle"),
        ("refr", "referrer"),
    ):
        value = rest.get(key)
        if isinstance(value, str) and value:
            event[target] = rest.pop(key)
    # The true timestamp (set by the shop) over the device's; the device's clock is then in properties.
    for key, target in (("ttm", "eventTimestamp"), ("dtm", "eventTimestamp"), ("stm", "sentAt")):
        value = rest.get(key)
        if target not in event and value not in (None, ""):
            rest.pop(key)
            event[target] = int(value) if isinstance(value, str) and _DIGITS.match(value) else value


def _commerce(name: str, entities: dict[str, list[Any]], event: dict[str, Any], rest: dict[str, Any]) -> None:
    products = [product for product in entities.get("product", []) if isinstance(product, dict)]
    if name in _PRODUCT_EVENTS and products and products[0].get("id") not in (None, ""):
        event["product"] = taken_product(products[0])
    elif name == "purchase":
        transaction = next((t for t in entities.get("transaction", []) if isinstance(t, dict)), None)
        if transaction is not None and transaction.get("transaction_id") not in (None, ""):
            order = _order(transaction, "transaction_id", "revenue", "currency")
            items = _items(products)
            if items is not None:
                order["items"] = items
            event["order"] = order
        elif rest.get("tr_id") not in (None, ""):
            # The protocol's own (older) transaction event: its fields are strings.
            order = _order(rest, "tr_id", "tr_tt", "tr_cu")
            if isinstance(order.get("revenue"), str):
                order["revenue"] = _number(order["revenue"])
            event["order"] = order
    for key in [key for key, items in entities.items() if not any(items)]:
        del entities[key]


def _order(fields: dict[str, Any], id_key: str, revenue_key: str, currency_key: str) -> dict[str, Any]:
    order: dict[str, Any] = {"id": id_text(fields.pop(id_key))}
    if revenue_key in fields:
        order["revenue"] = fields.pop(revenue_key)
    currency = fields.get(currency_key)
    if isinstance(currency, str) and _CURRENCY.match(currency):
        order["currency"] = fields.pop(currency_key).upper()
    return order


def _items(products: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The order's items from its product entities, when each has an id and a numeric price (else None: they stay
    in properties as sent); what they carry beyond those stays there too."""
    if not products or not all(
        product.get("id") not in (None, "")
        and is_number(product.get("price"))
        and is_number(product.get("quantity", 1))
        for product in products
    ):
        return None
    items = []
    for product in products:
        items.append(
            {
                "productId": id_text(product.pop("id")),
                "quantity": product.pop("quantity", 1),
                "price": product.pop("price"),
            }
        )
    return items


def _schema_name(schema: Any) -> str | None:
    """``product`` of ``iglu:com.snowplowanalytics.snowplow.ecommerce/product/jsonschema/1-0-0``."""
    if not isinstance(schema, str):
        return None
    return _cached_schema_name(schema) if len(schema) <= _MAX_CACHED_CHARS else _parsed_schema_name(schema)


@lru_cache(maxsize=512)
def _cached_schema_name(schema: str) -> str | None:
    return _parsed_schema_name(schema)


def _parsed_schema_name(schema: str) -> str | None:
    match = _IGLU.match(schema)
    return match.group(2) if match else None


def _number(text: str) -> Any:
    try:
        return float(text) if text.strip() else text
    except ValueError:
        return text
