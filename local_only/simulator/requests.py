"""What API Gateway (HTTP API, payload format 2.0) hands the ingest Lambda for each request the browser sent.

Bodies are encoded as API Gateway does it: text as is, a gzip-encoded body base64-encoded with
``isBase64Encoded: true``. ``requestContext.timeEpoch`` is the simulated moment the request arrived, which the
handler uses as ``receivedAt``; requests with the visitor's id token go to ``/clickstream/auth``, where the JWT
authorizer's verified claims sit in ``requestContext.authorizer.jwt.claims``. The headers are Chrome's for a
cross-origin request from the shop's pages: ``sec-fetch-mode`` says ``no-cors`` for a beacon, ``cors`` for a fetch.
"""

from __future__ import annotations

import base64
import random
import zlib
from dataclasses import dataclass
from typing import Any

import orjson

from local_only.api_gateway import http_api_event
from local_only.simulator.catalogue import SHOP_ORIGIN
from local_only.simulator.ids import api_request_id, trace_id
from local_only.simulator.sdk import SentRequest, Token, Transport
from local_only.simulator.visitors import Visitor, is_mobile

API_ID = "k7x2m9q4ab"
API_DOMAIN = "api.shop.example.com"
ACCOUNT_ID = "123456789012"
COGNITO_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example"
COGNITO_CLIENT_ID = "5r1bq0ggh1ld7akd2mrn8ia3vj"


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One generated API Gateway event and what its body holds."""

    event: dict[str, Any]
    events: int
    invalid: int
    retry: bool
    time_epoch_ms: int


def _visitor_headers(visitor: Visitor, transport: Transport, cloudfront_country: bool) -> dict[str, str]:
    headers = {
        "accept": "*/*",
        "accept-language": "en-US,en;q=0.9",
        "host": API_DOMAIN,
        "origin": SHOP_ORIGIN,
        "referer": f"{SHOP_ORIGIN}/",
        "sec-fetch-dest": "empty",
        "sec-fetch-mode": "no-cors" if transport is Transport.BEACON else "cors",
        "sec-fetch-site": "same-site",
        "user-agent": visitor.device.user_agent,
        "x-forwarded-for": visitor.location.ip,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if cloudfront_country:
        headers["cloudfront-viewer-country"] = visitor.location.country
    return headers


def gzip_bytes(data: bytes) -> bytes:
    """gzip with a zero mtime in the header (CompressionStream writes none), so the bytes are reproducible."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def jwt_claims(token: Token, at_ms: int) -> dict[str, str]:
    """The id token's claims as the HTTP API JWT authorizer passes them on: every value a string.

    The SDK refreshes the hour-long id token, so ``iat`` is the last whole hour since sign-in.
    """
    account = token.account
    auth_s = token.auth_ms // 1000
    issued_s = auth_s + (at_ms // 1000 - auth_s) // 3600 * 3600
    claims = {
        "aud": COGNITO_CLIENT_ID,
        "auth_time": str(auth_s),
        "cognito:username": account.username,
        "email_verified": "true",
        "exp": str(issued_s + 3600),
        "iat": str(issued_s),
        "iss": COGNITO_ISSUER,
        "sub": account.sub,
        "token_use": "id",
    }
    if account.provider:
        claims["identities"] = orjson.dumps(
            [
                {
                    "userId": account.username.partition("_")[2],
                    "providerName": account.provider,
                    "providerType": account.provider,
                    "issuer": None,
                    "primary": "true",
                    "dateCreated": str(auth_s * 1000),
                }
            ]
        ).decode()
    return claims


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def id_token(claims: dict[str, str], rng: random.Random) -> str:
    """A JWT of the claims as the tracker sends it (``Authorization: Bearer``); its signature is random bytes:
    the authorizer that would check it is API Gateway's, not the handler's."""
    header = _base64url(orjson.dumps({"alg": "RS256", "kid": "simulated", "typ": "JWT"}))
    return f"{header}.{_base64url(orjson.dumps(claims))}.{_base64url(rng.getrandbits(2048).to_bytes(256, 'big'))}"


def api_gateway_event(request: SentRequest, rng: random.Random, *, cloudfront_country: bool = False) -> ApiRequest:
    """Wrap one browser request; `rng` supplies the network latency and API Gateway's ids.

    API Gateway's HTTP API passes no country: the ingest looks it up from ``sourceIp``. `cloudfront_country` adds
    ``cloudfront-viewer-country`` as a CloudFront distribution in front of the API would (the ingest prefers it).
    """
    visitor = request.visitor
    latency = 60 + int(rng.random() * (260 if is_mobile(visitor) else 120))
    time_epoch = request.sent_ms + latency
    request_id = api_request_id(rng)
    headers = _visitor_headers(visitor, request.transport, cloudfront_country)
    if request.gzip:
        raw = gzip_bytes(request.body)
        body = base64.b64encode(raw).decode()
        headers["content-encoding"] = "gzip"
    else:
        raw = request.body
        body = raw.decode()
    headers["content-length"] = str(len(raw))
    headers["content-type"] = request.content_type
    headers["x-amzn-trace-id"] = trace_id(time_epoch, rng)
    claims = None if request.token is None else jwt_claims(request.token, time_epoch)
    if claims is not None:
        headers["authorization"] = f"Bearer {id_token(claims, rng)}"
    event = http_api_event(
        headers=headers,
        body=body,
        is_base64_encoded=request.gzip,
        source_ip=visitor.location.ip,
        request_id=request_id,
        time_epoch_ms=time_epoch,
        user_agent=visitor.device.user_agent,
        account_id=ACCOUNT_ID,
        api_id=API_ID,
        domain_name=API_DOMAIN,
        raw_path=request.path,
        jwt_claims=claims,
    )
    return ApiRequest(event, request.events, request.invalid, request.retry, time_epoch)


def decode_body(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The events an API Gateway event carries (one event or a batch), undoing base64 and gzip."""
    raw = event["body"].encode()
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw)
    if raw[:2] == b"\x1f\x8b":
        raw = zlib.decompress(raw, 16 + zlib.MAX_WBITS)
    payload = orjson.loads(raw)
    return payload.get("events", [payload])
