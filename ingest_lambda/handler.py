"""``POST /clickstream`` and ``ANY /clickstream/{proxy+}`` on API Gateway HTTP API (payload v2): parse the event,
call the ingest, shape the reply. Which dialect a sub-path speaks is the ingest's to say (ingest_lambda.dialects)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from ingest_lambda.body import HttpRequest
from ingest_lambda.enrich import RequestContext
from ingest_lambda.ingest import receive
from ingest_lambda.reply import Reply
from ingest_lambda.services import get_services

logger = Logger(service="clickstream-ingest")

# Where API Gateway routes the ingest: POST on the base, any method on every path below it (infra/template.yaml).
BASE_PATH = "/clickstream"


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # API Gateway's request id, as correlation_paths.API_GATEWAY_HTTP would find it: read directly, since the
    # decorator's JMESPath search costs half of the decorator (a few µs a request).
    logger.set_correlation_id(_request_id(event))
    try:
        request, ctx = _parse(event)
    except (KeyError, TypeError, ValueError, AttributeError):
        logger.warning("malformed API Gateway event")
        return _respond(Reply(400, {"error": "malformed request"}))
    try:
        services = get_services()
    except Exception:
        logger.exception("ingest is misconfigured")
        return _respond(Reply(503, {"error": "ingest unavailable; retry later", "requestId": ctx.request_id}))
    reply = receive(request, ctx, services.store, services.pseudonymizer, services.limits, services.write_keys)
    # API Gateway's access log already has a line per request; the Lambda adds one only when something was
    # refused or failed (DEBUG otherwise), which keeps CloudWatch volume and per-request cost down.
    if reply.status >= 500:
        log = logger.error
    elif reply.status >= 400 or reply.body.get("rejected"):
        log = logger.info
    else:
        log = logger.debug
    log(
        "request handled",
        extra={
            "status": reply.status,
            "accepted": reply.body.get("accepted", 0),
            "rejected": len(reply.body.get("rejected", [])),
            "error": reply.body.get("error"),
        },
    )
    return _respond(reply)


def _request_id(event: Any) -> str | None:
    context = event.get("requestContext") if isinstance(event, dict) else None
    request_id = context.get("requestId") if isinstance(context, dict) else None
    return request_id if isinstance(request_id, str) else None


def _parse(event: dict[str, Any]) -> tuple[HttpRequest, RequestContext]:
    # The payload v2 event read as the dict it is: Powertools' event data class wrapped each part in an object
    # and lower-cased the headers a second time, a tenth of the handler's own time on a small request.
    context = event["requestContext"]
    http = context["http"]
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    epoch_ms = context.get("timeEpoch")
    received_at = (
        datetime.fromtimestamp(epoch_ms / 1000, UTC) if isinstance(epoch_ms, int | float) else datetime.now(UTC)
    )
    authorizer = context.get("authorizer") or {}
    claims = (authorizer.get("jwt") or {}).get("claims") or {}
    raw_path = event.get("rawPath") or http.get("path") or BASE_PATH
    query = event.get("queryStringParameters") or {}
    request = HttpRequest(
        method=http["method"] or "",
        headers=headers,
        body=event.get("body"),
        is_base64_encoded=bool(event.get("isBase64Encoded")),
        path=str(raw_path).removeprefix(BASE_PATH),
        query={str(name): str(value) for name, value in query.items()},
    )
    ctx = RequestContext(
        request_id=context.get("requestId") or str(uuid.uuid4()),
        received_at=received_at,
        user_agent=headers.get("user-agent") or http.get("userAgent"),
        source_ip=http.get("sourceIp"),
        country_header=headers.get("cloudfront-viewer-country"),
        claims=claims if isinstance(claims, dict) else {},
    )
    return request, ctx


def _respond(reply: Reply) -> dict[str, Any]:
    headers = {"content-type": reply.content_type, **reply.headers}
    if reply.wire is None:
        return {"statusCode": reply.status, "headers": headers, "body": orjson.dumps(reply.body).decode()}
    if reply.content_type.startswith(("text/", "application/json", "application/javascript")):
        return {"statusCode": reply.status, "headers": headers, "body": reply.wire.decode("utf-8", "replace")}
    body = base64.b64encode(reply.wire).decode("ascii")
    return {"statusCode": reply.status, "headers": headers, "body": body, "isBase64Encoded": True}
