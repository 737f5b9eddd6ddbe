"""Requests of third-party tracker SDKs, as recorded from the real SDKs in Chromium
(tests/ingest_lambda/dialects/fixtures/<sdk>/NN-<call>.json: method, path, query, the headers that matter, body),
turned into the API Gateway events the ingest handler receives."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from local_only.api_gateway import http_api_event, query_parameters

FIXTURES = Path(__file__).parents[1] / "ingest_lambda" / "dialects" / "fixtures"
BROWSER_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"
)
RECEIVED_MS = 1_796_310_000_000  # 2026-12-03T15:00:00Z: after every recorded event's timestamp


def recorded(sdk: str) -> list[dict[str, Any]]:
    """The recorded requests of one SDK run, in the order they were sent."""
    return [json.loads(path.read_text()) for path in sorted((FIXTURES / sdk).glob("*.json"))]


def gateway_event(
    path: str,
    body: str | bytes | None,
    *,
    method: str = "POST",
    query: str = "",
    headers: dict[str, str] | None = None,
    request_id: str = "req-1",
) -> dict[str, Any]:
    """The payload v2 event of one request to `path` (the whole path, /clickstream included)."""
    text = body.decode("utf-8", "surrogateescape") if isinstance(body, bytes) else body
    return http_api_event(
        headers={"user-agent": BROWSER_UA, **(headers or {})},
        body=text,
        is_base64_encoded=False,
        source_ip="198.51.100.7",
        request_id=request_id,
        time_epoch_ms=RECEIVED_MS,
        method=method,
        raw_path=path,
        raw_query=query,
        query_parameters=query_parameters(query) if query else None,
    )


def replayed(request: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The gateway event of a recorded request (`changes`: a different body, headers, ...)."""
    body = changes.pop("body", request["body"])
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    return gateway_event(
        changes.pop("path", request["path"]),
        text,
        method=changes.pop("method", request["method"]),
        query=changes.pop("query", request["query"]),
        headers=changes.pop("headers", request["headers"]),
        **changes,
    )


def wire_event(request: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The gateway event of a recorded request whose fixture says how its JSON body went over the wire (``wire``:
    ``gzip``, ``form-base64`` as sendBeacon's ``data=``, or ``json``), encoded that way again; binary bodies
    base64-encoded with ``isBase64Encoded``, as API Gateway passes them."""
    body = changes.pop("body", request.get("body"))
    wire = changes.pop("wire", request.get("wire", "json"))
    if body is None:
        return replayed(request, body=None, **changes)
    text = json.dumps(body).encode()
    if wire == "gzip":
        event = replayed(request, body="", **changes)
        event["body"] = base64.b64encode(gzip.compress(text, mtime=0)).decode("ascii")
        event["isBase64Encoded"] = True
        return event
    if wire == "form-base64":
        return replayed(request, body="data=" + quote(base64.b64encode(text).decode("ascii")), **changes)
    return replayed(request, body=text.decode(), **changes)


# What the ingest adds to a stored event: left out when a stored event is checked against the contract.
SERVER_FIELDS = frozenset(
    {"receivedAt", "requestId", "ipHash", "userAgent", "device", "schemaVersion", "userLoginState", "source"}
)


def client_fields(stored: dict[str, Any]) -> dict[str, Any]:
    """The fields of a stored event that came from the client's mapped event (``clientEventTimestamp`` is its
    ``eventTimestamp``), for ClickstreamEvent.model_validate."""
    return {k: v for k, v in stored.items() if k not in SERVER_FIELDS and k != "clientEventTimestamp"}


def stored_time(milliseconds: int | str) -> str:
    """Epoch milliseconds as a stored line writes a time."""
    moment = datetime.fromtimestamp(int(milliseconds) / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
