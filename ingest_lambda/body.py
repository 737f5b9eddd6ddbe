"""From an HTTP request to a list of raw JSON events, with a clear error for every way a body can be wrong."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, NoReturn

import orjson

from ingest_lambda.nesting import SAMPLE_CHARS, OutOfRange, TooDeep
from raw_store.gzip_bounded import GZIP_MAGIC, InflatedTooLarge, InflateError, gunzip_bounded

ACCEPTED_MEDIA_TYPES = ("application/json", "text/plain")


def _shown(value: str) -> str:
    """A client-supplied header value as quoted in an error message: bounded, never empty."""
    value = value.strip()
    return (value[:60] + "...") if len(value) > 60 else (value or "(empty)")


class RequestRejected(Exception):
    """The whole request is refused; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, allow: str = "POST") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        # A 405's Allow header (RFC 9110): the methods the route takes.
        self.allow = allow


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """The parts of an HTTP API (payload v2) request the ingest reads. Header names are lower-case.

    `path` is what follows the base path ``/clickstream`` (``""`` for the base itself, ``/v1/track`` for a Segment
    call): it says which dialect the request speaks (ingest_lambda.dialects). `query` holds the query string's
    parameters, repeated names joined with commas as API Gateway joins them."""

    method: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    is_base64_encoded: bool = False
    path: str = ""
    query: dict[str, str] = field(default_factory=dict)


def check_method_and_type(
    request: HttpRequest, media_types: tuple[str, ...] = ACCEPTED_MEDIA_TYPES, methods: tuple[str, ...] = ("POST",)
) -> None:
    if request.method.upper() not in methods:
        raise RequestRejected(
            405, f"method {request.method} is not allowed: send events with {' or '.join(methods)}", ", ".join(methods)
        )
    content_type = request.headers.get("content-type", "application/json")
    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type not in media_types:
        raise RequestRejected(
            415, f"content-type {_shown(media_type)} is not supported: use {' or '.join(media_types)}"
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


def _int_as_orjson_reads_it(digits: str) -> int | float | OutOfRange:
    """Beyond 64 bits orjson reads a float (or refuses); never keep an int orjson could not write back."""
    if len(digits) > 24:
        # Too long for 64 bits whatever it is; int() would also refuse past 4,300 digits.
        return _finite_float(digits)
    number = int(digits)
    return number if -(2**63) <= number < 2**64 else _finite_float(digits)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float | OutOfRange:
    """A number no double holds fails its own event (ingest_lambda.nesting), not the whole body."""
    number = float(text)
    return number if math.isfinite(number) else OutOfRange(text)


_DECODER = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_int_as_orjson_reads_it
)


def parse_json(raw: bytes) -> Any:
    """Strict JSON: no NaN/Infinity, UTF-8 only (see `parse_body`)."""
    return parse_body(raw)[0]


def parse_body(raw: bytes) -> tuple[Any, bool]:
    """The parsed body, and whether it may hold `OutOfRange` or `TooDeep` values (ingest_lambda.nesting).

    orjson does the common case; the standard library takes over only for what orjson refuses but JSON allows:
    an unpaired surrogate escape (which the text module then makes safe), a number beyond a double (which fails
    only its event) and nesting deeper than orjson reads (which fails only its event: see `_parse_deep`).
    """
    try:
        return orjson.loads(raw), False
    except orjson.JSONDecodeError as fast_error:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RequestRejected(400, f"body is not valid UTF-8 (byte {exc.start})") from exc
        try:
            return _DECODER.decode(text), True
        except RecursionError:
            pass
        except ValueError:
            raise RequestRejected(400, f"body is not valid JSON: {fast_error}") from fast_error
        try:
            return _parse_deep(text), True
        except (ValueError, RecursionError):
            raise RequestRejected(400, f"body is not valid JSON: {fast_error}") from fast_error


