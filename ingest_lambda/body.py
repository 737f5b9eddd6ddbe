"""From an HTTP request to a list of raw JSON events, with a clear error for every way a body can be wrong."""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass, field
from typing import Any

import orjson

from raw_store.gzip_bounded import GZIP_MAGIC, InflatedTooLarge, InflateError, gunzip_bounded

ACCEPTED_MEDIA_TYPES = ("application/json", "text/plain")


def _shown(value: str) -> str:
    """A client-supplied header value as quoted in an error message: bounded, never empty."""
    value = value.strip()
    return (value[:60] + "...") if len(value) > 60 else (value or "(empty)")


class RequestRejected(Exception):
    """The whole request is refused; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """The parts of an HTTP API (payload v2) request the ingest reads. Header names are lower-case."""

    method: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    is_base64_encoded: bool = False


def check_method_and_type(request: HttpRequest) -> None:
    if request.method.upper() != "POST":
        raise RequestRejected(405, f"method {request.method} is not allowed: send events with POST")
    content_type = request.headers.get("content-type", "application/json")
    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type not in ACCEPTED_MEDIA_TYPES:
        raise RequestRejected(
            415, f"content-type {_shown(media_type)} is not supported: use application/json or text/plain"
        )
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise RequestRejected(415, f"charset {_shown(value)} is not supported: send UTF-8")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip", ""):
        raise RequestRejected(415, f"content-encoding {_shown(encoding)} is not supported: use gzip or none")


def read_body(request: HttpRequest, max_bytes: int) -> bytes:
    """The body as bytes: base64-decoded and gunzipped as the request says, never more than `max_bytes`."""
    text = request.body or ""
    if request.is_base64_encoded:
        if len(text) > (max_bytes * 4) // 3 + 4:
            raise RequestRejected(413, f"body is larger than {max_bytes} bytes")
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise RequestRejected(400, "body is marked base64-encoded but is not valid base64") from exc
    else:
        raw = text.encode("utf-8", "surrogatepass")
    if len(raw) > max_bytes:
        raise RequestRejected(413, f"body is {len(raw)} bytes; the limit is {max_bytes}")
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip") or (request.is_base64_encoded and raw[:2] == GZIP_MAGIC):
        raw = _gunzip(raw, max_bytes)
    return raw


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    """Inflate within the body limit: a gzip bomb costs at most `max_bytes` of memory, never its inflated size."""
    try:
        return gunzip_bounded(data, max_bytes)
    except InflatedTooLarge as exc:
        raise RequestRejected(413, f"body {exc}") from exc
    except InflateError as exc:
        raise RequestRejected(400, f"gzip body {exc}") from exc


def _int_as_orjson_reads_it(digits: str) -> int | float:
    """Beyond 64 bits orjson reads a float (or refuses); never keep an int orjson could not write back."""
    number = int(digits)
    return number if -(2**63) <= number < 2**64 else _finite_float(digits)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number {text[:20]} is out of range")
    return number


def parse_json(raw: bytes) -> Any:
    """Strict JSON: no NaN/Infinity, UTF-8 only.

    orjson does the common case; the standard library takes over only for what orjson refuses but JSON allows,
    such as an unpaired surrogate escape (which the text module then makes safe).
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as fast_error:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RequestRejected(400, f"body is not valid UTF-8 (byte {exc.start})") from exc
        try:
            return json.loads(
                text,
                parse_constant=_reject_constant,
                parse_float=_finite_float,
                parse_int=_int_as_orjson_reads_it,
            )
        except (ValueError, RecursionError):
            raise RequestRejected(400, f"body is not valid JSON: {fast_error}") from fast_error


def split_events(payload: Any, max_events: int) -> tuple[list[Any], bool]:
    """The events a payload carries and whether it was a batch."""
    if not isinstance(payload, dict):
        kind = type(payload).__name__ if payload is not None else "null"
        raise RequestRejected(400, f'body must be a JSON object (one event or {{"events": [...]}}), got {kind}')
    if "events" not in payload:
        return [payload], False
    events = payload["events"]
    extra = sorted(set(payload) - {"events"})
    if extra:
        raise RequestRejected(400, f"a batch has only the key 'events'; unexpected: {', '.join(extra)}")
    if not isinstance(events, list):
        raise RequestRejected(400, "'events' must be an array of events")
    if not events:
        raise RequestRejected(400, "'events' is empty: send at least one event")
    if len(events) > max_events:
        raise RequestRejected(413, f"batch has {len(events)} events; the limit is {max_events}")
    return events, True
