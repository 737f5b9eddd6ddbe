"""Receive one request: decode, validate each event, enrich, store, and say exactly what happened.

Nothing is acknowledged before it is stored: valid events go to ``events/<hour>/event-<uuid>.json`` and every
refused event or request goes, with its reason, to ``rejected/<hour>/rejected-<uuid>.json``. If either write
fails the answer is 503 so the client retries (event ids make the retry harmless downstream).

A request below ``/clickstream`` that a third-party tracker's dialect claims (ingest_lambda.dialects) is read and
mapped to v1 events by that dialect, and from there goes through the very same steps; its stored lines say
``source``, its refusals ``dialect`` (docs/collector.md).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from pydantic import ValidationError

from ingest_lambda.body import (
    HttpRequest,
    RequestRejected,
    check_method_and_type,
    parse_body,
    read_body,
    split_events,
)
from ingest_lambda.contract import ClickstreamEvent
from ingest_lambda.dialects import dialect_of, dialect_of_payload
from ingest_lambda.dialects.seam import Answered, Dialect, Source, Unmappable
from ingest_lambda.emails import body_may_hold_address
from ingest_lambda.enrich import RequestContext, RequestEnrichment
from ingest_lambda.limits import IngestLimits
from ingest_lambda.nesting import SAMPLE_CHARS, body_is_shallow, event_problem, kept_copy
from ingest_lambda.privacy import Pseudonymizer
from ingest_lambda.reply import Reply
from ingest_lambda.text import clean_text, may_need_sanitizing, sanitize
from raw_store import KeyKind, RawStore, StorageError, new_object_key
from raw_store.gzip_bounded import GZIP_MAGIC

# A refused body is kept up to this size: enough to debug a client, bounded against abuse.
REJECTED_BODY_SAMPLE_BYTES = 65_536


@dataclass(slots=True)
class Outcome:
    """What a request turned into, before anything is stored."""

    lines: list[bytes] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    kept: list[bytes] = field(default_factory=list)


# The paths of v1 itself below /clickstream: the base, and the signed-in visitor's route.
V1_PATHS = ("", "/", "/auth")


def receive(
    request: HttpRequest,
    ctx: RequestContext,
    store: RawStore,
    pseudonymizer: Pseudonymizer,
    limits: IngestLimits,
    write_keys: frozenset[str] = frozenset(),
) -> Reply:
    """Answer one request: v1 at ``/clickstream`` (and ``/auth``), a dialect's where one claims it, else 404.

    `write_keys`, when not empty, are the only write keys (or app ids) a dialect's request may name."""
    enrichment = RequestEnrichment(ctx, pseudonymizer)
    if request.path not in V1_PATHS or request.query:
        # A dialect may claim the base path too, by its query (AWS Clickstream's ?platform=...&appId=...).
        dialect = dialect_of(request)
        if dialect is not None:
            return _receive_dialect(dialect, request, enrichment, store, limits, write_keys)
        if request.path not in V1_PATHS:
            refused = RequestRejected(404, f"no route for /clickstream{request.path[:200]}: see docs/collector.md")
            return _refuse_request(request, refused, enrichment, store)
    try:
        check_method_and_type(request)
        body = read_body(request, limits.max_body_bytes)
        payload, may_hold_markers = parse_body(body)
        if isinstance(payload, dict) and "eventName" not in payload and "events" not in payload:
            dialect = dialect_of_payload(payload)
            if dialect is not None:
                return _receive_dialect(dialect, request, enrichment, store, limits, write_keys)
        events, _ = split_events(payload, limits.max_batch_events)
    except RequestRejected as refused:
        return _refuse_request(request, refused, enrichment, store)

    outcome = validate_and_enrich(events, body, enrichment, may_hold_markers)
    return _store_and_answer(outcome, len(events), enrichment, store)


def _store_and_answer(outcome: Outcome, received: int, enrichment: RequestEnrichment, store: RawStore) -> Reply:
    ctx = enrichment.ctx
    try:
        if outcome.lines:
            store.put(new_object_key(KeyKind.EVENTS, ctx.received_at), b"".join(outcome.lines))
        if outcome.kept:
            store.put(new_object_key(KeyKind.REJECTED, ctx.received_at), b"".join(outcome.kept))
    except StorageError:
        return Reply(503, {"error": "events could not be stored; retry later", "requestId": ctx.request_id})

    if not outcome.lines:
        return Reply(
            400,
            {
                "error": f"no valid event in the request: {len(outcome.rejected)} of {received} rejected",
                "accepted": 0,
                "rejected": outcome.rejected,
                "requestId": ctx.request_id,
            },
        )
    return Reply(200, {"accepted": len(outcome.lines), "rejected": outcome.rejected, "requestId": ctx.request_id})