_WS = re.compile(r"[ \t\n\r]*")
# What matters when skipping a value: strings (which may hold brackets) and runs of brackets; the search passes
# over everything else without a token. Possessive, so an unterminated string costs one pass; a run of brackets
# is one token however long.
_SKIP_TOKEN = re.compile(r'"(?:[^"\\]++|\\.)*+"|\[++|\{++|\]++|\}++')
_CLOSER = {"[": "]", "{": "}"}


def _parse_deep(text: str) -> Any:
    """A body nested deeper than the parsers go: a batch is read element by element, and an element that is
    too deep for the parser becomes `TooDeep` (a sample of its text), refused on its own later; any other body
    that deep is one event, too deep as a whole. Iterative, and each element is skipped in one pass."""
    i = _skip_ws(text, 0)
    if not text.startswith("{", i):
        if not _ends_at(text, _skip_value(text, i)):
            _fail()
        return TooDeep(text[i : i + SAMPLE_CHARS])
    start = i
    payload: dict[str, Any] = {}
    too_deep = False
    i = _skip_ws(text, i + 1)
    if text.startswith("}", i):
        return payload
    while True:
        if not text.startswith('"', i):
            _fail()
        key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        i = _skip_ws(text, i)
        if not text.startswith(":", i):
            _fail()
        i = _skip_ws(text, i + 1)
        if key == "events" and text.startswith("[", i):
            payload[key], i = _elements(text, i)
        else:
            try:
                payload[key], i = _DECODER.raw_decode(text, i)
            except RecursionError:
                too_deep = True
                i = _skip_value(text, i)
        i = _skip_ws(text, i)
        if text.startswith(",", i):
            i = _skip_ws(text, i + 1)
            continue
        if text.startswith("}", i) and _ends_at(text, i + 1):
            break
        _fail()
    if too_deep:
        return TooDeep(text[start : start + SAMPLE_CHARS])
    return payload


def _elements(text: str, i: int) -> tuple[list[Any], int]:
    """The elements of the array at `i`, each parsed alone; returns them and the index after the array."""
    elements: list[Any] = []
    i = _skip_ws(text, i + 1)
    if text.startswith("]", i):
        return elements, i + 1
    while True:
        try:
            element, end = _DECODER.raw_decode(text, i)
        except RecursionError:
            end = _skip_value(text, i)
            element = TooDeep(text[i : min(end, i + SAMPLE_CHARS)])
        elements.append(element)
        i = _skip_ws(text, end)
        if text.startswith(",", i):
            i = _skip_ws(text, i + 1)
        elif text.startswith("]", i):
            return elements, i + 1
        else:
            _fail()


def _skip_value(text: str, i: int) -> int:
    """The index after the value at `i`, which is too deep to parse: its brackets are matched (a run such as
    ``[[[[`` in one step), its scalars are not checked."""
    if not text.startswith(("[", "{"), i):
        _fail()
    opened: list[list[Any]] = []  # [closing character, how many] per run of one kind of bracket
    for token in _SKIP_TOKEN.finditer(text, i):
        first = text[token.start()]
        count = token.end() - token.start()
        if first in _CLOSER:
            if opened and opened[-1][0] == _CLOSER[first]:
                opened[-1][1] += count
            else:
                opened.append([_CLOSER[first], count])
        elif first in "]}":
            position = token.start()
            while count:
                if not opened or opened[-1][0] != first:
                    _fail()
                taken = min(count, opened[-1][1])
                opened[-1][1] -= taken
                count -= taken
                position += taken
                if not opened[-1][1]:
                    opened.pop()
                    if not opened:
                        return position
    _fail()


def _skip_ws(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]  # a star always matches


def _ends_at(text: str, i: int) -> bool:
    return _skip_ws(text, i) == len(text)


def _fail() -> NoReturn:
    raise ValueError("not valid JSON")


def split_events(payload: Any, max_events: int) -> tuple[list[Any], bool]:
    """The events a payload carries and whether it was a batch."""
    if isinstance(payload, TooDeep):
        return [payload], False
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
