"""Plausible's tracker (the script, or @plausible-analytics/tracker from npm), and anything posting Plausible's
events API.

Requests: ``POST /clickstream/api/event`` (the tracker's ``endpoint``), or the same object posted to
``/clickstream`` itself: one event, ``{n, u, d, r, p, $, i, h, v}`` (or the long names ``name``, ``url``,
``domain``, ``referrer``, ``props``, ``revenue``, ``interactive``), ``text/plain`` (no CORS preflight), sent once
with ``keepalive`` and never retried. Plausible sends no visitor id, no event id and no time: the event's
``clientId`` is the day's visitor id the ingest derives from the site, the address and the user agent
(ingest_lambda.privacy.Pseudonymizer.daily_visitor_id: a visitor is new each day), its id and time the server's.

The mapping (docs/collector.md has the table): ``pageview`` is ``page_view``, other names as the Segment spec maps
them (``Product Viewed`` is ``view_product``, ...); ``u`` is ``pageUrl``, ``r`` ``referrer``; the product, order
and search from the props as Segment's, with ``$`` (revenue: ``amount``, ``currency``) the order's revenue and
currency. Props are strings in Plausible, so a prop the product or order reads as a number (``price``,
``revenue``, ``quantity``, ...) is read as one. The rest (``d``, the engagement's ``sd`` and ``e``, ...) goes to
``properties``; the script version ``v`` is the stored ``source.version``.

The answer: 202, as Plausible's API answers, with the ingest's JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ingest_lambda.body import HttpRequest
from ingest_lambda.dialects.flatten import Flattened
from ingest_lambda.dialects.seam import Decoded, Mapped, Source, Unmappable
from ingest_lambda.dialects.segment_spec import commerce, event_name
from ingest_lambda.dialects.single_event import decode_single_event
from ingest_lambda.limits import IngestLimits
from ingest_lambda.reply import Reply

EVENT_PATH = "/api/event"
_NOT_AN_EVENT = "body must be one Plausible event, a JSON object {n, u, d, ...}"
# Plausible's short field names and the long ones its API also takes.
_FIELDS = {
    "n": "name",
    "u": "url",
    "d": "domain",
    "r": "referrer",
    "p": "props",
    "m": "props",
    "$": "revenue",
    "i": "interactive",
    "h": "hashMode",
}
_NAMES = {"pageview": "page_view", "engagement": "engagement"}
# Props the product and order read as numbers (Plausible's props are strings).
_NUMERIC = ("price", "revenue", "total", "value", "quantity")


class PlausibleDialect:
    name = "plausible"

    def claims(self, request: HttpRequest) -> bool:
        return request.path.rstrip("/") == EVENT_PATH

    def claims_payload(self, payload: dict[str, Any]) -> bool:
        return isinstance(payload.get("n"), str) and isinstance(payload.get("u"), str) and "d" in payload

    def decode(self, request: HttpRequest, limits: IngestLimits) -> Decoded:
        return decode_single_event(request, limits, _NOT_AN_EVENT, _site)

    def translate(self, original: Any, shared: Mapping[str, Any]) -> Mapped:
        return translate_event(original)

    def answer(self, reply: Reply) -> Reply:
        return reply.with_status(202) if reply.status == 200 else reply


def _site(payload: dict[str, Any]) -> Any:
    return payload.get("d", payload.get("domain"))


def translate_event(original: Any) -> Mapped:
    """One Plausible event as a v1 event (see the module's docstring for the mapping)."""
    if not isinstance(original, dict):
        raise Unmappable("an event must be a JSON object")
    rest = {_FIELDS.get(key, key): value for key, value in original.items()}
    name = rest.pop("name", None)
    if not isinstance(name, str) or not name.strip():
        raise Unmappable("an event needs its name (n)", "n")
    event: dict[str, Any] = {"eventName": _NAMES.get(name) or event_name(name)}
    if event["eventName"] != name:
        rest["event"] = name
    url = rest.pop("url", None)
    if url is not None:
        event["pageUrl"] = url
    referrer = rest.pop("referrer", None)
    if referrer is not None:
        event["referrer"] = referrer
    props = rest.pop("props", None)
    props = dict(props) if isinstance(props, dict) else ({} if props is None else {"props": props})
    revenue = rest.pop("revenue", None)
    if isinstance(revenue, dict):
        props.setdefault("revenue", revenue.get("amount"))
        if revenue.get("currency") is not None:
            props.setdefault("currency", revenue.get("currency"))
        rest.update({f"revenue.{k}": v for k, v in revenue.items() if k not in ("amount", "currency")})
    elif revenue is not None:
        rest["revenue"] = revenue
    for key in _NUMERIC:
        if isinstance(props.get(key), str):
            props[key] = _number(props[key])
    commerce(event["eventName"], props, event)

    version = rest.pop("v", None)
    site = rest.get("domain")
    found = Flattened()
    found.add(props)
    found.add(rest)
    if found.properties:
        event["properties"] = found.properties
    source = Source("plausible", "plausible", str(version)[:64] if isinstance(version, int | str) else None)
    return Mapped(event, source, found.leftover(), visitor_site=site if isinstance(site, str) else "")


def _number(text: str) -> Any:
    """A prop sent as text (``"12.5"``) as the number it spells; anything else as sent (validation says)."""
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