def _receive_dialect(
    dialect: Dialect,
    request: HttpRequest,
    enrichment: RequestEnrichment,
    store: RawStore,
    limits: IngestLimits,
    write_keys: frozenset[str],
) -> Reply:
    """A dialect's request: its originals mapped to v1 events, then everything as for v1 (ingest_lambda.dialects)."""
    try:
        decoded = dialect.decode(request, limits)
        if write_keys and decoded.write_key not in write_keys:
            named = "an unknown write key" if decoded.write_key else "no write key"
            raise RequestRejected(401, f"the request names {named}: this collector takes only its shops' keys")
    except RequestRejected as refused:
        return dialect.answer(_refuse_request(request, refused, enrichment, store, dialect.name))
    except Answered as answered:
        return answered.reply.with_body({**answered.reply.body, "requestId": enrichment.ctx.request_id})
    outcome = Outcome()
    checks = _Checks.of(decoded.text, decoded.may_hold_markers, decoded.shape_text)
    for index, original in enumerate(decoded.originals):
        problem = event_problem(original) if checks.may_be_bad_shape else None
        if problem is not None:
            path, message = problem
            _reject(outcome, enrichment, index, [{"path": path, "message": message}], original, dialect.name)
            continue
        try:
            mapped = dialect.translate(original, decoded.shared)
        except Unmappable as unmappable:
            errors = [{"path": unmappable.path, "message": unmappable.message}]
            _reject(outcome, enrichment, index, errors, original, dialect.name)
            continue
        if mapped.visitor_site is not None and "clientId" not in mapped.event:
            mapped.event["clientId"] = enrichment.daily_visitor_id(mapped.visitor_site)
        source = _stored_source(mapped.source, enrichment.pseudonymizer)
        stored = _take(outcome, enrichment, index, mapped.event, checks, source, original)
        if stored is not None and mapped.leftover is not None:
            record = {
                "index": index,
                "dialect": dialect.name,
                "storedEventId": stored,
                "errors": [{"path": "properties", "message": mapped.leftover + ": the original is kept here"}],
                "event": original,
            }
            outcome.kept.append(rejected_line(enrichment, record))
    return dialect.answer(_store_and_answer(outcome, len(decoded.originals), enrichment, store))


# Every event of an SDK names the same library and version: repaired and scrubbed once, not once an event.
@lru_cache(maxsize=256)
def _stored_source(source: Source, pseudonymizer: Pseudonymizer) -> dict[str, Any]:
    """``{"source": ...}`` as a stored line adds it. The SDK's name and version are the client's text too: repaired
    and scrubbed like the event. Shared by every event of the SDK: read and written out (`_take`), never changed."""
    return {"source": pseudonymizer.scrub(sanitize(source.as_dict(), "source", []))}


@dataclass(frozen=True, slots=True)
class _Checks:
    """What the bytes of a body say about every event in it, worked out once per request."""

    needs_sanitizing: bool
    may_hold_email: bool
    may_be_bad_shape: bool

    @classmethod
    def of(cls, body: bytes, may_hold_markers: bool, shape: bytes | None = None) -> _Checks:
        """`shape`: a text as deep as the body's events, cheaper to read than `body` (ingest_lambda.dialects.seam)."""
        # Most bodies are shown shallow by their bytes alone, and then no event is walked.
        shallow = body_is_shallow(body if shape is None else shape)
        return cls(may_need_sanitizing(body), body_may_hold_address(body), may_hold_markers or not shallow)


def validate_and_enrich(
    events: list[Any], body: bytes, enrichment: RequestEnrichment, may_hold_markers: bool = False
) -> Outcome:
    """Each event on its own: one bad event never costs its neighbours, however deep or strange it is."""
    outcome = Outcome()
    checks = _Checks.of(body, may_hold_markers)
    for index, received in enumerate(events):
        problem = event_problem(received) if checks.may_be_bad_shape else None
        if problem is not None:
            # Refused before any recursive walk: only a bounded copy of it is repaired, scrubbed and kept.
            path, message = problem
            _reject(outcome, enrichment, index, [{"path": path, "message": message}], received)
            continue
        _take(outcome, enrichment, index, received, checks)
    return outcome


def _take(
    outcome: Outcome,
    enrichment: RequestEnrichment,
    index: int,
    received: Any,
    checks: _Checks,
    extra: dict[str, Any] | None = None,
    original: Any = None,
) -> str | None:
    """Validate, scrub and enrich one event whose shape is safe to walk: its stored line (with `extra`, a dialect's
    ``source``) or its refusal (with the dialect's `original`) goes to `outcome`. The stored event's id, or None."""
    touched: list[str] = []
    raw = sanitize(received, "", touched) if checks.needs_sanitizing else received
    if checks.may_hold_email:
        raw = enrichment.pseudonymizer.scrub(raw)
    if not isinstance(raw, dict):
        errors = [{"path": "", "message": f"an event must be a JSON object, got {_json_type(raw)}"}]
    else:
        try:
            event = ClickstreamEvent.model_validate(raw)
        except ValidationError as invalid:
            errors = _field_errors(invalid)
        else:
            stored = enrichment.enrich(raw, event, touched)
            if extra:
                stored.update(extra)
            outcome.lines.append(orjson.dumps(stored) + b"\n")
            return str(stored["eventId"])
    if extra is None:
        _reject(outcome, enrichment, index, errors, raw)
    else:
        # A dialect's event: the original as the client sent it is what helps, the mapped one beside it.
        dialect = extra["source"]["dialect"]
        _reject(outcome, enrichment, index, errors, original, dialect, mapped=raw)
    return None


