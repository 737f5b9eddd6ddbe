"""Umami's tracker script (src/tracker/index.js, as the ``umami`` npm package ships it), and anything posting
Umami's ``/api/send``.

Requests: ``POST /clickstream/api/send`` (the script's ``data-host-url`` plus ``/api/send``), JSON, one event:
``{"type": "event" | "identify", "payload": {website, hostname, screen, language, title, url, referrer, name?,
data?, id?, timestamp?}}``, and from the second request on an ``x-umami-cache`` header echoing the previous answer
(the CORS preflight must allow it). Umami sends no visitor id and no event id: the event's ``clientId`` is the day's
visitor id the ingest derives from the site, the address and the user agent (as for Plausible:
ingest_lambda.privacy.Pseudonymizer.daily_visitor_id), its id the server's.

The mapping (docs/collector.md has the table): an event without a name is a ``page_view``; named events as the
Segment spec maps them (``Product Viewed`` is ``view_product``, ...), with the product, order and search from
``data``; ``identify`` is ``identify``. ``url`` is a path: ``pageUrl`` is ``https://`` + ``hostname`` + ``url``
(Umami sends neither scheme nor port). ``title`` is sent URI-encoded and stored decoded. ``id`` is ``userId``,
``timestamp`` (seconds) ``eventTimestamp``.

The answer: the ingest's JSON with ``"cache": ""`` (Umami 3's tracker reads ``cache`` from its JSON answer; Umami
2's keeps the whole answer's text and echoes it in ``x-umami-cache``). The tracker never retries and ignores errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from ingest_lambda.body import HttpRequest
from ingest_lambda.dialects.flatten import Flattened
from ingest_lambda.dialects.seam import Decoded, Mapped, Source, Unmappable
from ingest_lambda.dialects.segment_spec import commerce, event_name
from ingest_lambda.dialects.single_event import decode_single_event
from ingest_lambda.limits import IngestLimits
from ingest_lambda.reply import Reply

SEND_PATH = "/api/send"
_NOT_A_CALL = 'body must be one Umami call, {"type": "event", "payload": {...}}'


class UmamiDialect:
    name = "umami"

    def claims(self, request: HttpRequest) -> bool:
        return request.path.rstrip("/") == SEND_PATH

    def claims_payload(self, payload: dict[str, Any]) -> bool:
        return False

    def decode(self, request: HttpRequest, limits: IngestLimits) -> Decoded:
        return decode_single_event(request, limits, _NOT_A_CALL, _site)

    def translate(self, original: Any, shared: Mapping[str, Any]) -> Mapped:
        return translate_call(original)

    def answer(self, reply: Reply) -> Reply:
        return reply.with_body({"cache": "", **reply.body})


def _site(call: dict[str, Any]) -> Any:
    inner = call.get("payload")
    return inner.get("website") if isinstance(inner, dict) else None


def translate_call(original: Any) -> Mapped:
    """One Umami call as a v1 event (see the module's docstring for the mapping)."""
    if not isinstance(original, dict):
        raise Unmappable("a call must be a JSON object")
    rest = dict(original)
    kind = rest.pop("type", "event")
    payload = rest.pop("payload", None)
    if kind not in ("event", "identify"):
        raise Unmappable(f"type {str(kind)[:40]!r} is neither event nor identify", "type")
    if not isinstance(payload, dict):
        raise Unmappable("a call needs its payload object", "payload")
    payload = dict(payload)
    name = payload.pop("name", None)
    if kind == "identify":
        event: dict[str, Any] = {"eventName": "identify"}
    elif name is None:
        event = {"eventName": "page_view"}
    elif isinstance(name, str) and name.strip():
        event = {"eventName": event_name(name)}
        if event["eventName"] != name:
            payload["event"] = name
    else:
        raise Unmappable("an event's name must be text", "payload.name")
    _page(payload, event)
    _user_and_time(payload, event)
    data = payload.pop("data", None)
    data = dict(data) if isinstance(data, dict) else ({} if data is None else {"data": data})
    commerce(event["eventName"], data, event)

    site = payload.get("website")
    found = Flattened()
    found.add(data, "traits" if kind == "identify" else "")
    found.add(payload)
    found.add(rest)
    if found.properties:
        event["properties"] = found.properties
    return Mapped(event, Source("umami", "umami"), found.leftover(), visitor_site=site if isinstance(site, str) else "")


def _page(payload: dict[str, Any], event: dict[str, Any]) -> None:
    url, hostname = payload.get("url"), payload.get("hostname")
    if isinstance(url, str):
        if url.startswith("/") and isinstance(hostname, str) and hostname:
            event["pageUrl"] = f"https://{hostname}{url}"
            payload.pop("hostname")
        else:
            event["pageUrl"] = url
        payload.pop("url")
    title = payload.pop("title", None)
    if isinstance(title, str):
        event["pageTitle"] = _decoded_title(title) if len(title) <= _MAX_CACHED_TITLE_CHARS else unquote(title)
    elif title is not None:
        payload["title"] = title
    referrer = payload.pop("referrer", None)
    if referrer is not None:
        event["referrer"] = referrer


# A site's visitors send the same few hundred titles over and over, and undoing their %-escapes costs more than the
# rest of the page's mapping: decoded once each, for titles of a length a page title has (bounded memory).
_MAX_CACHED_TITLE_CHARS = 512


@lru_cache(maxsize=1024)
def _decoded_title(title: str) -> str:
    return unquote(title)


def _user_and_time(payload: dict[str, Any], event: dict[str, Any]) -> None:
    user = payload.pop("id", None)
    if isinstance(user, str | int) and not isinstance(user, bool) and user != "":
        event["userId"] = str(user)
    elif user is not None:
        payload["id"] = user
    moment = payload.pop("timestamp", None)
    if isinstance(moment, int | float) and not isinstance(moment, bool):
        event["eventTimestamp"] = round(moment * 1000)  # seconds; v1 numbers are milliseconds
    elif moment is not None:
        payload["timestamp"] = moment
