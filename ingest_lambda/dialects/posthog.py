"""PostHog's browser SDK (posthog-js), and any library posting PostHog's capture API.

Requests: ``POST /clickstream/e/``, ``/clickstream/i/v0/e/`` and ``/clickstream/batch/``: ``{"api_key", "batch":
[...], "sent_at"}``, a JSON array of events, or one event; ``text/plain`` (gzip, marked by the body's magic bytes
rather than a header, when the remote config offers ``gzip-js``), JSON, or on unload ``sendBeacon``'s
``application/x-www-form-urlencoded`` ``data=<base64 of the JSON>``. The SDK also asks, before it sends anything,
for its remote configuration (``GET /clickstream/array/<token>/config.js``, else ``.../config``) and, unless that
says there are none, its feature flags (``POST /clickstream/flags/?v=2``): both are answered here (`Answered`), with
no flags, nothing to load (no surveys, replay, heatmaps or site apps) and gzip offered, and nothing is stored.

The mapping (docs/collector.md has the table): ``$pageview`` is ``page_view`` (any other ``$name`` snake_cased),
other names as the Segment spec maps them (``Product Viewed`` is ``view_product``, ...: PostHog's e-commerce
events are Segment's); ``uuid`` is ``eventId``, ``properties.$device_id`` ``clientId``, ``distinct_id`` ``userId``
once identified, ``$session_id`` ``sessionId``, ``timestamp`` ``eventTimestamp``, ``sent_at`` ``sentAt``;
``$current_url``, ``title`` (a page view's) and ``$referrer`` the page fields; the product, order and search from
the properties as Segment's. The rest goes to ``properties``, ``$set``/``$set_once`` under ``set.``/``set_once.``;
left out are the SDK's plumbing (`_PLUMBING`), what it derived from the user agent (`_FROM_USER_AGENT`: the
request's own header is stored and parsed), and null values (posthog-js sends every campaign parameter it looks
for, null when the URL has none).

The answer: the ingest's JSON with ``"status": "Ok"``. posthog-js retries 5xx (and no answer) with back-off and
drops a 4xx without logging it, so a refusal is not sent again.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from ingest_lambda.body import HttpRequest, RequestRejected, check_method_and_type, parse_body, read_body
from ingest_lambda.dialects.flatten import Flattened
from ingest_lambda.dialects.seam import Answered, Decoded, Mapped, Source, Unmappable
from ingest_lambda.dialects.segment_spec import commerce, event_name
from ingest_lambda.dialects.values import id_text
from ingest_lambda.limits import IngestLimits
from ingest_lambda.nesting import TooDeep
from ingest_lambda.reply import Reply
from raw_store.gzip_bounded import GZIP_MAGIC, InflatedTooLarge, InflateError, gunzip_bounded

# ``/batch/`` only with its slash (as every PostHog library sends it): Segment's ``/batch`` is Segment's.
EVENT_PATHS = ("/e", "/e/", "/i/v0/e", "/i/v0/e/", "/batch/")
FLAGS_PATHS = ("/flags", "/flags/", "/decide", "/decide/")
_CONFIG_PATH = re.compile(r"^/array/([^/]{1,200})/config(\.js)?$")
MEDIA_TYPES = ("application/json", "text/plain", "application/x-www-form-urlencoded")

# What the SDK is told: gzip it may use, nothing else to load or ask for.
REMOTE_CONFIG: dict[str, Any] = {
    "supportedCompression": ["gzip", "gzip-js"],
    "hasFeatureFlags": False,
    "autocapture_opt_out": True,
    "autocaptureExceptions": False,
    "captureDeadClicks": False,
    "capturePerformance": False,
    "elementsChainAsString": True,
    "heatmaps": False,
    "sessionRecording": False,
    "surveys": False,
    "productTours": False,
    "siteApps": [],
    "defaultIdentifiedOnly": True,
}
NO_FLAGS: dict[str, Any] = {
    "flags": {},
    "featureFlags": {},
    "featureFlagPayloads": {},
    "errorsWhileComputingFlags": False,
    "quotaLimited": [],
}

_NAMES = {"$pageview": "page_view", "$pageleave": "page_leave", "$screen": "screen_view"}
# The SDK's delivery and bookkeeping, not the shop's data (docs/collector.md, "what is lost"); $lib and
# $lib_version are the stored line's `source`.
_PLUMBING = frozenset(
    {
        "token",
        "$lib",
        "$lib_version",
        "$insert_id",
        "$lib_rate_limit_remaining_tokens",
        "$lib_custom_api_host",
        "$config_defaults",
        "$sdk_dist_channel",
        "$configured_session_timeout_ms",
        "$recording_status",
        "$initialization_time",
        "$process_person_profile",
        "$sdk_debug_retry_queue_size",
        "$sdk_debug_extensions_init_method",
        "$sdk_debug_extensions_init_time_ms",
    }
)
_FROM_USER_AGENT = frozenset(
    {"$raw_user_agent", "$os", "$os_version", "$browser", "$browser_version", "$device_type", "$browser_type"}
)
# Both, dropped in the one pass that drops the nulls.
_LEFT_OUT = _PLUMBING | _FROM_USER_AGENT


class PostHogDialect:
    name = "posthog"

    def claims(self, request: HttpRequest) -> bool:
        path = request.path
        return path in EVENT_PATHS or path in FLAGS_PATHS or _CONFIG_PATH.match(path) is not None

    def claims_payload(self, payload: dict[str, Any]) -> bool:
        return False

    def decode(self, request: HttpRequest, limits: IngestLimits) -> Decoded:
        path = request.path
        if path in FLAGS_PATHS:
            # The flags call carries the visitor's person properties, no event: nothing to store.
            raise Answered(Reply(200, dict(NO_FLAGS)))
        config = _CONFIG_PATH.match(path)
        if config is not None:
            raise Answered(_remote_config(config.group(1), as_script=config.group(2) is not None))
        check_method_and_type(request, MEDIA_TYPES)
        text = _events_text(request, read_body(request, limits.max_body_bytes), limits.max_body_bytes)
        payload, may_hold_markers = parse_body(text)
        key = request.query.get("token") or request.query.get("api_key") or None
        if isinstance(payload, TooDeep):
            return Decoded([payload], text, True, key)
        shared: dict[str, Any] = {}
        if isinstance(payload, list):
            originals = payload
        elif isinstance(payload, dict) and "batch" in payload:
            # Checked before it is named `originals` (a list): compiled with mypyc, that name only holds a list.
            batch = payload["batch"]
            if not isinstance(batch, list):
                raise RequestRejected(400, "a batch is {\"batch\": [...]}: 'batch' must be an array of events")
            originals = batch
            if "sent_at" in payload:
                shared["sentAt"] = payload["sent_at"]
        elif isinstance(payload, dict):
            originals = [payload]
        else:
            raise RequestRejected(400, 'body must be an event, an array of events or {"batch": [...]}')
        if not originals:
            raise RequestRejected(400, "no event in the request: send at least one")
        if len(originals) > limits.max_batch_events:
            raise RequestRejected(413, f"batch has {len(originals)} events; the limit is {limits.max_batch_events}")
        return Decoded(originals, text, may_hold_markers, _write_key(payload, originals) or key, shared)

    def translate(self, original: Any, shared: Mapping[str, Any]) -> Mapped:
        return translate_event(original, shared)

    def answer(self, reply: Reply) -> Reply:
        if reply.status >= 400:
            return reply
        return reply.with_body({"status": "Ok", **reply.body})


def _remote_config(token: str, as_script: bool) -> Reply:
    config = {"token": token, **REMOTE_CONFIG}
    if not as_script:
        return Reply(200, config)
    # What PostHog's config.js does: hand the config to the SDK through a global keyed by the project's token.
    script = (
        b"(function(){var c=window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{};c["
        + orjson.dumps(token)
        + b"]={config:"
        + orjson.dumps(config)
        + b",siteApps:[]};})();\n"
    )
    return Reply(200, {"remoteConfig": token}, wire=script, content_type="application/javascript")


def _events_text(request: HttpRequest, raw: bytes, max_bytes: int) -> bytes:
    """The JSON text of an events request: gzip undone even when no header said so (posthog-js marks it only in
    the body's magic bytes), and a form's ``data=`` field (``sendBeacon`` on unload) read and base64-decoded."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded" or raw.startswith(b"data="):
        form = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=20)
        compression = (form.get("compression") or [request.query.get("compression", "base64")])[0]
        if compression not in ("base64", "gzip-js", ""):
            raise RequestRejected(415, f"compression {compression[:40]!r} is not supported: use gzip-js or base64")
        data = (form.get("data") or [""])[0].strip()
        if not data:
            raise RequestRejected(400, "a form body needs its events in data=")
        if data.startswith(("{", "[")):
            raw = data.encode("utf-8", "surrogatepass")
        else:
            try:
                raw = base64.b64decode(data + "=" * (-len(data) % 4), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise RequestRejected(400, "data= is neither JSON nor valid base64") from exc
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gunzip_bounded(raw, max_bytes)
        except InflatedTooLarge as exc:
            raise RequestRejected(413, f"body {exc}") from exc
        except InflateError as exc:
            raise RequestRejected(400, f"gzip body {exc}") from exc
    return raw


def _write_key(payload: Any, originals: list[Any]) -> str | None:
    """The project token: the batch's ``api_key``, else an event's ``properties.token`` (or ``api_key``)."""
    key = payload.get("api_key") or payload.get("token") if isinstance(payload, dict) else None
    if key is None and originals and isinstance(originals[0], dict):
        first = originals[0]
        properties = first.get("properties")
        key = first.get("api_key") or (properties.get("token") if isinstance(properties, dict) else None)
    return key if isinstance(key, str) and key else None


def translate_event(original: Any, shared: Mapping[str, Any]) -> Mapped:
    """One PostHog event as a v1 event (see the module's docstring for the mapping)."""
    if not isinstance(original, dict):
        raise Unmappable("an event must be a JSON object")
    rest = dict(original)
    name = rest.pop("event", None)
    if not isinstance(name, str) or not name.strip():
        raise Unmappable("an event needs its name", "event")
    sent = rest.pop("properties", None)
    sent = sent if isinstance(sent, dict) else ({} if sent is None else {"value": sent})
    library, version = sent.get("$lib"), sent.get("$lib_version")
    properties = {key: value for key, value in sent.items() if value is not None and key not in _LEFT_OUT}

    event: dict[str, Any] = {"eventName": _NAMES.get(name) or event_name(name.removeprefix("$"))}
    if event["eventName"] != name:
        properties["event"] = name
    _ids(rest, properties, shared, event)
    _page(properties, event)
    commerce(event["eventName"], properties, event)

    found = Flattened()
    found.add(properties)
    for key, prefix in (("$set", "set"), ("$set_once", "set_once")):
        values = rest.pop(key, None)
        if isinstance(values, dict):
            # What the person's properties repeat of the event's own is said once.
            found.add({k: v for k, v in values.items() if v is not None and sent.get(k) != v}, prefix)
        elif values is not None:
            found.add(values, prefix)
    found.add(rest)
    if found.properties:
        event["properties"] = found.properties
    source = Source("posthog", _text(library, 128), _text(version, 64))
    return Mapped(event, source, found.leftover())


def _ids(rest: dict[str, Any], properties: dict[str, Any], shared: Mapping[str, Any], event: dict[str, Any]) -> None:
    uuid = rest.pop("uuid", None)
    if uuid not in (None, ""):
        event["eventId"] = id_text(uuid)
    device = properties.pop("$device_id", None)
    distinct = properties.pop("distinct_id", None)
    if distinct is None:
        distinct = rest.pop("distinct_id", None)
    user = properties.pop("$user_id", None)
    identified = properties.get("$is_identified") is True or user not in (None, "")
    if device not in (None, ""):
        event["clientId"] = id_text(device)
    elif distinct not in (None, "") and not identified:
        event["clientId"] = id_text(distinct)
    if user not in (None, ""):
        event["userId"] = id_text(user)
    elif distinct not in (None, "") and (identified or (device not in (None, "") and distinct != device)):
        event["userId"] = id_text(distinct)
    if distinct not in (None, "") and id_text(distinct) not in (event.get("clientId"), event.get("userId")):
        properties["distinct_id"] = distinct
    session = properties.pop("$session_id", None)
    if session not in (None, ""):
        event["sessionId"] = id_text(session)
    timestamp = rest.pop("timestamp", None)
    moment = properties.pop("$time", None)
    if timestamp is not None:
        event["eventTimestamp"] = timestamp
    elif isinstance(moment, int | float) and not isinstance(moment, bool):
        event["eventTimestamp"] = round(moment * 1000)  # $time is in seconds; v1 numbers are milliseconds
    elif moment is not None:
        properties["$time"] = moment
    sent_at = rest.pop("sent_at", None) or shared.get("sentAt")
    if sent_at is not None:
        event["sentAt"] = sent_at
    if "eventId" in event and properties.get("$pageview_id") == event["eventId"]:
        properties.pop("$pageview_id")  # a page view's own id, repeated


def _page(properties: dict[str, Any], event: dict[str, Any]) -> None:
    url = properties.get("$current_url")
    if isinstance(url, str):
        event["pageUrl"] = properties.pop("$current_url")
        try:
            parts = urlsplit(url)
        except ValueError:  # not a URL (validation says so); its $host and $pathname stay
            parts = None
        # $host and $pathname are the URL's, said again.
        for key, part in (("$host", parts.netloc if parts else None), ("$pathname", parts.path if parts else None)):
            if part is not None and properties.get(key) == part:
                properties.pop(key)
    if event["eventName"] == "page_view" and isinstance(properties.get("title"), str):
        event["pageTitle"] = properties.pop("title")
    referrer = properties.get("$referrer")
    if isinstance(referrer, str):
        # PostHog's word for no referrer; v1's is "".
        event["referrer"] = "" if properties.pop("$referrer") == "$direct" else referrer


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None