def _reject(
    outcome: Outcome,
    enrichment: RequestEnrichment,
    index: int,
    errors: list[dict[str, str]],
    event: Any,
    dialect: str | None = None,
    mapped: Any = None,
) -> None:
    outcome.rejected.append({"index": index, "errors": errors})
    record: dict[str, Any] = {"index": index, "errors": errors, "event": event}
    if dialect is not None:
        record["dialect"] = dialect
    if mapped is not None:
        record["mapped"] = mapped
    outcome.kept.append(rejected_line(enrichment, record))


def _refuse_request(
    request: HttpRequest,
    refused: RequestRejected,
    enrichment: RequestEnrichment,
    store: RawStore,
    dialect: str | None = None,
) -> Reply:
    ctx = enrichment.ctx
    # RFC 9110: a 405 names the methods that are allowed.
    headers = {"allow": refused.allow} if refused.status == 405 else {}
    reply = Reply(refused.status, {"error": refused.message, "requestId": ctx.request_id}, headers)
    if not request.body:
        return reply
    record = {
        "status": refused.status,
        "errors": [{"path": "", "message": refused.message}],
        **({"dialect": dialect} if dialect is not None else {}),
        "method": request.method,
        **({"path": "/clickstream" + request.path[:512]} if request.path not in V1_PATHS else {}),
        "contentType": request.headers.get("content-type"),
        "contentEncoding": request.headers.get("content-encoding"),
        **_body_sample(request),
    }
    try:
        store.put(new_object_key(KeyKind.REJECTED, ctx.received_at), rejected_line(enrichment, record))
    except StorageError:
        return Reply(503, {"error": "request could not be recorded; retry later", "requestId": ctx.request_id})
    return reply


def _body_sample(request: HttpRequest) -> dict[str, Any]:
    """The start of a refused body as text, for debugging the client that sent it.

    Base64 and gzip are undone (within the sample size) so that the e-mail scrub in `rejected_line` sees the
    real text: a refused body is still never written with a raw address in it.
    """
    raw = (request.body or "").encode("utf-8", "surrogatepass")
    notes = []
    if request.is_base64_encoded:
        try:
            raw = base64.b64decode(raw[: REJECTED_BODY_SAMPLE_BYTES * 2], validate=False)
            notes.append("base64")
        except (binascii.Error, ValueError):
            notes.append("invalid base64")
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS).decompress(raw, REJECTED_BODY_SAMPLE_BYTES)
            notes.append("gzip")
        except zlib.error:
            notes.append("invalid gzip")
    sample = raw[:REJECTED_BODY_SAMPLE_BYTES].decode("utf-8", "replace")
    return {
        "body": sample,
        "bodyBytes": len(request.body or ""),
        "bodyDecoded": notes,
        "truncated": len(raw) > REJECTED_BODY_SAMPLE_BYTES,
    }


def rejected_line(enrichment: RequestEnrichment, record: dict[str, Any]) -> bytes:
    """One kept refusal. Everything in it may echo the client (headers, messages), so the whole record is made
    jsonb-safe and scrubbed of e-mail addresses, not only the event.

    Never raises: the event is cut to the depth limit (ingest_lambda.nesting), and should orjson still refuse
    something in it, the refusal is kept with a bounded text sample of the event instead of being lost."""
    if "event" in record:
        # Bounded first (an iterative copy): every step below walks the record recursively.
        record = {**record, "event": kept_copy(record["event"])}
    record = enrichment.pseudonymizer.scrub(sanitize({**enrichment.shared, **record}, "", []))
    try:
        return orjson.dumps(record) + b"\n"
    except (TypeError, orjson.JSONEncodeError):
        event = repr(record.pop("event", None))[:SAMPLE_CHARS]
        record["event"] = enrichment.pseudonymizer.scrub_text(clean_text(event))
        return orjson.dumps(record, default=str) + b"\n"


def _field_errors(invalid: ValidationError) -> list[dict[str, str]]:
    errors = []
    for error in invalid.errors(include_url=False, include_input=False, include_context=False):
        path = _dotted(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field; custom data goes under properties"
        errors.append({"path": path, "message": message})
    return errors


def _dotted(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number" if isinstance(value, int | float) else type(value).__name__
    )
