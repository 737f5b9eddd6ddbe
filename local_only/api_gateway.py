"""API Gateway's side of the ingest route: the HTTP API (payload format 2.0) event it hands the Lambda.

The one encoder of that event. `clickstream serve` builds one from each real HTTP request (`event_from_http`), the
traffic generator from each simulated browser request, and tests and benchmarks from whatever they send
(`http_api_event`, the shape both build on). The route itself is in infra/template.yaml (docs/deploy.md).
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

ROUTE_PATH = "/clickstream"
ROUTE_KEY = f"POST {ROUTE_PATH}"
# The signed-in visitor's route: its JWT authorizer puts the id token's verified claims in the event.
AUTH_ROUTE_PATH = f"{ROUTE_PATH}/auth"
STAGE = "$default"
# What `clickstream serve` says it is: no AWS account behind it.
LOCAL_ACCOUNT_ID = "000000000000"
LOCAL_API_ID = "local"


_EPOCH = date(1970, 1, 1)
_DAY_MS = 86_400_000
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# The generator formats a time for every request it makes: without datetime, each day's date part cached.
@lru_cache(maxsize=4096)
def _clf_day(day_number: int) -> str:
    day = _EPOCH + timedelta(days=day_number)
    return f"{day.day:02d}/{_MONTHS[day.month - 1]}/{day.year}:"


def request_time(epoch_ms: int) -> str:
    """``07/Mar/2025:21:04:05 +0000``, API Gateway's ``requestContext.time`` for a request at `epoch_ms`."""
    day_number, rest = divmod(epoch_ms, _DAY_MS)
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{_clf_day(day_number)}{hours:02d}:{minutes:02d}:{rest // 1000:02d} +0000"


def http_api_event(
    *,
    headers: Mapping[str, str],
    body: str | None,
    is_base64_encoded: bool,
    source_ip: str,
    request_id: str,
    time_epoch_ms: int,
    method: str = "POST",
    raw_path: str = ROUTE_PATH,
    raw_query: str = "",
    protocol: str = "HTTP/1.1",
    user_agent: str | None = None,
    account_id: str = LOCAL_ACCOUNT_ID,
    api_id: str = LOCAL_API_ID,
    domain_name: str = "localhost",
    domain_prefix: str | None = None,
    cookies: Iterable[str] = (),
    query_parameters: Mapping[str, str] | None = None,
    jwt_claims: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The event for one request whose headers are already as API Gateway passes them (lower-case names, repeats
    joined) and whose body is already encoded (text, or base64 with `is_base64_encoded`); None: no body key.

    `user_agent` defaults to the ``user-agent`` header, `domain_prefix` to the first label of `domain_name`.
    `jwt_claims` are the JWT authorizer's verified claims, when signed in.
    """
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {raw_path}",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
    }
    cookie_list = list(cookies)
    if cookie_list:
        event["cookies"] = cookie_list
    event["headers"] = dict(headers)
    if query_parameters is not None:
        event["queryStringParameters"] = dict(query_parameters)
    context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": domain_name,
        "domainPrefix": domain_prefix if domain_prefix is not None else domain_name.split(".", 1)[0].split(":", 1)[0],
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": protocol,
            "sourceIp": source_ip,
            "userAgent": user_agent if user_agent is not None else headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": f"{method} {raw_path}",
        "stage": STAGE,
        "time": request_time(time_epoch_ms),
        "timeEpoch": time_epoch_ms,
    }
    if jwt_claims is not None:
        context["authorizer"] = {"jwt": {"claims": dict(jwt_claims), "scopes": None}}
    event["requestContext"] = context
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = is_base64_encoded
    return event


def event_from_http(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Iterable[tuple[str, str]],
    body: bytes | None,
    protocol: str,
    source_ip: str,
    domain_name: str,
    port: int,
    now: datetime | None = None,
    request_id: str | None = None,
    jwt_claims: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The event for one real HTTP request, as AWS builds it for the Lambda (`jwt_claims`: the authorizer's).

    Header names are lower-cased and repeated headers joined with commas; cookies move to ``cookies``; API
    Gateway's own ``x-forwarded-*`` and ``x-amzn-trace-id`` headers are added. The body is text when it is a text
    media type without a content-encoding and valid UTF-8, otherwise base64 with ``isBase64Encoded`` true.
    """
    now = now or datetime.now(UTC)
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    forwarded_for = joined.get("x-forwarded-for")
    joined["x-forwarded-for"] = f"{forwarded_for}, {source_ip}" if forwarded_for else source_ip
    joined.setdefault("x-forwarded-proto", "http")
    joined.setdefault("x-forwarded-port", str(port))
    joined.setdefault("x-amzn-trace-id", f"Root=1-{int(now.timestamp()):08x}-{secrets.token_hex(12)}")
    encoded: str | None = None
    as_base64 = False
    if body:
        encoded = body_as_text(body, joined)
        if encoded is None:
            encoded, as_base64 = base64.b64encode(body).decode("ascii"), True
    return http_api_event(
        headers=joined,
        body=encoded,
        is_base64_encoded=as_base64,
        source_ip=source_ip,
        request_id=request_id or str(uuid.uuid4()),
        time_epoch_ms=int(now.timestamp() * 1000),
        method=method,
        raw_path=raw_path,
        raw_query=raw_query,
        protocol=protocol,
        domain_name=domain_name,
        cookies=cookies,
        query_parameters=query_parameters(raw_query) if raw_query else None,
        jwt_claims=jwt_claims,
    )


def query_parameters(raw_query: str) -> dict[str, str]:
    """``queryStringParameters`` of a raw query string, as API Gateway gives them: repeated names joined by commas."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value
    return params


def body_as_text(body: bytes, headers: Mapping[str, str]) -> str | None:
    """The body as a string when API Gateway would pass it as text, else None (it is then base64-encoded)."""
    if headers.get("content-encoding", "").strip():
        return None
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.startswith("text/"):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None
